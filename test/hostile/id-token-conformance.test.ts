// A conformance-style negative suite for ID Tokens in token responses, modelled on the OpenID Foundation's RP
// certification test list (the `rp-id_token-*` and `rp-key-rotation-*` cases), plus the JWKS and JWE rules of
// the contract (§2.5, §2.7, §1.7). A scripted server serves the JWKS and token responses carrying ID Tokens this
// file signs (and encrypts) itself.
import { CompactEncrypt, CompactSign, exportJWK } from 'jose'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  ClientError,
  Configuration,
  None,
  allowInsecureRequests,
  clockSkew,
  clockTolerance,
  customFetch,
  enableDecryptingResponses,
  enableNonRepudiationChecks,
  genericGrantRequest,
  getJwksCache,
  setJwksCache,
} from '../../src/index.js'
import type { ClientMetadata, JWK, ServerMetadata } from '../../src/index.js'
import { json, startRouteServer, type RouteServer } from '../support/jwks-server.js'
import { rejection as failure, type Failure } from '../support/expect.js'

const CLIENT_ID = 'rp-client'
const GRANT = 'urn:example:params:oauth:grant-type:conformance'

let server: RouteServer
let issuer: string
/** What `/jwks` and `/token` serve to the next request. */
let jwks: { keys: JWK[] }
let idToken: string

type Alg = 'ES256' | 'RS256' | 'PS256' | 'Ed25519'
const signingKeys = {} as Record<Alg, CryptoKeyPair>
const publicJwks = {} as Record<Alg, JWK>

const GEN: Record<Alg, RsaHashedKeyGenParams | EcKeyGenParams | { name: string }> = {
  ES256: { name: 'ECDSA', namedCurve: 'P-256' },
  RS256: {
    name: 'RSASSA-PKCS1-v1_5',
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: 'SHA-256',
  },
  PS256: { name: 'RSA-PSS', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
  Ed25519: { name: 'Ed25519' },
}

async function generate(alg: Alg): Promise<CryptoKeyPair> {
  return (await crypto.subtle.generateKey(GEN[alg], true, ['sign', 'verify'])) as CryptoKeyPair
}

async function publicJwk(key: CryptoKey, extra: Record<string, unknown>): Promise<JWK> {
  return { ...(await exportJWK(key)), ...extra } as JWK
}

beforeAll(async () => {
  server = await startRouteServer()
  issuer = server.origin
  for (const alg of Object.keys(GEN) as Alg[]) {
    signingKeys[alg] = await generate(alg)
    publicJwks[alg] = await publicJwk(signingKeys[alg].publicKey, { kid: `sig-${alg}`, use: 'sig' })
  }
})
afterAll(() => server.close())
beforeEach(() => {
  server.reset()
  jwks = { keys: Object.values(publicJwks) }
  server.route('/jwks', (_req, res) => json(jwks)(_req, res, undefined as never))
  server.route('/token', (_req, res) =>
    json({ access_token: 'at', token_type: 'Bearer', id_token: idToken })(_req, res, undefined as never),
  )
})

const now = () => Math.floor(Date.now() / 1000)
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const base: Record<string, unknown> = {
    iss: issuer,
    sub: 'alice',
    aud: CLIENT_ID,
    iat: now(),
    exp: now() + 300,
  }
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete base[name]
    else base[name] = value
  }
  return base
}

async function sign(
  alg: Alg,
  payload: Record<string, unknown>,
  header: Record<string, unknown> = { kid: `sig-${alg}` },
  key: CryptoKey = signingKeys[alg].privateKey,
): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg, ...header })
    .sign(key)
}

function unsigned(header: Record<string, unknown>, payload: Record<string, unknown>): string {
  return `${b64(header)}.${b64(payload)}.`
}

interface Setup {
  /** Server metadata overrides; `undefined` removes a member. */
  server?: Record<string, unknown>
  client?: Partial<ClientMetadata>
  nonRepudiation?: boolean
}

function config(setup: Setup = {}): Configuration {
  const metadata: ServerMetadata = {
    issuer,
    token_endpoint: `${issuer}/token`,
    jwks_uri: `${issuer}/jwks`,
    id_token_signing_alg_values_supported: ['ES256', 'RS256', 'PS256', 'Ed25519'],
    ...setup.server,
  } as ServerMetadata
  const result = new Configuration(metadata, CLIENT_ID, setup.client, None())
  allowInsecureRequests(result)
  if (setup.nonRepudiation !== false) enableNonRepudiationChecks(result)
  return result
}

async function grant(cfg: Configuration) {
  return genericGrantRequest(cfg, GRANT, {})
}

/** Asserts the public error: class, code, its message (fixed by the contract), and the internal reason. */
function expectRejected(err: Failure, code: string, message: string, reason?: string | RegExp) {
  expect(err).toBeInstanceOf(ClientError)
  expect(err.code).toBe(code)
  expect(err.message).toBe(message)
  if (reason !== undefined) expect((err.cause as Error).message).toMatch(reason)
}

const INVALID = 'invalid response encountered'
const CLAIM = 'unexpected JWT claim value encountered'
const TIMESTAMP = 'JWT timestamp claim value failed validation'
const jwksRequests = () => server.requests.filter((r) => r.path === '/jwks').length

