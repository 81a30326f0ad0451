/**
 * The manager's side of a {@link TokenStore} (DECISIONS D48): every call with a deadline; a failure or a timeout
 * is a `store_error` event and leaves the store alone for a second (the manager goes on in its own process); a
 * store's refusal of one entry is a miss; entries are checked as they are read (D45).
 */
import { MAX_TIMER_MS } from '../internal/time.js'
import { fromStored, monotonic, toStored, type Entry } from './cache.js'
import { describeError, type Emit, type TokenManagerEvents } from './events.js'
import type { StoredToken, TokenStore } from './store.js'

/** The code of a store's refusal of one entry (grantline/redis, D52): a miss, not a store failure. */
const ENTRY_REJECTED = 'OAUTH_STORE_ENTRY_REJECTED'
/** After a store failure, the store is left alone for this long (ms). */
const STORE_PAUSE_MS = 1_000
/** The longest a store entry is kept (ms): 365 days. */
const MAX_STORE_TTL_MS = 365 * 86_400_000

export type StoreResult<T> = { ok: true; value: T } | { ok: false }

export class StoreLink {
  readonly store: TokenStore
  readonly #emit: Emit
  readonly #timeoutMs: number
  readonly #retentionMs: number
  #pausedUntil = -Infinity

  constructor(store: TokenStore, emit: Emit, timeoutMs: number, retentionMs: number) {
    this.store = store
    this.#emit = emit
    this.#timeoutMs = timeoutMs
    this.#retentionMs = retentionMs
  }

  /** Whether the store is in use (not paused after a failure). */
  usable(): boolean {
    return monotonic() >= this.#pausedUntil
  }

  /** One store call with its deadline; a failure or timeout is an event and pauses the store. */
  async call<T>(
    operation: TokenManagerEvents['store_error']['operation'],
    key: string,
    grantType: string,
    call: () => Promise<T>,
    deadlineMs = this.#timeoutMs,
  ): Promise<StoreResult<T>> {
    // A lock is released even while the store is paused: its holder is done, and the others should not wait
    // out the lease.
    if (operation !== 'release' && !this.usable()) return { ok: false }
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
        this.#failed(operation, key, grantType, true, undefined)
        return { ok: false }
      }
      return { ok: true, value: value as T }
    } catch (err) {
      if ((err as { code?: unknown } | null)?.code === ENTRY_REJECTED) {
        // A tampered or unreadable entry (D52): an event and a miss; the store itself works, so it stays in use.
        this.#emit('store_error', key, grantType, { operation, timedOut: false, error: describeError(err) })
        return { ok: true, value: undefined as T }
      }
      this.#failed(operation, key, grantType, false, err)
      return { ok: false }
    } finally {
      clearTimeout(timer)
    }
  }

  #failed(
    operation: TokenManagerEvents['store_error']['operation'],
    key: string,
    grantType: string,
    timedOut: boolean,
    err: unknown,
  ): void {
    this.#pausedUntil = monotonic() + STORE_PAUSE_MS
    this.#emit('store_error', key, grantType, {
      operation,
      timedOut,
      ...(err === undefined ? {} : { error: describeError(err) }),
    })
  }

  async get(
    key: string,
    grantType: string,
    jkt: string | undefined,
  ): Promise<StoreResult<Entry | undefined>> {
    const store = this.store
    const read = await this.call('get', key, grantType, () => store.get(key))
    if (!read.ok) return read
    const entry =
      read.value === undefined ? undefined : fromStored(read.value, grantType, jkt, Date.now(), monotonic())
    return { ok: true, value: entry }
  }

  async set(key: string, entry: Entry): Promise<void> {
    const store = this.store
    let ttl = entry.expiresAt - Date.now()
    if (entry.body.refresh_token !== undefined) ttl = Math.max(ttl, 0) + this.#retentionMs
    if (!(ttl > 0)) return
    const value: StoredToken = toStored(entry)
    await this.call('set', key, entry.grantType, () => store.set(key, value, Math.min(ttl, MAX_STORE_TTL_MS)))
  }
}
