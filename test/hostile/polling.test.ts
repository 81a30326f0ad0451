// Device and CIBA polling (contract §5, DECISIONS D4/D5/D16/D25) and the typed helpers' argument checks, against
// a scripted server. Whatever the interval says, polls are at least MIN_POLL_INTERVAL (1 s) apart (D25), so each
// test polls no more often than it needs to.
import type { ServerResponse } from 'node:http'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  ClientError,
  Configuration,
  ResponseBodyError,
  TokenType,
  getDPoPHandle,
  initiateBackchannelAuthentication,
  initiateDeviceAuthorization,
  jwtBearerGrant,
  pollBackchannelAuthenticationGrant,
  pollDeviceAuthorizationGrant,
  randomDPoPKeyPair,
  refreshTokenGrant,
  saml2BearerGrant,
  signJwtBearerAssertion,
  tokenExchangeGrant,
  tokenIntrospection,
  tokenRevocation,
  fetchProtectedResource,
  clientCredentialsGrant,
  type DeviceAuthorizationResponse,
} from '../../src/index.js'
import {
  CLIENT_ID,
  configurationFor,
  json,
  send,
  startScriptedServer,
  type RecordedRequest,
  type ScriptedServer,
} from '../support/scripted-server.js'
import { craftJwt, expectNoSecret, rejection } from './support.js'

type Step = (res: ServerResponse, recorded: RecordedRequest) => void

const pending: Step = (res) => json(res, 400, { error: 'authorization_pending' })
const slowDown: Step = (res) => json(res, 400, { error: 'slow_down' })
const tokens: Step = (res) =>
  json(res, 200, { access_token: 'at-polled', token_type: 'Bearer', expires_in: 60 })
const busy =
  (retryAfter: string): Step =>
  (res) =>
    json(res, 503, { message: 'busy' }, { 'retry-after': retryAfter })

let server: ScriptedServer
let config: Configuration
/** Token endpoint requests with the time the server received each (ms). */
let polls: Array<{ at: number; body: URLSearchParams; headers: RecordedRequest['headers'] }>

/** Scripts the token endpoint: one step per poll, the last one repeating. */
function scriptTokenEndpoint(...steps: Step[]) {
  server.script((_req, res, recorded) => {
    if (recorded.url === '/token') {
      polls.push({ at: Date.now(), body: new URLSearchParams(recorded.body), headers: recorded.headers })
      const step = steps[Math.min(polls.length - 1, steps.length - 1)]!
      step(res, recorded)
      return
    }
    json(res, 404, { error: 'not_found' })
  })
}

const pendingDevice = (
  overrides: Partial<DeviceAuthorizationResponse> = {},
): DeviceAuthorizationResponse => ({
  device_code: 'dc-1',
  user_code: 'ABCD-EFGH',
  verification_uri: 'https://as.example/device',
  expires_in: 30,
  interval: 0.02,
  ...overrides,
})

const gap = (i: number) => polls[i]!.at - polls[i - 1]!.at

beforeAll(async () => {
  server = await startScriptedServer()
  config = configurationFor(server, {
    server: {
      device_authorization_endpoint: `${server.origin}/device`,
      backchannel_authentication_endpoint: `${server.origin}/bc`,
      introspection_endpoint: `${server.origin}/introspect`,
      revocation_endpoint: `${server.origin}/revoke`,
    },
  })
})
beforeEach(() => {
  polls = []
  server.requests.length = 0
})
afterEach(() => {
  server.script((_req, res) => json(res, 500, {}))
})
afterAll(() => server.close())

