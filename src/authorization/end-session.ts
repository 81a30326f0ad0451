import { resolveEndpoint, stateOf, type Configuration } from '../configuration.js'
import { toPublicError } from '../internal/errors.js'
import { toSearchParams } from '../token-endpoint/request.js'
import type { AuthorizationParameters } from './url.js'

/**
 * Builds the URL to send the user-agent to for RP-Initiated Logout (OpenID Connect RP-Initiated Logout 1.0 §2):
 * the server's `end_session_endpoint` (never an mTLS alias, checked against the HTTPS rule) with the parameters
 * appended to any query it has, and `client_id` added when absent.
 *
 * A missing or invalid `end_session_endpoint`, or an `http:` one without `allowInsecureRequests`, is a
 * `ClientError` with its code (docs/decisions.md D61).
 *
 * @param config The client's Configuration.
 * @param parameters Logout parameters (`id_token_hint`, `post_logout_redirect_uri`, `state`, `ui_locales`, ...);
 *   an array value becomes repeated parameters, an `undefined` value is left out.
 * @returns A new URL whose `searchParams` hold `client_id` and every given parameter.
 *
 * @example
 * ```ts
 * let config!: client.Configuration
 * let tokens!: client.TokenEndpointResponse
 *
 * const url = client.buildEndSessionUrl(config, {
 *   id_token_hint: tokens.id_token!,
 *   post_logout_redirect_uri: 'https://rp.example.com/signed-out',
 * })
 * // redirect the user-agent to url.href
 * ```
 *
 * @see [OpenID Connect RP-Initiated Logout 1.0](https://openid.net/specs/openid-connect-rpinitiated-1_0.html)
 * @see [D60: parameters are read as every grant reads them](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d60)
 * @see [D61: metadata errors are ClientErrors](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d61)
 */
export function buildEndSessionUrl(config: Configuration, parameters?: AuthorizationParameters): URL {
  try {
    const state = stateOf(config)
    const url = resolveEndpoint(state, 'end_session_endpoint', false)
    const params = toSearchParams(parameters)
    if (!params.has('client_id')) params.set('client_id', state.client.client_id)
    for (const [name, value] of params) url.searchParams.append(name, value)
    return url
  } catch (err) {
    throw toPublicError(err)
  }
}
