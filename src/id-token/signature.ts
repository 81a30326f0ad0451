import { stateOf, type ConfigState, type Configuration } from '../configuration.js'
import { decodeBase64url, decodeBase64urlText } from '../internal/base64url.js'
import { UnsupportedOperationError, ope } from '../internal/errors.js'
import type { JsonObject } from '../types.js'
import { selectVerificationKey } from './jwks.js'

/**
 * From now on, also verifies the signature of ID Tokens (and JWT UserInfo and Introspection responses) against
 * the authorization server's `jwks_uri`. Without it, an ID Token from the token endpoint is trusted on the
 * strength of the TLS connection it arrived on (OIDC Core §3.1.3.7 step 6); with it, the token can later be shown
 * to a third party as the server's signed statement.
 *
 * @example
 * ```ts
 * const config = await discovery(new URL('https://op.example.com'), 'client-id', 'secret')
 * enableNonRepudiationChecks(config)
 * ```
 *
 * @param config - The configuration whose ID Tokens and JWT responses get their signatures checked.
 * @see [OpenID Connect Core 1.0 §3.1.3.7](https://openid.net/specs/openid-connect-core-1_0.html#IDTokenValidation)
 */
export function enableNonRepudiationChecks(config: Configuration): void {
  stateOf(config).nonRepudiation = verifyJwsSignature
}

const SUPPORTED = new Set([
  'PS256',
  'ES256',
  'RS256',
  'PS384',
  'ES384',
  'RS384',
  'PS512',
  'ES512',
  'RS512',
  'Ed25519',
  'EdDSA',
  'ML-DSA-44',
  'ML-DSA-65',
  'ML-DSA-87',
])

/** Verifies a compact JWS that has already passed claim validation, with a key from the server's JWKS. */
export async function verifyJwsSignature(state: ConfigState, jws: string): Promise<void> {
  const [protectedHeader = '', payload = '', signature = ''] = jws.split('.')
  const header = JSON.parse(decodeBase64urlText(protectedHeader)) as JsonObject
  const alg = header['alg']
  if (typeof alg !== 'string' || !SUPPORTED.has(alg)) {
    // HS* would need a secret shared with the client, which proves nothing to a third party; `none` even less.
    throw new UnsupportedOperationError(
      typeof alg === 'string' && alg.startsWith('HS')
        ? 'unsupported JWS algorithm'
        : 'unsupported JWS "alg" identifier',
      { cause: { alg } },
    )
  }
  const key = await selectVerificationKey(state, header)
  const algorithm = verifyAlgorithm(key)
  const data = new TextEncoder().encode(`${protectedHeader}.${payload}`)
  let bytes: Uint8Array<ArrayBuffer>
  try {
    bytes = decodeBase64url(signature) as Uint8Array<ArrayBuffer>
  } catch {
    bytes = new Uint8Array()
  }
  const verified = await crypto.subtle.verify(algorithm, key, bytes, data)
  if (!verified) {
    throw ope('JWT signature verification failed', 'OAUTH_INVALID_RESPONSE', { key, data, algorithm })
  }
}

/** The WebCrypto verify parameters for an imported key; weak RSA keys are refused (RFC 7518 §3.3, §3.5). */
function verifyAlgorithm(key: CryptoKey): AlgorithmIdentifier | EcdsaParams | RsaPssParams {
  const algorithm = key.algorithm as KeyAlgorithm & {
    namedCurve?: string
    modulusLength?: number
    hash?: { name: string }
  }
  switch (algorithm.name) {
    case 'ECDSA': {
      const hash = { 'P-256': 'SHA-256', 'P-384': 'SHA-384', 'P-521': 'SHA-512' }[algorithm.namedCurve ?? '']
      if (hash === undefined) throw new UnsupportedOperationError('unsupported ECDSA namedCurve')
      return { name: 'ECDSA', hash }
    }
    case 'RSA-PSS':
    case 'RSASSA-PKCS1-v1_5': {
      if (typeof algorithm.modulusLength !== 'number' || algorithm.modulusLength < 2048) {
        throw new UnsupportedOperationError(`unsupported ${algorithm.name} modulusLength`)
      }
      if (algorithm.name === 'RSASSA-PKCS1-v1_5') return algorithm.name
      // RFC 7518 §3.5: the salt is as long as the hash output.
      return { name: 'RSA-PSS', saltLength: parseInt(algorithm.hash!.name.slice(-3), 10) >> 3 }
    }
    default:
      return algorithm.name
  }
}
