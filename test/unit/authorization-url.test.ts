import { describe, expect, it } from 'vitest'
import {
  ClientError,
  Configuration,
  allowInsecureRequests,
  buildAuthorizationUrl,
  buildEndSessionUrl,
  calculatePKCECodeChallenge,
  randomNonce,
  randomPKCECodeVerifier,
  randomState,
  useCodeIdTokenResponseType,
  useIdTokenResponseType,
  useJwtResponseMode,
} from '../../src/index.js'
import { expectTypeError } from '../support/expect.js'

const SERVER = {
  issuer: 'https://as.example',
  authorization_endpoint: 'https://as.example/authorize',
  end_session_endpoint: 'https://as.example/session/end',
}

const config = (server: Record<string, unknown> = SERVER, clientId = 'client-1') =>
  new Configuration(server as typeof SERVER, clientId)

const HYBRID = useCodeIdTokenResponseType
const IMPLICIT = useIdTokenResponseType
const JARM = useJwtResponseMode

/** A configuration with a response type / mode switch on. */
function withFlag(toggle: (config: Configuration) => void): Configuration {
  const c = config()
  toggle(c)
  return c
}

function thrown(fn: () => unknown): Error & { code?: string } {
  try {
    fn()
  } catch (err) {
    return err as Error & { code?: string }
  }
  throw new Error('expected a throw')
}

const pairs = (url: URL) => [...url.searchParams]

describe('random values', () => {
  it.each([
    ['randomPKCECodeVerifier', randomPKCECodeVerifier],
    ['randomState', randomState],
    ['randomNonce', randomNonce],
  ])('%s: 43 base64url characters that decode to 32 bytes, fresh every call', (_name, generate) => {
    const values = new Set<string>()
    for (let i = 0; i < 64; i++) {
      const value = generate()
      expect(value).toMatch(/^[A-Za-z0-9_-]{43}$/)
      const bytes = Buffer.from(value, 'base64url')
      expect(bytes).toHaveLength(32)
      // canonical: re-encoding gives the same text (no stray bits in the last character)
      expect(bytes.toString('base64url')).toBe(value)
      values.add(value)
    }
    expect(values.size).toBe(64)
  })

  it('calculatePKCECodeChallenge: the RFC 7636 Appendix B vector', async () => {
    await expect(calculatePKCECodeChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).resolves.toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    )
  })

  it('calculatePKCECodeChallenge hashes the UTF-8 bytes of any string', async () => {
    const { createHash } = await import('node:crypto')
    const verifier = 'vérifier-ü-😀'
    await expect(calculatePKCECodeChallenge(verifier)).resolves.toBe(
      createHash('sha256').update(verifier, 'utf8').digest('base64url'),
    )
  })

  it('calculatePKCECodeChallenge rejects what is not a non-empty string', async () => {
    for (const [value, code, message] of [
      [undefined, 'ERR_INVALID_ARG_TYPE', 'codeVerifier must be a string'],
      [42, 'ERR_INVALID_ARG_TYPE', 'codeVerifier must be a string'],
      ['', 'ERR_INVALID_ARG_VALUE', 'codeVerifier must not be empty'],
    ] as const) {
      const err = await calculatePKCECodeChallenge(value as string).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(TypeError)
      expect(err).toMatchObject({ code, message })
    }
  })
})

