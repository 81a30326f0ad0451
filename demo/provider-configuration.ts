// The oidc-provider configuration of the embedded server. Names follow oidc-provider 9.13.3's
// lib/helpers/defaults.js (the package has no docs folder). Every hook the enabled features call is given here,
// so the provider neither fails nor prints "you SHOULD change this" notices.

import { randomBytes } from 'node:crypto'
import type { TLSSocket } from 'node:tls'
import { errors, type KoaContext } from 'oidc-provider'
import { SCOPES } from './clients.js'
import { tokenExtras } from './grants/issue.js'
import { createStorage, memoryAdapter } from './memory-adapter.js'
import { accountClaims } from './accounts.js'
import { logoutSource, postLogoutSuccessSource } from './interactions.js'
import { TTL } from './ttl.js'

export interface ConfigurationInput {
  issuer: string
  /** Private JWKs the server signs ID Tokens with. */
  jwks: Record<string, unknown>[]
  clients: Record<string, unknown>[]
  requireDPoPNonce: boolean
  mtls: boolean
}

export function providerConfiguration(input: ConfigurationInput): Record<string, unknown> {
  return {
    adapter: memoryAdapter(createStorage()),
    clients: input.clients,
    jwks: { keys: input.jwks },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    scopes: SCOPES,
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    ttl: { ...TTL },
    clientAuthMethods: [
      'client_secret_basic',
      'client_secret_post',
      'client_secret_jwt',
      'private_key_jwt',
      'none',
      ...(input.mtls ? ['self_signed_tls_client_auth', 'tls_client_auth'] : []),
    ],
    // Any subject is a known account; tokens and ID Tokens are about whoever the grant names. Only the accounts
    // in demo/accounts.ts can sign in at the login page (demo/interactions.ts).
    findAccount: (_ctx: unknown, sub: string) => ({
      accountId: sub,
      claims: () => accountClaims(sub),
    }),
    extraTokenClaims: (_ctx: unknown, token: object) => tokenExtras.get(token),
    // A development server on loopback: browsers may call the token, introspection and revocation endpoints
    // from any origin, for every client (npm run test:runtimes runs the suite in a page of another origin).
    clientBasedCORS: () => true,
    features: {
      // Login and consent are the server's own pages (demo/interactions.ts), at the default interactions.url.
      devInteractions: { enabled: false },
      // The authorization code family (issue 12).
      pushedAuthorizationRequests: {
        enabled: true,
        requirePushedAuthorizationRequests: false,
        allowUnregisteredRedirectUris: false,
      },
      requestObjects: { enabled: true, requireSignedRequestObject: false },
      jwtResponseModes: { enabled: true },
      encryption: { enabled: true },
      claimsParameter: { enabled: true },
      userinfo: { enabled: true },
      jwtUserinfo: { enabled: true },
      rpInitiatedLogout: { enabled: true, logoutSource, postLogoutSuccessSource },
      clientCredentials: { enabled: true },
      // Any client may introspect any token, so tests can look at tokens issued to other clients.
      introspection: { enabled: true, allowedPolicy: () => true },
      // RFC 9701: signed introspection responses, for clients registered with introspection_signed_response_alg.
      jwtIntrospection: { enabled: true },
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
        // Every resource indicator names a resource server that accepts the api:* scopes (RFC 8707).
        getResourceServerInfo: (_ctx: unknown, resource: string) => ({
          scope: SCOPES.filter((scope) => scope.startsWith('api:')).join(' '),
          audience: resource,
          accessTokenFormat: 'opaque',
        }),
      },
      // Approval happens through approveDeviceFlow() / approveCiba() in demo/flows.ts, not through web pages.
      deviceFlow: { enabled: true },
      ciba: {
        enabled: true,
        deliveryModes: ['poll'],
        // login_hint is the account id.
        processLoginHint: (_ctx: unknown, loginHint: string) => loginHint,
        processLoginHintToken: () => {
          throw new errors.InvalidRequest('login_hint_token is not supported by this server')
        },
        validateRequestContext: () => undefined,
        // CIBA Core §7.1: a short message shown on both devices; the provider's own rule, without its notice.
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
        nonceSecret: randomBytes(32),
        requireNonce: () => input.requireDPoPNonce,
      },
      ...(input.mtls ? { mTLS: mtlsFeature() } : {}),
    },
    responseTypes: ['code', 'code id_token', 'id_token', 'none'],
    // PKCE (S256, the only method oidc-provider 9 knows) is required of public clients; confidential ones may use it.
    pkce: {
      required: (_ctx: unknown, client: { clientAuthMethod: string }) => client.clientAuthMethod === 'none',
    },
    // oidc-provider does not publish mtls_endpoint_aliases by itself.
    ...(input.mtls ? { discovery: { mtls_endpoint_aliases: mtlsEndpointAliases(input.issuer) } } : {}),
  }
}

/**
 * RFC 8705 §5. The whole mTLS server speaks TLS and asks every client for a certificate, so each alias is the
 * endpoint itself; a client that uses aliases still reaches the same routes.
 */
function mtlsEndpointAliases(issuer: string): Record<string, string> {
  const paths = {
    token_endpoint: '/token',
    introspection_endpoint: '/token/introspection',
    revocation_endpoint: '/token/revocation',
    device_authorization_endpoint: '/device/auth',
    backchannel_authentication_endpoint: '/backchannel',
    userinfo_endpoint: '/me',
  }
  return Object.fromEntries(Object.entries(paths).map(([name, path]) => [name, `${issuer}${path}`]))
}

function mtlsFeature() {
  const peer = (ctx: KoaContext) => {
    const socket = ctx.socket as TLSSocket
    return typeof socket.getPeerX509Certificate === 'function' ? socket.getPeerX509Certificate() : undefined
  }
  return {
    enabled: true,
    certificateBoundAccessTokens: true,
    selfSignedTlsClientAuth: true,
    tlsClientAuth: true,
    getCertificate: (ctx: KoaContext) => peer(ctx)?.toString(),
    // tls_client_auth: verified by the TLS layer against the CA the HTTPS server was given (`ca`).
    certificateAuthorized: (ctx: KoaContext) => (ctx.socket as TLSSocket).authorized === true,
    certificateSubjectMatches: (ctx: KoaContext, property: string, expected: string) =>
      property === 'tls_client_auth_subject_dn' && peer(ctx)?.subject.split('\n').join(',') === expected,
  }
}
