// fetchUserInfo, differentially: the same scripted UserInfo responses fed to openid-client 6.9.0 and to
// grantline must end the same way: the same claims (and the same getDecryptedResponses value), or the same error
// class, code, message, cause message and status. Deliberate differences (D80, D81) are asserted as such below.

import type { IncomingMessage, ServerResponse } from 'node:http'
import { CompactEncrypt, CompactSign, exportJWK, generateKeyPair } from 'jose'
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
import { craftJwt, goodClaims } from './support.js'

const TOKEN = 'userinfo-access-token-1'

type Respond = (req: IncomingMessage, res: ServerResponse, origin: string, index: number) => void

interface Case {
  name: string
  respond: Respond
  /** Extra server metadata beside issuer, userinfo_endpoint and jwks_uri. */
  server?: Record<string, unknown>
  /** Client metadata (userinfo_signed_response_alg...). */
  metadata?: Record<string, unknown>
  expectedSubject?: string | 'skip'
  nonRepudiation?: boolean
  decrypt?: boolean
  DPoP?: boolean
}

type Outcome =
  | { ok: true; body: unknown; decrypted: unknown; requests: number }
  | {
      ok: false
      name: string
      code: unknown
      message: string
      causeMessage?: string
      causeIsResponse?: boolean
      status?: unknown
      challenges?: unknown
      requests: number
    }

let server: ScriptedServer
let signingKey: CryptoKey
let otherKey: CryptoKey
let publicJwk: Record<string, unknown>
let encryptionKeys: CryptoKeyPair
let wrongEncryptionKeys: CryptoKeyPair
let respond: Respond = (_req, res) => json(res, 200, { sub: 'alice' })
let index = 0
/** The last compact JWS the server signed: what getDecryptedResponses must give back for a JWE around it. */
let lastSigned: string | undefined

beforeAll(async () => {
  server = await startScriptedServer((req, res, recorded) => {
    if (recorded.url === '/jwks') return json(res, 200, { keys: [publicJwk] })
    respond(req, res, server.origin, index++)
  })
  const pair = await generateKeyPair('ES256', { extractable: true })
  signingKey = pair.privateKey as CryptoKey
  otherKey = (await generateKeyPair('ES256')).privateKey as CryptoKey
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'sig-1', alg: 'ES256', use: 'sig' }
  const ecdh = { name: 'ECDH', namedCurve: 'P-256' }
  encryptionKeys = (await crypto.subtle.generateKey(ecdh, false, ['deriveBits'])) as CryptoKeyPair
  wrongEncryptionKeys = (await crypto.subtle.generateKey(ecdh, false, ['deriveBits'])) as CryptoKeyPair
})
afterAll(async () => {
  await server.close()
})

function serverMetadata(extra: Record<string, unknown> = {}) {
  return {
    issuer: server.origin,
    userinfo_endpoint: `${server.origin}/userinfo`,
    jwks_uri: `${server.origin}/jwks`,
    userinfo_signing_alg_values_supported: ['ES256', 'RS256'],
    ...extra,
  }
}

function outcomeOf(err: any, requests: number): Outcome {
  const outcome: Outcome = { ok: false, name: err?.name, code: err?.code, message: err?.message, requests }
  const cause = err?.cause
  if (cause instanceof Response) {
    outcome.causeIsResponse = true
    outcome.status = cause.status
  } else if (cause instanceof Error) {
    outcome.causeMessage = cause.message
  }
  if (err?.name === 'WWWAuthenticateChallengeError') {
    outcome.status = err.status
    outcome.challenges = err.cause
  }
  return outcome
}

type Library = 'openid-client' | 'grantline'

