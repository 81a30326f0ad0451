/**
 * Which failures of a token call are worth another attempt, and how long to wait before it (DECISIONS D42):
 * network failures, `OAUTH_TIMEOUT`, and HTTP 408, 429 and 5xx; never an OAuth error such as `invalid_grant` or
 * `invalid_client`. A refresh-token grant is retried only when the request certainly never reached the server.
 * Waits are full-jitter exponential backoff, or the server's `Retry-After` (seconds or an HTTP date) when longer.
 */
import { ClientError, ResponseBodyError } from '../errors.js'

/** Retry knobs (`createTokenManager({ retry })`). */
export interface RetryOptions {
  /** Attempts per token call, the first included (default 3; 1 disables retries). */
  attempts?: number
  /** The backoff's base, in ms (default 200): the n-th retry waits a random time in [0, base × 2^(n-1)]. */
  baseDelayMs?: number
  /** The longest backoff wait, in ms (default 5,000). */
  maxDelayMs?: number
  /** The longest `Retry-After` honoured, in ms (default 30,000); a longer one ends the retries at once. */
  maxRetryAfterMs?: number
}

export interface RetryPolicy {
  attempts: number
  baseDelayMs: number
  maxDelayMs: number
  maxRetryAfterMs: number
}

export const DEFAULT_RETRY: RetryPolicy = {
  attempts: 3,
  baseDelayMs: 200,
  maxDelayMs: 5_000,
  maxRetryAfterMs: 30_000,
}

/** OAuth errors that another attempt cannot fix, whatever status they came with. */
const PERMANENT_OAUTH_ERRORS = new Set([
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'invalid_target',
  'access_denied',
  'invalid_dpop_proof',
])

const TRANSIENT_STATUS = (status: number) =>
  status === 408 || status === 429 || (status >= 500 && status < 600)

/** Connection failures that happen before any byte of the request was written. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME'])

function isArgError(err: TypeError): boolean {
  const code = (err as { code?: unknown }).code
  return code === 'ERR_INVALID_ARG_TYPE' || code === 'ERR_INVALID_ARG_VALUE'
}

/** The Response an error carries: a `ResponseBodyError`'s, or the cause of a non-conforming status. */
export function responseOf(err: unknown): Response | undefined {
  if (err instanceof ResponseBodyError) return err.response
  if (err instanceof ClientError && err.cause instanceof Response) return err.cause
  return undefined
}

/** True when the request certainly never left: the connection was refused or the name did not resolve. */
export function neverSent(err: unknown): boolean {
  if (!(err instanceof TypeError) || isArgError(err)) return false
  let cause: unknown = err.cause
  for (let depth = 0; depth < 4 && typeof cause === 'object' && cause !== null; depth++) {
    const code = (cause as { code?: unknown }).code
    if (typeof code === 'string' && NOT_SENT_CODES.has(code)) return true
    // An AggregateError (happy eyeballs): every attempt must have been refused.
    const errors = (cause as { errors?: unknown }).errors
    if (Array.isArray(errors) && errors.length > 0 && errors.every((e) => NOT_SENT_CODES.has(e?.code)))
      return true
    cause = (cause as { cause?: unknown }).cause
  }
  return false
}

/** Whether another attempt may succeed. */
export function isTransient(err: unknown, grantType: string): boolean {
  if (grantType === 'refresh_token') return neverSent(err)
  if (err instanceof TypeError) return !isArgError(err)
  if (err instanceof ResponseBodyError) {
    return TRANSIENT_STATUS(err.status) && !PERMANENT_OAUTH_ERRORS.has(err.error)
  }
  if (err instanceof ClientError) {
    if (err.code === 'OAUTH_TIMEOUT') return true
    // A 408/429/5xx answered without a JSON body (an HTML page from a proxy) is still the server's status.
    if (
      (err.code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' || err.code === 'OAUTH_RESPONSE_IS_NOT_JSON') &&
      err.cause instanceof Response
    ) {
      return TRANSIENT_STATUS(err.cause.status)
    }
  }
  return false
}

/**
 * `Retry-After` in ms from `now`: delta seconds (a non-negative integer) or an HTTP date; undefined when absent
 * or unreadable. A date in the past is 0.
 */
export function retryAfterMs(err: unknown, now: number): number | undefined {
  const value = responseOf(err)?.headers.get('retry-after')?.trim()
  if (value === undefined || value === '') return undefined
  if (/^\d+$/.test(value)) {
    const seconds = Number(value)
    return Number.isSafeInteger(seconds) ? seconds * 1000 : undefined
  }
  // An HTTP date (RFC 9110 §5.6.7) starts with a day name; anything else ('-1', '1.5') is unreadable.
  if (!/^[A-Za-z]/.test(value)) return undefined
  const date = Date.parse(value)
  if (Number.isNaN(date)) return undefined
  return Math.max(0, date - now)
}

/** The full-jitter backoff before retry number `retry` (1 for the first retry). */
export function backoffMs(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1))
  return Math.floor(random() * ceiling)
}
