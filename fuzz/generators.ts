import fc from 'fast-check'
import {
  NULL_BODY_STATUSES,
  anyHeader,
  streamArb,
  type StreamBody,
} from '../test/unit/token-response-arbitraries.js'

// Hostile building blocks shared by every fuzz target: values, JSON texts, bodies, headers, statuses. A target
// describes the HTTP answer it wants as a plain `ResponseSpec` (so that a case prints, replays and can be handed
// to grantline and to openid-client alike) and `responseOf` turns it into a fresh `Response` each time.

export const ISSUER = 'https://as.example'
export const CLIENT_ID = 'fuzz-client'
/** The client secret every configuration is built with: it must never show in an error. */
export const CLIENT_SECRET = 'fuzz-CLIENT-SECRET-d41d8cd9'
/**
 * Every token value the generators plant in a response body contains this marker, so that a leak is found
 * whatever the hostile value around it looks like.
 */
export const PLANTED = 'PLANTED-e3b0c442'
export const SECRETS = [CLIENT_SECRET, PLANTED]

export const nowSeconds = () => Math.floor(Date.now() / 1000)

/** A planted token: the marker, now and then with hostile characters around it. */
export const plantedToken = (kind: string) =>
  fc
    .oneof(
      { weight: 10, arbitrary: fc.constant('') },
      {
        weight: 1,
        arbitrary: fc.constantFrom('\u0000', '\r\n', '\u001f', '\u007f', ' ', '\t', '"', '\\', 'é'),
      },
    )
    .map((odd) => `${kind}-${PLANTED}${odd}`)

/** Values no schema expects: every JSON type, prototype names, huge and odd numbers, control characters. */
export const hostileScalar: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.constantFrom(0, -0, -1, 1.5, 2 ** 53 + 1, 1e308, -1e308, 5e-324, Number.MAX_SAFE_INTEGER),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', ''),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({
    unit: fc.constantFrom('\u0000', '\u0001', '\u001b', '\u007f', '\u2028', '\ud800', 'a'),
    maxLength: 8,
  }),
  fc.constant({}),
  fc.constant([]),
)

export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: hostileScalar },
  { weight: 1, arbitrary: fc.array(hostileScalar, { maxLength: 3 }) },
  {
    weight: 1,
    arbitrary: fc.dictionary(fc.constantFrom('a', 'b', '__proto__', 'constructor'), hostileScalar),
  },
)

/** The good value nearly always; now and then one of the odd values, or anything at all. */
export const usually = <T>(good: T, odd: readonly unknown[] = [], weight = 30): fc.Arbitrary<unknown> =>
  odd.length === 0
    ? fc.oneof({ weight, arbitrary: fc.constant(good) }, { weight: 1, arbitrary: hostileValue })
    : fc.oneof(
        { weight, arbitrary: fc.constant(good) },
        { weight: 1, arbitrary: fc.constantFrom(...odd) },
        { weight: 1, arbitrary: hostileValue },
      )

/** Mostly the good value, now and then a hostile one. */
export const mostly = <T>(good: fc.Arbitrary<T>, odds = 12): fc.Arbitrary<T | unknown> =>
  fc.oneof({ weight: odds, arbitrary: good }, { weight: 1, arbitrary: hostileValue })

/** Number literals JSON.stringify cannot write: beyond double range, beyond safe integers, exponents. */
const HUGE_NUMBERS = [
  '1e400',
  '-1e400',
  '123456789012345678901234567890',
  '1e-400',
  '-0',
  '0.0000000000000000001e30',
]

/**
 * Serialises a generated JSON object with hostile text edits applied: a number member replaced by a literal
 * JSON.stringify cannot write, a `__proto__` or `constructor` member, a duplicate member, deep nesting.
 */
export interface Edits {
  hugeNumber?: { member: string; literal: string }
  proto?: { name: '__proto__' | 'constructor'; value: string }
  duplicate?: { member: string; value: string }
  nesting?: number
}

const someEdits: fc.Arbitrary<Edits> = fc.record(
  {
    hugeNumber: fc.record({
      member: fc.constantFrom('expires_in', 'exp', 'iat', 'client_secret_expires_at', 'x'),
      literal: fc.constantFrom(...HUGE_NUMBERS),
    }),
    proto: fc.record({
      name: fc.constantFrom('__proto__', 'constructor'),
      value: fc.constantFrom(
        '{"access_token":"x","token_type":"bearer","active":true}',
        '1',
        'null',
        '"x"',
        '[]',
      ),
    }),
    duplicate: fc.record({
      member: fc.constantFrom('access_token', 'token_type', 'issuer', 'error', 'active', 'client_id'),
      value: fc.constantFrom('1', '""', '"x"', 'null', '{}'),
    }),
    nesting: fc.constantFrom(5, 100, 5000, 100_000),
  },
  { requiredKeys: [] },
)
/** Mostly no edit: the hostile text is the exception, so that every later stage still gets reached. */
export const editsArb: fc.Arbitrary<Edits> = fc.oneof(
  { weight: 10, arbitrary: fc.constant<Edits>({}) },
  { weight: 1, arbitrary: someEdits },
)

