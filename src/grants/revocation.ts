import { stateOf, type Configuration } from '../configuration.js'
import { expectStatus } from '../http/status.js'
import { assertString } from '../internal/assert.js'
import { toPublicError } from '../internal/errors.js'
import { authenticatedRequest, toSearchParams } from '../token-endpoint/request.js'
import type { GrantParameters } from '../types.js'

/**
 * Revokes an access or refresh token (RFC 7009). Resolves once the server answered 200; per RFC 7009 §2.2 it
 * does so for unknown tokens too, so success does not prove the token existed.
 *
 * @example
 * ```ts
 * let config!: client.Configuration
 * let tokens!: client.TokenEndpointResponse
 *
 * await client.tokenRevocation(config, tokens.refresh_token!, { token_type_hint: 'refresh_token' })
 * ```
 *
 * @param config - The client's configuration.
 * @param token - The access or refresh token to revoke.
 * @param parameters - Extra parameters, e.g. `token_type_hint`.
 * @returns Resolves once the server accepted the request.
 * @see [RFC 7009](https://www.rfc-editor.org/rfc/rfc7009.html)
 */
export async function tokenRevocation(
  config: Configuration,
  token: string,
  parameters?: GrantParameters,
): Promise<void> {
  try {
    const state = stateOf(config)
    assertString(token, '"token"')
    const body = toSearchParams(parameters)
    body.set('token', token)
    const response = await authenticatedRequest(state, 'revocation_endpoint', body)
    await expectStatus(response, 200)
    // RFC 7009 §2.2: the body of a successful revocation carries nothing.
    await response.body?.cancel().catch(() => {})
  } catch (err) {
    throw toPublicError(err)
  }
}
