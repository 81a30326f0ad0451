import { stateOf, type ConfigState, type Configuration } from '../configuration.js'
import { withDPoPNonceRetry } from '../dpop/retry.js'
import { readJsonObject } from '../http/body.js'
import { expectStatus } from '../http/status.js'
import { toPublicError } from '../internal/errors.js'
import { ResponseFields } from '../grants/response-fields.js'
import { authenticatedRequest, checkDPoP } from '../token-endpoint/request.js'
import type { DPoPOptions, DPoPProofHandle } from '../types.js'
import { authorizationUrl, type AuthorizationParameters } from './url.js'

/**
 * Pushes the authorization request's parameters to the server (RFC 9126 §2.1) and returns its `request_uri`.
 * The POST is the pipeline's authenticated request: the client authenticates as at the token endpoint, the
 * mTLS alias applies, a DPoP proof binds it when asked, and it shares the Configuration's deadline.
 */
async function pushAuthorizationRequest(
  state: ConfigState,
  parameters: URLSearchParams,
  DPoP: DPoPProofHandle | undefined,
): Promise<string> {
  const body = new URLSearchParams(parameters)
  // RFC 9126 §2.1: client_id always goes in the body, whatever the client authentication method.
  body.set('client_id', state.client.client_id)
  const response = await authenticatedRequest(state, 'pushed_authorization_request_endpoint', body, { DPoP })
  const json = await readJsonObject(await expectStatus(response, 201))
  const fields = new ResponseFields(json)
  fields.nonEmptyString('request_uri')
  fields.lifetime('expires_in')
  return json['request_uri'] as string
}

/**
 * Builds an authorization request URL with a Pushed Authorization Request (RFC 9126): the parameters (completed
 * as {@link buildAuthorizationUrl} completes them) are POSTed to the server's
 * `pushed_authorization_request_endpoint` with client authentication, and the returned URL carries only
 * `client_id` and the `request_uri` the server answered with.
 *
 * With `options.DPoP` the push carries a DPoP proof (RFC 9449 §10.1), binding the authorization code to the key;
 * a `use_dpop_nonce` answer is retried once with the server's nonce. Put `dpop_jkt` in the parameters yourself if
 * the server wants it. The server's answer must be a 201 with a non-empty `request_uri` and an `expires_in` of 0
 * or more; an OAuth error body is a `ResponseBodyError`, anything else a `ClientError` with its code.
 *
 * @param config The client's Configuration; its server metadata must have `authorization_endpoint` and
 *   `pushed_authorization_request_endpoint`.
 * @param parameters Authorization request parameters; an array value becomes repeated parameters (`resource`).
 *   The output of {@link buildAuthorizationUrlWithJAR}'s `searchParams` pushes a signed request object.
 * @param options `DPoP`: a handle from `getDPoPHandle`.
 * @returns A new URL to send the user-agent to: the `authorization_endpoint` with `client_id` and `request_uri`.
 *
 * @example
 * ```ts
 * let config!: client.Configuration
 * let code_challenge!: string
 *
 * const url = await client.buildAuthorizationUrlWithPAR(config, {
 *   redirect_uri: 'https://rp.example.com/callback',
 *   scope: 'openid',
 *   code_challenge,
 *   code_challenge_method: 'S256',
 * })
 * // redirect the user-agent to url.href
 * ```
 *
 * @see [RFC 9126 (PAR)](https://www.rfc-editor.org/rfc/rfc9126.html)
 * @see [D60: parameters are read as every grant reads them](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d60)
 * @see [D61: metadata errors are ClientErrors](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d61)
 */
export async function buildAuthorizationUrlWithPAR(
  config: Configuration,
  parameters: AuthorizationParameters,
  options?: DPoPOptions,
): Promise<URL> {
  try {
    const state = stateOf(config)
    const request = authorizationUrl(state, parameters).searchParams
    const DPoP = checkDPoP(options?.DPoP)
    const attempt = () => pushAuthorizationRequest(state, request, DPoP)
    const requestUri = await (DPoP === undefined ? attempt() : withDPoPNonceRetry(DPoP, attempt))
    return authorizationUrl(state, { request_uri: requestUri })
  } catch (err) {
    throw toPublicError(err)
  }
}
