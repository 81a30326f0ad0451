// The embedded authorization server: a real oidc-provider 9.13.3, in-process on 127.0.0.1 with a random port,
// with every client authentication method, DPoP, optional mutual TLS, and three extension grants (token
// exchange, JWT bearer, SAML 2.0 bearer), and a login wing: its own login and consent pages (demo/interactions.ts,
// accounts in demo/accounts.ts) and clients for the authorization code family (code + PKCE, PAR, JAR, JARM,
// hybrid, implicit, DPoP-bound codes, encrypted responses, end session; demo/clients.ts). The demo, the examples
// and every integration test run against it.

import { restoreConsoleWarn } from './quiet.js'
import { createServer as createHttpServer, type IncomingHttpHeaders, type Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { randomBytes } from 'node:crypto'
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose'
import Provider from 'oidc-provider'
import { Agent, request } from 'undici'
import { createMtlsMaterial, type MtlsMaterial } from './certificates.js'
import {
  CIBA,
  DEVICE_CODE,
  JWT_BEARER,
  SAML2_BEARER,
  SCOPES,
  TOKEN_EXCHANGE,
  REDIRECT_URI,
  POST_LOGOUT_REDIRECT_URI,
  LOOPBACK_REDIRECT_URI,
  createClients,
  type DemoClient,
  type DecryptionKey,
} from './clients.js'
import { ACCOUNTS, DEMO_ACCOUNT, DEMO_PASSWORD, type DemoAccount } from './accounts.js'
import { DENIED_DESCRIPTION, interactionRoutes } from './interactions.js'
import type { AssertionIssuer } from './assertions.js'
import { jwtBearerHandler, JWT_BEARER_PARAMETERS } from './grants/jwt-bearer.js'
import { saml2BearerHandler, SAML2_BEARER_PARAMETERS } from './grants/saml2-bearer.js'
import {
  tokenExchangeHandler,
  TOKEN_EXCHANGE_DUPLICATES,
  TOKEN_EXCHANGE_PARAMETERS,
} from './grants/token-exchange.js'
import { flows, type Flows } from './flows.js'
import { providerConfiguration } from './provider-configuration.js'

restoreConsoleWarn()

export { CIBA, DEVICE_CODE, JWT_BEARER, SAML2_BEARER, TOKEN_EXCHANGE, SCOPES }
export { REDIRECT_URI, POST_LOGOUT_REDIRECT_URI, LOOPBACK_REDIRECT_URI }
export { ACCOUNTS, DEMO_ACCOUNT, DEMO_PASSWORD, DENIED_DESCRIPTION }
export type { DemoClient, DecryptionKey, DemoAccount, AssertionIssuer, MtlsMaterial, Flows }

export interface AuthorizationServerOptions {
  /** Every token request must carry a server-issued DPoP nonce (RFC 9449 §8). */
  requireDPoPNonce?: boolean
  /** Serve HTTPS with client certificates (RFC 8705): tls_client_auth, self-signed, certificate-bound tokens. */
  mtls?: boolean
  /** Redirect URIs registered for every login client besides their own (e.g. a test app's callback). */
  redirectUris?: string[]
}

/** One request as the server received it, for counting round trips. Bodies are not recorded. */
export interface RecordedRequest {
  method: string
  path: string
  headers: IncomingHttpHeaders
}

export interface AuthorizationServer extends Flows {
  /** `http://127.0.0.1:<port>`, or `https://` with `mtls`. */
  readonly issuer: string
  /** The server's discovery document, ready for `new Configuration(server.metadata, ...)`. */
  readonly metadata: Record<string, unknown> & { issuer: string; token_endpoint: string }
  readonly provider: Provider
  /** The registered clients by client_id: secrets, private keys, certificates. */
  readonly clients: Record<string, DemoClient>
  /** An issuer whose ES256-signed assertions the JWT-bearer grant accepts. */
  readonly trustedAssertionIssuer: AssertionIssuer
  /** Certificates and keys for the mTLS variant; undefined without `mtls`. */
  readonly mtls: MtlsMaterial | undefined
  /** Every request received, oldest first; clear it with `requests.length = 0`. */
  readonly requests: RecordedRequest[]
  /** Mints an access token the token-exchange grant accepts as `subject_token`. */
  issueAccessToken(clientId: string, options?: { scope?: string; accountId?: string }): Promise<string>
  /** The stored payload of an access token (aud, extra, scope, cnf thumbprints...), or undefined. */
  inspectAccessToken(token: string): Promise<Record<string, unknown> | undefined>
  /**
   * Registers one more client (e.g. a web application whose callback port is known only once it listens).
   * `metadata` is oidc-provider client metadata; a `client_secret` is generated for authenticating methods
   * when absent. Returns what a test needs to act as it.
   */
  registerClient(metadata: Record<string, unknown> & { client_id: string }): Promise<DemoClient>
  /** Completes or denies device (RFC 8628) and CIBA requests as the user would: see demo/flows.ts. */
  close(): Promise<void>
}

/** Starts a fresh server; every start has new keys, clients, secrets and storage. */
export async function startAuthorizationServer(
  options: AuthorizationServerOptions = {},
): Promise<AuthorizationServer> {
  const mtls = options.mtls ? await createMtlsMaterial() : undefined
  const [jwks, assertionKeys, clientSet] = await Promise.all([
    serverSigningKeys(),
    generateKeyPair('ES256', { extractable: false }),
    createClients(mtls, options.redirectUris),
  ])
  const trustedAssertionIssuer: AssertionIssuer = {
    issuer: 'https://assertions.grantline.test',
    privateKey: assertionKeys.privateKey,
    kid: await calculateJwkThumbprint(await exportJWK(assertionKeys.publicKey)),
    alg: 'ES256',
  }

  const http: Server = mtls
    ? createHttpsServer({
        key: mtls.server.privateKey,
        cert: mtls.server.certificate,
        ca: [mtls.caCertificate],
        // Ask for a certificate but let the provider decide: a self-signed client certificate would otherwise
        // fail the handshake and the client would only see a socket hang-up (NOTES.md).
        requestCert: true,
        rejectUnauthorized: false,
      })
    : createHttpServer()
  // The issuer must carry the real port, so listen first and build the provider afterwards.
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject)
    http.listen(0, '127.0.0.1', () => resolve())
  })
  const close = () =>
    new Promise<void>((resolve, reject) => {
      http.close((err) => (err ? reject(err) : resolve()))
      // Keep-alive sockets from clients would otherwise hold the server open.
      http.closeAllConnections()
    })

  try {
    const { port } = http.address() as AddressInfo
    const issuer = `${mtls ? 'https' : 'http'}://127.0.0.1:${port}`
    const provider = new Provider(
      issuer,
      providerConfiguration({
        issuer,
        jwks,
        clients: clientSet.metadata,
        requireDPoPNonce: options.requireDPoPNonce === true,
        mtls: mtls !== undefined,
      }),
    )
    provider.registerGrantType(
      TOKEN_EXCHANGE,
      tokenExchangeHandler(provider),
      TOKEN_EXCHANGE_PARAMETERS,
      TOKEN_EXCHANGE_DUPLICATES,
    )
    provider.registerGrantType(
      JWT_BEARER,
      jwtBearerHandler(
        provider,
        { issuer: trustedAssertionIssuer.issuer, publicKey: assertionKeys.publicKey },
        (id) => {
          const key = clientSet.clients[id]?.privateKey
          return key ? [key.publicJwk] : undefined
        },
      ),
      JWT_BEARER_PARAMETERS,
    )
    provider.registerGrantType(SAML2_BEARER, saml2BearerHandler(provider), SAML2_BEARER_PARAMETERS)

    const requests: RecordedRequest[] = []
    const callback = provider.callback()
    const interactions = interactionRoutes(provider)
    http.on('request', (req, res) => {
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: { ...req.headers } })
      interactions(req, res).then(
        (handled) => {
          if (!handled) callback(req, res)
        },
        () => res.destroy(),
      )
    })
    const metadata = await fetchDiscovery(issuer, mtls)
    requests.length = 0

    return {
      issuer,
      metadata,
      provider,
      clients: clientSet.clients,
      trustedAssertionIssuer,
      mtls,
      requests,
      ...flows(provider),

      async issueAccessToken(clientId, { scope, accountId = 'alice' } = {}) {
        const client = await provider.Client.find(clientId)
        if (!client) throw new TypeError(`the embedded server has no client "${clientId}"`)
        const at = new provider.AccessToken({ accountId, client, gty: 'test', ...(scope ? { scope } : {}) })
        return at.save()
      },

      async inspectAccessToken(token) {
        const at = (await provider.AccessToken.find(token)) ?? (await provider.ClientCredentials.find(token))
        if (!at) return undefined
        return Object.fromEntries(Object.entries(at).filter(([, value]) => value !== undefined))
      },

      async registerClient(metadata) {
        const method = String(metadata['token_endpoint_auth_method'] ?? 'client_secret_basic')
        const secretBased = method.startsWith('client_secret')
        const registered: Record<string, unknown> = {
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          scope: SCOPES.join(' '),
          token_endpoint_auth_method: method,
          ...(secretBased && metadata['client_secret'] === undefined
            ? { client_secret: randomBytes(32).toString('base64url') }
            : {}),
          ...metadata,
        }
        await provider.Client.adapter.upsert(metadata.client_id, registered)
        // Validates the metadata now rather than at the first authorization request.
        if (!(await provider.Client.find(metadata.client_id))) {
          throw new TypeError(`the embedded server did not accept client "${metadata.client_id}"`)
        }
        const client: DemoClient = {
          clientId: metadata.client_id,
          tokenEndpointAuthMethod: method,
          ...(typeof registered['client_secret'] === 'string'
            ? { clientSecret: registered['client_secret'] }
            : {}),
          redirectUris: (registered['redirect_uris'] as string[] | undefined) ?? [],
          postLogoutRedirectUris: (registered['post_logout_redirect_uris'] as string[] | undefined) ?? [],
          responseTypes: registered['response_types'] as string[],
          metadata: registered,
        }
        clientSet.clients[client.clientId] = client
        return client
      },

      close,
    }
  } catch (err) {
    await close()
    throw err
  }
}

