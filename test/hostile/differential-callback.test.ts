import type { ServerResponse } from 'node:http'
import * as oc from 'openid-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as gl from '../../src/index.js'
import {
  CLIENT_ID,
  CLIENT_SECRET,
  json,
  startScriptedServer,
  type ScriptedServer,
} from '../support/scripted-server.js'
import { clientEncryptionKey, halfHash, idTokenClaims, issuerKeys, signJwt } from './callback-support.js'

/**
 * The callback checks, measured against openid-client 6.9.0: the same callback (URL or form_post Request), the
 * same checks and the same scripted token endpoint, fed to both libraries, must end the same way: the same token
 * response (and ID Token claims), or the same error class, `code`, message and cause message (and for an
 * AuthorizationResponseError, `error` and `error_description`); and when a token request is made, both send the
 * same form (`redirect_uri` derived alike). Deliberate differences are asserted as such at the end.
 */

const CODE = 'code-123'
const VERIFIER = 'verifier-0123456789abcdefghijklmnopqrstuvwxyz0123456789'
const STATE = 'state-1'
const NONCE = 'nonce-1'
const CALLBACK = 'https://rp.example.com/cb'

type Lib = 'oc' | 'gl'
type Mode = 'code' | 'jarm' | 'hybrid' | 'detached' | 'implicit'

interface Case {
  name: string
  mode?: Mode
  server?: Record<string, unknown>
  metadata?: Record<string, unknown>
  /** The callback, built afresh for each library (a Request body can be read once). */
  input: (origin: string) => URL | Request | string
  checks?: (lib: Lib) => Record<string | symbol, unknown> | undefined
  /** The token endpoint's answer; default a plain bearer token response. */
  token?: (res: ServerResponse, origin: string) => void
  parameters?: Record<string, string>
}

let server: ScriptedServer
const keys = issuerKeys()
let respond: (res: ServerResponse, origin: string) => void

beforeAll(async () => {
  server = await startScriptedServer((req, res) => {
    if (req.url === '/jwks') return json(res, 200, keys.jwks)
    respond(res, server.origin)
  })
})
afterAll(async () => {
  await server.close()
})

const bearer = (res: ServerResponse) =>
  json(res, 200, { access_token: 'at-1', token_type: 'Bearer', expires_in: 300, scope: 'openid' })
/** A token response with a signed ID Token, signed once per case (ECDSA signatures differ on every signing). */
const withIdToken = (claims: (origin: string) => Record<string, unknown>) => {
  let idToken: string | undefined
  return (res: ServerResponse, origin: string) => {
    idToken ??= signJwt(keys.privateKey, claims(origin))
    json(res, 200, { access_token: 'at-1', token_type: 'Bearer', id_token: idToken })
  }
}

function metadataFor(origin: string, extra: Record<string, unknown> = {}) {
  return {
    issuer: origin,
    token_endpoint: `${origin}/token`,
    authorization_endpoint: `${origin}/authorize`,
    jwks_uri: `${origin}/jwks`,
    id_token_signing_alg_values_supported: ['ES256'],
    authorization_signing_alg_values_supported: ['ES256'],
    ...extra,
  }
}

const query = (params: Record<string, string>, base = CALLBACK) => {
  const url = new URL(base)
  for (const [k, v] of Object.entries(params)) url.searchParams.append(k, v)
  return url
}
const fragment = (params: Record<string, string>) => {
  const url = new URL(CALLBACK)
  url.hash = new URLSearchParams(params).toString()
  return url
}
const formPost = (
  params: Record<string, string>,
  contentType = 'application/x-www-form-urlencoded',
  method = 'POST',
) =>
  new Request(CALLBACK, {
    method,
    headers: { 'content-type': contentType },
    body: new URLSearchParams(params).toString(),
  })
const skip = (lib: Lib) => (lib === 'oc' ? oc.skipStateCheck : gl.skipStateCheck)
const now = () => Math.floor(Date.now() / 1000)
/** Each library reads its own copy of an implicit response: one issue time, so their claims() agree (not a second apart). */
const ISSUED = ((t) => ({ iat: t, exp: t + 300, auth_time: t - 5 }))(now())
const jarmClaims = (origin: string, extra: Record<string, unknown> = {}) => ({
  iss: origin,
  aud: CLIENT_ID,
  exp: now() + 60,
  code: CODE,
  state: STATE,
  ...extra,
})
const hybridClaims = (origin: string, extra: Record<string, unknown> = {}) =>
  idTokenClaims(origin, { nonce: NONCE, c_hash: halfHash(CODE), s_hash: halfHash(STATE), ...extra })
