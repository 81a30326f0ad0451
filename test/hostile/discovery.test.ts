import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  ClientError,
  ClientSecretPost,
  Configuration,
  None,
  ResponseBodyError,
  allowInsecureRequests,
  clockSkew,
  clockTolerance,
  customFetch,
  discovery,
  dynamicClientRegistration,
  genericGrantRequest,
} from '../../src/index.js'
import type { CustomFetch, CustomFetchOptions, DPoPHandle } from '../../src/index.js'
import type { DPoPProofHandle } from '../../src/types.js'
import { VERSION } from '../../src/internal/version.js'
import { json, sendJson, startRouteServer, type RouteServer } from '../support/jwks-server.js'
import { rejection } from '../support/expect.js'

let server: RouteServer
const insecure = { execute: [allowInsecureRequests] }

beforeAll(async () => {
  server = await startRouteServer()
})
afterAll(() => server.close())
beforeEach(() => server.reset())

/** Serves discovery documents at `path` for an issuer with `issuerPath`. */
function serveMetadata(path: string, issuer: string, extra: Record<string, unknown> = {}) {
  server.route(path, json({ issuer, token_endpoint: `${issuer}/token`, ...extra }))
}

describe('discovery: well-known URL derivation', () => {
  const cases: Array<[string, 'oidc' | 'oauth2' | undefined, string]> = [
    ['/', undefined, '/.well-known/openid-configuration'],
    ['/', 'oidc', '/.well-known/openid-configuration'],
    ['/tenant', 'oidc', '/tenant/.well-known/openid-configuration'],
    ['/tenant/', 'oidc', '/tenant/.well-known/openid-configuration'],
    ['/a/b', undefined, '/a/b/.well-known/openid-configuration'],
    ['/', 'oauth2', '/.well-known/oauth-authorization-server'],
    ['/tenant', 'oauth2', '/.well-known/oauth-authorization-server/tenant'],
    ['/tenant/', 'oauth2', '/.well-known/oauth-authorization-server/tenant'],
    ['/a/b/', 'oauth2', '/.well-known/oauth-authorization-server/a/b'],
  ]
  for (const [issuerPath, algorithm, wellKnown] of cases) {
    it(`issuer path ${issuerPath} with ${algorithm ?? 'the default'} algorithm fetches ${wellKnown}`, async () => {
      const issuer = new URL(issuerPath, server.origin)
      serveMetadata(wellKnown, issuer.href)
      const config = await discovery(issuer, 'client', undefined, undefined, {
        ...insecure,
        ...(algorithm ? { algorithm } : {}),
      })
      expect(config.serverMetadata().issuer).toBe(issuer.href)
      expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`GET ${wellKnown}`])
    })
  }

  it('an issuer without a trailing slash matches the server origin after URL normalisation', async () => {
    serveMetadata('/.well-known/openid-configuration', server.origin)
    const config = await discovery(new URL(server.origin), 'client', undefined, undefined, insecure)
    expect(config.serverMetadata().issuer).toBe(server.origin)
  })

  it('sends accept: application/json and the library user-agent, no body', async () => {
    serveMetadata('/.well-known/openid-configuration', `${server.origin}/`)
    await discovery(new URL(server.origin), 'client', undefined, undefined, insecure)
    const [request] = server.requests
    expect(request?.headers['accept']).toBe('application/json')
    expect(request?.headers['user-agent']).toBe(`grantline/${VERSION}`)
    expect(request?.body).toBe('')
  })

  it('a /.well-known/ URL given directly is fetched as is and its issuer is not compared', async () => {
    server.route('/custom/.well-known/openid-configuration', json({ issuer: 'https://elsewhere.example' }))
    const config = await discovery(
      new URL('/custom/.well-known/openid-configuration', server.origin),
      'client',
      undefined,
      undefined,
      insecure,
    )
    expect(config.serverMetadata().issuer).toBe('https://elsewhere.example')
  })

  it('an unknown algorithm is a TypeError before any request', async () => {
    const err = await rejection(
      discovery(new URL(server.origin), 'client', undefined, undefined, {
        ...insecure,
        algorithm: 'saml' as 'oidc',
      }),
    )
    expect(err).toBeInstanceOf(TypeError)
    expect(err.code).toBe('ERR_INVALID_ARG_VALUE')
    expect(server.requests).toHaveLength(0)
  })

  it('a server that is not a URL is a TypeError', async () => {
    const err = await rejection(discovery(server.origin as unknown as URL, 'client'))
    expect(err).toBeInstanceOf(TypeError)
    expect(err.code).toBe('ERR_INVALID_ARG_TYPE')
    expect(err.message).toBe('"server" must be an instance of URL')
  })
})