export function serialise(value: unknown, edits: Edits = {}): string {
  let text = JSON.stringify(value) ?? 'null'
  if (!text.startsWith('{')) return text
  const extra: string[] = []
  if (edits.hugeNumber) extra.push(`"${edits.hugeNumber.member}":${edits.hugeNumber.literal}`)
  if (edits.proto) extra.push(`"${edits.proto.name}":${edits.proto.value}`)
  if (edits.duplicate) extra.push(`"${edits.duplicate.member}":${edits.duplicate.value}`)
  if (edits.nesting) extra.push(`"deep":${'['.repeat(edits.nesting)}${']'.repeat(edits.nesting)}`)
  if (extra.length === 0) return text
  // Before the generated members or after them: which duplicate wins depends on it.
  return text === '{}' ? `{${extra.join(',')}}` : `{${extra.join(',')},${text.slice(1)}`
}

/** How the bytes of a well-formed text get spoiled on the way. */
export type Damage =
  | { kind: 'none' }
  | { kind: 'truncate'; at: number }
  | { kind: 'invalid-utf8'; at: number; bytes: number[] }
  | { kind: 'bom' }
  | { kind: 'oversize'; bytes: number }
  | { kind: 'junk'; junk: string }

export const damageArb: fc.Arbitrary<Damage> = fc.oneof(
  { weight: 30, arbitrary: fc.constant<Damage>({ kind: 'none' }) },
  { weight: 1, arbitrary: fc.nat({ max: 400 }).map((at): Damage => ({ kind: 'truncate', at })) },
  {
    weight: 1,
    arbitrary: fc
      .record({
        at: fc.nat({ max: 400 }),
        bytes: fc.constantFrom<number[]>(
          [0xff],
          [0xfe, 0xff],
          [0xc0, 0x80],
          [0xed, 0xa0, 0x80],
          [0xe2, 0x82],
          [0xf4, 0x90, 0x80, 0x80],
        ),
      })
      .map((d): Damage => ({ kind: 'invalid-utf8', ...d })),
  },
  { weight: 1, arbitrary: fc.constant<Damage>({ kind: 'bom' }) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(1024 * 1024 - 64, 1024 * 1024 + 1, 2 * 1024 * 1024)
      .map((bytes): Damage => ({ kind: 'oversize', bytes })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom('junk', '}', ',', '\u0000', '{}')
      .map((junk): Damage => ({ kind: 'junk', junk })),
  },
)

/** The body of a generated answer: text, raw bytes, or a stream that fails or never ends. */
export type BodySpec = { text: string; damage?: Damage } | { bytes: number[] } | StreamBody

export interface ResponseSpec {
  status: number
  headers: Record<string, string | undefined>
  body: BodySpec
}

const encoder = new TextEncoder()

export function bodyBytes(text: string, damage: Damage | undefined): string | Uint8Array {
  switch (damage?.kind ?? 'none') {
    case 'none':
      return text
    case 'truncate':
      return text.slice(0, (damage as { at: number }).at % Math.max(1, text.length))
    case 'bom':
      return `\uFEFF${text}`
    case 'junk':
      return text + (damage as { junk: string }).junk
    case 'invalid-utf8': {
      const { at, bytes } = damage as { at: number; bytes: number[] }
      const raw = encoder.encode(text)
      // Never inside a member name or a planted token before it: a renamed member is no token any more, and the
      // leak check would then count a value the server did not send as a token.
      const planted = text.lastIndexOf(PLANTED)
      const after = planted < 0 ? 0 : encoder.encode(text.slice(0, text.indexOf('"', planted) + 1)).length
      const cut = Math.max(after, at % Math.max(1, raw.length))
      const out = new Uint8Array(raw.length + bytes.length)
      out.set(raw.subarray(0, cut), 0)
      out.set(bytes, cut)
      out.set(raw.subarray(cut), cut + bytes.length)
      return out
    }
    case 'oversize': {
      // Still valid JSON (white space before the closing brace) when the text is an object.
      const { bytes } = damage as { bytes: number }
      const pad = Math.max(0, bytes - text.length)
      return text.endsWith('}') ? `${text.slice(0, -1)}${' '.repeat(pad)}}` : text + ' '.repeat(pad)
    }
  }
  return text
}

export function isStream(body: BodySpec): body is StreamBody {
  return 'stream' in body
}

/**
 * A body stream that breaks after some bytes, or never ends. As a real fetch does, it fails with the request
 * signal's reason once that signal aborts, so a library that hands its deadline to fetch is not left waiting.
 */
function streamOf(
  { stream, prefix, error }: StreamBody,
  signal: AbortSignal | undefined,
): ReadableStream<Uint8Array> {
  let sent = false
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (!sent) {
        sent = true
        if (prefix) controller.enqueue(encoder.encode(prefix))
        return
      }
      if (stream === 'failing') {
        controller.error(error)
        return
      }
      return new Promise<void>((resolve) => {
        if (signal === undefined) return // never settles: only the reader's own deadline helps
        const fail = () => {
          controller.error(signal.reason)
          resolve()
        }
        if (signal.aborted) fail()
        else signal.addEventListener('abort', fail, { once: true })
      })
    },
  })
}

