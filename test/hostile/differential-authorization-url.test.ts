import type { ServerResponse } from 'node:http'
import fc from 'fast-check'
import * as oc from 'openid-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as gl from '../../src/index.js'
import {
  CLIENT_ID,
  CLIENT_SECRET,
  json,
  send,
  startScriptedServer,
  type ScriptedServer,
} from '../support/scripted-server.js'

/**
 * The authorization request builders of grantline and of openid-client 6.9.0 given the same inputs: the same URLs,
 * the same request objects (claims compared once decoded; `jti`, `iat`, `nbf`, `exp` by shape and distance), the
 * same PAR requests on the wire, and the same errors (class, code, message) for the same scripted answers and the
 * same bad arguments. Where grantline deliberately differs (docs/decisions.md D60–D69) the test says so.
 */

const RUNS = Number(process.env['DIFF_RUNS'] ?? 300)

let server: ScriptedServer
beforeAll(async () => {
  server = await startScriptedServer()
})
afterAll(() => server.close())

type Toggle = 'none' | 'hybrid' | 'implicit' | 'jarm'

interface Pair {
  ours: gl.Configuration
  theirs: oc.Configuration
}

/** The same server metadata, client and switches for both libraries. */
function configs(
  server: Record<string, unknown>,
  toggle: Toggle = 'none',
  metadata: Record<string, unknown> = {},
): Pair {
  const ours = new gl.Configuration(server as gl.ServerMetadata, CLIENT_ID, {
    client_secret: CLIENT_SECRET,
    ...metadata,
  })
  const theirs = new oc.Configuration(server as oc.ServerMetadata, CLIENT_ID, {
    client_secret: CLIENT_SECRET,
    ...metadata,
  })
  gl.allowInsecureRequests(ours)
  oc.allowInsecureRequests(theirs)
  if (toggle === 'hybrid') {
    gl.useCodeIdTokenResponseType(ours)
    oc.useCodeIdTokenResponseType(theirs)
  } else if (toggle === 'implicit') {
    gl.useIdTokenResponseType(ours)
    oc.useIdTokenResponseType(theirs)
  } else if (toggle === 'jarm') {
    gl.useJwtResponseMode(ours)
    oc.useJwtResponseMode(theirs)
  }
  return { ours, theirs }
}

const STATIC = {
  issuer: 'https://as.example',
  authorization_endpoint: 'https://as.example/authorize',
  end_session_endpoint: 'https://as.example/session/end',
}

type Outcome =
  | { ok: true; value: unknown }
  | {
      ok: false
      name: string
      code: unknown
      message: string
      causeMessage?: unknown
      status?: unknown
      error?: unknown
      error_description?: unknown
      causeStatus?: unknown
    }

function failed(err: any): Outcome {
  const outcome: Outcome = { ok: false, name: err?.name, code: err?.code, message: err?.message }
  if (err?.cause instanceof Response) outcome.causeStatus = err.cause.status
  else if (err?.cause instanceof Error) outcome.causeMessage = err.cause.message
  if (err?.name === 'ResponseBodyError') {
    outcome.status = err.status
    outcome.error = err.error
    outcome.error_description = err.error_description
  }
  if (err?.name === 'WWWAuthenticateChallengeError') outcome.status = err.status
  return outcome
}

function run(fn: () => unknown): Outcome {
  try {
    const value = fn()
    return { ok: true, value: value instanceof URL ? value.href : value }
  } catch (err) {
    return failed(err)
  }
}

async function settle(promise: Promise<unknown>): Promise<Outcome> {
  try {
    const value = await promise
    return { ok: true, value: value instanceof URL ? value.href : value }
  } catch (err) {
    return failed(err)
  }
}

/** Parameter names and values: any text, including names the builders act on. */
const NAMES = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.constantFrom(
    'client_id',
    'response_type',
    'response_mode',
    'nonce',
    'request',
    'request_uri',
    'scope',
    'state',
  ),
)
const RECORDS = fc.dictionary(NAMES, fc.string({ unit: 'grapheme', maxLength: 20 }), { maxKeys: 6 })
const TOGGLES = fc.constantFrom<Toggle>('none', 'hybrid', 'implicit', 'jarm')
const ENDPOINTS = fc.constantFrom(
  'https://as.example/authorize',
  'https://as.example/authorize?tenant=a&x=%20y',
  'https://as.example:8443/a/b?scope=preset#frag',
  'http://as.example/authorize',
)