describe('discovery: issuer check', () => {
  it('a mismatching issuer is refused with the contract message, code and cause', async () => {
    const body = { issuer: `${server.origin}/other`, token_endpoint: `${server.origin}/token` }
    server.route('/tenant/.well-known/openid-configuration', json(body))
    const expected = new URL('/tenant', server.origin)
    const err = await rejection(discovery(expected, 'client', undefined, undefined, insecure))
    expect(err).toBeInstanceOf(ClientError)
    expect(err.code).toBe('OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED')
    expect(err.message).toBe('discovered metadata issuer does not match the expected issuer')
    expect(err.cause).toEqual({ expected: expected.href, body, attribute: 'issuer' })
  })

  it('a trailing slash on one side only is a mismatch for an issuer with a path', async () => {
    serveMetadata('/tenant/.well-known/openid-configuration', `${server.origin}/tenant/`)
    const err = await rejection(
      discovery(new URL('/tenant', server.origin), 'client', undefined, undefined, insecure),
    )
    expect(err).toBeInstanceOf(ClientError)
    expect(err.code).toBe('OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED')
  })

  it('RFC 8414 metadata for an issuer with a path must name that issuer', async () => {
    serveMetadata('/.well-known/oauth-authorization-server/tenant', server.origin)
    const err = await rejection(
      discovery(new URL('/tenant', server.origin), 'client', undefined, undefined, {
        ...insecure,
        algorithm: 'oauth2',
      }),
    )
    expect(err).toBeInstanceOf(ClientError)
    expect(err.code).toBe('OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED')
  })

  it('an issuer that is not a URL is an issuer mismatch (D32)', async () => {
    serveMetadata('/.well-known/openid-configuration', 'not a url')
    const err = await rejection(discovery(new URL(server.origin), 'client', undefined, undefined, insecure))
    expect(err).toBeInstanceOf(ClientError)
    expect(err.code).toBe('OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED')
  })

  it('a missing or empty issuer is an invalid response', async () => {
    server.route('/.well-known/openid-configuration', json({ token_endpoint: 'x' }))
    let err = await rejection(discovery(new URL(server.origin), 'client', undefined, undefined, insecure))
    expect(err).toBeInstanceOf(ClientError)
    expect(err.code).toBe('OAUTH_INVALID_RESPONSE')
    server.route('/.well-known/openid-configuration', json({ issuer: '' }))
    err = await rejection(discovery(new URL(server.origin), 'client', undefined, undefined, insecure))
    expect(err.code).toBe('OAUTH_INVALID_RESPONSE')
  })
})

/** A fetch that answers in-process, so hosts we cannot reach (Entra ID, B2C) can be scripted. */
function fakeFetch(answers: Record<string, () => Response>, seen: string[] = []): CustomFetch {
  return async (url) => {
    seen.push(url)
    const answer = answers[url]
    return answer ? answer() : new Response(null, { status: 404 })
  }
}
const jsonResponse = (body: unknown) => () => Response.json(body)

