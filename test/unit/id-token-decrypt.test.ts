// Which configured key decrypts an encrypted ID Token (contract §1.7): exactly one may fit the JWE header, by
// `kid` (only when the JWE names one), a pinned `alg`, the key type and the `epk` curve. Each case below has two
// keys configured, so that a rule that let the wrong key in would end in "multiple applicable keys".
import { CompactEncrypt } from 'jose'
import { describe, expect, it } from 'vitest'
import {
  ClientError,
  Configuration,
  None,
  customFetch,
  enableDecryptingResponses,
  genericGrantRequest,
} from '../../src/index.js'
import type { DecryptionKey } from '../../src/index.js'
import { expectTypeError, rejection } from '../support/expect.js'

const ISSUER = 'https://op.example.test'
const CLIENT_ID = 'client-1'
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

function idToken(): string {
  const now = Math.floor(Date.now() / 1000)
  return `${b64({ alg: 'RS256' })}.${b64({ iss: ISSUER, sub: 'alice', aud: CLIENT_ID, iat: now, exp: now + 60 })}.c2ln`
}

async function encrypt(publicKey: CryptoKey, header: Record<string, string>): Promise<string> {
  return new CompactEncrypt(new TextEncoder().encode(idToken()))
    .setProtectedHeader({ enc: 'A256GCM', ...header } as never)
    .encrypt(publicKey)
}

function grant(jwe: string, ...keys: Array<CryptoKey | DecryptionKey>) {
  const config = new Configuration(
    { issuer: ISSUER, token_endpoint: `${ISSUER}/token` },
    CLIENT_ID,
    {},
    None(),
  )
  config[customFetch] = async () => Response.json({ access_token: 'at', token_type: 'bearer', id_token: jwe })
  enableDecryptingResponses(config, undefined, ...keys)
  return genericGrantRequest(config, 'urn:example:grant', {})
}

const gen = async (algorithm: RsaHashedKeyGenParams | EcKeyGenParams | Algorithm) =>
  (await crypto.subtle.generateKey(
    algorithm,
    true,
    ['deriveBits', 'decrypt', 'encrypt'].filter((usage) =>
      'hash' in algorithm ? usage !== 'deriveBits' : usage === 'deriveBits',
    ) as KeyUsage[],
  )) as CryptoKeyPair

const rsa = () =>
  gen({ name: 'RSA-OAEP', hash: 'SHA-256', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) })
const p256 = () => gen({ name: 'ECDH', namedCurve: 'P-256' })
const x25519 = () => gen({ name: 'X25519' })

async function expectDecryptionFailure(promise: Promise<unknown>, message: string) {
  const err = await rejection(promise)
  expect(err).toBeInstanceOf(ClientError)
  expect(err.code).toBe('OAUTH_DECRYPTION_FAILED')
  expect(err.message).toBe(message)
}

describe('decryption key selection', () => {
  it('a JWE without kid fits keys that have one', async () => {
    const r = await rsa()
    const e = await p256()
    const jwe = await encrypt(r.publicKey, { alg: 'RSA-OAEP-256' })
    const tokens = await grant(jwe, { key: r.privateKey, kid: 'r1' }, { key: e.privateKey, kid: 'e1' })
    expect(tokens.claims()?.sub).toBe('alice')
  })

  it('a JWE kid selects the key with that kid only', async () => {
    const a = await x25519()
    const b = await x25519()
    const jwe = await encrypt(b.publicKey, { alg: 'ECDH-ES', kid: 'b' })
    expect(
      (await grant(jwe, { key: a.privateKey, kid: 'a' }, { key: b.privateKey, kid: 'b' })).claims()?.sub,
    ).toBe('alice')
    await expectDecryptionFailure(
      grant(
        await encrypt(b.publicKey, { alg: 'ECDH-ES', kid: 'c' }),
        { key: a.privateKey, kid: 'a' },
        { key: b.privateKey, kid: 'b' },
      ),
      'no applicable decryption key selected',
    )
  })

  it('a key pinned to another ECDH-ES variant is no candidate', async () => {
    const pinned = await x25519()
    const open = await x25519()
    const jwe = await encrypt(open.publicKey, { alg: 'ECDH-ES' })
    const keys = [{ key: pinned.privateKey, alg: 'ECDH-ES+A128KW' }, open.privateKey]
    expect((await grant(jwe, ...keys)).claims()?.sub).toBe('alice')
  })

  it('an RSA-OAEP JWE fits RSA keys only', async () => {
    const r = await rsa()
    const e = await p256()
    const x = await x25519()
    const jwe = await encrypt(r.publicKey, { alg: 'RSA-OAEP-256' })
    expect((await grant(jwe, r.privateKey, e.privateKey, x.privateKey)).claims()?.sub).toBe('alice')
  })

  it('an ECDH-ES JWE fits the key whose curve is that of its epk', async () => {
    const e = await p256()
    const x = await x25519()
    for (const target of [e, x]) {
      const jwe = await encrypt(target.publicKey, { alg: 'ECDH-ES' })
      expect((await grant(jwe, e.privateKey, x.privateKey)).claims()?.sub).toBe('alice')
    }
  })

  it('an RSA key is no candidate for an ECDH-ES JWE, whatever its epk curve', async () => {
    const r = await rsa()
    const x = await x25519()
    const jwe = await encrypt(x.publicKey, { alg: 'ECDH-ES' })
    expect((await grant(jwe, r.privateKey, x.privateKey)).claims()?.sub).toBe('alice')
  })

  it('two keys that fit are "multiple applicable decryption keys selected"', async () => {
    const a = await x25519()
    const b = await x25519()
    await expectDecryptionFailure(
      grant(await encrypt(a.publicKey, { alg: 'ECDH-ES' }), a.privateKey, b.privateKey),
      'multiple applicable decryption keys selected',
    )
  })
})

describe('key arguments', () => {
  it('null is not a key', () => {
    const config = new Configuration({ issuer: ISSUER }, CLIENT_ID)
    expectTypeError(
      () => enableDecryptingResponses(config, undefined, null as never),
      'ERR_INVALID_ARG_TYPE',
      /^"keys" must be CryptoKey or \{ key: CryptoKey \} objects$/,
    )
  })

  it('an alg or kid that is not a string is ignored: the alg is derived from the key', async () => {
    const r = await rsa()
    const jwe = await encrypt(r.publicKey, { alg: 'RSA-OAEP-256' })
    const tokens = await grant(jwe, { key: r.privateKey, alg: 256 as never, kid: 1 as never })
    expect(tokens.claims()?.sub).toBe('alice')
  })
})
