import { stateOf, type Configuration } from '../configuration.js'
import { argError } from '../internal/assert.js'
import { toPublicError } from '../internal/errors.js'
import { tokenGrant } from '../token-endpoint/grant.js'
import { checkDPoP, toSearchParams } from '../token-endpoint/request.js'
import type {
  DPoPOptions,
  GrantParameters,
  TokenEndpointResponse,
  TokenEndpointResponseHelpers,
} from '../types.js'

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange'

/**
 * Performs any grant at the token endpoint: token exchange (RFC 8693), JWT bearer (RFC 7523), SAML 2.0 bearer
 * (RFC 7522), or any extension grant, and resolves to the validated token response with `claims()` and
 * `expiresIn()` helpers.
 *
 * @example
 * ```ts
 * const tokens = await genericGrantRequest(config, 'urn:ietf:params:oauth:grant-type:jwt-bearer', {
 *   scope: 'api:read',
 *   assertion,
 * })
 * ```
 *
 * @param parameters - The grant's parameters. An array value becomes repeated parameters (several `resource`
 *   or `audience` values).
 */
export async function genericGrantRequest(
  config: Configuration,
  grantType: string,
  parameters: GrantParameters,
  options?: DPoPOptions,
): Promise<TokenEndpointResponse & TokenEndpointResponseHelpers> {
  try {
    const state = stateOf(config)
    if (typeof grantType !== 'string') throw argError('"grantType" must be a string')
    if (grantType.length === 0) throw argError('"grantType" must not be empty', 'ERR_INVALID_ARG_VALUE')
    const DPoP = checkDPoP(options?.DPoP)
    return await tokenGrant(state, grantType, toSearchParams(parameters), {
      DPoP,
      // RFC 8693 §2.2.1: an issued token that is not an access token has token_type N_A.
      ...(grantType === TOKEN_EXCHANGE_GRANT ? { recognizedTokenTypes: ['n_a'] } : {}),
    })
  } catch (err) {
    throw toPublicError(err)
  }
}