describe('buildAuthorizationUrl and buildEndSessionUrl', () => {
  it('the same URL, or the same error, for any record or URLSearchParams and any response type switch', () => {
    fc.assert(
      fc.property(RECORDS, TOGGLES, ENDPOINTS, fc.boolean(), (record, toggle, endpoint, asSearchParams) => {
        const { ours, theirs } = configs(
          { ...STATIC, authorization_endpoint: endpoint, end_session_endpoint: endpoint },
          toggle,
        )
        const input = () => (asSearchParams ? new URLSearchParams(record) : { ...record })
        expect(run(() => gl.buildAuthorizationUrl(ours, input()))).toEqual(
          run(() => oc.buildAuthorizationUrl(theirs, input())),
        )
        expect(run(() => gl.buildEndSessionUrl(ours, input()))).toEqual(
          run(() => oc.buildEndSessionUrl(theirs, input())),
        )
      }),
      { numRuns: RUNS },
    )
  })

  it('the implicit nonce rule: the same TypeError', () => {
    const { ours, theirs } = configs(STATIC, 'implicit')
    const mine = run(() => gl.buildAuthorizationUrl(ours, { scope: 'openid' }))
    expect(mine).toEqual(run(() => oc.buildAuthorizationUrl(theirs, { scope: 'openid' })))
    expect(mine).toMatchObject({ ok: false, name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' })
  })

  it('not a Configuration: the same TypeError', () => {
    expect(run(() => gl.buildAuthorizationUrl({} as never, {}))).toEqual(
      run(() => oc.buildAuthorizationUrl({} as never, {})),
    )
    expect(run(() => gl.buildEndSessionUrl(null as never))).toEqual(
      run(() => oc.buildEndSessionUrl(null as never)),
    )
  })

  it.each([
    ['missing', undefined, 'OAUTH_MISSING_SERVER_METADATA'],
    ['not a URL', 'no url', 'OAUTH_INVALID_SERVER_METADATA'],
    ['http', 'http://as.example/authorize', 'OAUTH_HTTP_REQUEST_FORBIDDEN'],
  ])(
    'D61: a %s endpoint is the same code and message, as a ClientError instead of an unexported class',
    (_name, value, code) => {
      const server = { ...STATIC, authorization_endpoint: value, end_session_endpoint: value }
      const ours = new gl.Configuration(server as gl.ServerMetadata, CLIENT_ID)
      const theirs = new oc.Configuration(server as oc.ServerMetadata, CLIENT_ID)
      for (const [mine, other] of [
        [run(() => gl.buildAuthorizationUrl(ours, {})), run(() => oc.buildAuthorizationUrl(theirs, {}))],
        [run(() => gl.buildEndSessionUrl(ours)), run(() => oc.buildEndSessionUrl(theirs))],
      ] as const) {
        expect(other).toMatchObject({ ok: false, name: 'OperationProcessingError', code })
        expect(mine).toMatchObject({ ok: false, name: 'ClientError', code })
        expect((mine as { message: string }).message).toBe((other as { message: string }).message)
      }
    },
  )

  it('extension: an array is repeated parameters where openid-client joins it with commas', () => {
    const { ours, theirs } = configs(STATIC)
    const resource = ['https://a.example', 'https://b.example']
    expect(gl.buildAuthorizationUrl(ours, { resource }).searchParams.getAll('resource')).toEqual(resource)
    expect(oc.buildAuthorizationUrl(theirs, { resource } as never).searchParams.getAll('resource')).toEqual([
      resource.join(','),
    ])
  })

  it('D11, D20: undefined is left out where openid-client sends "undefined"; a number is a TypeError', () => {
    const { ours, theirs } = configs(STATIC)
    expect(gl.buildAuthorizationUrl(ours, { prompt: undefined } as never).searchParams.has('prompt')).toBe(
      false,
    )
    expect(oc.buildAuthorizationUrl(theirs, { prompt: undefined } as never).searchParams.get('prompt')).toBe(
      'undefined',
    )
    expect(run(() => gl.buildAuthorizationUrl(ours, 42 as never))).toMatchObject({
      name: 'TypeError',
      code: 'ERR_INVALID_ARG_TYPE',
    })
    expect(run(() => oc.buildAuthorizationUrl(theirs, 42 as never))).toMatchObject({ ok: true })
  })
})

describe('random values and PKCE', () => {
  it('the same shape: 43 base64url characters of 32 bytes', () => {
    for (const [ours, theirs] of [
      [gl.randomPKCECodeVerifier, oc.randomPKCECodeVerifier],
      [gl.randomState, oc.randomState],
      [gl.randomNonce, oc.randomNonce],
    ] as const) {
      for (const value of [ours(), theirs()]) {
        expect(value).toMatch(/^[A-Za-z0-9_-]{43}$/)
        expect(Buffer.from(value, 'base64url')).toHaveLength(32)
      }
    }
  })

  it('calculatePKCECodeChallenge: the same challenge for any string', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 128 }), async (verifier) => {
        expect(await gl.calculatePKCECodeChallenge(verifier)).toBe(
          await oc.calculatePKCECodeChallenge(verifier),
        )
      }),
      { numRuns: RUNS },
    )
  })

  it.each([[undefined], [''], [42], [null]])(
    'calculatePKCECodeChallenge(%s): the same TypeError',
    async (value) => {
      const mine = await settle(gl.calculatePKCECodeChallenge(value as never))
      expect(mine).toEqual(await settle(oc.calculatePKCECodeChallenge(value as never)))
      expect(mine).toMatchObject({ ok: false, name: 'TypeError' })
    },
  )
})