describe('discovery: the two issuer exemptions', () => {
  const entra = 'https://login.microsoftonline.com/common/v2.0'
  const template = 'https://login.microsoftonline.com/{tenantid}/v2.0'

  it('Entra ID: the {tenantid} issuer is accepted and ID Tokens are checked against the filled-in template', async () => {
    const tid = '9188040d-6c67-4c5b-b112-36a304b66dad'
    const now = Math.floor(Date.now() / 1000)
    const idToken = (iss: string) =>
      [{ alg: 'RS256' }, { iss, sub: 's', aud: 'client', iat: now, exp: now + 60, tid }, { sig: 'x' }]
        .map((part) => Buffer.from(JSON.stringify(part)).toString('base64url'))
        .join('.')
    let token = idToken(`https://login.microsoftonline.com/${tid}/v2.0`)
    const fetcher = fakeFetch({
      [`${entra}/.well-known/openid-configuration`]: jsonResponse({
        issuer: template,
        token_endpoint: 'https://login.microsoftonline.com/common/oauth2/v2.0/token',
      }),
      'https://login.microsoftonline.com/common/oauth2/v2.0/token': () =>
        Response.json({ access_token: 'at', token_type: 'Bearer', id_token: token }),
    })
    const config = await discovery(new URL(entra), 'client', undefined, None(), { [customFetch]: fetcher })
    expect(config.serverMetadata().issuer).toBe(template)
    const tokens = await genericGrantRequest(config, 'urn:example:grant', {})
    expect(tokens.claims()?.['tid']).toBe(tid)

    token = idToken('https://login.microsoftonline.com/another-tenant/v2.0')
    const err = await rejection(genericGrantRequest(config, 'urn:example:grant', {}))
    expect(err).toBeInstanceOf(ClientError)
    expect(err.code).toBe('OAUTH_JWT_CLAIM_COMPARISON_FAILED')
  })

  it('Entra ID: the exemption does not apply to the oauth2 algorithm', async () => {
    const fetcher = fakeFetch({
      'https://login.microsoftonline.com/.well-known/oauth-authorization-server/common/v2.0': jsonResponse({
        issuer: template,
      }),
    })
    const err = await rejection(
      discovery(new URL(entra), 'client', undefined, undefined, {
        [customFetch]: fetcher,
        algorithm: 'oauth2',
      }),
    )
    expect(err.code).toBe('OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED')
  })

  it('Azure AD B2C: any issuer is accepted from a *.b2clogin.com host', async () => {
    const b2c = 'https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_signin/v2.0'
    const issuer = 'https://contoso.b2clogin.com/775527ff-9a37-4307-8b3d-cc311f58d925/v2.0/'
    const fetcher = fakeFetch({ [`${b2c}/.well-known/openid-configuration`]: jsonResponse({ issuer }) })
    const config = await discovery(new URL(b2c), 'client', undefined, undefined, { [customFetch]: fetcher })
    expect(config.serverMetadata().issuer).toBe(issuer)
  })

  it('a look-alike host (b2clogin.com.evil.example) gets no exemption', async () => {
    const host = 'https://contoso.b2clogin.com.evil.example/tenant'
    const fetcher = fakeFetch({
      [`${host}/.well-known/openid-configuration`]: jsonResponse({ issuer: 'https://attacker.example' }),
    })
    const err = await rejection(
      discovery(new URL(host), 'client', undefined, undefined, { [customFetch]: fetcher }),
    )
    expect(err.code).toBe('OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED')
  })
})

