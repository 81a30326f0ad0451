// Discovery, dynamic client registration and ID Token trust against a real oidc-provider.
//
// Two servers: the project's embedded authorization server (demo/server.ts, issuer at the root), and a second
// oidc-provider started here with an issuer that has a path (`/op`), dynamic registration behind an initial
// access token, the device flow and ID Token encryption. oidc-provider publishes its metadata only at the
// OpenID Connect location; the front handler below also serves that same document at the RFC 8414 location
// (`/.well-known/oauth-authorization-server/op`), as RFC 8414 §5 lets a server that speaks both do.
// First: the embedded server's support module silences oidc-provider's load-time Node.js version warning.
import { startAuthorizationServer, type AuthorizationServer } from '../support/provider.js'
import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair } from 'jose'
import Provider from 'oidc-provider'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ClientError,
  ClientSecretBasic,
  Configuration,
  allowInsecureRequests,
  discovery,
  dynamicClientRegistration,
  enableDecryptingResponses,
  enableNonRepudiationChecks,
  genericGrantRequest,
  getJwksCache,
  initiateDeviceAuthorization,
} from '../../src/index.js'
import { createStorage, memoryAdapter } from '../../demo/memory-adapter.js'
import { rejection as failure } from '../support/expect.js'

const DEVICE_CODE = 'urn:ietf:params:oauth:grant-type:device_code'
const insecure = { execute: [allowInsecureRequests] }

describe('discovery against the embedded authorization server (issuer at the root)', () => {
  let as: AuthorizationServer

  beforeAll(async () => {
    as = await startAuthorizationServer()
  })
  afterAll(() => as.close())

  it('oidc: finds the metadata, checks the issuer and the configuration works at the token endpoint', async () => {
    const client = as.clients['post']!
    const config = await discovery(new URL(as.issuer), 'post', client.clientSecret!, undefined, insecure)
    expect(config.serverMetadata()).toEqual(as.metadata)
    expect(as.requests.map((r) => `${r.method} ${r.path}`)).toContain('GET /.well-known/openid-configuration')
    const tokens = await genericGrantRequest(config, 'client_credentials', { scope: 'api:read' })
    expect(tokens.token_type).toBe('bearer')
    expect(tokens.access_token.length).toBeGreaterThan(0)
  })

  it('oidc: an issuer given with a trailing slash still matches (URL normalisation)', async () => {
    const config = await discovery(new URL(`${as.issuer}/`), 'public', undefined, undefined, insecure)
    expect(config.serverMetadata().issuer).toBe(as.issuer)
  })

  it('oidc: an issuer path the server does not serve ends in a non-conform response (404)', async () => {
    const err = await failure(
      discovery(new URL(`${as.issuer}/tenant`), 'public', undefined, undefined, insecure),
    )
    expect(err).toBeInstanceOf(ClientError)
    expect(err.code).toBe('OAUTH_RESPONSE_IS_NOT_CONFORM')
  })

  it('enableNonRepudiationChecks verifies the RS256 ID Token of a device grant with the server JWKS', async () => {
    const client = as.clients['basic']!
    const config = await discovery(
      new URL(as.issuer),
      'basic',
      client.clientSecret!,
      ClientSecretBasic(client.clientSecret!),
      insecure,
    )
    enableNonRepudiationChecks(config)
    const device = await initiateDeviceAuthorization(config, { scope: 'openid' })
    await as.approveDeviceFlow(device.user_code, 'alice')
    as.requests.length = 0
    const tokens = await genericGrantRequest(config, DEVICE_CODE, { device_code: device.device_code })
    expect(tokens.claims()).toMatchObject({ iss: as.issuer, sub: 'alice', aud: 'basic' })
    const jwksPath = new URL(as.metadata['jwks_uri'] as string).pathname
    expect(as.requests.filter((r) => r.path === jwksPath)).toHaveLength(1)
    // the cache now holds the server's published keys
    const published = (await (await fetch(as.metadata['jwks_uri'] as string)).json()) as { keys: unknown[] }
    expect(getJwksCache(config)?.jwks).toEqual(published)
    as.requests.length = 0

    // a second ID Token is verified from the cache
    const again = await initiateDeviceAuthorization(config, { scope: 'openid' })
    await as.approveDeviceFlow(again.user_code, 'bob')
    await genericGrantRequest(config, DEVICE_CODE, { device_code: again.device_code })
    expect(as.requests.filter((r) => r.path === jwksPath)).toHaveLength(0)
  })
})

