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
  nowSeconds,
  plantedToken,
  responseOf,
  serialise,
  statusArb,
  type ResponseSpec,
} from '../generators.js'
import type { Target } from '../target.js'

// Authorization Server Metadata (OIDC Discovery 1.0, RFC 8414) and Dynamic Client Registration (RFC 7591).

const metadataDocument = fc
  .tuple(
    fc.record(
      {
        issuer: mostly(
          fc.constantFrom(ISSUER, ISSUER, ISSUER, `${ISSUER}/`, 'https://evil.example', 'not a url'),
          20,
        ),
        token_endpoint: mostly(
          fc.constantFrom(`${ISSUER}/token`, 'http://as.example/token', 'javascript:x'),
          12,
        ),
        jwks_uri: mostly(fc.constant(`${ISSUER}/jwks`), 12),
        registration_endpoint: mostly(fc.constant(`${ISSUER}/register`), 20),
        introspection_endpoint: mostly(fc.constant(`${ISSUER}/introspect`), 6),
        id_token_signing_alg_values_supported: mostly(fc.constant(['ES256']), 6),
        token_endpoint_auth_methods_supported: mostly(fc.constant(['client_secret_basic']), 6),
        mtls_endpoint_aliases: mostly(fc.constant({ token_endpoint: `${ISSUER}/mtls/token` }), 2),
        x: hostileValue,
      },
      { requiredKeys: ['issuer'] },
    ),
    editsArb,
  )
  .map(([value, edits]) => serialise(value, edits))

const metadataResponse = (status = statusArb(200)) =>
  fc.record({
    status,
    headers: fc.record({ 'content-type': contentTypeArb() }),
    body: bodySpecOf(
      fc.oneof({ weight: 6, arbitrary: metadataDocument }, { weight: 1, arbitrary: errorDocument }),
    ),
  })

export interface DiscoveryCase {
  algorithm: 'oidc' | 'oauth2'
  response: ResponseSpec
}

function viewConfiguration(value: unknown) {
  const config = value as { serverMetadata(): unknown; clientMetadata(): unknown; timeout: unknown }
  return {
    server: JSON.parse(JSON.stringify(config.serverMetadata())) as unknown,
    client: JSON.parse(JSON.stringify(config.clientMetadata())) as unknown,
  }
}

function validateConfiguration(value: unknown): string | undefined {
  const config = value as {
    serverMetadata?: () => Record<string, unknown>
    clientMetadata?: () => Record<string, unknown>
  }
  if (typeof config?.serverMetadata !== 'function') return 'not a Configuration'
  const server = config.serverMetadata()
  if (typeof server['issuer'] !== 'string' || server['issuer'] === '') return 'issuer missing'
  const client = config.clientMetadata!()
  if (typeof client['client_id'] !== 'string' || client['client_id'] === '') return 'client_id missing'
  return undefined
}

export const discoveryTarget: Target<DiscoveryCase> = {
  name: 'discovery',
  runs: 8_000,
  arb: fc.record({
    algorithm: fc.constantFrom<'oidc' | 'oauth2'>('oidc', 'oauth2'),
    response: metadataResponse(),
  }),
  differential: true,
  run: (api, c) =>
    api.discovery(new URL(ISSUER), CLIENT_ID, CLIENT_SECRET, undefined, {
      algorithm: c.algorithm,
      timeout: 2,
      [api.customFetch]: (async (url: string, init?: { signal?: AbortSignal }) =>
        responseOf(c.response, String(url), init?.signal)) as never,
    }),
  validate: (_c, value) => validateConfiguration(value),
  view: viewConfiguration,
}

const registrationDocument = fc
  .tuple(
    fc.record(
      {
        client_id: mostly(fc.constantFrom('registered-client', ''), 20),
        client_secret: mostly(plantedToken('CS'), 12),
        client_secret_expires_at: mostly(fc.constantFrom(0, nowSeconds() + 3600, -1), 12),
        registration_access_token: plantedToken('RAT'),
        redirect_uris: mostly(fc.constant(['https://rp.example/cb']), 6),
        token_endpoint_auth_method: mostly(
          fc.constantFrom('client_secret_basic', 'client_secret_post', 'none'),
          6,
        ),
        x: hostileValue,
      },
      { requiredKeys: ['client_id'] },
    ),
    editsArb,
  )
  .map(([value, edits]) => serialise(value, edits))

export interface RegistrationCase {
  metadata: ResponseSpec
  registration: ResponseSpec
  initialAccessToken: boolean
}

const GOOD_METADATA: ResponseSpec = {
  status: 200,
  headers: { 'content-type': 'application/json' },
  body: {
    text: JSON.stringify({
      issuer: ISSUER,
      registration_endpoint: `${ISSUER}/register`,
      token_endpoint: `${ISSUER}/token`,
    }),
  },
}

export const registrationTarget: Target<RegistrationCase> = {
  name: 'dynamic registration',
  runs: 6_000,
  arb: fc.record({
    metadata: fc.oneof(
      { weight: 12, arbitrary: fc.constant(GOOD_METADATA) },
      { weight: 1, arbitrary: metadataResponse() },
    ),
    registration: fc.record({
      status: statusArb(201),
      headers: fc.record({ 'content-type': contentTypeArb() }),
      body: bodySpecOf(
        fc.oneof({ weight: 6, arbitrary: registrationDocument }, { weight: 1, arbitrary: errorDocument }),
      ),
    }),
    initialAccessToken: fc.boolean(),
  }),
  differential: true,
  run: (api, c) =>
    api.dynamicClientRegistration(
      new URL(ISSUER),
      { redirect_uris: ['https://rp.example/cb'], client_name: 'fuzz' },
      undefined,
      {
        timeout: 2,
        ...(c.initialAccessToken ? { initialAccessToken: `IAT-${CLIENT_SECRET}` } : {}),
        [api.customFetch]: (async (url: string, init: { method?: string; signal?: AbortSignal }) =>
          responseOf(
            init.method === 'POST' ? c.registration : c.metadata,
            String(url),
            init.signal,
          )) as never,
      },
    ),
  validate: (_c, value) => validateConfiguration(value),
  view: viewConfiguration,
}
