// Issue 3 item 4: every client authentication method × DPoP off / on / nonce required, for client credentials and
// token exchange through genericGrantRequest, against the real oidc-provider. Confirmation claims are read back
// with a grantline-free introspection request (undici), and round trips are counted on the server.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { X509Certificate, createHash } from 'node:crypto'
import { Agent, request } from 'undici'
import {
  ClientSecretBasic,
  ClientSecretJwt,
  ClientSecretPost,
  Configuration,
  None,
  PrivateKeyJwt,
  ResponseBodyError,
  TlsClientAuth,
  customFetch,
  genericGrantRequest,
  getDPoPHandle,
  modifyAssertion,
  randomDPoPKeyPair,
  type ClientAuth,
  type DPoPHandle,
  type ServerMetadata,
  type TokenEndpointResponse,
} from '../../src/index.js'
import { mtlsFetch, type MtlsFetch } from '../../src/node/index.js'
import {
  TOKEN_EXCHANGE,
  TOKEN_TYPE,
  configFor,
  startAuthorizationServer,
  type AuthorizationServer,
  type DemoClient,
} from '../support/provider.js'

type DPoPMode = 'off' | 'on' | 'nonce'

const MTLS_DPOP_CLIENT = 'mtls-self-signed-dpop'
type Grant = 'client_credentials' | typeof TOKEN_EXCHANGE

interface Method {
  /** The client registered at the embedded server. */
  clientId: string
  /** The token_endpoint_auth_method, for the matrix table. */
  name: string
  auth: (client: DemoClient) => ClientAuth
  mtls?: true
  /** Registered with tls_client_certificate_bound_access_tokens (RFC 8705 §3). */
  certificateBound?: true
}

const METHODS: Method[] = [
  { clientId: 'basic', name: 'client_secret_basic', auth: (c) => ClientSecretBasic(c.clientSecret) },
  { clientId: 'post', name: 'client_secret_post', auth: (c) => ClientSecretPost(c.clientSecret) },
  { clientId: 'public', name: 'none', auth: () => None() },
  { clientId: 'jwt-secret', name: 'client_secret_jwt', auth: (c) => ClientSecretJwt(c.clientSecret) },
  { clientId: 'pkjwt-es256', name: 'private_key_jwt (ES256)', auth: (c) => PrivateKeyJwt(keyOf(c)) },
  { clientId: 'pkjwt-rs256', name: 'private_key_jwt (RS256)', auth: (c) => PrivateKeyJwt(keyOf(c)) },
  { clientId: 'pkjwt-ed25519', name: 'private_key_jwt (Ed25519)', auth: (c) => PrivateKeyJwt(keyOf(c)) },
  {
    clientId: 'mtls-self-signed',
    name: 'self_signed_tls_client_auth, certificate-bound tokens',
    auth: () => TlsClientAuth(),
    mtls: true,
    certificateBound: true,
  },
  {
    clientId: 'mtls-pki',
    name: 'tls_client_auth, certificate-bound tokens',
    auth: () => TlsClientAuth(),
    mtls: true,
    certificateBound: true,
  },
  // Registered by this file (registerUnboundMtlsClient): authenticates with its certificate, but its tokens are
  // not certificate-bound, so DPoP can bind them instead.
  {
    clientId: MTLS_DPOP_CLIENT,
    name: 'self_signed_tls_client_auth, tokens not certificate-bound',
    auth: () => TlsClientAuth(),
    mtls: true,
  },
]
const MODES: DPoPMode[] = ['off', 'on', 'nonce']
const GRANTS: Grant[] = ['client_credentials', TOKEN_EXCHANGE]

function keyOf(client: DemoClient) {
  const { key, kid } = client.privateKey!
  return { key, kid }
}

const servers = new Map<string, AuthorizationServer>()
const fetchers: MtlsFetch[] = []
const introspectionAgents = new Map<AuthorizationServer, Agent>()
/** One row per matrix cell, printed at the end. */
const results: string[] = []

