// redisTokenStore: the token manager's shared store on a node-redis client the user owns (issue 11, D50-D59).

import { randomBytes } from 'node:crypto'
import type { StoredToken, TokenStore, TokenStoreLock } from '../manager/store.js'
import { argError } from '../internal/assert.js'
import { Waiters } from '../internal/waiters.js'
import { ClientError } from '../errors.js'
import { sealer, type RedisEncryptionKey, type RejectReason } from './envelope.js'

/**
 * What the store needs of a node-redis client (`createClient()` from `redis`, v5 or later; v4 works without
 * command timeouts): `sendCommand` for every command, `duplicate` for the one connection it opens itself to
 * subscribe to change notifications. Typed by shape, so grantline never loads `redis` itself.
 */
export interface RedisClientLike {
  /** Sends one command (node-redis `client.sendCommand`); `timeout` in milliseconds. */
  sendCommand(args: string[], options?: { timeout?: number }): Promise<unknown>
  /** A new connection with the same options, for the change notifications (`SUBSCRIBE`). */
  duplicate?(): RedisSubscriberLike
}

/** The duplicated connection the store subscribes on. */
export interface RedisSubscriberLike {
  /** Opens the connection. */
  connect(): Promise<unknown>
  /** Subscribes to a channel. */
  subscribe(channel: string, listener: (message: string, channel: string) => void): Promise<unknown>
  /** Listens to the connection's events (`error`, ...). */
  on(event: string, listener: (...args: any[]) => void): unknown
  /** Closes the connection (node-redis 5 and later). */
  close?(): Promise<unknown>
  /** Closes the connection (older node-redis). */
  quit?(): Promise<unknown>
  /** Closes the connection at once. */
  destroy?(): unknown
  /** Lets the process exit while the connection is open. */
  unref?(): unknown
}

/** Something the store noticed that the application (or the manager) may want to know. Never carries a token. */
export type RedisTokenStoreEvent =
  | {
      type: 'entry_rejected'
      /** The manager's key (already a hash of the cache key). */
      key: string
      reason: RejectReason
    }
  | {
      /** The notification connection failed; waits fall back to their timeout until it is back. */
      type: 'subscriber_error'
      error: unknown
    }
  | {
      /** The notification connection listens (once, when it first subscribed). */
      type: 'subscribed'
    }

/** Options of {@link redisTokenStore}. */
export interface RedisTokenStoreOptions {
  /**
   * Required. `{ keys: [{ id, key }, ...] }`: entries are sealed with AES-256-GCM under the first key, and any
   * listed key opens them (rotate by putting a new key first and keeping the old one until its entries expired).
   * `false` stores tokens in clear, readable by anyone who can read Redis or its backups: don't.
   */
  encryption: { keys: RedisEncryptionKey[] } | false
  /** Prefix of every Redis key and channel the store uses (default `grantline:`). */
  prefix?: string
  /**
   * Milliseconds after which a command still waiting (queued while Redis is away, or unanswered) is dropped from
   * the client's queue (default 1000; 0 for none). The manager gives up on the store sooner; this only keeps
   * commands from piling up in the client.
   */
  commandTimeout?: number
  /**
   * Whether waits for another instance's refresh listen for a change notification (Redis pub/sub, on a
   * connection the store duplicates from the client; default true) or leave the manager to poll (false).
   */
  notifications?: boolean
  /** Called with every {@link RedisTokenStoreEvent}; exceptions it throws are ignored. */
  onEvent?: (event: RedisTokenStoreEvent) => void
}

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  if ARGV[2] ~= '' then redis.call('PUBLISH', ARGV[2], ARGV[3]) end
  return 1
end
return 0`

const SET = `redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
if ARGV[3] ~= '' then redis.call('PUBLISH', ARGV[3], ARGV[4]) end
return 1`

const DELETE = `redis.call('DEL', KEYS[1])
if ARGV[1] ~= '' then redis.call('PUBLISH', ARGV[1], ARGV[2]) end
return 1`

const DELETE_IF_SAME = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`

