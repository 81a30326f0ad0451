import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import * as api from '../../src/index.js'
import {
  ClientError,
  ClientSecretBasic,
  Configuration,
  ResponseBodyError,
  WWWAuthenticateChallengeError,
  allowInsecureRequests,
  customFetch,
  genericGrantRequest,
} from '../../src/index.js'
import type { CustomFetchOptions } from '../../src/index.js'
import { gzipSync } from 'node:zlib'
import { MAX_BODY_BYTES } from '../../src/http/body.js'
import { VERSION } from '../../src/internal/version.js'
import {
  CLIENT_ID,
  CLIENT_SECRET,
  configurationFor,
  json,
  resetMidBody,
  send,
  startScriptedServer,
  trickle,
  type ScriptedServer,
} from '../support/scripted-server.js'
import { craftJwt, expectNoSecret, goodClaims, rejection } from './support.js'

const GRANT = 'urn:example:params:oauth:grant-type:hostile'
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange'
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer'
const GOOD = { access_token: 'at-1', token_type: 'Bearer', expires_in: 3600 }

const unhandled: unknown[] = []
const onUnhandled = (reason: unknown) => unhandled.push(reason)

let server: ScriptedServer
let config: Configuration

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled)
  server = await startScriptedServer()
  config = configurationFor(server)
})

afterEach(async () => {
  // let rejections of promises dropped during the test surface before checking
  await new Promise((resolve) => setTimeout(resolve, 20))
  expect(unhandled).toEqual([])
})

afterAll(async () => {
  await server.close()
  process.off('unhandledRejection', onUnhandled)
  expect(unhandled).toEqual([])
})

/** Runs the grant against whatever the server is scripted to answer, expecting a typed failure. */
async function grantError(
  cfg: Configuration = config,
  grantType = GRANT,
  params: Record<string, string> = { foo: 'bar' },
): Promise<any> {
  const err = await rejection(genericGrantRequest(cfg, grantType, params))
  expectNoSecret(err)
  return err
}

function expectClientError(err: unknown, code: string | undefined, message?: string) {
  expect(err).toBeInstanceOf(ClientError)
  const e = err as ClientError
  expect(e.name).toBe('ClientError')
  expect(e.code).toBe(code)
  if (message !== undefined) expect(e.message).toBe(message)
}

/** The internal message behind a mapped ClientError (contract §2.8: the OPE is the cause). */
function causeMessage(err: unknown): string {
  return ((err as Error).cause as Error).message
}

function respondJson(status: number, value: unknown, headers: Record<string, string> = {}) {
  server.script((_req, res) => json(res, status, value, headers))
}
function respond(status: number, body: string | Buffer, headers: Record<string, string> = {}) {
  server.script((_req, res) => send(res, status, body, headers))
}

describe('contract §2.11: entry checks, before any I/O', () => {
  it('rejects a config that is not a Configuration (ERR_INVALID_ARG_TYPE)', async () => {
    const before = server.requests.length
    const err = await grantError({} as Configuration)
    expect(err).toBeInstanceOf(TypeError)
    expect(err.code).toBe('ERR_INVALID_ARG_TYPE')
    expect(err.message).toBe('"config" must be an instance of Configuration')
    expect(server.requests.length).toBe(before)
  })

  it('rejects a subclass of Configuration (ERR_INVALID_ARG_VALUE)', async () => {
    class Sub extends Configuration {}
    const sub = new Sub({ issuer: server.origin, token_endpoint: `${server.origin}/token` }, CLIENT_ID)
    const err = await grantError(sub)
    expect(err).toBeInstanceOf(TypeError)
    expect(err.code).toBe('ERR_INVALID_ARG_VALUE')
    expect(err.message).toBe('subclassing Configuration is not allowed')
  })

  it('rejects a grantType that is not a non-empty string', async () => {
    const before = server.requests.length
    const notString = await grantError(config, 42 as unknown as string)
    expect(notString).toBeInstanceOf(TypeError)
    expect(notString.code).toBe('ERR_INVALID_ARG_TYPE')
    const empty = await grantError(config, '')
    expect(empty).toBeInstanceOf(TypeError)
    expect(empty.code).toBe('ERR_INVALID_ARG_VALUE')
    expect(server.requests.length).toBe(before)
  })

  it('rejects a DPoP option that is not a handle (ERR_INVALID_ARG_VALUE)', async () => {
    const before = server.requests.length
    for (const DPoP of [{}, 'handle', null]) {
      const err = await rejection(genericGrantRequest(config, GRANT, {}, { DPoP: DPoP as never }))
      expectNoSecret(err)
      expect(err).toBeInstanceOf(TypeError)
      expect(err.code).toBe('ERR_INVALID_ARG_VALUE')
      expect(err.message).toBe('"options.DPoP" is not a valid DPoPHandle')
    }
    expect(server.requests.length).toBe(before)
  })

  it('a missing token_endpoint is OAUTH_MISSING_SERVER_METADATA', async () => {
    const cfg = new Configuration({ issuer: server.origin }, CLIENT_ID, CLIENT_SECRET)
    allowInsecureRequests(cfg)
    const err = await grantError(cfg)
    expectClientError(
      err,
      'OAUTH_MISSING_SERVER_METADATA',
      'authorization server metadata does not contain a valid "as.token_endpoint"',
    )
  })

  it('an invalid token_endpoint is OAUTH_INVALID_SERVER_METADATA, alias path named in the message', async () => {
    const bad = configurationFor(server, { server: { token_endpoint: 'not a url' } })
    expectClientError(
      await grantError(bad),
      'OAUTH_INVALID_SERVER_METADATA',
      'authorization server metadata does not contain a valid "as.token_endpoint"',
    )
    const alias = configurationFor(server, {
      server: { mtls_endpoint_aliases: { token_endpoint: 42 as unknown as string } },
      metadata: { use_mtls_endpoint_aliases: true },
    })
    expectClientError(
      await grantError(alias),
      'OAUTH_INVALID_SERVER_METADATA',
      'authorization server metadata does not contain a valid "as.mtls_endpoint_aliases.token_endpoint"',
    )
  })

  it('an http: endpoint without allowInsecureRequests is OAUTH_HTTP_REQUEST_FORBIDDEN', async () => {
    const before = server.requests.length
    const cfg = new Configuration(
      { issuer: server.origin, token_endpoint: `${server.origin}/token` },
      CLIENT_ID,
      CLIENT_SECRET,
    )
    expectClientError(
      await grantError(cfg),
      'OAUTH_HTTP_REQUEST_FORBIDDEN',
      'only requests to HTTPS are allowed',
    )
    expect(server.requests.length).toBe(before)
  })

  it('a non-HTTP(S) endpoint without allowInsecureRequests is OAUTH_HTTP_REQUEST_FORBIDDEN, as openid-client', async () => {
    const before = server.requests.length
    const cfg = new Configuration(
      { issuer: server.origin, token_endpoint: 'ftp://127.0.0.1/token' },
      CLIENT_ID,
      CLIENT_SECRET,
    )
    expectClientError(
      await grantError(cfg),
      'OAUTH_HTTP_REQUEST_FORBIDDEN',
      'only requests to HTTPS are allowed',
    )
    expect(server.requests.length).toBe(before)
  })

  it('a non-HTTP(S) endpoint is OAUTH_REQUEST_PROTOCOL_FORBIDDEN even when insecure requests are allowed', async () => {
    const cfg = configurationFor(server, { server: { token_endpoint: 'ftp://127.0.0.1/token' } })
    expectClientError(
      await grantError(cfg),
      'OAUTH_REQUEST_PROTOCOL_FORBIDDEN',
      'only requests to HTTP or HTTPS are allowed',
    )
  })
})

