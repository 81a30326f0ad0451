// The token endpoint round trip (contract §2.4, RFC 6749 §5.1) through the public grants: the request the
// pipeline builds (form, headers, DPoP, client authentication, transport) and the response rules field by field,
// with the expiresIn()/claims() helpers at their boundaries. The token endpoint is a customFetch, no network.
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  ClientError,
  ClientSecretBasic,
  Configuration,
  None,
  ResponseBodyError,
  clientCredentialsGrant,
  customFetch,
  enableDecryptingResponses,
  enableNonRepudiationChecks,
  genericGrantRequest,
  getDPoPHandle,
  randomDPoPKeyPair,
  tokenExchangeGrant,
} from '../../src/index.js'
import type { ClientAuth, CustomFetchOptions, DPoPHandle, ServerMetadata } from '../../src/index.js'
import { rejection, type Failure } from '../support/expect.js'

const ISSUER = 'https://op.example.test'
const TOKEN_ENDPOINT = `${ISSUER}/oauth2/token`
const CLIENT_ID = 'client-1'
const GRANT = 'urn:example:params:oauth:grant-type:response'

interface Seen {
  url: string
  options: CustomFetchOptions
  body: URLSearchParams
}

/** A configuration whose token endpoint answers with `answer()` and records every request. */
function setup(
  answer: (seen: Seen) => Response = () => ok({}),
  options: { server?: Partial<ServerMetadata>; auth?: ClientAuth } = {},
) {
  const seen: Seen[] = []
  const server: ServerMetadata = { issuer: ISSUER, token_endpoint: TOKEN_ENDPOINT, ...options.server }
  const config = new Configuration(server, CLIENT_ID, {}, options.auth ?? None())
  config[customFetch] = async (url, init) => {
    const entry = { url, options: init, body: new URLSearchParams(init.body as URLSearchParams) }
    seen.push(entry)
    return answer(entry)
  }
  return { config, seen }
}

function ok(members: Record<string, unknown>, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ access_token: 'at', token_type: 'Bearer', ...members }), {
    headers: { 'content-type': 'application/json', ...headers },
  })
}

/** A response whose body text is given as is. */
function raw(text: string): Response {
  return new Response(text, { headers: { 'content-type': 'application/json' } })
}

function expectInvalid(err: Failure, detail: string) {
  expect(err).toBeInstanceOf(ClientError)
  expect(err.code).toBe('OAUTH_INVALID_RESPONSE')
  expect(err.message).toBe('invalid response encountered')
  expect((err.cause as Error).message).toBe(detail)
}

const grantWith = (members: Record<string, unknown>) =>
  genericGrantRequest(setup(() => ok(members)).config, GRANT, {})
const failWith = (members: Record<string, unknown>) => rejection(grantWith(members))

afterEach(() => {
  vi.useRealTimers()
})

describe('access_token and token_type', () => {
  for (const name of ['access_token', 'token_type']) {
    it(`${name} must be a string`, async () => {
      for (const value of [null, 42, ['at'], { v: 'at' }]) {
        const err = await failWith({ [name]: value })
        expectInvalid(err, `"response" body "${name}" property must be a string`)
        const inner = (err.cause as { cause: { body: Record<string, unknown> } }).cause
        expect(Object.keys(inner.body)).toContain(name)
      }
      const missing = await rejection(
        genericGrantRequest(
          setup(() => raw(JSON.stringify({ access_token: 'at', token_type: 'Bearer', [name]: undefined })))
            .config,
          GRANT,
          {},
        ),
      )
      expectInvalid(missing, `"response" body "${name}" property must be a string`)
    })

    it(`${name} must not be empty`, async () => {
      expectInvalid(await failWith({ [name]: '' }), `"response" body "${name}" property must not be empty`)
    })
  }

  it('token_type is lower-cased: Bearer, BEARER and DPoP are accepted', async () => {
    expect((await grantWith({ token_type: 'Bearer' })).token_type).toBe('bearer')
    expect((await grantWith({ token_type: 'BEARER' })).token_type).toBe('bearer')
    expect((await grantWith({ token_type: 'DPoP' })).token_type).toBe('dpop')
  })

  it('any other token_type is OAUTH_UNSUPPORTED_OPERATION', async () => {
    for (const token_type of ['mac', 'N_A', 'bearer ', 'Bearer-ish']) {
      const err = await failWith({ token_type })
      expect(err).toBeInstanceOf(ClientError)
      expect(err.code).toBe('OAUTH_UNSUPPORTED_OPERATION')
      expect((err.cause as Error).message).toBe('unsupported `token_type` value')
    }
  })

  it('N_A is recognized for token exchange only (RFC 8693 §2.2.1)', async () => {
    const { config } = setup(() =>
      ok({ token_type: 'N_A', issued_token_type: 'urn:ietf:params:oauth:token-type:id_token' }),
    )
    const exchanged = await tokenExchangeGrant(config, {
      subject_token: 'st',
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    })
    expect(exchanged.token_type).toBe('n_a')
    const generic = await genericGrantRequest(config, 'urn:ietf:params:oauth:grant-type:token-exchange', {})
    expect(generic.token_type).toBe('n_a')
    expect((await rejection(genericGrantRequest(config, GRANT, {}))).code).toBe('OAUTH_UNSUPPORTED_OPERATION')
  })
})

