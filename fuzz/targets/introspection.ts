import fc from 'fast-check'
import {
  CLIENT_ID,
  CLIENT_SECRET,
  ISSUER,
  PLANTED,
  bodySpecOf,
  contentTypeArb,
  editsArb,
  errorDocument,
  hostileValue,
  mostly,
  plantedToken,
  responseOf,
  serialise,
  statusArb,
  type ResponseSpec,
} from '../generators.js'
import { PUBLIC_JWK, compactJwt, jwtArb, type JwtSpec } from '../jwt.js'
import type { Api, Target } from '../target.js'

// Token introspection (RFC 7662) as JSON, and as a signed JWT (RFC 9701) with hostile claims.

const INTROSPECTED = `introspected-${PLANTED}`
const INTROSPECTION_JWT = 'application/token-introspection+jwt'

const introspectionClaims = fc.record(
  {
    active: mostly(fc.constantFrom(true, true, false), 12),
    scope: mostly(fc.constantFrom('a b', ''), 6),
    client_id: mostly(fc.constant(CLIENT_ID), 6),
    username: mostly(fc.constant('u'), 2),
    token_type: mostly(fc.constantFrom('Bearer', 'DPoP'), 2),
    exp: mostly(fc.integer({ min: 0, max: 2 ** 31 }), 4),
    aud: mostly(fc.constantFrom<unknown>('rs', ['rs', 'x']), 4),
    cnf: mostly(fc.constant({ jkt: 'abc' }), 1),
    // a token the server echoes back must never end up in our error messages
    access_token: plantedToken('IT'),
    x: hostileValue,
  },
  { requiredKeys: ['active'] },
)

const introspectionDocument = fc
  .tuple(introspectionClaims, editsArb)
  .map(([value, edits]) => serialise(value, edits))

export interface IntrospectionCase {
  response: ResponseSpec
}

function introspect(
  api: Api,
  answer: (url: string, signal?: AbortSignal) => Response,
  client: Record<string, unknown> = {},
  nonRepudiation = false,
): Promise<unknown> {
  const config = new api.Configuration(
    {
      issuer: ISSUER,
      introspection_endpoint: `${ISSUER}/introspect`,
      jwks_uri: `${ISSUER}/jwks`,
      introspection_signing_alg_values_supported: ['ES256'],
    } as never,
    CLIENT_ID,
    { client_secret: CLIENT_SECRET, ...client } as never,
  )
  config.timeout = 2
  config[api.customFetch] = (async (url: string, init?: { signal?: AbortSignal }) =>
    answer(String(url), init?.signal)) as never
  if (nonRepudiation) api.enableNonRepudiationChecks(config)
  return api.tokenIntrospection(config, INTROSPECTED)
}

function validateIntrospection(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not an object'
  if (typeof (value as { active?: unknown }).active !== 'boolean') return 'active is not a boolean'
  return undefined
}

const view = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown

export const introspectionTarget: Target<IntrospectionCase> = {
  name: 'introspection (JSON)',
  runs: 10_000,
  arb: fc.record({
    response: fc.record({
      status: statusArb(200),
      headers: fc.record({ 'content-type': contentTypeArb() }),
      body: bodySpecOf(
        fc.oneof({ weight: 5, arbitrary: introspectionDocument }, { weight: 1, arbitrary: errorDocument }),
      ),
    }),
  }),
  differential: true,
  run: (api, c) => introspect(api, (url, signal) => responseOf(c.response, url, signal)),
  validate: (_c, value) => validateIntrospection(value),
  view,
}

export interface JwtIntrospectionCase {
  jwt: JwtSpec
  status: number
  contentType: string | undefined
  nonRepudiation: boolean
  configuredAlg: string | undefined
}

const JWKS = JSON.stringify({ keys: [PUBLIC_JWK] })

export const jwtIntrospectionTarget: Target<JwtIntrospectionCase> = {
  name: 'introspection (JWT, RFC 9701)',
  runs: 8_000,
  arb: fc.record({
    jwt: jwtArb('token-introspection+jwt', {
      token_introspection: mostly(introspectionClaims, 20),
    }),
    status: statusArb(200),
    contentType: contentTypeArb(INTROSPECTION_JWT),
    nonRepudiation: fc.boolean(),
    configuredAlg: fc.constantFrom<string | undefined>('ES256', 'ES256', 'ES256', 'RS256', undefined),
  }),
  differential: true,
  run: (api, c) => {
    const token = compactJwt(c.jwt)
    const client = c.configuredAlg === undefined ? {} : { introspection_signed_response_alg: c.configuredAlg }
    return introspect(
      api,
      (url) =>
        responseOf(
          url.endsWith('/jwks')
            ? { status: 200, headers: { 'content-type': 'application/json' }, body: { text: JWKS } }
            : { status: c.status, headers: { 'content-type': c.contentType }, body: { text: token } },
          url,
        ),
      client,
      c.nonRepudiation,
    )
  },
  validate: (_c, value) => validateIntrospection(value),
  view,
}
