import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { inspect } from 'node:util'
import {
  ClientError,
  ClientSecretBasic,
  ClientSecretJwt,
  ResponseBodyError,
  allowInsecureRequests,
  clientCredentialsGrant,
  dynamicClientRegistration,
  fetchProtectedResource,
  genericGrantRequest,
  getDPoPHandle,
  initiateBackchannelAuthentication,
  initiateDeviceAuthorization,
  jwtBearerGrant,
  randomDPoPKeyPair,
  refreshTokenGrant,
  tokenExchangeGrant,
  tokenIntrospection,
  TokenType,
} from '../../src/index.js'
import {
  CLIENT_SECRET,
  configurationFor,
  json,
  startScriptedServer,
  type ScriptedServer,
} from '../support/scripted-server.js'
import { craftJwt, rejection } from './support.js'
import type { Failure } from '../support/expect.js'
import type { ClientMetadata } from '../../src/index.js'

/**
 * Issue 9, defects 4, 5 and 7: no token and no client secret in what an error prints, whatever a logger does
 * with it; a JWT bearer assertion grantline signs is never sent twice.
 */

let server: ScriptedServer
beforeAll(async () => {
  server = await startScriptedServer()
})
afterAll(() => server.close())
beforeEach(() => {
  server.requests.length = 0
})

const ACCESS_TOKEN = 'AT-live-access-token-0123456789'
const REFRESH_TOKEN = 'RT-freshly-rotated-refresh-token-abcdef'
/** A secret handed to ClientSecretBasic only: not in the client metadata. */
const BASIC_SECRET = 'basic-only-secret-XYZ-987'

/** What a logger may make of an error: message, String, JSON (causes expanded) and util.inspect. */
function printed(err: unknown): string {
  const expand = (_key: string, value: unknown) => {
    if (!(value instanceof Error)) return value
    const out: Record<string, unknown> = {}
    for (const name of Object.getOwnPropertyNames(value)) out[name] = (value as never)[name]
    return out
  }
  return [
    err instanceof Error ? err.message : '',
    String(err),
    JSON.stringify(err) ?? '',
    JSON.stringify(err, expand) ?? '',
    inspect(err, { depth: 10 }),
  ].join('\n')
}

function expectNotPrinted(err: unknown, ...values: string[]): void {
  const text = printed(err)
  for (const value of values) expect(text).not.toContain(value)
}

/** Client metadata without `client_secret`, so that the secret lives in the ClientAuth closure only. */
const NO_METADATA_SECRET = { client_secret: undefined } as unknown as Partial<ClientMetadata>

const placeholder = (value: string) => `[redacted: ${value.length} characters]`

/** The body a protocol error carries: ClientError → OperationProcessingError → { body }. */
function causeBody(err: Failure): Record<string, unknown> {
  let cause: unknown = err.cause
  while (cause instanceof Error) cause = cause.cause
  return (cause as { body: Record<string, unknown> }).body
}

