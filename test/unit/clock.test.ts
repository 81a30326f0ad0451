// DECISIONS D23: bad [clockSkew] / [clockTolerance] values fall back to the defaults (skew 0, tolerance 30) for
// every reader of the clock, so no setting can switch off an expiry check or put a non-integer `iat` on the wire.
// The boundaries of the `exp` / `nbf` checks are those of openid-client (oauth4webapi): `exp <= now - tolerance`
// and `nbf > now + tolerance` are refused.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  ClientError,
  Configuration,
  PrivateKeyJwt,
  allowInsecureRequests,
  clockSkew,
  clockTolerance,
  dynamicClientRegistration,
  genericGrantRequest,
  getDPoPHandle,
  randomDPoPKeyPair,
  signJwtBearerAssertion,
  tokenIntrospection,
} from '../../src/index.js'
import type { ClientMetadata } from '../../src/index.js'
import {
  CLIENT_ID,
  configurationFor,
  json,
  send,
  startScriptedServer,
  type ScriptedServer,
} from '../support/scripted-server.js'
import { rejection } from '../support/expect.js'
import { craftJwt, goodClaims } from '../hostile/support.js'

const GRANT = 'urn:example:params:oauth:grant-type:clock'
const BAD_SKEWS: Array<[string, unknown]> = [
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
  ["'30'", '30'],
  ['undefined', undefined],
  ['null', null],
]
const BAD_TOLERANCES: Array<[string, unknown]> = [
  ['NaN', NaN],
  ["'30'", '30'],
  ['Infinity', Infinity],
  ['-5', -5],
  ['null', null],
]

let server: ScriptedServer
/** What `/token` answers with next: an ID Token, or nothing. */
let idToken: string | undefined

const nowSeconds = () => Math.floor(Date.now() / 1000)
const decode = (jws: string) => JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString())

beforeAll(async () => {
  server = await startScriptedServer()
})
beforeEach(() => {
  server.requests.length = 0
  idToken = undefined
  server.script((_req, res) =>
    json(res, 200, {
      access_token: 'at',
      token_type: 'DPoP',
      ...(idToken === undefined ? {} : { id_token: idToken }),
    }),
  )
})
afterEach(() => {
  vi.useRealTimers()
})
afterAll(() => server.close())

function configWith(metadata: Record<symbol, unknown>): Configuration {
  return configurationFor(server, { metadata: metadata as Partial<ClientMetadata> })
}

async function grantWithIdToken(config: Configuration, claims: Record<string, unknown>) {
  idToken = craftJwt({ alg: 'RS256' }, claims)
  return genericGrantRequest(config, GRANT, {})
}

async function expectTimestampRefused(config: Configuration, claims: Record<string, unknown>) {
  const err = await rejection(grantWithIdToken(config, claims))
  expect(err).toBeInstanceOf(ClientError)
  expect(err.code).toBe('OAUTH_JWT_TIMESTAMP_CHECK_FAILED')
}

describe('ID Token timestamps under bad clock settings (D23)', () => {
  for (const [name, value] of BAD_SKEWS) {
    it(`clockSkew ${name}: an ID Token that expired an hour ago is refused`, async () => {
      const config = configWith({ [clockSkew]: value })
      await expectTimestampRefused(config, goodClaims(server.origin, { exp: nowSeconds() - 3600 }))
    })
    it(`clockSkew ${name}: an ID Token whose nbf is a day ahead is refused`, async () => {
      const config = configWith({ [clockSkew]: value })
      await expectTimestampRefused(config, goodClaims(server.origin, { nbf: nowSeconds() + 86400 }))
    })
    it(`clockSkew ${name}: a current ID Token is still accepted`, async () => {
      const config = configWith({ [clockSkew]: value })
      const result = await grantWithIdToken(config, goodClaims(server.origin))
      expect(result.claims()?.sub).toBe('user-1')
    })
  }

  for (const [name, value] of BAD_TOLERANCES) {
    it(`clockTolerance ${name}: an ID Token that expired an hour ago is refused`, async () => {
      const config = configWith({ [clockTolerance]: value })
      await expectTimestampRefused(config, goodClaims(server.origin, { exp: nowSeconds() - 3600 }))
    })
    it(`clockTolerance ${name}: an ID Token whose nbf is a day ahead is refused`, async () => {
      const config = configWith({ [clockTolerance]: value })
      await expectTimestampRefused(config, goodClaims(server.origin, { nbf: nowSeconds() + 86400 }))
    })
    it(`clockTolerance ${name}: the default 30 s of tolerance applies (expired 10 s ago, nbf 10 s ahead)`, async () => {
      const config = configWith({ [clockTolerance]: value })
      const now = nowSeconds()
      await expect(
        grantWithIdToken(config, goodClaims(server.origin, { exp: now - 10, nbf: now + 10 })),
      ).resolves.toMatchObject({ access_token: 'at' })
    })
  }

  it('both knobs bad at once still refuse an expired ID Token', async () => {
    const config = configWith({ [clockSkew]: NaN, [clockTolerance]: Infinity })
    await expectTimestampRefused(config, goodClaims(server.origin, { exp: nowSeconds() - 3600 }))
  })
})

