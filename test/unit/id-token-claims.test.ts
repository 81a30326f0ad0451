// ID Token claim validation at the token endpoint (contract §2.5, RFC 7519 §4.1, OIDC Core §3.1.3.7), boundary by
// boundary: `exp` is refused from `now - tolerance` down, `nbf` from `now + tolerance + 1` up (as oauth4webapi
// 3.8.8 decides), each claim's type, the required claims, `iss`, `aud`, `azp`, `sub`, `auth_time` and the
// algorithm policy. The clock is faked (Date only); the token endpoint is a customFetch, no network.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  ClientError,
  Configuration,
  None,
  clockSkew,
  clockTolerance,
  customFetch,
  genericGrantRequest,
} from '../../src/index.js'
import type { ClientMetadata, ServerMetadata } from '../../src/index.js'
import { rejection, type Failure } from '../support/expect.js'

const ISSUER = 'https://op.example.test'
const CLIENT_ID = 'client-1'
const GRANT = 'urn:example:params:oauth:grant-type:claims'
/** The faked clock: NOW seconds and 999 ms, so that a rounding up instead of down shows. */
const NOW = 1_800_000_000

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
/** Token-endpoint ID Tokens are not signature-checked unless non-repudiation checks are on (contract §2.5). */
const jwt = (payload: unknown, header: unknown = { alg: 'RS256' }) =>
  `${b64(header)}.${b64(payload)}.${Buffer.from('sig').toString('base64url')}`

function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const base: Record<string, unknown> = {
    iss: ISSUER,
    sub: 'alice',
    aud: CLIENT_ID,
    iat: NOW,
    exp: NOW + 300,
  }
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete base[name]
    else base[name] = value
  }
  return base
}

interface Setup {
  client?: Partial<ClientMetadata>
  server?: Partial<ServerMetadata>
}

function config(setup: Setup, idToken: string): Configuration {
  const server: ServerMetadata = { issuer: ISSUER, token_endpoint: `${ISSUER}/token`, ...setup.server }
  const cfg = new Configuration(server, CLIENT_ID, setup.client ?? {}, None())
  cfg[customFetch] = async () =>
    new Response(JSON.stringify({ access_token: 'at', token_type: 'Bearer', id_token: idToken }), {
      headers: { 'content-type': 'application/json' },
    })
  return cfg
}

const accept = async (idToken: string, setup: Setup = {}) =>
  genericGrantRequest(config(setup, idToken), GRANT, {})

const refuse = (idToken: string, setup: Setup = {}) => rejection(accept(idToken, setup))

/** A ClientError with this code, whose cause (the processing error) says `detail`. */
function expectFailure(err: Failure, code: string, detail: string | RegExp) {
  expect(err).toBeInstanceOf(ClientError)
  expect(err.code).toBe(code)
  const cause = err.cause as Error
  if (typeof detail === 'string') expect(cause.message).toBe(detail)
  else expect(cause.message).toMatch(detail)
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(NOW * 1000 + 999)
})
afterEach(() => {
  vi.useRealTimers()
})

const EXPIRED = 'unexpected JWT "exp" (expiration time) claim value, expiration is past current timestamp'
const NOT_YET = 'unexpected JWT "nbf" (not before) claim value'