/** The `code` of the error `get` rejects with when an entry is not used (tampered, unknown key id, malformed...). */
export const STORE_ENTRY_REJECTED = 'OAUTH_STORE_ENTRY_REJECTED'

/** Redis refuses PX beyond this (it adds the current time in ms to it as a signed 64-bit number). */
const MAX_PX = Number.MAX_SAFE_INTEGER - Date.UTC(3000, 0)

/**
 * A {@link TokenStore} on Redis, for `createTokenManager({ store })`: every instance of a service shares one
 * token per key, and one instance at a time refreshes it.
 *
 * - Entries: `<prefix><key>`, JSON sealed with AES-256-GCM (associated data: the Redis key, so an entry copied to
 *   another key does not open), with a time to live (`PX`). An entry that does not open, names an unknown key id,
 *   is not what this store writes, or is plaintext while the store encrypts, is never served: `get` rejects with
 *   `ClientError` `OAUTH_STORE_ENTRY_REJECTED` (and `onEvent` gets `entry_rejected` with the reason), which the
 *   manager reports as `store_error` and treats as a miss; a tampered, malformed or plaintext entry is also
 *   deleted, so that the next reader finds a plain miss.
 * - Refresh locks: `SET <prefix>lock:<key> <owner> NX PX <lease>`, a random owner per acquisition, released by a
 *   script that deletes the lock only while it still holds that owner.
 * - Waiting: `set`, `delete` and a lock's release publish the key on `<prefix>changed`; `waitForChange`
 *   listens there on one connection duplicated from the client (opened on first need, closed by `close()`).
 *
 * The client stays the caller's: the store never connects or quits it. Create it with
 * `disableOfflineQueue: true` so that commands fail at once while Redis is unreachable (the manager then serves
 * from its own memory and emits `store_error`).
 *
 * @param client - A connected node-redis client (`createClient()` from `redis`).
 * @param options - `encryption` (required: keys, or `false`), `prefix`, `commandTimeout`, `notifications`,
 *   `onEvent`.
 * @returns The store.
 * @example
 * ```ts
 * import { createClient } from 'redis'
 * import { createTokenManager } from 'grantline'
 * import { redisTokenStore } from 'grantline/redis'
 *
 * const client = createClient({ url: process.env.REDIS_URL, disableOfflineQueue: true })
 * client.on('error', (err) => console.warn('redis', err.message))
 * await client.connect()
 * const store = redisTokenStore(client, {
 *   encryption: { keys: [{ id: '2026-12', key: process.env.TOKEN_KEY! }] }, // 32 bytes, base64url
 * })
 * const manager = createTokenManager({ store })
 * ```
 *
 * @see [D50: grantline/redis](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d50)
 * @see [D51: tokens are encrypted unless you opt out](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d51)
 * @see [D52: entries the store will not use](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d52)
 * @see [D53: the layout in Redis](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d53)
 * @see [D54: waiting by pub/sub](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d54)
 * @see [D55: Redis down or slow degrades, never fails a call](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d55)
 */
