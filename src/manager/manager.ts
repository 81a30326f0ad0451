/**
 * The token manager (issue 11): cached, refreshed-ahead, single-flight tokens for any grant, optionally shared
 * through a {@link TokenStore}. Every token call goes through the public `genericGrantRequest`.
 */
import { Configuration } from '../configuration.js'
import { ClientError } from '../errors.js'
import { raceAbort } from '../http/send.js'
import { argError, isPlainObject } from '../internal/assert.js'
import type {
  DPoPHandle,
  DPoPOptions,
  GrantParameters,
  TokenEndpointResponse,
  TokenEndpointResponseHelpers,
} from '../types.js'
import { Lru } from '../internal/lru.js'
import { dueForRefresh, monotonic, remainingMs, serve, type Entry } from './cache.js'
import { Emitter, type TokenManagerEventName, type TokenManagerListener } from './events.js'
import { Flights, type FlightContext } from './flight.js'
import { cacheKeyOf, configPrefix } from './key.js'
import { DEFAULT_RETRY, type RetryOptions, type RetryPolicy } from './retry.js'
import type { TokenStore } from './store.js'

/** The `code` of the error a closed manager rejects every call with. */
export const MANAGER_CLOSED = 'OAUTH_MANAGER_CLOSED'

/** Grants whose codes are single-use: the manager refuses them (DECISIONS D39). */
const NEVER_CACHED = new Set([
  'authorization_code',
  'urn:ietf:params:oauth:grant-type:device_code',
  'urn:openid:params:grant-type:ciba',
])

/** Options of {@link createTokenManager}. */
export interface TokenManagerOptions {
  /** A second-level store shared by several managers or processes (`grantline/redis`, {@link memoryTokenStore}). */
  store?: TokenStore
  /** The most tokens kept in memory (least recently used first out; default 1,000). */
  maxEntries?: number
  /** The lifetime, in seconds, of a token whose response has no `expires_in` (default 60). */
  defaultExpiresIn?: number
  /** Retries of transient failures; `false` for none. */
  retry?: RetryOptions | false
  /** The deadline of every store call, in ms (default 250). */
  storeTimeoutMs?: number
  /** How long the store's refresh lock is held at most, in ms (default 60,000: twice the default 30 s timeout). */
  lockLeaseMs?: number
  /** How long a store keeps a refresh-token session past its access token's expiry, in seconds (default 14 days). */
  refreshTokenRetention?: number
}

/** Options of {@link TokenManager.get}: `genericGrantRequest`'s, and the manager's own. */
export interface TokenManagerGetOptions extends DPoPOptions {
  /** Aborts this caller's wait only (it rejects with the signal's reason); a shared request goes on. */
  signal?: AbortSignal
  /** Fetch a new token even if a cached one is valid (callers at the same time share that one request). */
  forceRefresh?: boolean
  /** Seconds the served token must still be valid for (default 0); a fresh token is served whatever its life. */
  minValidity?: number
  /**
   * The cache identity of a call whose parameters change every time (a freshly signed assertion): it replaces
   * the parameters in the key. With it, `parameters` may be a function, called only when a request is sent.
   */
  cacheKey?: string
  /**
   * Refresh-token grant: called with the new refresh token when the server rotates it, before the token is
   * served, so that the application can persist it. A rejection or throw is ignored.
   */
  onRefreshToken?: (refreshToken: string, response: TokenEndpointResponse) => void | Promise<void>
}

/** Parameters, or (with `cacheKey`) a function that makes them for each request sent. */
export type ManagedGrantParameters = GrantParameters | (() => GrantParameters | Promise<GrantParameters>)

