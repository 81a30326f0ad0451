import type { IDToken, TokenEndpointResponse, TokenEndpointResponseHelpers } from '../types.js'

/**
 * Adds `claims()` and `expiresIn()` as non-enumerable, closure-bound helpers: they survive destructuring and stay
 * out of `Object.keys`, spread, `JSON.stringify` and `structuredClone`. The usual body has no member of either
 * name, so a value-only descriptor does: a new property's omitted attributes default to false (not enumerable,
 * not writable, not configurable), and it is cheaper than spelled-out descriptors.
 */
export function attachHelpers(
  body: TokenEndpointResponse,
  claims: IDToken | undefined,
): TokenEndpointResponse & TokenEndpointResponseHelpers {
  // Plain arithmetic, as openid-client 6.8.9 does: Date#setSeconds truncates fractions and turns a huge
  // lifetime into an invalid date, which would read as "already expired".
  const expiresAt = typeof body.expires_in === 'number' ? Date.now() + body.expires_in * 1000 : undefined
  // Descriptor literals, so that both functions keep the name `value`, as they always had.
  const claimsOf: PropertyDescriptor = { value: () => claims }
  const expiresIn: PropertyDescriptor = {
    value: () => {
      if (expiresAt === undefined) return undefined
      const remaining = Math.floor((expiresAt - Date.now()) / 1000)
      return remaining > 0 ? remaining : 0
    },
  }
  if (Object.hasOwn(body, 'claims') || Object.hasOwn(body, 'expiresIn')) {
    // A body with members of these names: redefining them needs every attribute spelled out.
    Object.defineProperties(body, { claims: hidden(claimsOf), expiresIn: hidden(expiresIn) })
  } else {
    Object.defineProperty(body, 'claims', claimsOf)
    Object.defineProperty(body, 'expiresIn', expiresIn)
  }
  return body as TokenEndpointResponse & TokenEndpointResponseHelpers
}

function hidden({ value }: PropertyDescriptor): PropertyDescriptor {
  return { value, enumerable: false, writable: false, configurable: false }
}
