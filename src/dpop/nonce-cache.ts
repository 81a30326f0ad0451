/**
 * The nonces a DPoP handle has been given, one per origin (RFC 9449 §8: a server supplies a nonce in the
 * `DPoP-Nonce` header and expects it in later proofs). A handle may talk to many servers over its life, so the
 * cache is a small LRU: reading an entry makes it the most recent, and the oldest goes once it is full.
 */

import { Lru } from '../internal/lru.js'

/** Origins remembered per handle. */
export const NONCE_CACHE_SIZE = 100

/** Longest nonce accepted. RFC 9449 sets no limit; a server-chosen string copied into every proof needs one. */
export const MAX_NONCE_LENGTH = 1024

/**
 * DECISIONS D13: no C0 control character and no DEL. RFC 9449 §8.1 asks servers for NQCHARs only, but
 * openid-client echoes whatever the header holds (`use this` included) and the nonce travels as a JSON string
 * inside a signed proof, so any other character is harmless.
 */
const NO_CONTROLS = /^[^\x00-\x1F\x7F]+$/

/** Whether a `DPoP-Nonce` header value is a nonce we are willing to echo back: non-empty, capped, no controls. */
export function isValidNonce(value: string | null | undefined): value is string {
  return typeof value === 'string' && value.length <= MAX_NONCE_LENGTH && NO_CONTROLS.test(value)
}

export class NonceCache {
  readonly #entries: Lru<string>

  constructor(capacity = NONCE_CACHE_SIZE) {
    this.#entries = new Lru(capacity)
  }

  get(origin: string): string | undefined {
    return this.#entries.get(origin)
  }

  /** Remembers `nonce` for `origin`; anything that is not a valid nonce is ignored and the old one kept. */
  set(origin: string, nonce: string | null | undefined): void {
    if (isValidNonce(nonce)) this.#entries.set(origin, nonce)
  }

  get size(): number {
    return this.#entries.size
  }
}
