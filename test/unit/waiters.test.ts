// The waiting callers behind every token store's waitForChange (memory and Redis): woken by their key, by a
// wake-all, or by their own deadline, and nothing left behind afterwards.

import { afterEach, beforeEach, expect, test, vi } from 'vitest'
import { Waiters } from '../../src/internal/waiters.js'

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

/** Which of the promises have settled, after the microtasks queued so far have run. */
async function settled(promises: Promise<void>[]): Promise<boolean[]> {
  const state = promises.map(() => false)
  promises.forEach((p, i) => void p.then(() => (state[i] = true)))
  await vi.advanceTimersByTimeAsync(0)
  return state
}

test("wake(key) wakes that key's callers only, at once", async () => {
  const waiters = new Waiters()
  const a1 = waiters.wait('a', 60_000)
  const a2 = waiters.wait('a', 60_000)
  const b = waiters.wait('b', 60_000)
  expect(waiters.keys).toBe(2)
  waiters.wake('a')
  expect(await settled([a1, a2, b])).toEqual([true, true, false])
  expect(waiters.keys).toBe(1)
  waiters.wake('nobody-waits')
  expect(waiters.keys).toBe(1)
})

test('a caller whose deadline passes resolves and leaves no entry behind; the others keep waiting', async () => {
  const waiters = new Waiters()
  const short = waiters.wait('k', 100)
  const long = waiters.wait('k', 1_000)
  const alone = waiters.wait('other', 50)
  await vi.advanceTimersByTimeAsync(100)
  expect(await settled([short, long, alone])).toEqual([true, false, true])
  expect(waiters.keys).toBe(1)
  await vi.advanceTimersByTimeAsync(900)
  expect(await settled([long])).toEqual([true])
  expect(waiters.keys).toBe(0)
})

test('wakeAll() wakes every key; a caller added while waking waits for the next change', async () => {
  const waiters = new Waiters()
  const first = [waiters.wait('a', 60_000), waiters.wait('b', 60_000)]
  waiters.wakeAll()
  const later = waiters.wait('a', 60_000)
  expect(await settled([...first, later])).toEqual([true, true, false])
  expect(waiters.keys).toBe(1)
  waiters.wake('a')
  expect(await settled([later])).toEqual([true])
})

test('a deadline that is not a finite number is 0, one beyond a 32-bit timer is capped (no overflow to 1 ms)', async () => {
  const waiters = new Waiters()
  const nan = waiters.wait('a', Number.NaN)
  const negative = waiters.wait('b', -5)
  const huge = waiters.wait('c', 2 ** 40)
  expect(await settled([nan, negative, huge])).toEqual([true, true, false])
  await vi.advanceTimersByTimeAsync(2 ** 31 - 2)
  expect(await settled([huge])).toEqual([false])
  await vi.advanceTimersByTimeAsync(1)
  expect(await settled([huge])).toEqual([true])
})