export function redisTokenStore(client: RedisClientLike, options: RedisTokenStoreOptions): TokenStore {
  if (typeof client !== 'object' || client === null || typeof client.sendCommand !== 'function')
    throw argError(
      '"client" must be a node-redis client (createClient() from "redis")',
      'ERR_INVALID_ARG_TYPE',
    )
  if (typeof options !== 'object' || options === null)
    throw argError(
      '"options" must be an object with "encryption": keys, or false to store tokens in clear',
      'ERR_INVALID_ARG_TYPE',
    )
  const seal = sealer(options.encryption)
  const prefix = options.prefix ?? 'grantline:'
  if (typeof prefix !== 'string') throw argError('"options.prefix" must be a string', 'ERR_INVALID_ARG_TYPE')
  const commandTimeout = options.commandTimeout ?? 1000
  if (typeof commandTimeout !== 'number')
    throw argError('"options.commandTimeout" must be a number', 'ERR_INVALID_ARG_TYPE')
  if (!(commandTimeout >= 0) || !Number.isSafeInteger(Math.ceil(commandTimeout)))
    throw argError('"options.commandTimeout" must be a non-negative number of ms', 'ERR_INVALID_ARG_VALUE')
  const notifications = options.notifications ?? true
  if (typeof notifications !== 'boolean')
    throw argError('"options.notifications" must be a boolean', 'ERR_INVALID_ARG_TYPE')
  const onEvent = options.onEvent
  if (onEvent !== undefined && typeof onEvent !== 'function')
    throw argError('"options.onEvent" must be a function', 'ERR_INVALID_ARG_TYPE')
  if (notifications && typeof client.duplicate !== 'function')
    throw argError(
      '"client" has no duplicate(): pass a node-redis client, or notifications: false',
      'ERR_INVALID_ARG_TYPE',
    )

  const emit = (event: RedisTokenStoreEvent) => {
    try {
      onEvent?.(event)
    } catch {
      // A listener's failure is not the store's.
    }
  }
  const commandOptions = commandTimeout > 0 ? { timeout: Math.ceil(commandTimeout) } : undefined
  const send = (args: string[]) => client.sendCommand(args, commandOptions)
  const channel = notifications ? `${prefix}changed` : ''
  // The manager's keys are base64url hashes; a ':' could reach a lock (`lock:<key>`) or another prefix's keys.
  const checked = (key: string) => {
    if (typeof key !== 'string' || key === '' || key.includes(':'))
      throw argError('"key" must be a non-empty string without ":"', 'ERR_INVALID_ARG_VALUE')
    return key
  }
  const entryKey = (key: string) => prefix + checked(key)
  const lockKey = (key: string) => `${prefix}lock:${checked(key)}`
  const notifier = notifications ? changeNotifier(client, channel, emit) : undefined

  const store: TokenStore = {
    async get(key) {
      notifier?.reading(key)
      const reply = text(await send(['GET', entryKey(key)]))
      if (reply === undefined) return undefined
      const opened = seal.open(entryKey(key), reply)
      if (typeof opened === 'string') {
        emit({ type: 'entry_rejected', key, reason: opened })
        // An entry nobody with the keys could have written is removed (only if it is still the same bytes), so
        // the next reader sees a plain miss and the fleet's lock protocol resumes. An entry sealed under a key id
        // this instance lacks, or sealed while this one stores in clear, may be good for the rest of the fleet
        // (a key rotation rolling out): it stays.
        if (opened !== 'unknown_key_id' && opened !== 'encrypted')
          await send(['EVAL', DELETE_IF_SAME, '1', entryKey(key), reply]).catch(() => undefined)
        // The manager reports it as `store_error` and treats it as a miss.
        throw rejected(opened)
      }
      return opened
    },
    async set(key, value: StoredToken, ttlMs) {
      const px = Math.min(MAX_PX, Math.max(1, Math.ceil(Number.isFinite(ttlMs) ? ttlMs : MAX_PX)))
      const sealed = seal.seal(entryKey(key), value)
      await send(['EVAL', SET, '1', entryKey(key), sealed, String(px), channel, key])
    },
    async delete(key) {
      await send(['EVAL', DELETE, '1', entryKey(key), channel, key])
    },
    async acquire(key, leaseMs) {
      const owner = randomBytes(16).toString('base64url')
      const px = Math.min(MAX_PX, Math.max(1, Math.ceil(Number.isFinite(leaseMs) ? leaseMs : MAX_PX)))
      const reply = text(await send(['SET', lockKey(key), owner, 'NX', 'PX', String(px)]))
      if (reply !== 'OK') {
        // Someone else refreshes: the manager is about to wait, so have the notification connection ready.
        notifier?.prepare()
        return undefined
      }
      const lock: TokenStoreLock = {
        owner,
        async release() {
          await send(['EVAL', RELEASE, '1', lockKey(key), owner, channel, key])
        },
      }
      return lock
    },
    async close() {
      await notifier?.close()
    },
  }
  if (notifier) store.waitForChange = (key, timeoutMs) => notifier.wait(key, timeoutMs)
  return store
}