const es256 = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
  'sign',
  'verify',
])) as CryptoKeyPair

function decodeJar(href: string) {
  const url = new URL(href)
  const request = url.searchParams.get('request')!
  const [h, p] = request.split('.')
  const header = JSON.parse(Buffer.from(h!, 'base64url').toString())
  const claims = JSON.parse(Buffer.from(p!, 'base64url').toString())
  url.searchParams.set('request', '<jwt>')
  return { outer: url.href, header, claims }
}

/** Claims without the values that differ between any two request objects, which are checked apart. */
function comparable(claims: Record<string, unknown>) {
  const { jti, iat, nbf, exp, ...rest } = claims
  expect(jti).toMatch(/^[A-Za-z0-9_-]{43}$/)
  expect(nbf).toBe(iat)
  expect(exp).toBe((iat as number) + 60)
  expect(Math.abs((iat as number) - Math.floor(Date.now() / 1000))).toBeLessThanOrEqual(2)
  return rest
}

const rsa1024 = (await crypto.subtle.generateKey(
  {
    name: 'RSASSA-PKCS1-v1_5',
    hash: 'SHA-256',
    modulusLength: 1024,
    publicExponent: new Uint8Array([1, 0, 1]),
  },
  false,
  ['sign'],
)) as CryptoKeyPair
const ecdh = (await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, [
  'deriveBits',
])) as CryptoKeyPair

