// One bounded least-recently-used map for every cache that needs one (the token manager's entries, the DPoP
// nonces of a handle).

/** A Map in least-recently-used order, bounded to `max` entries: O(1) get, set and eviction. */
export class Lru<V> {
  readonly #map = new Map<string, V>()
  constructor(readonly max: number) {}

  get size(): number {
    return this.#map.size
  }

  /** The value of `key`, which becomes the most recently used. */
  get(key: string): V | undefined {
    const value = this.#map.get(key)
    if (value !== undefined) {
      this.#map.delete(key)
      this.#map.set(key, value)
    }
    return value
  }

  /** The value of `key`, without touching its recency. */
  peek(key: string): V | undefined {
    return this.#map.get(key)
  }

  set(key: string, value: V): void {
    this.#map.delete(key)
    this.#map.set(key, value)
    while (this.#map.size > this.max) {
      const oldest = this.#map.keys().next().value as string
      this.#map.delete(oldest)
    }
  }

  delete(key: string): void {
    this.#map.delete(key)
  }

  clear(): void {
    this.#map.clear()
  }

  entries(): IterableIterator<[string, V]> {
    return this.#map.entries()
  }
}
