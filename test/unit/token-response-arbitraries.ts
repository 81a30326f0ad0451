import fc from 'fast-check'

// Generators of token endpoint answers, shared by the fuzz tests and the differential property against
// openid-client. Mostly well-formed values with odd ones mixed in, so that every stage of processing is reached.

export const HEADER_ALPHABET = [
  ...'aBzZ09 \t,="\\/+-=._~!#',
  'Bearer',
  'DPoP',
  'realm',
  'error',
  '==',
  ', ',
  '"x"',
]

export const headerLike = fc
  .array(fc.constantFrom(...HEADER_ALPHABET), { maxLength: 40 })
  .map((parts) => parts.join(''))
export const anyHeader = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  headerLike,
)

export const ISSUER = 'https://as.example'
export const CLIENT_ID = 'fuzz-client'
export const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange'
export const NULL_BODY_STATUSES = new Set([204, 205, 304])
export const b64url = (value: string) => Buffer.from(value).toString('base64url')
export const now = Math.floor(Date.now() / 1000)

export const oddValue = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.boolean(),
  fc.double(),
  fc.integer(),
  fc.string({ maxLength: 8 }),
  fc.constantFrom('__proto__', 'constructor', 'toString', ''),
  fc.array(fc.integer(), { maxLength: 2 }),
  fc.constant({}),
)

/** Mostly the good value, now and then an odd one, so that every stage of the pipeline gets reached. */
export const mostly = <T>(good: fc.Arbitrary<T>, odds = 12) =>
  fc.oneof({ weight: odds, arbitrary: good }, { weight: 1, arbitrary: oddValue })

export const claims = fc.record(
  {
    iss: mostly(fc.constantFrom(ISSUER, ISSUER, ISSUER, 'https://evil.example')),
    sub: mostly(fc.constant('user')),
    aud: mostly(fc.constantFrom(CLIENT_ID, CLIENT_ID, [CLIENT_ID], [CLIENT_ID, 'x'], 'someone-else')),
    azp: mostly(fc.constantFrom(CLIENT_ID, 'x'), 1),
    iat: mostly(fc.constant(now)),
    exp: mostly(fc.constantFrom(now + 300, now + 300, now - 300)),
    nbf: mostly(fc.constantFrom(now - 10, now + 3600), 1),
    auth_time: mostly(fc.constantFrom(now, 0, -1), 1),
  },
  { requiredKeys: ['iss', 'sub', 'aud', 'iat', 'exp'] },
)
export const jwtHeader = fc.record(
  { alg: mostly(fc.constantFrom('none', 'RS256', 'RS256', 'HS256')), crit: oddValue },
  { requiredKeys: ['alg'] },
)
export const idToken = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .tuple(jwtHeader, claims, fc.string({ maxLength: 4 }))
      .map(
        ([header, payload, sig]) =>
          `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}.${sig}`,
      ),
  },
  { weight: 1, arbitrary: fc.tuple(fc.json(), fc.json()).map(([h, p]) => `${b64url(h)}.${b64url(p)}.`) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('a.b.c', 'a.b', 'a.b.c.d.e', '..', '....', '!!.??.x', 'eyJ9.eyJ9.x'),
  },
  { weight: 1, arbitrary: oddValue },
)

export const tokenBody = fc.record(
  {
    access_token: mostly(fc.constant('at'), 20),
    token_type: mostly(
      fc.constantFrom('bearer', 'Bearer', 'DPoP', 'N_A', 'n_a', 'mac', 'constructor', '__proto__'),
      20,
    ),
    expires_in: fc.oneof(
      { weight: 12, arbitrary: fc.integer({ min: 0, max: 86_400 }) },
      { weight: 1, arbitrary: fc.constantFrom('3600', '60s', 'abc', '-1', '1e400', -1, 0.5) },
      { weight: 1, arbitrary: oddValue },
    ),
    refresh_token: mostly(fc.constant('rt')),
    scope: mostly(fc.constantFrom('', 'a b')),
    id_token: fc.option(idToken, { freq: 2, nil: undefined }),
    authorization_details: oddValue,
  },
  { requiredKeys: ['access_token', 'token_type', 'id_token'] },
)
export const errorBody = fc.record(
  {
    error: mostly(fc.constantFrom('invalid_grant', 'use_dpop_nonce'), 4),
    error_description: oddValue,
  },
  { requiredKeys: [] },
)

