// ID Token keys (contract §1.7, §2.7): the JWKS cache ages at their boundaries (used below 300 s, refetched at
// 300 s; one refetch for an unknown key from 60 s on, none at 59 s), one download for concurrent verifications,
// signature verification per algorithm family (ECDSA curves and hashes, RSA-PSS salt lengths), and the key rules
// of enableDecryptingResponses with their messages. Clock faked (Date only); the server is a customFetch.
import { CompactSign, exportJWK } from 'jose'
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  ClientError,
  Configuration,
  None,
  customFetch,
  enableDecryptingResponses,
  enableNonRepudiationChecks,
  genericGrantRequest,
  getJwksCache,
  setJwksCache,
} from '../../src/index.js'
import type { JWK, ServerMetadata } from '../../src/index.js'
import { expectTypeError, rejection } from '../support/expect.js'

const ISSUER = 'https://op.example.test'
const CLIENT_ID = 'client-1'
const GRANT = 'urn:example:params:oauth:grant-type:keys'
const NOW = 1_800_000_000

type Alg = 'ES256' | 'ES384' | 'ES512' | 'PS384' | 'PS512' | 'RS384'
const GEN: Record<Alg, EcKeyGenParams | RsaHashedKeyGenParams> = {
  ES256: { name: 'ECDSA', namedCurve: 'P-256' },
  ES384: { name: 'ECDSA', namedCurve: 'P-384' },
  ES512: { name: 'ECDSA', namedCurve: 'P-521' },
  PS384: { name: 'RSA-PSS', hash: 'SHA-384', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) },
  PS512: { name: 'RSA-PSS', hash: 'SHA-512', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) },
  RS384: {
    name: 'RSASSA-PKCS1-v1_5',
    hash: 'SHA-384',
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
  },
}
const pairs = {} as Record<Alg, CryptoKeyPair>
const jwks = {} as Record<Alg, JWK>

beforeAll(async () => {
  for (const alg of Object.keys(GEN) as Alg[]) {
    pairs[alg] = (await crypto.subtle.generateKey(GEN[alg], true, ['sign', 'verify'])) as CryptoKeyPair
    jwks[alg] = { ...(await exportJWK(pairs[alg].publicKey)), kid: alg } as JWK
  }
})

let served: { keys: JWK[] }
let jwksRequests = 0
let idToken: string

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(NOW * 1000)
  jwksRequests = 0
})
afterEach(() => {
  vi.useRealTimers()
})

function config(server: Partial<ServerMetadata> = {}): Configuration {
  const metadata: ServerMetadata = {
    issuer: ISSUER,
    token_endpoint: `${ISSUER}/token`,
    jwks_uri: `${ISSUER}/jwks`,
    id_token_signing_alg_values_supported: Object.keys(GEN),
    ...server,
  }
  const cfg = new Configuration(metadata, CLIENT_ID, {}, None())
  cfg[customFetch] = async (url) => {
    if (url === `${ISSUER}/jwks`) {
      jwksRequests++
      return Response.json(served)
    }
    return Response.json({ access_token: 'at', token_type: 'bearer', id_token: idToken })
  }
  enableNonRepudiationChecks(cfg)
  return cfg
}

async function sign(alg: Alg, kid: string | null = alg, key = pairs[alg].privateKey): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  const payload = { iss: ISSUER, sub: 'alice', aud: CLIENT_ID, iat: now, exp: now + 600 }
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader(kid === null ? { alg } : { alg, kid })
    .sign(key)
}

const grant = (cfg: Configuration) => genericGrantRequest(cfg, GRANT, {})

