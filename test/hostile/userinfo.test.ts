// fetchUserInfo against a scripted server that answers for another user, with junk, with bad signatures and
// with DPoP nonce challenges: each failure has its class and code, and neither the access token nor the client's
// secret appears in any error, however it is printed. (Outcome-by-outcome agreement with openid-client is in
// userinfo-differential.test.ts.)

import { createHash } from 'node:crypto'
import { inspect } from 'node:util'
import { CompactSign, exportJWK, generateKeyPair } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ClientError,
  ClientSecretBasic,
  Configuration,
  allowInsecureRequests,
  WWWAuthenticateChallengeError,
  enableNonRepudiationChecks,
  fetchUserInfo,
  getDPoPHandle,
  randomDPoPKeyPair,
  skipSubjectCheck,
  type ClientMetadata,
} from '../../src/index.js'
import {
  CLIENT_SECRET,
  configurationFor,
  json,
  resetMidBody,
  send,
  startScriptedServer,
  type RecordedRequest,
  type ScriptedServer,
} from '../support/scripted-server.js'
import { expectNoSecret, goodClaims, rejection } from './support.js'
import type { Failure } from '../support/expect.js'

/** An access token distinctive enough to be found in any printout. */
const TOKEN = 'AT-userinfo-hostile-7f3a9c-never-print'

let server: ScriptedServer
let signingKey: CryptoKey
let otherKey: CryptoKey
let publicJwk: Record<string, unknown>

beforeAll(async () => {
  server = await startScriptedServer()
  const pair = await generateKeyPair('ES256', { extractable: true })
  signingKey = pair.privateKey as CryptoKey
  otherKey = (await generateKeyPair('ES256')).privateKey as CryptoKey
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }
})
afterAll(async () => {
  await server.close()
})

function config(metadata: Partial<ClientMetadata> = {}): Configuration {
  return configurationFor(server, {
    server: {
      userinfo_endpoint: `${server.origin}/userinfo`,
      jwks_uri: `${server.origin}/jwks`,
      userinfo_signing_alg_values_supported: ['ES256'],
    },
    metadata,
  })
}

/** Scripts the server: `/jwks` serves the signing key, `/userinfo` what the test says. */
function userinfo(
  handler: (res: Parameters<Parameters<ScriptedServer['script']>[0]>[1], index: number) => void,
) {
  let index = 0
  server.script((_req, res, recorded) => {
    if (recorded.url === '/jwks') return json(res, 200, { keys: [publicJwk] })
    handler(res, index++)
  })
}

const userinfoRequests = (from: number): RecordedRequest[] =>
  server.requests.slice(from).filter((r) => r.url === '/userinfo')

async function signed(claims: Record<string, unknown>, key = signingKey) {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
    .sign(key)
}

/** Neither the access token nor any form of the client secret, in any printout of the error and its causes. */
function expectNothingSecret(err: unknown) {
  expectNoSecret(err)
  const printouts = [
    String(err),
    inspect(err, { depth: 20 }),
    inspect(err, { depth: 20, showHidden: true }),
    JSON.stringify(err) ?? '',
  ]
  let cause: unknown = err
  for (let depth = 0; depth < 5 && cause instanceof Error; depth++) {
    cause = cause.cause
    try {
      printouts.push(JSON.stringify(cause) ?? '')
    } catch {
      // a cycle cannot be serialised, so it cannot leak that way either
    }
  }
  for (const text of printouts) {
    expect(text).not.toContain(TOKEN)
    expect(text).not.toContain(CLIENT_SECRET)
  }
}