async function run(library: Library, c: Case): Promise<Outcome> {
  index = 0
  lastSigned = undefined
  respond = c.respond
  const before = server.requests.filter((r) => r.url === '/userinfo').length
  const count = () => server.requests.filter((r) => r.url === '/userinfo').length - before
  const lib = (library === 'grantline' ? gl : oc) as typeof oc
  const config = new lib.Configuration(serverMetadata(c.server), CLIENT_ID, {
    client_secret: CLIENT_SECRET,
    ...c.metadata,
  })
  lib.allowInsecureRequests(config)
  if (c.nonRepudiation) lib.enableNonRepudiationChecks(config)
  if (c.decrypt) lib.enableDecryptingResponses(config, undefined, encryptionKeys.privateKey)
  const DPoP = c.DPoP ? lib.getDPoPHandle(config, await lib.randomDPoPKeyPair()) : undefined
  const subject = c.expectedSubject === 'skip' ? lib.skipSubjectCheck : (c.expectedSubject ?? 'alice')
  try {
    const result = await lib.fetchUserInfo(config, TOKEN, subject, DPoP ? { DPoP } : undefined)
    let decrypted =
      library === 'grantline' ? gl.getDecryptedResponses(result) : oc.getDecryptedResponses(result)
    if (decrypted !== undefined && decrypted === lastSigned) decrypted = 'the JWS the server signed'
    return { ok: true, body: JSON.parse(JSON.stringify(result)), decrypted, requests: count() }
  } catch (err) {
    return outcomeOf(err, count())
  }
}

const reply =
  (status: number, value: unknown, headers: Record<string, string> = {}): Respond =>
  (_req, res) =>
    json(res, status, value, headers)
const raw =
  (status: number, body: string, headers: Record<string, string> = {}): Respond =>
  (_req, res) =>
    send(res, status, body, headers)
const jwtResponse =
  (make: (origin: string) => Promise<string> | string, contentType = 'application/jwt'): Respond =>
  (_req, res, origin) => {
    void Promise.resolve(make(origin)).then((body) => send(res, 200, body, { 'content-type': contentType }))
  }

const encoder = new TextEncoder()
/** One timestamp for the file: both libraries' runs of a case must see the very same claims. */
const T = Math.floor(Date.now() / 1000)
const userClaims = (origin: string, overrides: Record<string, unknown> = {}) =>
  goodClaims(origin, { sub: 'alice', email: 'alice@example.test', iat: T, exp: T + 3600, ...overrides })

async function sign(claims: Record<string, unknown>, key = signingKey, header: Record<string, unknown> = {}) {
  lastSigned = await new CompactSign(encoder.encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: 'ES256', kid: 'sig-1', ...header })
    .sign(key)
  return lastSigned
}
async function encrypt(plaintext: string, key = encryptionKeys.publicKey) {
  return new CompactEncrypt(encoder.encode(plaintext))
    .setProtectedHeader({ alg: 'ECDH-ES', enc: 'A256GCM' })
    .encrypt(key)
}

