import { stateOf, type Configuration } from '../configuration.js'
import { readJsonObject } from '../http/body.js'
import { expectStatus } from '../http/status.js'
import { assertString } from '../internal/assert.js'
import { UnsupportedOperationError, toPublicError } from '../internal/errors.js'
import { authenticatedRequest, toSearchParams } from '../token-endpoint/request.js'
import type { ConfirmationClaims, GrantParameters, JsonValue, AuthorizationDetails } from '../types.js'
import { ResponseFields } from './response-fields.js'

/** A token introspection response (RFC 7662 §2.2). Only `active` is guaranteed. */
export interface IntrospectionResponse {
  readonly active: boolean
  readonly client_id?: string
  readonly exp?: number
  readonly iat?: number
  readonly sid?: string
  readonly iss?: string
  readonly jti?: string
  readonly username?: string
  readonly aud?: string | string[]
  readonly scope?: string
  readonly sub?: string
  readonly nbf?: number
  readonly token_type?: string
  readonly cnf?: ConfirmationClaims
  readonly authorization_details?: AuthorizationDetails[]
  readonly [claim: string]: JsonValue | undefined
}

/**
 * Asks the authorization server whether a token is active and what it stands for (RFC 7662). The client
 * authenticates as it does at the token endpoint.
 *
 * JWT introspection responses (RFC 9701, `introspection_signed_response_alg` in the client metadata) are not
 * supported yet: such a configuration fails with `OAUTH_UNSUPPORTED_OPERATION` before any request.
 *
 * @example
 * ```ts
 * const { active, scope } = await tokenIntrospection(config, accessToken)
 * ```
 */
export async function tokenIntrospection(
  config: Configuration,
  token: string,
  parameters?: GrantParameters,
): Promise<IntrospectionResponse> {
  try {
    const state = stateOf(config)
    assertString(token, '"token"')
    if (state.client.introspection_signed_response_alg !== undefined) {
      throw new UnsupportedOperationError('JWT introspection responses (RFC 9701) are not supported')
    }
    const body = toSearchParams(parameters)
    body.set('token', token)
    const response = await authenticatedRequest(state, 'introspection_endpoint', body)
    const json = await readJsonObject(await expectStatus(response, 200))
    new ResponseFields(json).boolean('active')
    return json as unknown as IntrospectionResponse
  } catch (err) {
    throw toPublicError(err)
  }
}