describe('buildAuthorizationUrlWithJAR', () => {
  it('the same outer URL, header and claims for any parameters and switch', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(
          NAMES.filter((n) => !['max_age', 'claims', 'authorization_details'].includes(n)),
          fc.string({ maxLength: 12 }),
          { maxKeys: 5 },
        ),
        TOGGLES,
        fc.option(fc.string({ minLength: 1, maxLength: 8 }), { nil: undefined }),
        async (record, toggle, kid) => {
          const { ours, theirs } = configs(STATIC, toggle)
          const key = kid === undefined ? es256.privateKey : { key: es256.privateKey, kid }
          const mine = await settle(gl.buildAuthorizationUrlWithJAR(ours, record, key))
          const other = await settle(oc.buildAuthorizationUrlWithJAR(theirs, record, key))
          if (!mine.ok || !other.ok) {
            expect(mine).toEqual(other)
            return
          }
          const a = decodeJar(mine.value as string)
          const b = decodeJar(other.value as string)
          expect(a.outer).toBe(b.outer)
          expect(a.header).toEqual(b.header)
          expect(comparable(a.claims)).toEqual(comparable(b.claims))
        },
      ),
      { numRuns: Math.min(RUNS, 100) },
    )
  })

  it('resource, max_age, claims and authorization_details are typed alike; modifyAssertion is honoured alike', async () => {
    const { ours, theirs } = configs(STATIC)
    const params = () =>
      new URLSearchParams([
        ['resource', 'https://a.example'],
        ['resource', 'https://b.example'],
        ['max_age', '0'],
        ['claims', '{"userinfo":{"email":{"essential":true}}}'],
        ['authorization_details', '[{"type":"x"}]'],
      ])
    const hook = {
      [gl.modifyAssertion](header: Record<string, unknown>, payload: Record<string, unknown>) {
        header['cty'] = 'x'
        payload['extra'] = 1
      },
    }
    const ocHook = { [oc.modifyAssertion]: hook[gl.modifyAssertion] }
    const a = decodeJar((await gl.buildAuthorizationUrlWithJAR(ours, params(), es256.privateKey, hook)).href)
    const b = decodeJar(
      (await oc.buildAuthorizationUrlWithJAR(theirs, params(), es256.privateKey, ocHook)).href,
    )
    expect(a.header).toEqual(b.header)
    expect(comparable(a.claims)).toEqual(comparable(b.claims))
    expect(a.claims).toMatchObject({
      resource: ['https://a.example', 'https://b.example'],
      max_age: 0,
      extra: 1,
    })
  })

  it.each([
    ['no key', {}, undefined],
    ['a public key', {}, es256.publicKey],
    ['a JWK object', {}, { kty: 'EC' }],
    ['an empty kid', {}, { key: es256.privateKey, kid: '' }],
    ['a numeric kid', {}, { key: es256.privateKey, kid: 5 }],
    ['max_age text', { max_age: 'x' }, es256.privateKey],
    ['max_age negative', { max_age: '-5' }, es256.privateKey],
    ['claims not JSON', { claims: '{' }, es256.privateKey],
    ['claims an array', { claims: '[1]' }, es256.privateKey],
    ['authorization_details not JSON', { authorization_details: 'x' }, es256.privateKey],
    ['authorization_details an object', { authorization_details: '{}' }, es256.privateKey],
    ['an RSA key of 1024 bits', {}, rsa1024.privateKey],
    ['an ECDH key', {}, ecdh.privateKey],
  ])('%s: the same error', async (_name, params, key) => {
    const { ours, theirs } = configs(STATIC)
    const mine = await settle(gl.buildAuthorizationUrlWithJAR(ours, params, key as CryptoKey))
    expect(mine.ok).toBe(false)
    expect(mine).toEqual(await settle(oc.buildAuthorizationUrlWithJAR(theirs, params, key as CryptoKey)))
  })
})

describe('buildAuthorizationUrlWithJAR: encryption (extension, D63)', () => {
  it('openid-client ignores options.encryption and sends the signed object; grantline encrypts it', async () => {
    const { ours, theirs } = configs(STATIC)
    const pair = (await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, [
      'deriveBits',
    ])) as CryptoKeyPair
    const options = { encryption: { key: pair.publicKey } }
    const mine = new URL((await gl.buildAuthorizationUrlWithJAR(ours, {}, es256.privateKey, options)).href)
    const other = await oc.buildAuthorizationUrlWithJAR(theirs, {}, es256.privateKey, options as never)
    expect(mine.searchParams.get('request')!.split('.')).toHaveLength(5)
    expect(other.searchParams.get('request')!.split('.')).toHaveLength(3)
  })
})

const PAR_SERVER = () => ({
  issuer: server.origin,
  authorization_endpoint: `${server.origin}/authorize`,
  pushed_authorization_request_endpoint: `${server.origin}/par`,
})

type Respond = (res: ServerResponse) => void