const hybrid = (origin: string, claims: Record<string, unknown> = {}, params: Record<string, string> = {}) =>
  fragment({
    code: CODE,
    state: STATE,
    id_token: signJwt(keys.privateKey, hybridClaims(origin, claims)),
    ...params,
  })

function configs(c: Case): { oc: oc.Configuration; gl: gl.Configuration } {
  const as = metadataFor(server.origin, c.server)
  const metadata = { client_secret: CLIENT_SECRET, ...c.metadata }
  const a = new oc.Configuration(as as oc.ServerMetadata, CLIENT_ID, metadata)
  const b = new gl.Configuration(as as gl.ServerMetadata, CLIENT_ID, metadata)
  oc.allowInsecureRequests(a)
  gl.allowInsecureRequests(b)
  switch (c.mode) {
    case 'jarm':
      oc.useJwtResponseMode(a)
      gl.useJwtResponseMode(b)
      break
    case 'detached':
    case 'hybrid':
      oc.useCodeIdTokenResponseType(a)
      gl.useCodeIdTokenResponseType(b)
      if (c.mode === 'detached') {
        oc.enableDetachedSignatureResponseChecks(a)
        gl.enableDetachedSignatureResponseChecks(b)
      }
      break
    case 'implicit':
      oc.useIdTokenResponseType(a)
      gl.useIdTokenResponseType(b)
      break
  }
  return { oc: a, gl: b }
}

type Outcome = Record<string, unknown>

async function outcomeOf(promise: Promise<unknown>): Promise<Outcome> {
  try {
    const result = (await promise) as Record<string, unknown> & { claims?: () => unknown }
    return {
      ok: true,
      body: { ...result },
      claims: typeof result.claims === 'function' ? result.claims() : undefined,
    }
  } catch (err) {
    const e = err as Error & Record<string, unknown>
    return {
      ok: false,
      name: e.name,
      isTypeError: e instanceof TypeError,
      code: e.code,
      message: e.message,
      causeMessage: e.cause instanceof Error ? e.cause.message : undefined,
      error: e.error,
      error_description: e.error_description,
    }
  }
}

/** Runs the case with one library; returns its outcome and the token request it made, if any. */
async function run(c: Case, lib: Lib, config: oc.Configuration | gl.Configuration) {
  respond = c.token ?? bearer
  const before = server.requests.length
  const input = c.input(server.origin)
  const checks = c.checks?.(lib)
  const call =
    c.mode === 'implicit'
      ? lib === 'oc'
        ? oc.implicitAuthentication(config as oc.Configuration, input as URL, NONCE, checks as never)
        : gl.implicitAuthentication(config as gl.Configuration, input as URL, NONCE, checks as never)
      : lib === 'oc'
        ? oc.authorizationCodeGrant(config as oc.Configuration, input as URL, checks as never, c.parameters)
        : gl.authorizationCodeGrant(config as gl.Configuration, input as URL, checks as never, c.parameters)
  const outcome = await outcomeOf(call)
  const sent = server.requests.slice(before).find((r) => r.url === '/token')
  const form = sent ? Object.fromEntries([...new URLSearchParams(sent.body)].sort()) : undefined
  return { outcome, form }
}