describe('hostile UserInfo responses', () => {
  it('claims about another user: OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED with the expected sub', async () => {
    userinfo((res) => json(res, 200, { sub: 'mallory', email: 'mallory@example.test' }))
    const err = await rejection(fetchUserInfo(config(), TOKEN, 'alice'))
    expect(err).toBeInstanceOf(ClientError)
    expect(err.code).toBe('OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED')
    expect((err.cause as Failure).cause).toMatchObject({
      expected: 'alice',
      attribute: 'sub',
      body: { sub: 'mallory' },
    })
    expectNothingSecret(err)
  })

  it('a body that echoes the access token and the client secret: both are redacted in the cause (D82)', async () => {
    userinfo((res) =>
      json(res, 200, {
        sub: 'mallory',
        note: `you sent ${TOKEN} and we know ${CLIENT_SECRET}`,
        access_token: TOKEN,
        nested: { secret: encodeURIComponent(CLIENT_SECRET) },
      }),
    )
    const err = await rejection(fetchUserInfo(config(), TOKEN, 'alice'))
    expect(err.code).toBe('OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED')
    const body = ((err.cause as Failure).cause as Failure).body
    expect(body.sub).toBe('mallory')
    expect(body.access_token).toBe(`[redacted: ${TOKEN.length} characters]`)
    expect(body.note).toContain('[redacted: ')
    expectNothingSecret(err)
  })

  it('the same echo with ClientSecretBasic: the secret given to the auth function is redacted too', async () => {
    userinfo((res) => json(res, 200, { sub: 'mallory', echo: CLIENT_SECRET }))
    // no client_secret in the metadata: the secret lives only in the authentication function
    const cfg = new Configuration(
      { issuer: server.origin, userinfo_endpoint: `${server.origin}/userinfo` },
      'client-basic',
      {},
      ClientSecretBasic(CLIENT_SECRET),
    )
    allowInsecureRequests(cfg)
    const err = await rejection(fetchUserInfo(cfg, TOKEN, 'alice'))
    expect(err.code).toBe('OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED')
    expectNothingSecret(err)
  })

  it('a JSON sub of another user on success is never silently accepted, but skipSubjectCheck takes it', async () => {
    userinfo((res) => json(res, 200, { sub: 'mallory' }))
    await expect(fetchUserInfo(config(), TOKEN, 'alice')).rejects.toThrow(ClientError)
    await expect(fetchUserInfo(config(), TOKEN, skipSubjectCheck)).resolves.toEqual({ sub: 'mallory' })
  })

  it('not JSON: OAUTH_RESPONSE_IS_NOT_JSON (wrong content-type) or OAUTH_PARSE_ERROR (JSON content-type)', async () => {
    userinfo((res) => send(res, 200, `<p>${TOKEN}</p>`, { 'content-type': 'text/html' }))
    const html = await rejection(fetchUserInfo(config(), TOKEN, 'alice'))
    expect(html).toBeInstanceOf(ClientError)
    expect(html.code).toBe('OAUTH_RESPONSE_IS_NOT_JSON')
    expect(html.cause).toBeInstanceOf(Response)
    expectNothingSecret(html)

    userinfo((res) => send(res, 200, `{"sub":"alice",${TOKEN}`, { 'content-type': 'application/json' }))
    const broken = await rejection(fetchUserInfo(config(), TOKEN, 'alice'))
    expect(broken.code).toBe('OAUTH_PARSE_ERROR')
    expectNothingSecret(broken)
  })

  it('a JWT whose signature is not the issuer’s, with non-repudiation checks: OAUTH_INVALID_RESPONSE', async () => {
    userinfo((res, _i) => {
      void signed(goodClaims(server.origin, { sub: 'alice' }), otherKey).then((jwt) =>
        send(res, 200, jwt, { 'content-type': 'application/jwt' }),
      )
    })
    const cfg = config()
    enableNonRepudiationChecks(cfg)
    const err = await rejection(fetchUserInfo(cfg, TOKEN, 'alice'))
    expect(err).toBeInstanceOf(ClientError)
    expect(err.code).toBe('OAUTH_INVALID_RESPONSE')
    expect((err.cause as Error).message).toBe('JWT signature verification failed')
    expectNothingSecret(err)
  })

  it('a JWT for another client or from another issuer: OAUTH_JWT_CLAIM_COMPARISON_FAILED', async () => {
    for (const overrides of [{ aud: 'someone-else' }, { iss: 'https://evil.example' }]) {
      userinfo((res) => {
        void signed(goodClaims(server.origin, { sub: 'alice', ...overrides })).then((jwt) =>
          send(res, 200, jwt, { 'content-type': 'application/jwt' }),
        )
      })
      const err = await rejection(fetchUserInfo(config(), TOKEN, 'alice'))
      expect(err.code).toBe('OAUTH_JWT_CLAIM_COMPARISON_FAILED')
      expectNothingSecret(err)
    }
  })

  it('a JWT the client registered for, sent as application/json: OAUTH_JWT_USERINFO_EXPECTED', async () => {
    userinfo((res) => {
      void signed(goodClaims(server.origin, { sub: 'alice' })).then((jwt) =>
        send(res, 200, jwt, { 'content-type': 'application/json' }),
      )
    })
    const err = await rejection(
      fetchUserInfo(config({ userinfo_signed_response_alg: 'ES256' }), TOKEN, 'alice'),
    )
    expect(err.code).toBe('OAUTH_JWT_USERINFO_EXPECTED')
    expect((err.cause as Failure).cause).toBeInstanceOf(Response)
  })

  it('a connection reset mid-body: OAUTH_PARSE_ERROR on both paths (D37)', async () => {
    userinfo((res) => resetMidBody(res, 200, '{"sub":"al'))
    const jsonErr = await rejection(fetchUserInfo(config(), TOKEN, 'alice'))
    expect(jsonErr.code).toBe('OAUTH_PARSE_ERROR')
    server.script((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/jwt', 'content-length': '1000' })
      res.write('eyJhbGciOi', () => setTimeout(() => res.socket?.destroy(), 10))
    })
    const jwtErr = await rejection(fetchUserInfo(config(), TOKEN, 'alice'))
    expect(jwtErr).toBeInstanceOf(ClientError)
    expect(jwtErr.code).toBe('OAUTH_PARSE_ERROR')
    expectNothingSecret(jwtErr)
  })

  it('a body over 1 MiB (JSON or JWT) or JSON nested past 100 levels is refused: OAUTH_INVALID_RESPONSE (D9, D33)', async () => {
    const huge = `{"sub":"alice","pad":"${'x'.repeat(1100 * 1024)}"}`
    for (const contentType of ['application/json', 'application/jwt']) {
      userinfo((res) => send(res, 200, huge, { 'content-type': contentType }))
      const err = await rejection(fetchUserInfo(config(), TOKEN, 'alice'))
      expect(err).toBeInstanceOf(ClientError)
      expect(err.code).toBe('OAUTH_INVALID_RESPONSE')
    }
    userinfo((res) => send(res, 200, `{"sub":"alice","deep":${'['.repeat(150)}${']'.repeat(150)}}`))
    const deep = await rejection(fetchUserInfo(config(), TOKEN, 'alice'))
    expect(deep.code).toBe('OAUTH_INVALID_RESPONSE')
    expect((deep.cause as Error).message).toBe('"response" body is nested deeper than 100 levels')
  })

  it('a 401 challenge is a WWWAuthenticateChallengeError whose response body stays readable', async () => {
    userinfo((res) =>
      send(res, 401, `token ${TOKEN} is expired`, {
        'www-authenticate': 'Bearer error="invalid_token", error_description="The access token expired"',
      }),
    )
    const err = await rejection(fetchUserInfo(config(), TOKEN, 'alice'))
    expect(err).toBeInstanceOf(WWWAuthenticateChallengeError)
    expect(err.code).toBe('OAUTH_WWW_AUTHENTICATE_CHALLENGE')
    expect(err.status).toBe(401)
    expect(err.cause).toEqual([
      {
        scheme: 'bearer',
        parameters: { error: 'invalid_token', error_description: 'The access token expired' },
      },
    ])
    // the server's own words are the caller's to read, on the non-enumerable response
    expect(await (err.response as Response).text()).toContain('is expired')
    expectNothingSecret(err)
  })

  it('an error status without a challenge is OAUTH_RESPONSE_IS_NOT_CONFORM, never a ResponseBodyError', async () => {
    userinfo((res) => json(res, 400, { error: 'invalid_token', error_description: TOKEN }))
    const err = await rejection(fetchUserInfo(config(), TOKEN, 'alice'))
    expect(err).toBeInstanceOf(ClientError)
    expect(err.code).toBe('OAUTH_RESPONSE_IS_NOT_CONFORM')
    expect((err.cause as Response).status).toBe(400)
    expectNothingSecret(err)
  })
})