beforeAll(async () => {
  const started = await Promise.all([
    startAuthorizationServer(),
    startAuthorizationServer({ requireDPoPNonce: true }),
    startAuthorizationServer({ mtls: true }),
    startAuthorizationServer({ mtls: true, requireDPoPNonce: true }),
  ])
  servers.set('plain', started[0])
  servers.set('plain+nonce', started[1])
  servers.set('mtls', started[2])
  servers.set('mtls+nonce', started[3])
  await registerUnboundMtlsClient(started[2])
  await registerUnboundMtlsClient(started[3])
}, 60_000)

/**
 * oidc-provider refuses a DPoP proof from a client whose tokens are certificate-bound ("multiple
 * proof-of-possession mechanisms are not allowed"), and the shared server registers its mTLS clients that way. A
 * self-signed mTLS client without certificate-bound tokens goes into the provider's client store here, through
 * its adapter, like a dynamically registered client.
 */
async function registerUnboundMtlsClient(server: AuthorizationServer): Promise<void> {
  const template = server.clients['mtls-self-signed']!
  const adapter = (
    server.provider.Client as unknown as { adapter: { upsert(id: string, v: object): Promise<void> } }
  ).adapter
  await adapter.upsert(MTLS_DPOP_CLIENT, {
    client_id: MTLS_DPOP_CLIENT,
    token_endpoint_auth_method: 'self_signed_tls_client_auth',
    grant_types: ['client_credentials', TOKEN_EXCHANGE],
    response_types: [],
    redirect_uris: [],
    scope: 'api:read',
    jwks: { keys: [server.mtls!.selfSigned.jwk] },
  })
  server.clients[MTLS_DPOP_CLIENT] = { ...template, clientId: MTLS_DPOP_CLIENT }
}

afterAll(async () => {
  for (const fetcher of fetchers) fetcher.close()
  for (const agent of introspectionAgents.values()) await agent.close()
  await Promise.all([...servers.values()].map((server) => server.close()))
  // PRINT_AUTH_MATRIX=1 prints the matrix as a markdown table.
  if (results.length && process.env['PRINT_AUTH_MATRIX'])
    console.log(['| method | DPoP | grant | token_type | requests (1st, 2nd) | cnf |', ...results].join('\n'))
})

function serverFor(method: Method, mode: DPoPMode): AuthorizationServer {
  return servers.get(`${method.mtls ? 'mtls' : 'plain'}${mode === 'nonce' ? '+nonce' : ''}`)!
}

function configFor2(server: AuthorizationServer, method: Method): Configuration {
  const client = server.clients[method.clientId]!
  if (!method.mtls) return configFor(server, method.clientId, method.auth(client))
  const config = new Configuration(
    server.metadata as ServerMetadata,
    method.clientId,
    { use_mtls_endpoint_aliases: true },
    method.auth(client),
  )
  const fetcher = mtlsFetch({
    cert: client.certificate!,
    key: client.certificateKey!,
    ca: server.mtls!.caCertificate,
  })
  fetchers.push(fetcher)
  config[customFetch] = fetcher
  return config
}

