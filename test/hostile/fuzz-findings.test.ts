import { generateKeyPairSync, sign } from 'node:crypto'
import { inspect } from 'node:util'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  ClientError,
  allowInsecureRequests,
  discovery,
  dynamicClientRegistration,
  enableNonRepudiationChecks,
  genericGrantRequest,
  initiateDeviceAuthorization,
  tokenIntrospection,
} from '../../src/index.js'
import { parseRetryAfter } from '../../src/grants/polling.js'
import {
  CLIENT_ID,
  configurationFor,
  json,
  resetMidBody,
  send,
  startScriptedServer,
  type ScriptedServer,
} from '../support/scripted-server.js'
import { rejection, type Failure } from '../support/expect.js'

// What `npm run fuzz` found (issue 9), each replayed against the scripted server: the server's answer is at
// fault, so every outcome is a ClientError with a known code, printable, and without the secret it was handed.

let server: ScriptedServer
beforeAll(async () => {
  server = await startScriptedServer()
})
afterAll(() => server.close())
beforeEach(() => {
  server.requests.length = 0
})

const insecure = { execute: [allowInsecureRequests] }
const deep = (levels: number) => '['.repeat(levels) + ']'.repeat(levels)

/** Everything a logger could print of `err`. */
function printed(err: unknown): string {
  return [String(err), JSON.stringify(err), inspect(err, { depth: Infinity, showHidden: true })].join('\n')
}

function expectCoded(err: Failure, code: string) {
  expect(err).toBeInstanceOf(ClientError)
  expect(err.code).toBe(code)
  expect(() => JSON.stringify(err)).not.toThrow()
  expect(() => inspect(err, { depth: Infinity })).not.toThrow()
}

/** Every message along the cause chain. */
function messages(err: unknown): string[] {
  const out: string[] = []
  for (let e = err; e instanceof Error; e = e.cause) out.push(e.message)
  return out
}

