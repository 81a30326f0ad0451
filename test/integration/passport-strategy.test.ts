// grantline/passport's Strategy beside openid-client 6.9.0's: the same options and request give the same
// redirect (parameter by parameter; random values compared by their shape and their PKCE relation to the session),
// the same session record, the same failures and errors on the callback, the same currentUrl and the same
// decision to start a sign-in. Requests are plain objects shaped like express's; PAR goes to a scripted server.

import { createHash } from 'node:crypto'
import type { Request as ExpressRequest } from 'express'
import * as oc from 'openid-client'
import { Strategy as OcStrategy } from 'openid-client/passport'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as gl from '../../src/index.js'
import { Strategy as GlStrategy } from '../../src/passport/index.js'
import { json, startScriptedServer, type ScriptedServer } from '../support/scripted-server.js'

const ISSUER = 'https://op.example.test'
const SERVER = {
  issuer: ISSUER,
  authorization_endpoint: `${ISSUER}/authorize`,
  token_endpoint: `${ISSUER}/token`,
  code_challenge_methods_supported: ['S256'],
}

let scripted: ScriptedServer
beforeAll(async () => {
  scripted = await startScriptedServer((_req, res) =>
    json(res, 201, { request_uri: 'urn:ietf:params:oauth:request_uri:abc', expires_in: 60 }),
  )
})
afterAll(() => scripted.close())

type Library = 'openid-client' | 'grantline'

interface FakeRequest {
  method?: string
  url?: string
  headers?: Record<string, string>
  session?: Record<string, unknown> | undefined
  trustProxy?: boolean
  appGetThrows?: boolean
}

/** An object with the members of an express Request the strategies read. */
function request(input: FakeRequest = {}): ExpressRequest {
  const headers = { host: 'rp.example.test', ...input.headers }
  const url = input.url ?? '/login'
  return {
    method: input.method ?? 'GET',
    url,
    originalUrl: url,
    protocol: 'https',
    headers,
    headersDistinct: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    session: 'session' in input ? input.session : {},
    host: headers.host,
    socket: { remoteAddress: '10.0.0.1' },
    app: {
      get(name: string) {
        if (input.appGetThrows) throw new Error('not express')
        return name === 'trust proxy fn' ? () => input.trustProxy === true : undefined
      },
    },
    get(name: string) {
      return (headers as Record<string, string>)[name.toLowerCase()]
    },
  } as unknown as ExpressRequest
}

type Outcome =
  | { action: 'redirect'; url: string }
  | { action: 'fail'; info: unknown }
  | { action: 'error'; name: string; message: string; code?: unknown; error?: unknown }
  | { action: 'success'; user: unknown }

/** Runs `authenticate` as passport does: on an object made from the strategy, with the action methods added. */
function authenticate(strategy: object, req: ExpressRequest, options: object = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const active = Object.create(strategy) as Record<string, unknown> & {
      authenticate(req: ExpressRequest, options: object): void
    }
    active['redirect'] = (url: string) => resolve({ action: 'redirect', url })
    active['fail'] = (info: unknown) => resolve({ action: 'fail', info })
    active['success'] = (user: unknown) => resolve({ action: 'success', user })
    active['error'] = (err: Error & { code?: unknown; error?: unknown }) =>
      resolve({ action: 'error', name: err.name, message: err.message, code: err.code, error: err.error })
    active.authenticate(req, options)
  })
}

interface Setup {
  server?: Record<string, unknown>
  strategy?: Record<string, unknown>
  hybrid?: boolean
  DPoP?: boolean
  insecure?: boolean
}

async function strategyFor(library: Library, setup: Setup) {
  const lib = (library === 'grantline' ? gl : oc) as typeof oc
  const config = new lib.Configuration({ ...SERVER, ...setup.server }, 'client-1', 'secret-1')
  if (setup.insecure) lib.allowInsecureRequests(config)
  if (setup.hybrid) lib.useCodeIdTokenResponseType(config)
  const DPoP = setup.DPoP ? lib.getDPoPHandle(config, await keyPair) : undefined
  const options = { config, ...(DPoP ? { DPoP: () => DPoP } : {}), ...setup.strategy }
  const verify = (_tokens: unknown, done: (err: unknown, user: unknown) => void) => done(null, { ok: true })
  return library === 'grantline'
    ? new GlStrategy(options as never, verify as never)
    : new OcStrategy(options as never, verify as never)
}
/** One DPoP key pair for both libraries, so that dpop_jkt must be the same. */
const keyPair = gl.randomDPoPKeyPair()

