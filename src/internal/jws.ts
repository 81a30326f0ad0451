import { encodeBase64url } from './base64url.js'
import { argError } from './assert.js'
import { UnsupportedOperationError } from './errors.js'
import { modifyAssertion } from '../symbols.js'
import type { ModifyAssertionFunction, ModifyAssertionOptions } from '../types.js'

/**
 * Compact JWS signing with WebCrypto directly (RFC 7515). Signing sits on the hot path of every private_key_jwt
 * request and every DPoP proof; WebCrypto is measurably cheaper than a general-purpose JOSE library there, and this
 * is the one place a runtime-specific signer can plug in.
 */

export type SignParams = AlgorithmIdentifier | RsaPssParams | EcdsaParams

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
  // client_secret_jwt only: checkSigningKey refuses secret keys, so HMAC never signs a private_key_jwt or a proof.
  HMAC: {
    alg: (key) => (hashBits(key) ? `HS${hashBits(key)}` : undefined),
    params: () => ({ name: 'HMAC' }),
  },
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

/** A runtime-specific signer (src/node/signer.ts on Node.js). It never changes what is signed. */
export interface JwsSigner {
  /**
   * Gets the WebCrypto parameters this module would use, the key and the JWS signing input (ASCII), and returns
   * the base64url signature, or `undefined` to leave the signature to WebCrypto (a key or algorithm it cannot
   * sign with).
   */
  sign(params: SignParams, key: CryptoKey, input: string): string | undefined
  /** base64url of the UTF-8 bytes of `text`: the same string as `encodeBase64url(text)`, faster. */
  encode(text: string): string
}

let runtimeSigner: JwsSigner | undefined

/** Plugs in a runtime's signer; `undefined` goes back to WebCrypto alone, the portable signer. */
export function setSigner(signer: JwsSigner | undefined): void {
  runtimeSigner = signer
}

/** Signs `payload` with `key` into a compact JWS; `header.alg` must already be set. */
export async function signJws(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  key: CryptoKey,
): Promise<string> {
  const alg = header['alg'] as string
  const encode = runtimeSigner?.encode ?? encodeBase64url
  return signEncodedHeader(encode(JSON.stringify(header)), payload, key, signParams(alg, key))
}

/**
 * Signs with a protected header that is already encoded, and parameters already looked up: a DPoP handle
 * encodes its header once and then only pays for the payload and the signature on every proof.
 */
export async function signEncodedHeader(
  encodedHeader: string,
  payload: Record<string, unknown>,
  key: CryptoKey,
  params: SignParams,
): Promise<string> {
  const signer = runtimeSigner
  const json = JSON.stringify(payload)
  const input = `${encodedHeader}.${signer === undefined ? encodeBase64url(json) : signer.encode(json)}`
  const fast = signer?.sign(params, key, input)
  if (fast !== undefined) return `${input}.${fast}`
  const signature = await crypto.subtle.sign(params, key, encoder.encode(input))
  return `${input}.${encodeBase64url(signature)}`
}

/** JWK members that carry public key material, per key type (RFC 7517 §4, RFC 7518 §6). */
const PUBLIC_MEMBERS = ['kty', 'e', 'n', 'x', 'y', 'crv', 'pub', 'alg'] as const

/** The public JWK of a public CryptoKey: key material only, none of `ext`, `key_ops`, `use`. */
export async function exportPublicJwk(key: CryptoKey): Promise<Record<string, string>> {
  const exported = (await crypto.subtle.exportKey('jwk', key)) as Record<string, unknown>
  const jwk: Record<string, string> = {}
  for (const member of PUBLIC_MEMBERS) {
    // `alg` only identifies ML-DSA (AKP) keys; for other key types it is a hint the server must not rely on.
    if (member === 'alg' && exported['kty'] !== 'AKP') continue
    const value = exported[member]
    if (typeof value === 'string') jwk[member] = value
  }
  return jwk
}

/** RFC 7638 §3.2: the required members of each key type, in lexicographic order. */
const THUMBPRINT_MEMBERS: Record<string, readonly string[]> = {
  EC: ['crv', 'kty', 'x', 'y'],
  RSA: ['e', 'kty', 'n'],
  OKP: ['crv', 'kty', 'x'],
  AKP: ['alg', 'kty', 'pub'],
}

/** RFC 7638 JWK thumbprint with SHA-256, base64url. */
export async function jwkThumbprint(jwk: Record<string, string>): Promise<string> {
  const members = THUMBPRINT_MEMBERS[jwk['kty'] ?? '']
  if (members === undefined) throw new UnsupportedOperationError('unsupported JWK "kty"')
  const canonical: Record<string, string | undefined> = {}
  for (const member of members) canonical[member] = jwk[member]
  const digest = await crypto.subtle.digest('SHA-256', encoder.encode(JSON.stringify(canonical)))
  return encodeBase64url(digest)
}

/** The `[modifyAssertion]` hook of an options object, checked. */
export function modifyAssertionOf(
  options: ModifyAssertionOptions | undefined,
): ModifyAssertionFunction | undefined {
  if (options === undefined) return undefined
  if (typeof options !== 'object' || options === null) throw argError('"options" must be an object')
  const hook = options[modifyAssertion]
  if (hook !== undefined && typeof hook !== 'function') {
    throw argError('"options[modifyAssertion]" must be a function')
  }
  return hook
}
