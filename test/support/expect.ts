import { expect } from 'vitest'

/** What a test reads off a thrown value: class, `code`, `cause` and the error-specific fields. */
export type Failure = Error & { code?: string; cause?: unknown; [field: string]: any }

/** The value `promise` rejects with; fails the test if it fulfils instead. */
export async function rejection(promise: Promise<unknown>): Promise<Failure> {
  try {
    await promise
  } catch (err) {
    return err as Failure
  }
  throw new Error('expected a rejection, got a fulfilment')
}

/** Asserts that `fn` throws synchronously a TypeError with this `code` (and a message matching `message`). */
export function expectTypeError(fn: () => unknown, code: string, message?: RegExp): void {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(TypeError)
    expect((err as { code?: string }).code).toBe(code)
    if (message) expect((err as Error).message).toMatch(message)
    return
  }
  expect.unreachable('expected a TypeError')
}
