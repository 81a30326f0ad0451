/**
 * The token manager's events (DECISIONS D46): what listeners registered with `manager.on` receive, and what the
 * Node.js entry point republishes on `node:diagnostics_channel` through {@link setEventPublisher}. Every event
 * carries the hashed key, never a token or a secret.
 */

/** What every event carries. */
export interface TokenManagerEventBase {
  /** SHA-256 (base64url) of the canonical cache key: the same value the store sees. */
  key: string
  /** The grant type of the call. */
  grantType: string
  /** When the event happened (ms since the epoch). */
  time: number
}

/** An error as events describe it: its class name and `code`, never its message (which may quote a server). */
export interface TokenManagerEventError {
  /** The error's class name, e.g. `ResponseBodyError`. */
  name: string
  /** The error's `code`, when it has one. */
  code?: string
  /** The HTTP status, for a `ResponseBodyError` or a non-conforming response. */
  status?: number
  /** The OAuth `error` code, for a `ResponseBodyError`. */
  error?: string
}

/** Every event, by name. */
export interface TokenManagerEvents {
  /** A token request went to the server (one per attempt). */
  request: TokenManagerEventBase & {
    attempt: number
    durationMs: number
    outcome: 'success' | 'error'
    error?: TokenManagerEventError
  }
  /** A call was served from memory, or a refresh found the token in the store (another instance fetched it). */
  cache_hit: TokenManagerEventBase & { source: 'memory' | 'store'; expiresInMs: number }
  /** A call found no token it could serve: it waits for a fresh one. */
  cache_miss: TokenManagerEventBase & { reason: 'absent' | 'expired' | 'min_validity' | 'forced' }
  /** A refresh began: in the background (`ahead`) while the current token is still served, or with callers waiting. */
  refresh_started: TokenManagerEventBase & { reason: 'miss' | 'ahead' | 'forced' }
  /** A refresh produced a token, from the server or from the store (another instance fetched it). */
  refresh_done: TokenManagerEventBase & {
    durationMs: number
    source: 'server' | 'store'
    expiresInMs: number
    attempts: number
  }
  /** A refresh failed; its callers got the error, nothing was cached. */
  refresh_failed: TokenManagerEventBase & {
    durationMs: number
    attempts: number
    error: TokenManagerEventError
  }
  /** A transient failure: the request is tried again after `delayMs`. */
  retry: TokenManagerEventBase & {
    attempt: number
    delayMs: number
    retryAfterMs?: number
    error: TokenManagerEventError
  }
  /** This instance took the store's refresh lock of the key. */
  lock_acquired: TokenManagerEventBase & { leaseMs: number }
  /** This instance waited for another's refresh, and how that ended. */
  lock_waited: TokenManagerEventBase & {
    durationMs: number
    outcome: 'stored' | 'takeover' | 'gave_up'
  }
  /** A store call failed or ran past its deadline; the manager carried on without the store. */
  store_error: TokenManagerEventBase & {
    operation: 'get' | 'set' | 'delete' | 'acquire' | 'release' | 'waitForChange'
    timedOut: boolean
    error?: TokenManagerEventError
  }
  /** A response without `expires_in`: the default lifetime was used. */
  expiry_defaulted: TokenManagerEventBase & { lifetimeMs: number }
  /** A refresh-token grant returned a new refresh token (rotation). */
  refresh_token_rotated: TokenManagerEventBase
  /** A token was dropped by `invalidate()`. */
  invalidated: TokenManagerEventBase
}

/** Emits one event, given its own fields (the key, grant type and time are added). */
export type Emit = <E extends keyof TokenManagerEvents>(
  name: E,
  key: string,
  grantType: string,
  fields: Omit<TokenManagerEvents[E], 'key' | 'grantType' | 'time'>,
) => void

/** The name of an event. */
export type TokenManagerEventName = keyof TokenManagerEvents

/** A listener of one event. */
export type TokenManagerListener<E extends TokenManagerEventName> = (event: TokenManagerEvents[E]) => void

/** Where the events also go on a runtime that has a tracing bus (Node.js: `node:diagnostics_channel`). */
export interface EventPublisher {
  /** Whether anybody listens to events of this name (so that none is built for nobody). */
  wants(name: TokenManagerEventName): boolean
  publish(name: TokenManagerEventName, event: object): void
}

let publisher: EventPublisher | undefined

/**
 * Installs (or removes, with `undefined`) the runtime's event publisher. The Node.js entry point installs one
 * that publishes each event on the `node:diagnostics_channel` channel `grantline:manager:<name>`.
 *
 * @internal
 */
export function setEventPublisher(next: EventPublisher | undefined): void {
  publisher = next
}

/** Describes an error for an event: class name, code, status, OAuth error; never the message. */
export function describeError(err: unknown): TokenManagerEventError {
  if (typeof err !== 'object' || err === null) return { name: typeof err }
  const e = err as { name?: unknown; code?: unknown; status?: unknown; error?: unknown; cause?: unknown }
  const out: TokenManagerEventError = { name: typeof e.name === 'string' ? e.name : 'Error' }
  if (typeof e.code === 'string') out.code = e.code
  if (typeof e.status === 'number') out.status = e.status
  else if (e.cause instanceof Response) out.status = e.cause.status
  if (typeof e.error === 'string') out.error = e.error
  return out
}

/** The listeners of one manager, and the runtime publisher. */
export class Emitter {
  readonly #listeners = new Map<TokenManagerEventName, Set<(event: never) => void>>()

  on<E extends TokenManagerEventName>(name: E, listener: TokenManagerListener<E>): () => void {
    let set = this.#listeners.get(name)
    if (set === undefined) this.#listeners.set(name, (set = new Set()))
    // Each registration is its own: the same function registered twice is called twice, and each
    // unsubscribe removes its own registration only.
    const entry = ((event: never) => listener(event)) as (event: never) => void
    set.add(entry)
    return () => {
      set.delete(entry)
    }
  }

  /** Whether an event of this name would reach anybody. */
  wants(name: TokenManagerEventName): boolean {
    return (this.#listeners.get(name)?.size ?? 0) > 0 || (publisher?.wants(name) ?? false)
  }

  /** Delivers an event; a listener that throws does not stop the others, nor the manager. */
  emit<E extends TokenManagerEventName>(name: E, event: TokenManagerEvents[E]): void {
    const set = this.#listeners.get(name)
    if (set !== undefined) {
      for (const listener of set) {
        try {
          listener(event as never)
        } catch {
          // A listener's failure is its own.
        }
      }
    }
    if (publisher?.wants(name)) {
      try {
        publisher.publish(name, event)
      } catch {
        // Ditto for a subscriber of the runtime's bus.
      }
    }
  }
}
