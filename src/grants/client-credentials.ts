import { stateOf, type Configuration } from '../configuration.js'
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
 * The client credentials grant (RFC 6749 §4.4): the client asks for a token on its own behalf.
 *
 * As in openid-client, an ID Token in the response is never decrypted nor signature-checked here: this grant
 * has no end-user, so an ID Token has no business being in its response.
 *
 * @example
 * ```ts
 * let config!: client.Configuration
 *
 * const { access_token } = await client.clientCredentialsGrant(config, {
 *   scope: 'api:read',
 *   resource: ['https://api.example.com', 'https://ledger.example.com'],
 * })
 * ```
 *
 * @param config - The client's configuration.
 * @param parameters - Extra parameters for the request (`scope`, `resource`, ...); an array value becomes
 *   repeated parameters.
 * @param options - `DPoP`: a handle from {@link getDPoPHandle} to bind the token to a key.
 * @returns The token response, with `claims()` (the validated ID Token's claims, if any) and `expiresIn()`.
 * @see [RFC 6749 §4.4](https://www.rfc-editor.org/rfc/rfc6749.html#section-4.4)
 */
export async function clientCredentialsGrant(
  config: Configuration,
  parameters?: GrantParameters,
  options?: DPoPOptions,
): Promise<TokenEndpointResponse & TokenEndpointResponseHelpers> {
  try {
    const state = stateOf(config)
    const DPoP = checkDPoP(options?.DPoP)
    return await tokenGrant(state, 'client_credentials', toSearchParams(parameters), {
      DPoP,
      decrypt: false,
      nonRepudiation: false,
    })
  } catch (err) {
    throw toPublicError(err)
  }
}
