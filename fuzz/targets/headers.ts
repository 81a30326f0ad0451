import fc from 'fast-check'
import { HEADER_ALPHABET } from '../../test/unit/token-response-arbitraries.js'
import { isValidNonce } from '../../src/dpop/nonce-cache.js'
import { parseRetryAfter } from '../../src/grants/polling.js'
import { parseWWWAuthenticate } from '../../src/http/www-authenticate.js'
import {
  CLIENT_ID,
  CLIENT_SECRET,
  ISSUER,
  anyHeader,
  plantedToken,
  responseOf,
  type ResponseSpec,
} from '../generators.js'
import type { Target } from '../target.js'
import { GRANT, validateTokenResponse, viewTokenResponse } from './token.js'

// The header parsers: WWW-Authenticate (RFC 9110 §11.6.1), DPoP-Nonce (RFC 9449 §8) and Retry-After
// (RFC 9110 §10.2.3), called directly, and the first two through the pipeline as well.

const HOSTILE_PIECES = [
  ...HEADER_ALPHABET,
  'Basic',
  '__proto__',
  'constructor',
  '\u0000',
  '\u0001',
  '\r\n',
  '\u007f',
  '\u00a0',
  '\u2028',
  '\ud800',
  '\udfff',
  'é',
  "'",
  '\\"',
  ' = ',
  '===',
]

/** Strings that look a bit like header values, and some that do not at all; long ones too. */
export const hostileHeader: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: anyHeader },
  {
    weight: 4,
    arbitrary: fc.array(fc.constantFrom(...HOSTILE_PIECES), { maxLength: 60 }).map((p) => p.join('')),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.constantFrom('Bearer realm="', 'DPoP error=', 'a, ', '"', ',', 'x=', 'Bearer '),
        fc.integer({ min: 1_000, max: 100_000 }),
      )
      .map(([piece, times]) => piece.repeat(Math.ceil(times / piece.length))),
  },
)

const TCHAR = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

export const wwwAuthenticateTarget: Target<string> = {
  name: 'WWW-Authenticate (parser)',
  runs: 15_000,
  arb: hostileHeader,
  differential: false,
  run: async (_api, header) => parseWWWAuthenticate(header),
  validate: (_header, value) => {
    if (value === undefined) return undefined
    if (!Array.isArray(value) || value.length === 0) return 'neither undefined nor a non-empty list'
    for (const challenge of value as Array<Record<string, unknown>>) {
      const { scheme, parameters, token68 } = challenge as {
        scheme: unknown
        parameters: object
        token68?: unknown
      }
      if (typeof scheme !== 'string' || !TCHAR.test(scheme) || scheme !== scheme.toLowerCase())
        return `scheme ${String(scheme)}`
      if (Object.getPrototypeOf(parameters) !== Object.prototype) return 'parameters not a plain object'
      for (const [name, v] of Object.entries(parameters)) {
        if (!TCHAR.test(name) || name !== name.toLowerCase()) return `parameter name ${name}`
        if (typeof v !== 'string') return `parameter ${name} not a string`
      }
      if (token68 !== undefined && typeof token68 !== 'string') return 'token68 not a string'
    }
    return undefined
  },
}

/** A 401 with the header and an OAuth error body, through the token endpoint pipeline. */
export const wwwAuthenticatePipelineTarget: Target<{ header: string; status: number }> = {
  name: 'WWW-Authenticate (pipeline)',
  runs: 6_000,
  arb: fc.record({ header: hostileHeader, status: fc.constantFrom(400, 401, 401, 403, 200) }),
  differential: true,
  run: (api, c) => {
    const config = new api.Configuration(
      { issuer: ISSUER, token_endpoint: `${ISSUER}/token` } as never,
      CLIENT_ID,
      CLIENT_SECRET,
    )
    config.timeout = 2
    const spec: ResponseSpec = {
      status: c.status,
      headers: { 'content-type': 'application/json', 'www-authenticate': c.header },
      body: {
        text: c.status === 200 ? '{"access_token":"a","token_type":"bearer"}' : '{"error":"invalid_client"}',
      },
    }
    config[api.customFetch] = (async (url: string, init?: { signal?: AbortSignal }) =>
      responseOf(spec, String(url), init?.signal)) as never
    return api.genericGrantRequest(config, GRANT, {})
  },
  validate: (_c, value) => validateTokenResponse('generic', value),
  view: viewTokenResponse,
}

const NQCHAR = [..."!#$%&'()*+,-./0123456789:;<=>?@AZ[]^_`az{|}~"]
export const nonceArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: fc.constantFrom(...NQCHAR), minLength: 1, maxLength: 40 }) },
  { weight: 1, arbitrary: fc.constantFrom(1023, 1024, 1025, 70_000).map((n) => 'n'.repeat(n)) },
  { weight: 2, arbitrary: hostileHeader },
  {
    weight: 1,
    arbitrary: fc.constantFrom('', ' ', 'a b', '"q"', 'a\\b', 'a\tb', ' lead', 'trail ', 'é', '__proto__'),
  },
)