const RANDOM = new Set(['code_challenge', 'state', 'nonce'])

/** The redirect's parameters, random values replaced by their shape, with the PKCE pair checked. */
function normalize(outcome: Outcome, session: Record<string, unknown>) {
  if (outcome.action !== 'redirect') return { outcome, session }
  const url = new URL(outcome.url)
  const record = Object.values(session)[0] as Record<string, unknown> | undefined
  const params = [...url.searchParams].map(([name, value]) => {
    if (!RANDOM.has(name)) return [name, value]
    expect(value).toMatch(/^[\w-]{43}$/)
    return [name, '<random>']
  })
  if (record && url.searchParams.has('code_challenge')) {
    const verifier = record['code_verifier'] as string
    expect(url.searchParams.get('code_challenge')).toBe(
      createHash('sha256').update(verifier).digest('base64url'),
    )
    if (record['state'] !== undefined) expect(record['state']).toBe(url.searchParams.get('state'))
    if (record['nonce'] !== undefined) expect(record['nonce']).toBe(url.searchParams.get('nonce'))
  }
  const sessionShape = Object.fromEntries(
    Object.entries(session).map(([key, value]) => [
      key,
      Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([k, v]) => [
          k,
          typeof v === 'string' && /^[\w-]{43}$/.test(v) ? '<random>' : v,
        ]),
      ),
    ]),
  )
  return { endpoint: `${url.origin}${url.pathname}`, params: params.sort(), session: sessionShape }
}

async function startBoth(setup: Setup, options: object = {}, req: FakeRequest = {}) {
  const results = []
  for (const library of ['openid-client', 'grantline'] as const) {
    const session: Record<string, unknown> = {}
    const strategy = await strategyFor(library, setup)
    const outcome = await authenticate(strategy, request({ ...req, session }), options)
    results.push(normalize(outcome, session))
  }
  return results
}