describe('signature: accepted (rp-id_token-sig-*)', () => {
  for (const alg of ['ES256', 'RS256', 'PS256', 'Ed25519'] as const) {
    it(`rp-id_token-sig-${alg.toLowerCase()}: a valid ${alg} ID Token is accepted with non-repudiation checks`, async () => {
      idToken = await sign(alg, claims())
      const tokens = await grant(config())
      expect(tokens.id_token).toBe(idToken)
      expect(tokens.claims()).toMatchObject({ sub: 'alice', aud: CLIENT_ID })
      expect(jwksRequests()).toBe(1)
    })
  }
})

describe('signature: refused', () => {
  for (const alg of ['ES256', 'RS256', 'PS256', 'Ed25519'] as const) {
    it(`rp-id_token-bad-sig-${alg.toLowerCase()}: a ${alg} ID Token with an invalid signature is refused`, async () => {
      const genuine = await sign(alg, claims())
      const [header, , signature] = genuine.split('.')
      idToken = `${header}.${b64(claims({ sub: 'mallory' }))}.${signature}`
      const err = await failure(grant(config()))
      expectRejected(err, 'OAUTH_INVALID_RESPONSE', INVALID, 'JWT signature verification failed')
    })
  }

  it('rp-id_token-bad-sig-es256 (foreign key): signed by another key under the published kid', async () => {
    const impostor = await generate('ES256')
    idToken = await sign('ES256', claims(), { kid: 'sig-ES256' }, impostor.privateKey)
    const err = await failure(grant(config()))
    expectRejected(err, 'OAUTH_INVALID_RESPONSE', INVALID, 'JWT signature verification failed')
  })

  it('rp-id_token-bad-sig (garbage signature bytes) is refused', async () => {
    const genuine = await sign('RS256', claims())
    idToken = `${genuine.slice(0, genuine.lastIndexOf('.'))}.!!not-base64url!!`
    const err = await failure(grant(config()))
    expectRejected(err, 'OAUTH_INVALID_RESPONSE', INVALID, 'JWT signature verification failed')
  })

  it('without enableNonRepudiationChecks an invalid signature passes (TLS is the trust anchor, contract §2.5)', async () => {
    const genuine = await sign('ES256', claims())
    idToken = `${genuine.slice(0, genuine.lastIndexOf('.'))}.AAAA`
    const tokens = await grant(config({ nonRepudiation: false }))
    expect(tokens.claims()?.sub).toBe('alice')
    expect(jwksRequests()).toBe(0)
  })
})

describe('algorithm policy', () => {
  it('rp-id_token-sig-none: alg "none" is refused when the metadata does not list it', async () => {
    idToken = unsigned({ alg: 'none' }, claims())
    const err = await failure(grant(config({ nonRepudiation: false })))
    expectRejected(err, 'OAUTH_INVALID_RESPONSE', INVALID, 'unexpected JWT "alg" header parameter')
  })

  it('rp-id_token-sig-none (listed): "none" passes claim checks but fails non-repudiation as unsupported', async () => {
    idToken = unsigned({ alg: 'none' }, claims())
    const cfg = config({ server: { id_token_signing_alg_values_supported: ['none'] } })
    const err = await failure(grant(cfg))
    expectRejected(err, 'OAUTH_UNSUPPORTED_OPERATION', 'unsupported operation')
  })

  it('an algorithm the server metadata does not allow is refused', async () => {
    idToken = await sign('ES256', claims())
    const err = await failure(grant(config({ server: { id_token_signing_alg_values_supported: ['RS256'] } })))
    expectRejected(err, 'OAUTH_INVALID_RESPONSE', INVALID, 'unexpected JWT "alg" header parameter')
  })

  it('an algorithm other than the client id_token_signed_response_alg is refused', async () => {
    idToken = await sign('RS256', claims())
    const err = await failure(grant(config({ client: { id_token_signed_response_alg: 'PS256' } })))
    expectRejected(err, 'OAUTH_INVALID_RESPONSE', INVALID, 'unexpected JWT "alg" header parameter')
  })

  it('without any alg metadata only RS256 is accepted', async () => {
    idToken = await sign('ES256', claims())
    const cfg = config({ server: { id_token_signing_alg_values_supported: undefined } })
    expectRejected(await failure(grant(cfg)), 'OAUTH_INVALID_RESPONSE', INVALID, 'unexpected JWT "alg"')
    idToken = await sign('RS256', claims())
    expect((await grant(cfg)).claims()?.sub).toBe('alice')
  })

  it('HS256 (symmetric) cannot be verified for non-repudiation: unsupported operation', async () => {
    idToken = `${b64({ alg: 'HS256' })}.${b64(claims())}.c2ln`
    const err = await failure(grant(config({ server: { id_token_signing_alg_values_supported: ['HS256'] } })))
    expectRejected(err, 'OAUTH_UNSUPPORTED_OPERATION', 'unsupported operation')
    expect(jwksRequests()).toBe(0)
  })

  it('a "crit" header parameter is refused as unsupported', async () => {
    // jose refuses to sign an unknown critical extension; `crit` is checked before any signature anyway
    idToken = `${b64({ alg: 'ES256', crit: ['urn:example:ext'], 'urn:example:ext': 1 })}.${b64(claims())}.c2ln`
    const err = await failure(grant(config()))
    expectRejected(err, 'OAUTH_UNSUPPORTED_OPERATION', 'unsupported operation')
  })
})

