/**
 * The in-memory layer: cached entries, their expiry and refresh-ahead instants (DECISIONS D40, D41), and a
 * bounded LRU map (DECISIONS D47).
 */
import type { IDToken, JsonValue, TokenEndpointResponse, TokenEndpointResponseHelpers } from '../types.js'
import type { StoredToken } from './store.js'

/** Refresh ahead of expiry by min(max(10 % of the lifetime, 5 s), 50 % of the lifetime, 5 min). */
export function marginMs(lifetimeMs: number): number {
  return Math.min(Math.max(lifetimeMs * 0.1, 5_000), lifetimeMs * 0.5, 300_000)
}

/** The monotonic clock (ms): unaffected by wall-clock jumps. */
export const monotonic: () => number =
  typeof performance === 'object' && typeof performance.now === 'function'
    ? () => performance.now()
    : () => Date.now()

/** One cached token. */
export interface Entry {
  readonly grantType: string
  /** The response's own members (no helpers), shared by every copy served. */
  readonly body: TokenEndpointResponse
  readonly claims: IDToken | undefined
  /** Wall clock: when the request was sent, when the token expires, when to refresh it ahead. */
  readonly obtainedAt: number
  readonly expiresAt: number
  readonly refreshAt: number
  /** The same two instants on the monotonic clock, so that a wall clock set back cannot extend a token's life. */
  readonly monoExpiresAt: number
  readonly monoRefreshAt: number
  readonly jkt: string | undefined
  /** Set by `invalidate()`: never served again, kept only for its refresh token. */
  invalid: boolean
  /** The served copies' helpers, made once. */
  helpers?: PropertyDescriptorMap
}

/** Builds an entry from a response anchored at `obtainedAt` (wall) / `monoAt` (monotonic). */
export function makeEntry(
  grantType: string,
  body: TokenEndpointResponse,
  claims: IDToken | undefined,
  obtainedAt: number,
  monoAt: number,
  lifetimeMs: number,
  jkt: string | undefined,
): Entry {
  const margin = marginMs(lifetimeMs)
  return {
    grantType,
    body,
    claims,
    obtainedAt,
    expiresAt: obtainedAt + lifetimeMs,
    refreshAt: obtainedAt + lifetimeMs - margin,
    monoExpiresAt: monoAt + lifetimeMs,
    monoRefreshAt: monoAt + lifetimeMs - margin,
    jkt,
    invalid: false,
  }
}

/** Milliseconds the entry is still valid for by both clocks (0 or less: expired). */
export function remainingMs(entry: Entry, now: number, mono: number): number {
  return Math.min(entry.expiresAt - now, entry.monoExpiresAt - mono)
}

/** Whether the refresh-ahead instant has passed by either clock. */
export function dueForRefresh(entry: Entry, now: number, mono: number): boolean {
  return now >= entry.refreshAt || mono >= entry.monoRefreshAt
}

/** The store's view of an entry. */
export function toStored(entry: Entry): StoredToken {
  const stored: StoredToken = {
    response: { ...entry.body } as { [name: string]: JsonValue },
    obtainedAt: entry.obtainedAt,
    expiresAt: entry.expiresAt,
  }
  if (entry.claims !== undefined) stored.claims = { ...entry.claims } as { [name: string]: JsonValue }
  if (entry.jkt !== undefined) stored.jkt = entry.jkt
  return stored
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)

/**
 * An entry from what a store returned, or undefined when it is not a well-formed token of this DPoP key. The
 * monotonic instants are derived from the wall clock now, and never give more than the entry's own lifetime.
 */
export function fromStored(
  stored: unknown,
  grantType: string,
  jkt: string | undefined,
  now: number,
  mono: number,
): Entry | undefined {
  if (typeof stored !== 'object' || stored === null) return undefined
  const s = stored as Partial<StoredToken>
  const body = s.response
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined
  if (typeof body['access_token'] !== 'string' || typeof body['token_type'] !== 'string') return undefined
  if (!finite(s.obtainedAt) || !finite(s.expiresAt) || s.expiresAt < s.obtainedAt) return undefined
  if ((s.jkt ?? undefined) !== jkt) return undefined
  const claims = s.claims
  if (claims !== undefined && (typeof claims !== 'object' || claims === null || Array.isArray(claims))) {
    return undefined
  }
  const lifetime = s.expiresAt - s.obtainedAt
  // Where the anchor lies on the monotonic clock: the wall clock's view, but never in the future.
  const monoAt = mono - Math.max(0, now - s.obtainedAt)
  return makeEntry(
    grantType,
    body as TokenEndpointResponse,
    claims as IDToken | undefined,
    s.obtainedAt,
    monoAt,
    lifetime,
    jkt,
  )
}

/**
 * What a caller receives: a copy of the response's members with `claims()` and `expiresIn()` as non-enumerable,
 * value-only helpers, as `genericGrantRequest` attaches them, but `expiresIn()` counts down from the entry's
 * anchor (the moment its request was sent), not from the moment it was served.
 */
export function serve(entry: Entry): TokenEndpointResponse & TokenEndpointResponseHelpers {
  const helpers = (entry.helpers ??= helpersOf(entry))
  const body = entry.body
  if (Object.hasOwn(body, 'claims') || Object.hasOwn(body, 'expiresIn')) {
    // A body with members of these names: the helpers replace them, with every attribute spelled out.
    const copy = { ...body }
    Object.defineProperties(copy, {
      claims: { ...helpers['claims'], enumerable: false, writable: false, configurable: false },
      expiresIn: { ...helpers['expiresIn'], enumerable: false, writable: false, configurable: false },
    })
    return copy as TokenEndpointResponse & TokenEndpointResponseHelpers
  }
  // An object created with its helpers, then given the members: much cheaper than defining two properties on
  // an existing object, and the same own properties and attributes as attachHelpers gives.
  return Object.assign(Object.create(Object.prototype, helpers) as object, body) as TokenEndpointResponse &
    TokenEndpointResponseHelpers
}

/** The two helpers of an entry, as value-only descriptors (non-enumerable, non-writable, non-configurable). */
function helpersOf(entry: Entry): PropertyDescriptorMap {
  const claims = entry.claims
  const { expiresAt, monoExpiresAt } = entry
  const hasExpiry = typeof entry.body.expires_in === 'number'
  return {
    claims: { value: () => claims },
    expiresIn: {
      value: () => {
        if (!hasExpiry) return undefined
        const remaining = Math.floor(Math.min(expiresAt - Date.now(), monoExpiresAt - monotonic()) / 1000)
        return remaining > 0 ? remaining : 0
      },
    },
  }
}
