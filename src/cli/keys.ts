// Private keys from files, for private_key_jwt, DPoP and JWT bearer assertions: a JWK (or a JWKS holding one
// private key) or a PEM (PKCS#8, SEC1, PKCS#1). Imported as non-extractable WebCrypto keys; the file's text is
// dropped as soon as the key is imported and never printed.

import { createPrivateKey, createPublicKey, webcrypto } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { UsageError } from './exit-codes.js'

export interface LoadedKey {
  privateKey: CryptoKey
  publicKey: CryptoKey
  kid: string | undefined
  alg: string
}

type Jwk = Record<string, unknown> & { kty?: string; crv?: string; alg?: string; kid?: string; d?: string }

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']

/** Reads a private key file; `alg` picks the RSA algorithm (RS256 unless told PS256, RS384...). */
export async function loadPrivateKey(path: string, flagName: string, alg?: string): Promise<LoadedKey> {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new UsageError(
      `${flagName}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    )
  }
  let jwk: Jwk
  const trimmed = text.trim()
  if (trimmed.startsWith('{')) {
    let parsed: unknown
    try {
      parsed = JSON.parse(trimmed)
    } catch {
      throw new UsageError(`${flagName}: ${path} is neither a JWK nor a PEM file`)
    }
    const keys = (parsed as { keys?: unknown }).keys
    const candidate = Array.isArray(keys) ? keys.find((k: Jwk) => typeof k?.d === 'string') : parsed
    if (!candidate || typeof (candidate as Jwk).d !== 'string') {
      throw new UsageError(`${flagName}: ${path} holds no private key (a JWK with "d")`)
    }
    jwk = candidate as Jwk
  } else if (trimmed.includes('-----BEGIN')) {
    try {
      const keyObject = createPrivateKey(trimmed)
      jwk = { ...(keyObject.export({ format: 'jwk' }) as Jwk) }
    } catch {
      throw new UsageError(
        `${flagName}: ${path} is not an unencrypted private key PEM`,
        'export it with: openssl pkcs8 -topk8 -nocrypt -in <key> -out <key.pem>',
      )
    }
  } else {
    throw new UsageError(`${flagName}: ${path} is neither a JWK nor a PEM file`)
  }
  return importJwk(jwk, flagName, alg)
}

async function importJwk(jwk: Jwk, flagName: string, algFlag?: string): Promise<LoadedKey> {
  const alg = algFlag ?? jwk.alg ?? defaultAlg(jwk)
  const params = importParams(jwk, alg)
  if (!params)
    throw new UsageError(`${flagName}: unsupported key type or algorithm (${jwk.kty ?? '?'} ${alg ?? ''})`)
  const { alg: _a, use: _u, key_ops: _k, kid, ext: _e, ...bare } = jwk
  const publicJwk = Object.fromEntries(
    Object.entries(bare).filter(([name]) => !PRIVATE_MEMBERS.includes(name)),
  )
  try {
    const privateKey = await webcrypto.subtle.importKey('jwk', bare as JsonWebKey, params, false, ['sign'])
    const publicKey = await webcrypto.subtle.importKey('jwk', publicJwk as JsonWebKey, params, true, [
      'verify',
    ])
    return { privateKey, publicKey, kid: typeof kid === 'string' ? kid : undefined, alg: alg! }
  } catch {
    throw new UsageError(`${flagName}: the key cannot be imported for ${alg}`)
  }
}

function defaultAlg(jwk: Jwk): string | undefined {
  if (jwk.kty === 'EC') return { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' }[jwk.crv ?? '']
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'Ed25519'
  if (jwk.kty === 'RSA') return 'RS256'
  return undefined
}

function importParams(
  jwk: Jwk,
  alg: string | undefined,
): RsaHashedImportParams | EcKeyImportParams | Algorithm | undefined {
  if (alg === undefined) return undefined
  if (jwk.kty === 'EC' && /^ES(256|384|512)$/.test(alg)) return { name: 'ECDSA', namedCurve: jwk.crv ?? '' }
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519' && (alg === 'Ed25519' || alg === 'EdDSA'))
    return { name: 'Ed25519' }
  if (jwk.kty === 'RSA') {
    const m = /^(RS|PS)(256|384|512)$/.exec(alg)
    if (m) return { name: m[1] === 'RS' ? 'RSASSA-PKCS1-v1_5' : 'RSA-PSS', hash: `SHA-${m[2]}` }
  }
  return undefined
}

/** The public half of a PEM or JWK private key file, as a JWK (for `grantline demo`, which registers it). */
export function publicJwkOfPem(pem: string): Record<string, unknown> {
  return createPublicKey(createPrivateKey(pem)).export({ format: 'jwk' }) as Record<string, unknown>
}