describe('claims (rp-id_token-issuer-mismatch, -aud, -sub, -iat, exp)', () => {
  const cases: Array<[string, Record<string, unknown>, string, string, string]> = [
    [
      'rp-id_token-issuer-mismatch',
      { iss: 'https://attacker.example' },
      'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
      CLAIM,
      'unexpected JWT "iss" (issuer) claim value',
    ],
    [
      'rp-id_token-issuer-missing',
      { iss: undefined },
      'OAUTH_INVALID_RESPONSE',
      INVALID,
      'JWT "iss" (issuer) claim missing',
    ],
    [
      'rp-id_token-issuer-invalid-type',
      { iss: 42 },
      'OAUTH_INVALID_RESPONSE',
      INVALID,
      'unexpected JWT "iss" (issuer) claim type',
    ],
    [
      'rp-id_token-aud (mismatch)',
      { aud: 'someone-else' },
      'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
      CLAIM,
      'unexpected JWT "aud" (audience) claim value',
    ],
    [
      'rp-id_token-aud (array without the client)',
      { aud: ['a', 'b'], azp: 'a' },
      'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
      CLAIM,
      'unexpected JWT "aud" (audience) claim value',
    ],
    [
      'rp-id_token-aud-missing',
      { aud: undefined },
      'OAUTH_INVALID_RESPONSE',
      INVALID,
      'JWT "aud" (audience) claim missing',
    ],
    [
      'rp-id_token-aud-invalid-type',
      { aud: 7 },
      'OAUTH_INVALID_RESPONSE',
      INVALID,
      'unexpected JWT "aud" (audience) claim type',
    ],
    [
      'rp-id_token-sub-missing',
      { sub: undefined },
      'OAUTH_INVALID_RESPONSE',
      INVALID,
      'JWT "sub" (subject) claim missing',
    ],
    [
      'rp-id_token-iat-missing',
      { iat: undefined },
      'OAUTH_INVALID_RESPONSE',
      INVALID,
      'JWT "iat" (issued at) claim missing',
    ],
    [
      'rp-id_token-iat-invalid-type',
      { iat: 'yesterday' },
      'OAUTH_INVALID_RESPONSE',
      INVALID,
      'unexpected JWT "iat" (issued at) claim type',
    ],
    [
      'rp-id_token-exp-missing',
      { exp: undefined },
      'OAUTH_INVALID_RESPONSE',
      INVALID,
      'JWT "exp" (expiration time) claim missing',
    ],
    [
      'rp-id_token-exp-invalid-type',
      { exp: '2099-01-01' },
      'OAUTH_INVALID_RESPONSE',
      INVALID,
      'unexpected JWT "exp" (expiration time) claim type',
    ],
    [
      'rp-id_token-expired (beyond the 30 s tolerance)',
      { exp: now() - 120 },
      'OAUTH_JWT_TIMESTAMP_CHECK_FAILED',
      TIMESTAMP,
      'expiration is past current timestamp',
    ],
    [
      'rp-id_token-nbf-in-future (beyond the tolerance)',
      { nbf: now() + 600 },
      'OAUTH_JWT_TIMESTAMP_CHECK_FAILED',
      TIMESTAMP,
      'unexpected JWT "nbf" (not before) claim value',
    ],
    [
      'rp-id_token-aud (second audience, no azp)',
      { aud: [CLIENT_ID, 'another'] },
      'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
      CLAIM,
      'ID Token "aud" (audience) claim includes additional untrusted audiences',
    ],
    [
      'rp-id_token-azp-mismatch (second audience, azp of another client)',
      { aud: [CLIENT_ID, 'another'], azp: 'another' },
      'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
      CLAIM,
      'unexpected ID Token "azp" (authorized party) claim value',
    ],
    [
      'rp-id_token-auth_time-invalid',
      { auth_time: -1 },
      'OAUTH_INVALID_RESPONSE',
      INVALID,
      '"auth_time" (authentication time) must be a non-negative number',
    ],
  ]
  for (const [name, overrides, code, message, reason] of cases) {
    it(`${name} is refused with ${code}`, async () => {
      idToken = await sign('ES256', claims(overrides))
      const err = await failure(grant(config()))
      expectRejected(err, code, message, reason)
      // claim checks come before the signature check: no key was needed
      expect(jwksRequests()).toBe(0)
    })
  }

  it('rp-id_token-expired (within the 30 s tolerance) is accepted', async () => {
    idToken = await sign('ES256', claims({ exp: now() - 10 }))
    expect((await grant(config())).claims()?.sub).toBe('alice')
  })

  it('rp-id_token-expired with [clockTolerance] 0 is refused', async () => {
    idToken = await sign('ES256', claims({ exp: now() - 10 }))
    const err = await failure(grant(config({ client: { [clockTolerance]: 0 } })))
    expectRejected(err, 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED', TIMESTAMP)
  })

  it('[clockSkew] moves the client clock: a token valid for 60 s is expired 120 s ahead', async () => {
    idToken = await sign('ES256', claims({ exp: now() + 60 }))
    const err = await failure(grant(config({ client: { [clockSkew]: 120 } })))
    expectRejected(err, 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED', TIMESTAMP)
    // and a clock that is behind accepts a token the server already considers expired
    idToken = await sign('ES256', claims({ exp: now() - 100 }))
    expect((await grant(config({ client: { [clockSkew]: -120 } }))).claims()?.sub).toBe('alice')
  })

  it('rp-id_token-aud (second audience with azp of this client) is accepted', async () => {
    idToken = await sign('ES256', claims({ aud: [CLIENT_ID, 'another'], azp: CLIENT_ID }))
    expect((await grant(config())).claims()?.aud).toEqual([CLIENT_ID, 'another'])
  })

  it('rp-id_token-aud (single-member array) is accepted without azp', async () => {
    idToken = await sign('ES256', claims({ aud: [CLIENT_ID] }))
    expect((await grant(config())).claims()?.aud).toEqual([CLIENT_ID])
  })

  it('auth_time is required when the client sets require_auth_time', async () => {
    idToken = await sign('ES256', claims())
    const err = await failure(grant(config({ client: { require_auth_time: true } })))
    expectRejected(
      err,
      'OAUTH_INVALID_RESPONSE',
      INVALID,
      'JWT "auth_time" (authentication time) claim missing',
    )
  })

  it('a malformed ID Token (two segments) is an invalid response', async () => {
    idToken = 'abc.def'
    expectRejected(await failure(grant(config())), 'OAUTH_INVALID_RESPONSE', INVALID, 'Invalid JWT')
  })

  it('an ID Token header that is not base64url JSON is a parse error', async () => {
    idToken = `%%%.${b64(claims())}.sig`
    expectRejected(await failure(grant(config())), 'OAUTH_PARSE_ERROR', 'parsing error occured')
  })
})

describe('key selection (rp-id_token-kid-absent-*, rp-key-rotation-op-sign-key)', () => {
  it('rp-id_token-kid-absent-single-jwks: no kid and one applicable key is accepted', async () => {
    jwks = { keys: [publicJwks.ES256, publicJwks.RS256] }
    idToken = await sign('ES256', claims(), {})
    expect((await grant(config())).claims()?.sub).toBe('alice')
  })

  it('rp-id_token-kid-absent-multiple-jwks: no kid and several applicable keys is a key selection failure', async () => {
    const second = await publicJwk((await generate('ES256')).publicKey, { kid: 'sig-ES256-b' })
    jwks = { keys: [publicJwks.ES256, second] }
    idToken = await sign('ES256', claims(), {})
    const err = await failure(grant(config()))
    expect(err).toBeInstanceOf(ClientError)
    expect(err.code).toBe('OAUTH_KEY_SELECTION_FAILED')
    expect(err.message).toBe(
      'error when selecting a JWT verification key, multiple applicable keys found, a "kid" JWT Header Parameter is required',
    )
  })

  it('a kid that is not in the JWKS is a key selection failure (no applicable keys)', async () => {
    idToken = await sign('ES256', claims(), { kid: 'unknown' })
    const err = await failure(grant(config()))
    expect(err).toBeInstanceOf(ClientError)
    expect(err.code).toBe('OAUTH_KEY_SELECTION_FAILED')
    expect(err.message).toBe('error when selecting a JWT verification key, no applicable keys found')
  })

  const unusable: Array<[string, (jwk: JWK) => JWK]> = [
    ['use "enc"', (jwk) => ({ ...jwk, use: 'enc' })],
    ['key_ops without "verify"', ({ use: _use, ...jwk }) => ({ ...jwk, key_ops: ['encrypt'] })],
    ['a different declared alg', (jwk) => ({ ...jwk, alg: 'ES384' })],
    ['a different curve', (jwk) => ({ ...jwk, crv: 'P-384' })],
    ['a different key type', (jwk) => ({ ...jwk, kty: 'OKP' })],
  ]
  for (const [name, mutate] of unusable) {
    it(`a JWK with ${name} is not a candidate`, async () => {
      jwks = { keys: [mutate(publicJwks.ES256)] }
      idToken = await sign('ES256', claims())
      const err = await failure(grant(config()))
      expect(err.code).toBe('OAUTH_KEY_SELECTION_FAILED')
    })
  }

  it('a JWK with matching alg, use "sig" and key_ops ["verify"] is a candidate', async () => {
    jwks = { keys: [{ ...publicJwks.ES256, alg: 'ES256', key_ops: ['verify'] }] }
    idToken = await sign('ES256', claims())
    expect((await grant(config())).claims()?.sub).toBe('alice')
  })

  it('rp-key-rotation-op-sign-key: an unknown kid in a set ≥ 60 s old triggers one refetch', async () => {
    const cfg = config()
    setJwksCache(cfg, { jwks: { keys: [publicJwks.RS256] }, uat: now() - 100 })
    const rotated = await generate('ES256')
    jwks = { keys: [await publicJwk(rotated.publicKey, { kid: 'rotated' })] }
    idToken = await sign('ES256', claims(), { kid: 'rotated' }, rotated.privateKey)
    expect((await grant(cfg)).claims()?.sub).toBe('alice')
    expect(jwksRequests()).toBe(1)
    expect(getJwksCache(cfg)?.jwks.keys.map((k) => k.kid)).toEqual(['rotated'])
  })

  it('rp-key-rotation-op-sign-key (fresh set): no refetch for a set < 60 s old', async () => {
    const cfg = config()
    setJwksCache(cfg, { jwks: { keys: [publicJwks.RS256] }, uat: now() - 5 })
    idToken = await sign('ES256', claims())
    const err = await failure(grant(cfg))
    expect(err.code).toBe('OAUTH_KEY_SELECTION_FAILED')
    expect(jwksRequests()).toBe(0)
  })

  it('rp-key-rotation (still missing after the refetch): a key selection failure after exactly one fetch', async () => {
    const cfg = config()
    setJwksCache(cfg, { jwks: { keys: [publicJwks.RS256] }, uat: now() - 100 })
    jwks = { keys: [publicJwks.RS256] }
    idToken = await sign('ES256', claims())
    const err = await failure(grant(cfg))
    expect(err.code).toBe('OAUTH_KEY_SELECTION_FAILED')
    expect(jwksRequests()).toBe(1)
  })
})

describe('JWKS fetching and caching (contract §2.7)', () => {
  it('the JWKS is fetched once and reused; the request asks for JSON or a JWK Set', async () => {
    const cfg = config()
    idToken = await sign('ES256', claims())
    await grant(cfg)
    idToken = await sign('RS256', claims())
    await grant(cfg)
    expect(jwksRequests()).toBe(1)
    const request = server.requests.find((r) => r.path === '/jwks')!
    expect(request.method).toBe('GET')
    expect(request.headers['accept']).toBe('application/json, application/jwk-set+json')
  })

  it('getJwksCache returns a copy once filled; mutating it does not touch the cache', async () => {
    const cfg = config()
    expect(getJwksCache(cfg)).toBeUndefined()
    idToken = await sign('ES256', claims())
    await grant(cfg)
    const exported = getJwksCache(cfg)!
    expect(exported.jwks.keys).toHaveLength(4)
    expect(Math.abs(exported.uat - now())).toBeLessThanOrEqual(2)
    exported.jwks.keys.length = 0
    expect(getJwksCache(cfg)?.jwks.keys).toHaveLength(4)
  })

  it('an imported cache younger than 300 s is used without a request', async () => {
    const cfg = config()
    setJwksCache(cfg, { jwks: { keys: [publicJwks.Ed25519] }, uat: now() - 200 })
    idToken = await sign('Ed25519', claims())
    expect((await grant(cfg)).claims()?.sub).toBe('alice')
    expect(jwksRequests()).toBe(0)
  })

  it('an imported cache 300 s old or more is fetched again', async () => {
    const cfg = config()
    setJwksCache(cfg, { jwks: { keys: [publicJwks.Ed25519] }, uat: now() - 300 })
    idToken = await sign('Ed25519', claims())
    await grant(cfg)
    expect(jwksRequests()).toBe(1)
  })

  it('setJwksCache refuses malformed input with TypeErrors', () => {
    const cfg = config()
    for (const bad of [
      null,
      {},
      { uat: 'now', jwks: { keys: [] } },
      { uat: 1, jwks: {} },
      { uat: 1, jwks: { keys: [1] } },
    ]) {
      expect(() => setJwksCache(cfg, bad as never)).toThrow(TypeError)
    }
  })

  it('a JWKS endpoint answering non-200 is not conform', async () => {
    server.route('/jwks', json({ keys: [] }, 500))
    idToken = await sign('ES256', claims())
    const err = await failure(grant(config()))
    expectRejected(err, 'OAUTH_RESPONSE_IS_NOT_CONFORM', 'unexpected HTTP response status code')
    expect(err.cause).toBeInstanceOf(Response)
  })

  it('a JWKS whose keys is not an array of objects is an invalid response', async () => {
    for (const body of [{ keys: {} }, { keys: ['x'] }, []]) {
      server.route('/jwks', json(body))
      idToken = await sign('ES256', claims())
      expectRejected(await failure(grant(config())), 'OAUTH_INVALID_RESPONSE', INVALID)
    }
  })

  it('a server without jwks_uri is missing metadata', async () => {
    idToken = await sign('ES256', claims())
    const err = await failure(grant(config({ server: { jwks_uri: undefined } })))
    expect(err).toBeInstanceOf(ClientError)
    expect(err.code).toBe('OAUTH_MISSING_SERVER_METADATA')
  })

  it('an http jwks_uri is refused without allowInsecureRequests', async () => {
    // The token endpoint is https and answered in-process; only the JWKS fetch meets the HTTPS rule.
    const cfg = new Configuration(
      {
        issuer,
        token_endpoint: 'https://op.example/token',
        jwks_uri: `${issuer}/jwks`,
        id_token_signing_alg_values_supported: ['ES256'],
      },
      CLIENT_ID,
      undefined,
      None(),
    )
    cfg[customFetch] = async () =>
      Response.json({ access_token: 'at', token_type: 'bearer', id_token: idToken })
    enableNonRepudiationChecks(cfg)
    idToken = await sign('ES256', claims())
    const err = await failure(grant(cfg))
    expectRejected(err, 'OAUTH_HTTP_REQUEST_FORBIDDEN', 'only requests to HTTPS are allowed')
    expect(jwksRequests()).toBe(0)
  })

  it('RSA keys shorter than 2048 bits are refused as unsupported', async () => {
    const weak = (await crypto.subtle.generateKey(
      {
        name: 'RSASSA-PKCS1-v1_5',
        modulusLength: 1024,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: 'SHA-256',
      },
      true,
      ['sign', 'verify'],
    )) as CryptoKeyPair
    jwks = { keys: [await publicJwk(weak.publicKey, { kid: 'weak' })] }
    // jose refuses to sign with a weak key, so this one is signed with WebCrypto directly
    const input = `${b64({ alg: 'RS256', kid: 'weak' })}.${b64(claims())}`
    const signature = await crypto.subtle.sign(
      'RSASSA-PKCS1-v1_5',
      weak.privateKey,
      new TextEncoder().encode(input),
    )
    idToken = `${input}.${Buffer.from(signature).toString('base64url')}`
    const err = await failure(grant(config()))
    expectRejected(err, 'OAUTH_UNSUPPORTED_OPERATION', 'unsupported operation')
  })
})

describe('encrypted ID Tokens (rp-id_token-sig+enc)', () => {
  interface EncKey {
    name: string
    alg: string
    gen: RsaHashedKeyGenParams | EcKeyGenParams | { name: string }
    usages: KeyUsage[]
  }
  const rsa = (hash: string): RsaHashedKeyGenParams => ({
    name: 'RSA-OAEP',
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash,
  })
  const encKeys: EncKey[] = [
    { name: 'RSA-OAEP (SHA-1)', alg: 'RSA-OAEP', gen: rsa('SHA-1'), usages: ['encrypt', 'decrypt'] },
    { name: 'RSA-OAEP-256', alg: 'RSA-OAEP-256', gen: rsa('SHA-256'), usages: ['encrypt', 'decrypt'] },
    { name: 'RSA-OAEP-384', alg: 'RSA-OAEP-384', gen: rsa('SHA-384'), usages: ['encrypt', 'decrypt'] },
    { name: 'RSA-OAEP-512', alg: 'RSA-OAEP-512', gen: rsa('SHA-512'), usages: ['encrypt', 'decrypt'] },
    {
      name: 'ECDH-ES P-256',
      alg: 'ECDH-ES',
      gen: { name: 'ECDH', namedCurve: 'P-256' },
      usages: ['deriveBits'],
    },
    {
      name: 'ECDH-ES+A128KW P-256',
      alg: 'ECDH-ES+A128KW',
      gen: { name: 'ECDH', namedCurve: 'P-256' },
      usages: ['deriveBits'],
    },
    { name: 'ECDH-ES X25519', alg: 'ECDH-ES', gen: { name: 'X25519' }, usages: ['deriveBits'] },
    { name: 'ECDH-ES+A256KW X25519', alg: 'ECDH-ES+A256KW', gen: { name: 'X25519' }, usages: ['deriveBits'] },
  ]

  async function encKeyPair(spec: EncKey): Promise<CryptoKeyPair> {
    return (await crypto.subtle.generateKey(spec.gen, true, spec.usages)) as CryptoKeyPair
  }

  async function encrypt(
    jws: string,
    publicKey: CryptoKey,
    alg: string,
    header: Record<string, unknown> = {},
    enc = 'A256GCM',
  ): Promise<string> {
    return new CompactEncrypt(new TextEncoder().encode(jws))
      .setProtectedHeader({ alg, enc, cty: 'JWT', ...header })
      .encrypt(publicKey)
  }

  for (const spec of encKeys) {
    it(`rp-id_token-sig+enc with ${spec.name}: decrypts, validates and verifies`, async () => {
      const pair = await encKeyPair(spec)
      const cfg = config()
      enableDecryptingResponses(cfg, undefined, { key: pair.privateKey, kid: 'enc-1' })
      const jws = await sign('ES256', claims())
      idToken = await encrypt(jws, pair.publicKey, spec.alg, { kid: 'enc-1' })
      const tokens = await grant(cfg)
      expect(tokens.id_token).toBe(idToken)
      expect(tokens.id_token?.split('.')).toHaveLength(5)
      expect(tokens.claims()?.sub).toBe('alice')
      expect(jwksRequests()).toBe(1)
    })
  }

  it('an encrypted ID Token without enableDecryptingResponses is an unsupported operation', async () => {
    const pair = await encKeyPair(encKeys[1]!)
    idToken = await encrypt(await sign('ES256', claims()), pair.publicKey, 'RSA-OAEP-256')
    const err = await failure(grant(config()))
    expectRejected(
      err,
      'OAUTH_UNSUPPORTED_OPERATION',
      'unsupported operation',
      'JWE decryption is not configured',
    )
  })

  it('an ID Token encrypted to another key (same type, same kid) fails with OAUTH_DECRYPTION_FAILED', async () => {
    const mine = await encKeyPair(encKeys[1]!)
    const theirs = await encKeyPair(encKeys[1]!)
    const cfg = config()
    enableDecryptingResponses(cfg, undefined, { key: mine.privateKey, kid: 'enc-1' })
    idToken = await encrypt(await sign('ES256', claims()), theirs.publicKey, 'RSA-OAEP-256', { kid: 'enc-1' })
    const err = await failure(grant(cfg))
    expectRejected(err, 'OAUTH_DECRYPTION_FAILED', 'decryption failed')
  })

  it('an ECDH-ES ID Token encrypted to another X25519 key fails with OAUTH_DECRYPTION_FAILED', async () => {
    const mine = await encKeyPair(encKeys[6]!)
    const theirs = await encKeyPair(encKeys[6]!)
    const cfg = config()
    enableDecryptingResponses(cfg, undefined, mine.privateKey)
    idToken = await encrypt(await sign('ES256', claims()), theirs.publicKey, 'ECDH-ES')
    expectRejected(await failure(grant(cfg)), 'OAUTH_DECRYPTION_FAILED', 'decryption failed')
  })

  it('a JWE kid that matches no configured key: no applicable decryption key', async () => {
    const pair = await encKeyPair(encKeys[1]!)
    const cfg = config()
    enableDecryptingResponses(cfg, undefined, { key: pair.privateKey, kid: 'enc-1' })
    idToken = await encrypt(await sign('ES256', claims()), pair.publicKey, 'RSA-OAEP-256', { kid: 'enc-2' })
    expectRejected(
      await failure(grant(cfg)),
      'OAUTH_DECRYPTION_FAILED',
      'no applicable decryption key selected',
    )
  })

  it('neither an RSA key nor an X25519 key is a candidate for an ECDH-ES JWE with a P-256 epk', async () => {
    const rsaPair = await encKeyPair(encKeys[1]!)
    const x25519 = await encKeyPair(encKeys[6]!)
    const p256 = await encKeyPair(encKeys[4]!)
    const cfg = config()
    enableDecryptingResponses(cfg, undefined, rsaPair.privateKey, x25519.privateKey)
    idToken = await encrypt(await sign('ES256', claims()), p256.publicKey, 'ECDH-ES')
    expectRejected(
      await failure(grant(cfg)),
      'OAUTH_DECRYPTION_FAILED',
      'no applicable decryption key selected',
    )
  })

  it('a JWE alg no configured key allows (RSA only, ECDH-ES received) fails with OAUTH_DECRYPTION_FAILED', async () => {
    const rsaPair = await encKeyPair(encKeys[1]!)
    const p256 = await encKeyPair(encKeys[4]!)
    const cfg = config()
    enableDecryptingResponses(cfg, undefined, rsaPair.privateKey)
    idToken = await encrypt(await sign('ES256', claims()), p256.publicKey, 'ECDH-ES')
    expectRejected(await failure(grant(cfg)), 'OAUTH_DECRYPTION_FAILED', 'decryption failed')
  })

  it('two keys that both fit a JWE without kid: multiple applicable decryption keys', async () => {
    const a = await encKeyPair(encKeys[4]!)
    const b = await encKeyPair(encKeys[4]!)
    const cfg = config()
    enableDecryptingResponses(cfg, undefined, a.privateKey, b.privateKey)
    idToken = await encrypt(await sign('ES256', claims()), a.publicKey, 'ECDH-ES')
    expectRejected(
      await failure(grant(cfg)),
      'OAUTH_DECRYPTION_FAILED',
      'multiple applicable decryption keys selected',
    )
  })

  it('a content encryption algorithm outside the configured list fails with OAUTH_DECRYPTION_FAILED', async () => {
    const pair = await encKeyPair(encKeys[1]!)
    const cfg = config()
    enableDecryptingResponses(cfg, ['A128GCM'], pair.privateKey)
    idToken = await encrypt(await sign('ES256', claims()), pair.publicKey, 'RSA-OAEP-256', {}, 'A256GCM')
    expectRejected(await failure(grant(cfg)), 'OAUTH_DECRYPTION_FAILED', 'decryption failed')
  })

  it('a key pinned to ECDH-ES+A128KW does not decrypt plain ECDH-ES', async () => {
    const pair = await encKeyPair(encKeys[4]!)
    const cfg = config()
    enableDecryptingResponses(cfg, undefined, { key: pair.privateKey, alg: 'ECDH-ES+A128KW' })
    idToken = await encrypt(await sign('ES256', claims()), pair.publicKey, 'ECDH-ES')
    expectRejected(await failure(grant(cfg)), 'OAUTH_DECRYPTION_FAILED', 'decryption failed')
  })

  it('the decrypted ID Token still goes through the claim checks', async () => {
    const pair = await encKeyPair(encKeys[4]!)
    const cfg = config()
    enableDecryptingResponses(cfg, undefined, pair.privateKey)
    idToken = await encrypt(
      await sign('ES256', claims({ iss: 'https://attacker.example' })),
      pair.publicKey,
      'ECDH-ES',
    )
    expectRejected(await failure(grant(cfg)), 'OAUTH_JWT_CLAIM_COMPARISON_FAILED', CLAIM)
  })

  it('enableDecryptingResponses key rules are TypeErrors', async () => {
    const rsaPair = await encKeyPair(encKeys[1]!)
    const p384 = (await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-384' }, false, [
      'deriveBits',
    ])) as CryptoKeyPair
    const cases: Array<[unknown[], string]> = [
      [[], 'no keys were provided'],
      [[rsaPair.publicKey], 'only private keys must be provided'],
      [[p384.privateKey], 'Only P-256 ECDH keys are supported'],
      [[{ key: rsaPair.privateKey, alg: 'RSA-OAEP' }], 'invalid key alg'],
      [[signingKeys.ES256.privateKey], 'only RSA-OAEP, ECDH, or X25519 keys are supported'],
    ]
    for (const [keys, message] of cases) {
      const cfg = config()
      let thrown: unknown
      try {
        enableDecryptingResponses(cfg, undefined, ...(keys as CryptoKey[]))
      } catch (err) {
        thrown = err
      }
      expect(thrown).toBeInstanceOf(TypeError)
      expect((thrown as Error).message).toBe(message)
      expect((thrown as { code?: string }).code).toBe('ERR_INVALID_ARG_VALUE')
    }
  })

  it('enableDecryptingResponses can be applied once per configuration', async () => {
    const pair = await encKeyPair(encKeys[4]!)
    const cfg = config()
    enableDecryptingResponses(cfg, undefined, pair.privateKey)
    expect(() => enableDecryptingResponses(cfg, undefined, pair.privateKey)).toThrow(TypeError)
    expect(() => enableDecryptingResponses(cfg, undefined, pair.privateKey)).toThrow(
      'enableDecryptingResponses can only be called on a given Configuration instance once',
    )
  })
})

