/**
 * Clock values and deadlines, in one place (DECISIONS D23, D24).
 *
 * Every reader of the client's clock knobs goes through {@link clockSkewOf} / {@link clockToleranceOf}, so no
 * reader ever sees a raw `[clockSkew]` or `[clockTolerance]` value; every deadline longer than a timer can hold
 * goes through {@link deadlineSignal}.
 */
import { clockSkew, clockTolerance } from '../symbols.js'

/** The default clock skew in seconds. */
export const DEFAULT_CLOCK_SKEW = 0
/** The default clock tolerance in seconds (`exp`, `nbf` and `auth_time` leeway). */
export const DEFAULT_CLOCK_TOLERANCE = 30

/** Anything that may carry the clock knobs: client metadata, given or stored. */
export interface ClockSettings {
  readonly [clockSkew]?: unknown
  readonly [clockTolerance]?: unknown
}

/**
 * DECISIONS D23: the configured clock skew when it is a finite number, 0 otherwise (`NaN`, `Infinity`, `'30'`,
 * `undefined`), as oauth4webapi reads it.
 */
export function clockSkewOf(client: ClockSettings | undefined): number {
  const skew = client?.[clockSkew]
  return typeof skew === 'number' && Number.isFinite(skew) ? skew : DEFAULT_CLOCK_SKEW
}

/**
 * DECISIONS D23: the configured clock tolerance when it is a finite, non-negative number, 30 otherwise (a
 * negative tolerance would make the checks stricter than the clock, so it is not honoured either, as in
 * oauth4webapi).
 */
export function clockToleranceOf(client: ClockSettings | undefined): number {
  const tolerance = client?.[clockTolerance]
  return typeof tolerance === 'number' && Number.isFinite(tolerance) && !(tolerance < 0)
    ? tolerance
    : DEFAULT_CLOCK_TOLERANCE
}

/** Whole seconds since the epoch on the local clock, corrected by the client's clock skew. */
export function nowSeconds(client: ClockSettings | undefined): number {
  return Math.floor(Date.now() / 1000) + clockSkewOf(client)
}

/** The longest delay a timer holds: above it, Node fires after 1 ms and browsers after 0 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1

/** Beyond this many ms (~285,000 years) a deadline is never reached: the signal never aborts. */
const NEVER_MS = Number.MAX_SAFE_INTEGER

/** The controller of each long deadline's signal, alive exactly as long as the signal is (an ephemeron). */
const controllers = new WeakMap<AbortSignal, AbortController>()
/** Clears the pending timer of a long deadline whose signal nobody holds any more. */
const pendingTimers =
  typeof FinalizationRegistry === 'function'
    ? new FinalizationRegistry<{ timer?: ReturnType<typeof setTimeout> }>((held) => clearTimeout(held.timer))
    : undefined

/**
 * DECISIONS D24: a signal that aborts with a `TimeoutError` `ms` milliseconds from now, never earlier (0 or less:
 * on the next turn). A deadline one timer can hold is one `AbortSignal.timeout`; a longer one is a chain of
 * timers, each armed for at most {@link MAX_TIMER_MS} of what remains. Like `AbortSignal.timeout` on Node, the
 * chain neither keeps the process alive (each timer is unref'd where the platform allows it) nor the signal:
 * the timers hold it weakly, and once nobody else does, the pending timer is cleared. A deadline beyond
 * {@link NEVER_MS} never aborts.
 */
export function deadlineSignal(ms: number): AbortSignal {
  // Timers take whole milliseconds; rounding up keeps the deadline from firing early.
  const whole = ms > 0 ? Math.ceil(ms) : 0
  if (whole <= MAX_TIMER_MS) return AbortSignal.timeout(whole)
  if (!(whole <= NEVER_MS)) return new AbortController().signal
  return chainedDeadline(whole)
}

function chainedDeadline(whole: number): AbortSignal {
  const controller = new AbortController()
  controllers.set(controller.signal, controller)
  // The timers' closures reach the signal only through this weak reference.
  const ref = new WeakRef(controller.signal)
  const held: { timer?: ReturnType<typeof setTimeout> } = {}
  pendingTimers?.register(controller.signal, held)
  let remaining = whole
  const arm = () => {
    // A timer never fires before its delay has passed, so the delays add up to at least `whole`.
    const slice = Math.min(remaining, MAX_TIMER_MS)
    remaining -= slice
    held.timer = setTimeout(() => {
      const signal = ref.deref()
      if (signal === undefined) return
      if (remaining > 0) arm()
      else
        controllers
          .get(signal)
          ?.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'))
    }, slice)
    ;(held.timer as { unref?: () => unknown }).unref?.()
  }
  arm()
  return controller.signal
}
