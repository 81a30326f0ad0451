import { encodeBase64url } from './base64url.js'
import { argError } from './assert.js'
import { UnsupportedOperationError } from './errors.js'

/**
 * Compact JWS signing with WebCrypto directly (RFC 7515). Signing sits on the hot path of every private_key_jwt
 * request and every DPoP proof; WebCrypto is measurably cheaper than a general-purpose JOSE library there, and this
 * is the one place a runtime-specific signer can plug in.
 */

type SignParams = AlgorithmIdentifier | RsaPssParams | EcdsaParams

interface AlgorithmEntry {
  /** The JWS `alg` for a key of this WebCrypto algorithm. */
  alg: (key: CryptoKey) => string | undefined
  /** WebCrypto sign/verify parameters for that `alg`. */
  params: (alg: string) => SignParams
}

const SHA = { 256: 'SHA-256', 384: 'SHA-384', 512: 'SHA-512' } as const
const hashBits = (key: CryptoKey) => {
  const hash = (key.algorithm as RsaHashedKeyAlgorithm).hash?.name
  return hash === 'SHA-256' ? 256 : hash === 'SHA-384' ? 384 : hash === 'SHA-512' ? 512 : undefined
}
const CURVES: Record<string, string> = { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' }

/** One table holds every signing algorithm, so nothing else switches on algorithm names. */
const ALGORITHMS: Record<string, AlgorithmEntry> = {
  'RSA-PSS': {
    alg: (key) => (hashBits(key) ? `PS${hashBits(key)}` : undefined),
    params: (alg) => ({ name: 'RSA-PSS', saltLength: Number(alg.slice(2)) / 8 }),
  },
  'RSASSA-PKCS1-v1_5': {
    alg: (key) => (hashBits(key) ? `RS${hashBits(key)}` : undefined),
    params: () => ({ name: 'RSASSA-PKCS1-v1_5' }),
  },
  ECDSA: {
    alg: (key) => CURVES[(key.algorithm as EcKeyAlgorithm).namedCurve],
    params: (alg) => ({ name: 'ECDSA', hash: SHA[Number(alg.slice(2)) as 256 | 384 | 512] }),
  },
  Ed25519: { alg: () => 'Ed25519', params: () => ({ name: 'Ed25519' }) },
  EdDSA: { alg: () => 'Ed25519', params: () => ({ name: 'Ed25519' }) },
  'ML-DSA-44': { alg: () => 'ML-DSA-44', params: () => ({ name: 'ML-DSA-44' }) },
  'ML-DSA-65': { alg: () => 'ML-DSA-65', params: () => ({ name: 'ML-DSA-65' }) },
  'ML-DSA-87': { alg: () => 'ML-DSA-87', params: () => ({ name: 'ML-DSA-87' }) },
}

export function isCryptoKey(value: unknown): value is CryptoKey {
  return typeof CryptoKey !== 'undefined' && value instanceof CryptoKey
}

/** The JWS `alg` a private key signs with (contract §2.3.5). */
export function algFromKey(key: CryptoKey): string {
  const alg = ALGORITHMS[key.algorithm.name]?.alg(key)
  if (alg === undefined) throw new UnsupportedOperationError('unsupported CryptoKey algorithm name')
  return alg
}

/** WebCrypto parameters for a JWS `alg` with the given key. */
export function signParams(alg: string, key: CryptoKey): SignParams {
  const entry = ALGORITHMS[key.algorithm.name]
  if (entry === undefined) throw new UnsupportedOperationError('unsupported CryptoKey algorithm name')
  return entry.params(alg)
}

/** Private signing keys must be CryptoKeys allowed to sign; RSA keys need at least 2048 bits (RFC 7518 §3.3). */
export function checkSigningKey(key: unknown, name: string): asserts key is CryptoKey {
  if (!isCryptoKey(key)) throw argError(`"${name}" must be a CryptoKey`)
  if (key.type !== 'private') throw argError(`"${name}" must be a private CryptoKey`, 'ERR_INVALID_ARG_VALUE')
  if (!key.usages.includes('sign')) {
    throw argError(`"${name}" usages must include "sign"`, 'ERR_INVALID_ARG_VALUE')
  }
  const modulus = (key.algorithm as RsaHashedKeyAlgorithm).modulusLength
  if (typeof modulus === 'number' && modulus < 2048) {
    throw argError(`"${name}" RSA modulusLength must be at least 2048 bits`, 'ERR_INVALID_ARG_VALUE')
  }
}

const encoder = new TextEncoder()

/** Signs `payload` with `key` into a compact JWS; `header.alg` must already be set. */
export async function signJws(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  key: CryptoKey,
): Promise<string> {
  const input = `${encodeBase64url(JSON.stringify(header))}.${encodeBase64url(JSON.stringify(payload))}`
  const signature = await crypto.subtle.sign(
    signParams(header['alg'] as string, key),
    key,
    encoder.encode(input),
  )
  return `${input}.${encodeBase64url(signature)}`
}