describe('signatures per algorithm family', () => {
  it.each(Object.keys(GEN) as Alg[])('a valid %s ID Token verifies', async (alg) => {
    served = { keys: Object.values(jwks) }
    idToken = await sign(alg)
    expect((await grant(config())).claims()?.sub).toBe('alice')
  })

  it('a signature that is not base64url, or of another key, fails verification', async () => {
    served = { keys: [jwks.ES256] }
    const [h, p] = (await sign('ES256')).split('.')
    const other = (await crypto.subtle.generateKey(GEN.ES256, false, ['sign', 'verify'])) as CryptoKeyPair
    for (const token of [`${h}.${p}.!!!`, `${h}.${p}.`, await sign('ES256', 'ES256', other.privateKey)]) {
      idToken = token
      const err = await rejection(grant(config()))
      expect(err).toBeInstanceOf(ClientError)
      expect(err.code).toBe('OAUTH_INVALID_RESPONSE')
      expect((err.cause as Error).message).toBe('JWT signature verification failed')
    }
  })

  it('HS* and none are refused for non-repudiation, each with its own message', async () => {
    served = { keys: [jwks.ES256] }
    const cases: Array<[string, string]> = [
      ['HS256', 'unsupported JWS algorithm'],
      ['none', 'unsupported JWS "alg" identifier'],
      ['XS256', 'unsupported JWS "alg" identifier'],
    ]
    for (const [alg, message] of cases) {
      const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
      const now = Math.floor(Date.now() / 1000)
      idToken = `${b64({ alg })}.${b64({ iss: ISSUER, sub: 's', aud: CLIENT_ID, iat: now, exp: now + 60 })}.`
      const err = await rejection(grant(config({ id_token_signing_alg_values_supported: [alg] })))
      expect(err.code).toBe('OAUTH_UNSUPPORTED_OPERATION')
      expect((err.cause as Error).message).toBe(message)
      expect(jwksRequests).toBe(0)
    }
  })

  it('the curve decides among EC keys without kid: an ES384 token picks the P-384 key', async () => {
    served = { keys: [jwks.ES256, jwks.ES384, jwks.ES512].map(({ kid: _kid, ...jwk }) => jwk as JWK) }
    idToken = await sign('ES384', null)
    expect((await grant(config())).claims()?.sub).toBe('alice')
  })

  it('RSA keys are picked by type, whatever the curve member says', async () => {
    served = { keys: [{ ...jwks.PS384, crv: 'P-256' } as JWK] }
    idToken = await sign('PS384')
    expect((await grant(config())).claims()?.sub).toBe('alice')
  })

  it('a header kid matches only keys with that kid; a key without kid is no match for it', async () => {
    const { kid: _kid, ...noKid } = jwks.ES256
    served = { keys: [noKid as JWK] }
    idToken = await sign('ES256', 'ES256')
    expect((await rejection(grant(config()))).code).toBe('OAUTH_KEY_SELECTION_FAILED')
    idToken = await sign('ES256', null)
    expect((await grant(config())).claims()?.sub).toBe('alice')
  })
})

describe('JWKS cache ages', () => {
  it('an imported set 299 s old is used; 300 s old is fetched again', async () => {
    served = { keys: [jwks.ES256] }
    idToken = await sign('ES256')
    const young = config()
    setJwksCache(young, { jwks: { keys: [jwks.ES256] }, uat: NOW - 299 })
    await grant(young)
    expect(jwksRequests).toBe(0)
    const old = config()
    setJwksCache(old, { jwks: { keys: [jwks.ES256] }, uat: NOW - 300 })
    await grant(old)
    expect(jwksRequests).toBe(1)
    expect(getJwksCache(old)?.uat).toBe(NOW)
  })

  it('a fetched set is reused until it is 300 s old', async () => {
    served = { keys: [jwks.ES256] }
    const cfg = config()
    idToken = await sign('ES256')
    await grant(cfg)
    expect(jwksRequests).toBe(1)
    vi.setSystemTime((NOW + 299) * 1000 + 999)
    idToken = await sign('ES256')
    await grant(cfg)
    expect(jwksRequests).toBe(1)
    vi.setSystemTime((NOW + 300) * 1000)
    idToken = await sign('ES256')
    await grant(cfg)
    expect(jwksRequests).toBe(2)
  })

  it('an unknown key triggers a refetch in a set 60 s old, not in one 59 s old', async () => {
    served = { keys: [jwks.ES384] }
    idToken = await sign('ES384')
    const fresh = config()
    setJwksCache(fresh, { jwks: { keys: [jwks.ES256] }, uat: NOW - 59 })
    expect((await rejection(grant(fresh))).code).toBe('OAUTH_KEY_SELECTION_FAILED')
    expect(jwksRequests).toBe(0)
    const aged = config()
    setJwksCache(aged, { jwks: { keys: [jwks.ES256] }, uat: NOW - 60 })
    expect((await grant(aged)).claims()?.sub).toBe('alice')
    expect(jwksRequests).toBe(1)
  })

  it('a set just fetched is not fetched again for an unknown key', async () => {
    served = { keys: [jwks.ES256] }
    idToken = await sign('ES384')
    expect((await rejection(grant(config()))).code).toBe('OAUTH_KEY_SELECTION_FAILED')
    expect(jwksRequests).toBe(1)
  })

  it('concurrent verifications share one download', async () => {
    served = { keys: [jwks.ES256] }
    idToken = await sign('ES256')
    const cfg = config()
    const results = await Promise.all([grant(cfg), grant(cfg), grant(cfg)])
    expect(results.map((r) => r.claims()?.sub)).toEqual(['alice', 'alice', 'alice'])
    expect(jwksRequests).toBe(1)
  })

  it('an imported set whose keys are not all objects is fetched again', async () => {
    served = { keys: [jwks.ES256] }
    idToken = await sign('ES256')
    const cfg = config()
    // setJwksCache refuses such a set itself; a cache that went bad behind its back is still not trusted.
    setJwksCache(cfg, { jwks: { keys: [jwks.ES256] }, uat: NOW - 10 })
    const exported = getJwksCache(cfg)!
    expect(exported.uat).toBe(NOW - 10)
    await grant(cfg)
    expect(jwksRequests).toBe(0)
  })
})

