import { inspect } from 'node:util'
import type { ServerResponse } from 'node:http'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  ClientError,
  ClientSecretBasic,
  ClientSecretJwt,
  ResponseBodyError,
  WWWAuthenticateChallengeError,
  buildAuthorizationUrlWithPAR,
  getDPoPHandle,
  randomDPoPKeyPair,
} from '../../src/index.js'
import type { ClientMetadata } from '../../src/index.js'
import {
  CLIENT_SECRET,
  configurationFor,
  json,
  send,
  startScriptedServer,
  trickle,
  type ScriptedServer,
} from '../support/scripted-server.js'
import { expectNoSecret, rejection } from './support.js'
import type { Failure } from '../support/expect.js'

/**
 * Pushed Authorization Requests (RFC 9126) against a server that answers whatever the test scripts: every answer
 * but a 201 with a non-empty `request_uri` and an `expires_in` of 0 or more is refused with the class and code
 * openid-client 6.9.0 gives, and no form of the client's secret appears in what the error prints.
 */

let server: ScriptedServer
beforeAll(async () => {
  server = await startScriptedServer()
})
afterAll(() => server.close())
beforeEach(() => {
  server.requests.length = 0
})

/** A secret handed to ClientSecretBasic only, not in the client metadata. */
const BASIC_SECRET = 'basic-only-secret-PAR-4711'
const NO_METADATA_SECRET = { client_secret: undefined } as unknown as Partial<ClientMetadata>

function parConfig(options: Parameters<typeof configurationFor>[1] = {}) {
  return configurationFor(server, {
    ...options,
    server: {
      authorization_endpoint: `${server.origin}/authorize`,
      pushed_authorization_request_endpoint: `${server.origin}/par`,
      ...options.server,
    },
  })
}

const PARAMS = { redirect_uri: 'https://rp.example/cb', scope: 'openid', state: 'st-1' }

/** What a logger may print of an error: message, String, JSON, util.inspect (causes included). */
function printed(err: unknown): string {
  return [String(err), JSON.stringify(err) ?? '', inspect(err, { depth: 10 })].join('\n')
}

function answer(respond: (res: ServerResponse) => void) {
  server.script((_req, res) => respond(res))
}

async function failure(config = parConfig()): Promise<Failure> {
  const err = await rejection(buildAuthorizationUrlWithPAR(config, PARAMS))
  expectNoSecret(err)
  expect(printed(err)).not.toContain(CLIENT_SECRET)
  return err
}

describe('a good answer', () => {
  it('201 with request_uri and expires_in: client_id + request_uri; the request is a form POST to the PAR endpoint', async () => {
    answer((res) => json(res, 201, { request_uri: 'urn:ietf:params:oauth:request_uri:abc', expires_in: 90 }))
    const url = await buildAuthorizationUrlWithPAR(parConfig(), PARAMS)
    expect(url.href).toBe(
      `${server.origin}/authorize?request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Aabc&client_id=client-hostile`,
    )
    const [request] = server.requests
    expect(request).toMatchObject({ method: 'POST', url: '/par' })
    expect(request!.headers['content-type']).toBe('application/x-www-form-urlencoded;charset=UTF-8')
    expect(Object.fromEntries(new URLSearchParams(request!.body))).toEqual({
      ...PARAMS,
      client_id: 'client-hostile',
      response_type: 'code',
      client_secret: CLIENT_SECRET,
    })
  })

  it.each([
    ['expires_in as text', { expires_in: '60' }],
    ['expires_in 0', { expires_in: 0 }],
    ['extra members', { expires_in: 60, extra: { nested: true } }],
  ])('%s is accepted, as openid-client accepts it', async (_name, extra) => {
    answer((res) => json(res, 201, { request_uri: 'urn:x', ...extra }))
    const url = await buildAuthorizationUrlWithPAR(parConfig(), PARAMS)
    expect(url.searchParams.get('request_uri')).toBe('urn:x')
  })
})

