/**
 * The `jti` of client assertions and DPoP proofs: 32 random bytes, base64url (43 characters). It is the one
 * random value of every signed request, so it is made cheaply: the bytes come from a pool the CSPRNG refills
 * 4 KiB at a time (one `getRandomValues` call per 128 values; each byte is used once), and a table encodes them
 * instead of `btoa` and three regular expressions.
 */

const POOL_SIZE = 4096
const JTI_BYTES = 32
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

let pool = new Uint8Array(POOL_SIZE)
let offset = POOL_SIZE

export function randomJti(): string {
  if (offset + JTI_BYTES > POOL_SIZE) {
    // A fresh array: never rewrite bytes a previous value was made of.
    pool = crypto.getRandomValues(new Uint8Array(POOL_SIZE))
    offset = 0
  }
  const start = offset
  offset += JTI_BYTES
  const bytes = pool
  let out = ''
  let i = start
  const end = start + JTI_BYTES - 2 // 30 bytes in groups of 3, then 2 left over
  for (; i < end; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]! + ALPHABET[(n >>> 6) & 63]! + ALPHABET[n & 63]!
  }
  const n = (bytes[i]! << 8) | bytes[i + 1]!
  out += ALPHABET[n >>> 10]! + ALPHABET[(n >>> 4) & 63]! + ALPHABET[(n << 2) & 63]!
  // The pool keeps no byte of a value already handed out.
  bytes.fill(0, start, start + JTI_BYTES)
  return out
}