/** What `get` rejects with for an entry it will not use: `ClientError`, code `OAUTH_STORE_ENTRY_REJECTED`. */
function rejected(reason: RejectReason): ClientError {
  const err = new ClientError(`token store entry rejected: ${reason}`, { code: STORE_ENTRY_REJECTED })
  Object.defineProperty(err, 'reason', { value: reason, enumerable: true })
  return err
}

function text(reply: unknown): string | undefined {
  if (reply === null || reply === undefined) return undefined
  if (typeof reply === 'string') return reply
  if (reply instanceof Uint8Array)
    return Buffer.from(reply.buffer, reply.byteOffset, reply.byteLength).toString('utf8')
  return String(reply)
}

/** Bound on the per-key bookkeeping (keys read or changed recently); the oldest are forgotten first. */
const MAX_TRACKED = 10_000

/**
 * Change notifications on one subscribed connection. A wait that starts after a change the store already heard
 * of, since the last time the same key was read, returns at once: the manager's read and its wait are two calls,
 * and a change landing between them must not cost a whole timeout.
 */
function changeNotifier(
  client: RedisClientLike,
  channel: string,
  emit: (event: RedisTokenStoreEvent) => void,
) {
  let subscriber: RedisSubscriberLike | undefined
  let ready: Promise<boolean> | undefined
  let closed = false
  let subscribed = false
  let failedAt = -Infinity
  let clock = 0
  const lastRead = new Map<string, number>()
  const lastChange = new Map<string, number>()
  const waiters = new Waiters()

  const remember = (map: Map<string, number>, key: string) => {
    map.delete(key)
    map.set(key, ++clock)
    if (map.size > MAX_TRACKED) map.delete(map.keys().next().value as string)
  }

  const prepare = (): Promise<boolean> => {
    // After a failed start, try again a second later at the earliest (no connection per wait while Redis is away).
    if (closed || (ready === undefined && performance.now() - failedAt < 1_000)) return Promise.resolve(false)
    ready ??= (async () => {
      const connection = client.duplicate!()
      subscriber = connection
      // The application's own client decides whether the process stays up, not this listener.
      connection.unref?.()
      // Without an error listener a failing connection would crash the process.
      connection.on('error', (error: unknown) => emit({ type: 'subscriber_error', error }))
      // After a reconnect, notifications sent while away are lost: every waiter re-reads.
      connection.on('ready', () => {
        if (subscribed) waiters.wakeAll()
      })
      try {
        await connection.connect()
        await connection.subscribe(channel, (key) => {
          remember(lastChange, key)
          waiters.wake(key)
        })
        subscribed = true
        // Changes before the subscription took effect were not heard: let the first waiters re-read.
        waiters.wakeAll()
        emit({ type: 'subscribed' })
        return true
      } catch (error) {
        emit({ type: 'subscriber_error', error })
        subscriber = undefined
        ready = undefined
        failedAt = performance.now()
        void discard(connection)
        return false
      }
    })()
    return ready
  }

  return {
    prepare() {
      void prepare()
    },
    reading(key: string) {
      remember(lastRead, key)
    },
    wait(key: string, timeoutMs: number): Promise<void> {
      if (!closed) void prepare()
      const changed = lastChange.get(key)
      if (changed !== undefined && changed > (lastRead.get(key) ?? 0)) return Promise.resolve()
      return waiters.wait(key, timeoutMs)
    },
    async close() {
      closed = true
      waiters.wakeAll()
      const connection = subscriber
      subscriber = undefined
      ready = undefined
      subscribed = false
      if (connection !== undefined) await discard(connection)
    },
  }
}

/** Closes a connection the store opened: gracefully if Redis answers within a second, else at once. */
async function discard(connection: RedisSubscriberLike): Promise<void> {
  const destroy = () => {
    try {
      connection.destroy?.()
    } catch {
      // already gone
    }
  }
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    const graceful =
      typeof connection.close === 'function'
        ? connection.close()
        : typeof connection.quit === 'function'
          ? connection.quit()
          : undefined
    if (graceful === undefined) return destroy()
    const gaveUp = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), 1000)))
    if ((await Promise.race([graceful, gaveUp])) === 'timeout') destroy()
  } catch {
    destroy()
  } finally {
    clearTimeout(timer)
  }
}
