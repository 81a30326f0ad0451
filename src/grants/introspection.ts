import { stateOf, type Configuration } from '../configuration.js'
import { mediaType, readJsonObject, readText } from '../http/body.js'
import { expectStatus } from '../http/status.js'
import { argError, assertString } from '../internal/assert.js'
import { OperationProcessingError, ope, toPublicError } from '../internal/errors.js'
import { authenticatedRequest, toSearchParams } from '../token-endpoint/request.js'
import type { ConfirmationClaims, GrantParameters, JsonValue, AuthorizationDetails } from '../types.js'
import { decryptedJws, recordDecrypted } from '../internal/decrypted.js'
import { INTROSPECTION_JWT, processIntrospectionJwt } from './introspection-jwt.js'
import { ResponseFields } from './response-fields.js'

/** A token introspection response (RFC 7662 §2.2). Only `active` is guaranteed. */
export interface IntrospectionResponse {
  /** Whether the token is active; every other member is meaningful only when it is. */
  readonly active: boolean
  /** The client the token was issued to. */
  readonly client_id?: string
  /** When the token expires (seconds since the epoch). */
  readonly exp?: number
  /** When the token was issued. */
  readonly iat?: number
  /** The session the token belongs to. */
  readonly sid?: string
  /** Who issued the token. */
  readonly iss?: string
  /** The token's identifier. */
  readonly jti?: string
  /** A human-readable identifier of the resource owner. */
  readonly username?: string
  /** Whom the token is meant for. */
  readonly aud?: string | string[]
  /** The token's scope, space-separated. */
  readonly scope?: string
  /** The resource owner the token stands for. */
  readonly sub?: string
  /** The token is not valid before this time. */
  readonly nbf?: number
  /** The token's type, e.g. `Bearer` or `DPoP`. */
  readonly token_type?: string
  /** What the token is bound to (certificate or DPoP key thumbprint). */
  readonly cnf?: ConfirmationClaims
  /** The token's authorization details (RFC 9396). */
  readonly authorization_details?: AuthorizationDetails[]
  readonly [claim: string]: JsonValue | undefined
}

/**
 * Asks the authorization server whether a token is active and what it stands for (RFC 7662). The client
 * authenticates as it does at the token endpoint.
 *
 * With `introspection_signed_response_alg` in the client metadata, a signed JWT response is asked for (RFC 9701)
 * and its claims are validated; its signature too once `enableNonRepudiationChecks(config)` was applied. An
 * encrypted one needs `enableDecryptingResponses(config, ...)`.
 *
 * @example
 * ```ts
 * let config!: client.Configuration
 * let accessToken!: string
 *
 * const { active, scope } = await client.tokenIntrospection(config, accessToken)
 * ```
 *
 * @param config - The client's configuration.
 * @param token - The token to ask about.
 * @param parameters - Extra parameters, e.g. `token_type_hint`.
 * @returns The introspection response: `active`, and when active `scope`, `client_id`, `exp`, ...
 * @see [RFC 7662](https://www.rfc-editor.org/rfc/rfc7662.html)
 * @see [RFC 9701 (JWT response)](https://www.rfc-editor.org/rfc/rfc9701.html)
 *
 * @see [D37: a broken JWT response body is OAUTH_PARSE_ERROR](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d37)
 */
export async function tokenIntrospection(
  config: Configuration,
  token: string,
  parameters?: GrantParameters,
): Promise<IntrospectionResponse> {
  try {
    const state = stateOf(config)
    assertString(token, '"token"')
    const body = toSearchParams(parameters)
    body.set('token', token)
    const accept =
      state.client.introspection_signed_response_alg === undefined ? 'application/json' : INTROSPECTION_JWT
    const response = await expectStatus(
      await authenticatedRequest(state, 'introspection_endpoint', body, { accept }),
      200,
    )
    let json: Record<string, unknown>
    // As openid-client does, the content-type decides: a server may still answer plain JSON.
    if (mediaType(response) === INTROSPECTION_JWT) {
      const received = await readJwt(response)
      const { response: claims, jws } = await processIntrospectionJwt(state, received, response)
      // As in openid-client: `active` is checked before the signature.
      new ResponseFields(claims).boolean('active')
      if (state.nonRepudiation) await state.nonRepudiation(state, jws)
      // getDecryptedResponses: the compact JWS inside an encrypted response.
      json = recordDecrypted(claims, decryptedJws(received, jws))
    } else {
      json = await readJsonObject(response)
      new ResponseFields(json).boolean('active')
    }
    return json as unknown as IntrospectionResponse
  } catch (err) {
    throw toPublicError(err)
  }
}

/**
 * The body of a JWT introspection response. A connection that dies mid-body is a body that cannot be parsed
 * (`OAUTH_PARSE_ERROR`, as on the JSON path); size and deadline errors keep their own.
 */
async function readJwt(response: Response): Promise<string> {
  if (response.bodyUsed) throw argError('"response" body has been used already', 'ERR_INVALID_ARG_VALUE')
  try {
    return (await readText(response)).trim()
  } catch (err) {
    if (err instanceof OperationProcessingError || isAbort(err)) throw err
    throw ope('failed to parse "response" body as JSON', 'OAUTH_PARSE_ERROR', err)
  }
}

function isAbort(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError')
}
