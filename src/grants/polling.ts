import { stateOf, type ConfigState, type Configuration } from '../configuration.js'
import { isDPoPNonceError } from '../dpop/retry.js'
import { ClientError, ResponseBodyError } from '../errors.js'
import { readJsonObject } from '../http/body.js'
import { timeoutSignal } from '../http/send.js'
import { expectStatus } from '../http/status.js'
import { argError } from '../internal/assert.js'
import { deadlineSignal } from '../internal/time.js'
import { tokenGrant } from '../token-endpoint/grant.js'
import { authenticatedRequest, checkDPoP, toSearchParams } from '../token-endpoint/request.js'
import type {
  DPoPHandle,
  DPoPProofHandle,
  GrantParameters,
  TokenEndpointResponse,
  TokenEndpointResponseHelpers,
} from '../types.js'

/** The part of a device authorization (RFC 8628 §3.2) or CIBA (CIBA Core §7.3) response that drives polling. */
export interface PendingAuthorization {
  /** Seconds the pending authorization stays valid: the default deadline of the whole poll. */
  expires_in?: number
  /**
   * Minimum seconds between polls; 5 when absent (RFC 8628 §3.2). Fractions and 0 are accepted, but polls are
   * never less than {@link MIN_POLL_INTERVAL} apart (DECISIONS D25).
   */
  interval?: number
}

export interface PollOptions {
  DPoP?: DPoPHandle | undefined
  /** Ends the polling early; replaces the default deadline of `expires_in` seconds. */
  signal?: AbortSignal | undefined
}

const DEFAULT_INTERVAL = 5
/**
 * DECISIONS D25: the least time, in seconds, between two token requests of one poll loop (the first one included),
 * whatever `interval` says. RFC 8628 intervals are whole seconds; a server sending `1e-9` must not make us spin.
 */
export const MIN_POLL_INTERVAL = 1
const SLOW_DOWN_INCREMENT = 5
const WAIT_SLICE_MS = 5000

/**
 * Starts a decoupled flow (device authorization, RFC 8628 §3.1; CIBA Core §7.1): `client_id` always goes in the
 * body, whatever the client authentication method, and a 200 with a JSON object is expected.
 */
export async function startFlow(
  config: Configuration,
  endpoint: 'device_authorization_endpoint' | 'backchannel_authentication_endpoint',
  parameters: GrantParameters,
): Promise<Record<string, unknown>> {
  const state = stateOf(config)
  const body = toSearchParams(parameters)
  body.set('client_id', state.client.client_id)
  const response = await authenticatedRequest(state, endpoint, body)
  return readJsonObject(await expectStatus(response, 200))
}

/** Polls a decoupled flow's grant with its code (`device_code` or `auth_req_id`) in the body. */
export async function pollFlow(
  config: Configuration,
  grantType: string,
  pending: PendingAuthorization,
  name: string,
  codeField: 'device_code' | 'auth_req_id',
  parameters: GrantParameters | undefined,
  options: PollOptions | undefined,
): Promise<TokenEndpointResponse & TokenEndpointResponseHelpers> {
  const state = stateOf(config)
  const code = checkPending(pending, name, codeField, options)
  const DPoP = checkDPoP(options?.DPoP)
  const body = toSearchParams(parameters)
  body.set(codeField, code)
  return pollTokenEndpoint(state, grantType, body, pending, { DPoP, signal: options?.signal })
}

/** Argument checks shared by both polling functions, before any wait or request. */
function checkPending(
  pending: unknown,
  name: string,
  codeField: 'device_code' | 'auth_req_id',
  options: { signal?: unknown } | undefined,
): string {
  if (typeof pending !== 'object' || pending === null) throw argError(`"${name}" must be an object`)
  const { [codeField]: code, expires_in, interval } = pending as Record<string, unknown>
  if (typeof code !== 'string') throw argError(`"${name}.${codeField}" must be a string`)
  if (code.length === 0) throw argError(`"${name}.${codeField}" must not be empty`, 'ERR_INVALID_ARG_VALUE')
  // DECISIONS D16: 0 is accepted (as openid-client does) and raised to MIN_POLL_INTERVAL (D25).
  if (
    interval !== undefined &&
    !(typeof interval === 'number' && interval >= 0 && Number.isFinite(interval))
  ) {
    throw argError(`"${name}.interval" must be a non-negative number`, 'ERR_INVALID_ARG_VALUE')
  }
  const signal = options?.signal
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw argError('"options.signal" must be an AbortSignal')
  }
  if (
    signal === undefined &&
    !(typeof expires_in === 'number' && expires_in >= 0 && Number.isFinite(expires_in))
  ) {
    throw argError(`"${name}.expires_in" must be a non-negative number`, 'ERR_INVALID_ARG_VALUE')
  }
  return code
}

/** Thrown from the response hook when the server is busy: poll again after `seconds`. */
class ServiceUnavailable {
  constructor(readonly seconds: number) {}
}

