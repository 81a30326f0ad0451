import { inspect } from 'node:util'
import type { ServerResponse } from 'node:http'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import * as gl from '../../src/index.js'
import {
  CLIENT_ID,
  CLIENT_SECRET,
  configurationFor,
  json,
  startScriptedServer,
  type ScriptedServer,
} from '../support/scripted-server.js'
import { expectNoSecret, rejection } from './support.js'
import { clientEncryptionKey, halfHash, idTokenClaims, issuerKeys, signJwt } from './callback-support.js'

/**
 * Hostile authorization responses and token responses for the callback: every failure is asserted by class,
 * `code` and message, no token request is made when the callback itself is refused, and nothing secret (client
 * secret, authorization code, PKCE verifier, tokens) shows in the error, its causes, `String`, `JSON.stringify`
 * or `util.inspect`.
 */

const CODE = 'authz-code-SECRET-4f9c2a'
const VERIFIER = 'pkce-verifier-SECRET-0123456789abcdefghijklmnopqrstuvwxyz'
const ACCESS_TOKEN = 'access-token-SECRET-77aa'
const STATE = 'state-1'
const NONCE = 'nonce-1'
const CALLBACK = 'https://rp.example.com/cb'

let server: ScriptedServer
const keys = issuerKeys()
let token: (res: ServerResponse) => void

beforeAll(async () => {
  server = await startScriptedServer((req, res) => {
    if (req.url === '/jwks') return json(res, 200, keys.jwks)
    token(res)
  })
})
afterAll(async () => {
  await server.close()
})
beforeEach(() => {
  token = (res) => json(res, 200, { access_token: ACCESS_TOKEN, token_type: 'Bearer', expires_in: 300 })
})

function config(serverExtra: Record<string, unknown> = {}, metadata: Partial<gl.ClientMetadata> = {}) {
  return configurationFor(server, {
    server: {
      jwks_uri: `${server.origin}/jwks`,
      authorization_endpoint: `${server.origin}/authorize`,
      id_token_signing_alg_values_supported: ['ES256'],
      authorization_signing_alg_values_supported: ['ES256'],
      ...serverExtra,
    },
    metadata,
  })
}

function callback(params: Record<string, string>, where: 'query' | 'fragment' = 'query'): URL {
  const url = new URL(CALLBACK)
  const encoded = new URLSearchParams(params).toString()
  if (where === 'query') url.search = encoded
  else url.hash = encoded
  return url
}

const tokenRequests = () => server.requests.filter((r) => r.url === '/token').length

/** Nothing secret anywhere a logger could print it. */
function expectNothingSecret(err: unknown, extra: string[] = []) {
  expectNoSecret(err)
  const texts = [String(err), inspect(err, { depth: 8, showHidden: false })]
  try {
    texts.push(JSON.stringify(err))
  } catch {
    // not serialisable: cannot leak that way
  }
  for (let current: unknown = err; current instanceof Error; current = current.cause) {
    texts.push(current.message, inspect(current.cause, { depth: 8 }))
  }
  for (const text of texts) {
    for (const secret of [CLIENT_SECRET, CODE, VERIFIER, ACCESS_TOKEN, ...extra]) {
      expect(text).not.toContain(secret)
    }
  }
}

async function refused(promise: Promise<unknown>, code: string, causeMessage?: string | RegExp) {
  const err = await rejection(promise)
  expect(err).toBeInstanceOf(gl.ClientError)
  expect(err.code).toBe(code)
  if (causeMessage !== undefined) expect((err.cause as Error).message).toMatch(causeMessage)
  expectNothingSecret(err)
  return err
}

