import fc from 'fast-check'
import {
  CLIENT_ID,
  CLIENT_SECRET,
  ISSUER,
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
  usually,
  type ResponseSpec,
} from '../generators.js'
import type { Api, Target } from '../target.js'

// The start of the decoupled flows, device authorization (RFC 8628 §3.2) and CIBA (CIBA Core §7.3), and token
// revocation (RFC 7009 §2.2), whose answers the library reads too.

const lifetimes = ['600', '60s', 'abc', -1, 0, 1e308, '1e400', 0.5, Number.MAX_SAFE_INTEGER]

const deviceDocument = fc
  .tuple(
    fc.record(
      {
        device_code: mostly(plantedToken('DC'), 30),
        user_code: usually('WDJB-MJHT', ['', 'a\u0000b']),
        verification_uri: usually(`${ISSUER}/device`, ['', 'javascript:alert(1)']),
        verification_uri_complete: usually(`${ISSUER}/device?user_code=WDJB-MJHT`, [''], 6),
        expires_in: usually(600, lifetimes),
        interval: usually(5, [0, -1, 0.001, '5', 1e308], 6),
        x: hostileValue,
      },
      { requiredKeys: ['device_code', 'user_code', 'verification_uri', 'expires_in'] },
    ),
    editsArb,
  )
  .map(([value, edits]) => serialise(value, edits))

const cibaDocument = fc
  .tuple(
    fc.record(
      {
        auth_req_id: mostly(plantedToken('ARI'), 30),
        expires_in: usually(120, lifetimes),
        interval: usually(2, [0, -1, 0.001, '5', 1e308], 6),
        x: hostileValue,
      },
      { requiredKeys: ['auth_req_id', 'expires_in'] },
    ),
    editsArb,
  )
  .map(([value, edits]) => serialise(value, edits))

export interface DecoupledCase {
  flow: 'device' | 'ciba'
  response: ResponseSpec
}

function configuration(api: Api, answer: (url: string, signal?: AbortSignal) => Response) {
  const config = new api.Configuration(
    {
      issuer: ISSUER,
      token_endpoint: `${ISSUER}/token`,
      device_authorization_endpoint: `${ISSUER}/device_authorization`,
      backchannel_authentication_endpoint: `${ISSUER}/bc-authorize`,
      revocation_endpoint: `${ISSUER}/revoke`,
    } as never,
    CLIENT_ID,
    CLIENT_SECRET,
  )
  config.timeout = 2
  config[api.customFetch] = (async (url: string, init?: { signal?: AbortSignal }) =>
    answer(String(url), init?.signal)) as never
  return config
}

const isPositiveOrAbsent = (value: unknown) =>
  value === undefined || (typeof value === 'number' && Number.isFinite(value) && value > 0)

export const decoupledStartTarget: Target<DecoupledCase> = {
  name: 'device and CIBA start',
  runs: 6_000,
  arb: fc.oneof(
    fc.record({
      flow: fc.constant<'device'>('device'),
      response: fc.record({
        status: statusArb(200),
        headers: fc.record({ 'content-type': contentTypeArb() }),
        body: bodySpecOf(
          fc.oneof({ weight: 6, arbitrary: deviceDocument }, { weight: 1, arbitrary: errorDocument }),
        ),
      }),
    }),
    fc.record({
      flow: fc.constant<'ciba'>('ciba'),
      response: fc.record({
        status: statusArb(200),
        headers: fc.record({ 'content-type': contentTypeArb() }),
        body: bodySpecOf(
          fc.oneof({ weight: 6, arbitrary: cibaDocument }, { weight: 1, arbitrary: errorDocument }),
        ),
      }),
    }),
  ),
  differential: true,
  run: (api, c) => {
    const config = configuration(api, (url, signal) => responseOf(c.response, url, signal))
    return c.flow === 'device'
      ? api.initiateDeviceAuthorization(config, { scope: 'openid' })
      : api.initiateBackchannelAuthentication(config, { scope: 'openid', login_hint: 'alice' })
  },
  validate: (c, value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not an object'
    const body = value as Record<string, unknown>
    const codes = c.flow === 'device' ? ['device_code', 'user_code', 'verification_uri'] : ['auth_req_id']
    for (const name of codes) {
      if (typeof body[name] !== 'string' || body[name] === '') return `${name} is not a non-empty string`
    }
    const expires = body['expires_in']
    if (typeof expires !== 'number' || !Number.isFinite(expires) || expires < 0)
      return `expires_in ${String(expires)}`
    if (!isPositiveOrAbsent(body['interval'])) return `interval ${String(body['interval'])}`
    return undefined
  },
  view: (value) => JSON.parse(JSON.stringify(value)) as unknown,
}

export const revocationTarget: Target<{ response: ResponseSpec }> = {
  name: 'revocation',
  runs: 4_000,
  arb: fc.record({
    response: fc.record({
      status: statusArb(200),
      headers: fc.record({ 'content-type': contentTypeArb() }),
      body: bodySpecOf(fc.oneof(errorDocument, fc.constantFrom('', '{}', 'OK', '<html></html>'))),
    }),
  }),
  differential: true,
  run: (api, c) => {
    const config = configuration(api, (url, signal) => responseOf(c.response, url, signal))
    return api.tokenRevocation(config, `RV-${CLIENT_SECRET}`)
  },
  validate: (_c, value) => (value === undefined ? undefined : 'not undefined'),
  view: (value) => value ?? null,
}
