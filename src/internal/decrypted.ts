/**
 * The registry behind `getDecryptedResponses` (src/authorization/decrypted.ts): every function that can decrypt
 * a response records, on the very object it resolves to, the signed JWT it found inside the JWE. It lives here,
 * below the token pipeline, so that the pipeline (`tokenGrant`), introspection and UserInfo can write to it
 * without importing from the authorization wing above them.
 */

/** What is recorded: a compact JWS, or for `authorizationCodeGrant` a record of them (frozen). */
export type DecryptedRecord = string | object

/** Weakly held: a result that is dropped takes its record with it. */
const registry = new WeakMap<object, DecryptedRecord>()

/** Records what was decrypted for `result`; nothing when `value` is `undefined`. Returns `result`. */
export function recordDecrypted<T extends object>(result: T, value: DecryptedRecord | undefined): T {
  if (value !== undefined) registry.set(result, value)
  return result
}

/** The record kept for `result`, if any. */
export function decryptedOf(result: unknown): DecryptedRecord | undefined {
  return typeof result === 'object' && result !== null ? registry.get(result) : undefined
}

/**
 * The compact JWS found inside `received` when `received` was a JWE, else `undefined`. `validated` is the token
 * after decryption, as the JWT decoder hands it back (the same string when nothing was decrypted).
 */
export function decryptedJws(received: unknown, validated: string | undefined): string | undefined {
  if (typeof received !== 'string' || validated === undefined) return undefined
  return received.split('.').length === 5 && validated !== received ? validated : undefined
}
