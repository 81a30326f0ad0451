// What the token pipeline computes once and reuses (issue 10: its own CPU per request) must never leak from one
// request into another: the endpoint URL parsed once per configuration, the HTTPS rule still read per request,
// the Basic header of the last client seen, the endpoint bound only for authentication that may need it, the
// token response helpers, and the pooled jti of assertions and proofs. The endpoint is a customFetch.
import { describe, expect, it } from 'vitest'
import {
  ClientError,
  ClientSecretBasic,
  Configuration,
  None,
  PrivateKeyJwt,
  allowInsecureRequests,
  clientCredentialsGrant,
  customFetch,
  getDPoPHandle,
  randomDPoPKeyPair,
} from '../../src/index.js'
import type { ClientAuth, DPoPHandle, ServerMetadata } from '../../src/index.js'

const ISSUER = 'https://op.example.test'
const TOKEN_ENDPOINT = `${ISSUER}/oauth2/token`

interface Seen {
  url: string
  headers: Record<string, string>
  body: URLSearchParams
}

function setup(server: Partial<ServerMetadata> = {}, auth: ClientAuth = None(), secret?: string) {
  const seen: Seen[] = []
  const config = new Configuration(
    { issuer: ISSUER, token_endpoint: TOKEN_ENDPOINT, ...server },
    'client-1',
    secret === undefined ? {} : { client_secret: secret },
    auth,
  )
  config[customFetch] = async (url, init) => {
    seen.push({
      url,
      headers: init.headers as Record<string, string>,
      body: new URLSearchParams(init.body as URLSearchParams),
    })
    return Response.json({ access_token: 'at', token_type: 'Bearer' })
  }
  return { config, seen }
}

const payloadOf = (jws: string) =>
  JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>

describe('the endpoint URL, parsed once per configuration', () => {
  it('the HTTPS rule is read per request: allowInsecureRequests after a refused request lets the next one out', async () => {
    const { config, seen } = setup({ token_endpoint: 'http://op.example.test/token' })
    const refused = await clientCredentialsGrant(config).catch((err: unknown) => err)
    expect(refused).toBeInstanceOf(ClientError)
    expect((refused as ClientError).code).toBe('OAUTH_HTTP_REQUEST_FORBIDDEN')
    expect(seen).toHaveLength(0)
    allowInsecureRequests(config)
    await clientCredentialsGrant(config)
    expect(seen.map((s) => s.url)).toEqual(['http://op.example.test/token'])
  })

  it('a caller changing the URL an error carries does not change where later requests go', async () => {
    const { config, seen } = setup({ token_endpoint: 'http://op.example.test/token' })
    for (let i = 0; i < 2; i++) {
      const refused = (await clientCredentialsGrant(config).catch((err: unknown) => err)) as ClientError
      expect(refused.code).toBe('OAUTH_HTTP_REQUEST_FORBIDDEN')
      // The URL is the cause of the pipeline error that the public error wraps.
      let cause: unknown = refused
      while (cause !== undefined && !(cause instanceof URL)) cause = (cause as { cause?: unknown }).cause
      const url = cause as URL
      expect(url).toBeInstanceOf(URL)
      expect(url.href).toBe('http://op.example.test/token')
      url.protocol = 'https:'
      url.pathname = '/elsewhere'
    }
    allowInsecureRequests(config)
    await clientCredentialsGrant(config)
    expect(seen.map((s) => s.url)).toEqual(['http://op.example.test/token'])
  })

  it('a DPoP handle of its own that changes the URL it is given changes neither this request nor the next', async () => {
    const { config, seen } = setup()
    const given: URL[] = []
    const DPoP = {
      async addProof(url: URL, headers: Headers) {
        given.push(url)
        headers.set('dpop', 'proof')
        url.pathname = '/hijacked'
      },
      cacheNonce(_response: Response, url: URL) {
        url.hostname = 'elsewhere.example'
      },
    } as unknown as DPoPHandle
    await clientCredentialsGrant(config, {}, { DPoP })
    await clientCredentialsGrant(config, {}, { DPoP })
    await clientCredentialsGrant(config)
    expect(seen.map((s) => s.url)).toEqual([TOKEN_ENDPOINT, TOKEN_ENDPOINT, TOKEN_ENDPOINT])
    expect(given).toHaveLength(2)
    expect(given[0]).not.toBe(given[1])
  })

  it('the mTLS alias and the plain endpoint are cached apart, per configuration', async () => {
    const server = { mtls_endpoint_aliases: { token_endpoint: 'https://mtls.op.example.test/token' } }
    const plain = setup(server)
    const aliased = new Configuration(
      { issuer: ISSUER, token_endpoint: TOKEN_ENDPOINT, ...server },
      'client-1',
      { use_mtls_endpoint_aliases: true },
      None(),
    )
    const urls: string[] = []
    aliased[customFetch] = async (url) => {
      urls.push(url)
      return Response.json({ access_token: 'at', token_type: 'Bearer' })
    }
    for (let i = 0; i < 2; i++) {
      await clientCredentialsGrant(plain.config)
      await clientCredentialsGrant(aliased)
    }
    expect(plain.seen.map((s) => s.url)).toEqual([TOKEN_ENDPOINT, TOKEN_ENDPOINT])
    expect(urls).toEqual(['https://mtls.op.example.test/token', 'https://mtls.op.example.test/token'])
  })
})