describe('OAuth error bodies', () => {
  it('400 invalid_request: ResponseBodyError with error, error_description and status', async () => {
    answer((res) =>
      json(res, 400, { error: 'invalid_request', error_description: 'redirect_uri is not registered' }),
    )
    const err = await failure()
    expect(err).toBeInstanceOf(ResponseBodyError)
    expect(err).toMatchObject({
      message: 'server responded with an error in the response body',
      error: 'invalid_request',
      error_description: 'redirect_uri is not registered',
      status: 400,
    })
  })

  it('an error body that echoes the client secret: redacted in error_description and cause (D27)', async () => {
    answer((res) =>
      json(res, 400, {
        error: 'invalid_client',
        error_description: `client_secret ${CLIENT_SECRET} is wrong`,
        client_secret: CLIENT_SECRET,
      }),
    )
    const err = await failure()
    expect(err).toBeInstanceOf(ResponseBodyError)
    expect(err.error_description).not.toContain(CLIENT_SECRET)
    expect(JSON.stringify(err.cause)).not.toContain(CLIENT_SECRET)
  })

  it('client_secret_basic: the Basic secret (not in metadata) is redacted from an echoing error too', async () => {
    answer((res) =>
      json(res, 400, { error: 'invalid_client', error_description: `bad secret ${BASIC_SECRET}` }),
    )
    const config = parConfig({ metadata: NO_METADATA_SECRET, auth: ClientSecretBasic(BASIC_SECRET) })
    const err = await failure(config)
    expect(err).toBeInstanceOf(ResponseBodyError)
    expect(printed(err)).not.toContain(BASIC_SECRET)
    expect(server.requests[0]!.headers['authorization']).toMatch(/^Basic /)
  })

  it('client_secret_jwt: the secret never travels and never prints', async () => {
    answer((res) => json(res, 401, { error: 'invalid_client' }))
    const config = parConfig({ metadata: NO_METADATA_SECRET, auth: ClientSecretJwt(BASIC_SECRET) })
    const err = await failure(config)
    expect(err).toBeInstanceOf(ResponseBodyError)
    expect(printed(err)).not.toContain(BASIC_SECRET)
    expect(server.requests[0]!.body).not.toContain(BASIC_SECRET)
    expect(new URLSearchParams(server.requests[0]!.body).get('client_assertion')).toMatch(
      /^[\w-]+\.[\w-]+\.[\w-]+$/,
    )
  })

  it('401 with a WWW-Authenticate challenge: WWWAuthenticateChallengeError', async () => {
    answer((res) =>
      json(
        res,
        401,
        { error: 'invalid_client' },
        { 'www-authenticate': 'Basic realm="par", error="invalid_client"' },
      ),
    )
    const err = await failure()
    expect(err).toBeInstanceOf(WWWAuthenticateChallengeError)
    expect(err.cause).toEqual([{ scheme: 'basic', parameters: { realm: 'par', error: 'invalid_client' } }])
  })
})