describe('expires_in', () => {
  it('a number is kept, 0 included', async () => {
    expect((await grantWith({ expires_in: 3600 })).expires_in).toBe(3600)
    expect((await grantWith({ expires_in: 0 })).expires_in).toBe(0)
    expect((await grantWith({ expires_in: 1.5 })).expires_in).toBe(1.5)
  })

  it('a numeric string is read leniently, as openid-client: "3600" and "3600s" are 3600', async () => {
    expect((await grantWith({ expires_in: '3600' })).expires_in).toBe(3600)
    expect((await grantWith({ expires_in: '3600s' })).expires_in).toBe(3600)
    expect((await grantWith({ expires_in: '0' })).expires_in).toBe(0)
  })

  it('anything else is "must be a number"', async () => {
    for (const expires_in of ['soon', '', null, true, [], {}]) {
      expectInvalid(await failWith({ expires_in }), '"response" body "expires_in" property must be a number')
    }
    // 1e400 is valid JSON for Infinity.
    const infinite = raw('{"access_token":"at","token_type":"bearer","expires_in":1e400}')
    expectInvalid(
      await rejection(genericGrantRequest(setup(() => infinite).config, GRANT, {})),
      '"response" body "expires_in" property must be a number',
    )
  })

  it('a negative number is "must be a non-negative number", from -1 to just below 0', async () => {
    for (const expires_in of [-1, -0.001, '-5']) {
      expectInvalid(
        await failWith({ expires_in }),
        '"response" body "expires_in" property must be a non-negative number',
      )
    }
  })

  it('absent: expires_in stays undefined and expiresIn() is undefined', async () => {
    const tokens = await grantWith({})
    expect('expires_in' in tokens).toBe(false)
    expect(tokens.expiresIn()).toBeUndefined()
  })
})

describe('expiresIn() counts down in whole seconds and stops at 0', () => {
  const T0 = 1_800_000_000_000

  it('from the moment the response was processed', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(T0)
    const tokens = await grantWith({ expires_in: 10 })
    expect(tokens.expiresIn()).toBe(10)
    vi.setSystemTime(T0 + 1)
    expect(tokens.expiresIn()).toBe(9)
    vi.setSystemTime(T0 + 1500)
    expect(tokens.expiresIn()).toBe(8)
    vi.setSystemTime(T0 + 9000)
    expect(tokens.expiresIn()).toBe(1)
    vi.setSystemTime(T0 + 9001)
    expect(tokens.expiresIn()).toBe(0)
    vi.setSystemTime(T0 + 10_000)
    expect(tokens.expiresIn()).toBe(0)
    vi.setSystemTime(T0 + 60_000)
    expect(tokens.expiresIn()).toBe(0)
  })

  it('a fractional or string lifetime counts the same way', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(T0)
    const fractional = await grantWith({ expires_in: 2.5 })
    const text = await grantWith({ expires_in: '120' })
    vi.setSystemTime(T0 + 1000)
    expect(fractional.expiresIn()).toBe(1)
    expect(text.expiresIn()).toBe(119)
  })

  it('expires_in 0 is 0 at once', async () => {
    expect((await grantWith({ expires_in: 0 })).expiresIn()).toBe(0)
  })

  it('a lifetime too large for a Date is not "already expired"', async () => {
    expect((await grantWith({ expires_in: 1e308 })).expiresIn()).toBe(Infinity)
  })

  it('the helpers are non-enumerable, read-only and non-configurable', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(T0)
    const tokens = await grantWith({ expires_in: 60, scope: 'a b' })
    expect(Object.keys(tokens)).toEqual(['access_token', 'token_type', 'expires_in', 'scope'])
    expect(JSON.parse(JSON.stringify(tokens))).toEqual({
      access_token: 'at',
      token_type: 'bearer',
      expires_in: 60,
      scope: 'a b',
    })
    for (const name of ['claims', 'expiresIn'] as const) {
      const descriptor = Object.getOwnPropertyDescriptor(tokens, name)!
      expect(descriptor.enumerable).toBe(false)
      expect(descriptor.writable).toBe(false)
      expect(descriptor.configurable).toBe(false)
      expect(() => {
        ;(tokens as unknown as Record<string, unknown>)[name] = () => 'changed'
      }).toThrow(TypeError)
      expect(() => Object.defineProperty(tokens, name, { value: 1 })).toThrow(TypeError)
    }
    const { expiresIn, claims } = tokens
    expect(expiresIn()).toBe(60)
    expect(claims()).toBeUndefined()
  })
})

