// The clients the embedded server registers: one per token endpoint authentication method. Their key pairs are
// made fresh on every start with WebCrypto; the server keeps only the public halves.

import { randomBytes } from 'node:crypto'
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose'
import type { MtlsMaterial } from './certificates.js'

export const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange'
export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer'
export const SAML2_BEARER = 'urn:ietf:params:oauth:grant-type:saml2-bearer'
export const DEVICE_CODE = 'urn:ietf:params:oauth:grant-type:device_code'
export const CIBA = 'urn:openid:params:grant-type:ciba'

/** Every client may use every grant the server knows. */
export const GRANT_TYPES = [
  'client_credentials',
  'refresh_token',
  TOKEN_EXCHANGE,
  JWT_BEARER,
  SAML2_BEARER,
  DEVICE_CODE,
  CIBA,
]

/** Scopes every client may ask for (`offline_access` makes the token-exchange grant add a refresh token). */
export const SCOPES = ['openid', 'offline_access', 'profile', 'email', 'api:read', 'api:write']

/** A private key as grantline's PrivateKeyJwt takes it, plus what the server registered. */
export interface ClientKey {
  key: CryptoKey
  kid: string
  alg: 'ES256' | 'RS256' | 'Ed25519'
  publicJwk: JWK
}

/** What a test or the demo needs to act as one registered client. */
export interface DemoClient {
  clientId: string
  tokenEndpointAuthMethod: string
  /** For the secret-based methods. */
  clientSecret?: string
  /** For private_key_jwt. */
  privateKey?: ClientKey
  /** For the mTLS methods: PEMs to present. */
  certificate?: string
  certificateKey?: string
  /** Login clients (authorization code family): the redirect URIs registered for it. */
  redirectUris?: string[]
  /** Login clients: where end session may send the user back to. */
  postLogoutRedirectUris?: string[]
  /** Login clients: the registered response types (`code`, `code id_token`, `id_token`). */
  responseTypes?: string[]
  /** Login clients with public-key request objects (JAR): the key they sign them with. */
  requestObjectKey?: ClientKey
  /** Login clients with encrypted responses: the private key they decrypt with (`enableDecryptingResponses`). */
  decryptionKey?: DecryptionKey
  /** Everything the server registered for this client (login clients only). */
  metadata?: Record<string, unknown>
}

/** A client's private key for encrypted ID Tokens, userinfo and JARM responses. */
export interface DecryptionKey {
  key: CryptoKey
  kid: string
  alg: 'ECDH-ES'
  /** The content encryption the client registered (`*_encrypted_response_enc`). */
  enc: 'A256GCM'
  publicJwk: JWK
}

/** Redirect URI of the login clients. Never fetched: tests hand the URL the server redirected to to the callback. */
export const REDIRECT_URI = 'https://rp.grantline.test/callback'
/** Post-logout redirect URI of the login clients. */
export const POST_LOGOUT_REDIRECT_URI = 'https://rp.grantline.test/signed-out'
/** The `native` client's loopback redirect URI; any port is allowed (RFC 8252 §7.3). */
export const LOOPBACK_REDIRECT_URI = 'http://127.0.0.1/callback'

export interface ClientSet {
  /** Client metadata as oidc-provider registers it. */
  metadata: Record<string, unknown>[]
  clients: Record<string, DemoClient>
}

export async function createClients(
  mtls: MtlsMaterial | undefined,
  extraRedirectUris: readonly string[] = [],
): Promise<ClientSet> {
  const common = {
    grant_types: GRANT_TYPES,
    response_types: [],
    redirect_uris: [],
    scope: SCOPES.join(' '),
    backchannel_token_delivery_mode: 'poll',
  }
  const clients: Record<string, DemoClient> = {}
  const metadata: Record<string, unknown>[] = []
  const add = (client: DemoClient, extra: Record<string, unknown>) => {
    clients[client.clientId] = client
    metadata.push({
      ...common,
      client_id: client.clientId,
      token_endpoint_auth_method: client.tokenEndpointAuthMethod,
      ...(client.clientSecret ? { client_secret: client.clientSecret } : {}),
      ...extra,
    })
  }

  add({ clientId: 'basic', tokenEndpointAuthMethod: 'client_secret_basic', clientSecret: secret() }, {})
  add({ clientId: 'post', tokenEndpointAuthMethod: 'client_secret_post', clientSecret: secret() }, {})
  add({ clientId: 'public', tokenEndpointAuthMethod: 'none' }, {})
  // RFC 7518 §3.2: an HS256 key must be at least 256 bits; 43 base64url characters carry 258.
  add({ clientId: 'jwt-secret', tokenEndpointAuthMethod: 'client_secret_jwt', clientSecret: secret() }, {})

  for (const [clientId, alg] of [
    ['pkjwt-es256', 'ES256'],
    ['pkjwt-rs256', 'RS256'],
    ['pkjwt-ed25519', 'Ed25519'],
  ] as const) {
    const privateKey = await clientKey(alg)
    add(
      { clientId, tokenEndpointAuthMethod: 'private_key_jwt', privateKey },
      { jwks: { keys: [privateKey.publicJwk] } },
    )
  }

  if (mtls) {
    add(
      {
        clientId: 'mtls-self-signed',
        tokenEndpointAuthMethod: 'self_signed_tls_client_auth',
        certificate: mtls.selfSigned.certificate,
        certificateKey: mtls.selfSigned.privateKey,
      },
      { jwks: { keys: [mtls.selfSigned.jwk] }, tls_client_certificate_bound_access_tokens: true },
    )
    add(
      {
        clientId: 'mtls-pki',
        tokenEndpointAuthMethod: 'tls_client_auth',
        certificate: mtls.pki.certificate,
        certificateKey: mtls.pki.privateKey,
      },
      { tls_client_auth_subject_dn: mtls.pki.subjectDn, tls_client_certificate_bound_access_tokens: true },
    )
  }
  await addLoginClients(add, extraRedirectUris)
  return { metadata, clients }
}

