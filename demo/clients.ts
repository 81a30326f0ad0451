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
}

export interface ClientSet {
  /** Client metadata as oidc-provider registers it. */
  metadata: Record<string, unknown>[]
  clients: Record<string, DemoClient>
}

export async function createClients(mtls: MtlsMaterial | undefined): Promise<ClientSet> {
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
  return { metadata, clients }
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
