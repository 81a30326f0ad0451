import type fc from 'fast-check'
import type * as gl from '../src/index.js'

/** The public API both libraries share; openid-client is handed in under the same shape. */
export type Api = typeof gl

/** One fuzz target: a generator of cases and the call that feeds a case to a library. */
export interface Target<C = any> {
  name: string
  /** Cases per `npm run fuzz` run (scaled by `--scale`). */
  runs: number
  arb: fc.Arbitrary<C>
  /**
   * Runs the case through `api`. `library` says which one it is, for the few places where the two differ in
   * shape (openid-client has no internal parser modules). Resolves with the result, rejects with the error.
   */
  run(api: Api, c: C, library: 'grantline' | 'openid-client'): Promise<unknown>
  /** What is wrong with a successful result, or undefined when it is a valid one. */
  validate(c: C, value: unknown): string | undefined
  /** The JSON-comparable view of a success, for the differential mode. */
  view?(value: unknown): unknown
  /** Whether openid-client can be fed the same case (the internal parsers have no public counterpart there). */
  differential: boolean
  /** A short JSON-able description of the case for failure reports (defaults to the case itself). */
  describe?(c: C): unknown
}
