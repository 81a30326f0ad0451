/**
 * The lock protocol over a shared store (DECISIONS D45): read; else take the key's refresh lock, fetch, store and
 * release; else wait for the holder's token, trying the lock again when it may be free, and fetch alone after
 * two leases. Any store failure on the way ends in a fetch in this process alone (D48).
 */
import { dueForRefresh, monotonic, remainingMs, type Entry } from './cache.js'
import type { Emit } from './events.js'
import type { FlightContext, FlightReason, FlightState } from './flight.js'
import type { StoreLink } from './store-link.js'
import type { TokenStoreLock } from './store.js'

/** A waiter re-reads the store at least this often (ms), notification or not. */
const MAX_WAIT_SLICE_MS = 500

/** What the protocol needs from the refresh that runs it. */
export interface LockIo {
  link: StoreLink
  emit: Emit
  lockLeaseMs: number
  storeTimeoutMs: number
  /** The token endpoint (with retries), for this refresh. */
  fetch(): Promise<Entry>
  /** A wait that close() ends. */
  sleep(ms: number): Promise<void>
  isClosed(): boolean
  closedError(): Error
}

export async function viaStore(
  io: LockIo,
  key: string,
  ctx: FlightContext,
  reason: FlightReason,
  current: Entry | undefined,
  state: FlightState,
): Promise<{ entry: Entry; source: 'server' | 'store' }> {
  const { link, emit, lockLeaseMs, isClosed, closedError } = io
  const store = link.store
  let replaced = reason !== 'miss' || current?.invalid === true ? current : undefined
  // A forced refresh serves only a token whose request was sent after it began (here or by another instance).
  const notBefore = reason === 'forced' ? Date.now() : -Infinity
  const acceptable = (entry: Entry | undefined): entry is Entry => {
    if (entry === undefined) return false
    const now = Date.now()
    const mono = monotonic()
    const remaining = remainingMs(entry, now, mono)
    if (remaining <= 0 || remaining < ctx.minValidityMs) return false
    if (reason === 'ahead' && dueForRefresh(entry, now, mono)) return false
    if (entry.obtainedAt < notBefore) return false
    if (replaced !== undefined) {
      if (entry.body.access_token === replaced.body.access_token) return false
      if (entry.expiresAt < replaced.expiresAt) return false
    }
    return true
  }
  const learn = (entry: Entry | undefined) => {
    // The store's refresh token is the fleet's newest.
    const rt = entry?.body.refresh_token
    if (state.refreshToken !== undefined && typeof rt === 'string' && rt !== '') state.refreshToken = rt
  }
  const direct = async () => {
    const entry = await io.fetch()
    await link.set(key, entry)
    return { entry, source: 'server' as const }
  }
  const asWinner = async (lock: TokenStoreLock) => {
    emit('lock_acquired', key, ctx.grantType, { leaseMs: lockLeaseMs })
    try {
      // The previous holder may have set its token just before we took the lock.
      const again = await link.get(key, ctx.grantType, ctx.jkt)
      if (again.ok) {
        learn(again.value)
        if (acceptable(again.value)) return { entry: again.value, source: 'store' as const }
      }
      return await direct()
    } finally {
      await link.call('release', key, ctx.grantType, () => lock.release())
    }
  }

  const first = await link.get(key, ctx.grantType, ctx.jkt)
  if (!first.ok) return direct()
  learn(first.value)
  // A forced refresh wants a token newer than what it finds, here or in the store.
  if (reason === 'forced' && replaced === undefined && first.value !== undefined) replaced = first.value
  if (acceptable(first.value)) return { entry: first.value, source: 'store' }

  const taken = await link.call('acquire', key, ctx.grantType, () => store.acquire(key, lockLeaseMs))
  if (!taken.ok) return direct()
  if (taken.value !== undefined) return asWinner(taken.value)

  // Another instance holds the lock: wait for its token. The lock is tried again when the store announces a
  // change that brought no token (the holder released it empty-handed: its request failed), after every slice
  // of the longest length (500 ms) or when the store cannot announce changes, and once the lease has run out
  // (the holder died); after two leases without a token this instance fetches alone.
  const waitStart = monotonic()
  let slice = 25
  for (;;) {
    if (isClosed()) throw closedError()
    const waited = monotonic() - waitStart
    if (waited >= 2 * lockLeaseMs) {
      emit('lock_waited', key, ctx.grantType, { durationMs: waited, outcome: 'gave_up' })
      return direct()
    }
    const untilLease = lockLeaseMs - waited
    const wait = Math.max(
      1,
      Math.min(slice, MAX_WAIT_SLICE_MS, untilLease > 0 ? untilLease : MAX_WAIT_SLICE_MS),
    )
    let retry = true
    if (store.waitForChange !== undefined) {
      const waitForChange = store.waitForChange.bind(store)
      const before = monotonic()
      const woke = await link.call(
        'waitForChange',
        key,
        ctx.grantType,
        () => waitForChange(key, wait),
        wait + io.storeTimeoutMs,
      )
      if (!woke.ok) return direct()
      // A release announced before this wait began is missed: the long slices try the lock anyway.
      retry =
        monotonic() - before < wait - 1 || wait >= MAX_WAIT_SLICE_MS || monotonic() - waitStart >= lockLeaseMs
    } else {
      await io.sleep(wait)
    }
    slice = Math.min(slice * 2, MAX_WAIT_SLICE_MS)
    const read = await link.get(key, ctx.grantType, ctx.jkt)
    if (!read.ok) return direct()
    learn(read.value)
    if (acceptable(read.value)) {
      emit('lock_waited', key, ctx.grantType, {
        durationMs: monotonic() - waitStart,
        outcome: 'stored',
      })
      return { entry: read.value, source: 'store' }
    }
    if (!retry) continue
    const retaken = await link.call('acquire', key, ctx.grantType, () => store.acquire(key, lockLeaseMs))
    if (!retaken.ok) return direct()
    if (retaken.value !== undefined) {
      emit('lock_waited', key, ctx.grantType, {
        durationMs: monotonic() - waitStart,
        outcome: 'takeover',
      })
      return asWinner(retaken.value)
    }
  }
}