describe('contract §2.11: transport failures', () => {
  it('a refused connection is the raw TypeError from fetch', async () => {
    const gone = await startScriptedServer()
    await gone.close()
    const err = await grantError(configurationFor(gone))
    expect(err).toBeInstanceOf(TypeError)
    expect(err.constructor).toBe(TypeError)
    expect(err.code).toBeUndefined()
    expect(err.message).toBe('fetch failed')
  })

  it('a reset before any response header is the raw TypeError from fetch', async () => {
    server.script((req) => void req.socket.destroy())
    const err = await grantError()
    expect(err).toBeInstanceOf(TypeError)
    expect(err.code).toBeUndefined()
    expect(err.message).toBe('fetch failed')
  })

  it('a server that never answers times out with OAUTH_TIMEOUT', async () => {
    server.script(() => {})
    const err = await grantError(configurationFor(server, { timeout: 1 }))
    expectClientError(err, 'OAUTH_TIMEOUT', 'operation timed out')
    expect((err.cause as Error).name).toBe('TimeoutError')
  })

  it('a body trickling slower than the timeout is OAUTH_TIMEOUT', async () => {
    server.script((_req, res) =>
      trickle(
        res,
        200,
        Array.from({ length: 40 }, () => ' '),
        100,
      ),
    )
    const err = await grantError(configurationFor(server, { timeout: 1 }))
    expectClientError(err, 'OAUTH_TIMEOUT', 'operation timed out')
  })

  it('an error body trickling slower than the timeout is OAUTH_TIMEOUT too', async () => {
    server.script((_req, res) =>
      trickle(
        res,
        400,
        Array.from({ length: 40 }, () => ' '),
        100,
      ),
    )
    const err = await grantError(configurationFor(server, { timeout: 1 }))
    expectClientError(err, 'OAUTH_TIMEOUT', 'operation timed out')
  })

  it('a customFetch that never settles and ignores the signal still times out with OAUTH_TIMEOUT', async () => {
    const cfg = configurationFor(server, { timeout: 0.2 })
    cfg[customFetch] = () => new Promise<Response>(() => {})
    expectClientError(await grantError(cfg), 'OAUTH_TIMEOUT', 'operation timed out')
  })

  it('a response that is not HTTP is the raw TypeError from fetch', async () => {
    server.script((req) => {
      req.socket.end('SMTP ready\r\n\r\n')
    })
    const err = await grantError()
    expect(err).toBeInstanceOf(TypeError)
    expect(err.code).toBeUndefined()
    expect(err.message).toBe('fetch failed')
  })

  it('informational 103 Early Hints before the answer are skipped', async () => {
    server.script((_req, res) => {
      res.writeEarlyHints({ link: '</x>; rel=preload' }, () => json(res, 200, GOOD))
    })
    const result = await genericGrantRequest(config, GRANT, {})
    expect(result.access_token).toBe('at-1')
  })

  it('an abort from the transport is OAUTH_ABORT', async () => {
    const cfg = configurationFor(server)
    cfg[customFetch] = async () => {
      throw new DOMException('the operation was aborted', 'AbortError')
    }
    const err = await grantError(cfg)
    expectClientError(err, 'OAUTH_ABORT', 'operation aborted')
    expect((err.cause as DOMException).name).toBe('AbortError')
  })

  it('a connection reset mid-body is OAUTH_PARSE_ERROR (a body that cannot be parsed)', async () => {
    server.script((_req, res) => resetMidBody(res))
    const err = await grantError()
    expectClientError(err, 'OAUTH_PARSE_ERROR', 'parsing error occured')
    expect(causeMessage(err)).toBe('failed to parse "response" body as JSON')
  })

  it('a connection reset mid-body of an OAuth error is OAUTH_RESPONSE_IS_NOT_CONFORM', async () => {
    server.script((_req, res) => resetMidBody(res, 400, '{"error":"invalid_gr'))
    const err = await grantError()
    expectClientError(err, 'OAUTH_RESPONSE_IS_NOT_CONFORM', 'unexpected HTTP response status code')
    expect((err.cause as Response).status).toBe(400)
  })

  it('a connection reset mid-body of a non-JSON response is OAUTH_RESPONSE_IS_NOT_JSON', async () => {
    server.script((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html', 'content-length': '1000' })
      res.write('<html>', () => setTimeout(() => res.socket?.destroy(), 10))
    })
    const err = await grantError()
    expectClientError(err, 'OAUTH_RESPONSE_IS_NOT_JSON', 'unexpected response content-type')
  })

  it(`a body of several MB is refused after ${MAX_BODY_BYTES} bytes with OAUTH_INVALID_RESPONSE`, async () => {
    const huge = JSON.stringify({ ...GOOD, padding: 'x'.repeat(4 * 1024 * 1024) })
    respond(200, huge, { 'content-type': 'application/json' })
    const err = await grantError()
    expectClientError(err, 'OAUTH_INVALID_RESPONSE', 'invalid response encountered')
    expect(causeMessage(err)).toBe(`"response" body is larger than ${MAX_BODY_BYTES} bytes`)
  })

  it('a chunked body of several MB without content-length is refused the same way', async () => {
    const chunk = 'x'.repeat(256 * 1024)
    server.script((_req, res) =>
      trickle(res, 200, ['{"padding":"', ...Array.from({ length: 16 }, () => chunk), '"}'], 0),
    )
    const err = await grantError()
    expectClientError(err, 'OAUTH_INVALID_RESPONSE', 'invalid response encountered')
    expect(causeMessage(err)).toBe(`"response" body is larger than ${MAX_BODY_BYTES} bytes`)
  })

  it('a gzip bomb is refused after 1 MiB of decoded body', async () => {
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20))
    expect(bomb.length).toBeLessThan(MAX_BODY_BYTES)
    respond(200, bomb, {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    })
    const err = await grantError()
    expectClientError(err, 'OAUTH_INVALID_RESPONSE', 'invalid response encountered')
    expect(causeMessage(err)).toBe(`"response" body is larger than ${MAX_BODY_BYTES} bytes`)
  })

  it('a body that is not the gzip it claims to be is OAUTH_PARSE_ERROR', async () => {
    respond(200, JSON.stringify(GOOD), { 'content-type': 'application/json', 'content-encoding': 'gzip' })
    expectClientError(await grantError(), 'OAUTH_PARSE_ERROR', 'parsing error occured')
  })

  it('deeply nested JSON neither crashes nor hangs: over 100 levels it is refused (D33)', async () => {
    const depth = 200_000
    respond(200, `{"access_token":"at","token_type":"bearer","x":${'['.repeat(depth)}${']'.repeat(depth)}}`, {
      'content-type': 'application/json',
    })
    expectClientError(await grantError(), 'OAUTH_INVALID_RESPONSE')
    respond(200, '['.repeat(depth) + ']'.repeat(depth), { 'content-type': 'application/json' })
    expectClientError(await grantError(), 'OAUTH_INVALID_RESPONSE')
  })

  it('an OAuth error body of several MB is not read whole: OAUTH_RESPONSE_IS_NOT_CONFORM', async () => {
    const huge = JSON.stringify({ error: 'invalid_grant', padding: 'x'.repeat(3 * 1024 * 1024) })
    respond(400, huge, { 'content-type': 'application/json' })
    const err = await grantError()
    expectClientError(err, 'OAUTH_RESPONSE_IS_NOT_CONFORM', 'unexpected HTTP response status code')
    expect(err.cause).toBeInstanceOf(Response)
  })

  it('a redirect is never followed: OAUTH_RESPONSE_IS_NOT_CONFORM with the Response as cause', async () => {
    const target = await startScriptedServer()
    try {
      for (const status of [301, 302, 303, 307, 308]) {
        respond(status, '', { location: `${target.origin}/token` })
        const err = await grantError()
        expectClientError(err, 'OAUTH_RESPONSE_IS_NOT_CONFORM', 'unexpected HTTP response status code')
        expect(err.cause).toBeInstanceOf(Response)
        expect((err.cause as Response).status).toBe(status)
        expect((err.cause as Response).headers.get('location')).toBe(`${target.origin}/token`)
      }
      expect(target.requests).toEqual([])
    } finally {
      await target.close()
    }
  })

  it("asks fetch for redirect: 'manual'", async () => {
    const seen: CustomFetchOptions[] = []
    const cfg = configurationFor(server)
    cfg[customFetch] = (url, options) => {
      seen.push(options)
      return fetch(url, options as RequestInit)
    }
    respondJson(200, GOOD)
    await genericGrantRequest(cfg, GRANT, {})
    expect(seen).toHaveLength(1)
    expect(seen[0]!.redirect).toBe('manual')
    expect(seen[0]!.method).toBe('POST')
  })
})