describe('the exp / nbf boundaries (as oauth4webapi: exp <= now - tolerance and nbf > now + tolerance fail)', () => {
  /** A fixed clock, half a second into second T, so that a claim can sit exactly on a boundary. */
  const T = 1_800_000_000
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(T * 1000 + 500)
  })

  /** [name, client metadata, the client's now, the tolerance that applies] */
  const cases: Array<[string, Record<symbol, unknown>, number, number]> = [
    ['the defaults', {}, T, 30],
    ['clockTolerance 10', { [clockTolerance]: 10 }, T, 10],
    ['clockTolerance 0', { [clockTolerance]: 0 }, T, 0],
    ['clockSkew 5', { [clockSkew]: 5 }, T + 5, 30],
    ['clockSkew -7 and clockTolerance 3', { [clockSkew]: -7, [clockTolerance]: 3 }, T - 7, 3],
    // Bad values fall back to exactly the defaults, not to something near them.
    ['clockTolerance NaN (so 30)', { [clockTolerance]: NaN }, T, 30],
    ['clockTolerance -5 (so 30)', { [clockTolerance]: -5 }, T, 30],
    [
      "clockSkew '30' and clockTolerance Infinity (so 0 and 30)",
      { [clockSkew]: '30', [clockTolerance]: Infinity },
      T,
      30,
    ],
  ]
  for (const [name, metadata, now, tolerance] of cases) {
    it(`${name}: exp = now - tolerance is refused, one second later is accepted`, async () => {
      const config = configWith(metadata)
      const iat = T - 3600
      await expectTimestampRefused(config, goodClaims(server.origin, { iat, exp: now - tolerance }))
      await expect(
        grantWithIdToken(config, goodClaims(server.origin, { iat, exp: now - tolerance + 1 })),
      ).resolves.toMatchObject({ access_token: 'at' })
    })
    it(`${name}: nbf = now + tolerance is accepted, one second later is refused`, async () => {
      const config = configWith(metadata)
      const claims = { iat: T, exp: T + 3600 }
      await expect(
        grantWithIdToken(config, goodClaims(server.origin, { ...claims, nbf: now + tolerance })),
      ).resolves.toMatchObject({ access_token: 'at' })
      await expectTimestampRefused(config, goodClaims(server.origin, { ...claims, nbf: now + tolerance + 1 }))
    })
  }
})

describe('DPoP proof iat under bad clock skews (D23)', () => {
  for (const [name, value] of BAD_SKEWS) {
    it(`clockSkew ${name}: iat is an integer near now`, async () => {
      const config = configWith({ [clockSkew]: value })
      const DPoP = getDPoPHandle(config, await randomDPoPKeyPair())
      const before = nowSeconds()
      await genericGrantRequest(config, 'client_credentials', {}, { DPoP })
      const proof = decode(String(server.requests[0]!.headers['dpop']))
      expect(Number.isInteger(proof.iat)).toBe(true)
      expect(proof.iat).toBeGreaterThanOrEqual(before)
      expect(proof.iat).toBeLessThanOrEqual(nowSeconds())
    })
  }

  it('a valid clockSkew is applied to iat', async () => {
    const config = configWith({ [clockSkew]: -120 })
    const DPoP = getDPoPHandle(config, await randomDPoPKeyPair())
    const before = nowSeconds()
    await genericGrantRequest(config, 'client_credentials', {}, { DPoP })
    const proof = decode(String(server.requests[0]!.headers['dpop']))
    expect(proof.iat).toBeGreaterThanOrEqual(before - 120)
    expect(proof.iat).toBeLessThanOrEqual(nowSeconds() - 120)
  })
})

describe('client assertions and JWT bearer assertions under bad clock skews (D23)', () => {
  let key: CryptoKey
  beforeAll(async () => {
    key = (
      (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
        'sign',
        'verify',
      ])) as CryptoKeyPair
    ).privateKey
  })

  for (const [name, value] of BAD_SKEWS) {
    it(`clockSkew ${name}: private_key_jwt iat, nbf and exp are integers around now`, async () => {
      const config = configurationFor(server, {
        metadata: { [clockSkew]: value } as Partial<ClientMetadata>,
        auth: PrivateKeyJwt(key),
      })
      const before = nowSeconds()
      await genericGrantRequest(config, 'client_credentials', {})
      const assertion = new URLSearchParams(server.requests[0]!.body).get('client_assertion')!
      const { iat, nbf, exp } = decode(assertion)
      expect(Number.isInteger(iat)).toBe(true)
      expect(iat).toBeGreaterThanOrEqual(before)
      expect(iat).toBeLessThanOrEqual(nowSeconds())
      expect(nbf).toBe(iat)
      expect(exp).toBe(iat + 60)
    })

    it(`clockSkew ${name}: signJwtBearerAssertion iat and exp are integers around now`, async () => {
      const config = configWith({ [clockSkew]: value })
      const before = nowSeconds()
      const { iat, exp } = decode(await signJwtBearerAssertion(config, key))
      expect(Number.isInteger(iat)).toBe(true)
      expect(iat).toBeGreaterThanOrEqual(before)
      expect(iat).toBeLessThanOrEqual(nowSeconds())
      expect(Number.isInteger(exp)).toBe(true)
      expect(exp).toBeGreaterThan(iat)
    })
  }
})