/** A token manager: see {@link createTokenManager}. */
export interface TokenManager {
  /**
   * A token for this grant, from the cache while it is valid (refreshed ahead of its expiry in the background),
   * otherwise from one request shared by every concurrent caller with the same key.
   *
   * @param config - The client's Configuration.
   * @param grantType - Any grant type but `authorization_code`, device code and CIBA.
   * @param parameters - As for `genericGrantRequest`; with `options.cacheKey`, may be a function.
   * @param options - `DPoP`, `signal`, `forceRefresh`, `minValidity`, `cacheKey`, `onRefreshToken`.
   * @returns The validated token response with `claims()` and `expiresIn()`.
   * @example
   * ```ts
   * let manager!: client.TokenManager
   * let config!: client.Configuration
   *
   * const tokens = await manager.get(config, 'client_credentials', { scope: 'api:read' })
   * await fetch('https://api.example.com/accounts', { headers: { authorization: `Bearer ${tokens.access_token}` } })
   * ```
   */
  get(
    config: Configuration,
    grantType: string,
    parameters?: ManagedGrantParameters,
    options?: TokenManagerGetOptions,
  ): Promise<TokenEndpointResponse & TokenEndpointResponseHelpers>
  /**
   * Drops a token (a response or an access-token string), e.g. after a 401 from an API, here and in the store;
   * the next `get` fetches a new one. A token already replaced is left alone, so N concurrent 401s of one token
   * cause one refresh.
   *
   * @param token - The response `get` returned, or its `access_token`.
   * @returns Resolves when the store has been updated too.
   * @example
   * ```ts
   * let manager!: client.TokenManager
   * let config!: client.Configuration
   *
   * const tokens = await manager.get(config, 'client_credentials')
   * const res = await fetch('https://api.example.com/accounts', {
   *   headers: { authorization: `Bearer ${tokens.access_token}` },
   * })
   * if (res.status === 401) await manager.invalidate(tokens)
   * ```
   */
  invalidate(token: TokenEndpointResponse | string): Promise<void>
  /**
   * Registers a listener for one event; returns the function that removes it.
   *
   * @param event - The event's name (`request`, `cache_hit`, `cache_miss`, `refresh_started`, `refresh_done`,
   *   `refresh_failed`, `retry`, `lock_acquired`, `lock_waited`, `store_error`, `expiry_defaulted`,
   *   `refresh_token_rotated`, `invalidated`).
   * @param listener - Called with the event.
   * @returns The unsubscribe function.
   * @example
   * ```ts
   * let manager!: client.TokenManager
   *
   * const off = manager.on('refresh_failed', (e) => console.warn('token refresh failed', e.key, e.error.code))
   * // later
   * off()
   * ```
   */
  on<E extends TokenManagerEventName>(event: E, listener: TokenManagerListener<E>): () => void
  /**
   * Releases the manager's timers and cached tokens; waiting callers and later calls reject with a
   * `ClientError` of code `OAUTH_MANAGER_CLOSED`. The store is the application's and stays open.
   *
   * @returns Resolves once closed.
   * @example
   * ```ts
   * let manager!: client.TokenManager
   *
   * process.on('SIGTERM', () => void manager.close())
   * ```
   */
  close(): Promise<void>
}

function closedError(): ClientError {
  return new ClientError('the token manager is closed', { code: MANAGER_CLOSED })
}

function readNumber(value: unknown, name: string, fallback: number, min: number, integer = false): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number') throw argError(`"${name}" must be a number`)
  if (!(value >= min) || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw argError(
      `"${name}" must be a${integer ? 'n integer' : ' number'} of at least ${min}`,
      'ERR_INVALID_ARG_VALUE',
    )
  }
  return value
}

function readRetry(value: unknown): RetryPolicy {
  if (value === false) return { ...DEFAULT_RETRY, attempts: 1 }
  if (value === undefined) return DEFAULT_RETRY
  if (!isPlainObject(value)) throw argError('"options.retry" must be an object or false')
  return {
    attempts: readNumber(value['attempts'], 'options.retry.attempts', DEFAULT_RETRY.attempts, 1, true),
    baseDelayMs: readNumber(value['baseDelayMs'], 'options.retry.baseDelayMs', DEFAULT_RETRY.baseDelayMs, 0),
    maxDelayMs: readNumber(value['maxDelayMs'], 'options.retry.maxDelayMs', DEFAULT_RETRY.maxDelayMs, 0),
    maxRetryAfterMs: readNumber(
      value['maxRetryAfterMs'],
      'options.retry.maxRetryAfterMs',
      DEFAULT_RETRY.maxRetryAfterMs,
      0,
    ),
  }
}

function checkStore(store: unknown): TokenStore | undefined {
  if (store === undefined) return undefined
  const s = store as Partial<TokenStore>
  if (
    typeof s !== 'object' ||
    s === null ||
    typeof s.get !== 'function' ||
    typeof s.set !== 'function' ||
    typeof s.delete !== 'function' ||
    typeof s.acquire !== 'function'
  ) {
    throw argError('"options.store" must be a TokenStore (get, set, delete, acquire)')
  }
  return s as TokenStore
}

/** DPoP thumbprints already computed, so that a cache hit does not await one. */
const thumbprints = new WeakMap<DPoPHandle, string>()

async function thumbprintOf(handle: DPoPHandle): Promise<string> {
  let jkt = thumbprints.get(handle)
  if (jkt === undefined) {
    jkt = await handle.calculateThumbprint()
    thumbprints.set(handle, jkt)
  }
  return jkt
}