/** A body stream that breaks after some bytes, or never ends (then only the configuration's deadline helps). */
export interface StreamBody {
  stream: 'failing' | 'endless'
  prefix: string
  error: unknown
}
export const streamArb: fc.Arbitrary<StreamBody> = fc.record({
  stream: fc.constantFrom('failing', 'failing', 'failing', 'endless'),
  prefix: fc.constantFrom('', '{"access_token":"a', '{"error":"x', '<html'),
  error: fc.constantFrom<unknown>(
    new Error('boom'),
    new TypeError('terminated'),
    new DOMException('aborted', 'AbortError'),
    new DOMException('late', 'TimeoutError'),
    'a string',
    undefined,
  ),
})

export function streamOf({ stream, prefix, error }: StreamBody): ReadableStream<Uint8Array> {
  let sent = false
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (!sent) {
        sent = true
        if (prefix) controller.enqueue(new TextEncoder().encode(prefix))
        return
      }
      if (stream === 'failing') controller.error(error)
      return new Promise<void>(() => {}) // endless: the next chunk never comes
    },
  })
}

export const bodyArb: fc.Arbitrary<string | Uint8Array | StreamBody> = fc.oneof(
  { weight: 1, arbitrary: streamArb },
  { weight: 12, arbitrary: tokenBody.map((b) => JSON.stringify(b)) },
  { weight: 4, arbitrary: errorBody.map((b) => JSON.stringify(b)) },
  { weight: 1, arbitrary: fc.json() },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '',
      '{',
      '[]',
      'null',
      '{"__proto__":{"x":1},"access_token":"a","token_type":"bearer"}',
    ),
  },
)

export const statusArb = fc.oneof(
  { weight: 8, arbitrary: fc.constant(200) },
  { weight: 3, arbitrary: fc.constantFrom(400, 401, 403) },
  { weight: 2, arbitrary: fc.integer({ min: 200, max: 599 }) },
)

export const contentType = fc.oneof(
  { weight: 8, arbitrary: fc.constant('application/json') },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      'Application/JSON; charset=utf-8',
      'application/problem+json',
      'application/jwt',
      'text/html',
      'text/plain',
      '',
      ';',
      'application/json;;;',
    ),
  },
)
export const headersArb = fc.record({
  'content-type': fc.option(contentType, { freq: 10, nil: undefined }),
  'www-authenticate': fc.option(anyHeader, { freq: 2, nil: undefined }),
  'dpop-nonce': fc.option(fc.string({ maxLength: 8 }), { freq: 2, nil: undefined }),
})

export const caseArb = fc.record({
  status: statusArb,
  headers: headersArb,
  body: bodyArb,
  grantType: fc.constantFrom('urn:example:grant', TOKEN_EXCHANGE),
})

export type FuzzCase = typeof caseArb extends fc.Arbitrary<infer T> ? T : never

export function responseFor(c: FuzzCase): Response {
  const headers = new Headers()
  for (const [name, value] of Object.entries(c.headers)) {
    if (value === undefined) continue
    try {
      headers.set(name, value)
    } catch {
      // not a valid header value (control characters): a real server could not send it either
    }
  }
  const body = typeof c.body === 'object' && 'stream' in c.body ? streamOf(c.body) : (c.body as BodyInit)
  return new Response(NULL_BODY_STATUSES.has(c.status) ? null : body, {
    status: c.status,
    headers,
  })
}
