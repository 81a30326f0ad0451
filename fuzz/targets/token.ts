import fc from 'fast-check'
import { TOKEN_EXCHANGE, idToken as unsignedIdToken } from '../../test/unit/token-response-arbitraries.js'
import {
  CLIENT_ID,
  CLIENT_SECRET,
  ISSUER,
  PLANTED,
  anyHeader,
  bodySpecOf,
  contentTypeArb,
  editsArb,
  errorDocument,
  hostileValue,
  mostly,
  usually,
  plantedToken,
  responseOf,
  serialise,
  statusArb,
  type ResponseSpec,
} from '../generators.js'
import { PUBLIC_JWK, compactJwt, jwksDocumentArb, jwtArb, type JwtSpec } from '../jwt.js'
import type { Api, Target } from '../target.js'

// Token endpoint responses (RFC 6749 §5.1/§5.2) through the whole grant pipeline: the generic grant, token
// exchange, client credentials and refresh token, with unsigned ID Tokens now and then.

export type Grant = 'generic' | 'token_exchange' | 'client_credentials' | 'refresh_token'
export const GRANT = 'urn:example:grant'

export const tokenDocument = (idToken: fc.Arbitrary<unknown>, idTokenRequired = false) =>
  fc
    .tuple(
      fc.record(
        {
          access_token: mostly(plantedToken('AT'), 40),
          token_type: usually(
            'bearer',
            ['Bearer', 'DPoP', 'N_A', 'n_a', 'mac', 'constructor', '__proto__', 'toString'],
            20,
          ),
          expires_in: fc.oneof(
            { weight: 20, arbitrary: fc.integer({ min: 0, max: 86_400 }) },
            {
              weight: 1,
              arbitrary: fc.constantFrom<unknown>(
                '3600',
                '60s',
                'abc',
                '-1',
                '1e400',
                -1,
                0.5,
                1e308,
                '0x10',
              ),
            },
            { weight: 1, arbitrary: hostileValue },
          ),
          refresh_token: mostly(plantedToken('RT'), 40),
          scope: usually('a b', ['', 'openid']),
          id_token: idToken,
          issued_token_type: usually('urn:ietf:params:oauth:token-type:access_token'),
          authorization_details: usually([{ type: 'x' }], [], 3),
        },
        {
          requiredKeys: idTokenRequired
            ? ['access_token', 'token_type', 'id_token']
            : ['access_token', 'token_type'],
        },
      ),
      editsArb,
    )
    .map(([value, edits]) => serialise(value, edits))

export const tokenHeaders = (contentType = contentTypeArb()) =>
  fc.record({
    'content-type': contentType,
    'www-authenticate': fc.option(anyHeader, { freq: 8, nil: undefined }),
    'dpop-nonce': fc.option(fc.string({ maxLength: 8 }), { freq: 8, nil: undefined }),
    'cache-control': fc.option(fc.constant('no-store'), { freq: 2, nil: undefined }),
  })

export const grantArb = fc.constantFrom<Grant>(
  'generic',
  'generic',
  'token_exchange',
  'client_credentials',
  'refresh_token',
)

/** Server and client settings that steer ID Token validation (contract §2.5). */
export const settingsArb = fc.record({
  server: fc.constantFrom<Record<string, unknown>>(
    { id_token_signing_alg_values_supported: ['none', 'RS256', 'ES256'] },
    { id_token_signing_alg_values_supported: ['none', 'RS256', 'ES256'] },
    {},
    { id_token_signing_alg_values_supported: 'none' },
  ),
  client: fc.constantFrom<Record<string, unknown>>(
    {},
    {},
    {},
    { id_token_signed_response_alg: 'none' },
    { require_auth_time: true },
    { default_max_age: 300 },
  ),
})
export type Settings = typeof settingsArb extends fc.Arbitrary<infer T> ? T : never

