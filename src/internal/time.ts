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