const PAR_CASES: [string, Respond][] = [
  [
    '201 good',
    (res) => json(res, 201, { request_uri: 'urn:ietf:params:oauth:request_uri:1', expires_in: 60 }),
  ],
  ['201 expires_in text', (res) => json(res, 201, { request_uri: 'urn:x', expires_in: '60' })],
  ['201 expires_in 0', (res) => json(res, 201, { request_uri: 'urn:x', expires_in: 0 })],
  [
    '201 JSON as text/plain',
    (res) => send(res, 201, '{"request_uri":"urn:x","expires_in":5}', { 'content-type': 'text/plain' }),
  ],
  ['201 missing request_uri', (res) => json(res, 201, { expires_in: 60 })],
  ['201 empty request_uri', (res) => json(res, 201, { request_uri: '', expires_in: 60 })],
  ['201 numeric request_uri', (res) => json(res, 201, { request_uri: 1, expires_in: 60 })],
  ['201 missing expires_in', (res) => json(res, 201, { request_uri: 'urn:x' })],
  ['201 negative expires_in', (res) => json(res, 201, { request_uri: 'urn:x', expires_in: -1 })],
  ['201 expires_in null', (res) => json(res, 201, { request_uri: 'urn:x', expires_in: null })],
  ['201 array body', (res) => json(res, 201, [])],
  ['201 broken JSON', (res) => send(res, 201, '{', { 'content-type': 'application/json' })],
  ['201 not JSON as text', (res) => send(res, 201, 'x', { 'content-type': 'text/plain' })],
  ['200 good body', (res) => json(res, 200, { request_uri: 'urn:x', expires_in: 60 })],
  [
    '400 invalid_request',
    (res) => json(res, 400, { error: 'invalid_request', error_description: 'bad redirect_uri' }),
  ],
  ['400 error not a string', (res) => json(res, 400, { error: 1 })],
  ['400 text/html', (res) => send(res, 400, '<p>no</p>', { 'content-type': 'text/html' })],
  ['401 invalid_client', (res) => json(res, 401, { error: 'invalid_client' })],
  [
    '401 with a challenge',
    (res) => json(res, 401, { error: 'invalid_client' }, { 'www-authenticate': 'Basic realm="x"' }),
  ],
  ['500 server_error', (res) => json(res, 500, { error: 'server_error' })],
  ['503 empty', (res) => send(res, 503, '')],
]

/** The request as the server saw it, without what differs by design (user-agent, D12) or by chance. */
function wire(index: number) {
  const request = server.requests[index]!
  return {
    method: request.method,
    url: request.url,
    accept: request.headers['accept'],
    contentType: request.headers['content-type'],
    authorization: request.headers['authorization'],
    dpop: typeof request.headers['dpop'],
    body: [...new URLSearchParams(request.body)].filter(([name]) => name !== 'client_assertion'),
  }
}

/** A PAR with one DPoP key pair by each library, one after the other, the server's request log emptied first. */
async function pushWithDPoPBoth() {
  const { ours, theirs } = configs(PAR_SERVER())
  const keyPair = await gl.randomDPoPKeyPair()
  server.requests.length = 0
  const mine = await settle(
    gl.buildAuthorizationUrlWithPAR(ours, {}, { DPoP: gl.getDPoPHandle(ours, keyPair) }),
  )
  const other = await settle(
    oc.buildAuthorizationUrlWithPAR(theirs, {}, { DPoP: oc.getDPoPHandle(theirs, keyPair) }),
  )
  return { mine, other }
}

