import {
  checkProtocol,
  stateOf,
  transportOf,
  type Configuration,
  type ConfigState,
} from '../configuration.js'
import { isDPoPNonceError, withDPoPNonceRetry } from '../dpop/retry.js'
import { WWWAuthenticateChallengeError } from '../errors.js'
import { send } from '../http/send.js'
import { release } from '../http/status.js'
import { parseWWWAuthenticate } from '../http/www-authenticate.js'
import { argError, assertString } from '../internal/assert.js'
import { toPublicError } from '../internal/errors.js'
import { checkHeaderValue, copyHeaders } from '../internal/header.js'
import { USER_AGENT } from '../internal/version.js'
import { checkDPoP } from '../token-endpoint/request.js'
import type { Transport } from '../http/send.js'
import type { CustomFetch, DPoPOptions, FetchBody } from '../types.js'

/**
 * Calls a protected resource with an access token (RFC 6750 §2.1 `Bearer`, or RFC 9449 §7 `DPoP` with a proof
 * bound to the token through `ath`) and resolves to the resource server's Response, body unread.
 *
 * Any parseable `WWW-Authenticate` challenge, whatever the status, rejects with a
 * `WWWAuthenticateChallengeError`; a DPoP nonce challenge is retried once with the new nonce.
 *
 * @example
 * ```ts
 * let config!: client.Configuration
 * let tokens!: client.TokenEndpointResponse
 *
 * const response = await client.fetchProtectedResource(
 *   config,
 *   tokens.access_token,
 *   new URL('https://api.example.com/accounts'),
 *   'GET',
 * )
 * const data = await response.json()
 * ```
 *
 * @param headers - Extra request headers. `authorization` is set by this function and may not be given.
 *
 * @param config - The client's configuration.
 * @param accessToken - The access token to present (`Bearer`, or `DPoP` with a handle).
 * @param url - The resource's URL.
 * @param method - The HTTP method.
 * @param body - The request body, if any.
 * @param options - `DPoP` for a DPoP-bound token.
 * @returns The resource server's response, as `fetch` returns it.
 * @see [RFC 6750](https://www.rfc-editor.org/rfc/rfc6750.html)
 * @see [RFC 9449 §7](https://www.rfc-editor.org/rfc/rfc9449.html#section-7)
 * @see [D26: tokens and headers are checked before the request](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d26)
 */
export async function fetchProtectedResource(
  config: Configuration,
  accessToken: string,
  url: URL,
  method: string,
  body?: FetchBody,
  headers?: Headers,
  options?: DPoPOptions,
): Promise<Response> {
  try {
    const state = stateOf(config)
    assertString(accessToken, '"accessToken"')
    // Before it goes into `Bearer <token>`: the Headers error for a bad value would quote the token (D26).
    checkHeaderValue(accessToken, '"accessToken"')
    if (!(url instanceof URL)) throw argError('"url" must be an instance of URL')
    assertString(method, '"method"')
    const DPoP = checkDPoP(options?.DPoP)
    const base = copyHeaders(headers, '"headers"')
    if (base.has('authorization')) {
      throw argError('"headers" must not include the "authorization" header name', 'ERR_INVALID_ARG_VALUE')
    }
    if (USER_AGENT && !base.has('user-agent')) base.set('user-agent', USER_AGENT)
    checkProtocol(url, state.tlsOnly)

    let attempts = 0
    return await withDPoPNonceRetry(DPoP, async () => {
      attempts++
      const request = new Headers(base)
      if (DPoP) await DPoP.addProof(url, request, method.toUpperCase(), accessToken)
      request.set('authorization', `${DPoP ? 'DPoP' : 'Bearer'} ${accessToken}`)
      const response = await send(transportFor(state, body), { url, method, headers: request, body })
      DPoP?.cacheNonce(response, url)
      const challenges = parseWWWAuthenticate(response.headers.get('www-authenticate'))
      if (challenges) {
        const err = new WWWAuthenticateChallengeError(
          'server responded with a challenge in the WWW-Authenticate HTTP Header',
          { cause: challenges, response },
        )
        // The first nonce challenge is answered by a retry and never reaches the caller: release its body now.
        if (DPoP && attempts === 1 && isDPoPNonceError(err)) release(response)
        throw err
      }
      return response
    })
  } catch (err) {
    throw toPublicError(err)
  }
}

/**
 * A streamed request body needs `duplex: 'half'` (Fetch standard; Node.js refuses the request otherwise), so the
 * fetch (or the configuration's custom fetch) is told so for this request.
 */
function transportFor(state: ConfigState, body: FetchBody): Transport {
  const transport = transportOf(state)
  if (typeof ReadableStream === 'undefined' || !(body instanceof ReadableStream)) return transport
  const impl: CustomFetch = state.fetch ?? (fetch as unknown as CustomFetch)
  return { ...transport, fetch: (url, options) => impl(url, { ...options, duplex: 'half' }) }
}