describe('plain code responses', () => {
  it('a tampered state is refused before the code is spent', async () => {
    const before = tokenRequests()
    await refused(
      gl.authorizationCodeGrant(config(), callback({ code: CODE, state: 'attacker' }), {
        expectedState: STATE,
        pkceCodeVerifier: VERIFIER,
      }),
      'OAUTH_INVALID_RESPONSE',
      'unexpected "state" response parameter value',
    )
    expect(tokenRequests()).toBe(before)
  })

  it('a missing state, and a state nobody expected', async () => {
    await refused(
      gl.authorizationCodeGrant(config(), callback({ code: CODE }), { expectedState: STATE }),
      'OAUTH_INVALID_RESPONSE',
      'response parameter "state" missing',
    )
    await refused(
      gl.authorizationCodeGrant(config(), callback({ code: CODE, state: STATE })),
      'OAUTH_INVALID_RESPONSE',
      'unexpected "state" response parameter encountered',
    )
  })

  it('a repeated state or code parameter is refused', async () => {
    const url = callback({ code: CODE, state: STATE })
    url.searchParams.append('state', STATE)
    await refused(
      gl.authorizationCodeGrant(config(), url, { expectedState: STATE }),
      'OAUTH_INVALID_RESPONSE',
      '"state" parameter must be provided only once',
    )
  })

  it('RFC 9207: a missing iss when the server advertises it, and a foreign iss always', async () => {
    const before = tokenRequests()
    const advertised = config({ authorization_response_iss_parameter_supported: true })
    const missing = await refused(
      gl.authorizationCodeGrant(advertised, callback({ code: CODE, state: STATE }), { expectedState: STATE }),
      'OAUTH_INVALID_RESPONSE',
      'response parameter "iss" (issuer) missing',
    )
    // The cause keeps the parameters, the code redacted.
    const parameters = (missing.cause as { cause: { parameters: URLSearchParams } }).cause.parameters
    expect(parameters.get('state')).toBe(STATE)
    expect(parameters.get('code')).toBe(`[redacted: ${CODE.length} characters]`)
    await refused(
      gl.authorizationCodeGrant(
        config(),
        callback({ code: CODE, state: STATE, iss: 'https://evil.example.com' }),
        { expectedState: STATE },
      ),
      'OAUTH_INVALID_RESPONSE',
      'unexpected "iss" (issuer) response parameter value',
    )
    expect(tokenRequests()).toBe(before)
  })

  it('an error response is an AuthorizationResponseError', async () => {
    const err = await rejection(
      gl.authorizationCodeGrant(
        config(),
        callback({ error: 'access_denied', error_description: 'The user said no', state: STATE }),
        { expectedState: STATE },
      ),
    )
    expect(err).toBeInstanceOf(gl.AuthorizationResponseError)
    expect(err.code).toBe('OAUTH_AUTHORIZATION_RESPONSE_ERROR')
    expect(err.message).toBe('authorization response from the server is an error')
    expect(err.error).toBe('access_denied')
    expect(err.error_description).toBe('The user said no')
    expect(err.cause).toBeInstanceOf(URLSearchParams)
    expectNothingSecret(err)
  })

  it('a forged error response with a wrong state is a state error, not an AuthorizationResponseError', async () => {
    await refused(
      gl.authorizationCodeGrant(config(), callback({ error: 'access_denied', state: 'forged' }), {
        expectedState: STATE,
      }),
      'OAUTH_INVALID_RESPONSE',
      'unexpected "state" response parameter value',
    )
  })

  it('a replayed code: the server says invalid_grant, a ResponseBodyError without the code or verifier', async () => {
    token = (res) => json(res, 400, { error: 'invalid_grant', error_description: 'grant request is invalid' })
    const err = await rejection(
      gl.authorizationCodeGrant(config(), callback({ code: CODE, state: STATE }), {
        expectedState: STATE,
        pkceCodeVerifier: VERIFIER,
      }),
    )
    expect(err).toBeInstanceOf(gl.ResponseBodyError)
    expect(err.code).toBe('OAUTH_RESPONSE_BODY_ERROR')
    expect(err.error).toBe('invalid_grant')
    expect(err.status).toBe(400)
    expectNothingSecret(err)
    // The exchange itself carried the code, the verifier and the redirect_uri without its query.
    const sent = new URLSearchParams(server.requests.at(-1)!.body)
    expect(sent.get('grant_type')).toBe('authorization_code')
    expect(sent.get('code')).toBe(CODE)
    expect(sent.get('code_verifier')).toBe(VERIFIER)
    expect(sent.get('redirect_uri')).toBe(CALLBACK)
  })

  it('DPoP: a use_dpop_nonce answer is retried once with the same code and a proof carrying the nonce', async () => {
    let calls = 0
    token = (res) => {
      calls++
      if (calls === 1) {
        return json(res, 400, { error: 'use_dpop_nonce' }, { 'dpop-nonce': 'nonce-from-server' })
      }
      json(res, 200, { access_token: ACCESS_TOKEN, token_type: 'DPoP' })
    }
    const c = config()
    const DPoP = gl.getDPoPHandle(c, await gl.randomDPoPKeyPair())
    const before = server.requests.length
    const tokens = await gl.authorizationCodeGrant(
      c,
      callback({ code: CODE }),
      { pkceCodeVerifier: VERIFIER },
      undefined,
      {
        DPoP,
      },
    )
    expect(tokens.token_type).toBe('dpop')
    const sent = server.requests.slice(before).filter((r) => r.url === '/token')
    expect(sent).toHaveLength(2)
    for (const request of sent) expect(new URLSearchParams(request.body).get('code')).toBe(CODE)
    const proof = JSON.parse(
      Buffer.from(String(sent[1]!.headers['dpop']).split('.')[1]!, 'base64url').toString(),
    )
    expect(proof.nonce).toBe('nonce-from-server')
  })

  it('a response that also carries an id_token or token is not a code response', async () => {
    await refused(
      gl.authorizationCodeGrant(config(), callback({ code: CODE, id_token: 'x.y.z' })),
      'OAUTH_UNSUPPORTED_OPERATION',
    )
  })
})