interface PathIssuer {
  issuer: string
  origin: string
  provider: Provider
  http: Server
  seen: string[]
}

const INITIAL_ACCESS_TOKEN = randomBytes(16).toString('base64url')

/** oidc-provider at `http://127.0.0.1:<port>/op` with registration, device flow and ID Token encryption. */
async function startPathIssuer(): Promise<PathIssuer> {
  const http = createServer()
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  const { port } = http.address() as AddressInfo
  const origin = `http://127.0.0.1:${port}`
  const issuer = `${origin}/op`
  const keys = await Promise.all(
    (['RS256', 'ES256'] as const).map(async (alg) => {
      const { privateKey } = await generateKeyPair(alg, { extractable: true })
      return { ...(await exportJWK(privateKey)), alg, use: 'sig', kid: `op-${alg}` }
    }),
  )
  const provider = new Provider(issuer, {
    adapter: memoryAdapter(createStorage()),
    jwks: { keys },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    features: {
      devInteractions: { enabled: false },
      registration: { enabled: true, initialAccessToken: INITIAL_ACCESS_TOKEN },
      clientCredentials: { enabled: true },
      deviceFlow: { enabled: true },
      encryption: { enabled: true },
    },
    findAccount: (_ctx: unknown, sub: string) => ({ accountId: sub, claims: () => ({ sub }) }),
    ttl: {
      AccessToken: 600,
      ClientCredentials: 600,
      DeviceCode: 600,
      Grant: 600,
      IdToken: 600,
      Interaction: 600,
      RefreshToken: 600,
      Session: 600,
    },
  })
  const callback = provider.callback()
  const seen: string[] = []
  http.on('request', (req: IncomingMessage & { originalUrl?: string }, res) => {
    seen.push(`${req.method} ${req.url}`)
    if (req.url === '/.well-known/oauth-authorization-server/op')
      req.url = '/op/.well-known/openid-configuration'
    if (req.url?.startsWith('/op/')) {
      // mounted like express's app.use('/op', ...): oidc-provider derives its endpoint URLs from originalUrl
      req.originalUrl = req.url
      req.url = req.url.slice('/op'.length)
    } else {
      res.writeHead(404).end()
      return
    }
    callback(req, res)
  })
  return { issuer, origin, provider, http, seen }
}

async function approveDevice(op: PathIssuer, userCode: string, accountId: string) {
  // shown as XXXX-XXXX, stored upper-cased without separators
  const code = await op.provider.DeviceCode.findByUserCode(userCode.toUpperCase().replace(/\W/g, ''))
  if (!code) throw new Error('unknown user code')
  const grant = new op.provider.Grant({ accountId, clientId: code.clientId })
  grant.addOIDCScope('openid')
  Object.assign(code, {
    accountId,
    grantId: await grant.save(),
    scope: 'openid',
    authTime: Math.floor(Date.now() / 1000),
  })
  await code.save()
}