describe('defect 4: a token that cannot go into a header', () => {
  const BAD = 'tok-SECRET-PART\r\nx-injected: 1'

  it('fetchProtectedResource: Bearer token with CR LF is a TypeError naming the argument, not quoting it', async () => {
    const config = configurationFor(server)
    const err = await rejection(fetchProtectedResource(config, BAD, new URL(`${server.origin}/api`), 'GET'))
    expect(err).toBeInstanceOf(TypeError)
    expect(err.code).toBe('ERR_INVALID_ARG_VALUE')
    expect(err.message).toContain('"accessToken"')
    expectNotPrinted(err, 'tok-SECRET-PART')
    expect(server.requests).toHaveLength(0)
  })

  it('fetchProtectedResource with DPoP: the DPoP scheme is checked the same way', async () => {
    const config = configurationFor(server)
    const DPoP = getDPoPHandle(config, await randomDPoPKeyPair())
    const err = await rejection(
      fetchProtectedResource(
        config,
        'tok-SECRET-PART\u0000',
        new URL(`${server.origin}/api`),
        'GET',
        undefined,
        undefined,
        {
          DPoP,
        },
      ),
    )
    expect(err).toBeInstanceOf(TypeError)
    expect(err.code).toBe('ERR_INVALID_ARG_VALUE')
    expectNotPrinted(err, 'tok-SECRET-PART')
    expect(server.requests).toHaveLength(0)
  })

  it('fetchProtectedResource: a bad caller header value is not quoted either', async () => {
    const config = configurationFor(server)
    const headers = { 'x-api-key': 'api-key-SECRET\nx-evil: 1' } as unknown as Headers
    const err = await rejection(
      fetchProtectedResource(config, 'fine', new URL(`${server.origin}/api`), 'GET', undefined, headers),
    )
    expect(err).toBeInstanceOf(TypeError)
    expect(err.code).toBe('ERR_INVALID_ARG_VALUE')
    expect(err.message).toContain('"headers"')
    expectNotPrinted(err, 'api-key-SECRET')
  })

  it('dynamicClientRegistration: the initial access token is checked before discovery', async () => {
    const err = await rejection(
      dynamicClientRegistration(new URL(server.origin), {}, undefined, {
        initialAccessToken: 'iat-SECRET-PART\n',
        execute: [allowInsecureRequests],
      }),
    )
    expect(err).toBeInstanceOf(TypeError)
    expect(err.code).toBe('ERR_INVALID_ARG_VALUE')
    expect(err.message).toContain('"options.initialAccessToken"')
    expectNotPrinted(err, 'iat-SECRET-PART')
    expect(server.requests).toHaveLength(0)
  })

  for (const [label, token] of [
    ['a control character', 'issued-SECRET\u0007token'],
    ['a line break', 'issued-SECRET\r\nset-cookie: a'],
    ['a non-ASCII character', 'issued-SECRET-tök'],
    ['a leading space', ' issued-SECRET'],
  ] as const) {
    it(`a token response whose access_token holds ${label} is OAUTH_INVALID_RESPONSE, token redacted`, async () => {
      server.script((_req, res) => json(res, 200, { access_token: token, token_type: 'bearer' }))
      const err = await rejection(clientCredentialsGrant(configurationFor(server)))
      expect(err).toBeInstanceOf(ClientError)
      expect(err.code).toBe('OAUTH_INVALID_RESPONSE')
      expect(causeBody(err)['access_token']).toBe(placeholder(token))
      expectNotPrinted(err, 'issued-SECRET')
    })
  }

  it('an access_token of visible ASCII, inner spaces included, is accepted as before', async () => {
    server.script((_req, res) => json(res, 200, { access_token: 'a b~!', token_type: 'bearer' }))
    await expect(clientCredentialsGrant(configurationFor(server))).resolves.toMatchObject({
      access_token: 'a b~!',
    })
  })
})

