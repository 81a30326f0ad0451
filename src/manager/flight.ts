/**
 * Single-flight refreshes (DECISIONS D41, D43, D45): one refresh per key at a time in this process, and, with a
 * store, one per key across every process that shares it (the store's lock: the winner fetches and sets, the
 * others wait for its token or take over after the lease). Every store call has a deadline; a store that fails
 * or is slow is skipped for a second, and the refresh goes on in this process alone.
 */
import type { Configuration } from '../configuration.js'
import { ResponseBodyError } from '../errors.js'
import { genericGrantRequest } from '../grants/generic.js'
import { MAX_TIMER_MS } from '../internal/time.js'
import type { DPoPHandle, GrantParameters, TokenEndpointResponse } from '../types.js'
import {
  dueForRefresh,
  fromStored,
  makeEntry,
  monotonic,
  remainingMs,
  serve,
  toStored,
  type Entry,
  type Lru,
} from './cache.js'
import { describeError, type Emitter, type TokenManagerEvents } from './events.js'
import { backoffMs, isTransient, retryAfterMs, type RetryPolicy } from './retry.js'
import type { StoredToken, TokenStore, TokenStoreLock } from './store.js'

/** Why a refresh runs: no servable token, refresh-ahead in the background, or the caller asked for a new one. */
export type FlightReason = 'miss' | 'ahead' | 'forced'

/** What the caller that started a refresh gave. */
export interface FlightContext {
  config: Configuration
  grantType: string
  parameters: GrantParameters | (() => GrantParameters | Promise<GrantParameters>) | undefined
  DPoP: DPoPHandle | undefined
  jkt: string | undefined
  minValidityMs: number
  onRefreshToken:
    ((refreshToken: string, response: TokenEndpointResponse) => void | Promise<void>) | undefined
}

export interface FlightDeps {
  cache: Lru<Entry>
  emitter: Emitter
  store: TokenStore | undefined
  retry: RetryPolicy
  defaultLifetimeMs: number
  storeTimeoutMs: number
  lockLeaseMs: number
  retentionMs: number
  isClosed: () => boolean
  closedError: () => Error
}

/** The code of a store's refusal of one entry (grantline/redis, D52): a miss, not a store failure. */
const ENTRY_REJECTED = 'OAUTH_STORE_ENTRY_REJECTED'
/** After a store failure, the store is left alone for this long (ms). */
const STORE_PAUSE_MS = 1_000
/** The longest a store entry is kept (ms): 365 days. */
const MAX_STORE_TTL_MS = 365 * 86_400_000
/** A waiter re-reads the store at least this often (ms), notification or not. */
const MAX_WAIT_SLICE_MS = 500

type StoreResult<T> = { ok: true; value: T } | { ok: false }

interface FlightState {
  attempts: number
  /** The newest refresh token known (refresh-token grants). */
  refreshToken: string | undefined
  /** Whether the store was re-read after an `invalid_grant`. */
  reread: boolean
}

function withRefreshToken(parameters: GrantParameters | undefined, refreshToken: string): GrantParameters {
  if (parameters instanceof URLSearchParams) {
    const copy = new URLSearchParams(parameters)
    copy.set('refresh_token', refreshToken)
    return copy
  }
  return { ...(parameters as Record<string, string | string[]>), refresh_token: refreshToken }
}

function refreshTokenOf(parameters: GrantParameters | undefined): string | undefined {
  const value =
    parameters instanceof URLSearchParams
      ? parameters.get('refresh_token')
      : (parameters as Record<string, unknown> | undefined)?.['refresh_token']
  return typeof value === 'string' && value !== '' ? value : undefined
}

export class Flights {
  readonly #flights = new Map<string, Promise<Entry>>()
  readonly #deps: FlightDeps
  #storePausedUntil = -Infinity

  constructor(deps: FlightDeps) {
    this.#deps = deps
  }