const CASES: Case[] = [
  {
    name: 'code + PKCE + state',
    input: () => query({ code: CODE, state: STATE }),
    checks: () => ({ pkceCodeVerifier: VERIFIER, expectedState: STATE }),
  },
  {
    name: 'redirect_uri drops the query and fragment; extra token parameters',
    input: () => {
      const url = query({ code: CODE, keep: 'x' }, `${CALLBACK}/deep?app=1`)
      url.hash = 'frag'
      return url
    },
    parameters: { resource: 'https://api.example.com' },
  },
  {
    name: 'state mismatch',
    input: () => query({ code: CODE, state: 'x' }),
    checks: () => ({ expectedState: STATE }),
  },
  { name: 'state missing', input: () => query({ code: CODE }), checks: () => ({ expectedState: STATE }) },
  { name: 'state unexpected', input: () => query({ code: CODE, state: STATE }) },
  { name: 'state empty', input: () => query({ code: CODE, state: '' }) },
  {
    name: 'skipStateCheck',
    input: () => query({ code: CODE, state: 'anything' }),
    checks: (lib) => ({ expectedState: skip(lib) }),
  },
  {
    name: 'state repeated',
    input: () => query({ code: CODE, state: STATE, ...{} }, `${CALLBACK}?state=${STATE}`),
    checks: () => ({ expectedState: STATE }),
  },
  {
    name: 'iss required by the server but missing',
    server: { authorization_response_iss_parameter_supported: true },
    input: () => query({ code: CODE }),
  },
  { name: 'iss foreign', input: () => query({ code: CODE, iss: 'https://evil.example.com' }) },
  { name: 'iss matching', input: (origin) => query({ code: CODE, iss: origin }) },
  {
    name: 'iss empty with server support',
    server: { authorization_response_iss_parameter_supported: true },
    input: () => query({ code: CODE, iss: '' }),
  },
  {
    name: 'error response',
    input: () => query({ error: 'access_denied', error_description: 'no', state: STATE }),
    checks: () => ({ expectedState: STATE }),
  },
  { name: 'error response without description', input: () => query({ error: 'login_required' }) },
  { name: 'no code', input: () => query({ foo: 'bar' }) },
  { name: 'code repeated', input: () => query({ code: CODE }, `${CALLBACK}?code=again`) },
  { name: 'id_token in a code response', input: () => query({ code: CODE, id_token: 'a.b.c' }) },
  { name: 'JARM response in plain mode', input: () => query({ response: 'a.b.c' }) },
  {
    name: 'replayed code',
    input: () => query({ code: CODE }),
    token: (res) => json(res, 400, { error: 'invalid_grant', error_description: 'grant request is invalid' }),
  },
  {
    name: 'nonce matches',
    input: () => query({ code: CODE }),
    checks: () => ({ expectedNonce: NONCE }),
    token: withIdToken((o) => idTokenClaims(o, { nonce: NONCE })),
  },
  {
    name: 'nonce mismatch',
    input: () => query({ code: CODE }),
    checks: () => ({ expectedNonce: NONCE }),
    token: withIdToken((o) => idTokenClaims(o, { nonce: 'other' })),
  },
  {
    name: 'nonce missing',
    input: () => query({ code: CODE }),
    checks: () => ({ expectedNonce: NONCE }),
    token: withIdToken((o) => idTokenClaims(o)),
  },
  {
    name: 'nonce unexpected',
    input: () => query({ code: CODE }),
    token: withIdToken((o) => idTokenClaims(o, { nonce: NONCE })),
  },
  {
    name: 'ID Token expected but absent',
    input: () => query({ code: CODE }),
    checks: () => ({ idTokenExpected: true }),
  },
  {
    name: 'nonce expected, no ID Token',
    input: () => query({ code: CODE }),
    checks: () => ({ expectedNonce: NONCE }),
  },
  {
    name: 'maxAge exceeded',
    input: () => query({ code: CODE }),
    checks: () => ({ maxAge: 60 }),
    token: withIdToken((o) => idTokenClaims(o, { auth_time: now() - 600 })),
  },
  {
    name: 'maxAge met',
    input: () => query({ code: CODE }),
    checks: () => ({ maxAge: 60 }),
    token: withIdToken((o) => idTokenClaims(o)),
  },
  {
    name: 'maxAge without auth_time',
    input: () => query({ code: CODE }),
    checks: () => ({ maxAge: 60 }),
    token: withIdToken((o) => idTokenClaims(o, { auth_time: undefined })),
  },
  {
    name: 'default_max_age exceeded',
    metadata: { default_max_age: 60 },
    input: () => query({ code: CODE }),
    token: withIdToken((o) => idTokenClaims(o, { auth_time: now() - 600 })),
  },
  {
    name: 'require_auth_time without auth_time',
    metadata: { require_auth_time: true },
    input: () => query({ code: CODE }),
    token: withIdToken((o) => idTokenClaims(o, { auth_time: undefined })),
  },
  {
    name: 'ID Token of another audience',
    input: () => query({ code: CODE }),
    token: withIdToken((o) => idTokenClaims(o, { aud: 'other' })),
  },
  {
    name: 'form_post',
    input: () => formPost({ code: CODE, state: STATE }),
    checks: () => ({ expectedState: STATE }),
  },
  { name: 'form_post error', input: () => formPost({ error: 'access_denied' }) },
  {
    name: 'form_post with a charset',
    input: () => formPost({ code: CODE }, 'application/x-www-form-urlencoded;charset=UTF-8'),
  },
  { name: 'form_post with another content-type', input: () => formPost({ code: CODE }, 'text/plain') },
  { name: 'a PUT Request', input: () => formPost({ code: CODE }, undefined, 'PUT') },
  { name: 'a GET Request', input: () => new Request(query({ code: CODE }).href) },
  { name: 'a string currentUrl', input: () => query({ code: CODE }).href },
  // JARM
  {
    name: 'JARM',
    mode: 'jarm',
    input: (o) => query({ response: signJwt(keys.privateKey, jarmClaims(o)) }),
    checks: () => ({ expectedState: STATE, pkceCodeVerifier: VERIFIER }),
  },
  {
    name: 'JARM form_post',
    mode: 'jarm',
    input: (o) => formPost({ response: signJwt(keys.privateKey, jarmClaims(o)) }),
    checks: () => ({ expectedState: STATE }),
  },
  {
    name: 'JARM bad signature',
    mode: 'jarm',
    input: (o) => query({ response: signJwt(keys.foreignKey, jarmClaims(o)) }),
    checks: () => ({ expectedState: STATE }),
  },
  {
    name: 'JARM unknown kid',
    mode: 'jarm',
    input: (o) => query({ response: signJwt(keys.privateKey, jarmClaims(o), { kid: 'nope' }) }),
    checks: () => ({ expectedState: STATE }),
  },
  {
    name: 'JARM wrong audience',
    mode: 'jarm',
    input: (o) => query({ response: signJwt(keys.privateKey, jarmClaims(o, { aud: 'other' })) }),
    checks: () => ({ expectedState: STATE }),
  },
  {
    name: 'JARM foreign issuer',
    mode: 'jarm',
    input: (o) =>
      query({ response: signJwt(keys.privateKey, jarmClaims(o, { iss: 'https://evil.example.com' })) }),
    checks: () => ({ expectedState: STATE }),
  },
  {
    name: 'JARM expired',
    mode: 'jarm',
    input: (o) => query({ response: signJwt(keys.privateKey, jarmClaims(o, { exp: now() - 600 })) }),
    checks: () => ({ expectedState: STATE }),
  },
  {
    name: 'JARM without exp',
    mode: 'jarm',
    input: (o) => query({ response: signJwt(keys.privateKey, jarmClaims(o, { exp: undefined })) }),
    checks: () => ({ expectedState: STATE }),
  },
  {
    name: 'JARM with an unexpected alg',
    mode: 'jarm',
    input: (o) => query({ response: signJwt(keys.privateKey, jarmClaims(o), { alg: 'RS256' }) }),
    checks: () => ({ expectedState: STATE }),
  },
  {
    name: 'JARM state mismatch',
    mode: 'jarm',
    input: (o) => query({ response: signJwt(keys.privateKey, jarmClaims(o, { state: 'x' })) }),
    checks: () => ({ expectedState: STATE }),
  },
  { name: 'JARM missing', mode: 'jarm', input: () => query({ code: CODE }) },
  { name: 'JARM not a JWT', mode: 'jarm', input: () => query({ response: 'not-a-jwt' }) },
  {
    name: 'JARM error',
    mode: 'jarm',
    input: (o) =>
      query({
        response: signJwt(keys.privateKey, jarmClaims(o, { code: undefined, error: 'access_denied' })),
      }),
    checks: () => ({ expectedState: STATE }),
  },
  // hybrid
  {
    name: 'hybrid',
    mode: 'hybrid',
    input: (o) => hybrid(o),
    checks: () => ({ expectedState: STATE, expectedNonce: NONCE }),
    token: withIdToken((o) => idTokenClaims(o, { nonce: NONCE })),
  },
  {
    name: 'hybrid form_post',
    mode: 'hybrid',
    input: (o) => formPost({ code: CODE, state: STATE, id_token: signJwt(keys.privateKey, hybridClaims(o)) }),
    checks: () => ({ expectedState: STATE, expectedNonce: NONCE }),
    token: withIdToken((o) => idTokenClaims(o, { nonce: NONCE })),
  },
  {
    name: 'hybrid wrong c_hash',
    mode: 'hybrid',
    input: (o) => hybrid(o, { c_hash: halfHash('x') }),
    checks: () => ({ expectedState: STATE, expectedNonce: NONCE }),
  },
  {
    name: 'hybrid without c_hash',
    mode: 'hybrid',
    input: (o) => hybrid(o, { c_hash: undefined }),
    checks: () => ({ expectedState: STATE, expectedNonce: NONCE }),
  },
  {
    name: 'hybrid wrong s_hash',
    mode: 'hybrid',
    input: (o) => hybrid(o, { s_hash: halfHash('x') }),
    checks: () => ({ expectedState: STATE, expectedNonce: NONCE }),
  },
  {
    name: 'hybrid without s_hash (not detached)',
    mode: 'hybrid',
    input: (o) => hybrid(o, { s_hash: undefined }),
    checks: () => ({ expectedState: STATE, expectedNonce: NONCE }),
    token: withIdToken((o) => idTokenClaims(o, { nonce: NONCE })),
  },
  {
    name: 'detached without s_hash',
    mode: 'detached',
    input: (o) => hybrid(o, { s_hash: undefined }),
    checks: () => ({ expectedState: STATE, expectedNonce: NONCE }),
  },
  {
    name: 'hybrid bad signature',
    mode: 'hybrid',
    input: (o) => fragment({ code: CODE, state: STATE, id_token: signJwt(keys.foreignKey, hybridClaims(o)) }),
    checks: () => ({ expectedState: STATE, expectedNonce: NONCE }),
  },
  {
    name: 'hybrid wrong nonce',
    mode: 'hybrid',
    input: (o) => hybrid(o, { nonce: 'x' }),
    checks: () => ({ expectedState: STATE, expectedNonce: NONCE }),
  },
  {
    name: 'hybrid iat too old',
    mode: 'hybrid',
    input: (o) => hybrid(o, { iat: now() - 7200 }),
    checks: () => ({ expectedState: STATE, expectedNonce: NONCE }),
  },
  {
    name: 'hybrid without id_token',
    mode: 'hybrid',
    input: () => fragment({ code: CODE, state: STATE }),
    checks: () => ({ expectedState: STATE, expectedNonce: NONCE }),
  },
  {
    name: 'hybrid without code',
    mode: 'hybrid',
    input: (o) => fragment({ state: STATE, id_token: signJwt(keys.privateKey, hybridClaims(o)) }),
    checks: () => ({ expectedState: STATE, expectedNonce: NONCE }),
  },
  {
    name: 'hybrid without fragment',
    mode: 'hybrid',
    input: () => query({ code: CODE }),
    checks: () => ({ expectedNonce: NONCE }),
  },
  {
    name: 'hybrid without expectedNonce',
    mode: 'hybrid',
    input: (o) => hybrid(o),
    checks: () => ({ expectedState: STATE }),
  },
  {
    name: 'hybrid with skipStateCheck',
    mode: 'hybrid',
    input: (o) => hybrid(o),
    checks: (lib) => ({ expectedState: skip(lib), expectedNonce: NONCE }),
  },
  {
    name: 'hybrid error response',
    mode: 'hybrid',
    input: () => fragment({ error: 'access_denied', state: STATE }),
    checks: () => ({ expectedState: STATE, expectedNonce: NONCE }),
  },
  // implicit
  {
    name: 'implicit',
    mode: 'implicit',
    input: (o) =>
      fragment({
        id_token: signJwt(keys.privateKey, idTokenClaims(o, { ...ISSUED, nonce: NONCE })),
        state: STATE,
      }),
    checks: () => ({ expectedState: STATE }),
  },
  {
    name: 'implicit form_post',
    mode: 'implicit',
    input: (o) =>
      formPost({ id_token: signJwt(keys.privateKey, idTokenClaims(o, { ...ISSUED, nonce: NONCE })) }),
  },
  {
    name: 'implicit wrong nonce',
    mode: 'implicit',
    input: (o) => fragment({ id_token: signJwt(keys.privateKey, idTokenClaims(o, { nonce: 'x' })) }),
  },
  {
    name: 'implicit bad signature',
    mode: 'implicit',
    input: (o) => fragment({ id_token: signJwt(keys.foreignKey, idTokenClaims(o, { nonce: NONCE })) }),
  },
  {
    name: 'implicit maxAge exceeded',
    mode: 'implicit',
    input: (o) =>
      fragment({
        id_token: signJwt(keys.privateKey, idTokenClaims(o, { nonce: NONCE, auth_time: now() - 900 })),
      }),
    checks: () => ({ maxAge: 60 }),
  },
  {
    name: 'implicit without id_token',
    mode: 'implicit',
    input: () => fragment({ state: STATE }),
    checks: () => ({ expectedState: STATE }),
  },
  { name: 'implicit error', mode: 'implicit', input: () => fragment({ error: 'access_denied' }) },
  {
    name: 'implicit with a token',
    mode: 'implicit',
    input: () => fragment({ token: 'x', id_token: 'a.b.c' }),
  },
]

