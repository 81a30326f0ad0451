// Shared by the callback's hostile and differential tests: an issuer signing key whose public half the scripted
// server publishes at /jwks, a client decryption key, and helpers that sign (and encrypt) ID Tokens and JARM
// responses and compute OIDC hashes independently of grantline (node:crypto, not src/).

import { createHash, generateKeyPairSync, sign as nodeSign, type KeyObject } from 'node:crypto'
import { CompactEncrypt, generateKeyPair } from 'jose'
import type { ServerResponse } from 'node:http'
import { CLIENT_ID } from '../support/scripted-server.js'
import { json } from '../support/scripted-server.js'

export interface IssuerKeys {
  /** The ES256 key the server signs with, `kid` `sig-1`. */
  privateKey: KeyObject
  /** Another ES256 key nobody published (for forged signatures). */
  foreignKey: KeyObject
  /** The JWKS to serve. */
  jwks: { keys: Record<string, unknown>[] }
}

export function issuerKeys(): IssuerKeys {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const foreign = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const jwk = publicKey.export({ format: 'jwk' })
  return {
    privateKey,
    foreignKey: foreign.privateKey,
    jwks: { keys: [{ ...jwk, kid: 'sig-1', alg: 'ES256', use: 'sig' }] },
  }
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

/** An ES256 compact JWS (header kid `sig-1` unless overridden). */
export function signJwt(
  key: KeyObject,
  payload: Record<string, unknown>,
  header: Record<string, unknown> = {},
): string {
  const input = `${b64url({ alg: 'ES256', kid: 'sig-1', ...header })}.${b64url(payload)}`
  const signature = nodeSign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' })
  return `${input}.${signature.toString('base64url')}`
}

/** OIDC Core §3.3.2.11 for ES256: left half of SHA-256, base64url. */
export function halfHash(value: string): string {
  return createHash('sha256').update(value).digest().subarray(0, 16).toString('base64url')
}

/** A client decryption key pair (ECDH-ES P-256): the CryptoKey for enableDecryptingResponses, the public JWK. */
export async function clientEncryptionKey(): Promise<{
  privateKey: CryptoKey
  encrypt(jws: string): Promise<string>
}> {
  const { privateKey, publicKey } = await generateKeyPair('ECDH-ES', { crv: 'P-256', extractable: false })
  return {
    privateKey: privateKey as CryptoKey,
    encrypt: (jws) =>
      new CompactEncrypt(new TextEncoder().encode(jws))
        .setProtectedHeader({ alg: 'ECDH-ES', enc: 'A128GCM', cty: 'JWT' })
        .encrypt(publicKey),
  }
}

/** ID Token claims that pass every check for `issuer`, overridable one by one. */
export function idTokenClaims(
  issuer: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000)
  return {
    iss: issuer,
    sub: 'user-1',
    aud: CLIENT_ID,
    iat: now,
    exp: now + 300,
    auth_time: now - 5,
    ...overrides,
  }
}

/** The JWKS route, then `token` for anything else. */
export function serveJwksAnd(
  jwks: unknown,
  token: (res: ServerResponse) => void,
): (req: { url?: string | undefined }, res: ServerResponse) => void {
  return (req, res) => {
    if (req.url === '/jwks') return json(res, 200, jwks)
    token(res)
  }
}
