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
 * Requesting an access token with the JWT Bearer grant:
 *
 * ```ts
 * let config!: client.Configuration
 * let assertion!: string
 *
 * const tokens = await client.genericGrantRequest(config, 'urn:ietf:params:oauth:grant-type:jwt-bearer', {
 *   scope: 'api:read',
 *   assertion,
 * })
 * console.log(tokens.access_token, tokens.expiresIn())
 * ```
 *
 * @param config - The client's configuration; its server metadata must name a `token_endpoint`.
 * @param grantType - The `grant_type` value: an absolute URI for an extension grant.
 * @param parameters - The grant's parameters. An array value becomes repeated parameters (several `resource`
 *   or `audience` values).
 * @param options - `DPoP`: a handle from {@link getDPoPHandle} to bind the token to a key.
 * @returns The token response, with `claims()` (the validated ID Token's claims, if any) and `expiresIn()`.
 * @see [Token Exchange (RFC 8693)](https://www.rfc-editor.org/rfc/rfc8693.html)
 * @see [JWT Bearer Token Grant (RFC 7523 §2.1)](https://www.rfc-editor.org/rfc/rfc7523.html#section-2.1)
 * @see [SAML 2.0 Bearer Assertion Grant (RFC 7522 §2.1)](https://www.rfc-editor.org/rfc/rfc7522.html#section-2.1)
 *
 * @see [D9: bodies over 1 MiB are refused](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d9)
 * @see [D11: `undefined` values are left out](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d11)
 * @see [D20: parameters that are not an object are a TypeError](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d20)
 * @see [D27: secrets and tokens are redacted from causes](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d27)
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