describe('buildAuthorizationUrlWithPAR', () => {
  it.each(PAR_CASES)('%s: the same outcome and the same request', async (_name, respond) => {
    server.script((_req, res) => respond(res))
    const { ours, theirs } = configs(PAR_SERVER())
    const params = { redirect_uri: 'https://rp.example/cb', scope: 'openid', state: 's' }
    server.requests.length = 0
    const mine = await settle(gl.buildAuthorizationUrlWithPAR(ours, params))
    const other = await settle(oc.buildAuthorizationUrlWithPAR(theirs, params))
    expect(mine).toEqual(other)
    expect(server.requests).toHaveLength(2)
    expect(wire(0)).toEqual(wire(1))
  })

  it.each([
    ['client_secret_basic', gl.ClientSecretBasic, oc.ClientSecretBasic],
    ['client_secret_jwt', gl.ClientSecretJwt, oc.ClientSecretJwt],
    ['client_secret_post', gl.ClientSecretPost, oc.ClientSecretPost],
  ] as const)('%s, JARM and a JAR request object pushed: the same request', async (_name, ours, theirs) => {
    server.script((_req, res) => json(res, 201, { request_uri: 'urn:x', expires_in: 60 }))
    const a = new gl.Configuration(PAR_SERVER(), CLIENT_ID, {}, ours(CLIENT_SECRET))
    const b = new oc.Configuration(PAR_SERVER(), CLIENT_ID, {}, theirs(CLIENT_SECRET))
    gl.allowInsecureRequests(a)
    oc.allowInsecureRequests(b)
    gl.useJwtResponseMode(a)
    oc.useJwtResponseMode(b)
    server.requests.length = 0
    const request = { request: 'h.p.s', resource: 'https://a.example' }
    expect((await gl.buildAuthorizationUrlWithPAR(a, request)).href).toBe(
      (await oc.buildAuthorizationUrlWithPAR(b, request)).href,
    )
    expect(wire(0)).toEqual(wire(1))
  })

  it('DPoP: the same proof claims, the same single retry on use_dpop_nonce', async () => {
    let calls = 0
    server.script((_req, res) => {
      calls++
      if (calls % 2 === 1) json(res, 400, { error: 'use_dpop_nonce' }, { 'dpop-nonce': 'server-nonce' })
      else json(res, 201, { request_uri: 'urn:x', expires_in: 60 })
    })
    const { mine, other } = await pushWithDPoPBoth()
    expect(mine).toEqual(other)
    expect(server.requests).toHaveLength(4)
    const proof = (i: number) => {
      const [h, p] = String(server.requests[i]!.headers['dpop']).split('.')
      const { iat, jti, ...payload } = JSON.parse(Buffer.from(p!, 'base64url').toString())
      expect(typeof iat).toBe('number')
      expect(jti).toMatch(/^[A-Za-z0-9_-]{43}$/)
      return { header: JSON.parse(Buffer.from(h!, 'base64url').toString()), payload }
    }
    expect(proof(0)).toEqual(proof(2))
    expect(proof(1)).toEqual(proof(3))
    expect(proof(1).payload.nonce).toBe('server-nonce')
  })

  it('DPoP: a 401 DPoP use_dpop_nonce challenge is retried once alike', async () => {
    let calls = 0
    server.script((_req, res) => {
      calls++
      if (calls % 2 === 1) {
        send(res, 401, '', {
          'www-authenticate': 'DPoP error="use_dpop_nonce"',
          'dpop-nonce': 'challenge-nonce',
        })
      } else json(res, 201, { request_uri: 'urn:x', expires_in: 60 })
    })
    const { mine, other } = await pushWithDPoPBoth()
    expect(mine).toEqual(other)
    expect(mine.ok).toBe(true)
    expect(server.requests).toHaveLength(4)
  })

  it('mTLS endpoint aliases: both push to the alias, the authorization endpoint stays', async () => {
    server.script((_req, res) => json(res, 201, { request_uri: 'urn:x', expires_in: 60 }))
    const metadata = {
      ...PAR_SERVER(),
      mtls_endpoint_aliases: {
        pushed_authorization_request_endpoint: `${server.origin}/mtls/par`,
        authorization_endpoint: `${server.origin}/mtls/authorize`,
      },
    }
    const { ours, theirs } = configs(metadata, 'none', { use_mtls_endpoint_aliases: true })
    server.requests.length = 0
    const mine = await settle(gl.buildAuthorizationUrlWithPAR(ours, { scope: 'openid' }))
    expect(mine).toEqual(await settle(oc.buildAuthorizationUrlWithPAR(theirs, { scope: 'openid' })))
    expect(new URL((mine as { value: string }).value).pathname).toBe('/authorize')
    expect(wire(0)).toEqual(wire(1))
    expect(wire(0).url).toBe('/mtls/par')
  })

  it('D61: a missing PAR endpoint is the same ClientError; a missing authorization endpoint the same code and message', async () => {
    const noPar = { ...PAR_SERVER(), pushed_authorization_request_endpoint: undefined }
    const a = configs(noPar)
    const mine = await settle(gl.buildAuthorizationUrlWithPAR(a.ours, {}))
    expect(mine).toEqual(await settle(oc.buildAuthorizationUrlWithPAR(a.theirs, {})))
    expect(mine).toMatchObject({ name: 'ClientError', code: 'OAUTH_MISSING_SERVER_METADATA' })
    const noAuthorize = { ...PAR_SERVER(), authorization_endpoint: undefined }
    const b = configs(noAuthorize)
    const ours = await settle(gl.buildAuthorizationUrlWithPAR(b.ours, {}))
    const theirs = await settle(oc.buildAuthorizationUrlWithPAR(b.theirs, {}))
    expect(theirs).toMatchObject({ name: 'OperationProcessingError', code: 'OAUTH_MISSING_SERVER_METADATA' })
    expect(ours).toMatchObject({
      name: 'ClientError',
      code: 'OAUTH_MISSING_SERVER_METADATA',
      message: (theirs as { message: string }).message,
    })
  })
})
