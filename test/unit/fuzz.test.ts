import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ClientError,
  Configuration,
  ResponseBodyError,
  WWWAuthenticateChallengeError,
  allowInsecureRequests,
  customFetch,
  genericGrantRequest,
} from '../../src/index.js'
import type { ClientErrorCode } from '../../src/index.js'
import { parseWWWAuthenticate } from '../../src/http/www-authenticate.js'
import {
  CLIENT_ID,
  ISSUER,
  TOKEN_EXCHANGE,
  anyHeader,
  caseArb,
  responseFor,
  type FuzzCase,
} from './token-response-arbitraries.js'

// Property tests (issue 6 item 2). Sizes are chosen so that the file stays well under 20 s on this machine.

const TOKEN_CHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
const TCHAR = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

const unhandled: unknown[] = []
const onUnhandled = (reason: unknown) => unhandled.push(reason)
beforeAll(() => {
  process.on('unhandledRejection', onUnhandled)
})
afterAll(async () => {
  await new Promise((resolve) => setTimeout(resolve, 20))
  process.off('unhandledRejection', onUnhandled)
  expect(unhandled).toEqual([])
})

function expectWellFormed(result: ReturnType<typeof parseWWWAuthenticate>) {
  if (result === undefined) return
  expect(Array.isArray(result)).toBe(true)
  expect(result.length).toBeGreaterThan(0)
  for (const challenge of result) {
    expect(typeof challenge.scheme).toBe('string')
    expect(challenge.scheme).toMatch(TCHAR)
    expect(challenge.scheme).toBe(challenge.scheme.toLowerCase())
    expect(Object.getPrototypeOf(challenge.parameters)).toBe(Object.prototype)
    for (const [name, value] of Object.entries(challenge.parameters)) {
      expect(name).toMatch(TCHAR)
      expect(name).toBe(name.toLowerCase())
      expect(typeof value).toBe('string')
    }
    if (challenge.token68 !== undefined) {
      expect(typeof challenge.token68).toBe('string')
      expect(Object.keys(challenge.parameters)).toEqual([])
    }
  }
}

const token = fc.string({ unit: fc.constantFrom(...TOKEN_CHARS), minLength: 1, maxLength: 12 })
// A scheme that follows a challenge with parameters must also look like a token68 to be read as a scheme
// (openid-client reads it so); real schemes (Bearer, DPoP, Basic, Negotiate) do.
const scheme = fc.string({ unit: fc.constantFrom(...'abcXYZ019-._~+'), minLength: 1, maxLength: 12 })
const printable = fc.string({ unit: fc.constantFrom(...'abc XYZ\t"\\,=;:/{}()<>@?é'), maxLength: 16 })
const challengeArb = fc.record({
  scheme,
  params: fc.array(
    fc.tuple(
      token,
      fc.oneof(
        printable.map((v) => ({ quoted: v })),
        token,
      ),
    ),
    { maxLength: 4 },
  ),
})

function serialize(
  challenges: Array<{ scheme: string; params: Array<[string, string | { quoted: string }]> }>,
) {
  return challenges
    .map(({ scheme, params }) => {
      if (params.length === 0) return scheme
      const list = params.map(([name, value]) =>
        typeof value === 'string'
          ? `${name}=${value}`
          : `${name}="${value.quoted.replace(/["\\]/g, '\\$&')}"`,
      )
      return `${scheme} ${list.join(', ')}`
    })
    .join(', ')
}

describe('parseWWWAuthenticate never throws and returns well-formed challenges', () => {
  it('on any string', () => {
    fc.assert(
      fc.property(anyHeader, (header) => {
        expectWellFormed(parseWWWAuthenticate(header))
      }),
      { numRuns: 5000 },
    )
  })

  it('reads back what a conforming server writes', () => {
    fc.assert(
      fc.property(fc.array(challengeArb, { minLength: 1, maxLength: 3 }), (challenges) => {
        // a lone `name=value` token pair after the scheme reads as token68 only when it ends in "="; tokens
        // cannot contain "=", so the grammar is unambiguous here
        const parsed = parseWWWAuthenticate(serialize(challenges))
        expectWellFormed(parsed)
        expect(parsed).toEqual(
          challenges.map(({ scheme, params }) => ({
            scheme: scheme.toLowerCase(),
            // a parameter named __proto__ is ignored (as openid-client's plain assignment ignores it)
            parameters: Object.fromEntries(
              params
                .filter(([name]) => name.toLowerCase() !== '__proto__')
                .map(([name, value]) => [
                  name.toLowerCase(),
                  typeof value === 'string' ? value : value.quoted,
                ]),
            ),
          })),
        )
      }),
      { numRuns: 3000 },
    )
  })
})

// --- the token response pipeline, fed through the official customFetch extension point ---

const CODES: ReadonlySet<ClientErrorCode> = new Set<ClientErrorCode>([
  'OAUTH_HTTP_REQUEST_FORBIDDEN',
  'OAUTH_REQUEST_PROTOCOL_FORBIDDEN',
  'OAUTH_RESPONSE_IS_NOT_CONFORM',
  'OAUTH_RESPONSE_IS_NOT_JSON',
  'OAUTH_PARSE_ERROR',
  'OAUTH_INVALID_RESPONSE',
  'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
  'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED',
  'OAUTH_JWT_TIMESTAMP_CHECK_FAILED',
  'OAUTH_KEY_SELECTION_FAILED',
  'OAUTH_MISSING_SERVER_METADATA',
  'OAUTH_INVALID_SERVER_METADATA',
  'OAUTH_JWT_USERINFO_EXPECTED',
  'OAUTH_UNSUPPORTED_OPERATION',
  'OAUTH_TIMEOUT',
  'OAUTH_ABORT',
  'OAUTH_DECRYPTION_FAILED',
])
function configurationReturning(response: () => Response, timeout?: number): Configuration {
  const config = new Configuration(
    {
      issuer: ISSUER,
      token_endpoint: `${ISSUER}/token`,
      id_token_signing_alg_values_supported: ['none', 'RS256'],
    },
    CLIENT_ID,
    's3cr3t-VALUE-never-leak',
  )
  allowInsecureRequests(config)
  config[customFetch] = async () => response()
  if (timeout !== undefined) config.timeout = timeout
  return config
}