describe('discovery: transport rules', () => {
  it('HTTPS is required unless allowInsecureRequests is in options.execute', async () => {
    serveMetadata('/.well-known/openid-configuration', server.origin)
    const err = await rejection(discovery(new URL(server.origin), 'client'))
    expect(err).toBeInstanceOf(ClientError)
    expect(err.code).toBe('OAUTH_HTTP_REQUEST_FORBIDDEN')
    expect(err.message).toBe('only requests to HTTPS are allowed')
    expect(server.requests).toHaveLength(0)
  })

  it('a wrapper around allowInsecureRequests does not lift the rule for the discovery request', async () => {
    serveMetadata('/.well-known/openid-configuration', server.origin)
    const err = await rejection(
      discovery(new URL(server.origin), 'client', undefined, undefined, {
        execute: [(config) => allowInsecureRequests(config)],
      }),
    )
    expect(err.code).toBe('OAUTH_HTTP_REQUEST_FORBIDDEN')
  })

  it('redirects are not followed', async () => {
    server.route('/.well-known/openid-configuration', (_req, res) => {
      res.writeHead(302, { location: `${server.origin}/elsewhere` }).end()
    })
    serveMetadata('/elsewhere', server.origin)
    const err = await rejection(discovery(new URL(server.origin), 'client', undefined, undefined, insecure))
    expect(err).toBeInstanceOf(ClientError)
    expect(err.code).toBe('OAUTH_RESPONSE_IS_NOT_CONFORM')
    expect(err.message).toBe('unexpected HTTP response status code')
    expect((err.cause as Response).status).toBe(302)
    expect(server.requests.map((r) => r.path)).toEqual(['/.well-known/openid-configuration'])
  })

  for (const status of [201, 204, 400, 401, 404, 500, 503]) {
    it(`status ${status} is not a conform metadata response`, async () => {
      server.route(
        '/.well-known/openid-configuration',
        json({ error: 'invalid_request', issuer: server.origin }, status, { 'www-authenticate': 'Bearer' }),
      )
      const err = await rejection(discovery(new URL(server.origin), 'client', undefined, undefined, insecure))
      expect(err).toBeInstanceOf(ClientError)
      expect(err.code).toBe('OAUTH_RESPONSE_IS_NOT_CONFORM')
      expect(err.cause).toBeInstanceOf(Response)
    })
  }

  it('a body that is not JSON, with a non-JSON content-type, is OAUTH_RESPONSE_IS_NOT_JSON', async () => {
    server.route('/.well-known/openid-configuration', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html>')
    })
    const err = await rejection(discovery(new URL(server.origin), 'client', undefined, undefined, insecure))
    expect(err).toBeInstanceOf(ClientError)
    expect(err.code).toBe('OAUTH_RESPONSE_IS_NOT_JSON')
  })

  it('a JSON array is not metadata', async () => {
    server.route('/.well-known/openid-configuration', json([{ issuer: server.origin }]))
    const err = await rejection(discovery(new URL(server.origin), 'client', undefined, undefined, insecure))
    expect(err.code).toBe('OAUTH_INVALID_RESPONSE')
  })

  it('a server that never answers times out with OAUTH_TIMEOUT (options.timeout)', async () => {
    server.route('/.well-known/openid-configuration', () => {
      // never answers
    })
    const err = await rejection(
      discovery(new URL(server.origin), 'client', undefined, undefined, { ...insecure, timeout: 0.2 }),
    )
    expect(err).toBeInstanceOf(ClientError)
    expect(err.code).toBe('OAUTH_TIMEOUT')
  })

  it('a server that stalls mid-body times out too', async () => {
    server.route('/.well-known/openid-configuration', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('{"issuer":')
    })
    const err = await rejection(
      discovery(new URL(server.origin), 'client', undefined, undefined, { ...insecure, timeout: 0.2 }),
    )
    expect(err).toBeInstanceOf(ClientError)
    expect(err.code).toBe('OAUTH_TIMEOUT')
  })

  it('options[customFetch] serves the discovery request and becomes the configuration fetch', async () => {
    serveMetadata('/.well-known/openid-configuration', server.origin)
    const calls: Array<[string, CustomFetchOptions]> = []
    const fetcher: CustomFetch = (url, options) => {
      calls.push([url, options])
      return fetch(url, options as RequestInit)
    }
    const config = await discovery(new URL(server.origin), 'client', undefined, undefined, {
      ...insecure,
      [customFetch]: fetcher,
    })
    expect(calls).toHaveLength(1)
    expect(calls[0]?.[0]).toBe(`${server.origin}/.well-known/openid-configuration`)
    expect(calls[0]?.[1]).toMatchObject({ method: 'GET', redirect: 'manual' })
    expect(config[customFetch]).toBe(fetcher)
  })

  it('options.timeout becomes the configuration timeout; execute functions run in order', async () => {
    serveMetadata('/.well-known/openid-configuration', server.origin)
    const order: string[] = []
    const config = await discovery(new URL(server.origin), 'client', { client_secret: 'x' }, undefined, {
      timeout: 7,
      execute: [allowInsecureRequests, () => order.push('first'), (c) => order.push(`second ${c.timeout}`)],
    })
    expect(order).toEqual(['first', 'second 7'])
    expect(config.timeout).toBe(7)
    expect(config.clientMetadata()).toEqual({ client_id: 'client', client_secret: 'x' })
  })

  it('bad options are TypeErrors before any request', async () => {
    for (const options of [
      { execute: 'nope' },
      { execute: [1] },
      { [customFetch]: 'nope' },
      { timeout: -1 },
      { timeout: 'soon' },
    ]) {
      const err = await rejection(
        discovery(new URL(server.origin), 'client', undefined, undefined, options as never),
      )
      expect(err).toBeInstanceOf(TypeError)
    }
    expect(server.requests).toHaveLength(0)
  })
})