/**
 * Unsigned ID Tokens (signatures are not checked without non-repudiation checks), and now and then a planted one
 * that is no JWT at all: an ID Token is a credential too, and must not show in an error when it is refused.
 */
const idTokenArb = fc.oneof(
  { weight: 12, arbitrary: unsignedIdToken },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      `IDT-${PLANTED}`,
      `IDT-${PLANTED}.x`,
      `a.IDT-${PLANTED}.c.d`,
      `a.b.c.d.IDT-${PLANTED}`,
    ),
  },
)

export interface TokenCase {
  grant: Grant
  settings: Settings
  response: ResponseSpec
}

const tokenCase: fc.Arbitrary<TokenCase> = fc.record({
  grant: grantArb,
  settings: settingsArb,
  response: fc.record({
    status: statusArb(200),
    headers: tokenHeaders(),
    body: bodySpecOf(
      fc.oneof(
        { weight: 4, arbitrary: tokenDocument(fc.option(idTokenArb, { freq: 2, nil: undefined })) },
        { weight: 1, arbitrary: errorDocument },
      ),
    ),
  }),
})

/** Calls the grant the case names, on a configuration whose customFetch answers with `fetch`. */
export function callGrant(
  api: Api,
  grant: Grant,
  settings: Settings,
  answer: (url: string, signal?: AbortSignal) => Response,
  extra: {
    server?: Record<string, unknown>
    setup?: (config: InstanceType<Api['Configuration']>) => void
  } = {},
): Promise<unknown> {
  const config = new api.Configuration(
    { issuer: ISSUER, token_endpoint: `${ISSUER}/token`, ...settings.server, ...extra.server } as never,
    CLIENT_ID,
    { client_secret: CLIENT_SECRET, ...settings.client } as never,
  )
  config.timeout = 2
  config[api.customFetch] = (async (url: string, init?: { signal?: AbortSignal }) =>
    answer(String(url), init?.signal)) as never
  extra.setup?.(config)
  switch (grant) {
    case 'generic':
      return api.genericGrantRequest(config, GRANT, { a: 'b' })
    case 'token_exchange':
      return api.genericGrantRequest(config, TOKEN_EXCHANGE, {
        subject_token: 'st',
        subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      })
    case 'client_credentials':
      return api.clientCredentialsGrant(config, { scope: 'x' })
    case 'refresh_token':
      return api.refreshTokenGrant(config, 'rt-1')
  }
}

type Tokens = Record<string, unknown> & { claims(): unknown; expiresIn(): number | undefined }

export function validateTokenResponse(grant: Grant, value: unknown): string | undefined {
  const result = value as Tokens
  if (typeof result !== 'object' || result === null) return 'not an object'
  if (Object.getPrototypeOf(result) !== Object.prototype) return 'not a plain object'
  if (typeof result['access_token'] !== 'string' || result['access_token'] === '') return 'no access_token'
  const type = result['token_type']
  const allowed = grant === 'token_exchange' ? ['bearer', 'dpop', 'n_a'] : ['bearer', 'dpop']
  if (typeof type !== 'string' || !allowed.includes(type)) return `token_type ${String(type)}`
  const expires = result['expires_in']
  if (expires !== undefined && (typeof expires !== 'number' || !Number.isFinite(expires) || expires < 0)) {
    return `expires_in ${String(expires)}`
  }
  if (result['scope'] !== undefined && typeof result['scope'] !== 'string') return 'scope not a string'
  if (
    result['refresh_token'] !== undefined &&
    (typeof result['refresh_token'] !== 'string' || result['refresh_token'] === '')
  ) {
    return 'refresh_token not a non-empty string'
  }
  if (Object.keys(result).includes('claims')) return 'claims() is an own enumerable member'
  const claims = result.claims() as Record<string, unknown> | undefined
  if (result['id_token'] !== undefined) {
    if (typeof claims !== 'object' || claims === null) return 'id_token without claims()'
    if (typeof claims['iss'] !== 'string' || claims['aud'] === undefined) return 'claims() without iss or aud'
    if (typeof claims['exp'] !== 'number' || typeof claims['iat'] !== 'number') return 'claims() timestamps'
  } else if (claims !== undefined) return 'claims() without id_token'
  const inSeconds = result.expiresIn()
  if (inSeconds !== undefined && (typeof inSeconds !== 'number' || Number.isNaN(inSeconds)))
    return 'expiresIn()'
  return undefined
}

