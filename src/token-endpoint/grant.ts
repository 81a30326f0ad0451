import type { ConfigState } from '../configuration.js'
import { withDPoPNonceRetry } from '../dpop/retry.js'
import type { DPoPHandle, TokenEndpointResponse, TokenEndpointResponseHelpers } from '../types.js'
import { attachHelpers } from './helpers.js'
import { authenticatedRequest } from './request.js'
import { processTokenResponse, type TokenResponseOptions } from './response.js'

export interface TokenGrantOptions extends TokenResponseOptions {
  DPoP?: DPoPHandle | undefined
  signal?: AbortSignal | undefined
  /** Whether to verify an ID Token's signature when non-repudiation checks are on (client credentials: no). */
  nonRepudiation?: boolean
}

/**
 * The one token round-trip every grant funnels into: send the grant, process the response, retry once on a
 * DPoP nonce error, check the ID Token signature when asked, attach the helpers. A grant only decides `body`.
 */
export async function tokenGrant(
  state: ConfigState,
  grantType: string,
  parameters: URLSearchParams,
  options: TokenGrantOptions = {},
): Promise<TokenEndpointResponse & TokenEndpointResponseHelpers> {
  const { DPoP } = options
  const { body, idToken } = await withDPoPNonceRetry(DPoP, async () => {
    const form = new URLSearchParams(parameters)
    form.set('grant_type', grantType)
    const response = await authenticatedRequest(state, 'token_endpoint', form, {
      DPoP,
      signal: options.signal,
    })
    return processTokenResponse(state, response, options)
  })
  if (idToken && state.nonRepudiation && options.nonRepudiation !== false) {
    await state.nonRepudiation(state, idToken.jws)
  }
  return attachHelpers(body, idToken?.claims)
}
