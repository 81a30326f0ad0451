import type { CustomFetch, FetchBody } from '../types.js'
import { argError } from '../internal/assert.js'
import { deadlineSignal } from '../internal/time.js'

/** A request as the pipeline builds it: a plain value until {@link send} puts it on the wire. */
export interface OutgoingRequest {
  url: URL
  method: string
  headers: Headers
  body?: FetchBody
}

/** What a request needs from its Configuration (or from discovery options) to go out. */
export interface Transport {
  fetch?: CustomFetch | undefined
  /** An abort signal covering the exchange, response body included (a caller's, or polling's). */
  signal?: AbortSignal | undefined
  /**
   * Seconds the exchange may take, response body included; 0, Infinity or undefined: no deadline. Kept as a
   * number so that a runtime transport can enforce it with one timer; the fetch path makes it a signal.
   */
  timeout?: number | undefined
}

/**
 * A runtime's own transport (grantline/node registers one): it answers a request with a Response, or returns
 * undefined to leave it to `fetch`. It must behave as the fetch path does: redirects never followed, the
 * deadline and signal bounding the exchange including the body, network failures as `TypeError`s.
 */
export type DefaultTransport = (
  request: OutgoingRequest,
  transport: Transport,
) => Promise<Response> | undefined

let defaultTransport: DefaultTransport | undefined

/** Installs (or, with undefined, removes) the transport tried before `fetch` for every request. */
export function setDefaultTransport(impl: DefaultTransport | undefined): void {
  defaultTransport = impl
}

const responseSignals = new WeakMap<Response, AbortSignal>()

/**
 * The one place that touches the network. Redirects are never followed; the transport's signal bounds the
 * exchange even when a custom fetch ignores it, and stays attached to the Response so that reading the body
 * is bounded by the same deadline.
 */
export async function send(transport: Transport, request: OutgoingRequest): Promise<Response> {
  transport.signal?.throwIfAborted()
  const native = defaultTransport?.(request, transport)
  if (native !== undefined) return native
  const deadline = timeoutSignal(transport.timeout)
  const signal =
    transport.signal && deadline
      ? AbortSignal.any([transport.signal, deadline])
      : (transport.signal ?? deadline)
  const impl: CustomFetch = transport.fetch ?? (fetch as unknown as CustomFetch)
  const headers: Record<string, string> = {}
  request.headers.forEach((value, name) => {
    headers[name] = value
  })
  const pending = impl(request.url.href, {
    body: request.body,
    headers,
    method: request.method,
    redirect: 'manual',
    ...(signal ? { signal } : {}),
  })
  const response = await (signal ? raceAbort(pending, signal) : pending)
  if (!isResponse(response)) {
    throw argError('"response" must be an instance of Response')
  }
  if (signal) responseSignals.set(response, signal)
  return response
}

/** The abort signal that bounded the request which produced `response`, if any. */
export function signalFor(response: Response): AbortSignal | undefined {
  return responseSignals.get(response)
}

export function isResponse(value: unknown): value is Response {
  return (
    (typeof Response !== 'undefined' && value instanceof Response) ||
    (typeof value === 'object' &&
      value !== null &&
      (Object.getPrototypeOf(value) as { [Symbol.toStringTag]?: unknown } | null)?.[Symbol.toStringTag] ===
        'Response')
  )
}

/** Rejects with the signal's reason as soon as it aborts, even if `promise` never settles. */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {})
    return Promise.reject(signal.reason)
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      promise.catch(() => {})
      reject(signal.reason)
    }
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(err)
      },
    )
  })
}

/**
 * A signal that aborts after `seconds`, never earlier, however long (DECISIONS D24); none for 0, Infinity or
 * undefined. The common case (up to ~24.8 days) is one `AbortSignal.timeout`.
 */
export function timeoutSignal(seconds: number | undefined): AbortSignal | undefined {
  return seconds && Number.isFinite(seconds) ? deadlineSignal(seconds * 1000) : undefined
}