/**
 * Creates a token manager: cached, refreshed-ahead, single-flight tokens for any grant (client credentials,
 * token exchange, JWT bearer, refresh token sessions, extension grants), with retries of transient failures and,
 * given a `store`, shared by every instance of a fleet with one refresh at a time per key.
 *
 * @param options - `store`, `maxEntries` (1,000), `defaultExpiresIn` (60 s), `retry`, `storeTimeoutMs` (250),
 *   `lockLeaseMs` (60,000), `refreshTokenRetention` (14 days).
 * @returns The manager.
 * @example
 * ```ts
 * import * as client from 'grantline'
 *
 * let config!: client.Configuration
 * let incomingAccessToken!: string
 *
 * const manager = client.createTokenManager()
 * const tokens = await manager.get(config, 'urn:ietf:params:oauth:grant-type:token-exchange', {
 *   subject_token: incomingAccessToken,
 *   subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
 *   audience: 'https://api.example.com',
 * })
 * ```
 *
 * @see [D38: the token manager](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d38)
 * @see [D39: the cache key](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d39)
 * @see [D41: refresh ahead](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d41)
 * @see [D42: retries](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d42)
 * @see [D43: single flight](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d43)
 * @see [D40: expiry](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d40)
 * @see [D44: refresh-token sessions](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d44)
 * @see [D46: events](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d46)
 * @see [D47: memory](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d47)
 * @see [D48: store calls](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d48)
 * @see [D49: invalidate](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d49)
 */