describe('contract §2.11: error responses', () => {
  it('a non-200 with a parseable WWW-Authenticate is a WWWAuthenticateChallengeError (before the body)', async () => {
    respondJson(
      401,
      { error: 'invalid_client' },
      { 'www-authenticate': 'Basic realm="token", DPoP algs="ES256"' },
    )
    const err = await grantError()
    expect(err).toBeInstanceOf(WWWAuthenticateChallengeError)
    expect(err.code).toBe('OAUTH_WWW_AUTHENTICATE_CHALLENGE')
    expect(err.message).toBe('server responded with a challenge in the WWW-Authenticate HTTP Header')
    expect(err.status).toBe(401)
    expect(err.cause).toEqual([
      { scheme: 'basic', parameters: { realm: 'token' } },
      { scheme: 'dpop', parameters: { algs: 'ES256' } },
    ])
    expect(Object.keys(err)).not.toContain('response')
    expect((err.response as Response).bodyUsed).toBe(false)
  })

  it('an unparseable WWW-Authenticate falls through to the body', async () => {
    respondJson(401, { error: 'invalid_client' }, { 'www-authenticate': 'Basic realm="unterminated' })
    const err = await grantError()
    expect(err).toBeInstanceOf(ResponseBodyError)
    expect(err.error).toBe('invalid_client')
  })

  it('a WWW-Authenticate header on a 200 is ignored', async () => {
    respondJson(200, GOOD, { 'www-authenticate': 'Bearer error="invalid_token"' })
    const result = await genericGrantRequest(config, GRANT, {})
    expect(result.access_token).toBe('at-1')
  })

  it('a 4xx with a non-JSON content-type is OAUTH_RESPONSE_IS_NOT_JSON with the Response as cause', async () => {
    respond(400, '<html>bad request</html>', { 'content-type': 'text/html' })
    const err = await grantError()
    expectClientError(err, 'OAUTH_RESPONSE_IS_NOT_JSON', 'unexpected response content-type')
    expect(err.cause).toBeInstanceOf(Response)
    expect((err.cause as Response).status).toBe(400)
  })

  it('a 4xx without a content-type is OAUTH_RESPONSE_IS_NOT_JSON', async () => {
    respond(400, JSON.stringify({ error: 'invalid_grant' }))
    expectClientError(await grantError(), 'OAUTH_RESPONSE_IS_NOT_JSON')
  })

  it('a 4xx JSON body with `error` is a ResponseBodyError carrying every member', async () => {
    const body = {
      error: 'invalid_grant',
      error_description: 'the assertion expired',
      error_uri: 'https://as.example/errors/1',
      extra: { nested: true },
    }
    respondJson(400, body)
    const err = await grantError()
    expect(err).toBeInstanceOf(ResponseBodyError)
    expect(err.code).toBe('OAUTH_RESPONSE_BODY_ERROR')
    expect(err.message).toBe('server responded with an error in the response body')
    expect(err.error).toBe('invalid_grant')
    expect(err.error_description).toBe('the assertion expired')
    expect(err.status).toBe(400)
    expect(err.cause).toEqual(body)
    expect(Object.keys(err)).not.toContain('response')
    expect(err.response).toBeInstanceOf(Response)
  })

  it('DECISIONS D2: `Application/JSON; charset=utf-8` still yields a ResponseBodyError', async () => {
    respondJson(400, { error: 'invalid_scope' }, { 'content-type': 'Application/JSON; charset=utf-8' })
    const err = await grantError()
    expect(err).toBeInstanceOf(ResponseBodyError)
    expect(err.error).toBe('invalid_scope')
  })

  it('DECISIONS D2: `application/problem+json` yields a ResponseBodyError', async () => {
    respondJson(
      403,
      { error: 'access_denied', title: 'Forbidden' },
      { 'content-type': 'application/problem+json' },
    )
    const err = await grantError()
    expect(err).toBeInstanceOf(ResponseBodyError)
    expect(err.error).toBe('access_denied')
    expect(err.status).toBe(403)
  })

  const notConform: Array<[string, number, string, Record<string, string>]> = [
    ['a 5xx with an OAuth error body', 500, JSON.stringify({ error: 'server_error' }), {}],
    ['a 201', 201, JSON.stringify(GOOD), {}],
    ['a 204', 204, '', {}],
    ['a 4xx JSON body without `error`', 400, JSON.stringify({ message: 'nope' }), {}],
    ['a 4xx JSON body with an empty `error`', 400, JSON.stringify({ error: '' }), {}],
    ['a 4xx JSON body with a non-string `error`', 400, JSON.stringify({ error: 7 }), {}],
    ['a 4xx JSON array', 400, JSON.stringify([{ error: 'x' }]), {}],
    ['a 4xx body that is not JSON at all', 400, '{"error":', {}],
  ]
  for (const [name, status, body, headers] of notConform) {
    it(`${name} is OAUTH_RESPONSE_IS_NOT_CONFORM`, async () => {
      respond(status, body, { 'content-type': 'application/json', ...headers })
      const err = await grantError()
      expectClientError(err, 'OAUTH_RESPONSE_IS_NOT_CONFORM', 'unexpected HTTP response status code')
      expect(err.cause).toBeInstanceOf(Response)
      expect((err.cause as Response).status).toBe(status)
    })
  }
})

