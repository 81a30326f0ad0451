// Client authentication methods as the token endpoint sees them (RFC 6749 §2.3.1, RFC 7523, RFC 8705 §2): what
// each method adds to the body and headers, the Basic credentials encoding of `:` `%` `+` space and non-ASCII,
// the secret read at request time, and the exact timestamps of client assertions under a faked clock.
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  ClientSecretBasic,
  ClientSecretJwt,
  ClientSecretPost,
  Configuration,
  None,
  PrivateKeyJwt,
  TlsClientAuth,
  clockSkew,
  customFetch,
  genericGrantRequest,
  randomDPoPKeyPair,
} from '../../src/index.js'
import type { ClientAuth, ClientMetadata, CustomFetchOptions, ServerMetadata } from '../../src/index.js'
import { formUrlEncode } from '../../src/client-auth/client-secret-basic.js'
import { expectTypeError, rejection } from '../support/expect.js'

const AS: ServerMetadata = {
  issuer: 'https://as.example.test',
  token_endpoint: 'https://as.example.test/token',
}
const NOW = 1_800_000_000

async function apply(auth: ClientAuth, client: Partial<ClientMetadata> = {}, as: ServerMetadata = AS) {
  const body = new URLSearchParams({ grant_type: 'client_credentials' })
  const headers = new Headers()
  await auth(as, { client_id: 'client', ...client } as ClientMetadata, body, headers)
  return { body, headers }
}

const basic = (headers: Headers) => atob(headers.get('authorization')!.replace(/^Basic /, ''))
const payloadOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString())

afterEach(() => {
  vi.useRealTimers()
})

