// What integration tests need from the embedded authorization server (demo/server.ts), plus a Configuration
// for any of its clients.

import {
  Configuration,
  allowInsecureRequests,
  calculatePKCECodeChallenge,
  randomNonce,
  randomPKCECodeVerifier,
  randomState,
  type ClientAuth,
  type ClientMetadata,
  type ServerMetadata,
} from '../../src/index.js'
import { REDIRECT_URI, type AuthorizationServer } from '../../demo/server.js'

export {
  startAuthorizationServer,
  CIBA,
  DEVICE_CODE,
  JWT_BEARER,
  SAML2_BEARER,
  TOKEN_EXCHANGE,
  SCOPES,
  REDIRECT_URI,
  POST_LOGOUT_REDIRECT_URI,
  LOOPBACK_REDIRECT_URI,
  ACCOUNTS,
  DEMO_ACCOUNT,
  DEMO_PASSWORD,
  DENIED_DESCRIPTION,
} from '../../demo/server.js'
export type {
  AuthorizationServer,
  AuthorizationServerOptions,
  AssertionIssuer,
  DemoClient,
  DecryptionKey,
  DemoAccount,
  MtlsMaterial,
  RecordedRequest,
} from '../../demo/server.js'
export { signJwtAssertion, samlAssertion, samlAssertionXml } from '../../demo/assertions.js'
export { TOKEN_TYPE } from '../../demo/grants/token-exchange.js'

/**
 * A grantline Configuration for one of the server's clients, with HTTP allowed (the server listens on plain
 * http://127.0.0.1 unless started with `mtls`). Without `auth`, grantline's default applies: ClientSecretPost
 * when the client has a secret, None otherwise. `metadata` adds client metadata (e.g. use_mtls_endpoint_aliases).
 */
export function configFor(
  server: AuthorizationServer,
  clientId: string,
  auth?: ClientAuth,
  metadata: Partial<ClientMetadata> = {},
): Configuration {
  const client = server.clients[clientId]
  if (!client) throw new TypeError(`the embedded server has no client "${clientId}"`)
  const config = new Configuration(
    server.metadata as ServerMetadata,
    clientId,
    { ...(client.clientSecret ? { client_secret: client.clientSecret } : {}), ...metadata },
    auth,
  )
  allowInsecureRequests(config)
  return config
}

/**
 * One authorization request's fresh PKCE verifier, state and nonce: the `parameters` to send (redirect_uri
 * REDIRECT_URI, scope "openid email", S256 challenge; `extra` adds or replaces) and the `checks` the callback
 * must pass (authorizationCodeGrant's fourth argument).
 */
export async function authorizationRequest(extra: Record<string, string> = {}) {
  const verifier = randomPKCECodeVerifier()
  const state = randomState()
  const nonce = randomNonce()
  return {
    checks: { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce },
    parameters: {
      redirect_uri: REDIRECT_URI,
      scope: 'openid email',
      state,
      nonce,
      code_challenge: await calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      ...extra,
    },
  }
}