describe('defect 5: tokens and secrets are redacted from causes', () => {
  const ID_TOKEN = craftJwt({ alg: 'RS256' }, { sub: 'id-token-subject-SECRET' })
  const issued = {
    access_token: ACCESS_TOKEN,
    refresh_token: REFRESH_TOKEN,
    id_token: ID_TOKEN,
    token_type: 'Bearer',
    expires_in: 3600,
    scope: 'read',
  }

  /** The rejected member and what else the caller must still see. */
  const rejections: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
    ['a bad expires_in', { expires_in: 'soon' }, { expires_in: 'soon', token_type: 'bearer', scope: 'read' }],
    ['a bad scope', { scope: 42 }, { scope: 42, token_type: 'bearer', expires_in: 3600 }],
  ]
  for (const [label, change, kept] of rejections) {
    it(`refreshTokenGrant, ${label}: cause keeps the other members, tokens are placeholders`, async () => {
      server.script((_req, res) => json(res, 200, { ...issued, ...change }))
      const err = await rejection(refreshTokenGrant(configurationFor(server), 'old-refresh-token'))
      expect(err).toBeInstanceOf(ClientError)
      expect(err.code).toBe('OAUTH_INVALID_RESPONSE')
      const body = causeBody(err)
      expect(body).toMatchObject(kept)
      expect(body['access_token']).toBe(placeholder(ACCESS_TOKEN))
      expect(body['refresh_token']).toBe(placeholder(REFRESH_TOKEN))
      expect(body['id_token']).toBe(placeholder(ID_TOKEN))
      expectNotPrinted(err, ACCESS_TOKEN, REFRESH_TOKEN, ID_TOKEN, CLIENT_SECRET)
    })
  }

  it('an unsupported token_type: OAUTH_UNSUPPORTED_OPERATION with redacted tokens', async () => {
    // No id_token here: it would be validated first, and its claims are another subject.
    server.script((_req, res) =>
      json(res, 200, { access_token: ACCESS_TOKEN, refresh_token: REFRESH_TOKEN, token_type: 'mac' }),
    )
    const err = await rejection(genericGrantRequest(configurationFor(server), 'client_credentials', {}))
    expect(err).toBeInstanceOf(ClientError)
    expect(err.code).toBe('OAUTH_UNSUPPORTED_OPERATION')
    const body = causeBody(err)
    expect(body).toMatchObject({ token_type: 'mac', refresh_token: placeholder(REFRESH_TOKEN) })
    expect(body['access_token']).toBe(placeholder(ACCESS_TOKEN))
    expectNotPrinted(err, ACCESS_TOKEN, REFRESH_TOKEN)
  })

  it('tokenExchangeGrant without issued_token_type: redacted, and the successful object is not touched', async () => {
    server.script((_req, res) =>
      json(res, 200, { access_token: ACCESS_TOKEN, refresh_token: REFRESH_TOKEN, token_type: 'N_A' }),
    )
    const err = await rejection(
      tokenExchangeGrant(configurationFor(server), {
        subject_token: 'subject',
        subject_token_type: TokenType.AccessToken,
      }),
    )
    expect(err).toBeInstanceOf(ClientError)
    expect(err.code).toBe('OAUTH_INVALID_RESPONSE')
    expect(causeBody(err)).toMatchObject({
      token_type: 'n_a',
      access_token: placeholder(ACCESS_TOKEN),
      refresh_token: placeholder(REFRESH_TOKEN),
    })
    expectNotPrinted(err, ACCESS_TOKEN, REFRESH_TOKEN)
  })

  it('a successful response is handed over unredacted', async () => {
    server.script((_req, res) =>
      json(res, 200, { access_token: ACCESS_TOKEN, refresh_token: REFRESH_TOKEN, token_type: 'bearer' }),
    )
    await expect(refreshTokenGrant(configurationFor(server), 'old')).resolves.toMatchObject({
      access_token: ACCESS_TOKEN,
      refresh_token: REFRESH_TOKEN,
    })
  })

  it('an OAuth error body that echoes the metadata client_secret: redacted in cause and error_description', async () => {
    server.script((_req, res) =>
      json(res, 401, {
        error: 'invalid_client',
        error_description: `client_secret ${CLIENT_SECRET} is wrong`,
        client_secret: CLIENT_SECRET,
        debug: { echoed: [CLIENT_SECRET, `x${CLIENT_SECRET}x`] },
        error_uri: 'https://as.example/errors',
      }),
    )
    const err = await rejection(clientCredentialsGrant(configurationFor(server)))
    expect(err).toBeInstanceOf(ResponseBodyError)
    expect(err.error).toBe('invalid_client')
    expect(err.status).toBe(401)
    const hidden = placeholder(CLIENT_SECRET)
    expect(err.error_description).toBe(`client_secret ${hidden} is wrong`)
    expect(err.cause).toEqual({
      error: 'invalid_client',
      error_description: `client_secret ${hidden} is wrong`,
      client_secret: hidden,
      debug: { echoed: [hidden, `x${hidden}x`] },
      error_uri: 'https://as.example/errors',
    })
    expectNotPrinted(err, CLIENT_SECRET)
  })

  it('the secret given to ClientSecretBasic(secret) only is redacted from an echo too', async () => {
    server.script((_req, res) =>
      json(res, 400, {
        error: 'invalid_request',
        error_description: `got ${BASIC_SECRET}`,
        echo: BASIC_SECRET,
      }),
    )
    const config = configurationFor(server, {
      metadata: NO_METADATA_SECRET,
      auth: ClientSecretBasic(BASIC_SECRET),
    })
    const err = await rejection(clientCredentialsGrant(config))
    expect(err).toBeInstanceOf(ResponseBodyError)
    expect(err.error_description).toBe(`got ${placeholder(BASIC_SECRET)}`)
    expect((err.cause as Record<string, unknown>)['echo']).toBe(placeholder(BASIC_SECRET))
    expectNotPrinted(err, BASIC_SECRET)
  })

  it('the secret given to ClientSecretJwt(secret) only is redacted from a token response cause', async () => {
    server.script((_req, res) =>
      json(res, 200, {
        access_token: ACCESS_TOKEN,
        token_type: 'bearer',
        expires_in: -1,
        note: BASIC_SECRET,
      }),
    )
    const config = configurationFor(server, {
      metadata: NO_METADATA_SECRET,
      auth: ClientSecretJwt(BASIC_SECRET),
    })
    const err = await rejection(clientCredentialsGrant(config))
    expect(err.code).toBe('OAUTH_INVALID_RESPONSE')
    expect(causeBody(err)).toMatchObject({ note: placeholder(BASIC_SECRET), expires_in: -1 })
    expectNotPrinted(err, BASIC_SECRET, ACCESS_TOKEN)
  })

  it('introspection: an echoed secret and token members are redacted; active is kept', async () => {
    server.script((_req, res) =>
      json(res, 200, { active: 'yes', access_token: ACCESS_TOKEN, note: `secret=${CLIENT_SECRET}` }),
    )
    const config = configurationFor(server, {
      server: { introspection_endpoint: `${server.origin}/introspect` },
    })
    const err = await rejection(tokenIntrospection(config, 'some-token'))
    expect(err.code).toBe('OAUTH_INVALID_RESPONSE')
    expect(causeBody(err)).toEqual({
      active: 'yes',
      access_token: placeholder(ACCESS_TOKEN),
      note: `secret=${placeholder(CLIENT_SECRET)}`,
    })
    expectNotPrinted(err, ACCESS_TOKEN, CLIENT_SECRET)
  })

  it('JWT introspection: token members and an echoed secret in the token_introspection claim are redacted', async () => {
    const now = Math.floor(Date.now() / 1000)
    server.script((_req, res) => {
      const jwt = craftJwt(
        { alg: 'RS256', typ: 'token-introspection+jwt' },
        {
          iss: server.origin,
          aud: 'client-hostile',
          iat: now,
          token_introspection: {
            active: 'no',
            access_token: ACCESS_TOKEN,
            refresh_token: REFRESH_TOKEN,
            note: `secret=${CLIENT_SECRET}`,
          },
        },
      )
      res.writeHead(200, { 'content-type': 'application/token-introspection+jwt' }).end(jwt)
    })
    const config = configurationFor(server, {
      server: { introspection_endpoint: `${server.origin}/introspect` },
      metadata: { introspection_signed_response_alg: 'RS256' },
    })
    const err = await rejection(tokenIntrospection(config, 'some-token'))
    expect(err.code).toBe('OAUTH_INVALID_RESPONSE')
    expect(causeBody(err)).toEqual({
      active: 'no',
      access_token: placeholder(ACCESS_TOKEN),
      refresh_token: placeholder(REFRESH_TOKEN),
      note: `secret=${placeholder(CLIENT_SECRET)}`,
    })
    expectNotPrinted(err, ACCESS_TOKEN, REFRESH_TOKEN, CLIENT_SECRET)
  })

  it('registration: client_secret and registration_access_token are redacted, client_id kept', async () => {
    const issuedSecret = 'issued-client-secret-QWERTY'
    const registrationToken = 'registration-access-token-ASDFG'
    server.script((req, res) => {
      if (req.url?.startsWith('/.well-known/')) {
        json(res, 200, { issuer: `${server.origin}/`, registration_endpoint: `${server.origin}/reg` })
      } else {
        json(res, 201, {
          client_id: 'new-client',
          client_secret: issuedSecret,
          client_secret_expires_at: 'never',
          registration_access_token: registrationToken,
        })
      }
    })
    const err = await rejection(
      dynamicClientRegistration(new URL(`${server.origin}/`), {}, undefined, {
        execute: [allowInsecureRequests],
      }),
    )
    expect(err.code).toBe('OAUTH_INVALID_RESPONSE')
    expect(causeBody(err)).toEqual({
      client_id: 'new-client',
      client_secret: placeholder(issuedSecret),
      client_secret_expires_at: 'never',
      registration_access_token: placeholder(registrationToken),
    })
    expectNotPrinted(err, issuedSecret, registrationToken)
  })

  it('device authorization start: device_code is redacted, user_code kept', async () => {
    const deviceCode = 'device-code-LIVE-123456'
    server.script((_req, res) =>
      json(res, 200, { device_code: deviceCode, user_code: 'WDJB-MJHT', expires_in: 600 }),
    )
    const config = configurationFor(server, {
      server: { device_authorization_endpoint: `${server.origin}/device` },
    })
    const err = await rejection(initiateDeviceAuthorization(config, {}))
    expect(err.code).toBe('OAUTH_INVALID_RESPONSE')
    expect(causeBody(err)).toEqual({
      device_code: placeholder(deviceCode),
      user_code: 'WDJB-MJHT',
      expires_in: 600,
    })
    expectNotPrinted(err, deviceCode)
  })

  it('CIBA start: auth_req_id is redacted', async () => {
    const authReqId = 'auth-req-id-LIVE-654321'
    server.script((_req, res) => json(res, 200, { auth_req_id: authReqId, expires_in: 'later' }))
    const config = configurationFor(server, {
      server: { backchannel_authentication_endpoint: `${server.origin}/bc` },
    })
    const err = await rejection(initiateBackchannelAuthentication(config, { scope: 'openid' }))
    expect(err.code).toBe('OAUTH_INVALID_RESPONSE')
    expect(causeBody(err)).toEqual({ auth_req_id: placeholder(authReqId), expires_in: 'later' })
    expectNotPrinted(err, authReqId)
  })
})