/** A fresh Response for the spec (a Response can be read only once, and each library reads its own). */
export function responseOf(spec: ResponseSpec, url?: string, signal?: AbortSignal): Response {
  const headers = new Headers()
  for (const [name, value] of Object.entries(spec.headers)) {
    if (value === undefined) continue
    try {
      headers.append(name, value)
    } catch {
      // not a valid header value (control characters): a real server could not send it either
    }
  }
  let body: BodyInit | null
  if (isStream(spec.body)) body = streamOf(spec.body, signal)
  else if ('bytes' in spec.body) body = new Uint8Array(spec.body.bytes)
  else body = bodyBytes(spec.body.text, spec.body.damage) as BodyInit
  const response = new Response(NULL_BODY_STATUSES.has(spec.status) ? null : body, {
    status: spec.status,
    headers,
  })
  if (url !== undefined) Object.defineProperty(response, 'url', { value: url })
  return response
}

/** Statuses: mostly the expected one, then the usual errors, then anything a Response can carry. */
export const statusArb = (expected: number) =>
  fc.oneof(
    { weight: 40, arbitrary: fc.constant(expected) },
    { weight: 3, arbitrary: fc.constantFrom(400, 401, 403, 500, 503) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(200, 201, 202, 203, 204, 206, 299, 302, 304, 307, 418, 429, 599),
    },
    { weight: 1, arbitrary: fc.integer({ min: 200, max: 599 }) },
  )

export const contentTypeArb = (good = 'application/json') =>
  fc.oneof(
    { weight: 16, arbitrary: fc.constant<string | undefined>(good) },
    {
      weight: 3,
      arbitrary: fc.constantFrom<string | undefined>(
        undefined,
        'Application/JSON; charset=utf-8',
        'application/json;charset=UTF-8',
        'application/problem+json',
        'application/jwt',
        'application/token-introspection+jwt',
        'application/jwk-set+json',
        'text/html',
        'text/plain',
        'multipart/form-data; boundary=x',
        '',
        ';',
        'application/json;;;',
        'application/json, text/html',
        'application/json\u0000',
      ),
    },
  )

export const bodySpecOf = (documents: fc.Arbitrary<string>): fc.Arbitrary<BodySpec> =>
  fc.oneof(
    { weight: 40, arbitrary: fc.record({ text: documents, damage: damageArb }) },
    { weight: 1, arbitrary: streamArb },
    { weight: 1, arbitrary: fc.json({ maxDepth: 3 }).map((text) => ({ text })) },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map((text) => ({ text })) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }).map((b) => ({ bytes: [...b] })) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('', '{', '[]', 'null', '"x"', '1e400', '{}').map((text) => ({ text })),
    },
  )

/** An OAuth error body (RFC 6749 §5.2), with hostile members now and then. */
export const errorDocument = fc
  .tuple(
    fc.record(
      {
        error: mostly(
          fc.constantFrom('invalid_grant', 'invalid_client', 'use_dpop_nonce', 'server_error'),
          6,
        ),
        error_description: mostly(fc.constantFrom('d', 'a\u0000b', 'é'), 2),
        error_uri: mostly(fc.constant('https://e.example'), 2),
      },
      { requiredKeys: [] },
    ),
    editsArb,
  )
  .map(([value, edits]) => serialise(value, edits))

export { anyHeader }
