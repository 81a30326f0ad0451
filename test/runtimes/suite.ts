// The portable suite (issue 14 item 2): grantline's public API only, run unchanged on every runtime of
// `npm run test:runtimes`. It gets the package as that runtime resolves `grantline` (the entry files in this
// folder import it and pass it in), and a description of the servers the runner started on 127.0.0.1: the
// embedded authorization server (oidc-provider), a second one that requires DPoP nonces, an HTTPS one with
// client certificates (runtimes with grantline/node only), and a scripted server whose answers are fixed per
// scenario. Web platform APIs only: this file runs in browsers and workerd too.
import type * as Grantline from '../../src/index.js'

type Client = typeof Grantline

/** A private JWK a runtime imports with WebCrypto, and the client registered with its public half. */
export interface KeyClient {
  clientId: string
  alg: 'ES256' | 'RS256' | 'Ed25519'
  kid: string
  jwk: JsonWebKey
}

/** What the runner hands every runtime (JSON). */
export interface SuiteEnv {
  runtime: string
  plain: {
    metadata: Record<string, unknown> & { issuer: string }
    secrets: { basic: string; post: string; 'jwt-secret': string }
    keyClients: KeyClient[]
    /** Access tokens the server accepts as `subject_token`, one per exchange. */
    subjectTokens: string[]
  }
  nonce: { metadata: Record<string, unknown> & { issuer: string }; secret: string }
  mtls?: {
    metadata: Record<string, unknown> & { issuer: string }
    /** self_signed_tls_client_auth and tls_client_auth clients, each with its certificate and key (PEM). */
    clients: { clientId: string; method: string; cert: string; key: string }[]
    ca: string
  }
  /** `http://127.0.0.1:<port>/r/<runtime>`: the scripted server's issuer for this runtime. */
  scripted: string
}

/** What a runtime adds when it has it: grantline/node's client certificates. */
export interface SuiteExtras {
  useClientCertificate?: (
    config: Grantline.Configuration,
    options: { cert: string; key: string; ca: string },
  ) => void
}

export interface CaseResult {
  name: string
  ok: boolean
  error?: string
}

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange'
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token'

class Failure extends Error {}
function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Failure(message)
}

/** Runs `fn` and expects it to reject; returns what it rejected with. */
async function rejection(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn()
  } catch (err) {
    return err
  }
  throw new Failure('expected a rejection, got a result')
}

function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code
    const cause = err.cause instanceof Error ? ` (cause: ${err.cause.message})` : ''
    return `${err.name}${typeof code === 'string' ? ` ${code}` : ''}: ${err.message}${cause}`
  }
  return String(err)
}

const IMPORT_PARAMS = {
  ES256: { name: 'ECDSA', namedCurve: 'P-256' },
  RS256: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
  Ed25519: { name: 'Ed25519' },
} as const