describe('refresh_token, scope and id_token', () => {
  it('refresh_token, when present, is a non-empty string', async () => {
    expect((await grantWith({ refresh_token: 'rt' })).refresh_token).toBe('rt')
    for (const refresh_token of [42, null, ['rt']]) {
      expectInvalid(
        await failWith({ refresh_token }),
        '"response" body "refresh_token" property must be a string',
      )
    }
    expectInvalid(
      await failWith({ refresh_token: '' }),
      '"response" body "refresh_token" property must not be empty',
    )
  })

  it('scope, when present, is a string (an empty one too)', async () => {
    expect((await grantWith({ scope: 'openid profile' })).scope).toBe('openid profile')
    expect((await grantWith({ scope: '' })).scope).toBe('')
    for (const scope of [42, null, ['openid'], true]) {
      expectInvalid(await failWith({ scope }), '"response" body "scope" property must be a string')
    }
  })

  it('id_token, when present, is a non-empty string', async () => {
    for (const id_token of [42, null, {}]) {
      expectInvalid(await failWith({ id_token }), '"response" body "id_token" property must be a string')
    }
    expectInvalid(await failWith({ id_token: '' }), '"response" body "id_token" property must not be empty')
  })

  it('an unknown token_type is reported after the ID Token was checked', async () => {
    const err = await failWith({ token_type: 'mac', id_token: 'x.y' })
    expectInvalid(err, 'Invalid JWT')
  })

  it('other members are passed through untouched', async () => {
    const tokens = await grantWith({ authorization_details: [{ type: 'x' }], custom: { a: 1 } })
    expect(tokens['authorization_details']).toEqual([{ type: 'x' }])
    expect(tokens['custom']).toEqual({ a: 1 })
  })
})

describe('ID Tokens: decryption and signature by grant', () => {
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const now = () => Math.floor(Date.now() / 1000)
  const idToken = () =>
    `${b64({ alg: 'RS256' })}.${b64({ iss: ISSUER, sub: 's', aud: CLIENT_ID, iat: now(), exp: now() + 60 })}.c2ln`

  it('client credentials never decrypts an encrypted ID Token (as openid-client); other grants do try', async () => {
    const { config } = setup(() => ok({ id_token: 'a.b.c.d.e' }))
    const { privateKey } = (await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, [
      'deriveBits',
    ])) as CryptoKeyPair
    enableDecryptingResponses(config, undefined, privateKey)
    const cc = await rejection(clientCredentialsGrant(config))
    expect(cc.code).toBe('OAUTH_UNSUPPORTED_OPERATION')
    expect((cc.cause as Error).message).toBe('JWE decryption is not configured')
    const generic = await rejection(genericGrantRequest(config, GRANT, {}))
    expect(generic.code).toBe('OAUTH_DECRYPTION_FAILED')
  })

  it('with non-repudiation checks, client credentials skips the signature; other grants check it', async () => {
    // No jwks_uri: a signature check cannot even start.
    const { config, seen } = setup(() => ok({ id_token: idToken() }))
    enableNonRepudiationChecks(config)
    const cc = await clientCredentialsGrant(config)
    expect(cc.claims()?.sub).toBe('s')
    const err = await rejection(genericGrantRequest(config, GRANT, {}))
    expect(err.code).toBe('OAUTH_MISSING_SERVER_METADATA')
    expect(seen).toHaveLength(2)
  })

  it('without non-repudiation checks the junk signature is not looked at', async () => {
    const tokens = await genericGrantRequest(setup(() => ok({ id_token: idToken() })).config, GRANT, {})
    expect(tokens.claims()?.aud).toBe(CLIENT_ID)
  })
})