describe('polling the token endpoint', () => {
  it('waits through authorization_pending and returns the tokens, sending the device code each time', async () => {
    scriptTokenEndpoint(pending, tokens)
    const result = await pollDeviceAuthorizationGrant(config, pendingDevice(), { extra: 'x' })
    expect(result.access_token).toBe('at-polled')
    expect(result.token_type).toBe('bearer')
    expect(result.expiresIn()).toBeGreaterThan(0)
    expect(polls).toHaveLength(2)
    for (const poll of polls) {
      expect(poll.body.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:device_code')
      expect(poll.body.get('device_code')).toBe('dc-1')
      expect(poll.body.get('extra')).toBe('x')
    }
  })

  it('slow_down adds 5 seconds to the interval for every later poll (0 + 5: the 1 s minimum is a floor, not an addend)', async () => {
    scriptTokenEndpoint(slowDown, tokens)
    await pollDeviceAuthorizationGrant(config, pendingDevice({ interval: 0 }))
    expect(polls).toHaveLength(2)
    expect(gap(1)).toBeGreaterThanOrEqual(4950)
    expect(gap(1)).toBeLessThan(5900)
  }, 20_000)

  it('503 with Retry-After in seconds waits that long before the next poll', async () => {
    // Longer than the 1 s minimum (D25), so the gap shows that Retry-After was honoured.
    scriptTokenEndpoint(busy('2'), tokens)
    const result = await pollDeviceAuthorizationGrant(config, pendingDevice())
    expect(result.access_token).toBe('at-polled')
    expect(polls).toHaveLength(2)
    expect(gap(1)).toBeGreaterThanOrEqual(1950)
  })

  it('503 with Retry-After as an HTTP date waits until then', async () => {
    let date = ''
    scriptTokenEndpoint((res, recorded) => {
      // Whole seconds, so 1.5 to 2.5 s ahead: later than the 1 s minimum (D25).
      date = new Date(Date.now() + 2500).toUTCString()
      busy(date)(res, recorded)
    }, tokens)
    const result = await pollDeviceAuthorizationGrant(config, pendingDevice())
    expect(result.access_token).toBe('at-polled')
    expect(polls).toHaveLength(2)
    // Dates have whole seconds: the next poll is no earlier than the date (minus the sub-second we lost).
    expect(polls[1]!.at).toBeGreaterThanOrEqual(Date.parse(date) - 5)
  })

  it('Retry-After of 0 on 503 means "poll again after the interval"', async () => {
    scriptTokenEndpoint(busy('0'), tokens)
    await expect(pollDeviceAuthorizationGrant(config, pendingDevice())).resolves.toMatchObject({
      access_token: 'at-polled',
    })
  })

  for (const value of ['soon', '-1', '1.5', new Date(Date.now() - 60_000).toUTCString()]) {
    it(`503 with an invalid Retry-After (${JSON.stringify(value)}) is a ClientError (D4)`, async () => {
      scriptTokenEndpoint(busy(value), tokens)
      const err = await rejection(pollDeviceAuthorizationGrant(config, pendingDevice()))
      expect(err).toBeInstanceOf(ClientError)
      expect(err.message).toBe('invalid Retry-After header value')
      expect(err.code).toBe('OAUTH_INVALID_RESPONSE')
      expect(polls).toHaveLength(1)
    })
  }

  it('503 without Retry-After is an unexpected status, not a reason to poll again', async () => {
    scriptTokenEndpoint((res) => json(res, 503, { message: 'down' }), tokens)
    const err = await rejection(pollDeviceAuthorizationGrant(config, pendingDevice()))
    expect(err).toBeInstanceOf(ClientError)
    expect(err.code).toBe('OAUTH_RESPONSE_IS_NOT_CONFORM')
    expect(polls).toHaveLength(1)
  })

  it('Retry-After on authorization_pending is honoured; an invalid one is ignored', async () => {
    scriptTokenEndpoint(
      (res) => json(res, 400, { error: 'authorization_pending' }, { 'retry-after': 'whenever' }),
      (res) => json(res, 400, { error: 'authorization_pending' }, { 'retry-after': '2' }),
      tokens,
    )
    const result = await pollDeviceAuthorizationGrant(config, pendingDevice())
    expect(result.access_token).toBe('at-polled')
    expect(polls).toHaveLength(3)
    expect(gap(2)).toBeGreaterThanOrEqual(1950)
  })

  for (const error of ['access_denied', 'expired_token', 'invalid_grant']) {
    it(`${error} ends polling with a ResponseBodyError`, async () => {
      scriptTokenEndpoint((res) => json(res, 400, { error, error_description: 'no' }), tokens)
      const err = await rejection(pollDeviceAuthorizationGrant(config, pendingDevice()))
      expect(err).toBeInstanceOf(ResponseBodyError)
      expect(err.error).toBe(error)
      expect(err.status).toBe(400)
      expect(polls).toHaveLength(1)
      expectNoSecret(err)
    })
  }

  it('an abort during a Retry-After wait is a ClientError OAUTH_ABORT (D5), with no further request', async () => {
    const controller = new AbortController()
    scriptTokenEndpoint((res) => {
      busy('30')(res, {} as RecordedRequest)
      setTimeout(() => controller.abort(), 100)
    })
    const err = await rejection(
      pollDeviceAuthorizationGrant(config, pendingDevice(), undefined, { signal: controller.signal }),
    )
    expect(err).toBeInstanceOf(ClientError)
    expect(err.code).toBe('OAUTH_ABORT')
    expect(err.message).toBe('operation aborted')
    expect(polls).toHaveLength(1)
  })

  it('an abort during an interval wait is a ClientError OAUTH_ABORT', async () => {
    const controller = new AbortController()
    scriptTokenEndpoint((res) => {
      slowDown(res, {} as RecordedRequest)
      setTimeout(() => controller.abort(), 100)
    })
    const err = await rejection(
      pollDeviceAuthorizationGrant(config, pendingDevice(), undefined, { signal: controller.signal }),
    )
    expect(err).toBeInstanceOf(ClientError)
    expect(err.code).toBe('OAUTH_ABORT')
    expect(polls).toHaveLength(1)
  })

  it('a signal aborted with a reason of its own still ends as OAUTH_ABORT, the reason as cause', async () => {
    const controller = new AbortController()
    const reason = new Error('shutting down')
    controller.abort(reason)
    const err = await rejection(
      pollDeviceAuthorizationGrant(config, pendingDevice(), undefined, { signal: controller.signal }),
    )
    expect(err).toBeInstanceOf(ClientError)
    expect(err.code).toBe('OAUTH_ABORT')
    expect(err.cause).toBe(reason)
    expect(polls).toHaveLength(0)
  })

  it('gives up after expires_in seconds with OAUTH_TIMEOUT', async () => {
    scriptTokenEndpoint(pending)
    const err = await rejection(pollDeviceAuthorizationGrant(config, pendingDevice({ expires_in: 0.3 })))
    expect(err).toBeInstanceOf(ClientError)
    expect(err.code).toBe('OAUTH_TIMEOUT')
    expect(err.message).toBe('operation timed out')
  })

  it("a caller's timeout signal replaces expires_in", async () => {
    scriptTokenEndpoint(pending)
    const err = await rejection(
      pollDeviceAuthorizationGrant(config, pendingDevice({ expires_in: 3600 }), undefined, {
        signal: AbortSignal.timeout(300),
      }),
    )
    expect(err).toBeInstanceOf(ClientError)
    expect(err.code).toBe('OAUTH_TIMEOUT')
  })

  it("the configuration's timeout bounds each request while the poll's own deadline is longer", async () => {
    const short = configurationFor(server, { timeout: 0.2 })
    scriptTokenEndpoint(() => {
      // never answers
    })
    const err = await rejection(pollDeviceAuthorizationGrant(short, pendingDevice({ expires_in: 3600 })))
    expect(err).toBeInstanceOf(ClientError)
    expect(err.code).toBe('OAUTH_TIMEOUT')
    expect(polls).toHaveLength(1)
  })

  it('an abort while a request is in flight ends as OAUTH_ABORT', async () => {
    const controller = new AbortController()
    scriptTokenEndpoint(() => {
      setTimeout(() => controller.abort(), 50)
    })
    const err = await rejection(
      pollDeviceAuthorizationGrant(config, pendingDevice(), undefined, { signal: controller.signal }),
    )
    expect(err).toBeInstanceOf(ClientError)
    expect(err.code).toBe('OAUTH_ABORT')
  })

  describe('DPoP nonces', () => {
    const nonceError =
      (nonce: string): Step =>
      (res) =>
        json(res, 400, { error: 'use_dpop_nonce' }, { 'dpop-nonce': nonce })
    const proofNonce = (i: number) => {
      const proof = String(polls[i]!.headers['dpop'])
      return JSON.parse(Buffer.from(proof.split('.')[1]!, 'base64url').toString()).nonce as unknown
    }

    it('retries a nonce error on the next poll, and again after a later rotation', async () => {
      const DPoP = getDPoPHandle(config, await randomDPoPKeyPair())
      scriptTokenEndpoint(nonceError('n-1'), pending, nonceError('n-2'), tokens)
      const result = await pollDeviceAuthorizationGrant(config, pendingDevice(), undefined, { DPoP })
      expect(result.access_token).toBe('at-polled')
      expect(polls).toHaveLength(4)
      expect(proofNonce(0)).toBeUndefined()
      expect(proofNonce(1)).toBe('n-1')
      expect(proofNonce(3)).toBe('n-2')
    })

    it('a second nonce error in a row is thrown', async () => {
      const DPoP = getDPoPHandle(config, await randomDPoPKeyPair())
      scriptTokenEndpoint(nonceError('n-1'), nonceError('n-2'), tokens)
      const err = await rejection(pollDeviceAuthorizationGrant(config, pendingDevice(), undefined, { DPoP }))
      expect(err).toBeInstanceOf(ResponseBodyError)
      expect(err.error).toBe('use_dpop_nonce')
      expect(polls).toHaveLength(2)
    })

    it('without a DPoP handle a nonce error is thrown at once', async () => {
      scriptTokenEndpoint(nonceError('n-1'), tokens)
      const err = await rejection(pollDeviceAuthorizationGrant(config, pendingDevice()))
      expect(err).toBeInstanceOf(ResponseBodyError)
      expect(polls).toHaveLength(1)
    })
  })

  it('CIBA polls the same way with auth_req_id', async () => {
    scriptTokenEndpoint(pending, tokens)
    const started = Date.now()
    const result = await pollBackchannelAuthenticationGrant(config, {
      auth_req_id: 'req-1',
      expires_in: 30,
      interval: 0.02,
    })
    expect(result.access_token).toBe('at-polled')
    expect(polls).toHaveLength(2)
    expect(polls[0]!.body.get('grant_type')).toBe('urn:openid:params:grant-type:ciba')
    expect(polls[0]!.body.get('auth_req_id')).toBe('req-1')
    expect(Date.now() - started).toBeGreaterThanOrEqual(1980)
  })
})

describe('a server cannot make polling spin (D25, D16)', () => {
  /** Polls for 2.5 s against a server that always answers authorization_pending. */
  async function pollFor2500ms(poll: (signal: AbortSignal) => Promise<unknown>) {
    scriptTokenEndpoint(pending)
    const started = Date.now()
    const err = await rejection(poll(AbortSignal.timeout(2500)))
    expect(err).toBeInstanceOf(ClientError)
    expect(err.code).toBe('OAUTH_TIMEOUT')
    expect(polls.length).toBeGreaterThanOrEqual(1)
    expect(polls.length).toBeLessThanOrEqual(3)
    // The first poll waits too, and every later one is at least ~1 s after the one before.
    expect(polls[0]!.at - started).toBeGreaterThanOrEqual(990)
    for (let i = 1; i < polls.length; i++) expect(gap(i)).toBeGreaterThanOrEqual(990)
  }

  it('interval 1e-9 from the device authorization response: at most 3 polls in 2.5 s, ~1 s apart', async () => {
    server.script((_req, res) =>
      json(res, 200, {
        device_code: 'dc-spin',
        user_code: 'SPIN',
        verification_uri: 'https://as.example/device',
        expires_in: 600,
        interval: 1e-9,
      }),
    )
    const response = await initiateDeviceAuthorization(config, {})
    expect(response.interval).toBe(1e-9)
    await pollFor2500ms((signal) => pollDeviceAuthorizationGrant(config, response, undefined, { signal }))
    expect(polls[0]!.body.get('device_code')).toBe('dc-spin')
  })

  it('interval 1e-9 from the backchannel authentication response: the same for CIBA', async () => {
    server.script((_req, res) => json(res, 200, { auth_req_id: 'req-spin', expires_in: 600, interval: 1e-9 }))
    const response = await initiateBackchannelAuthentication(config, { login_hint: 'alice' })
    await pollFor2500ms((signal) =>
      pollBackchannelAuthenticationGrant(config, response, undefined, { signal }),
    )
  })

  it('interval 0 is accepted (as openid-client does) and raised to the 1 s minimum', async () => {
    await pollFor2500ms((signal) =>
      pollDeviceAuthorizationGrant(config, pendingDevice({ interval: 0 }), undefined, { signal }),
    )
  })

  it('interval 0 without a signal polls under expires_in and returns the tokens', async () => {
    scriptTokenEndpoint(pending, tokens)
    const result = await pollDeviceAuthorizationGrant(config, pendingDevice({ interval: 0, expires_in: 10 }))
    expect(result.access_token).toBe('at-polled')
    expect(polls).toHaveLength(2)
    expect(gap(1)).toBeGreaterThanOrEqual(990)
  })

  it('a nonce retry waits the minimum too', async () => {
    const DPoP = getDPoPHandle(config, await randomDPoPKeyPair())
    scriptTokenEndpoint((res) => json(res, 400, { error: 'use_dpop_nonce' }, { 'dpop-nonce': 'n-1' }), tokens)
    await pollDeviceAuthorizationGrant(config, pendingDevice({ interval: 0 }), undefined, { DPoP })
    expect(polls).toHaveLength(2)
    expect(gap(1)).toBeGreaterThanOrEqual(990)
  })
})

describe('initiation responses', () => {
  const device = {
    device_code: 'dc',
    user_code: 'UC',
    verification_uri: 'https://as.example/device',
    expires_in: '600',
  }
  function scriptDevice(body: unknown) {
    server.script((_req, res) => json(res, 200, body))
  }

  it('sends client_id in the body and normalises expires_in', async () => {
    scriptDevice(device)
    const response = await initiateDeviceAuthorization(config, { scope: 'openid' })
    expect(response.expires_in).toBe(600)
    const body = new URLSearchParams(server.requests[0]!.body)
    expect(server.requests[0]!.url).toBe('/device')
    expect(body.get('client_id')).toBe('client-hostile')
    expect(body.get('scope')).toBe('openid')
  })

  for (const [name, body, message] of [
    [
      'no user_code',
      { ...device, user_code: undefined },
      '"response" body "user_code" property must be a string',
    ],
    [
      'an empty device_code',
      { ...device, device_code: '' },
      '"response" body "device_code" property must not be empty',
    ],
    [
      'a zero interval',
      { ...device, interval: 0 },
      '"response" body "interval" property must be a positive number',
    ],
    [
      'a negative expires_in',
      { ...device, expires_in: -1 },
      '"response" body "expires_in" property must be a non-negative number',
    ],
    [
      'a numeric verification_uri_complete',
      { ...device, verification_uri_complete: 1 },
      '"response" body "verification_uri_complete" property must be a string',
    ],
  ] as const) {
    it(`a device authorization response with ${name} is OAUTH_INVALID_RESPONSE`, async () => {
      scriptDevice(body)
      const err = await rejection(initiateDeviceAuthorization(config, {}))
      expect(err).toBeInstanceOf(ClientError)
      expect(err.code).toBe('OAUTH_INVALID_RESPONSE')
      expect((err.cause as Error).message).toBe(message)
    })
  }

  it('a backchannel authentication response without auth_req_id is OAUTH_INVALID_RESPONSE', async () => {
    server.script((_req, res) => json(res, 200, { expires_in: 60 }))
    const err = await rejection(initiateBackchannelAuthentication(config, { login_hint: 'alice' }))
    expect(err).toBeInstanceOf(ClientError)
    expect(err.code).toBe('OAUTH_INVALID_RESPONSE')
    expect(new URLSearchParams(server.requests[0]!.body).get('client_id')).toBe('client-hostile')
  })

  it('an introspection response whose "active" is not a boolean is OAUTH_INVALID_RESPONSE', async () => {
    server.script((_req, res) => json(res, 200, { active: 'true' }))
    const err = await rejection(tokenIntrospection(config, 'tok'))
    expect(err).toBeInstanceOf(ClientError)
    expect(err.code).toBe('OAUTH_INVALID_RESPONSE')
  })

  it('a revocation answered with an OAuth error is a ResponseBodyError', async () => {
    server.script((_req, res) => json(res, 400, { error: 'unsupported_token_type' }))
    const err = await rejection(tokenRevocation(config, 'tok'))
    expect(err).toBeInstanceOf(ResponseBodyError)
    expect(err.error).toBe('unsupported_token_type')
  })
})

describe('argument errors come before any request', () => {
  let key: CryptoKey
  beforeAll(async () => {
    key = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']))
      .privateKey
  })

  const cases: Array<[string, () => Promise<unknown>, string]> = [
    [
      'token exchange without subject_token',
      () => tokenExchangeGrant(config, { subject_token_type: TokenType.AccessToken } as never),
      'ERR_INVALID_ARG_TYPE',
    ],
    [
      'token exchange with an empty subject_token_type',
      () => tokenExchangeGrant(config, { subject_token: 't', subject_token_type: '' }),
      'ERR_INVALID_ARG_VALUE',
    ],
    [
      'token exchange with actor_token but no actor_token_type',
      () =>
        tokenExchangeGrant(config, {
          subject_token: 't',
          subject_token_type: TokenType.AccessToken,
          actor_token: 'a',
        }),
      'ERR_INVALID_ARG_VALUE',
    ],
    [
      'token exchange with actor_token_type but no actor_token',
      () =>
        tokenExchangeGrant(config, {
          subject_token: 't',
          subject_token_type: TokenType.AccessToken,
          actor_token_type: TokenType.Jwt,
        }),
      'ERR_INVALID_ARG_VALUE',
    ],
    [
      'token exchange with a relative resource',
      () =>
        tokenExchangeGrant(config, {
          subject_token: 't',
          subject_token_type: TokenType.AccessToken,
          resource: ['https://api.example/', '/relative'],
        }),
      'ERR_INVALID_ARG_VALUE',
    ],
    [
      'token exchange with a resource that has a fragment',
      () =>
        tokenExchangeGrant(config, {
          subject_token: 't',
          subject_token_type: TokenType.AccessToken,
          resource: 'https://api.example/#frag',
        }),
      'ERR_INVALID_ARG_VALUE',
    ],
    [
      'token exchange with an empty audience list',
      () =>
        tokenExchangeGrant(config, {
          subject_token: 't',
          subject_token_type: TokenType.AccessToken,
          audience: [],
        }),
      'ERR_INVALID_ARG_VALUE',
    ],
    [
      'token exchange with URLSearchParams',
      () => tokenExchangeGrant(config, new URLSearchParams('subject_token=t') as never),
      'ERR_INVALID_ARG_TYPE',
    ],
    [
      'JWT bearer with a non-JWT assertion',
      () => jwtBearerGrant(config, 'not a jwt'),
      'ERR_INVALID_ARG_VALUE',
    ],
    ['JWT bearer with an empty assertion', () => jwtBearerGrant(config, ''), 'ERR_INVALID_ARG_VALUE'],
    ['JWT bearer with a number', () => jwtBearerGrant(config, 42 as never), 'ERR_INVALID_ARG_TYPE'],
    [
      'JWT bearer with a public key to sign',
      () => jwtBearerGrant(config, { privateKey: 'nope' as never }),
      'ERR_INVALID_ARG_TYPE',
    ],
    [
      'JWT bearer assertion with an unknown audience choice',
      () => signJwtBearerAssertion(config, key, {}, { audience: 'elsewhere' as never }),
      'ERR_INVALID_ARG_VALUE',
    ],
    [
      'SAML 2.0 bearer with an encoded assertion but no { encoded: true }',
      () => saml2BearerGrant(config, 'PHNhbWw-PC9zYW1sPg'),
      'ERR_INVALID_ARG_VALUE',
    ],
    [
      'SAML 2.0 bearer with XML but { encoded: true }',
      () => saml2BearerGrant(config, '<saml:Assertion/>', undefined, { encoded: true }),
      'ERR_INVALID_ARG_VALUE',
    ],
    ['refresh with an empty token', () => refreshTokenGrant(config, ''), 'ERR_INVALID_ARG_VALUE'],
    ['refresh with no token', () => refreshTokenGrant(config, undefined as never), 'ERR_INVALID_ARG_TYPE'],
    [
      'polling without device_code',
      () => pollDeviceAuthorizationGrant(config, { ...pendingDevice(), device_code: undefined } as never),
      'ERR_INVALID_ARG_TYPE',
    ],
    [
      'polling with a negative interval',
      () => pollDeviceAuthorizationGrant(config, pendingDevice({ interval: -1 })),
      'ERR_INVALID_ARG_VALUE',
    ],
    [
      'polling with a NaN interval',
      () => pollDeviceAuthorizationGrant(config, pendingDevice({ interval: NaN })),
      'ERR_INVALID_ARG_VALUE',
    ],
    [
      'polling with an Infinity interval',
      () => pollDeviceAuthorizationGrant(config, pendingDevice({ interval: Infinity })),
      'ERR_INVALID_ARG_VALUE',
    ],
    [
      'polling with a string interval',
      () => pollDeviceAuthorizationGrant(config, pendingDevice({ interval: '5' as never })),
      'ERR_INVALID_ARG_VALUE',
    ],
    [
      'CIBA polling with a negative interval',
      () => pollBackchannelAuthenticationGrant(config, { auth_req_id: 'r', expires_in: 10, interval: -0.5 }),
      'ERR_INVALID_ARG_VALUE',
    ],
    [
      'polling without expires_in or signal',
      () => pollDeviceAuthorizationGrant(config, { ...pendingDevice(), expires_in: undefined } as never),
      'ERR_INVALID_ARG_VALUE',
    ],
    [
      'polling with a signal that is not an AbortSignal',
      () => pollDeviceAuthorizationGrant(config, pendingDevice(), undefined, { signal: {} as never }),
      'ERR_INVALID_ARG_TYPE',
    ],
    [
      'CIBA polling without auth_req_id',
      () => pollBackchannelAuthenticationGrant(config, { expires_in: 10 } as never),
      'ERR_INVALID_ARG_TYPE',
    ],
    ['introspection without a token', () => tokenIntrospection(config, ''), 'ERR_INVALID_ARG_VALUE'],
    ['revocation without a token', () => tokenRevocation(config, 1 as never), 'ERR_INVALID_ARG_TYPE'],
    [
      'a protected resource call with an authorization header',
      () =>
        fetchProtectedResource(
          config,
          'at',
          new URL(`${server.origin}/api`),
          'GET',
          undefined,
          new Headers({ authorization: 'Basic x' }),
        ),
      'ERR_INVALID_ARG_VALUE',
    ],
    [
      'a protected resource call with a string URL',
      () => fetchProtectedResource(config, 'at', `${server.origin}/api` as never, 'GET'),
      'ERR_INVALID_ARG_TYPE',
    ],
    [
      'client credentials with a fake DPoP handle',
      () => clientCredentialsGrant(config, {}, { DPoP: {} as never }),
      'ERR_INVALID_ARG_VALUE',
    ],
    [
      'something that is not a Configuration',
      () => clientCredentialsGrant({} as never),
      'ERR_INVALID_ARG_TYPE',
    ],
  ]

  for (const [name, call, code] of cases) {
    it(name, async () => {
      const err = await rejection(call())
      expect(err).toBeInstanceOf(TypeError)
      expect(err.code).toBe(code)
      expect(server.requests).toHaveLength(0)
    })
  }
})

describe('JWT introspection responses (RFC 9701)', () => {
  let jwtConfig: Configuration
  beforeAll(() => {
    jwtConfig = configurationFor(server, {
      server: { introspection_endpoint: `${server.origin}/introspect` },
      metadata: { introspection_signed_response_alg: 'ES256' },
    })
  })
  const now = () => Math.floor(Date.now() / 1000)
  const header = { alg: 'ES256', typ: 'token-introspection+jwt' }
  const claims = (overrides: Record<string, unknown> = {}) => ({
    iss: server.origin,
    aud: CLIENT_ID,
    iat: now(),
    token_introspection: { active: true, scope: 'api:read', sub: 'alice' },
    ...overrides,
  })
  function answerJwt(jwt: string) {
    server.script((_req, res) =>
      send(res, 200, jwt, { 'content-type': 'application/token-introspection+jwt' }),
    )
  }

  it('asks for a JWT and returns its token_introspection claim', async () => {
    answerJwt(craftJwt(header, claims()))
    const result = await tokenIntrospection(jwtConfig, 'tok')
    expect(result).toEqual({ active: true, scope: 'api:read', sub: 'alice' })
    expect(server.requests[0]!.headers.accept).toBe('application/token-introspection+jwt')
  })

  it('accepts the "application/" prefixed typ', async () => {
    answerJwt(craftJwt({ ...header, typ: 'application/token-introspection+jwt' }, claims()))
    await expect(tokenIntrospection(jwtConfig, 'tok')).resolves.toMatchObject({ active: true })
  })

  it('still accepts a plain JSON answer', async () => {
    server.script((_req, res) => json(res, 200, { active: false }))
    await expect(tokenIntrospection(jwtConfig, 'tok')).resolves.toEqual({ active: false })
  })

  for (const [name, jwt, code] of [
    ['a wrong typ', () => craftJwt({ ...header, typ: 'JWT' }, claims()), 'OAUTH_INVALID_RESPONSE'],
    ['another alg', () => craftJwt({ ...header, alg: 'RS256' }, claims()), 'OAUTH_INVALID_RESPONSE'],
    [
      'another audience',
      () => craftJwt(header, claims({ aud: 'someone-else' })),
      'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
    ],
    [
      'another issuer',
      () => craftJwt(header, claims({ iss: 'https://evil.example' })),
      'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
    ],
    ['no iat', () => craftJwt(header, claims({ iat: undefined })), 'OAUTH_INVALID_RESPONSE'],
    [
      'an expired exp',
      () => craftJwt(header, claims({ exp: now() - 3600 })),
      'OAUTH_JWT_TIMESTAMP_CHECK_FAILED',
    ],
    [
      'no token_introspection',
      () => craftJwt(header, claims({ token_introspection: undefined })),
      'OAUTH_INVALID_RESPONSE',
    ],
    [
      'a non-boolean active',
      () => craftJwt(header, claims({ token_introspection: { active: 1 } })),
      'OAUTH_INVALID_RESPONSE',
    ],
    ['an encrypted JWT without decryption', () => 'a.b.c.d.e', 'OAUTH_UNSUPPORTED_OPERATION'],
    ['a non-JWT', () => 'not-a-jwt', 'OAUTH_INVALID_RESPONSE'],
  ] as const) {
    it(`a JWT response with ${name} is ${code}`, async () => {
      answerJwt(jwt())
      const err = await rejection(tokenIntrospection(jwtConfig, 'tok'))
      expect(err).toBeInstanceOf(ClientError)
      expect(err.code).toBe(code)
      expectNoSecret(err)
    })
  }
})