export async function runSuite(
  client: Client,
  env: SuiteEnv,
  extras: SuiteExtras = {},
): Promise<CaseResult[]> {
  const results: CaseResult[] = []
  const test = async (name: string, fn: () => Promise<void>) => {
    try {
      await fn()
      results.push({ name, ok: true })
    } catch (err) {
      results.push({ name, ok: false, error: describeError(err) })
    }
  }

  const plainConfig = (
    clientId: string,
    auth: Grantline.ClientAuth,
    metadata: Partial<Grantline.ClientMetadata> = {},
  ) => {
    const config = new client.Configuration(
      env.plain.metadata as Grantline.ServerMetadata,
      clientId,
      metadata,
      auth,
    )
    client.allowInsecureRequests(config)
    return config
  }
  const subjectTokens = [...env.plain.subjectTokens]
  const subjectToken = () => {
    const token = subjectTokens.shift()
    check(token, 'the runner minted too few subject tokens')
    return token
  }
  const keys = new Map<string, CryptoKey>()
  for (const k of env.plain.keyClients) {
    keys.set(k.clientId, await crypto.subtle.importKey('jwk', k.jwk, IMPORT_PARAMS[k.alg], false, ['sign']))
  }
  const keyClient = (alg: KeyClient['alg']) => {
    const k = env.plain.keyClients.find((c) => c.alg === alg)!
    return { clientId: k.clientId, key: { key: keys.get(k.clientId)!, kid: k.kid } }
  }

  await test('discovery (embedded server)', async () => {
    const config = await client.discovery(
      new URL(env.plain.metadata.issuer),
      'basic',
      env.plain.secrets.basic,
      client.ClientSecretBasic(env.plain.secrets.basic),
      { execute: [client.allowInsecureRequests] },
    )
    const metadata = config.serverMetadata()
    check(metadata.issuer === env.plain.metadata.issuer, `issuer ${metadata.issuer}`)
    check(metadata.token_endpoint === env.plain.metadata['token_endpoint'], 'token_endpoint')
    const tokens = await client.clientCredentialsGrant(config, { scope: 'api:read' })
    check(typeof tokens.access_token === 'string' && tokens.access_token.length > 0, 'access_token')
  })

  const methods: [string, () => Grantline.Configuration][] = [
    ['client_secret_basic', () => plainConfig('basic', client.ClientSecretBasic(env.plain.secrets.basic))],
    ['client_secret_post', () => plainConfig('post', client.ClientSecretPost(env.plain.secrets.post))],
    [
      'client_secret_jwt',
      () => plainConfig('jwt-secret', client.ClientSecretJwt(env.plain.secrets['jwt-secret'])),
    ],
    ['none', () => plainConfig('public', client.None())],
    ...(['ES256', 'RS256', 'Ed25519'] as const).map(
      (alg) =>
        [
          `private_key_jwt (${alg})`,
          () => {
            const k = keyClient(alg)
            return plainConfig(k.clientId, client.PrivateKeyJwt(k.key))
          },
        ] as [string, () => Grantline.Configuration],
    ),
  ]
  for (const [method, configFor] of methods) {
    await test(`client credentials, ${method}`, async () => {
      const tokens = await client.clientCredentialsGrant(configFor(), { scope: 'api:read' })
      check(tokens.token_type.toLowerCase() === 'bearer', `token_type ${tokens.token_type}`)
      check(typeof tokens.expiresIn() === 'number', 'expiresIn()')
    })
  }

  await test('token exchange (genericGrantRequest, client_secret_basic)', async () => {
    const config = plainConfig('basic', client.ClientSecretBasic(env.plain.secrets.basic))
    const tokens = await client.genericGrantRequest(config, TOKEN_EXCHANGE, {
      subject_token: subjectToken(),
      subject_token_type: ACCESS_TOKEN_TYPE,
      scope: 'api:read',
      audience: ['https://api-a.grantline.test', 'https://api-b.grantline.test'],
    })
    check(
      tokens['issued_token_type'] === ACCESS_TOKEN_TYPE,
      `issued_token_type ${String(tokens['issued_token_type'])}`,
    )
  })

  await test('token exchange (tokenExchangeGrant, private_key_jwt ES256) for an ID Token (token_type N_A)', async () => {
    const k = keyClient('ES256')
    const config = plainConfig(k.clientId, client.PrivateKeyJwt(k.key))
    const tokens = await client.tokenExchangeGrant(config, {
      subject_token: subjectToken(),
      subject_token_type: client.TokenType.AccessToken,
      requested_token_type: client.TokenType.IdToken,
    })
    check(
      tokens.issued_token_type === client.TokenType.IdToken,
      `issued_token_type ${tokens.issued_token_type}`,
    )
    check(tokens.token_type.toLowerCase() === 'n_a', `token_type ${tokens.token_type}`)
  })

  await test('JWT bearer (jwtBearerGrant signs the assertion with a private key)', async () => {
    const k = keyClient('ES256')
    const config = plainConfig(k.clientId, client.PrivateKeyJwt(k.key))
    const tokens = await client.jwtBearerGrant(config, {
      privateKey: k.key,
      claims: { iss: k.clientId, sub: 'alice', aud: env.plain.metadata.issuer },
    })
    check(typeof tokens.access_token === 'string', 'access_token')
  })

  await test('DPoP with the nonce retry (server requires nonces)', async () => {
    const config = new client.Configuration(
      env.nonce.metadata as Grantline.ServerMetadata,
      'basic',
      {},
      client.ClientSecretBasic(env.nonce.secret),
    )
    client.allowInsecureRequests(config)
    const DPoP = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'))
    const first = await client.clientCredentialsGrant(config, { scope: 'api:read' }, { DPoP })
    check(first.token_type.toLowerCase() === 'dpop', `token_type ${first.token_type}`)
    // The nonce is cached now: the second grant needs no retry and still succeeds.
    const second = await client.clientCredentialsGrant(config, { scope: 'api:read' }, { DPoP })
    check(second.access_token !== first.access_token, 'a fresh token')
  })

  await test('the OAuth error of the server is a ResponseBodyError without the secret (client_secret_post)', async () => {
    const wrong = `not-the-secret-${env.plain.secrets.post}`
    const config = plainConfig('post', client.ClientSecretPost(wrong))
    const err = await rejection(() => client.clientCredentialsGrant(config, { scope: 'api:read' }))
    check(err instanceof client.ResponseBodyError, describeError(err))
    check(err.error === 'invalid_client', `error ${err.error}`)
    check(!JSON.stringify(err).includes(wrong), 'secret in JSON.stringify(err)')
    check(!String(err).includes(wrong), 'secret in String(err)')
  })

  await test('token manager: one grant for concurrent callers, cached afterwards', async () => {
    const manager = client.createTokenManager()
    try {
      const config = plainConfig('post', client.ClientSecretPost(env.plain.secrets.post))
      const [a, b] = await Promise.all([
        manager.get(config, 'client_credentials', { scope: 'api:read' }),
        manager.get(config, 'client_credentials', { scope: 'api:read' }),
      ])
      check(a.access_token === b.access_token, 'concurrent callers share one token')
      const c = await manager.get(config, 'client_credentials', { scope: 'api:read' })
      check(c.access_token === a.access_token, 'the cached token')
    } finally {
      await manager.close()
    }
  })

  // The scripted server: answers fixed per scenario (test/runtimes/servers.ts).
  const scripted = () => {
    const config = new client.Configuration(
      {
        issuer: env.scripted,
        token_endpoint: `${env.scripted}/token`,
        jwks_uri: `${env.scripted}/jwks`,
      },
      'scripted-client',
      { id_token_signed_response_alg: 'ES256' },
      client.ClientSecretPost('scripted-secret'),
    )
    client.allowInsecureRequests(config)
    return config
  }
  const scenario = (config: Grantline.Configuration, name: string, options?: Grantline.DPoPOptions) =>
    client.genericGrantRequest(config, 'urn:grantline:test:scripted', { scenario: name }, options)

  await test('scripted: ID Token signature (JWKS) and claims validated', async () => {
    const config = scripted()
    client.enableNonRepudiationChecks(config)
    const tokens = await scenario(config, 'id_token')
    const claims = tokens.claims()
    check(claims?.sub === 'alice' && claims.aud === 'scripted-client', 'claims()')
  })

  await test('scripted: an ID Token for another audience is refused', async () => {
    const err = await rejection(() => scenario(scripted(), 'id_token_wrong_aud'))
    check(
      err instanceof client.ClientError && err.code === 'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
      describeError(err),
    )
  })

  await test('scripted: an ID Token with a bad signature is refused', async () => {
    const config = scripted()
    client.enableNonRepudiationChecks(config)
    const err = await rejection(() => scenario(config, 'id_token_bad_signature'))
    check(err instanceof client.ClientError, describeError(err))
  })

  await test('scripted: DPoP nonce retry (use_dpop_nonce, DPoP-Nonce read across origins)', async () => {
    const config = scripted()
    const DPoP = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'))
    const tokens = await scenario(config, 'dpop_nonce', { DPoP })
    check(tokens.token_type.toLowerCase() === 'dpop', `token_type ${tokens.token_type}`)
    check(tokens['attempts'] === 2, `attempts ${String(tokens['attempts'])}`)
  })

  await test('scripted: a WWW-Authenticate challenge is a WWWAuthenticateChallengeError', async () => {
    const err = await rejection(() => scenario(scripted(), 'challenge'))
    check(err instanceof client.WWWAuthenticateChallengeError, describeError(err))
    check(err.cause[0]?.scheme === 'bearer', 'scheme')
  })

  await test('scripted: a non-JSON body is a ClientError', async () => {
    const err = await rejection(() => scenario(scripted(), 'not_json'))
    check(err instanceof client.ClientError, describeError(err))
  })

  if (env.mtls) {
    const mtls = env.mtls
    for (const mtlsClient of mtls.clients) {
      await test(`mTLS: ${mtlsClient.method}, certificate-bound token (grantline/node)`, async () => {
        check(extras.useClientCertificate, 'grantline/node is not loaded')
        const config = new client.Configuration(
          mtls.metadata as Grantline.ServerMetadata,
          mtlsClient.clientId,
          { use_mtls_endpoint_aliases: true },
          client.TlsClientAuth(),
        )
        extras.useClientCertificate(config, { cert: mtlsClient.cert, key: mtlsClient.key, ca: mtls.ca })
        const tokens = await client.clientCredentialsGrant(config, { scope: 'api:read' })
        check(typeof tokens.access_token === 'string', 'access_token')
      })
    }
  }

  return results
}
