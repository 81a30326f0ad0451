/**
 * The token manager's second-level store: the interface a shared store (grantline/redis) implements, and an
 * in-memory implementation that keeps the same lock protocol inside one process (DECISIONS D45).
 */
import type { JsonValue } from '../types.js'
import { argError } from '../internal/assert.js'
import { Waiters } from '../internal/waiters.js'

/** One cached token as a store keeps it. */
export interface StoredToken {
  /**
   * The token endpoint response's own JSON members (access_token, token_type, expires_in, refresh_token, id_token,
   * scope, issued_token_type, ...).
   */
  response: { [name: string]: JsonValue }
  /** When the request that obtained it was sent (ms since the epoch): the expiry anchor. */
  obtainedAt: number
  /** When it expires (ms since the epoch). */
  expiresAt: number
  /** The ID Token claims, when the response carried one (validated by the instance that fetched it). */
  claims?: { [name: string]: JsonValue }
  /** RFC 7638 thumbprint of the DPoP key the token is bound to. */
  jkt?: string
}

/** A refresh lock held by one owner until it releases it or its lease runs out. */
export interface TokenStoreLock {
  /** The owner's random identity; only this owner's `release()` frees the lock. */
  readonly owner: string
  /** Frees the lock if this owner still holds it; a no-op otherwise (the lease ran out and another took it). */
  release(): Promise<void>
}

/** A second-level cache shared by several managers (processes). Keys are already hashed by the manager. */
export interface TokenStore {
  /** The entry of `key`, or undefined when there is none (or it is unreadable: a tampered or expired entry). */
  get(key: string): Promise<StoredToken | undefined>
  /** Stores `value` under `key` for `ttlMs` milliseconds. */
  set(key: string, value: StoredToken, ttlMs: number): Promise<void>
  /** Removes the entry of `key`. */
  delete(key: string): Promise<void>
  /** Takes the refresh lock of `key` for `leaseMs`; undefined when another owner holds it. */
  acquire(key: string, leaseMs: number): Promise<TokenStoreLock | undefined>
  /**
   * Optional: resolves when `key` was set or deleted or its lock released, or after `timeoutMs`; the manager polls
   * when absent.
   */
  waitForChange?(key: string, timeoutMs: number): Promise<void>
  /** Optional: releases what the store holds (connections it owns, timers). */
  close?(): Promise<void>
}

/** Options of {@link memoryTokenStore}. */
export interface MemoryTokenStoreOptions {
  /** The clock, in ms since the epoch (default `Date.now`); tests pass a fake one. */
  now?: () => number
}

interface Entry {
  value: string
  expiresAt: number
}
interface Lock {
  owner: string
  expiresAt: number
}

function randomOwner(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  let out = ''
  for (const b of bytes) out += b.toString(16).padStart(2, '0')
  return out
}

/**
 * A {@link TokenStore} in this process's memory: entries with a time to live, refresh locks with an owner and a
 * lease, and change notifications. Entries are kept as JSON text, so what a manager reads back is a copy, as it
 * would be from a shared store. Useful to share tokens between several managers of one process, and to test the
 * lock protocol without a server.
 *
 * @param options - `now`: the clock (ms since the epoch), for tests.
 * @returns The store.
 * @example
 * ```ts
 * import { createTokenManager, memoryTokenStore } from 'grantline'
 *
 * const store = memoryTokenStore()
 * const a = createTokenManager({ store })
 * const b = createTokenManager({ store }) // a token fetched by `a` is served by `b`
 * ```
 *
 * @see [D45: the store protocol](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d45)
 */
export function memoryTokenStore(options: MemoryTokenStoreOptions = {}): TokenStore {
  if (typeof options !== 'object' || options === null) throw argError('"options" must be an object')
  const now = options.now ?? Date.now
  if (typeof now !== 'function') throw argError('"options.now" must be a function')
  const entries = new Map<string, Entry>()
  const locks = new Map<string, Lock>()
  const waiters = new Waiters()
  const notify = (key: string) => waiters.wake(key)

  return {
    async get(key) {
      const entry = entries.get(key)
      if (entry === undefined) return undefined
      if (entry.expiresAt <= now()) {
        entries.delete(key)
        return undefined
      }
      return JSON.parse(entry.value) as StoredToken
    },
    async set(key, value, ttlMs) {
      entries.set(key, { value: JSON.stringify(value), expiresAt: now() + Math.max(0, ttlMs) })
      notify(key)
    },
    async delete(key) {
      entries.delete(key)
      notify(key)
    },
    async acquire(key, leaseMs) {
      const held = locks.get(key)
      const at = now()
      if (held !== undefined && held.expiresAt > at) return undefined
      const lock: Lock = { owner: randomOwner(), expiresAt: at + Math.max(1, leaseMs) }
      locks.set(key, lock)
      return {
        owner: lock.owner,
        async release() {
          // Only the owner frees the lock, and only while it is still its own (not taken over after the lease).
          if (locks.get(key)?.owner === lock.owner) {
            locks.delete(key)
            // Waiters learn that the holder is done, with or without a token.
            notify(key)
          }
        },
      }
    },
    waitForChange(key, timeoutMs) {
      return waiters.wait(key, timeoutMs)
    },
    async close() {
      entries.clear()
      locks.clear()
      waiters.wakeAll()
    },
  }
}
