import { stateOf, type Configuration } from '../configuration.js'
import { ClientError } from '../errors.js'
import { argError } from '../internal/assert.js'
import { compactDecrypt, joseErrors } from '../internal/jose.js'

/** A private key for decrypting responses, with the `alg` and `kid` it is registered under. */
export interface DecryptionKey {
  /** The private key to decrypt with. */
  key: CryptoKey
  /** The JWE `alg` this key may be used with; derived from the key when absent. */
  alg?: string
  /** Compared with the JWE `kid` header parameter when the server sends one. */
  kid?: string
}

interface NormalizedKey {
  key: CryptoKey
  alg: string | undefined
  kid: string | undefined
}

const DEFAULT_ENC = ['A128GCM', 'A192GCM', 'A256GCM', 'A128CBC-HS256', 'A192CBC-HS384', 'A256CBC-HS512']
const ECDH_ES = ['ECDH-ES', 'ECDH-ES+A128KW', 'ECDH-ES+A192KW', 'ECDH-ES+A256KW']

/**
 * Accepts encrypted (JWE) ID Tokens, JARM responses, UserInfo and Introspection responses, decrypting them with
 * the given private keys. Supported keys: RSA-OAEP (SHA-1/256/384/512), ECDH P-256 and X25519. Can be applied
 * once per configuration.
 *
 * @example
 * ```ts
 * let config!: client.Configuration
 *
 * const { privateKey } = await crypto.subtle.generateKey(
 *   { name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits'])
 * enableDecryptingResponses(config, undefined, { key: privateKey, kid: 'enc-1' })
 * ```
 *
 * @param contentEncryptionAlgorithms - The `enc` values to accept; AES-GCM and AES-CBC-HMAC by default.
 *
 * @param config - The client's configuration.
 * @param keys - The private keys to decrypt with, alone or with their `kid`.
 * @see [RFC 7516 (JWE)](https://www.rfc-editor.org/rfc/rfc7516.html)
 */
export function enableDecryptingResponses(
  config: Configuration,
  contentEncryptionAlgorithms: string[] = DEFAULT_ENC,
  ...keys: Array<CryptoKey | DecryptionKey>
): void {
  const state = stateOf(config)
  if (state.decrypt !== undefined) {
    throw argError(
      'enableDecryptingResponses can only be called on a given Configuration instance once',
      'ERR_INVALID_ARG_VALUE',
    )
  }
  if (
    !Array.isArray(contentEncryptionAlgorithms) ||
    !contentEncryptionAlgorithms.every((enc) => typeof enc === 'string')
  ) {
    throw argError('"contentEncryptionAlgorithms" must be an array of strings')
  }
  if (keys.length === 0) throw argError('no keys were provided', 'ERR_INVALID_ARG_VALUE')
  const algs = new Set<string>()
  const normalized = keys.map((input) => normalize(input, algs))
  const enc = [...contentEncryptionAlgorithms]
  const keyManagementAlgorithms = [...algs]
  state.decrypt = (jwe) => decrypt(normalized, jwe, enc, keyManagementAlgorithms)
}

function isCryptoKey(value: unknown): value is CryptoKey {
  return typeof CryptoKey !== 'undefined' && value instanceof CryptoKey
}

