import { stateOf, type Configuration } from '../configuration.js'
import { assertString } from '../internal/assert.js'
import { toPublicError } from '../internal/errors.js'
import { tokenGrant } from '../token-endpoint/grant.js'
import { checkDPoP, toSearchParams } from '../token-endpoint/request.js'
import type {
  DPoPOptions,
  GrantParameters,
  TokenEndpointResponse,
  TokenEndpointResponseHelpers,
} from '../types.js'

/**
 * The refresh token grant (RFC 6749 §6). A token bound with DPoP must be refreshed with the same handle.
 *
 * @example
 * ```ts
 * let config!: client.Configuration
 * let previous!: client.TokenEndpointResponse
 *
 * const tokens = await client.refreshTokenGrant(config, previous.refresh_token!)
 * ```
 *
 * @param config - The client's configuration.
 * @param refreshToken - The refresh token from an earlier token response.
 * @param parameters - Extra parameters for the request (`scope`, `resource`, ...); an array value becomes
 *   repeated parameters.
 * @param options - `DPoP`: a handle from {@link getDPoPHandle} to bind the token to a key.
 * @returns The token response, with `claims()` (the validated ID Token's claims, if any) and `expiresIn()`.
 * @see [RFC 6749 §6](https://www.rfc-editor.org/rfc/rfc6749.html#section-6)
 */
export async function refreshTokenGrant(
  config: Configuration,
  refreshToken: string,
  parameters?: GrantParameters,
  options?: DPoPOptions,
): Promise<TokenEndpointResponse & TokenEndpointResponseHelpers> {
  try {
    const state = stateOf(config)
    assertString(refreshToken, '"refreshToken"')
    const DPoP = checkDPoP(options?.DPoP)
    const body = toSearchParams(parameters)
    body.set('refresh_token', refreshToken)
    return await tokenGrant(state, 'refresh_token', body, { DPoP })
  } catch (err) {
    throw toPublicError(err)
  }
}
