// How a StoredToken is kept in Redis: JSON, sealed with AES-256-GCM under the first of the user's keys (every key
// opens), the Redis key as associated data; or, when the user opted out, the JSON as it is. Reading never throws:
// anything that is not an entry this store could have written is a miss with a reason (D51, D52).

import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, type KeyObject } from 'node:crypto'
import type { StoredToken } from '../manager/store.js'
import { argError } from '../internal/assert.js'

/** One AES-256 key: `id` is written beside every entry it seals, so rotation knows which key opens which entry. */
export interface RedisEncryptionKey {
  /** The key's identity: 1 to 64 visible ASCII characters, unique among the keys. */
  id: string
  /** 32 random bytes, raw (`Uint8Array`, `Buffer`) or base64url text (43 characters). */
  key: Uint8Array | string
}

/** Why an entry found in Redis was not used. */
export type RejectReason =
  /** Not JSON, not an envelope, or a decrypted value that is not a token entry. */
  | 'malformed'
  /** Sealed under a key id this store does not have. */
  | 'unknown_key_id'
  /** The ciphertext, nonce, tag or key id was changed, or the entry was moved to another Redis key. */
  | 'authentication_failed'
  /** A plaintext entry, found by a store that encrypts: never trusted. */
  | 'not_encrypted'
  /** A sealed entry, found by a store that opted out of encryption and so has no key. */
  | 'encrypted'

export interface Sealer {
  seal(redisKey: string, value: StoredToken): string
  open(redisKey: string, text: string): StoredToken | RejectReason
}

const VERSION = 1
const IV_BYTES = 12
const TAG_BYTES = 16
const KID = /^[\x21-\x7e]{1,64}$/

/** Validates the user's `encryption` option and returns the sealer; the key bytes live only in KeyObjects. */
export function sealer(encryption: unknown): Sealer {
  if (encryption === false) return plaintext
  if (encryption === undefined)
    throw argError(
      '"options.encryption" is required: give { keys: [{ id, key }] } (AES-256-GCM), or false to store tokens in clear',
      'ERR_INVALID_ARG_TYPE',
    )
  if (typeof encryption !== 'object' || encryption === null)
    throw argError('"options.encryption" must be an object or false', 'ERR_INVALID_ARG_TYPE')
  const list = (encryption as { keys?: unknown }).keys
  if (!Array.isArray(list))
    throw argError('"options.encryption.keys" must be an array', 'ERR_INVALID_ARG_TYPE')
  if (list.length === 0)
    throw argError('"options.encryption.keys" must hold at least one key', 'ERR_INVALID_ARG_VALUE')
  const keys = new Map<string, KeyObject>()
  list.forEach((entry: unknown, index) => {
    const name = `"options.encryption.keys[${index}]"`
    if (typeof entry !== 'object' || entry === null)
      throw argError(`${name} must be an object`, 'ERR_INVALID_ARG_TYPE')
    const { id, key } = entry as { id?: unknown; key?: unknown }
    if (typeof id !== 'string') throw argError(`${name}.id must be a string`, 'ERR_INVALID_ARG_TYPE')
    if (!KID.test(id))
      throw argError(`${name}.id must be 1 to 64 visible ASCII characters`, 'ERR_INVALID_ARG_VALUE')
    if (keys.has(id)) throw argError(`${name}.id repeats an earlier key id`, 'ERR_INVALID_ARG_VALUE')
    keys.set(id, createSecretKey(keyBytes(key, name)))
  })
  const [currentId, currentKey] = keys.entries().next().value as [string, KeyObject]

  return {
    seal(redisKey, value) {
      const iv = randomBytes(IV_BYTES)
      const cipher = createCipheriv('aes-256-gcm', currentKey, iv, { authTagLength: TAG_BYTES })
      cipher.setAAD(Buffer.from(redisKey, 'utf8'))
      const body = Buffer.concat([
        cipher.update(JSON.stringify(value), 'utf8'),
        cipher.final(),
        cipher.getAuthTag(),
      ])
      return JSON.stringify({
        v: VERSION,
        kid: currentId,
        iv: iv.toString('base64url'),
        ct: body.toString('base64url'),
      })
    },
    open(redisKey, text) {
      const envelope = parseEnvelope(text)
      if (envelope === undefined) return 'malformed'
      if ('plain' in envelope) return 'not_encrypted'
      const key = keys.get(envelope.kid)
      if (key === undefined) return 'unknown_key_id'
      const iv = decode(envelope.iv)
      const body = decode(envelope.ct)
      if (iv === undefined || body === undefined || iv.length !== IV_BYTES || body.length < TAG_BYTES)
        return 'malformed'
      let json: string
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES })
        decipher.setAAD(Buffer.from(redisKey, 'utf8'))
        decipher.setAuthTag(body.subarray(body.length - TAG_BYTES))
        json = Buffer.concat([
          decipher.update(body.subarray(0, body.length - TAG_BYTES)),
          decipher.final(),
        ]).toString('utf8')
      } catch {
        return 'authentication_failed'
      }
      return storedToken(safeParse(json)) ?? 'malformed'
    },
  }
}

const plaintext: Sealer = {
  seal(_redisKey, value) {
    return JSON.stringify({ v: VERSION, plain: value })
  },
  open(_redisKey, text) {
    const envelope = parseEnvelope(text)
    if (envelope === undefined) return 'malformed'
    if (!('plain' in envelope)) return 'encrypted'
    return storedToken(envelope.plain) ?? 'malformed'
  },
}

type Envelope = { kid: string; iv: string; ct: string } | { plain: unknown }

function parseEnvelope(text: string): Envelope | undefined {
  const value = safeParse(text)
  if (!isObject(value) || value.v !== VERSION) return undefined
  if ('plain' in value) return { plain: value.plain }
  const { kid, iv, ct } = value
  if (typeof kid !== 'string' || typeof iv !== 'string' || typeof ct !== 'string') return undefined
  return { kid, iv, ct }
}

/** The value as a StoredToken if it has the shape the manager relies on; undefined otherwise. */
function storedToken(value: unknown): StoredToken | undefined {
  if (!isObject(value)) return undefined
  const { response, obtainedAt, expiresAt, claims, jkt } = value
  if (!isObject(response) || typeof response.access_token !== 'string' || response.access_token === '')
    return undefined
  if (!Number.isFinite(obtainedAt) || !Number.isFinite(expiresAt)) return undefined
  if (claims !== undefined && !isObject(claims)) return undefined
  if (jkt !== undefined && typeof jkt !== 'string') return undefined
  return value as unknown as StoredToken
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

const BASE64URL = /^[A-Za-z0-9_-]*$/

function decode(text: string): Buffer | undefined {
  if (!BASE64URL.test(text) || text.length % 4 === 1) return undefined
  return Buffer.from(text, 'base64url')
}

function keyBytes(key: unknown, name: string): Buffer {
  if (key instanceof Uint8Array) {
    if (key.byteLength !== 32)
      throw argError(`${name}.key must be 32 bytes (AES-256)`, 'ERR_INVALID_ARG_VALUE')
    return Buffer.from(key)
  }
  if (typeof key === 'string') {
    const bytes = decode(key)
    // Canonical base64url only: the text must be exactly what the 32 bytes encode to.
    if (bytes === undefined || bytes.length !== 32 || bytes.toString('base64url') !== key)
      throw argError(
        `${name}.key must be 32 bytes as base64url (43 characters, no padding)`,
        'ERR_INVALID_ARG_VALUE',
      )
    return bytes
  }
  throw argError(`${name}.key must be a Uint8Array or a base64url string`, 'ERR_INVALID_ARG_TYPE')
}
