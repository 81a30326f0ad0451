import type { ConfigState } from '../configuration.js'
import { withDPoPNonceRetry } from '../dpop/retry.js'
import type { DPoPProofHandle, TokenEndpointResponse, TokenEndpointResponseHelpers } from '../types.js'
import { attachHelpers } from './helpers.js'
import { authenticatedRequest } from './request.js'
import { processTokenResponse, type ProcessedTokenResponse, type TokenResponseOptions } from './response.js'
import { decryptedJws, recordDecrypted } from '../internal/decrypted.js'

export interface TokenGrantOptions extends TokenResponseOptions {
  DPoP?: DPoPProofHandle | undefined
  signal?: AbortSignal | undefined
  /** Whether to verify an ID Token's signature when non-repudiation checks are on (client credentials: no). */
  nonRepudiation?: boolean
  /**
   * Whether to retry at once on a DPoP nonce error (default yes). Polling says no: contract §5 step 5 retries
   * on the next poll, after the usual interval wait.
   */
  nonceRetry?: boolean
  /**
   * Sees the raw response before it is processed and may throw to take over (polling handles
   * `503` + `Retry-After` there, before any status or body check, as openid-client does).
   */
  onResponse?: ((response: Response) => void | Promise<void>) | undefined
  /**
   * Checks a processed response before its ID Token signature is verified (the authorization code grant's
   * `nonce`, `max_age` and "ID Token expected" checks, as openid-client makes them in that order).
   */
  checkResponse?: ((processed: ProcessedTokenResponse) => void | Promise<void>) | undefined
}

/**
 * The grant's parameters: a value sent as is on every attempt, or a builder called once per attempt, for a grant
 * whose body must not be re-sent (a JWT bearer assertion grantline signs gets a fresh `jti` and `iat`).
 */
export type GrantBody = URLSearchParams | (() => Promise<URLSearchParams>)

/**
 * The one token round-trip every grant funnels into: send the grant, process the response, retry once on a
 * DPoP nonce error, check the ID Token signature when asked, attach the helpers. A grant only decides `body`.
 */
export async function tokenGrant(
  state: ConfigState,
  grantType: string,
  parameters: GrantBody,
  options: TokenGrantOptions = {},
): Promise<TokenEndpointResponse & TokenEndpointResponseHelpers> {
  const { DPoP } = options
  const attempt = async () => {
    const form = new URLSearchParams(typeof parameters === 'function' ? await parameters() : parameters)
    form.set('grant_type', grantType)
    const response = await authenticatedRequest(state, 'token_endpoint', form, {
      DPoP,
      signal: options.signal,
    })
    if (options.onResponse) await options.onResponse(response)
    const processed = await processTokenResponse(state, response, options)
    if (options.checkResponse) await options.checkResponse(processed)
    return processed
  }
  // Without DPoP there is nothing to retry: one promise layer fewer.
  const retryWith = options.nonceRetry === false ? undefined : DPoP
  const { body, idToken } = await (retryWith === undefined
    ? attempt()
    : withDPoPNonceRetry(retryWith, attempt))
  if (idToken && state.nonRepudiation && options.nonRepudiation !== false) {
    await state.nonRepudiation(state, idToken.jws)
  }
  // getDecryptedResponses: the compact JWS inside an encrypted ID Token.
  return recordDecrypted(attachHelpers(body, idToken?.claims), decryptedJws(body.id_token, idToken?.jws))
}