describe('DPoP-bound access tokens', () => {
  function decode(segment: string) {
    return JSON.parse(Buffer.from(segment, 'base64url').toString()) as Record<string, unknown>
  }

  it('401 with a DPoP nonce challenge: one retry, whose proof carries the nonce, then the claims', async () => {
    userinfo((res, i) =>
      i === 0
        ? send(res, 401, '', {
            'www-authenticate': 'DPoP error="use_dpop_nonce", error_description="nonce required"',
            'dpop-nonce': 'server-nonce-1',
          })
        : json(res, 200, { sub: 'alice' }),
    )
    const from = server.requests.length
    const cfg = config()
    const DPoP = getDPoPHandle(cfg, await randomDPoPKeyPair())
    await expect(fetchUserInfo(cfg, TOKEN, 'alice', { DPoP })).resolves.toEqual({ sub: 'alice' })

    const seen = userinfoRequests(from)
    expect(seen).toHaveLength(2)
    const ath = createHash('sha256').update(TOKEN).digest('base64url')
    const proofs = seen.map((r) => {
      expect(r.method).toBe('GET')
      expect(r.headers.authorization).toBe(`DPoP ${TOKEN}`)
      const [header, payload] = String(r.headers.dpop).split('.')
      return { header: decode(header!), payload: decode(payload!) }
    })
    for (const { header, payload } of proofs) {
      expect(header).toMatchObject({ typ: 'dpop+jwt', alg: 'ES256' })
      expect(payload).toMatchObject({ htm: 'GET', htu: `${server.origin}/userinfo`, ath })
    }
    expect(proofs[0]!.payload['nonce']).toBeUndefined()
    expect(proofs[1]!.payload['nonce']).toBe('server-nonce-1')
    expect(proofs[1]!.payload['jti']).not.toBe(proofs[0]!.payload['jti'])
  })

  it('a second nonce challenge reaches the caller as the WWWAuthenticateChallengeError; no third request', async () => {
    userinfo((res, i) =>
      send(res, 401, '', { 'www-authenticate': 'DPoP error="use_dpop_nonce"', 'dpop-nonce': `nonce-${i}` }),
    )
    const from = server.requests.length
    const cfg = config()
    const DPoP = getDPoPHandle(cfg, await randomDPoPKeyPair())
    const err = await rejection(fetchUserInfo(cfg, TOKEN, 'alice', { DPoP }))
    expect(err).toBeInstanceOf(WWWAuthenticateChallengeError)
    expect((err.cause as unknown[])[0]).toMatchObject({
      scheme: 'dpop',
      parameters: { error: 'use_dpop_nonce' },
    })
    expect(userinfoRequests(from)).toHaveLength(2)
    expectNothingSecret(err)
  })

  it('the nonce learnt is used by the next call at once', async () => {
    userinfo((res, i) =>
      i === 0
        ? send(res, 401, '', { 'www-authenticate': 'DPoP error="use_dpop_nonce"', 'dpop-nonce': 'n-1' })
        : json(res, 200, { sub: 'alice' }, { 'dpop-nonce': 'n-2' }),
    )
    const cfg = config()
    const DPoP = getDPoPHandle(cfg, await randomDPoPKeyPair())
    await fetchUserInfo(cfg, TOKEN, 'alice', { DPoP })
    const from = server.requests.length
    await fetchUserInfo(cfg, TOKEN, 'alice', { DPoP })
    const [only] = userinfoRequests(from)
    expect(decode(String(only!.headers.dpop).split('.')[1]!)['nonce']).toBe('n-2')
    expect(userinfoRequests(from)).toHaveLength(1)
  })
})