export function viewTokenResponse(value: unknown) {
  const result = value as Tokens
  const expiresIn = result.expiresIn()
  return {
    body: JSON.parse(JSON.stringify(result)) as unknown,
    claims: result.claims(),
    // compared with a little slack (fuzz/differential.ts): the two read the clock at different moments
    expiresIn,
  }
}

export const tokenTarget: Target<TokenCase> = {
  name: 'token response',
  runs: 30_000,
  arb: tokenCase,
  differential: true,
  run: (api, c) => callGrant(api, c.grant, c.settings, (url, signal) => responseOf(c.response, url, signal)),
  validate: (c, value) => validateTokenResponse(c.grant, value),
  view: viewTokenResponse,
}

// --- ID Tokens signed with the fixed ES256 key, checked with enableNonRepudiationChecks (JWKS via customFetch) ---

export interface SignedCase {
  grant: Grant
  jwt: JwtSpec
  token: ResponseSpec
  jwks: ResponseSpec
}

/** The token response the case describes, with its ID Token signed now. */
export function withIdToken(spec: ResponseSpec, jwt: JwtSpec): ResponseSpec {
  if (!('text' in spec.body)) return spec
  const text = spec.body.text.replace('"__ID_TOKEN__"', JSON.stringify(compactJwt(jwt)))
  return { ...spec, body: { ...spec.body, text } }
}

const signedTokenResponse = fc.record({
  status: statusArb(200),
  headers: tokenHeaders(fc.constant('application/json')),
  body: fc.record({ text: tokenDocument(fc.constant('__ID_TOKEN__'), true) }),
})
const jwksResponse = (document: fc.Arbitrary<string>) =>
  fc.record({
    status: statusArb(200),
    headers: fc.record({ 'content-type': contentTypeArb('application/jwk-set+json') }),
    body: bodySpecOf(document),
  })
const hostileJwks = jwksResponse(jwksDocumentArb)

function signedRun(api: Api, c: SignedCase): Promise<unknown> {
  const token = withIdToken(c.token, c.jwt)
  return callGrant(
    api,
    c.grant,
    { server: { id_token_signing_alg_values_supported: ['ES256', 'RS256'] }, client: {} },
    (url, signal) => responseOf(url.endsWith('/jwks') ? c.jwks : token, url, signal),
    { server: { jwks_uri: `${ISSUER}/jwks` }, setup: (config) => api.enableNonRepudiationChecks(config) },
  )
}

export const idTokenTarget: Target<SignedCase> = {
  name: 'ID Token (ES256, signature checked)',
  runs: 12_000,
  arb: fc.record({
    grant: grantArb,
    jwt: jwtArb(),
    token: signedTokenResponse,
    jwks: fc.constant<ResponseSpec>({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: { text: JSON.stringify({ keys: [PUBLIC_JWK] }) },
    }),
  }),
  differential: true,
  run: signedRun,
  validate: (c, value) => validateTokenResponse(c.grant, value),
  view: viewTokenResponse,
}

export const jwksTarget: Target<SignedCase> = {
  name: 'JWKS',
  runs: 6_000,
  arb: fc.record({
    grant: fc.constant<Grant>('generic'),
    jwt: jwtArb(),
    token: signedTokenResponse,
    jwks: hostileJwks,
  }),
  differential: true,
  run: signedRun,
  validate: (c, value) => validateTokenResponse(c.grant, value),
  view: viewTokenResponse,
}