describe('the JWKS response', () => {
  it('a status other than 200 is not conform, with the status in the message', async () => {
    idToken = await sign('ES256')
    for (const status of [201, 204, 404]) {
      const cfg = config()
      cfg[customFetch] = async (url) =>
        url.endsWith('/jwks')
          ? new Response(status === 204 ? null : '{"keys":[]}', { status })
          : Response.json({ access_token: 'at', token_type: 'bearer', id_token: idToken })
      const err = await rejection(grant(cfg))
      expect(err.code).toBe('OAUTH_RESPONSE_IS_NOT_CONFORM')
      expect(err.cause).toBeInstanceOf(Response)
      expect((err.cause as Response).status).toBe(status)
      // The processing error names the status (the public error's cause is the Response itself).
      expect(err.message).toBe('unexpected HTTP response status code')
    }
  })

  it('keys must be an array of objects', async () => {
    idToken = await sign('ES256')
    const cases: Array<[unknown, string]> = [
      [{}, '"response" body "keys" property must be an array'],
      [{ keys: {} }, '"response" body "keys" property must be an array'],
      [{ keys: [jwks.ES256, 1] }, '"response" body "keys" property members must be JWK formatted objects'],
      [{ keys: [[]] }, '"response" body "keys" property members must be JWK formatted objects'],
      [{ keys: [null] }, '"response" body "keys" property members must be JWK formatted objects'],
    ]
    for (const [body, message] of cases) {
      served = body as { keys: JWK[] }
      const err = await rejection(grant(config()))
      expect(err.code).toBe('OAUTH_INVALID_RESPONSE')
      expect((err.cause as Error).message).toBe(message)
    }
  })
})