describe('contract §2.11: successful status, bad body', () => {
  it('a 200 body that is not JSON with a non-JSON content-type is OAUTH_RESPONSE_IS_NOT_JSON', async () => {
    respond(200, '<html>ok</html>', { 'content-type': 'text/html' })
    const err = await grantError()
    expectClientError(err, 'OAUTH_RESPONSE_IS_NOT_JSON', 'unexpected response content-type')
    expect(err.cause).toBeInstanceOf(Response)
  })

  it('a 200 body that is not JSON with a JSON content-type is OAUTH_PARSE_ERROR', async () => {
    respond(200, '{"access_token":', { 'content-type': 'application/json' })
    const err = await grantError()
    expectClientError(err, 'OAUTH_PARSE_ERROR', 'parsing error occured')
  })

  it('a 200 JSON body with a wrong content-type is accepted (contract §2.4 step 3)', async () => {
    respond(200, JSON.stringify(GOOD), { 'content-type': 'text/plain' })
    const result = await genericGrantRequest(config, GRANT, {})
    expect(result.access_token).toBe('at-1')
  })

  for (const body of ['[]', 'null', '"token"', '42', 'true']) {
    it(`a 200 body of ${body} is OAUTH_INVALID_RESPONSE (not a top level object)`, async () => {
      respond(200, body, { 'content-type': 'application/json' })
      const err = await grantError()
      expectClientError(err, 'OAUTH_INVALID_RESPONSE', 'invalid response encountered')
      expect(causeMessage(err)).toBe('"response" body must be a top level object')
    })
  }

  const badFields: Array<[string, Record<string, unknown>, string]> = [
    ['no access_token', { token_type: 'bearer' }, '"response" body "access_token" property must be a string'],
    [
      'an empty access_token',
      { access_token: '', token_type: 'bearer' },
      '"response" body "access_token" property must not be empty',
    ],
    [
      'a numeric access_token',
      { access_token: 1, token_type: 'bearer' },
      '"response" body "access_token" property must be a string',
    ],
    ['no token_type', { access_token: 'at' }, '"response" body "token_type" property must be a string'],
    [
      'an empty token_type',
      { access_token: 'at', token_type: '' },
      '"response" body "token_type" property must not be empty',
    ],
    [
      'a null refresh_token',
      { ...GOOD, refresh_token: null },
      '"response" body "refresh_token" property must be a string',
    ],
    [
      'an empty refresh_token',
      { ...GOOD, refresh_token: '' },
      '"response" body "refresh_token" property must not be empty',
    ],
    ['a null scope', { ...GOOD, scope: null }, '"response" body "scope" property must be a string'],
    ['a numeric scope', { ...GOOD, scope: 1 }, '"response" body "scope" property must be a string'],
    ['an empty id_token', { ...GOOD, id_token: '' }, '"response" body "id_token" property must not be empty'],
    [
      'a non-string id_token',
      { ...GOOD, id_token: {} },
      '"response" body "id_token" property must be a string',
    ],
    [
      'expires_in "abc"',
      { ...GOOD, expires_in: 'abc' },
      '"response" body "expires_in" property must be a number',
    ],
    [
      'expires_in null',
      { ...GOOD, expires_in: null },
      '"response" body "expires_in" property must be a number',
    ],
    [
      'expires_in true',
      { ...GOOD, expires_in: true },
      '"response" body "expires_in" property must be a number',
    ],
    [
      'expires_in -1',
      { ...GOOD, expires_in: -1 },
      '"response" body "expires_in" property must be a non-negative number',
    ],
    [
      'expires_in "-5"',
      { ...GOOD, expires_in: '-5' },
      '"response" body "expires_in" property must be a non-negative number',
    ],
  ]
  for (const [name, body, message] of badFields) {
    it(`${name} is OAUTH_INVALID_RESPONSE`, async () => {
      respondJson(200, body)
      const err = await grantError()
      expectClientError(err, 'OAUTH_INVALID_RESPONSE', 'invalid response encountered')
      expect(causeMessage(err)).toBe(message)
    })
  }

  it('an unknown token_type is OAUTH_UNSUPPORTED_OPERATION', async () => {
    respondJson(200, { ...GOOD, token_type: 'MAC' })
    const err = await grantError()
    expectClientError(err, 'OAUTH_UNSUPPORTED_OPERATION', 'unsupported operation')
    // As openid-client: the cause is the operation error, with the code and the offending value.
    expect(err.cause).toMatchObject({
      message: 'unsupported `token_type` value',
      code: 'OAUTH_UNSUPPORTED_OPERATION',
    })
  })

  it('token_type N_A is accepted for token exchange only, returned as n_a', async () => {
    respondJson(200, {
      ...GOOD,
      token_type: 'N_A',
      issued_token_type: 'urn:ietf:params:oauth:token-type:jwt',
    })
    const result = await genericGrantRequest(config, TOKEN_EXCHANGE, { subject_token: 's' })
    expect(result.token_type).toBe('n_a')
    expect(result['issued_token_type']).toBe('urn:ietf:params:oauth:token-type:jwt')
    expectClientError(
      await grantError(config, JWT_BEARER),
      'OAUTH_UNSUPPORTED_OPERATION',
      'unsupported operation',
    )
  })

  for (const tokenType of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
    it(`DECISIONS D3: token_type "${tokenType}" is unsupported for token exchange and other grants`, async () => {
      respondJson(200, { ...GOOD, token_type: tokenType })
      for (const grant of [TOKEN_EXCHANGE, JWT_BEARER, GRANT]) {
        expectClientError(
          await grantError(config, grant),
          'OAUTH_UNSUPPORTED_OPERATION',
          'unsupported operation',
        )
      }
    })
  }
})