/** The token requests the server received since the last call, with their decoded DPoP proofs. */
function takeTokenRequests(server: AuthorizationServer) {
  const seen = server.requests.filter((r) => r.path === '/token')
  server.requests.length = 0
  return seen.map((r) => {
    const proof = r.headers['dpop'] as string | undefined
    return {
      proof: proof
        ? (JSON.parse(Buffer.from(proof.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>)
        : undefined,
    }
  })
}

async function parametersFor(server: AuthorizationServer, grant: Grant, method: Method) {
  if (grant === 'client_credentials') return { scope: 'api:read' }
  return {
    subject_token: await server.issueAccessToken(method.clientId, { scope: 'api:read', accountId: 'alice' }),
    subject_token_type: TOKEN_TYPE.accessToken,
    scope: 'api:read',
  }
}

/** RFC 7662 introspection with undici and client_secret_basic of the `basic` client: no grantline involved. */
async function introspect(server: AuthorizationServer, token: string): Promise<Record<string, unknown>> {
  let agent = introspectionAgents.get(server)
  if (!agent) {
    agent = new Agent({ connect: server.mtls ? { ca: server.mtls.caCertificate } : {} })
    introspectionAgents.set(server, agent)
  }
  const basic = server.clients['basic']!
  const response = await request(String(server.metadata['introspection_endpoint']), {
    method: 'POST',
    dispatcher: agent,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
      authorization: `Basic ${Buffer.from(`basic:${encodeURIComponent(basic.clientSecret!)}`).toString('base64')}`,
    },
    body: new URLSearchParams({ token }).toString(),
  })
  expect(response.statusCode).toBe(200)
  return (await response.body.json()) as Record<string, unknown>
}

function grantName(grant: Grant): string {
  return grant === TOKEN_EXCHANGE ? 'token exchange' : grant
}

function certificateThumbprint(pem: string): string {
  return createHash('sha256').update(new X509Certificate(pem).raw).digest('base64url')
}

describe.each(METHODS)('$name', (method) => {
  describe.each(MODES)('DPoP %s', (mode) => {
    it.each(GRANTS)('%s', async (grant) => {
      const server = serverFor(method, mode)
      const client = server.clients[method.clientId]!
      const config = configFor2(server, method)
      let DPoP: DPoPHandle | undefined
      if (mode !== 'off') DPoP = getDPoPHandle(config, await randomDPoPKeyPair())
      const options = DPoP ? { DPoP } : undefined

      const firstParams = await parametersFor(server, grant, method)
      takeTokenRequests(server)

      if (DPoP && method.certificateBound) {
        // Server policy (oidc-provider): one proof-of-possession mechanism per token. A required nonce is asked
        // for first, so that case still costs exactly one retry before the refusal.
        const err = await genericGrantRequest(config, grant, firstParams, options).catch((e: unknown) => e)
        expect(err).toBeInstanceOf(ResponseBodyError)
        expect(err).toMatchObject({
          error: 'invalid_request',
          error_description: 'multiple proof-of-possession mechanisms are not allowed',
        })
        const attempts = takeTokenRequests(server)
        expect(attempts).toHaveLength(mode === 'nonce' ? 2 : 1)
        results.push(
          `| ${method.name} | ${mode} | ${grantName(grant)} | refused by the server: invalid_request (two PoP mechanisms) | ${attempts.length}, - | - |`,
        )
        return
      }

      const first: TokenEndpointResponse = await genericGrantRequest(config, grant, firstParams, options)
      const firstRequests = takeTokenRequests(server)
      const second = await genericGrantRequest(
        config,
        grant,
        await parametersFor(server, grant, method),
        options,
      )
      const secondRequests = takeTokenRequests(server)

      expect(first.token_type).toBe(DPoP ? 'dpop' : 'bearer')
      expect(second.token_type).toBe(first.token_type)
      if (grant === TOKEN_EXCHANGE) expect(first.issued_token_type).toBe(TOKEN_TYPE.accessToken)

      // Round trips: a required nonce costs one extra request on the first call only (RFC 9449 §8).
      expect(firstRequests).toHaveLength(mode === 'nonce' ? 2 : 1)
      expect(secondRequests).toHaveLength(1)
      if (mode === 'nonce') {
        expect(firstRequests[0]!.proof!['nonce']).toBeUndefined()
        expect(firstRequests[1]!.proof!['nonce']).toBeTypeOf('string')
        expect(secondRequests[0]!.proof!['nonce']).toBeTypeOf('string')
      }
      if (!DPoP) for (const r of [...firstRequests, ...secondRequests]) expect(r.proof).toBeUndefined()

      // The token's confirmation, as the server's introspection endpoint reports it (RFC 7662, RFC 7800).
      const info = await introspect(server, first.access_token)
      expect(info).toMatchObject({ active: true, client_id: method.clientId })
      const cnf = info['cnf'] as Record<string, unknown> | undefined
      const expected: Record<string, string> = {}
      if (DPoP) expected['jkt'] = await DPoP.calculateThumbprint()
      if (method.certificateBound) expected['x5t#S256'] = certificateThumbprint(client.certificate!)
      if (Object.keys(expected).length) expect(cnf).toEqual(expected)
      else expect(cnf).toBeUndefined()
      expect(info['token_type']).toBe(DPoP ? 'DPoP' : 'Bearer')

      results.push(
        `| ${method.name} | ${mode} | ${grantName(grant)} | ${first.token_type} | ${firstRequests.length}, ${secondRequests.length} | ${Object.keys(expected).join(' + ') || '-'} |`,
      )
    })
  })
})

describe('client assertion audience against oidc-provider (grantline extension)', () => {
  const jwtMethods = [
    { clientId: 'jwt-secret', make: (c: DemoClient, o: object) => ClientSecretJwt(c.clientSecret, o) },
    { clientId: 'pkjwt-es256', make: (c: DemoClient, o: object) => PrivateKeyJwt(keyOf(c), o) },
  ]
  it.each(jwtMethods)(
    '$clientId: issuer, token_endpoint and endpoint are all accepted',
    async ({ clientId, make }) => {
      const server = servers.get('plain')!
      for (const audience of ['issuer', 'token_endpoint', 'endpoint'] as const) {
        const config = configFor(server, clientId, make(server.clients[clientId]!, { audience }))
        const tokens = await genericGrantRequest(config, 'client_credentials', { scope: 'api:read' })
        expect(tokens.token_type).toBe('bearer')
      }
    },
  )

  it('the server does check the audience: a foreign aud is invalid_client', async () => {
    const server = servers.get('plain')!
    const client = server.clients['pkjwt-es256']!
    const auth = PrivateKeyJwt(keyOf(client), {
      [modifyAssertion]: (_header, payload) => {
        payload['aud'] = 'https://somewhere-else.example'
      },
    })
    const err = await genericGrantRequest(
      configFor(server, 'pkjwt-es256', auth),
      'client_credentials',
      {},
    ).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ResponseBodyError)
    expect(err).toMatchObject({ error: 'invalid_client', status: 401 })
  })

  it('endpoint audience over an mTLS alias reaches the alias URL', async () => {
    const server = servers.get('mtls')!
    const client = server.clients['pkjwt-es256']!
    const config = new Configuration(
      server.metadata as ServerMetadata,
      'pkjwt-es256',
      { use_mtls_endpoint_aliases: true },
      PrivateKeyJwt(keyOf(client), { audience: 'endpoint' }),
    )
    // A server certificate from the test CA, but no client certificate: private_key_jwt authenticates.
    const agent = new Agent({ connect: { ca: server.mtls!.caCertificate } })
    config[customFetch] = (url, init) => fetch(url, { ...init, dispatcher: agent } as RequestInit)
    try {
      const tokens = await genericGrantRequest(config, 'client_credentials', {})
      expect(tokens.token_type).toBe('bearer')
    } finally {
      await agent.close()
    }
  })
})

describe('mutual TLS: the server checks the certificate', () => {
  it('a self-signed client presenting another certificate is invalid_client', async () => {
    const server = servers.get('mtls')!
    const config = new Configuration(
      server.metadata as ServerMetadata,
      'mtls-self-signed',
      { use_mtls_endpoint_aliases: true },
      TlsClientAuth(),
    )
    const other = server.clients['mtls-pki']!
    const fetcher = mtlsFetch({
      cert: other.certificate!,
      key: other.certificateKey!,
      ca: server.mtls!.caCertificate,
    })
    fetchers.push(fetcher)
    config[customFetch] = fetcher
    const err = await genericGrantRequest(config, 'client_credentials', {}).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ResponseBodyError)
    expect(err).toMatchObject({ error: 'invalid_client' })
  })
})
