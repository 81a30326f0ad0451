import { stateOf, type Configuration } from '../configuration.js'
import { argError, assertString, isJsonObject } from '../internal/assert.js'
import { ope, toPublicError } from '../internal/errors.js'
import { tokenGrant } from '../token-endpoint/grant.js'
import { checkDPoP, toSearchParams } from '../token-endpoint/request.js'
import type { DPoPOptions, TokenEndpointResponse, TokenEndpointResponseHelpers } from '../types.js'
import { TOKEN_EXCHANGE_GRANT } from './generic.js'

/**
 * The token type identifiers of RFC 8693 §3, for `subject_token_type`, `actor_token_type`,
 * `requested_token_type` and the response's `issued_token_type`.
 */
export const TokenType = Object.freeze({
  /** An OAuth 2.0 access token. */
  AccessToken: 'urn:ietf:params:oauth:token-type:access_token',
  /** An OAuth 2.0 refresh token. */
  RefreshToken: 'urn:ietf:params:oauth:token-type:refresh_token',
  /** An OpenID Connect ID Token. */
  IdToken: 'urn:ietf:params:oauth:token-type:id_token',
  /** A base64url-encoded SAML 1.1 assertion. */
  Saml1: 'urn:ietf:params:oauth:token-type:saml1',
  /** A base64url-encoded SAML 2.0 assertion. */
  Saml2: 'urn:ietf:params:oauth:token-type:saml2',
  /** A JWT (RFC 7519 §9). */
  Jwt: 'urn:ietf:params:oauth:token-type:jwt',
} as const)

/** One of the {@link TokenType} identifiers, or any other absolute URI a server defines. */
export type TokenTypeIdentifier = (typeof TokenType)[keyof typeof TokenType] | (string & {})

/** The request of a token exchange (RFC 8693 §2.1), wire names throughout. */
export interface TokenExchangeParameters {
  /** The token that represents the party on whose behalf the request is made. */
  subject_token: string
  /** What `subject_token` is (see {@link TokenType}). */
  subject_token_type: TokenTypeIdentifier
  /** The token of the acting party (delegation); requires `actor_token_type`. */
  actor_token?: string
  /** What `actor_token` is. */
  actor_token_type?: TokenTypeIdentifier
  /** The kind of token wanted back. */
  requested_token_type?: TokenTypeIdentifier
  /** Logical names of the target services; several become repeated parameters. */
  audience?: string | string[]
  /** Absolute URIs of the target services (RFC 8707); several become repeated parameters. */
  resource?: string | string[]
  /** Space-delimited, or an array joined with spaces. */
  scope?: string | string[]
  /** Any other parameter the server defines. */
  [parameter: string]: string | string[] | undefined
}

/** A token exchange response (RFC 8693 §2.2.1): `issued_token_type` says what `access_token` holds. */
export interface TokenExchangeResponse extends TokenEndpointResponse {
  /** What the issued token is. */
  readonly issued_token_type: TokenTypeIdentifier
}

/**
 * OAuth 2.0 Token Exchange (RFC 8693): trades a subject token (and, for delegation, an actor token) for a new
 * token for another audience or resource. Runs through the same pipeline as `genericGrantRequest`; in
 * addition the arguments are checked before any request and the response must name its `issued_token_type`.
 *
 * @example
 * ```ts
 * let config!: client.Configuration
 * let incoming!: string // the access token a caller presented
 *
 * const exchanged = await client.tokenExchangeGrant(config, {
 *   subject_token: incoming,
 *   subject_token_type: client.TokenType.AccessToken,
 *   audience: ['billing', 'ledger'],
 * })
 * ```
 *
 * @param config - The client's configuration.
 * @param parameters - `subject_token` and `subject_token_type`, optionally `actor_token`,
 *   `actor_token_type`, `requested_token_type`, `audience`, `resource`, `scope`.
 * @param options - `DPoP`: a handle from {@link getDPoPHandle} to bind the token to a key.
 * @returns The token response with its `issued_token_type`, and the `claims()`/`expiresIn()` helpers.
 * @see [RFC 8693](https://www.rfc-editor.org/rfc/rfc8693.html)
 */
export async function tokenExchangeGrant(
  config: Configuration,
  parameters: TokenExchangeParameters,
  options?: DPoPOptions,
): Promise<TokenExchangeResponse & TokenEndpointResponseHelpers> {
  try {
    const state = stateOf(config)
    checkExchange(parameters)
    const DPoP = checkDPoP(options?.DPoP)
    const { scope, ...rest } = parameters
    const body = toSearchParams(rest as Record<string, string | string[]>)
    if (scope !== undefined) body.set('scope', Array.isArray(scope) ? scope.join(' ') : scope)
    const response = await tokenGrant(state, TOKEN_EXCHANGE_GRANT, body, {
      DPoP,
      // RFC 8693 §2.2.1: a token that is not an access token comes back with token_type N_A.
      recognizedTokenTypes: ['n_a'],
    })
    const issued = response['issued_token_type']
    if (typeof issued !== 'string' || issued.length === 0) {
      throw ope(
        '"response" body "issued_token_type" property must be a non-empty string',
        'OAUTH_INVALID_RESPONSE',
        {
          body: response,
        },
      )
    }
    return response as TokenExchangeResponse & TokenEndpointResponseHelpers
  } catch (err) {
    throw toPublicError(err)
  }
}

/** RFC 8693 §2.1 rules a caller can break, checked before any I/O. */
function checkExchange(parameters: unknown): asserts parameters is TokenExchangeParameters {
  if (!isJsonObject(parameters) || parameters instanceof URLSearchParams) {
    throw argError('"parameters" must be an object')
  }
  const p = parameters as Record<string, unknown>
  assertString(p['subject_token'], '"parameters.subject_token"')
  assertString(p['subject_token_type'], '"parameters.subject_token_type"')
  if (p['actor_token'] !== undefined) {
    assertString(p['actor_token'], '"parameters.actor_token"')
    if (p['actor_token_type'] === undefined) {
      throw argError(
        '"parameters.actor_token_type" is required when "parameters.actor_token" is present',
        'ERR_INVALID_ARG_VALUE',
      )
    }
    assertString(p['actor_token_type'], '"parameters.actor_token_type"')
  } else if (p['actor_token_type'] !== undefined) {
    throw argError(
      '"parameters.actor_token_type" must not be present without "parameters.actor_token"',
      'ERR_INVALID_ARG_VALUE',
    )
  }
  if (p['requested_token_type'] !== undefined) {
    assertString(p['requested_token_type'], '"parameters.requested_token_type"')
  }
  stringList(p['audience'], 'audience')
  for (const value of stringList(p['resource'], 'resource')) {
    // RFC 8707 §2 / RFC 8693 §2.1: an absolute URI without a fragment.
    if (!URL.canParse(value) || value.includes('#')) {
      throw argError(
        '"parameters.resource" must be an absolute URI without a fragment',
        'ERR_INVALID_ARG_VALUE',
      )
    }
  }
  stringList(p['scope'], 'scope')
  for (const [name, value] of Object.entries(p)) {
    if (value !== undefined && typeof value !== 'string' && !Array.isArray(value)) {
      throw argError(`"parameters.${name}" must be a string or an array of strings`)
    }
  }
}

function stringList(value: unknown, name: string): string[] {
  if (value === undefined) return []
  const list = Array.isArray(value) ? value : [value]
  if (list.length === 0) throw argError(`"parameters.${name}" must not be empty`, 'ERR_INVALID_ARG_VALUE')
  for (const item of list) assertString(item, `"parameters.${name}"`)
  return list as string[]
}