describe('starting a sign-in: the same redirect and session record as openid-client', () => {
  const cases: Array<{ name: string; setup?: Setup; options?: object }> = [
    { name: 'defaults' },
    {
      name: 'strategy scope and callbackURL',
      setup: { strategy: { scope: 'openid email', callbackURL: 'https://rp.example.test/cb' } },
    },
    { name: 'per-request scope string', options: { scope: 'openid profile' } },
    {
      name: 'per-request scope array over the strategy’s',
      setup: { strategy: { scope: 'openid' } },
      options: { scope: ['openid', 'email'] },
    },
    { name: 'an empty scope array', setup: { strategy: { scope: 'openid' } }, options: { scope: [] } },
    {
      name: 'prompt, loginHint, idTokenHint',
      options: { prompt: 'login', loginHint: 'alice', idTokenHint: 'eyJ.x.y' },
    },
    { name: 'resource from the strategy', setup: { strategy: { resource: 'https://api.example.test' } } },
    {
      name: 'several resources per request',
      setup: { strategy: { resource: 'https://x.test' } },
      options: { resource: ['https://a.test', 'https://b.test'] },
    },
    {
      name: 'authorizationDetails, one and several',
      setup: { strategy: { authorizationDetails: { type: 'a' } } },
      options: { authorizationDetails: [{ type: 'b' }, { type: 'c' }] },
    },
    {
      name: 'authorizationDetails from the strategy',
      setup: { strategy: { authorizationDetails: { type: 'payment', amount: 1 } } },
    },
    {
      name: 'per-request callbackURL over the strategy’s',
      setup: { strategy: { callbackURL: new URL('https://rp.example.test/cb') } },
      options: { callbackURL: 'https://rp.example.test/other' },
    },
    {
      name: 'a server without PKCE support: state',
      setup: { server: { code_challenge_methods_supported: undefined } },
    },
    {
      name: 'a server with plain PKCE only: state',
      setup: { server: { code_challenge_methods_supported: ['plain'] } },
    },
    {
      name: 'hybrid: nonce and form_post, no state',
      setup: { hybrid: true, server: { code_challenge_methods_supported: undefined } },
    },
    { name: 'DPoP: dpop_jkt', setup: { DPoP: true } },
    { name: 'a custom session key and name', setup: { strategy: { sessionKey: 'oidc:op', name: 'op' } } },
    {
      name: 'an authorization endpoint with a query',
      setup: { server: { authorization_endpoint: `${ISSUER}/authorize?tenant=a` } },
    },
  ]
  for (const c of cases) {
    it(c.name, async () => {
      const [theirs, ours] = await startBoth(c.setup ?? {}, c.options)
      expect(ours).toEqual(theirs)
    })
  }

  it('max_age from overridden authorizationRequestParams is kept in the session as a number', async () => {
    const results = []
    for (const library of ['openid-client', 'grantline'] as const) {
      const strategy = await strategyFor(library, {})
      ;(strategy as unknown as Record<string, unknown>)['authorizationRequestParams'] = () => ({
        max_age: '300',
      })
      const session: Record<string, unknown> = {}
      results.push(normalize(await authenticate(strategy, request({ session })), session))
    }
    expect(results[1]).toEqual(results[0])
    expect(results[1]).toMatchObject({ session: { 'op.example.test': { max_age: 300 } } })
  })

  it('useJAR (a key, and a key with a modifyAssertion hook): the same signed request object', async () => {
    const { privateKey, publicKey } = await crypto.subtle.generateKey(
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['sign', 'verify'],
    )
    const addClaim = (header: Record<string, unknown>, payload: Record<string, unknown>) => {
      header['x-hook'] = 'h'
      payload['acr_values'] = 'urn:mace:incommon:iap:silver'
    }
    for (const useJAR of [privateKey, [privateKey, addClaim]]) {
      const shapes = []
      for (const library of ['openid-client', 'grantline'] as const) {
        const strategy = await strategyFor(library, { strategy: { useJAR, scope: 'openid' } })
        const session: Record<string, unknown> = {}
        const outcome = await authenticate(strategy, request({ session }))
        expect(outcome.action).toBe('redirect')
        const url = new URL((outcome as { url: string }).url)
        const jwt = url.searchParams.get('request')!
        const [h, p, signature] = jwt.split('.')
        const verifies = await crypto.subtle.verify(
          { name: 'ECDSA', hash: 'SHA-256' },
          publicKey,
          Buffer.from(signature!, 'base64url'),
          new TextEncoder().encode(`${h}.${p}`),
        )
        expect(verifies).toBe(true)
        const claims = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>
        const verifier = (Object.values(session)[0] as { code_verifier: string }).code_verifier
        expect(claims['code_challenge']).toBe(createHash('sha256').update(verifier).digest('base64url'))
        for (const name of ['code_challenge', 'jti', 'iat', 'exp', 'nbf']) {
          if (name in claims) claims[name] = '<varies>'
        }
        shapes.push({
          params: [...url.searchParams.keys()].sort(),
          header: JSON.parse(Buffer.from(h!, 'base64url').toString()),
          claims,
        })
      }
      expect(shapes[1]).toEqual(shapes[0])
      expect(shapes[1]).toMatchObject({ params: ['client_id', 'request'], claims: { scope: 'openid' } })
      if (Array.isArray(useJAR)) {
        expect(shapes[1]).toMatchObject({
          header: { 'x-hook': 'h' },
          claims: { acr_values: expect.any(String) },
        })
      }
    }
  })

  it('usePAR: the redirect carries the request_uri the server returned', async () => {
    const setup = {
      server: {
        issuer: scripted.origin,
        authorization_endpoint: `${scripted.origin}/authorize`,
        pushed_authorization_request_endpoint: `${scripted.origin}/par`,
      },
      strategy: { usePAR: true, scope: 'openid' },
      insecure: true,
    }
    const [theirs, ours] = await startBoth(setup)
    expect(ours).toEqual(theirs)
    expect(ours).toMatchObject({
      params: [
        ['client_id', 'client-1'],
        ['request_uri', 'urn:ietf:params:oauth:request_uri:abc'],
      ],
    })
  })
})

