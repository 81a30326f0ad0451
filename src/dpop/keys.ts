import { argError } from '../internal/assert.js'
import { toPublicError, UnsupportedOperationError } from '../internal/errors.js'

/** Options of {@link randomDPoPKeyPair}. */
export interface GenerateKeyPairOptions {
  /** Whether the private key may be exported. Default `false`; the public key is always extractable. */
  extractable?: boolean
  /** RSA modulus length in bits for PS* and RS* keys. Default 2048, at least 2048. */
  modulusLength?: number
}

const RSA_EXPONENT = new Uint8Array([0x01, 0x00, 0x01])
const HASHES: Record<string, string> = { '256': 'SHA-256', '384': 'SHA-384', '512': 'SHA-512' }
const CURVES: Record<string, string> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' }

type KeyGenParams = Algorithm | EcKeyGenParams | RsaHashedKeyGenParams

/** WebCrypto key generation parameters for a JWS `alg`, or undefined for algorithms DPoP keys cannot use. */
function generationParams(alg: string, modulusLength: number): KeyGenParams | undefined {
  const curve = CURVES[alg]
  if (curve !== undefined) return { name: 'ECDSA', namedCurve: curve }
  const hash = HASHES[alg.slice(2)]
  if (hash !== undefined && (alg.startsWith('PS') || alg.startsWith('RS'))) {
    const name = alg.startsWith('PS') ? 'RSA-PSS' : 'RSASSA-PKCS1-v1_5'
    return { name, hash, modulusLength, publicExponent: RSA_EXPONENT }
  }
  if (alg === 'Ed25519' || alg === 'EdDSA') return { name: 'Ed25519' }
  if (alg === 'ML-DSA-44' || alg === 'ML-DSA-65' || alg === 'ML-DSA-87') return { name: alg }
  return undefined
}

/**
 * Generates a key pair for {@link getDPoPHandle}: ES256 (the default), ES384, ES512, PS256/384/512,
 * RS256/384/512 or Ed25519 (ML-DSA-44/65/87 where the runtime has them). Key usages are `sign` and `verify`; the
 * private key is not extractable unless `options.extractable` is true. Unlike openid-client, `modulusLength` is
 * honoured for RSA keys.
 *
 * @example
 * ```ts
 * let config!: client.Configuration
 *
 * const keyPair = await client.randomDPoPKeyPair('PS256', { modulusLength: 3072 })
 * const DPoP = client.getDPoPHandle(config, keyPair)
 * ```
 *
 * @param alg - The JWS algorithm the keys are for (`ES256` by default).
 * @param options - `extractable` (the private key), `modulusLength` for RSA keys.
 * @returns A new key pair for {@link getDPoPHandle}.
 * @see [D7: modulusLength is honoured](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d7)
 */
export async function randomDPoPKeyPair(
  alg = 'ES256',
  options?: GenerateKeyPairOptions,
): Promise<CryptoKeyPair> {
  try {
    if (typeof alg !== 'string') throw argError('"alg" must be a string')
    if (options !== undefined && (typeof options !== 'object' || options === null)) {
      throw argError('"options" must be an object')
    }
    const { extractable = false, modulusLength = 2048 } = options ?? {}
    if (typeof extractable !== 'boolean') throw argError('"options.extractable" must be a boolean')
    if (typeof modulusLength !== 'number') throw argError('"options.modulusLength" must be a number')
    if (!Number.isSafeInteger(modulusLength) || modulusLength < 2048) {
      throw argError('"options.modulusLength" must be an integer of at least 2048', 'ERR_INVALID_ARG_VALUE')
    }
    const params = generationParams(alg, modulusLength)
    if (params === undefined) throw new UnsupportedOperationError('unsupported JWS algorithm')
    return (await crypto.subtle.generateKey(params, extractable, ['sign', 'verify'])) as CryptoKeyPair
  } catch (err) {
    throw toPublicError(err)
  }
}
