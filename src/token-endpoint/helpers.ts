import type { IDToken, TokenEndpointResponse, TokenEndpointResponseHelpers } from '../types.js'

/**
 * Adds `claims()` and `expiresIn()` as non-enumerable, closure-bound helpers: they survive destructuring and stay
 * out of `Object.keys`, spread, `JSON.stringify` and `structuredClone`.
 */
export function attachHelpers(
  body: TokenEndpointResponse,
  claims: IDToken | undefined,
): TokenEndpointResponse & TokenEndpointResponseHelpers {
  // Plain arithmetic, as openid-client 6.8.9 does: Date#setSeconds truncates fractions and turns a huge
  // lifetime into an invalid date, which would read as "already expired".
  const expiresAt = typeof body.expires_in === 'number' ? Date.now() + body.expires_in * 1000 : undefined
  Object.defineProperties(body, {
    claims: {
      value: () => claims,
      enumerable: false,
      writable: false,
      configurable: false,
    },
    expiresIn: {
      value: () => {
        if (expiresAt === undefined) return undefined
        const remaining = Math.floor((expiresAt - Date.now()) / 1000)
        return remaining > 0 ? remaining : 0
      },
      enumerable: false,
      writable: false,
      configurable: false,
    },
  })
  return body as TokenEndpointResponse & TokenEndpointResponseHelpers
}