/**
 * Polls the token endpoint until the end-user decides (RFC 8628 §3.4–3.5, CIBA Core §10–11; contract §5):
 * waits `interval` (at least MIN_POLL_INTERVAL) before every request, slows down by 5 s on `slow_down`, honours `Retry-After` on 503 and on
 * pending errors, retries a DPoP nonce error on the next poll, and gives up when the signal aborts.
 */
export async function pollTokenEndpoint(
  state: ConfigState,
  grantType: string,
  body: URLSearchParams,
  pending: PendingAuthorization,
  options: { DPoP?: DPoPProofHandle | undefined; signal?: AbortSignal | undefined },
): Promise<TokenEndpointResponse & TokenEndpointResponseHelpers> {
  const { DPoP } = options
  let interval = pending.interval ?? DEFAULT_INTERVAL
  // DECISIONS D24: an expires_in of days or weeks waits that long, never less.
  const overall = options.signal ?? deadlineSignal(pending.expires_in! * 1000)
  let nonceRetry = false

  for (;;) {
    // DECISIONS D25: the minimum is a floor under every wait, not part of the interval slow_down adds to.
    const spacing = Math.max(interval, MIN_POLL_INTERVAL)
    await wait(spacing, overall)
    let extra = 0
    try {
      return await tokenGrant(state, grantType, body, {
        DPoP,
        signal: requestSignal(state, overall),
        nonceRetry: false,
        onResponse: serviceUnavailable,
      })
    } catch (err) {
      if (err instanceof ServiceUnavailable) {
        nonceRetry = false
        extra = err.seconds - spacing
      } else if (DPoP !== undefined && !nonceRetry && isDPoPNonceError(err)) {
        // RFC 9449 §8: the handle cached the nonce; the next poll carries it.
        nonceRetry = true
      } else if (
        err instanceof ResponseBodyError &&
        (err.error === 'authorization_pending' || err.error === 'slow_down')
      ) {
        nonceRetry = false
        if (err.error === 'slow_down') interval += SLOW_DOWN_INCREMENT
        const retryAfter = parseRetryAfter(err.response.headers.get('retry-after'))
        if (retryAfter !== undefined) extra = retryAfter - Math.max(interval, MIN_POLL_INTERVAL)
      } else if (overall.aborted && err === overall.reason) {
        throw abortError(overall)
      } else {
        throw err
      }
    }
    // The next poll waits max(interval, MIN_POLL_INTERVAL) again, so the gap is at least that and Retry-After.
    if (extra > 0) await wait(extra, overall)
  }
}

/** RFC 9110 §15.6.4 + §10.2.3: a busy server names when to come back. */
function serviceUnavailable(response: Response): void {
  if (response.status !== 503 || !response.headers.has('retry-after')) return
  response.body?.cancel().catch(() => {})
  const seconds = parseRetryAfter(response.headers.get('retry-after'))
  if (seconds === undefined) {
    // DECISIONS D4: a ClientError callers can import, not an internal class.
    throw new ClientError('invalid Retry-After header value', {
      code: 'OAUTH_INVALID_RESPONSE',
      cause: response,
    })
  }
  throw new ServiceUnavailable(seconds)
}

/**
 * `Retry-After` (RFC 9110 §10.2.3): delay-seconds, or an HTTP-date turned into seconds from now (rounded up).
 * `undefined` for anything else, including a date that is not in the future and delay-seconds above 2^53-1.
 */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined
  const text = value.trim()
  if (/^\d+$/.test(text)) {
    // DECISIONS D36: a delay that is not a safe integer (17 digits and more) is no delay a client can honour.
    const seconds = Number.parseInt(text, 10)
    return Number.isSafeInteger(seconds) ? seconds : undefined
  }
  if (!/[A-Za-z]/.test(text)) return undefined
  const date = Date.parse(text)
  if (Number.isNaN(date) || date <= now) return undefined
  return Math.ceil((date - now) / 1000)
}

/** Each request is bounded by the whole poll's signal and, when the configuration has one, its own deadline. */
function requestSignal(state: ConfigState, overall: AbortSignal): AbortSignal {
  const perRequest = timeoutSignal(state.timeout)
  return perRequest ? AbortSignal.any([overall, perRequest]) : overall
}

/** DECISIONS D5: every abort of a poll, during a wait or a request, is a ClientError. */
function abortError(signal: AbortSignal): ClientError {
  const reason: unknown = signal.reason
  return reason instanceof Error && reason.name === 'TimeoutError'
    ? new ClientError('operation timed out', { code: 'OAUTH_TIMEOUT', cause: reason })
    : new ClientError('operation aborted', { code: 'OAUTH_ABORT', cause: reason })
}

/** Waits `seconds` in slices of at most 5 s (timers cannot hold arbitrary delays), ending early on abort. */
async function wait(seconds: number, signal: AbortSignal): Promise<void> {
  let remaining = seconds * 1000
  do {
    const slice = Math.min(remaining, WAIT_SLICE_MS)
    await delay(slice, signal)
    remaining -= slice
  } while (remaining > 0)
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(abortError(signal))
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer)
      reject(abortError(signal))
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