describe('an issuer with a path: both discovery algorithms, registration, encrypted ID Tokens', () => {
  let op: PathIssuer

  beforeAll(async () => {
    op = await startPathIssuer()
  })
  afterAll(async () => {
    op.http.closeAllConnections()
    await new Promise<void>((resolve) => op.http.close(() => resolve()))
  })

  it('oidc: fetches /op/.well-known/openid-configuration and accepts the issuer', async () => {
    op.seen.length = 0
    const config = await discovery(new URL(op.issuer), 'any', undefined, undefined, insecure)
    expect(op.seen).toEqual(['GET /op/.well-known/openid-configuration'])
    expect(config.serverMetadata()).toMatchObject({ issuer: op.issuer, token_endpoint: `${op.issuer}/token` })
  })

  it('oauth2: fetches /.well-known/oauth-authorization-server/op, also with a trailing slash', async () => {
    for (const server of [op.issuer, `${op.issuer}/`]) {
      op.seen.length = 0
      const url = new URL(server)
      const result = discovery(url, 'any', undefined, undefined, { ...insecure, algorithm: 'oauth2' })
      if (server.endsWith('/')) {
        // the document is found, but its issuer has no trailing slash: RFC 8414 §3.3 demands identity
        const err = await failure(result)
        expect(err.code).toBe('OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED')
      } else {
        expect((await result).serverMetadata().issuer).toBe(op.issuer)
      }
      expect(op.seen).toEqual(['GET /.well-known/oauth-authorization-server/op'])
    }
  })

  it('registers a client with the initial access token and uses the issued secret', async () => {
    const config = await dynamicClientRegistration(
      new URL(op.issuer),
      {
        grant_types: ['client_credentials'],
        response_types: [],
        token_endpoint_auth_method: 'client_secret_post',
      },
      undefined,
      { ...insecure, initialAccessToken: INITIAL_ACCESS_TOKEN },
    )
    expect(config).toBeInstanceOf(Configuration)
    const metadata = config.clientMetadata()
    expect(metadata.client_id).toEqual(expect.any(String))
    expect(metadata.client_secret).toEqual(expect.any(String))
    expect(metadata['registration_access_token']).toEqual(expect.any(String))
    const tokens = await genericGrantRequest(config, 'client_credentials', {})
    expect(tokens.token_type).toBe('bearer')
  })

  it('registration with a wrong initial access token is refused by the server', async () => {
    const err = await failure(
      dynamicClientRegistration(
        new URL(op.issuer),
        { grant_types: ['client_credentials'], response_types: [] },
        undefined,
        {
          ...insecure,
          initialAccessToken: 'wrong',
        },
      ),
    )
    // oidc-provider answers 401 with a Bearer challenge
    expect(['OAUTH_WWW_AUTHENTICATE_CHALLENGE', 'OAUTH_RESPONSE_BODY_ERROR']).toContain(err.code)
  })

  for (const [alg, gen] of [
    ['ECDH-ES', { name: 'ECDH', namedCurve: 'P-256' }],
    [
      'RSA-OAEP-256',
      { name: 'RSA-OAEP', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    ],
  ] as const) {
    it(`a registered client receives ${alg}-encrypted, ES256-signed ID Tokens, decrypted and verified`, async () => {
      const usages: KeyUsage[] = alg === 'ECDH-ES' ? ['deriveBits'] : ['encrypt', 'decrypt']
      const pair = (await crypto.subtle.generateKey(gen, true, usages)) as CryptoKeyPair
      const encJwk = { ...(await exportJWK(pair.publicKey)), use: 'enc', alg, kid: 'rp-enc' }
      const config = await dynamicClientRegistration(
        new URL(op.issuer),
        {
          grant_types: [DEVICE_CODE],
          response_types: [],
          token_endpoint_auth_method: 'client_secret_post',
          id_token_signed_response_alg: 'ES256',
          id_token_encrypted_response_alg: alg,
          id_token_encrypted_response_enc: 'A128GCM',
          jwks: { keys: [encJwk] },
        },
        undefined,
        { ...insecure, initialAccessToken: INITIAL_ACCESS_TOKEN },
      )
      enableDecryptingResponses(config, undefined, { key: pair.privateKey, kid: 'rp-enc' })
      enableNonRepudiationChecks(config)
      const device = await initiateDeviceAuthorization(config, { scope: 'openid' })
      await approveDevice(op, device.user_code, 'carol')
      const tokens = await genericGrantRequest(config, DEVICE_CODE, { device_code: device.device_code })
      expect(tokens.id_token?.split('.')).toHaveLength(5)
      expect(tokens.claims()).toMatchObject({
        iss: op.issuer,
        sub: 'carol',
        aud: config.clientMetadata().client_id,
      })
    })
  }

  it('an encrypted ID Token without enableDecryptingResponses is an unsupported operation', async () => {
    const pair = (await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, [
      'deriveBits',
    ])) as CryptoKeyPair
    const config = await dynamicClientRegistration(
      new URL(op.issuer),
      {
        grant_types: [DEVICE_CODE],
        response_types: [],
        id_token_encrypted_response_alg: 'ECDH-ES',
        id_token_encrypted_response_enc: 'A128GCM',
        jwks: { keys: [{ ...(await exportJWK(pair.publicKey)), use: 'enc' }] },
      },
      undefined,
      { ...insecure, initialAccessToken: INITIAL_ACCESS_TOKEN },
    )
    const device = await initiateDeviceAuthorization(config, { scope: 'openid' })
    await approveDevice(op, device.user_code, 'dave')
    const err = await failure(genericGrantRequest(config, DEVICE_CODE, { device_code: device.device_code }))
    expect(err).toBeInstanceOf(ClientError)
    expect(err.code).toBe('OAUTH_UNSUPPORTED_OPERATION')
    expect(err.message).toBe('unsupported operation')
  })
})