describe('the token endpoint ID Token', () => {
  const withIdToken = (claims: Record<string, unknown>, accessToken = ACCESS_TOKEN) => {
    token = (res) =>
      json(res, 200, {
        access_token: accessToken,
        token_type: 'Bearer',
        id_token: signJwt(keys.privateKey, claims),
      })
  }

  it('a wrong nonce', async () => {
    withIdToken(idTokenClaims(server.origin, { nonce: 'replayed-nonce' }))
    const err = await refused(
      gl.authorizationCodeGrant(config(), callback({ code: CODE }), { expectedNonce: NONCE }),
      'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
      'unexpected ID Token "nonce" claim value',
    )
    expect(err.message).toBe('unexpected JWT claim value encountered')
  })

  it('a nonce nobody asked for, and a missing one', async () => {
    withIdToken(idTokenClaims(server.origin, { nonce: NONCE }))
    await refused(
      gl.authorizationCodeGrant(config(), callback({ code: CODE })),
      'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
      'unexpected ID Token "nonce" claim value',
    )
    withIdToken(idTokenClaims(server.origin))
    await refused(
      gl.authorizationCodeGrant(config(), callback({ code: CODE }), { expectedNonce: NONCE }),
      'OAUTH_INVALID_RESPONSE',
      'JWT "nonce" (nonce) claim missing',
    )
  })

  it('no ID Token when one is expected', async () => {
    await refused(
      gl.authorizationCodeGrant(config(), callback({ code: CODE }), { idTokenExpected: true }),
      'OAUTH_INVALID_RESPONSE',
      '"response" body "id_token" property must be a string',
    )
  })

  it('max_age: an authentication too long ago', async () => {
    const now = Math.floor(Date.now() / 1000)
    withIdToken(idTokenClaims(server.origin, { nonce: NONCE, auth_time: now - 3600 }))
    await refused(
      gl.authorizationCodeGrant(config(), callback({ code: CODE }), { expectedNonce: NONCE, maxAge: 60 }),
      'OAUTH_JWT_TIMESTAMP_CHECK_FAILED',
      'too much time has elapsed since the last End-User authentication',
    )
  })

  it('a wrong at_hash (D74), while the right one passes', async () => {
    withIdToken(idTokenClaims(server.origin, { nonce: NONCE, at_hash: halfHash('another-token') }))
    await refused(
      gl.authorizationCodeGrant(config(), callback({ code: CODE }), { expectedNonce: NONCE }),
      'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
      'invalid ID Token "at_hash" (access token hash) claim value',
    )
    withIdToken(idTokenClaims(server.origin, { nonce: NONCE, at_hash: halfHash(ACCESS_TOKEN) }))
    const tokens = await gl.authorizationCodeGrant(config(), callback({ code: CODE }), {
      expectedNonce: NONCE,
    })
    expect(tokens.claims()?.nonce).toBe(NONCE)
  })

  it('an ID Token for another client or from another issuer', async () => {
    withIdToken(idTokenClaims(server.origin, { nonce: NONCE, aud: 'someone-else' }))
    await refused(
      gl.authorizationCodeGrant(config(), callback({ code: CODE }), { expectedNonce: NONCE }),
      'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
      'unexpected JWT "aud" (audience) claim value',
    )
    withIdToken(idTokenClaims('https://evil.example.com', { nonce: NONCE }))
    await refused(
      gl.authorizationCodeGrant(config(), callback({ code: CODE }), { expectedNonce: NONCE }),
      'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
      'unexpected JWT "iss" (issuer) claim value',
    )
  })
})