describe('JWT introspection responses under bad clock settings (D23)', () => {
  const header = { alg: 'ES256', typ: 'token-introspection+jwt' }
  const introspectionClaims = (overrides: Record<string, unknown>) => ({
    iss: server.origin,
    aud: CLIENT_ID,
    iat: nowSeconds() - 7200,
    token_introspection: { active: true },
    ...overrides,
  })
  const settings: Array<[string, unknown]> = [
    ...BAD_SKEWS.map(([name, value]): [string, unknown] => [`clockSkew ${name}`, { [clockSkew]: value }]),
    ...BAD_TOLERANCES.map(([name, value]): [string, unknown] => [
      `clockTolerance ${name}`,
      { [clockTolerance]: value },
    ]),
  ]
  for (const [name, metadata] of settings) {
    for (const [what, claims] of [
      ['expired an hour ago', () => introspectionClaims({ exp: nowSeconds() - 3600 })],
      ['with nbf a day ahead', () => introspectionClaims({ nbf: nowSeconds() + 86400 })],
    ] as const) {
      it(`${name}: a response JWT ${what} is refused`, async () => {
        const config = configurationFor(server, {
          server: { introspection_endpoint: `${server.origin}/introspect` },
          metadata: { introspection_signed_response_alg: 'ES256', ...(metadata as object) },
        })
        server.script((_req, res) =>
          send(res, 200, craftJwt(header, claims()), {
            'content-type': 'application/token-introspection+jwt',
          }),
        )
        const err = await rejection(tokenIntrospection(config, 'tok'))
        expect(err).toBeInstanceOf(ClientError)
        expect(err.code).toBe('OAUTH_JWT_TIMESTAMP_CHECK_FAILED')
      })
    }
  }
})

describe('dynamicClientRegistration passes its clock settings through the same rule (D23)', () => {
  beforeEach(() => {
    server.script((req, res, recorded) => {
      if (req.url === '/.well-known/openid-configuration') {
        json(res, 200, {
          issuer: server.origin,
          token_endpoint: `${server.origin}/token`,
          registration_endpoint: `${server.origin}/reg`,
        })
      } else if (req.url === '/reg') {
        json(res, 201, { ...JSON.parse(recorded.body), client_id: CLIENT_ID })
      } else {
        json(res, 200, {
          access_token: 'at',
          token_type: 'DPoP',
          ...(idToken === undefined ? {} : { id_token: idToken }),
        })
      }
    })
  })

  async function register(metadata: Record<symbol, unknown>): Promise<Configuration> {
    return dynamicClientRegistration(new URL(server.origin), metadata as Partial<ClientMetadata>, undefined, {
      execute: [allowInsecureRequests],
    })
  }

  for (const [name, metadata] of [
    ['clockSkew NaN', { [clockSkew]: NaN }],
    ['clockSkew Infinity', { [clockSkew]: Infinity }],
    ["clockSkew '30'", { [clockSkew]: '30' }],
    ['clockTolerance NaN', { [clockTolerance]: NaN }],
    ['clockTolerance Infinity', { [clockTolerance]: Infinity }],
    ["clockTolerance '30'", { [clockTolerance]: '30' }],
  ] as const) {
    it(`${name}: the registered client refuses expired and not-yet-valid ID Tokens`, async () => {
      const config = await register(metadata)
      await expectTimestampRefused(config, goodClaims(server.origin, { exp: nowSeconds() - 3600 }))
      await expectTimestampRefused(config, goodClaims(server.origin, { nbf: nowSeconds() + 86400 }))
    })

    it(`${name}: DPoP proofs of the registered client carry an integer iat near now`, async () => {
      const config = await register(metadata)
      const DPoP = getDPoPHandle(config, await randomDPoPKeyPair())
      const before = nowSeconds()
      await genericGrantRequest(config, 'client_credentials', {}, { DPoP })
      const token = server.requests.find((r) => r.url === '/token')!
      const proof = decode(String(token.headers['dpop']))
      expect(Number.isInteger(proof.iat)).toBe(true)
      expect(proof.iat).toBeGreaterThanOrEqual(before)
      expect(proof.iat).toBeLessThanOrEqual(nowSeconds())
    })
  }

  it('a valid clockSkew given at registration is applied', async () => {
    const config = await register({ [clockSkew]: 300 })
    const DPoP = getDPoPHandle(config, await randomDPoPKeyPair())
    const before = nowSeconds()
    await genericGrantRequest(config, 'client_credentials', {}, { DPoP })
    const token = server.requests.find((r) => r.url === '/token')!
    expect(decode(String(token.headers['dpop'])).iat).toBeGreaterThanOrEqual(before + 300)
  })
})