describe('exp: refused when exp <= now - tolerance', () => {
  for (const tolerance of [undefined, 0, 5]) {
    const effective = tolerance ?? 30
    const client = tolerance === undefined ? {} : { [clockTolerance]: tolerance }
    it(`tolerance ${tolerance ?? 'default (30)'}: exp = now - ${effective} is refused`, async () => {
      const err = await refuse(jwt(claims({ exp: NOW - effective })), { client })
      expectFailure(err, 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED', EXPIRED)
      expect(err.message).toBe('JWT timestamp claim value failed validation')
    })
    it(`tolerance ${tolerance ?? 'default (30)'}: exp = now - ${effective} - 1 is refused`, async () => {
      const err = await refuse(jwt(claims({ exp: NOW - effective - 1 })), { client })
      expectFailure(err, 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED', EXPIRED)
    })
    it(`tolerance ${tolerance ?? 'default (30)'}: exp = now - ${effective} + 1 is accepted`, async () => {
      const tokens = await accept(jwt(claims({ exp: NOW - effective + 1 })), { client })
      expect(tokens.claims()?.exp).toBe(NOW - effective + 1)
    })
  }

  it('the clock skew moves now: skew +10 makes exp = now + 10 - 30 the first refused value', async () => {
    const client = { [clockSkew]: 10 }
    expectFailure(
      await refuse(jwt(claims({ exp: NOW + 10 - 30 })), { client }),
      'OAUTH_JWT_TIMESTAMP_CHECK_FAILED',
      EXPIRED,
    )
    expect((await accept(jwt(claims({ exp: NOW + 10 - 29 })), { client })).claims()?.exp).toBe(NOW - 19)
  })

  it('the clock skew moves now backwards too: skew -10 accepts exp = now - 39', async () => {
    const client = { [clockSkew]: -10 }
    expect((await accept(jwt(claims({ exp: NOW - 39 })), { client })).claims()?.exp).toBe(NOW - 39)
    expectFailure(
      await refuse(jwt(claims({ exp: NOW - 40 })), { client }),
      'OAUTH_JWT_TIMESTAMP_CHECK_FAILED',
      EXPIRED,
    )
  })

  it('the failure carries now and tolerance in its cause', async () => {
    const err = await refuse(jwt(claims({ exp: NOW - 100 })), { client: { [clockTolerance]: 7 } })
    const inner = (err.cause as { cause: Record<string, unknown> }).cause
    expect(inner['now']).toBe(NOW)
    expect(inner['tolerance']).toBe(7)
    expect((inner['claims'] as Record<string, unknown>)['exp']).toBe(NOW - 100)
  })

  it('an exp that is not a number is OAUTH_INVALID_RESPONSE', async () => {
    for (const exp of [String(NOW + 300), null, [NOW + 300], true]) {
      expectFailure(
        await refuse(jwt(claims({ exp }))),
        'OAUTH_INVALID_RESPONSE',
        'unexpected JWT "exp" (expiration time) claim type',
      )
    }
  })
})

describe('nbf: refused when nbf > now + tolerance', () => {
  for (const tolerance of [undefined, 0, 5]) {
    const effective = tolerance ?? 30
    const client = tolerance === undefined ? {} : { [clockTolerance]: tolerance }
    it(`tolerance ${tolerance ?? 'default (30)'}: nbf = now + ${effective} is accepted`, async () => {
      const tokens = await accept(jwt(claims({ nbf: NOW + effective })), { client })
      expect(tokens.claims()?.['nbf']).toBe(NOW + effective)
    })
    it(`tolerance ${tolerance ?? 'default (30)'}: nbf = now + ${effective} - 1 is accepted`, async () => {
      expect((await accept(jwt(claims({ nbf: NOW + effective - 1 })), { client })).access_token).toBe('at')
    })
    it(`tolerance ${tolerance ?? 'default (30)'}: nbf = now + ${effective} + 1 is refused`, async () => {
      const err = await refuse(jwt(claims({ nbf: NOW + effective + 1 })), { client })
      expectFailure(err, 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED', NOT_YET)
    })
  }

  it('the clock skew moves now: skew -10 refuses nbf = now + 21', async () => {
    const client = { [clockSkew]: -10 }
    expect((await accept(jwt(claims({ nbf: NOW + 20 })), { client })).access_token).toBe('at')
    expectFailure(
      await refuse(jwt(claims({ nbf: NOW + 21 })), { client }),
      'OAUTH_JWT_TIMESTAMP_CHECK_FAILED',
      NOT_YET,
    )
  })

  it('an nbf that is not a number is OAUTH_INVALID_RESPONSE', async () => {
    for (const nbf of [String(NOW), null, {}]) {
      expectFailure(
        await refuse(jwt(claims({ nbf }))),
        'OAUTH_INVALID_RESPONSE',
        'unexpected JWT "nbf" (not before) claim type',
      )
    }
  })
})

describe('iat: a number, and no timestamp rule at the token endpoint (as openid-client)', () => {
  it('iat = now + tolerance + 1 and iat an hour old are both accepted', async () => {
    for (const iat of [NOW + 31, NOW + 30, NOW - 3601, 0]) {
      expect((await accept(jwt(claims({ iat })))).claims()?.iat).toBe(iat)
    }
  })

  it('an iat that is not a number is OAUTH_INVALID_RESPONSE', async () => {
    for (const iat of [String(NOW), null, [NOW]]) {
      expectFailure(
        await refuse(jwt(claims({ iat }))),
        'OAUTH_INVALID_RESPONSE',
        'unexpected JWT "iat" (issued at) claim type',
      )
    }
  })
})

describe('auth_time and default_max_age', () => {
  const AUTH_TIME_MISSING = 'JWT "auth_time" (authentication time) claim missing'

  it('auth_time is required with require_auth_time: true or any default_max_age', async () => {
    for (const client of [{ require_auth_time: true }, { default_max_age: 0 }, { default_max_age: 3600 }]) {
      expectFailure(await refuse(jwt(claims()), { client }), 'OAUTH_INVALID_RESPONSE', AUTH_TIME_MISSING)
    }
  })

  it('auth_time is optional otherwise', async () => {
    for (const client of [{}, { require_auth_time: false }]) {
      expect((await accept(jwt(claims()), { client })).claims()?.auth_time).toBeUndefined()
    }
  })

  it('auth_time + max_age is not compared with now at the token endpoint (as openid-client 6.8.9)', async () => {
    const client = { default_max_age: 60 }
    for (const auth_time of [NOW - 60 - 30, NOW - 60 - 31, NOW - 86_400, NOW + 3600]) {
      expect((await accept(jwt(claims({ auth_time })), { client })).claims()?.auth_time).toBe(auth_time)
    }
  })

  it('auth_time 0 is accepted; a negative one is refused', async () => {
    expect((await accept(jwt(claims({ auth_time: 0 })))).claims()?.auth_time).toBe(0)
    expectFailure(
      await refuse(jwt(claims({ auth_time: -1 }))),
      'OAUTH_INVALID_RESPONSE',
      'ID Token "auth_time" (authentication time) must be a non-negative number',
    )
  })

  it('an auth_time that is not a finite number is refused as "a number"', async () => {
    // 1e400 is valid JSON and parses to Infinity.
    const infinite = `${b64({ alg: 'RS256' })}.${Buffer.from(
      JSON.stringify(claims()).replace(/}$/, ',"auth_time":1e400}'),
    ).toString('base64url')}.c2ln`
    for (const token of [
      jwt(claims({ auth_time: String(NOW) })),
      jwt(claims({ auth_time: null })),
      infinite,
    ]) {
      expectFailure(
        await refuse(token),
        'OAUTH_INVALID_RESPONSE',
        'ID Token "auth_time" (authentication time) must be a number',
      )
    }
  })

  it('default_max_age is checked before the ID Token is looked at: a caller mistake', async () => {
    const garbage = 'not-a-jwt'
    for (const default_max_age of ['60', Infinity, NaN, null]) {
      const err = await refuse(garbage, { client: { default_max_age: default_max_age as number } })
      expect(err).toBeInstanceOf(TypeError)
      expect(err.code).toBe('ERR_INVALID_ARG_TYPE')
      expect(err.message).toBe('"client.default_max_age" must be a number')
    }
    const err = await refuse(garbage, { client: { default_max_age: -1 } })
    expect(err).toBeInstanceOf(TypeError)
    expect(err.code).toBe('ERR_INVALID_ARG_VALUE')
    expect(err.message).toBe('"client.default_max_age" must be a non-negative number')
    // 0 is a valid setting: the token itself is then what fails.
    expectFailure(
      await refuse(garbage, { client: { default_max_age: 0 } }),
      'OAUTH_INVALID_RESPONSE',
      'Invalid JWT',
    )
  })
})

describe('required claims, iss, aud, azp, sub', () => {
  for (const [claim, name] of [
    ['aud', 'audience'],
    ['exp', 'expiration time'],
    ['iat', 'issued at'],
    ['iss', 'issuer'],
    ['sub', 'subject'],
  ]) {
    it(`a missing ${claim} is OAUTH_INVALID_RESPONSE`, async () => {
      expectFailure(
        await refuse(jwt(claims({ [claim!]: undefined }))),
        'OAUTH_INVALID_RESPONSE',
        `JWT "${claim}" (${name}) claim missing`,
      )
    })
  }

  it('iss must be the issuer exactly', async () => {
    for (const iss of [`${ISSUER}/`, ISSUER.toUpperCase(), 'https://other.example.test']) {
      const err = await refuse(jwt(claims({ iss })))
      expectFailure(err, 'OAUTH_JWT_CLAIM_COMPARISON_FAILED', 'unexpected JWT "iss" (issuer) claim value')
      expect(err.message).toBe('unexpected JWT claim value encountered')
      const inner = (err.cause as { cause: Record<string, unknown> }).cause
      expect(inner['expected']).toBe(ISSUER)
      expect(inner['claim']).toBe('iss')
    }
  })

  it('an iss that is not a string is OAUTH_INVALID_RESPONSE', async () => {
    expectFailure(
      await refuse(jwt(claims({ iss: 42 }))),
      'OAUTH_INVALID_RESPONSE',
      'unexpected JWT "iss" (issuer) claim type',
    )
  })

  it('aud: the client ID, or an array that holds it', async () => {
    expect((await accept(jwt(claims({ aud: CLIENT_ID })))).claims()?.aud).toBe(CLIENT_ID)
    expect((await accept(jwt(claims({ aud: [CLIENT_ID] })))).claims()?.aud).toEqual([CLIENT_ID])
    for (const aud of ['client-2', [], ['client-2'], [`${CLIENT_ID} `]]) {
      const err = await refuse(jwt(claims({ aud })))
      expectFailure(err, 'OAUTH_JWT_CLAIM_COMPARISON_FAILED', 'unexpected JWT "aud" (audience) claim value')
      const inner = (err.cause as { cause: Record<string, unknown> }).cause
      expect(inner['expected']).toBe(CLIENT_ID)
      expect(inner['claim']).toBe('aud')
    }
  })

  it('an aud that is neither a string nor an array is OAUTH_INVALID_RESPONSE', async () => {
    for (const aud of [42, { client: CLIENT_ID }, true]) {
      expectFailure(
        await refuse(jwt(claims({ aud }))),
        'OAUTH_INVALID_RESPONSE',
        'unexpected JWT "aud" (audience) claim type',
      )
    }
  })

  it('several audiences need azp = the client ID', async () => {
    const aud = [CLIENT_ID, 'other']
    expectFailure(
      await refuse(jwt(claims({ aud }))),
      'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
      'ID Token "aud" (audience) claim includes additional untrusted audiences',
    )
    const err = await refuse(jwt(claims({ aud, azp: 'other' })))
    expectFailure(
      err,
      'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
      'unexpected ID Token "azp" (authorized party) claim value',
    )
    expect((err.cause as { cause: Record<string, unknown> }).cause['claim']).toBe('azp')
    expect((await accept(jwt(claims({ aud, azp: CLIENT_ID })))).claims()?.azp).toBe(CLIENT_ID)
  })

  it('a single audience needs no azp, and a wrong azp beside it is not looked at (as openid-client)', async () => {
    expect((await accept(jwt(claims({ aud: [CLIENT_ID], azp: 'other' })))).claims()?.azp).toBe('other')
    expect((await accept(jwt(claims({ aud: CLIENT_ID, azp: 'other' })))).claims()?.azp).toBe('other')
  })

  it('sub must be a string', async () => {
    for (const sub of [42, ['alice'], { id: 'alice' }]) {
      expectFailure(
        await refuse(jwt(claims({ sub }))),
        'OAUTH_INVALID_RESPONSE',
        'unexpected JWT "sub" (subject) claim type',
      )
    }
  })
})

describe('JWT structure and algorithm policy', () => {
  it('a JWT of 2 or 4 parts is OAUTH_INVALID_RESPONSE "Invalid JWT"', async () => {
    const good = jwt(claims())
    for (const token of [good.split('.').slice(0, 2).join('.'), `${good}.x`, 'abc']) {
      expectFailure(await refuse(token), 'OAUTH_INVALID_RESPONSE', 'Invalid JWT')
    }
  })

  it('a JWE (5 parts) without enableDecryptingResponses is OAUTH_UNSUPPORTED_OPERATION', async () => {
    const err = await refuse('a.b.c.d.e')
    expect(err).toBeInstanceOf(ClientError)
    expect(err.code).toBe('OAUTH_UNSUPPORTED_OPERATION')
    expect((err.cause as Error).message).toBe('JWE decryption is not configured')
  })

  it('a header or payload that is not base64url JSON is OAUTH_PARSE_ERROR', async () => {
    const [h, p, s] = jwt(claims()).split('.')
    expectFailure(
      await refuse(`${b64({ alg: 'RS256' }).slice(0, -2)}!!.${p}.${s}`),
      'OAUTH_PARSE_ERROR',
      'failed to parse JWT Header body as base64url encoded JSON',
    )
    expectFailure(
      await refuse(`${h}.${Buffer.from('{"sub":').toString('base64url')}.${s}`),
      'OAUTH_PARSE_ERROR',
      'failed to parse JWT Payload body as base64url encoded JSON',
    )
  })

  it('a header or payload that is not a JSON object is OAUTH_INVALID_RESPONSE', async () => {
    for (const value of [[], null, 42, 'text']) {
      const err = await refuse(jwt(value))
      expectFailure(err, 'OAUTH_INVALID_RESPONSE', 'JWT Payload must be a top level object')
      expect((err.cause as { cause: Record<string, unknown> }).cause['payload']).toEqual(value)
      expectFailure(
        await refuse(jwt(claims(), value)),
        'OAUTH_INVALID_RESPONSE',
        'JWT Header must be a top level object',
      )
    }
  })

  it('without any setting only RS256 is accepted', async () => {
    expect((await accept(jwt(claims(), { alg: 'RS256' }))).access_token).toBe('at')
    for (const alg of ['ES256', 'none', 'HS256', undefined, 256]) {
      expectFailure(
        await refuse(jwt(claims(), { alg })),
        'OAUTH_INVALID_RESPONSE',
        'unexpected JWT "alg" header parameter',
      )
    }
  })

  it("the server's id_token_signing_alg_values_supported replaces RS256", async () => {
    const server = { id_token_signing_alg_values_supported: ['ES256', 'PS256'] }
    for (const alg of ['ES256', 'PS256']) {
      expect((await accept(jwt(claims(), { alg }), { server })).access_token).toBe('at')
    }
    for (const alg of ['RS256', ['ES256'], undefined]) {
      expectFailure(
        await refuse(jwt(claims(), { alg }), { server }),
        'OAUTH_INVALID_RESPONSE',
        'unexpected JWT "alg" header parameter',
      )
    }
  })

  it("the client's id_token_signed_response_alg wins over the server's list", async () => {
    const server = { id_token_signing_alg_values_supported: ['RS256', 'ES256'] }
    const client = { id_token_signed_response_alg: 'PS384' }
    expect((await accept(jwt(claims(), { alg: 'PS384' }), { server, client })).access_token).toBe('at')
    for (const alg of ['RS256', 'ES256']) {
      expectFailure(
        await refuse(jwt(claims(), { alg }), { server, client }),
        'OAUTH_INVALID_RESPONSE',
        'unexpected JWT "alg" header parameter',
      )
    }
  })

  it('a crit header parameter is OAUTH_UNSUPPORTED_OPERATION', async () => {
    const err = await refuse(jwt(claims(), { alg: 'RS256', crit: ['b64'], b64: false }))
    expect(err.code).toBe('OAUTH_UNSUPPORTED_OPERATION')
    expect((err.cause as Error).message).toBe('no JWT "crit" header parameter extensions are supported')
  })

  it('the validated claims are returned by claims()', async () => {
    const payload = claims({ nonce: 'n', azp: CLIENT_ID, custom: { a: [1] } })
    expect((await accept(jwt(payload))).claims()).toEqual(payload)
  })
})
