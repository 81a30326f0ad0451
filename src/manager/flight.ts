/**
 * Single-flight refreshes (DECISIONS D40-D44): one refresh per key at a time in this process, with retries of
 * transient failures and refresh-token sessions; with a store, the refresh runs through the lock protocol of
 * lock.ts, so that one instance of the fleet refreshes a key at a time.
 */
import type { Configuration } from '../configuration.js'
import { ResponseBodyError } from '../errors.js'
import { genericGrantRequest } from '../grants/generic.js'
import { MAX_TIMER_MS } from '../internal/time.js'
import type { DPoPHandle, GrantParameters, TokenEndpointResponse } from '../types.js'
import type { Lru } from '../internal/lru.js'
import { makeEntry, monotonic, remainingMs, serve, toStored, type Entry } from './cache.js'
import { describeError, type Emitter, type TokenManagerEvents } from './events.js'
import { viaStore } from './lock.js'
import { StoreLink } from './store-link.js'
import { backoffMs, isTransient, retryAfterMs, type RetryPolicy } from './retry.js'
import type { TokenStore } from './store.js'

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

export interface FlightState {
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
  readonly #link: StoreLink | undefined

  constructor(deps: FlightDeps) {
    this.#deps = deps
    this.#link =
      deps.store === undefined
        ? undefined
        : new StoreLink(
            deps.store,
            (name, key, grantType, fields) => this.#emit(name, key, grantType, fields),
            deps.storeTimeoutMs,
            deps.retentionMs,
          )
  }

  #storeUsable(): boolean {
    return this.#link !== undefined && this.#link.usable()
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
        ? await viaStore(
            {
              link: this.#link!,
              emit: (name, k, grantType, fields) => this.#emit(name, k, grantType, fields),
              lockLeaseMs: this.#deps.lockLeaseMs,
              storeTimeoutMs: this.#deps.storeTimeoutMs,
              fetch: () => this.#fetch(key, ctx, state),
              sleep: (ms) => this.#sleep(ms),
              isClosed: this.#deps.isClosed,
              closedError: this.#deps.closedError,
            },
            key,
            ctx,
            reason,
            current,
            state,
          )
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
          const read = await this.#link!.get(key, ctx.grantType, ctx.jkt)
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

  /** Marks every cached entry holding `accessToken` invalid, and drops it from the store. */
  async invalidate(accessToken: string): Promise<void> {
    const { cache } = this.#deps
    const link = this.#link
    const keys: [string, Entry][] = []
    for (const [key, entry] of cache.entries()) {
      if (!entry.invalid && entry.body.access_token === accessToken) {
        entry.invalid = true
        keys.push([key, entry])
        this.#emit('invalidated', key, entry.grantType, {})
      }
    }
    if (link === undefined) return
    const store = link.store
    for (const [key, entry] of keys) {
      const read = await link.get(key, entry.grantType, entry.jkt)
      if (!read.ok || read.value?.body.access_token !== accessToken) continue
      if (read.value.body.refresh_token !== undefined) {
        // Keep the session's refresh token; only the access token goes.
        const stored = toStored(read.value)
        stored.expiresAt = stored.obtainedAt
        await link.call('set', key, entry.grantType, () => store.set(key, stored, this.#deps.retentionMs))
      } else {
        await link.call('delete', key, entry.grantType, () => store.delete(key))
      }
    }
  }
}