describe('authorizationCodeGrant and implicitAuthentication against openid-client 6.9.0', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const { oc: a, gl: b } = configs(c)
      const ours = await run(c, 'gl', b)
      const theirs = await run(c, 'oc', a)
      expect(ours.outcome).toEqual(theirs.outcome)
      expect(ours.form).toEqual(theirs.form)
    })
  }
})

describe('the toggles', () => {
  const pairs: Array<[string, (lib: typeof oc | typeof gl, config: never) => void]> = [
    ['JARM after hybrid', (lib, c) => (lib.useCodeIdTokenResponseType(c), lib.useJwtResponseMode(c))],
    ['JARM after implicit', (lib, c) => (lib.useIdTokenResponseType(c), lib.useJwtResponseMode(c))],
    ['hybrid after JARM', (lib, c) => (lib.useJwtResponseMode(c), lib.useCodeIdTokenResponseType(c))],
    ['implicit after hybrid', (lib, c) => (lib.useCodeIdTokenResponseType(c), lib.useIdTokenResponseType(c))],
    ['detached without hybrid', (lib, c) => lib.enableDetachedSignatureResponseChecks(c)],
    [
      'implicitAuthentication without implicit',
      (lib, c) => void lib.implicitAuthentication(c, new URL(CALLBACK), NONCE).catch(() => {}),
    ],
  ]
  for (const [name, apply] of pairs) {
    it(name, () => {
      const { oc: a, gl: b } = configs({ name, input: () => CALLBACK })
      const caught = (fn: () => void) => {
        try {
          fn()
          return undefined
        } catch (err) {
          const e = err as Error & { code?: string }
          return { name: e.name, message: e.message, code: e.code }
        }
      }
      expect(caught(() => apply(gl, b as never))).toEqual(caught(() => apply(oc, a as never)))
    })
  }
})