export function createTokenManager(options: TokenManagerOptions = {}): TokenManager {
  if (!isPlainObject(options)) throw argError('"options" must be an object')
  const store = checkStore(options.store)
  const maxEntries = readNumber(options.maxEntries, 'options.maxEntries', 1000, 1, true)
  const defaultLifetimeMs = readNumber(options.defaultExpiresIn, 'options.defaultExpiresIn', 60, 0) * 1000
  const retry = readRetry(options.retry)
  const storeTimeoutMs = readNumber(options.storeTimeoutMs, 'options.storeTimeoutMs', 250, 1)
  const lockLeaseMs = readNumber(options.lockLeaseMs, 'options.lockLeaseMs', 60_000, 1)
  const retentionMs =
    readNumber(options.refreshTokenRetention, 'options.refreshTokenRetention', 14 * 86_400, 0) * 1000

  const emitter = new Emitter()
  const cache = new Lru<Entry>(maxEntries)
  const waiting = new Set<(err: unknown) => void>()
  let closed = false

  const flights = new Flights({
    cache,
    emitter,
    store,
    retry,
    defaultLifetimeMs,
    storeTimeoutMs,
    lockLeaseMs,
    retentionMs,
    isClosed: () => closed,
    closedError,
  })

  /** Waits for a shared flight, for this caller's signal, or for close(), whichever comes first. */
  function wait(promise: Promise<Entry>, signal: AbortSignal | undefined): Promise<Entry> {
    return new Promise<Entry>((resolve, reject) => {
      waiting.add(reject)
      // The caller's own signal rejects this caller only (as fetch does); the shared flight goes on.
      const settled = signal === undefined ? promise : raceAbort(promise, signal)
      settled.then(
        (entry) => {
          waiting.delete(reject)
          resolve(entry)
        },
        (err: unknown) => {
          waiting.delete(reject)
          reject(err)
        },
      )
    })
  }

  async function get(
    config: Configuration,
    grantType: string,
    parameters?: ManagedGrantParameters,
    getOptions: TokenManagerGetOptions = {},
  ): Promise<TokenEndpointResponse & TokenEndpointResponseHelpers> {
    if (closed) throw closedError()
    if (!(config instanceof Configuration)) throw argError('"config" must be an instance of Configuration')
    if (typeof grantType !== 'string') throw argError('"grantType" must be a string')
    if (grantType.length === 0) throw argError('"grantType" must not be empty', 'ERR_INVALID_ARG_VALUE')
    if (NEVER_CACHED.has(grantType)) {
      throw argError(
        `the token manager does not manage ${grantType} grants: their codes are single-use`,
        'ERR_INVALID_ARG_VALUE',
      )
    }
    if (typeof getOptions !== 'object' || getOptions === null) throw argError('"options" must be an object')
    const { DPoP, signal, forceRefresh, cacheKey, onRefreshToken } = getOptions
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw argError('"options.signal" must be an AbortSignal')
    }
    if (forceRefresh !== undefined && typeof forceRefresh !== 'boolean') {
      throw argError('"options.forceRefresh" must be a boolean')
    }
    const minValidityMs = readNumber(getOptions.minValidity, 'options.minValidity', 0, 0) * 1000
    if (cacheKey !== undefined) {
      if (typeof cacheKey !== 'string') throw argError('"options.cacheKey" must be a string')
      if (cacheKey.length === 0)
        throw argError('"options.cacheKey" must not be empty', 'ERR_INVALID_ARG_VALUE')
    }
    if (onRefreshToken !== undefined && typeof onRefreshToken !== 'function') {
      throw argError('"options.onRefreshToken" must be a function')
    }
    if (typeof parameters === 'function') {
      if (cacheKey === undefined) {
        throw argError('"parameters" may be a function only with "options.cacheKey"', 'ERR_INVALID_ARG_VALUE')
      }
    } else if (
      parameters !== undefined &&
      !(parameters instanceof URLSearchParams) &&
      !isPlainObject(parameters)
    ) {
      throw argError('"parameters" must be an object or a URLSearchParams')
    }
    if (grantType === 'refresh_token' && typeof parameters !== 'function') {
      const rt =
        parameters instanceof URLSearchParams
          ? parameters.get('refresh_token')
          : parameters?.['refresh_token']
      if (typeof rt !== 'string' || rt.length === 0) {
        throw argError('a refresh_token grant needs a "refresh_token" parameter', 'ERR_INVALID_ARG_VALUE')
      }
    }
    if (DPoP !== undefined && (typeof DPoP !== 'object' || DPoP === null)) {
      throw argError('"options.DPoP" must be a DPoP handle')
    }
    if (signal?.aborted) throw signal.reason

    const jkt = DPoP === undefined ? undefined : (thumbprints.get(DPoP) ?? (await thumbprintOf(DPoP)))
    const key = cacheKeyOf(
      configPrefix(config),
      grantType,
      typeof parameters === 'function' ? undefined : parameters,
      jkt,
      cacheKey,
    )

    const entry = cache.get(key)
    const now = Date.now()
    const mono = monotonic()
    if (entry !== undefined && !entry.invalid && forceRefresh !== true) {
      const remaining = remainingMs(entry, now, mono)
      if (remaining > 0 && remaining >= minValidityMs) {
        if (dueForRefresh(entry, now, mono) && !flights.has(key)) {
          // Served now; one background refresh replaces it. Its failure is an event, not the caller's.
          flights.start(key, context(), 'ahead', entry).catch(() => {})
        }
        if (emitter.wants('cache_hit')) {
          emitter.emit('cache_hit', { key, grantType, time: now, source: 'memory', expiresInMs: remaining })
        }
        return serve(entry)
      }
    }

    if (emitter.wants('cache_miss')) {
      const reason =
        forceRefresh === true
          ? 'forced'
          : entry === undefined || entry.invalid
            ? 'absent'
            : remainingMs(entry, now, mono) > 0
              ? 'min_validity'
              : 'expired'
      emitter.emit('cache_miss', { key, grantType, time: now, reason })
    }
    // Whatever flight is under way yields a token fetched after this call began: join it.
    const promise =
      flights.get(key) ?? flights.start(key, context(), forceRefresh === true ? 'forced' : 'miss', entry)
    const fresh = await wait(promise, signal)
    return serve(fresh)

    function context(): FlightContext {
      return {
        config,
        grantType,
        parameters,
        DPoP,
        jkt,
        minValidityMs,
        onRefreshToken,
      }
    }
  }

  async function invalidate(token: TokenEndpointResponse | string): Promise<void> {
    if (closed) throw closedError()
    const accessToken =
      typeof token === 'string'
        ? token
        : typeof token === 'object' && token !== null
          ? token.access_token
          : undefined
    if (typeof accessToken !== 'string' || accessToken.length === 0) {
      throw argError('"token" must be a token endpoint response or an access token string')
    }
    await flights.invalidate(accessToken)
  }

  async function close(): Promise<void> {
    if (closed) return
    closed = true
    flights.close(closedError())
    const err = closedError()
    for (const reject of waiting) reject(err)
    waiting.clear()
    cache.clear()
  }

  return {
    get,
    invalidate,
    on(event, listener) {
      if (typeof event !== 'string') throw argError('"event" must be a string')
      if (typeof listener !== 'function') throw argError('"listener" must be a function')
      return emitter.on(event, listener)
    },
    close,
  }
}