describe('client_secret_basic credentials (RFC 6749 §2.3.1, Appendix B)', () => {
  it('encodes ":" "%" "+" space and non-ASCII in both the client_id and the secret', async () => {
    const { headers, body } = await apply(ClientSecretBasic('p:a%s+s w€'), { client_id: 'id:1%+ é' })
    expect(basic(headers)).toBe('id%3A1%25%2B+%C3%A9:p%3Aa%25s%2Bs+w%E2%82%AC')
    expect([...body.keys()]).toEqual(['grant_type'])
  })

  it("form-urlencoding escapes each of - _ . ! ~ * ' ( ) and nothing alphanumeric", () => {
    for (const c of "-_.!~*'()") {
      expect(formUrlEncode(c)).toBe(`%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    }
    expect(formUrlEncode('AZaz09')).toBe('AZaz09')
    expect(formUrlEncode('a b  c')).toBe('a+b++c')
    expect(formUrlEncode('')).toBe('')
  })

  it('the header is exactly "Basic " and the base64 of the credentials', async () => {
    const { headers } = await apply(ClientSecretBasic('secret'), { client_id: 'client' })
    expect(headers.get('authorization')).toBe(`Basic ${Buffer.from('client:secret').toString('base64')}`)
  })
})

describe('client_secret_post', () => {
  it('adds client_id and client_secret to the body and no header', async () => {
    const { body, headers } = await apply(ClientSecretPost('s e:c+r%t'), { client_id: 'client' })
    expect([...body]).toEqual([
      ['grant_type', 'client_credentials'],
      ['client_id', 'client'],
      ['client_secret', 's e:c+r%t'],
    ])
    expect([...headers.keys()]).toEqual([])
  })

  it('without a factory secret, reads client_secret from the metadata at request time', async () => {
    const auth = ClientSecretPost()
    expect((await apply(auth, { client_secret: 'from-metadata' })).body.get('client_secret')).toBe(
      'from-metadata',
    )
    expect((await apply(auth, { client_secret: 'rotated' })).body.get('client_secret')).toBe('rotated')
    const missing = await rejection(apply(auth))
    expect(missing).toBeInstanceOf(TypeError)
    expect(missing.code).toBe('ERR_INVALID_ARG_TYPE')
    expect(missing.message).toBe('"metadata.client_secret" must be a string')
    const empty = await rejection(apply(auth, { client_secret: '' }))
    expect(empty.code).toBe('ERR_INVALID_ARG_VALUE')
    expect(empty.message).toBe('"metadata.client_secret" must not be empty')
  })

  it('a factory secret wins over the metadata', async () => {
    expect(
      (await apply(ClientSecretPost('given'), { client_secret: 'meta' })).body.get('client_secret'),
    ).toBe('given')
  })

  it('a factory argument that is not a non-empty string is a TypeError at once', () => {
    for (const factory of [ClientSecretPost, ClientSecretBasic, ClientSecretJwt]) {
      expectTypeError(() => factory(42 as never), 'ERR_INVALID_ARG_TYPE', /^"clientSecret" must be a string$/)
      expectTypeError(
        () => factory(null as never),
        'ERR_INVALID_ARG_TYPE',
        /^"clientSecret" must be a string$/,
      )
      expectTypeError(() => factory(''), 'ERR_INVALID_ARG_VALUE', /^"clientSecret" must not be empty$/)
    }
  })
})

describe('none and tls_client_auth', () => {
  for (const [name, factory] of [
    ['none', None],
    ['tls_client_auth', TlsClientAuth],
  ] as const) {
    it(`${name} adds only client_id to the body`, async () => {
      const { body, headers } = await apply(factory(), {
        client_id: 'public-client',
        client_secret: 'unused',
      })
      expect([...body]).toEqual([
        ['grant_type', 'client_credentials'],
        ['client_id', 'public-client'],
      ])
      expect([...headers.keys()]).toEqual([])
    })
  }

  it('a Configuration with a client_secret and no method uses client_secret_post; without one, none', async () => {
    const seen: URLSearchParams[] = []
    const fetch = async (_url: string, options: CustomFetchOptions) => {
      seen.push(new URLSearchParams(options.body as URLSearchParams))
      return Response.json({ access_token: 'at', token_type: 'bearer' })
    }
    const withSecret = new Configuration(AS, 'c1', 'the-secret')
    const without = new Configuration(AS, 'c2')
    withSecret[customFetch] = fetch
    without[customFetch] = fetch
    await genericGrantRequest(withSecret, 'client_credentials', {})
    await genericGrantRequest(without, 'client_credentials', {})
    expect(seen[0]!.get('client_secret')).toBe('the-secret')
    expect(seen[1]!.has('client_secret')).toBe(false)
    expect(seen[1]!.get('client_id')).toBe('c2')
  })
})

describe('client assertion timestamps (faked clock)', () => {
  it('iat = nbf = now, exp = now + 60, in whole seconds', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(NOW * 1000 + 999)
    const { privateKey } = await randomDPoPKeyPair()
    for (const auth of [
      ClientSecretJwt('a-secret-of-sufficient-length-for-hs256'),
      PrivateKeyJwt(privateKey),
    ]) {
      const payload = payloadOf((await apply(auth)).body.get('client_assertion')!)
      expect(payload.iat).toBe(NOW)
      expect(payload.nbf).toBe(NOW)
      expect(payload.exp).toBe(NOW + 60)
    }
  })

  it('the clock skew shifts all three', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(NOW * 1000)
    const auth = ClientSecretJwt('a-secret-of-sufficient-length-for-hs256')
    const payload = payloadOf(
      (await apply(auth, { [clockSkew]: -90 } as never)).body.get('client_assertion')!,
    )
    expect([payload.iat, payload.nbf, payload.exp]).toEqual([NOW - 90, NOW - 90, NOW - 30])
  })

  it("audience 'token_endpoint' needs a non-empty token_endpoint string", async () => {
    const auth = ClientSecretJwt('a-secret-of-sufficient-length-for-hs256', { audience: 'token_endpoint' })
    for (const token_endpoint of [undefined, '', 42]) {
      const err = await rejection(apply(auth, {}, { issuer: AS.issuer, token_endpoint } as never))
      expect(err).toBeInstanceOf(TypeError)
      expect(err.code).toBe('ERR_INVALID_ARG_TYPE')
      expect(err.message).toBe('"as.token_endpoint" must be a string for a client assertion addressed to it')
    }
  })

  it("audience 'endpoint' outside a grantline request says why", async () => {
    const auth = ClientSecretJwt('a-secret-of-sufficient-length-for-hs256', { audience: 'endpoint' })
    const err = await rejection(apply(auth))
    expect(err.message).toBe(
      'a client assertion addressed to "endpoint" needs the request URL; it is only known inside grantline requests',
    )
  })

  it('unknown audience choices name the three that exist', () => {
    expectTypeError(
      () => ClientSecretJwt('s', { audience: 'aud' as never }),
      'ERR_INVALID_ARG_VALUE',
      /^"options.audience" must be "issuer", "token_endpoint" or "endpoint"$/,
    )
    expectTypeError(
      () => ClientSecretJwt('s', { audience: 7 as never }),
      'ERR_INVALID_ARG_TYPE',
      /^"options.audience" must be a string$/,
    )
  })
})

describe('private_key_jwt argument messages', () => {
  it('names what is wrong', async () => {
    const { privateKey } = await randomDPoPKeyPair()
    expectTypeError(
      () => PrivateKeyJwt(null as never),
      'ERR_INVALID_ARG_TYPE',
      /^"clientPrivateKey" must be a CryptoKey or a \{ key, kid\? \} object$/,
    )
    expectTypeError(
      () => PrivateKeyJwt({ key: privateKey, kid: 7 as never }),
      'ERR_INVALID_ARG_TYPE',
      /^"clientPrivateKey.kid" must be a string$/,
    )
    expectTypeError(
      () => PrivateKeyJwt({ key: privateKey, kid: '' }),
      'ERR_INVALID_ARG_VALUE',
      /^"clientPrivateKey.kid" must not be empty$/,
    )
  })

  it('a { key } without kid puts no kid in the header', async () => {
    const { privateKey } = await randomDPoPKeyPair()
    const jwt = (await apply(PrivateKeyJwt({ key: privateKey }))).body.get('client_assertion')!
    expect(JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString())).toEqual({ alg: 'ES256' })
  })
})

describe('client_secret_jwt secrets', () => {
  it('a given secret is used for every client object; a lazy one per client object', async () => {
    const verify = async (jwt: string, secret: string) => {
      const [h, p, s] = jwt.split('.')
      const key = await crypto.subtle.importKey(
        'raw',
        new TextEncoder().encode(secret),
        { name: 'HMAC', hash: 'SHA-256' },
        false,
        ['verify'],
      )
      return crypto.subtle.verify(
        'HMAC',
        key,
        Buffer.from(s!, 'base64url'),
        new TextEncoder().encode(`${h}.${p}`),
      )
    }
    const given = ClientSecretJwt('given-secret')
    for (const client_secret of ['x', 'y']) {
      const jwt = (await apply(given, { client_secret })).body.get('client_assertion')!
      expect(await verify(jwt, 'given-secret')).toBe(true)
    }
    const lazy = ClientSecretJwt()
    const first = { client_id: 'client', client_secret: 'first' } as ClientMetadata
    const second = { client_id: 'client', client_secret: 'second' } as ClientMetadata
    for (const client of [first, second, first]) {
      const body = new URLSearchParams()
      await lazy(AS, client, body, new Headers())
      expect(await verify(body.get('client_assertion')!, client.client_secret!)).toBe(true)
    }
    const err = await rejection(apply(lazy, { client_secret: '' }))
    expect(err.message).toBe('"metadata.client_secret" must not be empty')
  })
})