export const dpopNonceTarget: Target<string> = {
  name: 'DPoP-Nonce (validation)',
  runs: 10_000,
  arb: nonceArb,
  differential: false,
  run: async (_api, value) => isValidNonce(value),
  validate: (value, accepted) => {
    if (typeof accepted !== 'boolean') return 'not a boolean'
    // DECISIONS D13: 1 to 1024 characters, no C0 control character and no DEL
    const expected = value.length >= 1 && value.length <= 1024 && !/[\x00-\x1f\x7f]/.test(value)
    return accepted === expected
      ? undefined
      : `accepted=${String(accepted)} for a nonce D13 ${expected ? 'accepts' : 'refuses'}`
  },
}

let keyPair: Promise<CryptoKeyPair> | undefined
const dpopKeys = () =>
  (keyPair ??= crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
    'sign',
    'verify',
  ]) as Promise<CryptoKeyPair>)

export interface DPoPCase {
  nonce: string
  /** How the server asks for the nonce: an OAuth error body, or a 401 challenge. */
  asks: 'body' | 'challenge'
  accessToken: string
}

const proofNonce = (proof: string | null): unknown => {
  if (proof === null) return 'no proof'
  try {
    return (JSON.parse(Buffer.from(proof.split('.')[1] ?? '', 'base64url').toString()) as { nonce?: unknown })
      .nonce
  } catch {
    return 'unreadable proof'
  }
}

/** The nonce retry (RFC 9449 §8): a hostile DPoP-Nonce value, then a token response on the retry. */
export const dpopPipelineTarget: Target<DPoPCase> = {
  name: 'DPoP-Nonce (pipeline)',
  runs: 5_000,
  arb: fc.record({
    nonce: nonceArb,
    asks: fc.constantFrom<'body' | 'challenge'>('body', 'challenge'),
    accessToken: plantedToken('DPOP-AT'),
  }),
  differential: true,
  run: async (api, c) => {
    const config = new api.Configuration(
      { issuer: ISSUER, token_endpoint: `${ISSUER}/token` } as never,
      CLIENT_ID,
      CLIENT_SECRET,
    )
    config.timeout = 2
    const sent: unknown[] = []
    config[api.customFetch] = (async (url: string, init: { headers: Record<string, string> | Headers }) => {
      const headers = new Headers(init.headers)
      sent.push(proofNonce(headers.get('dpop')))
      const spec: ResponseSpec =
        sent.length === 1
          ? {
              status: c.asks === 'body' ? 400 : 401,
              headers: {
                'content-type': 'application/json',
                'dpop-nonce': c.nonce,
                ...(c.asks === 'challenge' ? { 'www-authenticate': 'DPoP error="use_dpop_nonce"' } : {}),
              },
              body: { text: '{"error":"use_dpop_nonce"}' },
            }
          : {
              status: 200,
              headers: { 'content-type': 'application/json' },
              body: {
                text: JSON.stringify({ access_token: c.accessToken, token_type: 'DPoP', expires_in: 60 }),
              },
            }
      return responseOf(spec, String(url))
    }) as never
    const DPoP = api.getDPoPHandle(config, await dpopKeys())
    const result = await api.genericGrantRequest(config, GRANT, {}, { DPoP })
    return { result, sent }
  },
  validate: (_c, value) => {
    const { result, sent } = value as { result: unknown; sent: unknown[] }
    const problem = validateTokenResponse('generic', result)
    if (problem) return problem
    const retried = sent[1]
    if (retried !== undefined && (typeof retried !== 'string' || !isValidNonce(retried))) {
      // the proof of the retry carries a nonce D13 says is never echoed
      return `the retry's proof carries nonce ${JSON.stringify(retried)}`
    }
    return undefined
  },
  view: (value) => {
    const { result, sent } = value as { result: unknown; sent: unknown[] }
    return { ...viewTokenResponse(result), sent }
  },
}

export const retryAfterTarget: Target<string | null> = {
  name: 'Retry-After (parser)',
  runs: 10_000,
  arb: fc.oneof(
    { weight: 3, arbitrary: fc.nat({ max: 100_000 }).map(String) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '9'.repeat(16),
        '9'.repeat(20),
        '9'.repeat(400),
        '0',
        '00',
        '-1',
        '+5',
        '1.5',
        '1e3',
        ' 5 ',
        '5s',
        '0x10',
      ),
    },
    {
      weight: 2,
      arbitrary: fc
        .integer({ min: -10 * 365 * 86_400, max: 10 * 365 * 86_400 })
        .map((offset) => new Date(Date.now() + offset * 1000).toUTCString()),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        'Wed, 21 Oct 2015 07:28:00 GMT',
        'Fri, 31 Dec 9999 23:59:59 GMT',
        'Sun, 06 Nov 1994 08:49:37 GMT',
        'Sunday, 06-Nov-94 08:49:37 GMT',
        'Sun Nov  6 08:49:37 1994',
        'Thu, 01 Jan 1970 00:00:00 GMT',
        '275760-09-13',
        'tomorrow',
        'a',
        'Infinity',
        'NaN',
      ),
    },
    { weight: 2, arbitrary: hostileHeader },
    { weight: 1, arbitrary: fc.constant(null) },
  ),
  differential: false,
  run: async (_api, value) => parseRetryAfter(value),
  validate: (_value, seconds) => {
    if (seconds === undefined) return undefined
    if (typeof seconds !== 'number' || !Number.isSafeInteger(seconds) || seconds < 0) {
      return `a delay of ${String(seconds)} seconds`
    }
    return undefined
  },
}