describe('hybrid (code id_token)', () => {
  const hybridConfig = (detached = false) => {
    const c = config()
    gl.useCodeIdTokenResponseType(c)
    if (detached) gl.enableDetachedSignatureResponseChecks(c)
    return c
  }
  const hybridCallback = (
    claims: Record<string, unknown>,
    extra: Record<string, string> = {},
    key = keys.privateKey,
  ) => callback({ code: CODE, state: STATE, id_token: signJwt(key, claims), ...extra }, 'fragment')
  const good = (overrides: Record<string, unknown> = {}) =>
    idTokenClaims(server.origin, {
      nonce: NONCE,
      c_hash: halfHash(CODE),
      s_hash: halfHash(STATE),
      ...overrides,
    })

  it('a wrong c_hash: refused before the code is spent', async () => {
    const before = tokenRequests()
    await refused(
      gl.authorizationCodeGrant(hybridConfig(), hybridCallback(good({ c_hash: halfHash('other-code') })), {
        expectedNonce: NONCE,
        expectedState: STATE,
      }),
      'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
      'invalid ID Token "c_hash" (code hash) claim value',
    )
    expect(tokenRequests()).toBe(before)
  })

  it('a wrong s_hash, and a missing one with detached signature checks', async () => {
    await refused(
      gl.authorizationCodeGrant(hybridConfig(), hybridCallback(good({ s_hash: halfHash('other') })), {
        expectedNonce: NONCE,
        expectedState: STATE,
      }),
      'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
      'invalid ID Token "s_hash" (state hash) claim value',
    )
    await refused(
      gl.authorizationCodeGrant(hybridConfig(true), hybridCallback(good({ s_hash: undefined })), {
        expectedNonce: NONCE,
        expectedState: STATE,
      }),
      'OAUTH_INVALID_RESPONSE',
      'JWT "s_hash" (state hash) claim missing',
    )
  })

  it('an ID Token signed with a key the issuer never published', async () => {
    await refused(
      gl.authorizationCodeGrant(hybridConfig(), hybridCallback(good(), {}, keys.foreignKey), {
        expectedNonce: NONCE,
        expectedState: STATE,
      }),
      'OAUTH_INVALID_RESPONSE',
      'JWT signature verification failed',
    )
  })

  it('a wrong nonce in the front-channel ID Token', async () => {
    await refused(
      gl.authorizationCodeGrant(hybridConfig(), hybridCallback(good({ nonce: 'other' })), {
        expectedNonce: NONCE,
        expectedState: STATE,
      }),
      'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
      'unexpected ID Token "nonce" claim value',
    )
  })

  it('a valid response goes on to the token endpoint, whose ID Token must match the nonce too', async () => {
    token = (res) =>
      json(res, 200, {
        access_token: ACCESS_TOKEN,
        token_type: 'Bearer',
        id_token: signJwt(keys.privateKey, idTokenClaims(server.origin, { nonce: NONCE })),
      })
    const tokens = await gl.authorizationCodeGrant(hybridConfig(true), hybridCallback(good()), {
      expectedNonce: NONCE,
      expectedState: STATE,
    })
    expect(tokens.access_token).toBe(ACCESS_TOKEN)
    expect(new URLSearchParams(server.requests.at(-1)!.body).get('redirect_uri')).toBe(CALLBACK)
  })
})

describe('JARM', () => {
  const jarmConfig = () => {
    const c = config()
    gl.useJwtResponseMode(c)
    return c
  }
  const now = () => Math.floor(Date.now() / 1000)
  const jarm = (claims: Record<string, unknown>, key = keys.privateKey) =>
    callback({ response: signJwt(key, claims) })
  const good = (overrides: Record<string, unknown> = {}) => ({
    iss: server.origin,
    aud: CLIENT_ID,
    exp: now() + 60,
    code: CODE,
    state: STATE,
    ...overrides,
  })

  it('a bad signature', async () => {
    const before = tokenRequests()
    await refused(
      gl.authorizationCodeGrant(jarmConfig(), jarm(good(), keys.foreignKey), { expectedState: STATE }),
      'OAUTH_INVALID_RESPONSE',
      'JWT signature verification failed',
    )
    expect(tokenRequests()).toBe(before)
  })

  it('another audience, another issuer, an expired response: the code never shows', async () => {
    await refused(
      gl.authorizationCodeGrant(jarmConfig(), jarm(good({ aud: 'another-client' })), {
        expectedState: STATE,
      }),
      'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
      'unexpected JWT "aud" (audience) claim value',
    )
    await refused(
      gl.authorizationCodeGrant(jarmConfig(), jarm(good({ iss: 'https://evil.example.com' })), {
        expectedState: STATE,
      }),
      'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
      'unexpected JWT "iss" (issuer) claim value',
    )
    await refused(
      gl.authorizationCodeGrant(jarmConfig(), jarm(good({ exp: now() - 3600 })), { expectedState: STATE }),
      'OAUTH_JWT_TIMESTAMP_CHECK_FAILED',
    )
  })

  it('a signed response with a tampered state, and a plain response where JARM is expected', async () => {
    await refused(
      gl.authorizationCodeGrant(jarmConfig(), jarm(good({ state: 'other' })), { expectedState: STATE }),
      'OAUTH_INVALID_RESPONSE',
      'unexpected "state" response parameter value',
    )
    await refused(
      gl.authorizationCodeGrant(jarmConfig(), callback({ code: CODE, state: STATE }), {
        expectedState: STATE,
      }),
      'OAUTH_INVALID_RESPONSE',
      '"parameters" does not contain a JARM response',
    )
  })

  it('an error inside a valid JARM response is an AuthorizationResponseError', async () => {
    const err = await rejection(
      gl.authorizationCodeGrant(jarmConfig(), jarm(good({ code: undefined, error: 'access_denied' })), {
        expectedState: STATE,
      }),
    )
    expect(err).toBeInstanceOf(gl.AuthorizationResponseError)
    expect(err.error).toBe('access_denied')
  })
})

