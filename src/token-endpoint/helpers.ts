import type { IDToken, TokenEndpointResponse, TokenEndpointResponseHelpers } from '../types.js'

/**
 * Adds `claims()` and `expiresIn()` as non-enumerable, closure-bound helpers: they survive destructuring and stay
 * out of `Object.keys`, spread, `JSON.stringify` and `structuredClone`.
 */
export function attachHelpers(
  body: TokenEndpointResponse,
  claims: IDToken | undefined,
): TokenEndpointResponse & TokenEndpointResponseHelpers {
  let expiresAt: number | undefined
  if (typeof body.expires_in === 'number') {
    const date = new Date()
    date.setSeconds(date.getSeconds() + body.expires_in)
    expiresAt = date.getTime()
  }
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