/**
 * The clients that sign users in (the authorization code family), beside the token-endpoint ones above. Each may
 * also use every grant in GRANT_TYPES. `extraRedirectUris` are registered for every one of them.
 */
async function addLoginClients(
  add: (client: DemoClient, extra: Record<string, unknown>) => void,
  extraRedirectUris: readonly string[],
): Promise<void> {
  const login = (
    client: Omit<DemoClient, 'redirectUris' | 'postLogoutRedirectUris' | 'metadata'>,
    extra: Record<string, unknown> = {},
    redirectUris: string[] = [REDIRECT_URI],
  ) => {
    const responseTypes = client.responseTypes ?? ['code']
    const implicit = responseTypes.some((type) => type.includes('id_token') || type.includes('token'))
    const metadata = {
      grant_types: ['authorization_code', ...(implicit ? ['implicit'] : []), ...GRANT_TYPES],
      response_types: responseTypes,
      redirect_uris: [...redirectUris, ...extraRedirectUris],
      post_logout_redirect_uris: [POST_LOGOUT_REDIRECT_URI],
      ...extra,
    }
    add(
      {
        ...client,
        responseTypes,
        redirectUris: metadata.redirect_uris,
        postLogoutRedirectUris: metadata.post_logout_redirect_uris,
        metadata: {
          client_id: client.clientId,
          token_endpoint_auth_method: client.tokenEndpointAuthMethod,
          ...metadata,
        },
      },
      metadata,
    )
  }

  // Confidential web application: code flow, client_secret_basic.
  login({ clientId: 'web', tokenEndpointAuthMethod: 'client_secret_basic', clientSecret: secret() })
  // Public clients: PKCE (S256) is required of them.
  login({ clientId: 'spa', tokenEndpointAuthMethod: 'none' })
  login({ clientId: 'native', tokenEndpointAuthMethod: 'none' }, { application_type: 'native' }, [
    LOOPBACK_REDIRECT_URI,
  ])
  // Public client whose access tokens must be DPoP-bound (RFC 9449 §5.2).
  login({ clientId: 'dpop', tokenEndpointAuthMethod: 'none' }, { dpop_bound_access_tokens: true })
  // Hybrid and implicit (OIDC Core §3.3, §3.2).
  login({
    clientId: 'hybrid',
    tokenEndpointAuthMethod: 'client_secret_basic',
    clientSecret: secret(),
    responseTypes: ['code id_token', 'code'],
  })
  login({ clientId: 'implicit', tokenEndpointAuthMethod: 'none', responseTypes: ['id_token'] })
  // JARM: signed authorization responses (response_mode=jwt, query.jwt, fragment.jwt, form_post.jwt).
  login(
    { clientId: 'jarm', tokenEndpointAuthMethod: 'client_secret_basic', clientSecret: secret() },
    { authorization_signed_response_alg: 'ES256' },
  )
  // JAR: request objects must be signed (RFC 9101 §10.5) with the client's key, which also authenticates it.
  const jarKey = await clientKey('ES256')
  login(
    {
      clientId: 'jar',
      tokenEndpointAuthMethod: 'private_key_jwt',
      privateKey: jarKey,
      requestObjectKey: jarKey,
    },
    {
      jwks: { keys: [jarKey.publicJwk] },
      request_object_signing_alg: 'ES256',
      require_signed_request_object: true,
    },
  )
  // Encrypted (and signed) ID Tokens, userinfo responses and JARM responses.
  const decryptionKey = await encryptionKey()
  login(
    {
      clientId: 'encrypted',
      tokenEndpointAuthMethod: 'client_secret_basic',
      clientSecret: secret(),
      responseTypes: ['code', 'code id_token'],
      decryptionKey,
    },
    {
      jwks: { keys: [decryptionKey.publicJwk] },
      id_token_signed_response_alg: 'RS256',
      id_token_encrypted_response_alg: decryptionKey.alg,
      id_token_encrypted_response_enc: decryptionKey.enc,
      userinfo_signed_response_alg: 'RS256',
      userinfo_encrypted_response_alg: decryptionKey.alg,
      userinfo_encrypted_response_enc: decryptionKey.enc,
      authorization_signed_response_alg: 'RS256',
      authorization_encrypted_response_alg: decryptionKey.alg,
      authorization_encrypted_response_enc: decryptionKey.enc,
    },
  )
  // Signed (not encrypted) userinfo responses.
  login(
    { clientId: 'userinfo-jwt', tokenEndpointAuthMethod: 'client_secret_basic', clientSecret: secret() },
    { userinfo_signed_response_alg: 'ES256' },
  )
}

async function encryptionKey(): Promise<DecryptionKey> {
  const { privateKey, publicKey } = await generateKeyPair('ECDH-ES', { crv: 'P-256', extractable: false })
  const publicJwk = await exportJWK(publicKey)
  const kid = await calculateJwkThumbprint(publicJwk)
  return {
    key: privateKey,
    kid,
    alg: 'ECDH-ES',
    enc: 'A256GCM',
    publicJwk: { ...publicJwk, kid, alg: 'ECDH-ES', use: 'enc' },
  }
}

function secret(): string {
  return randomBytes(32).toString('base64url')
}

async function clientKey(alg: ClientKey['alg']): Promise<ClientKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: false })
  const publicJwk = await exportJWK(publicKey)
  const kid = await calculateJwkThumbprint(publicJwk)
  return { key: privateKey, kid, alg, publicJwk: { ...publicJwk, kid, alg, use: 'sig' } }
}