describe('implicit (id_token)', () => {
  const implicitConfig = () => {
    const c = config()
    gl.useIdTokenResponseType(c)
    return c
  }
  const implicit = (claims: Record<string, unknown>, key = keys.privateKey) =>
    callback({ id_token: signJwt(key, claims), state: STATE }, 'fragment')

  it('a wrong nonce, a bad signature, a tampered state', async () => {
    await refused(
      gl.implicitAuthentication(
        implicitConfig(),
        implicit(idTokenClaims(server.origin, { nonce: 'x' })),
        NONCE,
        {
          expectedState: STATE,
        },
      ),
      'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
      'unexpected ID Token "nonce" claim value',
    )
    await refused(
      gl.implicitAuthentication(
        implicitConfig(),
        implicit(idTokenClaims(server.origin, { nonce: NONCE }), keys.foreignKey),
        NONCE,
        { expectedState: STATE },
      ),
      'OAUTH_INVALID_RESPONSE',
      'JWT signature verification failed',
    )
    await refused(
      gl.implicitAuthentication(
        implicitConfig(),
        implicit(idTokenClaims(server.origin, { nonce: NONCE })),
        NONCE,
        {
          expectedState: 'other',
        },
      ),
      'OAUTH_INVALID_RESPONSE',
      'unexpected "state" response parameter value',
    )
  })

  it('a valid response resolves to the claims', async () => {
    const claims = await gl.implicitAuthentication(
      implicitConfig(),
      implicit(idTokenClaims(server.origin, { nonce: NONCE })),
      NONCE,
      { expectedState: STATE },
    )
    expect(claims.sub).toBe('user-1')
  })
})

describe('encrypted responses and getDecryptedResponses', () => {
  it('records the JWS inside an encrypted token endpoint ID Token, and a JARM response', async () => {
    const enc = await clientEncryptionKey()
    const c = config()
    gl.useJwtResponseMode(c)
    gl.enableDecryptingResponses(c, undefined, enc.privateKey)
    const idJws = signJwt(keys.privateKey, idTokenClaims(server.origin, { nonce: NONCE }))
    const idJwe = await enc.encrypt(idJws)
    token = (res) => json(res, 200, { access_token: ACCESS_TOKEN, token_type: 'Bearer', id_token: idJwe })
    const now = Math.floor(Date.now() / 1000)
    const jarmJws = signJwt(keys.privateKey, {
      iss: server.origin,
      aud: CLIENT_ID,
      exp: now + 60,
      code: CODE,
    })
    const tokens = await gl.authorizationCodeGrant(c, callback({ response: await enc.encrypt(jarmJws) }), {
      expectedNonce: NONCE,
    })
    expect(gl.getDecryptedResponses(tokens)).toEqual({
      authorization_response: jarmJws,
      id_token: { token_endpoint: idJws },
    })
    expect(Object.isFrozen(gl.getDecryptedResponses(tokens))).toBe(true)
    expect(gl.getDecryptedResponses({ ...tokens })).toBeUndefined()
  })

  it('records nothing for a plain response; refreshTokenGrant records the JWS as a string', async () => {
    const enc = await clientEncryptionKey()
    const c = config()
    gl.enableDecryptingResponses(c, undefined, enc.privateKey)
    const plain = await gl.authorizationCodeGrant(c, callback({ code: CODE }))
    expect(gl.getDecryptedResponses(plain)).toBeUndefined()
    const idJws = signJwt(keys.privateKey, idTokenClaims(server.origin))
    const idJwe = await enc.encrypt(idJws)
    token = (res) => json(res, 200, { access_token: ACCESS_TOKEN, token_type: 'Bearer', id_token: idJwe })
    const refreshed = await gl.refreshTokenGrant(c, 'rt')
    expect(gl.getDecryptedResponses(refreshed)).toBe(idJws)
  })
})