  /** Pending waits (backoff, lock polling): close() ends them all. */
  readonly #sleeps = new Set<{ timer: ReturnType<typeof setTimeout>; reject: (err: unknown) => void }>()

  /** Waits `ms`, unless close() comes first (it rejects with its error); the timer never holds the process. */
  #sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const pending = {
        timer: setTimeout(
          () => {
            this.#sleeps.delete(pending)
            resolve()
          },
          Math.min(Math.max(0, ms), MAX_TIMER_MS),
        ),
        reject,
      }
      ;(pending.timer as { unref?: () => unknown }).unref?.()
      this.#sleeps.add(pending)
    })
  }

  /** Ends every pending wait with `err`, and forgets every flight (their callers were rejected by the manager). */
  close(err: unknown): void {
    for (const pending of this.#sleeps) {
      clearTimeout(pending.timer)
      pending.reject(err)
    }
    this.#sleeps.clear()
  }

  has(key: string): boolean {
    return this.#flights.has(key)
  }

  get(key: string): Promise<Entry> | undefined {
    return this.#flights.get(key)
  }

  /** Starts the one refresh of `key`; it leaves the map before it settles, so a failure is never shared later. */
  start(key: string, ctx: FlightContext, reason: FlightReason, current: Entry | undefined): Promise<Entry> {
    const flights = this.#flights
    const holder: { promise?: Promise<Entry> } = {}
    const promise = (async () => {
      await undefined
      try {
        return await this.#run(key, ctx, reason, current)
      } finally {
        if (flights.get(key) === holder.promise) flights.delete(key)
      }
    })()
    holder.promise = promise
    this.#flights.set(key, promise)
    promise.catch(() => {})
    return promise
  }

  #emit<E extends keyof TokenManagerEvents>(
    name: E,
    key: string,
    grantType: string,
    fields: Omit<TokenManagerEvents[E], 'key' | 'grantType' | 'time'>,
  ): void {
    const { emitter } = this.#deps
    if (emitter.wants(name)) {
      emitter.emit(name, { key, grantType, time: Date.now(), ...fields } as TokenManagerEvents[E])
    }
  }

  async #run(
    key: string,
    ctx: FlightContext,
    reason: FlightReason,
    current: Entry | undefined,
  ): Promise<Entry> {
    const { cache, isClosed } = this.#deps
    const started = monotonic()
    this.#emit('refresh_started', key, ctx.grantType, { reason })
    const state: FlightState = {
      attempts: 0,
      refreshToken:
        ctx.grantType === 'refresh_token'
          ? (current?.body.refresh_token ??
            cache.peek(key)?.body.refresh_token ??
            refreshTokenOf(ctx.parameters as GrantParameters))
          : undefined,
      reread: false,
    }
    try {
      const { entry, source } = this.#storeUsable()
        ? await this.#viaStore(key, ctx, reason, current, state)
        : { entry: await this.#fetch(key, ctx, state), source: 'server' as const }
      if (!isClosed()) cache.set(key, entry)
      if (source === 'store') {
        this.#emit('cache_hit', key, ctx.grantType, {
          source,
          expiresInMs: remainingMs(entry, Date.now(), monotonic()),
        })
      }
      this.#emit('refresh_done', key, ctx.grantType, {
        durationMs: monotonic() - started,
        source,
        expiresInMs: remainingMs(entry, Date.now(), monotonic()),
        attempts: state.attempts,
      })
      return entry
    } catch (err) {
      this.#emit('refresh_failed', key, ctx.grantType, {
        durationMs: monotonic() - started,
        attempts: state.attempts,
        error: describeError(err),
      })
      throw err
    }
  }

  /** The token endpoint, with retries of transient failures. */
  async #fetch(key: string, ctx: FlightContext, state: FlightState): Promise<Entry> {
    const { retry, isClosed, closedError } = this.#deps
    for (let attempt = 1; ; attempt++) {
      if (isClosed()) throw closedError()
      let parameters = typeof ctx.parameters === 'function' ? await ctx.parameters() : ctx.parameters
      const usedRefreshToken = state.refreshToken
      if (usedRefreshToken !== undefined) parameters = withRefreshToken(parameters, usedRefreshToken)
      const sentAt = Date.now()
      const monoAt = monotonic()
      state.attempts = attempt
      try {
        const response = await genericGrantRequest(
          ctx.config,
          ctx.grantType,
          parameters ?? {},
          ctx.DPoP === undefined ? undefined : { DPoP: ctx.DPoP },
        )
        this.#emit('request', key, ctx.grantType, {
          attempt,
          durationMs: monotonic() - monoAt,
          outcome: 'success',
        })
        return await this.#entryFrom(key, ctx, response, sentAt, monoAt, usedRefreshToken)
      } catch (err) {
        this.#emit('request', key, ctx.grantType, {
          attempt,
          durationMs: monotonic() - monoAt,
          outcome: 'error',
          error: describeError(err),
        })
        if (isClosed()) throw err
        if (
          usedRefreshToken !== undefined &&
          err instanceof ResponseBodyError &&
          err.error === 'invalid_grant' &&
          !state.reread &&
          this.#storeUsable()
        ) {
          // Another instance may have rotated the refresh token: read the store once before giving up.
          state.reread = true
          const read = await this.#storeGet(key, ctx)
          const stored = read.ok ? read.value : undefined
          const storedRefreshToken = stored?.body.refresh_token
          if (
            stored !== undefined &&
            storedRefreshToken !== undefined &&
            storedRefreshToken !== usedRefreshToken
          ) {
            if (remainingMs(stored, Date.now(), monotonic()) > 0) return stored
            state.refreshToken = storedRefreshToken
            attempt--
            continue
          }
          throw err
        }
        if (attempt >= retry.attempts || !isTransient(err, ctx.grantType)) throw err
        let delay = backoffMs(retry, attempt)
        const retryAfter = retryAfterMs(err, Date.now())
        if (retryAfter !== undefined) {
          if (retryAfter > retry.maxRetryAfterMs) throw err
          delay = Math.max(delay, retryAfter)
        }
        this.#emit('retry', key, ctx.grantType, {
          attempt,
          delayMs: delay,
          ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter }),
          error: describeError(err),
        })
        await this.#sleep(delay)
      }
    }
  }

  async #entryFrom(
    key: string,
    ctx: FlightContext,
    response: TokenEndpointResponse & { claims(): unknown },
    sentAt: number,
    monoAt: number,
    usedRefreshToken: string | undefined,
  ): Promise<Entry> {
    const body = { ...response } as TokenEndpointResponse
    let lifetimeMs: number
    if (typeof body.expires_in === 'number') {
      lifetimeMs = body.expires_in * 1000
    } else {
      lifetimeMs = this.#deps.defaultLifetimeMs
      this.#emit('expiry_defaulted', key, ctx.grantType, { lifetimeMs })
    }
    let rotated: string | undefined
    if (usedRefreshToken !== undefined) {
      if (typeof body.refresh_token !== 'string' || body.refresh_token === '') {
        // No new refresh token: the one used stays valid, and the session keeps it.
        ;(body as { refresh_token?: string }).refresh_token = usedRefreshToken
      } else if (body.refresh_token !== usedRefreshToken) {
        rotated = body.refresh_token
      }
    }
    const entry = makeEntry(
      ctx.grantType,
      body,
      response.claims() as Entry['claims'],
      sentAt,
      monoAt,
      lifetimeMs,
      ctx.jkt,
    )
    if (rotated !== undefined) {
      this.#emit('refresh_token_rotated', key, ctx.grantType, {})
      if (ctx.onRefreshToken !== undefined) {
        try {
          await ctx.onRefreshToken(rotated, serve(entry))
        } catch {
          // The application's persistence failing does not take the token away from its callers.
        }
      }
    }
    return entry
  }

  // ---- the store ----

  #storeUsable(): boolean {
    return this.#deps.store !== undefined && monotonic() >= this.#storePausedUntil
  }

  /** One store call with its deadline; a failure or timeout is an event and pauses the store. */
  async #storeCall<T>(
    operation: TokenManagerEvents['store_error']['operation'],
    key: string,
    grantType: string,
    call: () => Promise<T>,
    deadlineMs = this.#deps.storeTimeoutMs,
  ): Promise<StoreResult<T>> {
    // A lock is released even while the store is paused: its holder is done, and the others should not wait
    // out the lease.
    if (operation !== 'release' && !this.#storeUsable()) return { ok: false }
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), Math.min(deadlineMs, MAX_TIMER_MS))
      ;(timer as { unref?: () => unknown }).unref?.()
    })
    try {
      const pending = Promise.resolve().then(call)
      pending.catch(() => {})
      const value = await Promise.race([pending, timeout])
      if (value === 'timeout') {
        this.#storeFailed(operation, key, grantType, true, undefined)
        return { ok: false }
      }
      return { ok: true, value: value as T }
    } catch (err) {
      if ((err as { code?: unknown } | null)?.code === ENTRY_REJECTED) {
        // A tampered or unreadable entry (D52): an event and a miss; the store itself works, so it stays in use.
        this.#emit('store_error', key, grantType, { operation, timedOut: false, error: describeError(err) })
        return { ok: true, value: undefined as T }
      }
      this.#storeFailed(operation, key, grantType, false, err)
      return { ok: false }
    } finally {
      clearTimeout(timer)
    }
  }

  #storeFailed(
    operation: TokenManagerEvents['store_error']['operation'],
    key: string,
    grantType: string,
    timedOut: boolean,
    err: unknown,
  ): void {
    this.#storePausedUntil = monotonic() + STORE_PAUSE_MS
    this.#emit('store_error', key, grantType, {
      operation,
      timedOut,
      ...(err === undefined ? {} : { error: describeError(err) }),
    })
  }

  async #storeGet(key: string, ctx: FlightContext): Promise<StoreResult<Entry | undefined>> {
    const store = this.#deps.store!
    const read = await this.#storeCall('get', key, ctx.grantType, () => store.get(key))
    if (!read.ok) return read
    const entry =
      read.value === undefined
        ? undefined
        : fromStored(read.value, ctx.grantType, ctx.jkt, Date.now(), monotonic())
    return { ok: true, value: entry }
  }

  async #storeSet(key: string, ctx: FlightContext, entry: Entry): Promise<void> {
    const store = this.#deps.store!
    let ttl = entry.expiresAt - Date.now()
    if (entry.body.refresh_token !== undefined) ttl = Math.max(ttl, 0) + this.#deps.retentionMs
    if (!(ttl > 0)) return
    const value: StoredToken = toStored(entry)
    await this.#storeCall('set', key, ctx.grantType, () =>
      store.set(key, value, Math.min(ttl, MAX_STORE_TTL_MS)),
    )
  }

  async #viaStore(
    key: string,
    ctx: FlightContext,
    reason: FlightReason,
    current: Entry | undefined,
    state: FlightState,
  ): Promise<{ entry: Entry; source: 'server' | 'store' }> {
    const { store, lockLeaseMs, isClosed, closedError } = this.#deps
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
      const entry = await this.#fetch(key, ctx, state)
      await this.#storeSet(key, ctx, entry)
      return { entry, source: 'server' as const }
    }
    const asWinner = async (lock: TokenStoreLock) => {
      this.#emit('lock_acquired', key, ctx.grantType, { leaseMs: lockLeaseMs })
      try {
        // The previous holder may have set its token just before we took the lock.
        const again = await this.#storeGet(key, ctx)
        if (again.ok) {
          learn(again.value)
          if (acceptable(again.value)) return { entry: again.value, source: 'store' as const }
        }
        return await direct()
      } finally {
        await this.#storeCall('release', key, ctx.grantType, () => lock.release())
      }
    }

    const first = await this.#storeGet(key, ctx)
    if (!first.ok) return direct()
    learn(first.value)
    // A forced refresh wants a token newer than what it finds, here or in the store.
    if (reason === 'forced' && replaced === undefined && first.value !== undefined) replaced = first.value
    if (acceptable(first.value)) return { entry: first.value, source: 'store' }

    const taken = await this.#storeCall('acquire', key, ctx.grantType, () => store!.acquire(key, lockLeaseMs))
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
        this.#emit('lock_waited', key, ctx.grantType, { durationMs: waited, outcome: 'gave_up' })
        return direct()
      }
      const untilLease = lockLeaseMs - waited
      const wait = Math.max(
        1,
        Math.min(slice, MAX_WAIT_SLICE_MS, untilLease > 0 ? untilLease : MAX_WAIT_SLICE_MS),
      )
      let retry = true
      if (store!.waitForChange !== undefined) {
        const waitForChange = store!.waitForChange.bind(store)
        const before = monotonic()
        const woke = await this.#storeCall(
          'waitForChange',
          key,
          ctx.grantType,
          () => waitForChange(key, wait),
          wait + this.#deps.storeTimeoutMs,
        )
        if (!woke.ok) return direct()
        // A release announced before this wait began is missed: the long slices try the lock anyway.
        retry =
          monotonic() - before < wait - 1 ||
          wait >= MAX_WAIT_SLICE_MS ||
          monotonic() - waitStart >= lockLeaseMs
      } else {
        await this.#sleep(wait)
      }
      slice = Math.min(slice * 2, MAX_WAIT_SLICE_MS)
      const read = await this.#storeGet(key, ctx)
      if (!read.ok) return direct()
      learn(read.value)
      if (acceptable(read.value)) {
        this.#emit('lock_waited', key, ctx.grantType, {
          durationMs: monotonic() - waitStart,
          outcome: 'stored',
        })
        return { entry: read.value, source: 'store' }
      }
      if (!retry) continue
      const retaken = await this.#storeCall('acquire', key, ctx.grantType, () =>
        store!.acquire(key, lockLeaseMs),
      )
      if (!retaken.ok) return direct()
      if (retaken.value !== undefined) {
        this.#emit('lock_waited', key, ctx.grantType, {
          durationMs: monotonic() - waitStart,
          outcome: 'takeover',
        })
        return asWinner(retaken.value)
      }
    }
  }

  /** Marks every cached entry holding `accessToken` invalid, and drops it from the store. */
  async invalidate(accessToken: string): Promise<void> {
    const { cache, store } = this.#deps
    const keys: [string, Entry][] = []
    for (const [key, entry] of cache.entries()) {
      if (!entry.invalid && entry.body.access_token === accessToken) {
        entry.invalid = true
        keys.push([key, entry])
        this.#emit('invalidated', key, entry.grantType, {})
      }
    }
    if (store === undefined) return
    for (const [key, entry] of keys) {
      const ctx = { grantType: entry.grantType, jkt: entry.jkt } as FlightContext
      const read = await this.#storeGet(key, ctx)
      if (!read.ok || read.value?.body.access_token !== accessToken) continue
      if (read.value.body.refresh_token !== undefined) {
        // Keep the session's refresh token; only the access token goes.
        const stored = toStored(read.value)
        stored.expiresAt = stored.obtainedAt
        await this.#storeCall('set', key, entry.grantType, () =>
          store.set(key, stored, this.#deps.retentionMs),
        )
      } else {
        await this.#storeCall('delete', key, entry.grantType, () => store.delete(key))
      }
    }
  }
}