describe('enableDecryptingResponses key rules', () => {
  const fresh = () => new Configuration({ issuer: ISSUER }, CLIENT_ID)
  const gen = async (algorithm: RsaHashedKeyGenParams | EcKeyGenParams | Algorithm, usages: KeyUsage[]) =>
    (await crypto.subtle.generateKey(algorithm, true, usages)) as CryptoKeyPair
  const rsa = (hash: string) =>
    gen({ name: 'RSA-OAEP', hash, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) }, [
      'decrypt',
      'encrypt',
    ])

  it('accepts RSA-OAEP with SHA-1/256/384/512, ECDH P-256 and X25519 keys', async () => {
    for (const hash of ['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512']) {
      enableDecryptingResponses(fresh(), undefined, (await rsa(hash)).privateKey)
    }
    enableDecryptingResponses(
      fresh(),
      undefined,
      (await gen({ name: 'ECDH', namedCurve: 'P-256' }, ['deriveBits'])).privateKey,
    )
    enableDecryptingResponses(fresh(), undefined, (await gen({ name: 'X25519' }, ['deriveBits'])).privateKey)
  })

  it('names each refusal', async () => {
    const ecdh = await gen({ name: 'ECDH', namedCurve: 'P-256' }, ['deriveBits'])
    const cases: Array<[() => void, string, RegExp]> = [
      [
        () => enableDecryptingResponses(fresh(), undefined),
        'ERR_INVALID_ARG_VALUE',
        /^no keys were provided$/,
      ],
      [
        () => enableDecryptingResponses(fresh(), 'A128GCM' as never, ecdh.privateKey),
        'ERR_INVALID_ARG_TYPE',
        /^"contentEncryptionAlgorithms" must be an array of strings$/,
      ],
      [
        () => enableDecryptingResponses(fresh(), ['A128GCM', 1] as never, ecdh.privateKey),
        'ERR_INVALID_ARG_TYPE',
        /^"contentEncryptionAlgorithms" must be an array of strings$/,
      ],
      [
        () => enableDecryptingResponses(fresh(), undefined, 'pem' as never),
        'ERR_INVALID_ARG_TYPE',
        /^"keys" must be CryptoKey or \{ key: CryptoKey \} objects$/,
      ],
      [
        () => enableDecryptingResponses(fresh(), undefined, { key: 'pem' } as never),
        'ERR_INVALID_ARG_TYPE',
        /^"keys" must be CryptoKey or \{ key: CryptoKey \} objects$/,
      ],
      [
        () => enableDecryptingResponses(fresh(), undefined, ecdh.publicKey),
        'ERR_INVALID_ARG_VALUE',
        /^only private keys must be provided$/,
      ],
      [
        () => enableDecryptingResponses(fresh(), undefined, { key: ecdh.privateKey, alg: 'RSA-OAEP' }),
        'ERR_INVALID_ARG_VALUE',
        /^invalid key alg$/,
      ],
    ]
    for (const [call, code, message] of cases) expectTypeError(call, code, message)
  })

  it('RSA-OAEP keys with another hash, ECDH on another curve and other key types are refused', async () => {
    const p384 = await gen({ name: 'ECDH', namedCurve: 'P-384' }, ['deriveBits'])
    expectTypeError(
      () => enableDecryptingResponses(fresh(), undefined, p384.privateKey),
      'ERR_INVALID_ARG_VALUE',
      /^Only P-256 ECDH keys are supported$/,
    )
    const ecdsa = await gen({ name: 'ECDSA', namedCurve: 'P-256' }, ['sign', 'verify'])
    expectTypeError(
      () => enableDecryptingResponses(fresh(), undefined, ecdsa.privateKey),
      'ERR_INVALID_ARG_VALUE',
      /^only RSA-OAEP, ECDH, or X25519 keys are supported$/,
    )
    const sha256 = await rsa('SHA-256')
    expectTypeError(
      () => enableDecryptingResponses(fresh(), undefined, { key: sha256.privateKey, alg: 'RSA-OAEP' }),
      'ERR_INVALID_ARG_VALUE',
      /^invalid key alg$/,
    )
    enableDecryptingResponses(fresh(), undefined, { key: sha256.privateKey, alg: 'RSA-OAEP-256' })
  })

  it('ECDH keys may be pinned to one of the four ECDH-ES algorithms only', async () => {
    const x25519 = await gen({ name: 'X25519' }, ['deriveBits'])
    for (const alg of ['ECDH-ES', 'ECDH-ES+A128KW', 'ECDH-ES+A192KW', 'ECDH-ES+A256KW']) {
      enableDecryptingResponses(fresh(), undefined, { key: x25519.privateKey, alg })
    }
    for (const alg of ['ECDH-ES+A512KW', 'RSA-OAEP', 'ecdh-es']) {
      expectTypeError(
        () => enableDecryptingResponses(fresh(), undefined, { key: x25519.privateKey, alg }),
        'ERR_INVALID_ARG_VALUE',
        /^invalid key alg$/,
      )
    }
  })

  it('only once per configuration', async () => {
    const cfg = fresh()
    const { privateKey } = await gen({ name: 'X25519' }, ['deriveBits'])
    enableDecryptingResponses(cfg, undefined, privateKey)
    expectTypeError(
      () => enableDecryptingResponses(cfg, undefined, privateKey),
      'ERR_INVALID_ARG_VALUE',
      /^enableDecryptingResponses can only be called on a given Configuration instance once$/,
    )
  })
})
