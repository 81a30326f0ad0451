// A fleet sharing tokens through Redis (issue 11): four instances of a service, each with its own Redis connection,
// store and token manager, each with fifty concurrent callers, ask for the same tokens. The authorization server
// sees one token request per key. Run: npx tsx examples/fleet.ts
//
// It starts the embedded authorization server (demo/server.ts) and a throwaway redis-server (Debian's
// `redis-server` must be installed; `npm test` installs it). In production each instance is its own process or
// host; here they are four managers in one process, which talk to each other only through Redis.

import { randomBytes } from 'node:crypto'
import { createClient } from 'redis'
import { startAuthorizationServer } from '../demo/server.js'
import { ClientSecretPost, Configuration, allowInsecureRequests, createTokenManager } from 'grantline'
import type { ServerMetadata } from 'grantline'
import { redisTokenStore } from 'grantline/redis'
import { startRedisServer } from '../test/support/redis-server.js'

const INSTANCES = 4
const CALLERS = 50
const SCOPES = ['api:read', 'api:write']

const server = await startAuthorizationServer()
const redis = await startRedisServer()
// In production: a key from your secret manager, 32 random bytes as base64url, with an id for rotation.
const tokenKey = randomBytes(32).toString('base64url')

const { clientId, clientSecret } = server.clients['post']!
const config = new Configuration(
  server.metadata as ServerMetadata,
  clientId,
  {},
  ClientSecretPost(clientSecret!),
)
allowInsecureRequests(config) // the embedded server speaks plain HTTP on 127.0.0.1

const instances = await Promise.all(
  Array.from({ length: INSTANCES }, async () => {
    const client = createClient({
      url: redis.url,
      disableOfflineQueue: true, // Redis down: fail at once, the manager carries on in memory
      socket: { connectTimeout: 1000, reconnectStrategy: (retries) => Math.min(50 * (retries + 1), 2000) },
    })
    client.on('error', (err: Error) => console.warn('  redis:', err.message))
    await client.connect()
    const store = redisTokenStore(client, { encryption: { keys: [{ id: '2026-12', key: tokenKey }] } })
    const manager = createTokenManager({ store })
    return { client, store, manager }
  }),
)

const tokenEndpoint = new URL(server.metadata.token_endpoint).pathname
const tokenRequests = () =>
  server.requests.filter((r) => r.method === 'POST' && r.path === tokenEndpoint).length

try {
  server.requests.length = 0
  const calls = instances.flatMap(({ manager }) =>
    SCOPES.flatMap((scope) =>
      Array.from({ length: CALLERS }, () => manager.get(config, 'client_credentials', { scope })),
    ),
  )
  const tokens = await Promise.all(calls)
  console.log(`A fleet of ${INSTANCES} instances on one Redis`)
  console.log(
    `  calls to manager.get       ${calls.length} (${CALLERS} concurrent callers x ${SCOPES.length} scopes each)`,
  )
  console.log(`  distinct access tokens     ${new Set(tokens.map((t) => t.access_token)).size}`)
  console.log(`  token requests the server saw: ${tokenRequests()}`)

  // An API answered 401 to that token, on every instance: each one invalidates it, and the next calls share one
  // new token (the first instance to refresh stores it, the others read it).
  const stale = tokens[0]!
  await Promise.all(instances.map(({ manager }) => manager.invalidate(stale)))
  const after = await Promise.all(
    instances.flatMap(({ manager }) =>
      Array.from({ length: CALLERS }, () => manager.get(config, 'client_credentials', { scope: SCOPES[0]! })),
    ),
  )
  const renewed = new Set(after.map((t) => t.access_token))
  console.log(`  after a 401 and invalidate() on every instance:`)
  console.log(
    `  distinct new tokens        ${renewed.size} (the old one served: ${renewed.has(stale.access_token)})`,
  )
  console.log(`  token requests the server saw: ${tokenRequests()}`)

  // What Redis holds: hashed keys, AES-256-GCM sealed values; no token in clear.
  const [key] = await instances[0]!.client.keys('grantline:*')
  const sealed = JSON.parse((await instances[0]!.client.get(key!))!) as { kid: string; ct: string }
  console.log(
    `  a Redis entry              ${key!.slice(0, 24)}… = { kid: "${sealed.kid}", ct: ${sealed.ct.length} chars }`,
  )
  const everything = await Promise.all(
    (await instances[0]!.client.keys('*')).map((k) => instances[0]!.client.get(k)),
  )
  const leaked = tokens.some((t) => everything.some((v) => v?.includes(t.access_token)))
  console.log(`  any access token in clear in Redis? ${leaked ? 'YES (bug)' : 'no'}`)
  if (leaked || renewed.size !== 1 || tokenRequests() !== SCOPES.length + 1) process.exitCode = 1
} finally {
  for (const { manager, store, client } of instances) {
    await manager.close()
    await store.close?.()
    await client.close()
  }
  await redis.close()
  await server.close()
}
