// The embedded authorization server: a real oidc-provider 9.13.3, in-process on 127.0.0.1 with a random port,
// with every client authentication method, DPoP, optional mutual TLS, and three extension grants (token
// exchange, JWT bearer, SAML 2.0 bearer). The demo, the examples and every integration test run against it.

import { restoreConsoleWarn } from './quiet.js'
import { randomBytes } from 'node:crypto'
import { createServer as createHttpServer, type IncomingHttpHeaders, type Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose'
import Provider, { errors, type KoaContext } from 'oidc-provider'
import { Agent, request } from 'undici'
import { createMtlsMaterial, type MtlsMaterial } from './certificates.js'
import {
  CIBA,
  JWT_BEARER,
  SAML2_BEARER,
  SCOPES,
  TOKEN_EXCHANGE,
  createClients,
  type DemoClient,
} from './clients.js'
import type { AssertionIssuer } from './assertions.js'
import { jwtBearerHandler, JWT_BEARER_PARAMETERS } from './grants/jwt-bearer.js'
import { saml2BearerHandler, SAML2_BEARER_PARAMETERS } from './grants/saml2-bearer.js'
import {
  tokenExchangeHandler,
  TOKEN_EXCHANGE_DUPLICATES,
  TOKEN_EXCHANGE_PARAMETERS,
} from './grants/token-exchange.js'
import { tokenExtras } from './grants/issue.js'
import { createStorage, memoryAdapter } from './memory-adapter.js'
import { TTL } from './ttl.js'

restoreConsoleWarn()

export { CIBA, JWT_BEARER, SAML2_BEARER, TOKEN_EXCHANGE, SCOPES }
export type { DemoClient, AssertionIssuer, MtlsMaterial }

export interface AuthorizationServerOptions {
  /** Every token request must carry a server-issued DPoP nonce (RFC 9449 §8). */
  requireDPoPNonce?: boolean
  /** Serve HTTPS with client certificates (RFC 8705): tls_client_auth, self-signed, certificate-bound tokens. */
  mtls?: boolean
}

/** One request as the server received it, for counting round trips. Bodies are not recorded. */
export interface RecordedRequest {
  method: string
  path: string
  headers: IncomingHttpHeaders
}

export interface AuthorizationServer {
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
  /** Completes a device authorization (RFC 8628) as if the user entered `userCode` and consented. */
  approveDeviceFlow(userCode: string, accountId: string): Promise<void>
  /** Ends a device authorization with `access_denied`. */
  denyDeviceFlow(userCode: string): Promise<void>
  /** Completes a CIBA request as if the user approved it on their device. */
  approveCiba(authReqId: string, accountId?: string): Promise<void>
  /** Ends a CIBA request with `access_denied`. */
  denyCiba(authReqId: string): Promise<void>
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
    createClients(mtls),
  ])

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
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject)
    http.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = http.address() as AddressInfo
  const issuer = `${mtls ? 'https' : 'http'}://127.0.0.1:${port}`

  const trustedAssertionIssuer: AssertionIssuer = {
    issuer: 'https://assertions.grantline.test',
    privateKey: assertionKeys.privateKey,
    kid: await calculateJwkThumbprint(await exportJWK(assertionKeys.publicKey)),
    alg: 'ES256',
  }

  const nonceSecret = randomBytes(32)
  const provider = new Provider(issuer, {
    adapter: memoryAdapter(createStorage()),
    clients: clientSet.metadata,
    jwks: { keys: jwks },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    scopes: SCOPES,
    ttl: { ...TTL },
    clientAuthMethods: [
      'client_secret_basic',
      'client_secret_post',
      'client_secret_jwt',
      'private_key_jwt',
      'none',
      ...(mtls ? ['self_signed_tls_client_auth', 'tls_client_auth'] : []),
    ],
    findAccount: (_ctx: unknown, sub: string) => ({
      accountId: sub,
      claims: () => ({ sub, email: `${sub}@example.test`, name: sub }),
    }),
    extraTokenClaims: (_ctx: unknown, token: object) => tokenExtras.get(token),
    claims: { openid: ['sub'], email: ['email'], profile: ['name'] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true, allowedPolicy: () => true },
      revocation: {
        enabled: true,
        // RFC 7009 §2.1: a client may revoke only its own tokens.
        allowedPolicy: (_ctx: unknown, client: { clientId: string }, token: { clientId: string }) =>
          client.clientId === token.clientId,
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => undefined,
        useGrantedResource: () => false,
        getResourceServerInfo: (_ctx: unknown, resource: string) => ({
          scope: SCOPES.filter((scope) => scope.startsWith('api:')).join(' '),
          audience: resource,
          accessTokenFormat: 'opaque',
        }),
      },
      deviceFlow: { enabled: true },
      ciba: {
        enabled: true,
        deliveryModes: ['poll'],
        // login_hint is the account id; approval comes from approveCiba().
        processLoginHint: (_ctx: unknown, loginHint: string) => loginHint,
        processLoginHintToken: () => {
          throw new errors.InvalidRequest('login_hint_token is not supported by this server')
        },
        validateRequestContext: () => undefined,
        // CIBA Core §7.1: a short message shown on both devices; keep the provider's own rule, without its notice.
        validateBindingMessage: (_ctx: unknown, message: string | undefined) => {
          if (message !== undefined && !/^[a-zA-Z0-9-._+/!?#]{1,20}$/.test(message)) {
            throw new errors.InvalidBindingMessage(
              'binding_message must be 1-20 characters of [a-zA-Z0-9-._+/!?#]',
            )
          }
        },
        verifyUserCode: () => undefined,
        triggerAuthenticationDevice: () => undefined,
      },
      dPoP: {
        enabled: true,
        nonceSecret,
        requireNonce: () => options.requireDPoPNonce === true,
      },
      ...(mtls ? { mTLS: mtlsFeature() } : {}),
    },
    ...(mtls
      ? {
          discovery: {
            // RFC 8705 §5: the whole server speaks TLS with optional client certificates, so each alias is the
            // endpoint itself.
            mtls_endpoint_aliases: Object.fromEntries(
              (
                [
                  ['token_endpoint', '/token'],
                  ['introspection_endpoint', '/token/introspection'],
                  ['revocation_endpoint', '/token/revocation'],
                  ['device_authorization_endpoint', '/device/auth'],
                  ['backchannel_authentication_endpoint', '/backchannel'],
                  ['userinfo_endpoint', '/me'],
                ] as const
              ).map(([name, path]) => [name, `${issuer}${path}`]),
            ),
          },
        }
      : {}),
  })

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
  http.on('request', (req, res) => {
    requests.push({ method: req.method ?? '', path: req.url ?? '', headers: { ...req.headers } })
    callback(req, res)
  })

  let metadata: AuthorizationServer['metadata']
  try {
    metadata = await fetchDiscovery(issuer, mtls)
  } catch (err) {
    http.closeAllConnections()
    http.close()
    throw err
  }
  requests.length = 0

  const clientOf = async (clientId: string) => {
    const client = await provider.Client.find(clientId)
    if (!client) throw new TypeError(`unknown client ${clientId}`)
    return client
  }

  return {
    issuer,
    metadata,
    provider,
    clients: clientSet.clients,
    trustedAssertionIssuer,
    mtls,
    requests,

    async issueAccessToken(clientId, { scope, accountId = 'alice' } = {}) {
      const at = new provider.AccessToken({
        accountId,
        client: await clientOf(clientId),
        gty: 'test',
        ...(scope ? { scope } : {}),
      })
      return at.save()
    },

    async inspectAccessToken(token) {
      const at = (await provider.AccessToken.find(token)) ?? (await provider.ClientCredentials.find(token))
      if (!at) return undefined
      return Object.fromEntries(Object.entries(at).filter(([, value]) => value !== undefined))
    },

    async approveDeviceFlow(userCode, accountId) {
      const code = await findDeviceCode(userCode)
      const scope = String((code['params'] as { scope?: string } | undefined)?.scope ?? 'openid')
      const grant = new provider.Grant({ accountId, clientId: code.clientId })
      grant.addOIDCScope(scope)
      Object.assign(code, { accountId, grantId: await grant.save(), scope, authTime: epoch() })
      await code.save()
    },

    async denyDeviceFlow(userCode) {
      const code = await findDeviceCode(userCode)
      Object.assign(code, { error: 'access_denied', errorDescription: 'end-user denied the authorization' })
      await code.save()
    },

    async approveCiba(authReqId, accountId) {
      const req = await findCibaRequest(authReqId)
      const account = accountId ?? req.accountId
      if (account === undefined) throw new TypeError('CIBA request has no account')
      const grant = new provider.Grant({ accountId: account, clientId: req.clientId })
      grant.addOIDCScope(req.scope ?? 'openid')
      Object.assign(req, { accountId: account, grantId: await grant.save(), authTime: epoch() })
      await req.save()
    },

    async denyCiba(authReqId) {
      const req = await findCibaRequest(authReqId)
      Object.assign(req, { error: 'access_denied', errorDescription: 'end-user denied the authorization' })
      await req.save()
    },

    close() {
      return new Promise<void>((resolve, reject) => {
        http.close((err) => (err ? reject(err) : resolve()))
        // Keep-alive sockets from clients would otherwise hold the server open.
        http.closeAllConnections()
      })
    },
  }

  async function findDeviceCode(userCode: string) {
    // The user sees XXXX-XXXX; the server stores the code upper-cased without separators.
    const normalized = userCode.toUpperCase().replace(/\W/g, '')
    const code = await provider.DeviceCode.findByUserCode(normalized)
    if (!code) throw new TypeError('unknown or expired user code')
    return code
  }

  async function findCibaRequest(authReqId: string) {
    const req = await provider.BackchannelAuthenticationRequest.find(authReqId)
    if (!req) throw new TypeError('unknown or expired auth_req_id')
    return req
  }

  function mtlsFeature() {
    const peer = (ctx: KoaContext) => {
      const socket = ctx.socket as TLSSocket
      const cert =
        typeof socket.getPeerX509Certificate === 'function' ? socket.getPeerX509Certificate() : undefined
      return cert
    }
    return {
      enabled: true,
      certificateBoundAccessTokens: true,
      selfSignedTlsClientAuth: true,
      tlsClientAuth: true,
      getCertificate: (ctx: KoaContext) => peer(ctx)?.toString(),
      // Verified against the CA the HTTPS server was given (`ca`).
      certificateAuthorized: (ctx: KoaContext) => (ctx.socket as TLSSocket).authorized === true,
      certificateSubjectMatches: (ctx: KoaContext, property: string, expected: string) =>
        property === 'tls_client_auth_subject_dn' && peer(ctx)?.subject.split('\n').join(',') === expected,
    }
  }
}

function epoch(): number {
  return Math.floor(Date.now() / 1000)
}

/** The server's own signing keys: RS256 for ID Tokens (the clients' default) and ES256. */
async function serverSigningKeys() {
  return Promise.all(
    (['RS256', 'ES256'] as const).map(async (alg) => {
      const { privateKey } = await generateKeyPair(alg, { extractable: true })
      const jwk = await exportJWK(privateKey)
      return { ...jwk, alg, use: 'sig', kid: await calculateJwkThumbprint(jwk) }
    }),
  )
}

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