const CASES: Case[] = [
  // JSON responses
  {
    name: 'JSON claims',
    respond: reply(200, { sub: 'alice', email: 'alice@example.test', n: [1, { a: null }] }),
  },
  {
    name: 'JSON claims with text/plain',
    respond: raw(200, JSON.stringify({ sub: 'alice' }), { 'content-type': 'text/plain' }),
  },
  {
    name: 'JSON claims with application/json; charset=utf-8',
    respond: raw(200, JSON.stringify({ sub: 'alice' }), {
      'content-type': 'application/json; charset=utf-8',
    }),
  },
  { name: 'a user other than the expected one', respond: reply(200, { sub: 'mallory' }) },
  {
    name: 'any user with skipSubjectCheck',
    respond: reply(200, { sub: 'mallory' }),
    expectedSubject: 'skip',
  },
  { name: 'no sub', respond: reply(200, { email: 'alice@example.test' }) },
  { name: 'no sub, skipSubjectCheck', respond: reply(200, { email: 'x' }), expectedSubject: 'skip' },
  { name: 'an empty sub', respond: reply(200, { sub: '' }) },
  { name: 'a numeric sub', respond: reply(200, { sub: 42 }) },
  { name: 'sub "Alice" for "alice"', respond: reply(200, { sub: 'Alice' }) },
  { name: 'an array body', respond: reply(200, [{ sub: 'alice' }]) },
  { name: 'a JSON string body', respond: reply(200, 'alice') },
  { name: 'null', respond: reply(200, null) },
  { name: 'HTML with text/html', respond: raw(200, '<html>hi</html>', { 'content-type': 'text/html' }) },
  {
    name: 'HTML labelled JSON',
    respond: raw(200, '<html>hi</html>', { 'content-type': 'application/json' }),
  },
  { name: 'an empty body', respond: raw(200, '', { 'content-type': 'application/json' }) },
  { name: 'no content-type, not JSON', respond: raw(200, 'sub=alice') },
  // status and challenges
  {
    name: '401 with a Bearer challenge',
    respond: reply(
      401,
      {},
      { 'www-authenticate': 'Bearer error="invalid_token", error_description="expired"' },
    ),
  },
  {
    name: '403 with insufficient_scope',
    respond: raw(403, '', { 'www-authenticate': 'Bearer error="insufficient_scope", scope="openid email"' }),
  },
  {
    name: '200 with a challenge',
    respond: reply(200, { sub: 'alice' }, { 'www-authenticate': 'Bearer realm="x"' }),
  },
  { name: '401 without a challenge', respond: reply(401, { error: 'invalid_token' }) },
  { name: '400 with an OAuth error body', respond: reply(400, { error: 'invalid_request' }) },
  { name: '500', respond: raw(500, 'oops', { 'content-type': 'text/plain' }) },
  { name: '201 with claims', respond: reply(201, { sub: 'alice' }) },
  { name: '302 to elsewhere', respond: raw(302, '', { location: 'https://elsewhere.example/' }) },
  { name: 'an unparseable challenge on 401', respond: raw(401, '', { 'www-authenticate': '=,=' }) },
  // signed responses
  { name: 'a signed JWT', respond: jwtResponse((o) => sign(userClaims(o))) },
  {
    name: 'a signed JWT, application/jwt; charset=utf-8',
    respond: jwtResponse((o) => sign(userClaims(o)), 'application/jwt; charset=utf-8'),
  },
  { name: 'a signed JWT, checked', respond: jwtResponse((o) => sign(userClaims(o))), nonRepudiation: true },
  { name: 'a JWT with a bad signature', respond: jwtResponse((o) => sign(userClaims(o), otherKey)) },
  {
    name: 'a JWT with a bad signature, checked',
    respond: jwtResponse((o) => sign(userClaims(o), otherKey)),
    nonRepudiation: true,
  },
  {
    name: 'a JWT with an unknown kid, checked',
    respond: jwtResponse((o) => sign(userClaims(o), signingKey, { kid: 'other' })),
    nonRepudiation: true,
  },
  {
    name: 'a junk signature, checked',
    respond: jwtResponse((o) => craftJwt({ alg: 'ES256', kid: 'sig-1' }, userClaims(o))),
    nonRepudiation: true,
  },
  {
    name: 'an HS256 JWT, checked',
    respond: jwtResponse((o) => craftJwt({ alg: 'HS256' }, userClaims(o))),
    server: { userinfo_signing_alg_values_supported: ['HS256'] },
    nonRepudiation: true,
  },
  { name: 'a JWT for another user', respond: jwtResponse((o) => sign(userClaims(o, { sub: 'mallory' }))) },
  { name: 'a JWT without sub', respond: jwtResponse((o) => sign(userClaims(o, { sub: undefined }))) },
  { name: 'a JWT from another issuer', respond: jwtResponse(() => sign(userClaims('https://evil.example'))) },
  { name: 'a JWT for another client', respond: jwtResponse((o) => sign(userClaims(o, { aud: 'other' }))) },
  {
    name: 'a JWT whose aud array holds the client',
    respond: jwtResponse((o) => sign(userClaims(o, { aud: ['other', CLIENT_ID] }))),
  },
  {
    name: 'a JWT without iss, aud, iat, exp',
    respond: jwtResponse(() => sign({ sub: 'alice', email: 'alice@example.test' })),
  },
  { name: 'a JWT with a numeric iss', respond: jwtResponse((o) => sign(userClaims(o, { iss: 7 }))) },
  { name: 'an expired JWT', respond: jwtResponse((o) => sign(userClaims(o, { exp: T - 120 }))) },
  { name: 'a JWT not valid yet', respond: jwtResponse((o) => sign(userClaims(o, { nbf: T + 600 }))) },
  {
    name: 'a JWT whose alg the server does not list',
    respond: jwtResponse((o) => sign(userClaims(o))),
    server: { userinfo_signing_alg_values_supported: ['RS256'] },
  },
  {
    name: 'a JWT with no alg policy at all',
    respond: jwtResponse((o) => sign(userClaims(o))),
    server: { userinfo_signing_alg_values_supported: undefined },
  },
  {
    name: 'a JWT with the client-registered alg',
    respond: jwtResponse((o) => sign(userClaims(o))),
    metadata: { userinfo_signed_response_alg: 'ES256' },
  },
  {
    name: 'a JWT with another alg than the client registered',
    respond: jwtResponse((o) => sign(userClaims(o))),
    metadata: { userinfo_signed_response_alg: 'RS256' },
  },
  {
    name: 'JSON when the client registered a signed response',
    respond: reply(200, { sub: 'alice' }),
    metadata: { userinfo_signed_response_alg: 'ES256' },
  },
  { name: 'an alg none JWT', respond: jwtResponse((o) => craftJwt({ alg: 'none' }, userClaims(o))) },
  { name: 'a JWT of two segments', respond: jwtResponse(() => 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9') },
  {
    name: 'a JWT whose header is not JSON',
    respond: jwtResponse(() => 'bm90IGpzb24.eyJzdWIiOiJhbGljZSJ9.c2ln'),
  },
  {
    name: 'a JWT whose payload is an array',
    respond: jwtResponse(() => `${Buffer.from('{"alg":"ES256"}').toString('base64url')}.WzFd.c2ln`),
  },
  {
    name: 'a JWT with crit',
    respond: jwtResponse((o) => craftJwt({ alg: 'ES256', crit: ['x'], x: 1 }, userClaims(o))),
  },
  { name: 'an empty JWT body', respond: jwtResponse(() => '') },
  // encrypted responses
  {
    name: 'a JWE without decryption configured',
    respond: jwtResponse(async (o) => encrypt(await sign(userClaims(o)))),
  },
  {
    name: 'a JWE, decrypted',
    respond: jwtResponse(async (o) => encrypt(await sign(userClaims(o)))),
    decrypt: true,
  },
  {
    name: 'a JWE, decrypted and checked',
    respond: jwtResponse(async (o) => encrypt(await sign(userClaims(o)))),
    decrypt: true,
    nonRepudiation: true,
  },
  {
    name: 'a JWE with a forged inner signature, checked',
    respond: jwtResponse(async (o) => encrypt(await sign(userClaims(o), otherKey))),
    decrypt: true,
    nonRepudiation: true,
  },
  {
    name: 'a JWE for another user',
    respond: jwtResponse(async (o) => encrypt(await sign(userClaims(o, { sub: 'mallory' })))),
    decrypt: true,
  },
  {
    name: 'a JWE for a key the client does not have',
    respond: jwtResponse(async (o) => encrypt(await sign(userClaims(o)), wrongEncryptionKeys.publicKey)),
    decrypt: true,
  },
  {
    name: 'a signed JWT with decryption configured (nothing decrypted)',
    respond: jwtResponse((o) => sign(userClaims(o))),
    decrypt: true,
  },
  // DPoP-bound tokens
  {
    name: 'DPoP: a nonce challenge, then the claims',
    respond: (_req, res, _origin, i) =>
      i === 0
        ? send(res, 401, '', {
            'www-authenticate': 'DPoP error="use_dpop_nonce", algs="ES256"',
            'dpop-nonce': 'nonce-1',
          })
        : json(res, 200, { sub: 'alice' }),
    DPoP: true,
  },
  {
    name: 'DPoP: nonce challenges forever',
    respond: (_req, res, _origin, i) =>
      send(res, 401, '', { 'www-authenticate': 'DPoP error="use_dpop_nonce"', 'dpop-nonce': `nonce-${i}` }),
    DPoP: true,
  },
  {
    name: 'DPoP: a nonce challenge beside a Bearer one',
    respond: (_req, res, _origin, i) =>
      i === 0
        ? send(res, 401, '', {
            'www-authenticate': 'Bearer realm="x", DPoP error="use_dpop_nonce"',
            'dpop-nonce': 'nonce-1',
          })
        : json(res, 200, { sub: 'alice' }),
    DPoP: true,
  },
  {
    name: 'DPoP: invalid_token is not retried',
    respond: raw(401, '', { 'www-authenticate': 'DPoP error="invalid_token"' }),
    DPoP: true,
  },
  {
    name: 'Bearer: a nonce challenge is not retried',
    respond: (_req, res, _origin, i) =>
      i === 0
        ? send(res, 401, '', { 'www-authenticate': 'DPoP error="use_dpop_nonce"', 'dpop-nonce': 'n' })
        : json(res, 200, { sub: 'alice' }),
  },
]

describe('fetchUserInfo: grantline and openid-client end the same way', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const theirs = await run('openid-client', c)
      const ours = await run('grantline', c)
      expect(ours).toEqual(theirs)
    })
  }

  it('the request on the wire is the same: GET, accept, authorization, no body', async () => {
    const seen: Record<string, unknown>[] = []
    const c: Case = {
      name: 'wire',
      respond: (req, res) => {
        seen.push({
          method: req.method,
          accept: req.headers.accept,
          authorization: req.headers.authorization,
        })
        json(res, 200, { sub: 'alice' })
      },
    }
    await run('openid-client', c)
    await run('grantline', c)
    await run('openid-client', { ...c, metadata: { userinfo_signed_response_alg: 'ES256' } })
    await run('grantline', { ...c, metadata: { userinfo_signed_response_alg: 'ES256' } })
    expect(seen).toEqual([
      { method: 'GET', accept: 'application/json, application/jwt', authorization: `Bearer ${TOKEN}` },
      { method: 'GET', accept: 'application/json, application/jwt', authorization: `Bearer ${TOKEN}` },
      { method: 'GET', accept: 'application/jwt', authorization: `Bearer ${TOKEN}` },
      { method: 'GET', accept: 'application/jwt', authorization: `Bearer ${TOKEN}` },
    ])
  })
})

