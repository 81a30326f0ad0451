// One set of "wait until this key changes" callers for every token store that offers waitForChange (the memory
// store, the Redis store's notifications).

/** Callers waiting for a key to change: each wakes on the key's change, a wake-all, or its own deadline. */
export class Waiters {
  readonly #byKey = new Map<string, Set<() => void>>()

  /** Resolves (never rejects) when `key` is woken or after `timeoutMs`; the timer does not hold the process open. */
  wait(key: string, timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let set = this.#byKey.get(key)
      if (set === undefined) this.#byKey.set(key, (set = new Set()))
      const own = set
      const done = () => {
        clearTimeout(timer)
        own.delete(done)
        // A caller that timed out leaves nothing behind: no empty set per key ever waited on.
        if (own.size === 0 && this.#byKey.get(key) === own) this.#byKey.delete(key)
        resolve()
      }
      const delay = Math.max(0, Math.min(Number.isFinite(timeoutMs) ? timeoutMs : 0, 2 ** 31 - 1))
      const timer = setTimeout(done, delay)
      ;(timer as { unref?: () => unknown }).unref?.()
      own.add(done)
    })
  }

  /** Wakes every caller waiting for `key`. */
  wake(key: string): void {
    const set = this.#byKey.get(key)
    if (set === undefined) return
    this.#byKey.delete(key)
    for (const done of set) done()
  }

  wakeAll(): void {
    for (const key of [...this.#byKey.keys()]) this.wake(key)
  }

  /** How many keys have callers waiting (for tests and diagnostics). */
  get keys(): number {
    return this.#byKey.size
  }
}