describe('the request', () => {
  it('a form POST to the token endpoint with grant_type, the parameters and the standard headers', async () => {
    const { config, seen } = setup()
    await genericGrantRequest(config, GRANT, {
      resource: ['https://a', 'https://b'],
      n: 1,
      skip: undefined,
    } as never)
    expect(seen).toHaveLength(1)
    const [{ url, options, body }] = seen as [Seen]
    expect(url).toBe(TOKEN_ENDPOINT)
    expect(options.method).toBe('POST')
    expect(options.redirect).toBe('manual')
    expect(options.signal).toBeInstanceOf(AbortSignal)
    expect(options.headers).toEqual({
      accept: 'application/json',
      'content-type': 'application/x-www-form-urlencoded;charset=UTF-8',
      'user-agent': 'grantline/0.1.0',
    })
    expect([...body]).toEqual([
      ['resource', 'https://a'],
      ['resource', 'https://b'],
      ['n', '1'],
      ['grant_type', GRANT],
      ['client_id', CLIENT_ID],
    ])
  })

  it("grant_type overrides a caller's grant_type, and the caller's parameters are not changed", async () => {
    const { config, seen } = setup()
    const parameters = new URLSearchParams({ grant_type: 'evil', a: '1' })
    await genericGrantRequest(config, GRANT, parameters)
    expect(seen[0]!.body.getAll('grant_type')).toEqual([GRANT])
    expect([...parameters]).toEqual([
      ['grant_type', 'evil'],
      ['a', '1'],
    ])
  })

  it('parameters may be a string, URLSearchParams, a Map, pairs, or nothing', async () => {
    const { config, seen } = setup()
    await genericGrantRequest(config, GRANT, 'a=1&b=2' as never)
    await genericGrantRequest(config, GRANT, new Map([['a', '1']]) as never)
    await genericGrantRequest(config, GRANT, [
      ['a', '1'],
      ['a', '2'],
    ] as never)
    await genericGrantRequest(config, GRANT, undefined as never)
    await genericGrantRequest(config, GRANT, null as never)
    await clientCredentialsGrant(config)
    const without = (body: URLSearchParams) =>
      [...body].filter(([name]) => name !== 'grant_type' && name !== 'client_id')
    expect(seen.map(({ body }) => without(body))).toEqual([
      [
        ['a', '1'],
        ['b', '2'],
      ],
      [['a', '1']],
      [
        ['a', '1'],
        ['a', '2'],
      ],
      [],
      [],
      [],
    ])
  })

  it('parameters that are not an object are refused before any request', async () => {
    const { config, seen } = setup()
    for (const parameters of [42, true, Symbol('x')]) {
      const err = await rejection(genericGrantRequest(config, GRANT, parameters as never))
      expect(err).toBeInstanceOf(TypeError)
      expect(err.code).toBe('ERR_INVALID_ARG_TYPE')
      expect(err.message).toBe('"parameters" must be an object or URLSearchParams')
    }
    expect(seen).toHaveLength(0)
  })

  it('an object whose Symbol.iterator is not a function is read as a plain object', async () => {
    const { config, seen } = setup()
    await genericGrantRequest(config, GRANT, { a: 'x', [Symbol.iterator]: 'nope' } as never)
    expect(seen[0]!.body.get('a')).toBe('x')
  })

  it('the client authentication runs on the very request and its headers', async () => {
    const { config, seen } = setup(undefined, { auth: ClientSecretBasic('s3cr3t') })
    await genericGrantRequest(config, GRANT, {})
    expect(seen[0]!.options.headers['authorization']).toBe(`Basic ${btoa('client%2D1:s3cr3t')}`)
    expect(seen[0]!.body.has('client_id')).toBe(false)
  })

  it('a server issuer that is not a non-empty string is a TypeError before any request', async () => {
    for (const [issuer, code, message] of [
      [undefined, 'ERR_INVALID_ARG_TYPE', '"as.issuer" must be a string'],
      [42, 'ERR_INVALID_ARG_TYPE', '"as.issuer" must be a string'],
      ['', 'ERR_INVALID_ARG_VALUE', '"as.issuer" must not be empty'],
    ] as const) {
      const { config, seen } = setup(undefined, { server: { issuer: issuer as never } })
      const err = await rejection(genericGrantRequest(config, GRANT, {}))
      expect(err).toBeInstanceOf(TypeError)
      expect(err.code).toBe(code)
      expect(err.message).toBe(message)
      expect(seen).toHaveLength(0)
    }
  })

  it('the configuration timeout bounds the request: timeout 0 sends no signal', async () => {
    const { config, seen } = setup()
    config.timeout = 0
    await genericGrantRequest(config, GRANT, {})
    expect(seen[0]!.options.signal).toBeUndefined()
    expect('signal' in seen[0]!.options).toBe(false)
  })
})