describe('contract §2.11: ID Token problems', () => {
  const noneConfig = () =>
    configurationFor(server, { server: { id_token_signing_alg_values_supported: ['none', 'ES256'] } })
  const withIdToken = (header: Record<string, unknown>, claims: Record<string, unknown>) =>
    respondJson(200, { ...GOOD, id_token: craftJwt(header, claims) })

  it('an alg outside the policy is OAUTH_INVALID_RESPONSE', async () => {
    withIdToken({ alg: 'HS256' }, goodClaims(server.origin))
    const err = await grantError(noneConfig())
    expectClientError(err, 'OAUTH_INVALID_RESPONSE')
    expect(causeMessage(err)).toBe('unexpected JWT "alg" header parameter')
  })

  it('without a server list or client setting only RS256 passes', async () => {
    withIdToken({ alg: 'none' }, goodClaims(server.origin))
    expect(causeMessage(await grantError())).toBe('unexpected JWT "alg" header parameter')
    withIdToken({ alg: 'RS256' }, goodClaims(server.origin))
    const result = await genericGrantRequest(config, GRANT, {})
    expect(result.claims()?.sub).toBe('user-1')
  })

  it('the client setting wins over the server list', async () => {
    const cfg = configurationFor(server, {
      server: { id_token_signing_alg_values_supported: ['none'] },
      metadata: { id_token_signed_response_alg: 'ES256' },
    })
    withIdToken({ alg: 'none' }, goodClaims(server.origin))
    expect(causeMessage(await grantError(cfg))).toBe('unexpected JWT "alg" header parameter')
  })

  const claimCases: Array<[string, Record<string, unknown>, string, string]> = [
    [
      'a foreign issuer',
      { iss: 'https://evil.example' },
      'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
      'unexpected JWT claim value encountered',
    ],
    [
      'a foreign audience',
      { aud: 'someone-else' },
      'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
      'unexpected JWT claim value encountered',
    ],
    [
      'several audiences without azp',
      { aud: [CLIENT_ID, 'other'] },
      'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
      'unexpected JWT claim value encountered',
    ],
    [
      'several audiences with a foreign azp',
      { aud: [CLIENT_ID, 'other'], azp: 'other' },
      'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
      'unexpected JWT claim value encountered',
    ],
    [
      'an expired token',
      { exp: Math.floor(Date.now() / 1000) - 3600 },
      'OAUTH_JWT_TIMESTAMP_CHECK_FAILED',
      'JWT timestamp claim value failed validation',
    ],
    [
      'a token not yet valid',
      { nbf: Math.floor(Date.now() / 1000) + 3600 },
      'OAUTH_JWT_TIMESTAMP_CHECK_FAILED',
      'JWT timestamp claim value failed validation',
    ],
    ['a string exp', { exp: 'tomorrow' }, 'OAUTH_INVALID_RESPONSE', 'invalid response encountered'],
    ['a missing sub', { sub: undefined }, 'OAUTH_INVALID_RESPONSE', 'invalid response encountered'],
    ['a missing iat', { iat: undefined }, 'OAUTH_INVALID_RESPONSE', 'invalid response encountered'],
    ['a negative auth_time', { auth_time: -1 }, 'OAUTH_INVALID_RESPONSE', 'invalid response encountered'],
    ['a numeric aud', { aud: 7 }, 'OAUTH_INVALID_RESPONSE', 'invalid response encountered'],
    ['a numeric sub', { sub: 42 }, 'OAUTH_INVALID_RESPONSE', 'invalid response encountered'],
  ]
  for (const [name, overrides, code, message] of claimCases) {
    it(`${name} is ${code}`, async () => {
      withIdToken({ alg: 'none' }, goodClaims(server.origin, overrides))
      expectClientError(await grantError(noneConfig()), code, message)
    })
  }

  it('a non-string sub is refused, as openid-client 6.8.9 does (regression: only its presence was checked)', async () => {
    withIdToken({ alg: 'none' }, goodClaims(server.origin, { sub: false }))
    expect(causeMessage(await grantError(noneConfig()))).toBe('unexpected JWT "sub" (subject) claim type')
  })

  it('auth_time: a non-number "must be a number", a negative one "must be a non-negative number"', async () => {
    withIdToken({ alg: 'none' }, goodClaims(server.origin, { auth_time: 'yesterday' }))
    expect(causeMessage(await grantError(noneConfig()))).toBe(
      'ID Token "auth_time" (authentication time) must be a number',
    )
    withIdToken({ alg: 'none' }, goodClaims(server.origin, { auth_time: -1 }))
    expect(causeMessage(await grantError(noneConfig()))).toBe(
      'ID Token "auth_time" (authentication time) must be a non-negative number',
    )
  })

  it('several audiences with azp = client_id pass', async () => {
    withIdToken({ alg: 'none' }, goodClaims(server.origin, { aud: [CLIENT_ID, 'other'], azp: CLIENT_ID }))
    const result = await genericGrantRequest(noneConfig(), GRANT, {})
    expect(result.claims()?.azp).toBe(CLIENT_ID)
  })

  it('an ID Token that is not a JWT is OAUTH_INVALID_RESPONSE or OAUTH_PARSE_ERROR', async () => {
    respondJson(200, { ...GOOD, id_token: 'a.b' })
    expect(causeMessage(await grantError(noneConfig()))).toBe('Invalid JWT')
    respondJson(200, { ...GOOD, id_token: '!!.??.sig' })
    expectClientError(await grantError(noneConfig()), 'OAUTH_PARSE_ERROR', 'parsing error occured')
    respondJson(200, { ...GOOD, id_token: `${Buffer.from('[]').toString('base64url')}.e30.sig` })
    expectClientError(await grantError(noneConfig()), 'OAUTH_INVALID_RESPONSE')
  })

  it('a crit header is OAUTH_UNSUPPORTED_OPERATION', async () => {
    withIdToken({ alg: 'none', crit: ['exp'] }, goodClaims(server.origin))
    expectClientError(await grantError(noneConfig()), 'OAUTH_UNSUPPORTED_OPERATION', 'unsupported operation')
  })

  it('an encrypted ID Token without decryption configured is OAUTH_UNSUPPORTED_OPERATION', async () => {
    respondJson(200, { ...GOOD, id_token: 'eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d' })
    const err = await grantError(noneConfig())
    expectClientError(err, 'OAUTH_UNSUPPORTED_OPERATION', 'unsupported operation')
    expect(causeMessage(err)).toBe('JWE decryption is not configured')
  })

  const enableNonRepudiationChecks = (api as Record<string, unknown>)['enableNonRepudiationChecks'] as
    ((config: Configuration) => void) | undefined
  it.skipIf(enableNonRepudiationChecks === undefined)(
    'non-repudiation without an applicable key is OAUTH_KEY_SELECTION_FAILED',
    async () => {
      const cfg = configurationFor(server, { server: { jwks_uri: `${server.origin}/jwks` } })
      enableNonRepudiationChecks!(cfg)
      const idToken = craftJwt({ alg: 'RS256' }, goodClaims(server.origin))
      server.script((req, res) =>
        req.url === '/jwks' ? json(res, 200, { keys: [] }) : json(res, 200, { ...GOOD, id_token: idToken }),
      )
      expectClientError(await grantError(cfg), 'OAUTH_KEY_SELECTION_FAILED')
    },
  )
})