describe('fetchUserInfo: deliberate differences', () => {
  it('D81: Application/JWT (any case) is a JWT; openid-client reads it as JSON and refuses its content-type', async () => {
    const c: Case = {
      name: 'case',
      respond: jwtResponse((o) => sign(userClaims(o)), 'Application/JWT'),
    }
    const theirs = await run('openid-client', c)
    const ours = await run('grantline', c)
    expect(theirs).toMatchObject({ ok: false, code: 'OAUTH_RESPONSE_IS_NOT_JSON' })
    expect(ours).toMatchObject({ ok: true, body: { sub: 'alice', email: 'alice@example.test' } })
  })

  it('D80: an invalid expectedSubject is a TypeError before any request; openid-client sends the request first', async () => {
    for (const [library, lib] of [
      ['openid-client', oc as unknown as typeof gl],
      ['grantline', gl],
    ] as const) {
      respond = reply(200, { sub: 'alice' })
      const before = server.requests.length
      const config = new lib.Configuration(serverMetadata(), CLIENT_ID, CLIENT_SECRET)
      lib.allowInsecureRequests(config)
      for (const subject of ['', 42, undefined]) {
        const err = await lib.fetchUserInfo(config, TOKEN, subject as never).then(
          () => undefined,
          (e: unknown) => e as TypeError & { code?: string },
        )
        expect(err).toBeInstanceOf(TypeError)
        expect(err?.code).toBe(subject === '' ? 'ERR_INVALID_ARG_VALUE' : 'ERR_INVALID_ARG_TYPE')
        expect(err?.message).toBe(`"expectedSubject" must ${subject === '' ? 'not be empty' : 'be a string'}`)
      }
      expect(server.requests.length - before).toBe(library === 'grantline' ? 0 : 3)
    }
  })
})