describe('differential: openid-client 6.8.9 rejects the same ID Tokens the same way', () => {
  /** The outcome of one token response through a library: `ok`, or the public error's class name, code, message. */
  async function outcome(run: () => Promise<unknown>): Promise<string> {
    try {
      await run()
      return 'ok'
    } catch (err) {
      const e = err as Failure
      return `${e.name} ${e.code} ${e.message}`
    }
  }

  async function both(setup: { server?: Record<string, unknown> } = {}) {
    const oc = await import('openid-client')
    const metadata = {
      issuer,
      token_endpoint: `${issuer}/token`,
      jwks_uri: `${issuer}/jwks`,
      id_token_signing_alg_values_supported: ['ES256', 'RS256', 'PS256', 'Ed25519'],
      ...setup.server,
    }
    const theirs = new oc.Configuration(metadata as never, CLIENT_ID, undefined, oc.None())
    oc.allowInsecureRequests(theirs)
    oc.enableNonRepudiationChecks(theirs)
    const ours = config(setup)
    return {
      ours: await outcome(() => grant(ours)),
      theirs: await outcome(() => oc.genericGrantRequest(theirs, GRANT, {})),
    }
  }

  const cases: Array<[string, () => Promise<string>, { server?: Record<string, unknown> }?]> = [
    ['valid ES256', () => sign('ES256', claims())],
    ['valid Ed25519', () => sign('Ed25519', claims())],
    ['rp-id_token-issuer-mismatch', () => sign('ES256', claims({ iss: 'https://attacker.example' }))],
    ['rp-id_token-aud', () => sign('ES256', claims({ aud: 'other' }))],
    ['rp-id_token-sub-missing', () => sign('ES256', claims({ sub: undefined }))],
    ['rp-id_token-iat-missing', () => sign('ES256', claims({ iat: undefined }))],
    ['rp-id_token-expired', () => sign('ES256', claims({ exp: now() - 120 }))],
    ['rp-id_token-expired within tolerance', () => sign('ES256', claims({ exp: now() - 10 }))],
    ['second audience without azp', () => sign('ES256', claims({ aud: [CLIENT_ID, 'x'] }))],
    ['rp-id_token-sig-none', async () => unsigned({ alg: 'none' }, claims())],
    [
      'rp-id_token-bad-sig-rs256',
      async () => {
        const [h, , sig] = (await sign('RS256', claims())).split('.')
        return `${h}.${b64(claims({ sub: 'mallory' }))}.${sig}`
      },
    ],
    ['unknown kid', () => sign('PS256', claims(), { kid: 'nope' })],
    [
      'HS256 listed by the server',
      async () => `${b64({ alg: 'HS256' })}.${b64(claims())}.c2ln`,
      { server: { id_token_signing_alg_values_supported: ['HS256'] } },
    ],
  ]
  for (const [name, token, setup] of cases) {
    it(`${name}: same outcome`, async () => {
      idToken = await token()
      const { ours, theirs } = await both(setup)
      expect(ours).toBe(theirs)
    })
  }

  it('rp-id_token-kid-absent-multiple-jwks: same outcome', async () => {
    const second = await publicJwk((await generate('ES256')).publicKey, { kid: 'sig-ES256-b' })
    jwks = { keys: [publicJwks.ES256, second] }
    idToken = await sign('ES256', claims(), {})
    const { ours, theirs } = await both()
    expect(ours).toBe(theirs)
    expect(ours).toContain('OAUTH_KEY_SELECTION_FAILED')
  })
})