describe('discovery: a metadata issuer that is not a URL (D32)', () => {
  for (const issuer of ['not a url', '/relative', 'https://']) {
    it(`${JSON.stringify(issuer)} is an issuer mismatch, OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED`, async () => {
      server.script((_req, res) => json(res, 200, { issuer }))
      const err = await rejection(discovery(new URL(server.origin), 'client', undefined, undefined, insecure))
      expectCoded(err, 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED')
      expect(err.message).toBe('discovered metadata issuer does not match the expected issuer')
      expect(err.cause).toMatchObject({ expected: `${server.origin}/`, attribute: 'issuer' })
    })
  }

  it('dynamicClientRegistration fails the same way, before registering', async () => {
    server.script((_req, res) => json(res, 200, { issuer: 'not a url' }))
    const err = await rejection(
      dynamicClientRegistration(
        new URL(server.origin),
        { redirect_uris: ['https://rp/cb'] },
        undefined,
        insecure,
      ),
    )
    expectCoded(err, 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED')
    expect(server.requests).toHaveLength(1)
  })
})

describe('a JSON document nested deeper than 100 levels (D33)', () => {
  it('as discovery metadata is OAUTH_INVALID_RESPONSE, not an argument error, and prints', async () => {
    const body = `{"issuer":${JSON.stringify(`${server.origin}/`)},"x":${deep(100_000)}}`
    server.script((_req, res) => send(res, 200, body, { 'content-type': 'application/json' }))
    const err = await rejection(discovery(new URL(server.origin), 'client', undefined, undefined, insecure))
    expectCoded(err, 'OAUTH_INVALID_RESPONSE')
    expect(messages(err)).toContain('"response" body is nested deeper than 100 levels')
  })

  it('100 levels are accepted (the member at the bottom is 99 below the body)', async () => {
    const body = `{"issuer":${JSON.stringify(`${server.origin}/`)},"x":${deep(99)}}`
    server.script((_req, res) => send(res, 200, body, { 'content-type': 'application/json' }))
    const config = await discovery(new URL(server.origin), 'client', undefined, undefined, insecure)
    expect(config.serverMetadata().issuer).toBe(`${server.origin}/`)
  })

  it('101 levels are refused', async () => {
    const body = `{"issuer":${JSON.stringify(`${server.origin}/`)},"x":${deep(100)}}`
    server.script((_req, res) => send(res, 200, body, { 'content-type': 'application/json' }))
    const err = await rejection(discovery(new URL(server.origin), 'client', undefined, undefined, insecure))
    expectCoded(err, 'OAUTH_INVALID_RESPONSE')
  })

  it('as a registration response is OAUTH_INVALID_RESPONSE', async () => {
    server.script((req, res) => {
      if (req.method === 'GET') {
        json(res, 200, { issuer: `${server.origin}/`, registration_endpoint: `${server.origin}/register` })
      } else {
        send(res, 201, `{"client_id":"c","x":${deep(100_000)}}`, { 'content-type': 'application/json' })
      }
    })
    const err = await rejection(
      dynamicClientRegistration(
        new URL(server.origin),
        { redirect_uris: ['https://rp/cb'] },
        undefined,
        insecure,
      ),
    )
    expectCoded(err, 'OAUTH_INVALID_RESPONSE')
  })

  it('as an error body is no OAuth error: the status error remains, printable', async () => {
    server.script((_req, res) =>
      send(res, 400, `{"error":"invalid_grant","x":${deep(100_000)}}`, {
        'content-type': 'application/json',
      }),
    )
    const err = await rejection(genericGrantRequest(configurationFor(server), 'urn:example:grant', {}))
    expectCoded(err, 'OAUTH_RESPONSE_IS_NOT_CONFORM')
  })

  it('in a JWT payload is OAUTH_INVALID_RESPONSE', async () => {
    const config = introspectionConfig()
    const now = Math.floor(Date.now() / 1000)
    const token = unsignedJwt(
      { alg: 'ES256', typ: 'token-introspection+jwt' },
      `{"iss":${JSON.stringify(server.origin)},"aud":"${CLIENT_ID}","iat":${now},"x":${deep(100_000)}}`,
    )
    server.script((_req, res) =>
      send(res, 200, token, { 'content-type': 'application/token-introspection+jwt' }),
    )
    const err = await rejection(tokenIntrospection(config, 'tok'))
    expectCoded(err, 'OAUTH_INVALID_RESPONSE')
  })
})

describe('"Invalid JWT" keeps only the length of what stood where a JWT belongs (D27)', () => {
  const SECRET = 'IDT-SECRET-never-print.part2'

  it('an id_token of two segments', async () => {
    server.script((_req, res) =>
      json(res, 200, { access_token: 'at', token_type: 'bearer', id_token: SECRET }),
    )
    const err = await rejection(genericGrantRequest(configurationFor(server), 'urn:example:grant', {}))
    expectCoded(err, 'OAUTH_INVALID_RESPONSE')
    expect(messages(err)).toContain('Invalid JWT')
    expect(printed(err)).not.toContain('never-print')
    expect(printed(err)).toContain(`[redacted: ${SECRET.length} characters]`)
  })

  it('a JWT introspection body of six segments', async () => {
    const token = `x.${SECRET}.c.d.e`
    server.script((_req, res) =>
      send(res, 200, token, { 'content-type': 'application/token-introspection+jwt' }),
    )
    const err = await rejection(tokenIntrospection(introspectionConfig(), 'tok'))
    expectCoded(err, 'OAUTH_INVALID_RESPONSE')
    expect(printed(err)).not.toContain('never-print')
  })
})

// --- signed JWTs and a JWKS served by the scripted server ---

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const PUBLIC_JWK = { ...publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'ES256', use: 'sig' }
const PRIVATE_D = privateKey.export({ format: 'jwk' }).d!

const b64 = (text: string) => Buffer.from(text).toString('base64url')

function signedJwt(header: object, claims: object): string {
  const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(claims))}`
  const signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' })
  return `${input}.${signature.toString('base64url')}`
}

function unsignedJwt(header: object, payload: string): string {
  return `${b64(JSON.stringify(header))}.${b64(payload)}.${b64('not a signature')}`
}

function introspectionConfig() {
  return configurationFor(server, {
    server: { introspection_endpoint: `${server.origin}/introspect`, jwks_uri: `${server.origin}/jwks` },
    metadata: { introspection_signed_response_alg: 'ES256' },
  })
}

const introspectionClaims = (tokenIntrospection: unknown) => ({
  iss: server.origin,
  aud: CLIENT_ID,
  iat: Math.floor(Date.now() / 1000),
  token_introspection: tokenIntrospection,
})

/** Answers JWT introspection with `jwt`, and the JWKS with `keys`. */
function serveIntrospection(jwt: string, keys: unknown[]) {
  server.script((req, res) => {
    if (req.url === '/jwks') json(res, 200, { keys })
    else send(res, 200, jwt, { 'content-type': 'application/token-introspection+jwt' })
  })
}

describe('JWKS keys that cannot verify (D35)', () => {
  const header = { alg: 'ES256', typ: 'token-introspection+jwt', kid: 'k1' }

  it('a key that carries its private part ("d") is no candidate, and "d" is never printed', async () => {
    const config = introspectionConfig()
    enableNonRepudiationChecks(config)
    serveIntrospection(signedJwt(header, introspectionClaims({ active: true })), [
      { ...PUBLIC_JWK, d: PRIVATE_D },
    ])
    const err = await rejection(tokenIntrospection(config, 'tok'))
    expectCoded(err, 'OAUTH_KEY_SELECTION_FAILED')
    expect(printed(err)).not.toContain(PRIVATE_D)
  })

  it('the same key without "d" verifies', async () => {
    const config = introspectionConfig()
    enableNonRepudiationChecks(config)
    serveIntrospection(signedJwt(header, introspectionClaims({ active: true })), [PUBLIC_JWK])
    await expect(tokenIntrospection(config, 'tok')).resolves.toEqual({ active: true })
  })

  it('a key WebCrypto refuses to import (a point off the curve) is OAUTH_INVALID_RESPONSE', async () => {
    const config = introspectionConfig()
    enableNonRepudiationChecks(config)
    serveIntrospection(signedJwt(header, introspectionClaims({ active: true })), [
      { ...PUBLIC_JWK, x: 'AAAA' },
    ])
    const err = await rejection(tokenIntrospection(config, 'tok'))
    expectCoded(err, 'OAUTH_INVALID_RESPONSE')
    expect(messages(err)).toContain('the selected JWK could not be imported as a verification key')
  })
})

describe('JWT introspection', () => {
  it('a body stream that fails is OAUTH_PARSE_ERROR, as on the JSON path', async () => {
    server.script((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/token-introspection+jwt', 'content-length': '1000' })
      res.write('eyJhbGciOi', () => setTimeout(() => res.socket?.destroy(), 10))
    })
    const err = await rejection(tokenIntrospection(introspectionConfig(), 'tok'))
    expectCoded(err, 'OAUTH_PARSE_ERROR')
  })

  it('the JSON path gives the same code for the same failure', async () => {
    server.script((_req, res) => resetMidBody(res, 200, '{"active":tr'))
    const err = await rejection(tokenIntrospection(introspectionConfig(), 'tok'))
    expectCoded(err, 'OAUTH_PARSE_ERROR')
  })

  it('with non-repudiation on, "active" is checked before the signature (no JWKS request)', async () => {
    const config = introspectionConfig()
    enableNonRepudiationChecks(config)
    server.script((req, res) => {
      if (req.url === '/jwks') send(res, 404, '')
      else {
        const token = unsignedJwt(
          { alg: 'ES256', typ: 'token-introspection+jwt', kid: 'k1' },
          JSON.stringify(introspectionClaims({ scope: 'a' })),
        )
        send(res, 200, token, { 'content-type': 'application/token-introspection+jwt' })
      }
    })
    const err = await rejection(tokenIntrospection(config, 'tok'))
    expectCoded(err, 'OAUTH_INVALID_RESPONSE')
    expect(messages(err)).toContain('"response" body "active" property must be a boolean')
    expect(server.requests.map((r) => r.url)).toEqual(['/introspect'])
  })
})

describe('device authorization', () => {
  it('an empty verification_uri_complete is OAUTH_INVALID_RESPONSE, as in openid-client', async () => {
    const config = configurationFor(server, {
      server: { device_authorization_endpoint: `${server.origin}/device` },
    })
    server.script((_req, res) =>
      json(res, 200, {
        device_code: 'dc',
        user_code: 'uc',
        verification_uri: 'https://as/device',
        verification_uri_complete: '',
        expires_in: 600,
      }),
    )
    const err = await rejection(initiateDeviceAuthorization(config, {}))
    expectCoded(err, 'OAUTH_INVALID_RESPONSE')
    expect(messages(err)).toContain('"response" body "verification_uri_complete" property must not be empty')
  })
})

describe('Retry-After delay-seconds beyond 2^53-1 are invalid (D36)', () => {
  it.each([
    ['2^53-1', '9007199254740991', 9007199254740991],
    ['2^53', '9007199254740992', undefined],
    ['16 nines', '9999999999999999', undefined],
    ['400 nines', '9'.repeat(400), undefined],
    ['120', '120', 120],
  ])('%s', (_name, value, expected) => {
    expect(parseRetryAfter(value)).toBe(expected)
  })
})