describe('getDecryptedResponses against openid-client 6.9.0', () => {
  /** Encrypts once per case, so that both libraries receive the very same JWEs. */
  const once = <T>(make: () => Promise<T>) => {
    let value: Promise<T> | undefined
    return () => (value ??= make())
  }

  it('JARM, hybrid, implicit and the token endpoint: the same records', async () => {
    const enc = await clientEncryptionKey()
    const idJws = signJwt(keys.privateKey, idTokenClaims(server.origin, { nonce: NONCE }))
    const idJwe = once(() => enc.encrypt(idJws))
    const jarmJwe = once(() => enc.encrypt(signJwt(keys.privateKey, jarmClaims(server.origin))))
    const hybridJwe = once(() => enc.encrypt(signJwt(keys.privateKey, hybridClaims(server.origin))))
    const implicitJwe = once(() =>
      enc.encrypt(signJwt(keys.privateKey, idTokenClaims(server.origin, { nonce: NONCE }))),
    )
    const encryptedToken = async (res: ServerResponse) =>
      json(res, 200, { access_token: 'at-1', token_type: 'Bearer', id_token: await idJwe() })
    await idJwe()
    const plainToken: Case['token'] = bearer

    const cases: Array<{
      mode: Mode
      input: () => Promise<URL>
      token: Case['token']
      checks: Record<string, unknown>
    }> = [
      {
        mode: 'code',
        input: async () => query({ code: CODE }),
        token: (res) => void encryptedToken(res),
        checks: { expectedNonce: NONCE },
      },
      {
        mode: 'jarm',
        input: async () => query({ response: await jarmJwe() }),
        token: plainToken,
        checks: { expectedState: STATE },
      },
      {
        mode: 'jarm',
        input: async () => query({ response: await jarmJwe() }),
        token: (res) => void encryptedToken(res),
        checks: { expectedState: STATE, expectedNonce: NONCE },
      },
      {
        mode: 'hybrid',
        input: async () => fragment({ code: CODE, state: STATE, id_token: await hybridJwe() }),
        token: (res) => void encryptedToken(res),
        checks: { expectedState: STATE, expectedNonce: NONCE },
      },
      {
        mode: 'implicit',
        input: async () => fragment({ id_token: await implicitJwe() }),
        token: plainToken,
        checks: {},
      },
    ]
    for (const c of cases) {
      const { oc: a, gl: b } = configs({ name: c.mode, mode: c.mode, input: () => CALLBACK })
      oc.enableDecryptingResponses(a, undefined, enc.privateKey)
      gl.enableDecryptingResponses(b, undefined, enc.privateKey)
      const records: unknown[] = []
      for (const lib of ['oc', 'gl'] as const) {
        respond = c.token ?? bearer
        const input = await c.input()
        const config = lib === 'oc' ? a : b
        const result =
          c.mode === 'implicit'
            ? lib === 'oc'
              ? await oc.implicitAuthentication(a, input, NONCE, c.checks)
              : await gl.implicitAuthentication(b, input, NONCE, c.checks)
            : lib === 'oc'
              ? await oc.authorizationCodeGrant(config as oc.Configuration, input, { ...c.checks })
              : await gl.authorizationCodeGrant(config as gl.Configuration, input, { ...c.checks })
        records.push(
          lib === 'oc'
            ? oc.getDecryptedResponses(result as never)
            : gl.getDecryptedResponses(result as never),
        )
      }
      expect(records[0]).toBeDefined()
      expect(records[1], c.mode).toEqual(records[0])
    }
  })
})

