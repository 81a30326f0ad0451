import { resolveEndpoint, stateOf, type ConfigState, type Configuration } from '../configuration.js'
import { argError } from '../internal/assert.js'
import { toPublicError } from '../internal/errors.js'
import { toSearchParams } from '../token-endpoint/request.js'
import type { GrantParameters } from '../types.js'
import { responseModeOf } from './callback.js'

/**
 * The parameters of an authorization request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1): a URLSearchParams, or a
 * record whose array values become repeated parameters (grantline extension, e.g. several RFC 8707 `resource`s).
 */
export type AuthorizationParameters = GrantParameters

/**
 * The authorization request URL for a configuration's state: the `authorization_endpoint` (never an mTLS alias,
 * checked against the HTTPS rule) with the caller's parameters appended to any query it has, `client_id` added
 * when absent and, unless the parameters are carried by `request` / `request_uri`, `response_type` defaulted
 * from the configuration's response type and `response_mode=jwt` forced under JARM. A fresh URL.
 */
export function authorizationUrl(state: ConfigState, parameters: AuthorizationParameters | undefined): URL {
  const url = resolveEndpoint(state, 'authorization_endpoint', false)
  const params = toSearchParams(parameters)
  if (!params.has('client_id')) params.set('client_id', state.client.client_id)
  if (!params.has('request_uri') && !params.has('request')) {
    // The switches of useCodeIdTokenResponseType, useIdTokenResponseType and useJwtResponseMode.
    const { hybrid, implicit, jarm } = responseModeOf(state)
    if (!params.has('response_type')) {
      params.set('response_type', hybrid ? 'code id_token' : implicit ? 'id_token' : 'code')
    }
    if (implicit && !params.has('nonce')) {
      throw argError(
        'response_type=id_token clients must provide a nonce parameter in their authorization request parameters',
        'ERR_INVALID_ARG_VALUE',
      )
    }
    if (jarm) params.set('response_mode', 'jwt')
  }
  for (const [name, value] of params) url.searchParams.append(name, value)
  return url
}

/**
 * Builds the URL to send the user-agent to for an authorization request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1).
 * It adds `client_id` when absent and `response_type` (`code`; `code id_token` after
 * `useCodeIdTokenResponseType`, `id_token` after `useIdTokenResponseType`, which also requires a `nonce`), and
 * `response_mode=jwt` after `useJwtResponseMode`. Parameters are appended to any query the endpoint already has.
 *
 * Use a fresh `state`, `nonce` and PKCE `code_verifier` for every request and keep them with the user-agent.
 * A missing or invalid `authorization_endpoint`, or an `http:` one without `allowInsecureRequests`, is a
 * `ClientError` with its code (`OAUTH_MISSING_SERVER_METADATA`, `OAUTH_INVALID_SERVER_METADATA`,
 * `OAUTH_HTTP_REQUEST_FORBIDDEN`; docs/decisions.md D61).
 *
 * @param config The client's Configuration.
 * @param parameters Authorization request parameters (`redirect_uri`, `scope`, `state`, `code_challenge`, ...);
 *   an array value becomes repeated parameters (`resource`), an `undefined` value is left out.
 * @returns A new URL whose `searchParams` hold `client_id`, `response_type` and every given parameter.
 *
 * @example
 * ```ts
 * let config!: client.Configuration
 *
 * const code_verifier = client.randomPKCECodeVerifier()
 * const url = client.buildAuthorizationUrl(config, {
 *   redirect_uri: 'https://rp.example.com/callback',
 *   scope: 'openid email',
 *   code_challenge: await client.calculatePKCECodeChallenge(code_verifier),
 *   code_challenge_method: 'S256',
 *   resource: ['https://api-a.example.com', 'https://api-b.example.com'],
 * })
 * // redirect the user-agent to url.href
 * ```
 *
 * @see [RFC 6749 §4.1.1](https://www.rfc-editor.org/rfc/rfc6749.html#section-4.1.1)
 * @see [D60: parameters are read as every grant reads them](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d60)
 * @see [D61: metadata errors are ClientErrors](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d61)
 * @see [D64: array values become repeated parameters](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d64)
 */
export function buildAuthorizationUrl(config: Configuration, parameters: AuthorizationParameters): URL {
  try {
    return authorizationUrl(stateOf(config), parameters)
  } catch (err) {
    throw toPublicError(err)
  }
}