describe('hostile JSON', () => {
  it('`__proto__` and `constructor` members pollute nothing and keep the result an ordinary object', async () => {
    respond(
      200,
      '{"access_token":"at","token_type":"bearer","__proto__":{"polluted":true,"token_type":"x"},' +
        '"constructor":{"prototype":{"polluted":true}}}',
      { 'content-type': 'application/json' },
    )
    const result = await genericGrantRequest(config, GRANT, {})
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined()
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype)
    expect((result as Record<string, unknown>)['polluted']).toBeUndefined()
    expect(Object.getOwnPropertyDescriptor(result, '__proto__')?.value).toEqual({
      polluted: true,
      token_type: 'x',
    })
    expect(result.token_type).toBe('bearer')
    expect(typeof result.claims).toBe('function')
  })

  it('`__proto__` in an error body pollutes nothing', async () => {
    respond(400, '{"error":"invalid_grant","__proto__":{"polluted":true}}', {
      'content-type': 'application/json',
    })
    const err = await grantError()
    expect(err).toBeInstanceOf(ResponseBodyError)
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined()
    expect(Object.getPrototypeOf(err.cause)).toBe(Object.prototype)
  })

  it('`__proto__` in ID Token claims pollutes nothing', async () => {
    const cfg = configurationFor(server, { server: { id_token_signing_alg_values_supported: ['none'] } })
    const payload = JSON.stringify(goodClaims(server.origin)).replace(
      /^\{/,
      '{"__proto__":{"polluted":true},',
    )
    const idToken = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(payload).toString('base64url')}.`
    respondJson(200, { ...GOOD, id_token: idToken })
    const result = await genericGrantRequest(cfg, GRANT, {})
    const claims = result.claims()!
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined()
    expect(Object.getPrototypeOf(claims)).toBe(Object.prototype)
    expect(claims.sub).toBe('user-1')
  })
})

describe('the request on the wire', () => {
  it('sets grant_type, replacing the caller’s, and sends the exact headers', async () => {
    respondJson(200, GOOD)
    const before = server.requests.length
    await genericGrantRequest(config, GRANT, { grant_type: 'password', foo: 'bar' })
    const req = server.requests[before]!
    expect(req.method).toBe('POST')
    expect(req.url).toBe('/token')
    const body = new URLSearchParams(req.body)
    expect(body.getAll('grant_type')).toEqual([GRANT])
    expect(body.get('foo')).toBe('bar')
    expect(body.get('client_id')).toBe(CLIENT_ID)
    expect(body.get('client_secret')).toBe(CLIENT_SECRET)
    expect(req.headers['accept']).toBe('application/json')
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded;charset=UTF-8')
    expect(req.headers['user-agent']).toBe(`grantline/${VERSION}`)
    expect(req.headers['authorization']).toBeUndefined()
    expect(req.headers['dpop']).toBeUndefined()
  })

  it('appends grant_type when the caller did not give one, keeping the caller’s parameters intact', async () => {
    respondJson(200, GOOD)
    const params = new URLSearchParams([
      ['resource', 'https://a.example'],
      ['resource', 'https://b.example'],
    ])
    const before = server.requests.length
    await genericGrantRequest(config, GRANT, params)
    const body = new URLSearchParams(server.requests[before]!.body)
    expect(body.getAll('resource')).toEqual(['https://a.example', 'https://b.example'])
    expect(body.get('grant_type')).toBe(GRANT)
    expect([...params.keys()]).toEqual(['resource', 'resource'])
  })

  it('client_secret_basic puts the secret in the authorization header only', async () => {
    respondJson(200, GOOD)
    const cfg = configurationFor(server, { auth: ClientSecretBasic(CLIENT_SECRET) })
    const before = server.requests.length
    await genericGrantRequest(cfg, GRANT, {})
    const req = server.requests[before]!
    expect(req.headers['authorization']).toBe(
      `Basic ${Buffer.from(`${CLIENT_ID.replace(/-/g, '%2D')}:${CLIENT_SECRET.replace(/-/g, '%2D')}`).toString('base64')}`,
    )
    expect(req.body).not.toContain('client_secret')
  })

  it('a client_secret_basic failure never shows the credentials', async () => {
    respondJson(401, { error: 'invalid_client' }, { 'www-authenticate': 'Basic realm="as"' })
    const cfg = configurationFor(server, { auth: ClientSecretBasic(CLIENT_SECRET) })
    const err = await grantError(cfg)
    expect(err).toBeInstanceOf(WWWAuthenticateChallengeError)
  })

  it('a Map of parameters is sent, not silently dropped (regression: Object.entries sees nothing in a Map)', async () => {
    respondJson(200, GOOD)
    const before = server.requests.length
    await genericGrantRequest(config, GRANT, new Map([['audience', 'https://rs.example']]) as never)
    expect(new URLSearchParams(server.requests[before]!.body).get('audience')).toBe('https://rs.example')
  })

  it('leaves out parameters whose value is undefined (our extension)', async () => {
    respondJson(200, GOOD)
    const before = server.requests.length
    await genericGrantRequest(config, GRANT, { a: 'x', b: undefined } as unknown as Record<string, string>)
    const body = new URLSearchParams(server.requests[before]!.body)
    expect(body.get('a')).toBe('x')
    expect(body.has('b')).toBe(false)
  })
})

describe('the result', () => {
  it('normalises expires_in: "3600" → 3600, "60s" → 60, 0 allowed, fractions kept', async () => {
    for (const [raw, expected] of [
      ['3600', 3600],
      ['60s', 60],
      [0, 0],
      ['0', 0],
      [1.5, 1.5],
    ] as const) {
      respondJson(200, { ...GOOD, expires_in: raw })
      const result = await genericGrantRequest(config, GRANT, {})
      expect(result.expires_in).toBe(expected)
    }
  })

  it('lower-cases token_type', async () => {
    respondJson(200, { ...GOOD, token_type: 'DPoP' })
    expect((await genericGrantRequest(config, GRANT, {})).token_type).toBe('dpop')
  })

  it('keeps unknown members and an empty scope verbatim', async () => {
    respondJson(200, { ...GOOD, scope: '', authorization_details: [{ type: 'x' }], custom: { a: [1] } })
    const result = await genericGrantRequest(config, GRANT, {})
    expect(result.scope).toBe('')
    expect(result.authorization_details).toEqual([{ type: 'x' }])
    expect(result['custom']).toEqual({ a: [1] })
  })

  it('has non-enumerable helpers; claims() works destructured', async () => {
    const cfg = configurationFor(server, { server: { id_token_signing_alg_values_supported: ['none'] } })
    respondJson(200, { ...GOOD, id_token: craftJwt({ alg: 'none' }, goodClaims(server.origin)) })
    const result = await genericGrantRequest(cfg, GRANT, {})
    expect(Object.keys(result)).not.toContain('claims')
    expect(Object.keys(result)).not.toContain('expiresIn')
    expect(JSON.parse(JSON.stringify(result))).toEqual({ ...result })
    expect(structuredClone({ ...result })).not.toHaveProperty('claims')
    const { claims, expiresIn } = result
    expect(claims()?.iss).toBe(server.origin)
    expect(claims()).toBe(claims())
    const remaining = expiresIn()!
    expect(remaining).toBeGreaterThan(3500)
    expect(remaining).toBeLessThanOrEqual(3600)
    expect(() => {
      ;(result as { claims: unknown }).claims = () => 'replaced'
    }).toThrow(TypeError)
  })

  it('expiresIn() of a huge lifetime is not 0 (regression: Date#setSeconds made it an invalid date)', async () => {
    respondJson(200, { ...GOOD, expires_in: 1e300 })
    expect((await genericGrantRequest(config, GRANT, {})).expiresIn()).toBeGreaterThan(1e299)
  })

  it('expiresIn() keeps fractions of a second (regression: Date#setSeconds truncated them)', async () => {
    respondJson(200, { ...GOOD, expires_in: 100.9 })
    vi.useFakeTimers({ toFake: ['Date'] })
    try {
      expect((await genericGrantRequest(config, GRANT, {})).expiresIn()).toBe(100)
    } finally {
      vi.useRealTimers()
    }
  })

  it('expiresIn() is undefined without expires_in and 0 for expires_in 0; claims() undefined without id_token', async () => {
    respondJson(200, { access_token: 'at', token_type: 'bearer' })
    const none = await genericGrantRequest(config, GRANT, {})
    expect(none.expiresIn()).toBeUndefined()
    expect(none.claims()).toBeUndefined()
    respondJson(200, { ...GOOD, expires_in: 0 })
    expect((await genericGrantRequest(config, GRANT, {})).expiresIn()).toBe(0)
  })
})