describe('buildAuthorizationUrl', () => {
  it('adds client_id and response_type=code to the given parameters, in that order after them', () => {
    const url = buildAuthorizationUrl(config(), { redirect_uri: 'https://rp.example/cb', scope: 'openid' })
    expect(url.origin + url.pathname).toBe('https://as.example/authorize')
    expect(pairs(url)).toEqual([
      ['redirect_uri', 'https://rp.example/cb'],
      ['scope', 'openid'],
      ['client_id', 'client-1'],
      ['response_type', 'code'],
    ])
  })

  it("keeps the caller's client_id and response_type", () => {
    const url = buildAuthorizationUrl(config(), { client_id: 'other', response_type: 'code token' })
    expect(pairs(url)).toEqual([
      ['client_id', 'other'],
      ['response_type', 'code token'],
    ])
  })

  it('appends to a query the endpoint already has', () => {
    const c = config({ ...SERVER, authorization_endpoint: 'https://as.example/authorize?tenant=t1&scope=x' })
    const url = buildAuthorizationUrl(c, { scope: 'openid' })
    expect(pairs(url)).toEqual([
      ['tenant', 't1'],
      ['scope', 'x'],
      ['scope', 'openid'],
      ['client_id', 'client-1'],
      ['response_type', 'code'],
    ])
  })

  it('extension: an array becomes repeated parameters (RFC 8707 resource); undefined values are left out', () => {
    const url = buildAuthorizationUrl(config(), {
      resource: ['https://a.example', 'https://b.example'],
      prompt: undefined as unknown as string,
    })
    expect(url.searchParams.getAll('resource')).toEqual(['https://a.example', 'https://b.example'])
    expect(url.searchParams.has('prompt')).toBe(false)
  })

  it('takes URLSearchParams (repeated names kept) and any iterable of pairs, never changing the input', () => {
    const input = new URLSearchParams([
      ['resource', 'https://a.example'],
      ['resource', 'https://b.example'],
    ])
    const url = buildAuthorizationUrl(config(), input)
    expect(url.searchParams.getAll('resource')).toEqual(['https://a.example', 'https://b.example'])
    expect([...input]).toHaveLength(2)
    const record = { scope: 'openid' }
    buildAuthorizationUrl(config(), record)
    expect(record).toEqual({ scope: 'openid' })
    expect(pairs(buildAuthorizationUrl(config(), new Map([['scope', 'a']]) as never))[0]).toEqual([
      'scope',
      'a',
    ])
  })

  it('returns a fresh URL every time', () => {
    const c = config()
    const first = buildAuthorizationUrl(c, {})
    first.searchParams.set('client_id', 'changed')
    expect(buildAuthorizationUrl(c, {}).searchParams.get('client_id')).toBe('client-1')
  })

  it('with request or request_uri: no response_type, no nonce rule, no response_mode', () => {
    for (const flag of [HYBRID, IMPLICIT, JARM]) {
      expect(pairs(buildAuthorizationUrl(withFlag(flag), { request_uri: 'urn:x' }))).toEqual([
        ['request_uri', 'urn:x'],
        ['client_id', 'client-1'],
      ])
      expect(pairs(buildAuthorizationUrl(withFlag(flag), { request: 'a.b.c' }))).toEqual([
        ['request', 'a.b.c'],
        ['client_id', 'client-1'],
      ])
    }
  })

  it('hybrid: response_type=code id_token by default', () => {
    expect(buildAuthorizationUrl(withFlag(HYBRID), {}).searchParams.get('response_type')).toBe(
      'code id_token',
    )
  })

  it('implicit: response_type=id_token, and a nonce is required', () => {
    const url = buildAuthorizationUrl(withFlag(IMPLICIT), { nonce: 'n' })
    expect(url.searchParams.get('response_type')).toBe('id_token')
    expectTypeError(
      () => buildAuthorizationUrl(withFlag(IMPLICIT), { response_type: 'id_token' }),
      'ERR_INVALID_ARG_VALUE',
      /^response_type=id_token clients must provide a nonce parameter in their authorization request parameters$/,
    )
  })

  it('JARM: response_mode=jwt replaces whatever the caller asked for', () => {
    const url = buildAuthorizationUrl(withFlag(JARM), { response_mode: 'form_post' })
    expect(url.searchParams.getAll('response_mode')).toEqual(['jwt'])
  })

  it('never uses an mTLS alias', () => {
    const c = new Configuration(
      {
        ...SERVER,
        mtls_endpoint_aliases: { authorization_endpoint: 'https://mtls.as.example/authorize' },
      } as typeof SERVER,
      'client-1',
      { use_mtls_endpoint_aliases: true },
    )
    expect(buildAuthorizationUrl(c, {}).host).toBe('as.example')
  })

  it('extension: a missing, invalid or http endpoint is a ClientError with its code (D61)', () => {
    const missing = thrown(() => buildAuthorizationUrl(config({ issuer: 'https://as.example' }), {}))
    expect(missing).toBeInstanceOf(ClientError)
    expect(missing).toMatchObject({
      code: 'OAUTH_MISSING_SERVER_METADATA',
      message: 'authorization server metadata does not contain a valid "as.authorization_endpoint"',
    })
    const invalid = thrown(() =>
      buildAuthorizationUrl(config({ ...SERVER, authorization_endpoint: 'no url' }), {}),
    )
    expect(invalid).toBeInstanceOf(ClientError)
    expect(invalid.code).toBe('OAUTH_INVALID_SERVER_METADATA')
    const http = config({ ...SERVER, authorization_endpoint: 'http://as.example/authorize' })
    const insecure = thrown(() => buildAuthorizationUrl(http, {}))
    expect(insecure).toBeInstanceOf(ClientError)
    expect(insecure).toMatchObject({
      code: 'OAUTH_HTTP_REQUEST_FORBIDDEN',
      message: 'only requests to HTTPS are allowed',
    })
    allowInsecureRequests(http)
    expect(buildAuthorizationUrl(http, {}).protocol).toBe('http:')
  })

  it('argument errors are TypeErrors before anything else', () => {
    expectTypeError(() => buildAuthorizationUrl({} as Configuration, {}), 'ERR_INVALID_ARG_TYPE', /"config"/)
    // D20: a parameters value that is not an object
    expectTypeError(
      () => buildAuthorizationUrl(config(), 42 as never),
      'ERR_INVALID_ARG_TYPE',
      /"parameters"/,
    )
  })
})