/** A stand-in DPoP handle: records what it was asked to prove; the proof itself is not under test here. */
function recordingDPoP() {
  const proofs: Array<{ url: string; htm: string; accessToken: string | undefined }> = []
  const nonces: Array<string | null> = []
  const handle: DPoPProofHandle = {
    calculateThumbprint: async () => 'thumb',
    async addProof(url, headers, htm, accessToken) {
      proofs.push({ url: url.href, htm, accessToken })
      headers.set('dpop', `proof-${proofs.length}-nonce-${nonces.at(-1) ?? 'none'}`)
    },
    cacheNonce(response) {
      nonces.push(response.headers.get('dpop-nonce'))
    },
  }
  return { handle, proofs, nonces }
}

describe('dynamicClientRegistration', () => {
  function serveRegistrationMetadata(extra: Record<string, unknown> = {}) {
    serveMetadata('/.well-known/openid-configuration', server.origin, {
      registration_endpoint: `${server.origin}/reg`,
      ...extra,
    })
  }

  it('POSTs the metadata as JSON with the initial access token as Bearer and builds the client from 201', async () => {
    serveRegistrationMetadata()
    server.route('/reg', (_req, res, seen) =>
      sendJson(res, 201, {
        ...JSON.parse(seen.body),
        client_id: 'issued-id',
        client_secret: 'issued-secret',
        client_secret_expires_at: 0,
      }),
    )
    const config = await dynamicClientRegistration(
      new URL(server.origin),
      { redirect_uris: ['https://rp.example/cb'], [clockSkew]: 5, [clockTolerance]: 10 },
      undefined,
      { ...insecure, initialAccessToken: 'iat-123' },
    )
    const reg = server.requests.find((r) => r.path === '/reg')!
    expect(reg.method).toBe('POST')
    expect(reg.headers['content-type']).toBe('application/json')
    expect(reg.headers['accept']).toBe('application/json')
    expect(reg.headers['authorization']).toBe('Bearer iat-123')
    expect(JSON.parse(reg.body)).toEqual({ redirect_uris: ['https://rp.example/cb'] })
    expect(config).toBeInstanceOf(Configuration)
    expect(config.clientMetadata()).toMatchObject({ client_id: 'issued-id', client_secret: 'issued-secret' })
  })

  it('without an initial access token no authorization header is sent', async () => {
    serveRegistrationMetadata()
    server.route('/reg', json({ client_id: 'public' }, 201))
    const config = await dynamicClientRegistration(new URL(server.origin), {}, undefined, insecure)
    expect(server.requests.find((r) => r.path === '/reg')?.headers['authorization']).toBeUndefined()
    expect(config.clientMetadata().client_id).toBe('public')
  })

  it('uses the mTLS alias of the registration endpoint when the submitted metadata asks for aliases', async () => {
    serveRegistrationMetadata({
      mtls_endpoint_aliases: { registration_endpoint: `${server.origin}/mtls-reg` },
    })
    server.route('/mtls-reg', json({ client_id: 'mtls' }, 201))
    await dynamicClientRegistration(
      new URL(server.origin),
      { use_mtls_endpoint_aliases: true },
      undefined,
      insecure,
    )
    expect(server.requests.map((r) => r.path)).toContain('/mtls-reg')
  })

  it('a DPoP-bound initial access token is sent with the DPoP scheme and a proof carrying it', async () => {
    serveRegistrationMetadata()
    server.route('/reg', json({ client_id: 'dpop' }, 201))
    const { handle, proofs } = recordingDPoP()
    await dynamicClientRegistration(new URL(server.origin), {}, undefined, {
      ...insecure,
      initialAccessToken: 'iat-dpop',
      DPoP: handle,
    })
    const reg = server.requests.find((r) => r.path === '/reg')!
    expect(reg.headers['authorization']).toBe('DPoP iat-dpop')
    expect(reg.headers['dpop']).toBe('proof-1-nonce-none')
    expect(proofs).toEqual([{ url: `${server.origin}/reg`, htm: 'POST', accessToken: 'iat-dpop' }])
  })

  it('retries exactly once on use_dpop_nonce, without discovering again', async () => {
    serveRegistrationMetadata()
    let calls = 0
    server.route('/reg', (_req, res) => {
      calls++
      if (calls <= 2) sendJson(res, 400, { error: 'use_dpop_nonce' }, { 'dpop-nonce': `n${calls}` })
      else sendJson(res, 201, { client_id: 'late' })
    })
    const { handle, nonces } = recordingDPoP()
    const err = await rejection(
      dynamicClientRegistration(new URL(server.origin), {}, undefined, { ...insecure, DPoP: handle }),
    )
    expect(err).toBeInstanceOf(ResponseBodyError)
    expect((err as ResponseBodyError).error).toBe('use_dpop_nonce')
    expect(calls).toBe(2)
    expect(nonces).toEqual(['n1', 'n2'])
    expect(server.requests.map((r) => r.path)).toEqual(['/.well-known/openid-configuration', '/reg', '/reg'])
    expect(server.requests[2]?.headers['dpop']).toBe('proof-2-nonce-n1')
  })

  it('a 200 instead of 201 is not conform; an OAuth error body is a ResponseBodyError', async () => {
    serveRegistrationMetadata()
    server.route('/reg', json({ client_id: 'x' }, 200))
    let err = await rejection(dynamicClientRegistration(new URL(server.origin), {}, undefined, insecure))
    expect(err).toBeInstanceOf(ClientError)
    expect(err.code).toBe('OAUTH_RESPONSE_IS_NOT_CONFORM')
    server.route('/reg', json({ error: 'invalid_client_metadata', error_description: 'no' }, 400))
    err = await rejection(dynamicClientRegistration(new URL(server.origin), {}, undefined, insecure))
    expect(err).toBeInstanceOf(ResponseBodyError)
    expect((err as ResponseBodyError).error).toBe('invalid_client_metadata')
  })

  const invalid: Array<[string, Record<string, unknown>]> = [
    ['client_id missing', {}],
    ['client_id empty', { client_id: '' }],
    ['client_secret not a string', { client_id: 'a', client_secret: 1 }],
    ['client_secret without client_secret_expires_at', { client_id: 'a', client_secret: 's' }],
    [
      'negative client_secret_expires_at',
      { client_id: 'a', client_secret: 's', client_secret_expires_at: -1 },
    ],
  ]
  for (const [name, body] of invalid) {
    it(`registration response with ${name} is an invalid response`, async () => {
      serveRegistrationMetadata()
      server.route('/reg', json(body, 201))
      const err = await rejection(dynamicClientRegistration(new URL(server.origin), {}, undefined, insecure))
      expect(err).toBeInstanceOf(ClientError)
      expect(err.code).toBe('OAUTH_INVALID_RESPONSE')
    })
  }

  it('a server without registration_endpoint is missing metadata', async () => {
    serveMetadata('/.well-known/openid-configuration', server.origin)
    const err = await rejection(dynamicClientRegistration(new URL(server.origin), {}, undefined, insecure))
    expect(err).toBeInstanceOf(ClientError)
    expect(err.code).toBe('OAUTH_MISSING_SERVER_METADATA')
  })

  it('the issued secret becomes client_secret_post unless an auth method is given', async () => {
    serveRegistrationMetadata()
    server.route('/reg', json({ client_id: 'c1', client_secret: 'sec', client_secret_expires_at: 0 }, 201))
    server.route('/token', json({ access_token: 'at', token_type: 'bearer' }))
    const config = await dynamicClientRegistration(new URL(server.origin), {}, undefined, insecure)
    await genericGrantRequest(config, 'urn:example', {})
    const body = new URLSearchParams(server.requests.find((r) => r.path === '/token')!.body)
    expect(body.get('client_id')).toBe('c1')
    expect(body.get('client_secret')).toBe('sec')
    // and an explicit method wins
    server.reset()
    serveRegistrationMetadata()
    server.route('/reg', json({ client_id: 'c2', client_secret: 'sec2', client_secret_expires_at: 0 }, 201))
    server.route('/token', json({ access_token: 'at', token_type: 'bearer' }))
    const other = await dynamicClientRegistration(
      new URL(server.origin),
      {},
      ClientSecretPost('given'),
      insecure,
    )
    await genericGrantRequest(other, 'urn:example', {})
    expect(
      new URLSearchParams(server.requests.find((r) => r.path === '/token')!.body).get('client_secret'),
    ).toBe('given')
  })

  it('the initial access token never appears in an error, its String() or JSON, down the cause chain', async () => {
    const token = 'iat-SECRET-never-leak'
    serveRegistrationMetadata()
    const answers = [
      json({ error: 'invalid_token' }, 401, { 'www-authenticate': 'Bearer error="invalid_token"' }),
      json({ error: 'invalid_client_metadata' }, 400),
      json({ oops: true }, 500),
      json({ client_id: 7 }, 201),
    ]
    for (const answer of answers) {
      server.route('/reg', answer)
      const err = await rejection(
        dynamicClientRegistration(new URL(server.origin), {}, undefined, {
          ...insecure,
          initialAccessToken: token,
        }),
      )
      let current: unknown = err
      for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
        for (const text of [current.message, String(current), JSON.stringify(current)]) {
          expect(text).not.toContain(token)
        }
        current = current.cause
      }
    }
  })

  it('metadata that is not an object and a DPoP option that is not a handle are TypeErrors before I/O', async () => {
    let err = await rejection(
      dynamicClientRegistration(new URL(server.origin), null as never, undefined, insecure),
    )
    expect(err).toBeInstanceOf(TypeError)
    err = await rejection(
      dynamicClientRegistration(new URL(server.origin), {}, undefined, {
        ...insecure,
        DPoP: {} as DPoPHandle,
      }),
    )
    expect(err).toBeInstanceOf(TypeError)
    expect(err.code).toBe('ERR_INVALID_ARG_VALUE')
    expect(server.requests).toHaveLength(0)
  })
})