describe('deliberate differences', () => {
  it('D74: a wrong at_hash from the token endpoint is refused; openid-client accepts it', async () => {
    const c: Case = {
      name: 'at_hash',
      input: () => query({ code: CODE }),
      checks: () => ({ expectedNonce: NONCE }),
      token: withIdToken((o) =>
        idTokenClaims(o, { nonce: NONCE, at_hash: halfHash('another-access-token') }),
      ),
    }
    const { oc: a, gl: b } = configs(c)
    expect((await run(c, 'oc', a)).outcome.ok).toBe(true)
    expect((await run(c, 'gl', b)).outcome).toMatchObject({
      ok: false,
      code: 'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
      causeMessage: 'invalid ID Token "at_hash" (access token hash) claim value',
    })
  })

  it('D72: a malformed maxAge is a TypeError before the code is spent; openid-client spends it first', async () => {
    const c: Case = {
      name: 'maxAge',
      input: () => query({ code: CODE }),
      checks: () => ({ maxAge: -1 }),
      token: withIdToken((o) => idTokenClaims(o)),
    }
    const { oc: a, gl: b } = configs(c)
    const theirs = await run(c, 'oc', a)
    const ours = await run(c, 'gl', b)
    expect(theirs.form).toBeDefined()
    expect(ours.form).toBeUndefined()
    expect(ours.outcome).toEqual({ ...theirs.outcome })
  })

  it('D70: a form_post media type in other letter case is read; openid-client refuses it', async () => {
    const c: Case = {
      name: 'case',
      input: () => formPost({ code: CODE }, 'Application/X-WWW-Form-URLencoded'),
    }
    const { oc: a, gl: b } = configs(c)
    expect((await run(c, 'oc', a)).outcome).toMatchObject({ ok: false, code: 'ERR_INVALID_ARG_VALUE' })
    const ours = await run(c, 'gl', b)
    expect(ours.outcome.ok).toBe(true)
    expect(ours.form).toMatchObject({ code: CODE, redirect_uri: CALLBACK })
  })

  it('D73: authorizationCodeGrant on an implicit configuration: the same TypeError, with a code', async () => {
    const c: Case = { name: 'implicit code grant', input: () => query({ code: CODE }) }
    const { oc: a, gl: b } = configs({ ...c, mode: 'implicit' })
    const theirs = await outcomeOf(oc.authorizationCodeGrant(a, query({ code: CODE })))
    const ours = await outcomeOf(gl.authorizationCodeGrant(b, query({ code: CODE })))
    expect(ours).toEqual({ ...theirs, code: 'ERR_INVALID_ARG_VALUE' })
  })
})