describe('the callback without the network: the same failures as openid-client', () => {
  async function callbackBoth(query: string, session: Record<string, unknown> | undefined) {
    const results: Outcome[] = []
    for (const library of ['openid-client', 'grantline'] as const) {
      const strategy = await strategyFor(library, {})
      const req = request({ url: `/cb?${query}`, session: session && structuredClone(session) })
      results.push(await authenticate(strategy, req))
    }
    return results
  }
  const pending = { 'op.example.test': { code_verifier: 'v'.repeat(43) } }

  it('no pending request in the session', async () => {
    const [theirs, ours] = await callbackBoth('code=abc', {})
    expect(ours).toEqual(theirs)
    expect(ours).toEqual({
      action: 'fail',
      info: { message: 'Unable to verify authorization request state' },
    })
  })

  it('access_denied fails with the callback’s parameters', async () => {
    const [theirs, ours] = await callbackBoth('error=access_denied&error_description=no%20thanks', pending)
    expect(ours).toEqual(theirs)
    expect(ours).toEqual({
      action: 'fail',
      info: { message: 'no thanks', error: 'access_denied', error_description: 'no thanks' },
    })
  })

  it('access_denied without a description: the message is the error code', async () => {
    const [theirs, ours] = await callbackBoth('error=access_denied', pending)
    expect(ours).toEqual(theirs)
  })

  it('another error callback is an AuthorizationResponseError for passport’s error handling', async () => {
    const [theirs, ours] = await callbackBoth('error=login_required&error_description=x', pending)
    expect(ours).toEqual(theirs)
    expect(ours).toMatchObject({
      action: 'error',
      name: 'AuthorizationResponseError',
      error: 'login_required',
    })
  })

  it('a session without session support is an error', async () => {
    const [theirs, ours] = await callbackBoth('code=abc', undefined)
    expect(ours).toEqual(theirs)
    expect(ours).toMatchObject({
      action: 'error',
      message: expect.stringMatching(/requires session support/),
    })
  })
})

describe('currentUrl and shouldInitiateAuthRequest', () => {
  const requests: Array<[string, FakeRequest]> = [
    ['a plain request', { url: '/cb?code=1' }],
    ['X-Forwarded-Host from an untrusted peer is ignored', { headers: { 'x-forwarded-host': 'evil.test' } }],
    [
      'X-Forwarded-Host from a trusted proxy',
      { headers: { 'x-forwarded-host': 'public.test' }, trustProxy: true },
    ],
    [
      'the first of several forwarded hosts',
      { headers: { 'x-forwarded-host': 'a.test , b.test' }, trustProxy: true },
    ],
    ['no express app: req.host', { appGetThrows: true, headers: { host: 'plain.test:8443' } }],
  ]
  for (const [name, input] of requests) {
    it(`currentUrl: ${name}`, async () => {
      const theirs = (await strategyFor('openid-client', {})).currentUrl(request(input)).href
      const ours = (await strategyFor('grantline', {})).currentUrl(request(input)).href
      expect(ours).toBe(theirs)
    })
  }

  it('shouldInitiateAuthRequest: GET without code, error or response', async () => {
    const oursStrategy = await strategyFor('grantline', {})
    const theirsStrategy = await strategyFor('openid-client', {})
    for (const [method, query] of [
      ['GET', ''],
      ['GET', '?code=1'],
      ['GET', '?error=x'],
      ['GET', '?response=jwt'],
      ['GET', '?state=1'],
      ['POST', ''],
    ] as const) {
      const url = new URL(`https://rp.example.test/cb${query}`)
      const req = request({ method, url: `/cb${query}` })
      expect(oursStrategy.shouldInitiateAuthRequest(req, url, {})).toBe(
        theirsStrategy.shouldInitiateAuthRequest(req, url, {}),
      )
    }
  })

  it('name and default session key are the issuer’s host', async () => {
    const ours = await strategyFor('grantline', { server: { issuer: 'https://op.example.test:8443/tenant' } })
    const theirs = await strategyFor('openid-client', {
      server: { issuer: 'https://op.example.test:8443/tenant' },
    })
    expect(ours.name).toBe(theirs.name)
    expect(ours.name).toBe('op.example.test:8443')
  })

  it('D83: a missing config or verify is a TypeError with a message and code (openid-client’s has neither)', () => {
    const verify = () => undefined
    const foreign = new oc.Configuration(SERVER, 'c')
    for (const options of [{}, undefined, { config: foreign }]) {
      expect(() => new GlStrategy(options as never, verify)).toThrow(
        expect.objectContaining({
          name: 'TypeError',
          message: '"options.config" must be an instance of Configuration',
          code: 'ERR_INVALID_ARG_TYPE',
        }),
      )
    }
    for (const options of [{}, undefined, { config: new gl.Configuration(SERVER, 'c') }]) {
      expect(() => new OcStrategy(options as never, verify)).toThrow(expect.objectContaining({ message: '' }))
    }
    const config = new gl.Configuration(SERVER, 'c')
    expect(() => new GlStrategy({ config }, 'no' as never)).toThrow('"verify" must be a function')
    expect(() => new OcStrategy({ config: foreign }, 'no' as never)).toThrow(TypeError)
  })
})