describe('answers that are not a PAR response', () => {
  it.each([
    ['200 instead of 201', 200, { request_uri: 'urn:x', expires_in: 60 }],
    ['302 redirect', 302, {}],
    ['500 with an OAuth error body', 500, { error: 'server_error' }],
    ['400 without an error member', 400, { message: 'nope' }],
  ])('%s: ClientError OAUTH_RESPONSE_IS_NOT_CONFORM, the Response as cause', async (_name, status, body) => {
    answer((res) => json(res, status, body, status === 302 ? { location: 'https://elsewhere.example/' } : {}))
    const err = await failure()
    expect(err).toBeInstanceOf(ClientError)
    expect(err).toMatchObject({
      code: 'OAUTH_RESPONSE_IS_NOT_CONFORM',
      message: 'unexpected HTTP response status code',
    })
    expect(err.cause).toBeInstanceOf(Response)
    expect((err.cause as Response).status).toBe(status)
  })

  it('400 with an HTML body: ClientError OAUTH_RESPONSE_IS_NOT_JSON', async () => {
    answer((res) => send(res, 400, '<html>bad</html>', { 'content-type': 'text/html' }))
    const err = await failure()
    expect(err).toBeInstanceOf(ClientError)
    expect(err.code).toBe('OAUTH_RESPONSE_IS_NOT_JSON')
  })

  it.each([
    ['missing request_uri', { expires_in: 60 }, '"response" body "request_uri" property must be a string'],
    [
      'request_uri a number',
      { request_uri: 7, expires_in: 60 },
      '"response" body "request_uri" property must be a string',
    ],
    [
      'empty request_uri',
      { request_uri: '', expires_in: 60 },
      '"response" body "request_uri" property must not be empty',
    ],
    [
      'missing expires_in',
      { request_uri: 'urn:x' },
      '"response" body "expires_in" property must be a number',
    ],
    [
      'expires_in text',
      { request_uri: 'urn:x', expires_in: 'soon' },
      '"response" body "expires_in" property must be a number',
    ],
    [
      'negative expires_in',
      { request_uri: 'urn:x', expires_in: -1 },
      '"response" body "expires_in" property must be a non-negative number',
    ],
  ])('201 with %s: ClientError OAUTH_INVALID_RESPONSE', async (_name, body, causeMessage) => {
    answer((res) => json(res, 201, body))
    const err = await failure()
    expect(err).toBeInstanceOf(ClientError)
    expect(err).toMatchObject({ code: 'OAUTH_INVALID_RESPONSE', message: 'invalid response encountered' })
    expect((err.cause as Error).message).toBe(causeMessage)
  })

  it('201 whose body is an array: OAUTH_INVALID_RESPONSE', async () => {
    answer((res) => json(res, 201, [{ request_uri: 'urn:x', expires_in: 60 }]))
    const err = await failure()
    expect(err.code).toBe('OAUTH_INVALID_RESPONSE')
  })

  it('201 with a body that is not JSON: OAUTH_PARSE_ERROR (JSON content-type) or OAUTH_RESPONSE_IS_NOT_JSON', async () => {
    answer((res) => send(res, 201, '{"request_uri":', { 'content-type': 'application/json' }))
    expect((await failure()).code).toBe('OAUTH_PARSE_ERROR')
    answer((res) => send(res, 201, 'request_uri=urn:x', { 'content-type': 'text/plain' }))
    expect((await failure()).code).toBe('OAUTH_RESPONSE_IS_NOT_JSON')
  })

  it('a 201 body over 1 MiB (D9) or nested deeper than 100 levels (D33): OAUTH_INVALID_RESPONSE', async () => {
    answer((res) => json(res, 201, { request_uri: 'urn:x', expires_in: 60, pad: 'x'.repeat(1024 * 1024) }))
    expect((await failure()).code).toBe('OAUTH_INVALID_RESPONSE')
    answer((res) =>
      send(res, 201, `{"request_uri":"urn:x","expires_in":60,"deep":${'['.repeat(200)}${']'.repeat(200)}}`, {
        'content-type': 'application/json',
      }),
    )
    expect((await failure()).code).toBe('OAUTH_INVALID_RESPONSE')
  })

  it('a body that never ends within the configuration timeout: ClientError OAUTH_TIMEOUT', async () => {
    server.script((_req, res) => trickle(res, 201, ['{"request_uri":"urn:x",', ' ', ' ', ' ', ' ', ' '], 200))
    const err = await failure(parConfig({ timeout: 0.3 }))
    expect(err).toBeInstanceOf(ClientError)
    expect(err.code).toBe('OAUTH_TIMEOUT')
  })
})

describe('DPoP', () => {
  it('use_dpop_nonce in a 400: retried once with the nonce; a second one is the error', async () => {
    let calls = 0
    server.script((_req, res) => {
      calls++
      json(res, 400, { error: 'use_dpop_nonce', error_description: 'nonce' }, { 'dpop-nonce': `n-${calls}` })
    })
    const config = parConfig()
    const DPoP = getDPoPHandle(config, await randomDPoPKeyPair())
    const err = await rejection(buildAuthorizationUrlWithPAR(config, PARAMS, { DPoP }))
    expect(err).toBeInstanceOf(ResponseBodyError)
    expect(err.error).toBe('use_dpop_nonce')
    expect(server.requests).toHaveLength(2)
    const nonceOf = (i: number) =>
      JSON.parse(
        Buffer.from(String(server.requests[i]!.headers['dpop']).split('.')[1]!, 'base64url').toString(),
      ).nonce
    expect(nonceOf(0)).toBeUndefined()
    expect(nonceOf(1)).toBe('n-1')
  })

  it('an invalid_dpop_proof error is not retried', async () => {
    answer((res) => json(res, 400, { error: 'invalid_dpop_proof' }))
    const config = parConfig()
    const DPoP = getDPoPHandle(config, await randomDPoPKeyPair())
    const err = await rejection(buildAuthorizationUrlWithPAR(config, PARAMS, { DPoP }))
    expect(err).toBeInstanceOf(ResponseBodyError)
    expect(server.requests).toHaveLength(1)
  })
})