describe('buildEndSessionUrl', () => {
  it('adds client_id to the parameters, appended to the endpoint query', () => {
    const c = config({ ...SERVER, end_session_endpoint: 'https://as.example/logout?x=1' })
    const url = buildEndSessionUrl(c, {
      id_token_hint: 'h.p.s',
      post_logout_redirect_uri: 'https://rp.example/',
    })
    expect(pairs(url)).toEqual([
      ['x', '1'],
      ['id_token_hint', 'h.p.s'],
      ['post_logout_redirect_uri', 'https://rp.example/'],
      ['client_id', 'client-1'],
    ])
  })

  it('parameters are optional; a given client_id is kept; arrays repeat', () => {
    expect(pairs(buildEndSessionUrl(config()))).toEqual([['client_id', 'client-1']])
    expect(pairs(buildEndSessionUrl(config(), { client_id: 'x', ui_locales: ['de', 'fr'] }))).toEqual([
      ['client_id', 'x'],
      ['ui_locales', 'de'],
      ['ui_locales', 'fr'],
    ])
  })

  it('is not affected by the response-type switches', () => {
    expect(pairs(buildEndSessionUrl(withFlag(IMPLICIT)))).toEqual([['client_id', 'client-1']])
  })

  it('a missing or http end_session_endpoint is a ClientError with its code', () => {
    const missing = thrown(() => buildEndSessionUrl(config({ issuer: 'https://as.example' })))
    expect(missing).toBeInstanceOf(ClientError)
    expect(missing).toMatchObject({
      code: 'OAUTH_MISSING_SERVER_METADATA',
      message: 'authorization server metadata does not contain a valid "as.end_session_endpoint"',
    })
    const http = thrown(() =>
      buildEndSessionUrl(config({ ...SERVER, end_session_endpoint: 'http://as.example/e' })),
    )
    expect(http).toBeInstanceOf(ClientError)
    expect(http.code).toBe('OAUTH_HTTP_REQUEST_FORBIDDEN')
  })

  it('argument errors are TypeErrors', () => {
    expectTypeError(() => buildEndSessionUrl(null as never), 'ERR_INVALID_ARG_TYPE', /"config"/)
    expectTypeError(() => buildEndSessionUrl(config(), true as never), 'ERR_INVALID_ARG_TYPE', /"parameters"/)
  })
})
