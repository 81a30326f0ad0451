// Entry point of the server child process: `node --import tsx bench/server-process.ts <minimal|oidc-provider>
// <public JWK>`. It starts one token endpoint on loopback, reports where it is over IPC, and runs until the
// parent disconnects. Keeping the server out of the client's process is what makes the client CPU figures clean.

import { startMinimalServer } from './minimal-server.js'
import type { Target } from './clients.js'

export const SECRET_CLIENT = { clientId: 'bench', clientSecret: 'bench-client-secret-0123456789abcdef' }
export const JWT_CLIENT_ID = 'bench-pkjwt'

/** The target without the private key: the parent, which made the key, adds it. */
export type ServedTarget = Omit<Target, 'jwtClient'> & { jwtClientId: string }

async function serveMinimal(): Promise<ServedTarget> {
  const { issuer } = await startMinimalServer()
  return {
    name: 'minimal node:http token endpoint',
    issuer,
    tokenEndpoint: `${issuer}/token`,
    secretClient: SECRET_CLIENT,
    jwtClientId: JWT_CLIENT_ID,
    subjectToken: 'bench-subject-token-0123456789abcdef',
  }
}

async function serveProvider(publicJwk: Record<string, unknown>): Promise<ServedTarget> {
  const { startAuthorizationServer } = await import('../demo/server.js')
  const server = await startAuthorizationServer()
  // The bench's own private_key_jwt client: its key is made by the parent process, which signs the assertions,
  // so only the public half comes here. oidc-provider reads clients it does not know statically from its adapter.
  const base = server.clients['basic']
  if (base?.clientSecret === undefined)
    throw new Error('the embedded server has no client_secret_basic client')
  await server.provider.Client.adapter.upsert(JWT_CLIENT_ID, {
    client_id: JWT_CLIENT_ID,
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'ES256',
    grant_types: ['urn:ietf:params:oauth:grant-type:token-exchange'],
    response_types: [],
    redirect_uris: [],
    jwks: { keys: [publicJwk] },
  })
  // The request log would otherwise grow by one entry per request for the whole run.
  setInterval(() => (server.requests.length = 0), 1000).unref()
  return {
    name: 'oidc-provider 9.13.3 (demo/server.ts)',
    issuer: server.issuer,
    tokenEndpoint: server.metadata.token_endpoint,
    secretClient: { clientId: 'basic', clientSecret: base.clientSecret },
    jwtClientId: JWT_CLIENT_ID,
    subjectToken: await server.issueAccessToken('basic', { scope: 'api:read' }),
  }
}

const [kind, jwk] = process.argv.slice(2)
if (kind !== undefined) {
  const served =
    kind === 'minimal'
      ? await serveMinimal()
      : await serveProvider(JSON.parse(jwk ?? '{}') as Record<string, unknown>)
  process.send?.({ served })
  process.on('disconnect', () => process.exit(0))
}