describe('defect 7: a JWT bearer assertion grantline signs is signed afresh for the DPoP nonce retry', () => {
  const decode = (jwt: string) => {
    const [header, payload, signature] = jwt.split('.') as [string, string, string]
    return {
      signingInput: `${header}.${payload}`,
      payload: JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>,
      signature: Buffer.from(signature, 'base64url'),
    }
  }

  it('both requests arrive, both assertions verify, and their jti differ', async () => {
    server.script((_req, res, recorded) => {
      if (server.requests.indexOf(recorded) === 0) {
        json(res, 400, { error: 'use_dpop_nonce' }, { 'DPoP-Nonce': 'nonce-1' })
      } else {
        json(res, 200, { access_token: 'at', token_type: 'DPoP' })
      }
    })
    const config = configurationFor(server)
    const { privateKey, publicKey } = (await crypto.subtle.generateKey(
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['sign', 'verify'],
    )) as CryptoKeyPair
    const DPoP = getDPoPHandle(config, await randomDPoPKeyPair())
    await expect(
      jwtBearerGrant(config, { privateKey, claims: { sub: 'service-42' } }, {}, { DPoP }),
    ).resolves.toMatchObject({ token_type: 'dpop' })

    expect(server.requests).toHaveLength(2)
    const assertions = server.requests.map((r) => decode(new URLSearchParams(r.body).get('assertion')!))
    for (const { signingInput, signature } of assertions) {
      const valid = await crypto.subtle.verify(
        { name: 'ECDSA', hash: 'SHA-256' },
        publicKey,
        signature,
        new TextEncoder().encode(signingInput),
      )
      expect(valid).toBe(true)
    }
    expect(assertions[0]!.payload['sub']).toBe('service-42')
    expect(assertions[1]!.payload['sub']).toBe('service-42')
    expect(assertions[1]!.payload['jti']).not.toBe(assertions[0]!.payload['jti'])
    // The retry carries the nonce, so its proof is the fresh one too.
    expect(server.requests[1]!.headers['dpop']).not.toBe(server.requests[0]!.headers['dpop'])
  })

  it('an assertion the caller gives is sent as given on both attempts', async () => {
    server.script((_req, res, recorded) => {
      if (server.requests.indexOf(recorded) === 0) {
        json(res, 400, { error: 'use_dpop_nonce' }, { 'DPoP-Nonce': 'nonce-1' })
      } else {
        json(res, 200, { access_token: 'at', token_type: 'DPoP' })
      }
    })
    const config = configurationFor(server)
    const given = craftJwt({ alg: 'ES256' }, { sub: 'x', jti: 'given' })
    const DPoP = getDPoPHandle(config, await randomDPoPKeyPair())
    await jwtBearerGrant(config, given, {}, { DPoP })
    expect(server.requests.map((r) => new URLSearchParams(r.body).get('assertion'))).toEqual([given, given])
  })
})