/**
 * The server's own keys: RS256 for ID Tokens (the clients' default) and ES256 for signing, and an ECDH-ES key
 * clients may encrypt request objects to (RFC 9101 §6.1).
 */
async function serverSigningKeys() {
  const signing = await Promise.all(
    (['RS256', 'ES256'] as const).map(async (alg) => {
      const { privateKey } = await generateKeyPair(alg, { extractable: true })
      const jwk = await exportJWK(privateKey)
      return { ...jwk, alg, use: 'sig', kid: await calculateJwkThumbprint(jwk) }
    }),
  )
  const { privateKey } = await generateKeyPair('ECDH-ES', { crv: 'P-256', extractable: true })
  const encJwk = await exportJWK(privateKey)
  return [...signing, { ...encJwk, alg: 'ECDH-ES', use: 'enc', kid: await calculateJwkThumbprint(encJwk) }]
}

/** The discovery document, fetched over the wire like any client would (trusting the demo CA with mTLS). */
async function fetchDiscovery(issuer: string, mtls: MtlsMaterial | undefined) {
  const dispatcher = new Agent({ connect: mtls ? { ca: mtls.caCertificate } : {} })
  try {
    const response = await request(`${issuer}/.well-known/openid-configuration`, { dispatcher })
    if (response.statusCode !== 200) throw new Error(`discovery failed with status ${response.statusCode}`)
    return (await response.body.json()) as AuthorizationServer['metadata']
  } finally {
    await dispatcher.close()
  }
}
