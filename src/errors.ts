import type { WWWAuthenticateChallenge } from './http/www-authenticate.js'
import type { JsonObject } from './types.js'

/** Every `code` a {@link ClientError} can carry. */
export type ClientErrorCode =
  | 'OAUTH_HTTP_REQUEST_FORBIDDEN'
  | 'OAUTH_REQUEST_PROTOCOL_FORBIDDEN'
  | 'OAUTH_RESPONSE_IS_NOT_CONFORM'
  | 'OAUTH_RESPONSE_IS_NOT_JSON'
  | 'OAUTH_PARSE_ERROR'
  | 'OAUTH_INVALID_RESPONSE'
  | 'OAUTH_JWT_CLAIM_COMPARISON_FAILED'
  | 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED'
  | 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED'
  | 'OAUTH_KEY_SELECTION_FAILED'
  | 'OAUTH_MISSING_SERVER_METADATA'
  | 'OAUTH_INVALID_SERVER_METADATA'
  | 'OAUTH_JWT_USERINFO_EXPECTED'
  | 'OAUTH_UNSUPPORTED_OPERATION'
  | 'OAUTH_TIMEOUT'
  | 'OAUTH_ABORT'
  | 'OAUTH_DECRYPTION_FAILED'

/**
 * The library's own error: a protocol rule was broken by the server, a request was refused before it was sent,
 * or a request timed out or was aborted. `code` is stable; switch on it.
 *
 * @example
 * ```ts
 * let config!: client.Configuration
 *
 * try {
 *   await client.clientCredentialsGrant(config)
 * } catch (err) {
 *   if (err instanceof client.ClientError && err.code === 'OAUTH_TIMEOUT') {
 *     // the server did not answer within config.timeout seconds
 *   }
 *   throw err
 * }
 * ```
 */
export class ClientError extends Error {
  /** What went wrong, e.g. `OAUTH_TIMEOUT`, `OAUTH_INVALID_RESPONSE` (see {@link ClientErrorCode}). */
  declare code?: ClientErrorCode | string

  /** @internal */
  constructor(message: string, options?: { cause?: unknown; code?: string | undefined }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'ClientError'
    if (options?.code !== undefined) this.code = options.code
  }
}

/**
 * The authorization server answered with an OAuth 2.0 error body (RFC 6749 §5.2): `error`,
 * `error_description`, the HTTP `status`, and the parsed body as `cause`.
 *
 * @example
 * ```ts
 * let config!: client.Configuration
 * let refreshToken!: string
 *
 * try {
 *   await client.refreshTokenGrant(config, refreshToken)
 * } catch (err) {
 *   if (err instanceof client.ResponseBodyError) console.error(err.status, err.error, err.error_description)
 *   throw err
 * }
 * ```
 *
 * @see [RFC 6749 §5.2](https://www.rfc-editor.org/rfc/rfc6749.html#section-5.2)
 */
export class ResponseBodyError extends Error {
  /** The parsed error body. */
  override cause: JsonObject & { error: string }
  /** Always `OAUTH_RESPONSE_BODY_ERROR`. */
  readonly code = 'OAUTH_RESPONSE_BODY_ERROR'
  /** The OAuth `error` code, e.g. `invalid_grant`. */
  error: string
  /** The HTTP status of the response. */
  status: number
  /** The server's `error_description`, when it sent one. */
  error_description?: string
  /** The response (its body already read); not enumerable. */
  declare response: Response

  /** @internal */
  constructor(message: string, options: { cause: JsonObject & { error: string }; response: Response }) {
    super(message)
    this.name = 'ResponseBodyError'
    this.cause = options.cause
    this.error = options.cause.error
    this.status = options.response.status
    const description = options.cause['error_description']
    if (typeof description === 'string') this.error_description = description
    Object.defineProperty(this, 'response', { enumerable: false, value: options.response })
  }
}