describe('differential: openid-client 6.8.9 derives the same metadata URLs and refuses the same issuers', () => {
  const issuers = [
    'https://op.example',
    'https://op.example/',
    'https://op.example/tenant',
    'https://op.example/tenant/',
    'https://op.example/a/b/',
    'https://op.example:8443/x?q=1',
  ]
  for (const algorithm of ['oidc', 'oauth2'] as const) {
    for (const input of issuers) {
      it(`${algorithm} ${input}: same URL requested, same outcome for a mismatching issuer`, async () => {
        const oc = await import('openid-client')
        const run = async (lib: 'ours' | 'theirs') => {
          const seen: string[] = []
          const fetcher: CustomFetch = async (url) => {
            seen.push(url)
            return Response.json({ issuer: 'https://someone-else.example' })
          }
          const options = { algorithm, [lib === 'ours' ? customFetch : oc.customFetch]: fetcher }
          let error = 'none'
          try {
            if (lib === 'ours') await discovery(new URL(input), 'c', undefined, undefined, options)
            else await oc.discovery(new URL(input), 'c', undefined, undefined, options as never)
          } catch (err) {
            const e = err as Error & { code?: string }
            error = `${e.name} ${e.code} ${e.message}`
          }
          return { seen, error }
        }
        const [ours, theirs] = [await run('ours'), await run('theirs')]
        expect(ours).toEqual(theirs)
        expect(ours.error).toContain('OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED')
      })
    }
  }
})