/** Checks one key against the rules of contract §1.7 and records the JWE `alg` values it allows. */
function normalize(input: CryptoKey | DecryptionKey, algs: Set<string>): NormalizedKey {
  const wrapped = !isCryptoKey(input) && typeof input === 'object' && input !== null && 'key' in input
  const key = wrapped ? input.key : input
  if (!isCryptoKey(key)) throw argError('"keys" must be CryptoKey or { key: CryptoKey } objects')
  const alg = wrapped && typeof input.alg === 'string' ? input.alg : undefined
  const kid = wrapped && typeof input.kid === 'string' ? input.kid : undefined
  if (key.type !== 'private') throw argError('only private keys must be provided', 'ERR_INVALID_ARG_VALUE')

  const algorithm = key.algorithm as KeyAlgorithm & { hash?: { name: string }; namedCurve?: string }
  switch (algorithm.name) {
    case 'RSA-OAEP': {
      const derived = {
        'SHA-1': 'RSA-OAEP',
        'SHA-256': 'RSA-OAEP-256',
        'SHA-384': 'RSA-OAEP-384',
        'SHA-512': 'RSA-OAEP-512',
      }[algorithm.hash?.name ?? '']
      if (derived === undefined) {
        throw argError(
          'only SHA-512, SHA-384, SHA-256, and SHA-1 RSA-OAEP keys are supported',
          'ERR_INVALID_ARG_VALUE',
        )
      }
      if (alg !== undefined && alg !== derived) throw argError('invalid key alg', 'ERR_INVALID_ARG_VALUE')
      algs.add(derived)
      return { key, alg: derived, kid }
    }
    case 'ECDH':
      if (algorithm.namedCurve !== 'P-256') {
        throw argError('Only P-256 ECDH keys are supported', 'ERR_INVALID_ARG_VALUE')
      }
      return { key, alg: ecdhAlgs(alg, algs), kid }
    case 'X25519':
      return { key, alg: ecdhAlgs(alg, algs), kid }
    default:
      throw argError('only RSA-OAEP, ECDH, or X25519 keys are supported', 'ERR_INVALID_ARG_VALUE')
  }
}

/** RFC 7518 §4.6: an ECDH key serves direct key agreement and the three key-wrapping variants, unless pinned. */
function ecdhAlgs(alg: string | undefined, algs: Set<string>): string | undefined {
  if (alg === undefined) {
    for (const each of ECDH_ES) algs.add(each)
    return undefined
  }
  if (!ECDH_ES.includes(alg)) throw argError('invalid key alg', 'ERR_INVALID_ARG_VALUE')
  algs.add(alg)
  return alg
}

async function decrypt(
  keys: NormalizedKey[],
  jwe: string,
  contentEncryptionAlgorithms: string[],
  keyManagementAlgorithms: string[],
): Promise<string> {
  try {
    const { plaintext } = await compactDecrypt(jwe, (header) => selectKey(keys, header), {
      keyManagementAlgorithms,
      contentEncryptionAlgorithms,
    })
    return new TextDecoder().decode(plaintext)
  } catch (err) {
    if (err instanceof joseErrors.JOSEError) {
      throw new ClientError('decryption failed', { cause: err, code: 'OAUTH_DECRYPTION_FAILED' })
    }
    throw err
  }
}

/** Exactly one configured key may fit the JWE header: by `kid`, declared `alg`, key type and `epk` curve. */
function selectKey(
  keys: NormalizedKey[],
  header: {
    alg?: string | undefined
    kid?: string | undefined
    epk?: { crv?: string | undefined } | undefined
  },
): CryptoKey {
  const { alg = '', kid, epk } = header
  const candidates = keys.filter((candidate) => {
    if (kid !== undefined && kid !== candidate.kid) return false
    if (candidate.alg !== undefined && candidate.alg !== alg) return false
    return fitsAlgorithm(candidate.key, alg, epk?.crv)
  })
  if (candidates.length === 0) {
    throw new ClientError('no applicable decryption key selected', { code: 'OAUTH_DECRYPTION_FAILED' })
  }
  if (candidates.length !== 1) {
    throw new ClientError('multiple applicable decryption keys selected', { code: 'OAUTH_DECRYPTION_FAILED' })
  }
  return candidates[0]!.key
}

function fitsAlgorithm(key: CryptoKey, alg: string, crv: string | undefined): boolean {
  const algorithm = key.algorithm as KeyAlgorithm & { namedCurve?: string }
  if (alg.startsWith('RSA-OAEP')) return algorithm.name === 'RSA-OAEP'
  if (alg.startsWith('ECDH-ES')) {
    if (algorithm.name === 'ECDH') return crv === algorithm.namedCurve
    if (algorithm.name === 'X25519') return crv === 'X25519'
  }
  return false
}
