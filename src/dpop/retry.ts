import { ResponseBodyError, WWWAuthenticateChallengeError } from '../errors.js'
import type { DPoPHandle } from '../types.js'

/**
 * RFC 9449 §8: a server that wants a nonce answers `use_dpop_nonce`, either in an OAuth error body
 * (authorization server) or in a `WWW-Authenticate: DPoP` challenge (resource server).
 */
export function isDPoPNonceError(err: unknown): boolean {
  if (err instanceof ResponseBodyError) return err.error === 'use_dpop_nonce'
  if (err instanceof WWWAuthenticateChallengeError) {
    // Any of the challenges, as openid-client 6.8.9 decides: a server may offer `Bearer` beside the DPoP one.
    return err.cause.some(
      (challenge) => challenge.scheme === 'dpop' && challenge.parameters.error === 'use_dpop_nonce',
    )
  }
  return false
}

/**
 * Runs `attempt` and, when DPoP is in use and the server asked for a nonce, runs it exactly once more: the
 * handle has cached the nonce from the failed response, so the fresh proof carries it.
 */
export async function withDPoPNonceRetry<T>(
  dpop: DPoPHandle | undefined,
  attempt: () => Promise<T>,
): Promise<T> {
  try {
    return await attempt()
  } catch (err) {
    if (dpop === undefined || !isDPoPNonceError(err)) throw err
    return attempt()
  }
}