describe('client authentication', () => {
  it('ClientSecretBasic() shared by configurations with different secrets sends each its own', async () => {
    const auth = ClientSecretBasic()
    const a = setup({}, auth, 'secret-a')
    const b = setup({}, auth, 'secret b')
    for (let i = 0; i < 2; i++) {
      await clientCredentialsGrant(a.config)
      await clientCredentialsGrant(b.config)
    }
    const basic = (s: Seen) => atob(s.headers['authorization']!.replace(/^Basic /, ''))
    expect(a.seen.map(basic)).toEqual(['client%2D1:secret%2Da', 'client%2D1:secret%2Da'])
    expect(b.seen.map(basic)).toEqual(['client%2D1:secret+b', 'client%2D1:secret+b'])
  })

  it("a caller's function wrapping PrivateKeyJwt addressed to 'endpoint' still learns the endpoint", async () => {
    const { privateKey } = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
      'sign',
    ])
    const inner = PrivateKeyJwt(privateKey, { audience: 'endpoint' })
    const wrapper: ClientAuth = (as, client, body, headers) => inner(as, client, body, headers)
    for (const auth of [inner, wrapper]) {
      const { config, seen } = setup({}, auth)
      await clientCredentialsGrant(config)
      expect(payloadOf(seen[0]!.body.get('client_assertion')!)['aud']).toBe(TOKEN_ENDPOINT)
    }
  })
})

describe('the private_key_jwt header, encoded once', () => {
  it('is the same bytes on every assertion, kid included, and verifies', async () => {
    const { privateKey, publicKey } = await crypto.subtle.generateKey(
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['sign', 'verify'],
    )
    const { config, seen } = setup({}, PrivateKeyJwt({ key: privateKey, kid: 'clé-1' }))
    await clientCredentialsGrant(config)
    await clientCredentialsGrant(config)
    const [a, b] = seen.map((s) => s.body.get('client_assertion')!)
    const header = a!.split('.')[0]!
    expect(b!.split('.')[0]).toBe(header)
    expect(Buffer.from(header, 'base64url').toString()).toBe('{"alg":"ES256","kid":"clé-1"}')
    for (const jws of [a!, b!]) {
      const [h, p, sig] = jws.split('.')
      const valid = await crypto.subtle.verify(
        { name: 'ECDSA', hash: 'SHA-256' },
        publicKey,
        Buffer.from(sig!, 'base64url'),
        new TextEncoder().encode(`${h}.${p}`),
      )
      expect(valid).toBe(true)
    }
  })
})

describe('the jti of assertions and proofs', () => {
  it('is 43 base64url characters and never repeats, across refills of its random pool', async () => {
    const { privateKey } = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
      'sign',
    ])
    const { config, seen } = setup({}, PrivateKeyJwt(privateKey))
    const DPoP = getDPoPHandle(config, await randomDPoPKeyPair())
    const jtis: string[] = []
    // 128 values fit in one pool: 160 requests with two values each cross it twice.
    for (let i = 0; i < 160; i++) await clientCredentialsGrant(config, {}, { DPoP })
    for (const s of seen) {
      jtis.push(payloadOf(s.body.get('client_assertion')!)['jti'] as string)
      jtis.push(payloadOf(s.headers['dpop']!)['jti'] as string)
    }
    expect(jtis).toHaveLength(320)
    for (const jti of jtis) {
      expect(jti).toMatch(/^[A-Za-z0-9_-]{43}$/)
      // Canonical base64url of exactly 32 bytes: decoding and encoding again gives the same text.
      const bytes = Buffer.from(jti, 'base64url')
      expect(bytes).toHaveLength(32)
      expect(bytes.toString('base64url')).toBe(jti)
    }
    expect(new Set(jtis).size).toBe(320)
    // Not stuck on a value: all 64 characters turn up in 320 × 43 random ones.
    expect(new Set(jtis.join('')).size).toBe(64)
  })
})

describe('the token response helpers', () => {
  it('replace members named claims and expiresIn with non-enumerable, read-only helpers', async () => {
    const config = new Configuration(
      { issuer: ISSUER, token_endpoint: TOKEN_ENDPOINT },
      'client-1',
      {},
      None(),
    )
    config[customFetch] = async () =>
      Response.json({ access_token: 'at', token_type: 'Bearer', expires_in: 60, claims: 'x', expiresIn: 5 })
    const tokens = await clientCredentialsGrant(config)
    expect(Object.keys(tokens)).toEqual(['access_token', 'token_type', 'expires_in'])
    for (const name of ['claims', 'expiresIn'] as const) {
      const descriptor = Object.getOwnPropertyDescriptor(tokens, name)!
      expect(descriptor.enumerable).toBe(false)
      expect(descriptor.writable).toBe(false)
      expect(descriptor.configurable).toBe(false)
      expect(typeof descriptor.value).toBe('function')
    }
    const { claims, expiresIn } = tokens
    expect(claims()).toBeUndefined()
    expect(expiresIn()).toBeGreaterThanOrEqual(59)
    expect(expiresIn()).toBeLessThanOrEqual(60)
  })
})