describe('DPoP at the token endpoint', () => {
  it('options.DPoP must be a handle: an object with addProof and cacheNonce functions', async () => {
    const { config, seen } = setup()
    const fn = () => {}
    for (const DPoP of [
      null,
      'x',
      42,
      {},
      { addProof: fn },
      { cacheNonce: fn },
      { addProof: 1, cacheNonce: fn },
    ]) {
      const err = await rejection(genericGrantRequest(config, GRANT, {}, { DPoP: DPoP as never }))
      expect(err).toBeInstanceOf(TypeError)
      expect(err.code).toBe('ERR_INVALID_ARG_VALUE')
      expect(err.message).toBe('"options.DPoP" is not a valid DPoPHandle')
    }
    expect(seen).toHaveLength(0)
  })

  it('any object with addProof and cacheNonce is used: a proof for POST to the endpoint, then the nonce', async () => {
    const calls: unknown[][] = []
    const DPoP = {
      addProof: async (url: URL, headers: Headers, htm: string, token?: string) => {
        calls.push(['addProof', url.href, htm, token])
        headers.set('dpop', 'proof')
      },
      cacheNonce: (response: Response, url: URL) => {
        calls.push(['cacheNonce', response.headers.get('dpop-nonce'), url.href])
      },
    } as unknown as DPoPHandle
    const { config, seen } = setup(() => ok({ token_type: 'DPoP' }, { 'dpop-nonce': 'n-1' }))
    const tokens = await genericGrantRequest(config, GRANT, {}, { DPoP })
    expect(tokens.token_type).toBe('dpop')
    expect(calls).toEqual([
      ['addProof', TOKEN_ENDPOINT, 'POST', undefined],
      ['cacheNonce', 'n-1', TOKEN_ENDPOINT],
    ])
    expect(seen[0]!.options.headers['dpop']).toBe('proof')
  })

  it('use_dpop_nonce is retried exactly once, with the nonce from the failed response', async () => {
    const config0 = setup().config
    const DPoP = getDPoPHandle(config0, await randomDPoPKeyPair())
    const proofs: string[] = []
    let calls = 0
    const { config } = setup(({ options }) => {
      proofs.push(options.headers['dpop']!)
      calls++
      return new Response(JSON.stringify({ error: 'use_dpop_nonce' }), {
        status: 400,
        headers: { 'content-type': 'application/json', 'dpop-nonce': `nonce-${calls}` },
      })
    })
    const err = await rejection(genericGrantRequest(config, GRANT, {}, { DPoP }))
    expect(err).toBeInstanceOf(ResponseBodyError)
    expect(err['error']).toBe('use_dpop_nonce')
    expect(calls).toBe(2)
    const nonceOf = (jws: string) => JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString()).nonce
    expect(proofs.map(nonceOf)).toEqual([undefined, 'nonce-1'])
  })

  it('without DPoP, use_dpop_nonce is not retried', async () => {
    let calls = 0
    const { config } = setup(() => {
      calls++
      return new Response(JSON.stringify({ error: 'use_dpop_nonce' }), {
        status: 400,
        headers: { 'content-type': 'application/json' },
      })
    })
    expect(await rejection(genericGrantRequest(config, GRANT, {}))).toBeInstanceOf(ResponseBodyError)
    expect(calls).toBe(1)
  })

  it('another OAuth error is not retried, DPoP or not', async () => {
    const DPoP = getDPoPHandle(setup().config, await randomDPoPKeyPair())
    let calls = 0
    const { config } = setup(() => {
      calls++
      return new Response(JSON.stringify({ error: 'invalid_dpop_proof' }), {
        status: 400,
        headers: { 'content-type': 'application/json', 'dpop-nonce': 'n' },
      })
    })
    const err = await rejection(genericGrantRequest(config, GRANT, {}, { DPoP }))
    expect(err['error']).toBe('invalid_dpop_proof')
    expect(calls).toBe(1)
  })

  it('a nonce retry that succeeds returns the second response', async () => {
    const DPoP = getDPoPHandle(setup().config, await randomDPoPKeyPair())
    let calls = 0
    const { config } = setup(() =>
      ++calls === 1
        ? new Response(JSON.stringify({ error: 'use_dpop_nonce' }), {
            status: 400,
            headers: { 'content-type': 'application/json', 'dpop-nonce': 'n' },
          })
        : ok({ access_token: 'second', token_type: 'DPoP' }),
    )
    expect((await genericGrantRequest(config, GRANT, {}, { DPoP })).access_token).toBe('second')
    expect(calls).toBe(2)
  })
})