const HANG = Symbol('hang')
async function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T | typeof HANG> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<typeof HANG>((resolve) => {
    timer = setTimeout(() => resolve(HANG), ms)
  })
  try {
    return await Promise.race([promise, deadline])
  } finally {
    clearTimeout(timer)
  }
}

/** How often each outcome was seen, so that a generator that drifted into one corner gets noticed. */
const seen = new Map<string, number>()
const count = (key: string) => seen.set(key, (seen.get(key) ?? 0) + 1)

function expectTypedError(err: unknown) {
  count(err instanceof Error ? `${err.name}:${(err as { code?: string }).code}` : 'other')
  if (err instanceof ClientError) {
    expect(CODES.has(err.code as ClientErrorCode), `unexpected ClientError ${err.code}: ${err.message}`).toBe(
      true,
    )
  } else if (err instanceof ResponseBodyError) {
    expect(err.status).toBeGreaterThanOrEqual(400)
    expect(err.status).toBeLessThan(500)
    expect(typeof err.error).toBe('string')
    expect(err.error.length).toBeGreaterThan(0)
  } else if (err instanceof WWWAuthenticateChallengeError) {
    expect(err.status).not.toBe(200)
    expect(err.cause.length).toBeGreaterThan(0)
  } else if (err instanceof TypeError && typeof (err as { code?: unknown }).code === 'string') {
    expect((err as { code?: string }).code).toMatch(/^ERR_INVALID_ARG_(TYPE|VALUE)$/)
  } else {
    throw new Error(`not a typed error: ${String(err)}`, { cause: err })
  }
  const texts = [String(err), JSON.stringify(err) ?? '']
  for (const text of texts) expect(text).not.toContain('s3cr3t-VALUE-never-leak')
}

describe('the token response pipeline ends in a valid response or a typed error', () => {
  it('for thousands of generated (status, headers, body)', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const fuzzCase: FuzzCase = c
        const endless =
          typeof fuzzCase.body === 'object' && 'stream' in fuzzCase.body && fuzzCase.body.stream === 'endless'
        const config = configurationReturning(() => responseFor(fuzzCase), endless ? 0.05 : undefined)
        const settled = await withDeadline(
          genericGrantRequest(config, fuzzCase.grantType, {}).then(
            (value) => ({ value }),
            (error: unknown) => ({ error }),
          ),
          2000,
        )
        expect(settled, 'the pipeline hung').not.toBe(HANG)
        if (settled === HANG) return
        if ('error' in settled) {
          expectTypedError(settled.error)
          return
        }
        const result = settled.value
        count('success')
        expect(fuzzCase.status).toBe(200)
        expect(typeof result.access_token).toBe('string')
        expect(result.access_token.length).toBeGreaterThan(0)
        expect(typeof result.token_type).toBe('string')
        expect(result.token_type).toBe(result.token_type.toLowerCase())
        const allowed = fuzzCase.grantType === TOKEN_EXCHANGE ? ['bearer', 'dpop', 'n_a'] : ['bearer', 'dpop']
        expect(allowed).toContain(result.token_type)
        if (result.expires_in !== undefined) {
          expect(Number.isFinite(result.expires_in)).toBe(true)
          expect(result.expires_in).toBeGreaterThanOrEqual(0)
        }
        if (result.scope !== undefined) expect(typeof result.scope).toBe('string')
        if (result.refresh_token !== undefined) expect(result.refresh_token).not.toBe('')
        expect(Object.getPrototypeOf(result)).toBe(Object.prototype)
        expect(Object.keys(result)).not.toContain('claims')
        if (result.id_token !== undefined) expect(result.claims()?.aud).toBeDefined()
        else expect(result.claims()).toBeUndefined()
      }),
      { numRuns: 4000 },
    )
    expect(({} as Record<string, unknown>)['x']).toBeUndefined()
    for (const outcome of [
      'success',
      'ResponseBodyError:OAUTH_RESPONSE_BODY_ERROR',
      'WWWAuthenticateChallengeError:OAUTH_WWW_AUTHENTICATE_CHALLENGE',
      'ClientError:OAUTH_RESPONSE_IS_NOT_CONFORM',
      'ClientError:OAUTH_RESPONSE_IS_NOT_JSON',
      'ClientError:OAUTH_PARSE_ERROR',
      'ClientError:OAUTH_INVALID_RESPONSE',
      'ClientError:OAUTH_UNSUPPORTED_OPERATION',
      'ClientError:OAUTH_JWT_CLAIM_COMPARISON_FAILED',
      'ClientError:OAUTH_JWT_TIMESTAMP_CHECK_FAILED',
      'ClientError:OAUTH_TIMEOUT',
    ]) {
      expect(seen.get(outcome) ?? 0, `never saw ${outcome}: ${JSON.stringify([...seen])}`).toBeGreaterThan(0)
    }
  })
})