/** The server answered with one or more challenges in its `WWW-Authenticate` header. */
export class WWWAuthenticateChallengeError extends Error {
  /** The parsed challenges of the `WWW-Authenticate` header. */
  override cause: WWWAuthenticateChallenge[]
  /** Always `OAUTH_WWW_AUTHENTICATE_CHALLENGE`. */
  readonly code = 'OAUTH_WWW_AUTHENTICATE_CHALLENGE'
  /** The HTTP status of the response. */
  status: number
  /** The response; not enumerable. */
  declare response: Response

  /** @internal */
  constructor(message: string, options: { cause: WWWAuthenticateChallenge[]; response: Response }) {
    super(message)
    this.name = 'WWWAuthenticateChallengeError'
    this.cause = options.cause
    this.status = options.response.status
    Object.defineProperty(this, 'response', { enumerable: false, value: options.response })
  }
}

/** An authorization endpoint error response (redirect with `error`). */
export class AuthorizationResponseError extends Error {
  /** The callback's parameters (a copy with the code and tokens redacted, D71). */
  override cause: URLSearchParams
  /** Always `OAUTH_AUTHORIZATION_RESPONSE_ERROR`. */
  readonly code = 'OAUTH_AUTHORIZATION_RESPONSE_ERROR'
  /** The OAuth `error` code of the callback, e.g. `access_denied`. */
  error: string
  /** The server's `error_description`, when it sent one. */
  error_description?: string

  /** @internal */
  constructor(message: string, options: { cause: URLSearchParams }) {
    super(message)
    this.name = 'AuthorizationResponseError'
    this.cause = options.cause
    this.error = options.cause.get('error') ?? ''
    const description = options.cause.get('error_description')
    if (description !== null) this.error_description = description
  }
}

/**
 * Whether `value` is a {@link ClientError}: a type guard that also works across realms and bundling duplicates,
 * where `instanceof` may not.
 *
 * @example
 * ```ts
 * let config!: client.Configuration
 *
 * try {
 *   await client.clientCredentialsGrant(config)
 * } catch (err) {
 *   if (client.isClientError(err)) console.error(err.code, err.message)
 *   else throw err
 * }
 * ```
 *
 * @param value - Anything caught.
 */
export function isClientError(value: unknown): value is ClientError {
  return value instanceof ClientError || (value instanceof Error && value.name === 'ClientError')
}
/**
 * Whether `value` is a {@link ResponseBodyError}: the server answered with an OAuth error body (`error`,
 * `error_description`), e.g. `invalid_grant` for a spent refresh token.
 *
 * @example
 * ```ts
 * let config!: client.Configuration
 * let refreshToken!: string
 *
 * try {
 *   await client.refreshTokenGrant(config, refreshToken)
 * } catch (err) {
 *   if (client.isResponseBodyError(err) && err.error === 'invalid_grant') {
 *     // the refresh token is no longer valid: sign the user in again
 *   } else throw err
 * }
 * ```
 *
 * @param value - Anything caught.
 */
export function isResponseBodyError(value: unknown): value is ResponseBodyError {
  return hasCode(value, 'OAUTH_RESPONSE_BODY_ERROR')
}
/**
 * Whether `value` is a {@link WWWAuthenticateChallengeError}: the server refused the request with a
 * `WWW-Authenticate` challenge, whose parsed parameters are in `err.cause`.
 *
 * @example
 * ```ts
 * let config!: client.Configuration
 * let accessToken!: string
 *
 * try {
 *   await client.fetchProtectedResource(config, accessToken, new URL('https://api.example.com/me'), 'GET')
 * } catch (err) {
 *   if (client.isWWWAuthenticateChallengeError(err)) {
 *     for (const challenge of err.cause) console.error(challenge.scheme, challenge.parameters.error)
 *   } else throw err
 * }
 * ```
 *
 * @param value - Anything caught.
 */
export function isWWWAuthenticateChallengeError(value: unknown): value is WWWAuthenticateChallengeError {
  return hasCode(value, 'OAUTH_WWW_AUTHENTICATE_CHALLENGE')
}

function hasCode(value: unknown, code: string): boolean {
  return value instanceof Error && (value as { code?: unknown }).code === code
}
