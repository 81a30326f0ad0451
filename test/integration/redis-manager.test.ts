// The token manager on grantline/redis, against oidc-provider and a real redis-server: what the manager leaves in
// Redis (nothing in clear), a tampered entry (a miss, a store_error, removed), and the plaintext opt-out.

import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient } from 'redis'
import {
  TokenType,
  createTokenManager,
  type Configuration,
  type TokenManagerEvents,
} from '../../src/index.js'
import { redisTokenStore, STORE_ENTRY_REJECTED } from '../../src/redis/index.js'
import { configFor, startAuthorizationServer, type AuthorizationServer } from '../support/provider.js'
import { startRedisServer, type RedisServer } from '../support/redis-server.js'

const newClient = (url: string) => createClient({ url, disableOfflineQueue: true })
type Client = ReturnType<typeof newClient>

const KEY = randomBytes(32)
let redis: RedisServer
let server: AuthorizationServer
let client: Client
let post: Configuration
let seq = 0
const managers: { close(): Promise<void> }[] = []

beforeAll(async () => {
  ;[redis, server] = await Promise.all([startRedisServer(), startAuthorizationServer()])
  client = newClient(redis.url)
  client.on('error', () => {})
  await client.connect()
  post = configFor(server, 'post')
})

afterAll(async () => {
  for (const m of managers) await m.close()
  if (client?.isOpen) await client.close()
  await server?.close()
  await redis?.close()
})

/**
 * A manager on its own store over the shared client, as one instance of a fleet would have. The store deadline is
 * 5 s, not the default 250 ms, unless a test is about that deadline: one slow Redis call on a loaded machine would
 * otherwise skip a write the test then looks for.
 */
function instance(
  prefix: string,
  encryption: { keys: { id: string; key: Uint8Array }[] } | false,
  storeTimeoutMs = 5_000,
) {
  const manager = createTokenManager({
    store: redisTokenStore(client, { prefix, encryption }),
    storeTimeoutMs,
  })
  managers.push(manager)
  const storeErrors: TokenManagerEvents['store_error'][] = []
  manager.on('store_error', (e) => storeErrors.push(e))
  return { manager, storeErrors }
}

async function dump(prefix: string): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  for await (const keys of client.scanIterator({ MATCH: `${prefix}*` })) {
    for (const key of keys) out.set(key, (await client.get(key)) ?? '')
  }
  return out
}

const tokenRequests = () =>
  server.requests.filter(
    (r) => r.method === 'POST' && r.path === new URL(server.metadata.token_endpoint).pathname,
  ).length

describe('the token manager on Redis', () => {
  it('leaves no token, secret or claim in clear in Redis, in keys or values', async () => {
    const prefix = `m${++seq}:`
    const { manager } = instance(prefix, { keys: [{ id: 'k1', key: KEY }] })
    const subject = await server.issueAccessToken('post', {
      scope: 'openid offline_access',
      accountId: 'alice',
    })
    const cc = await manager.get(post, 'client_credentials', { scope: 'api:read' })
    const exchanged = await manager.get(post, 'urn:ietf:params:oauth:grant-type:token-exchange', {
      subject_token: subject,
      subject_token_type: TokenType.AccessToken,
      scope: 'openid offline_access',
    })
    expect(exchanged.refresh_token).toEqual(expect.any(String))
    const session = await manager.get(post, 'refresh_token', { refresh_token: exchanged.refresh_token! })

    const entries = await dump(prefix)
    expect(entries.size).toBeGreaterThanOrEqual(3)
    for (const key of entries.keys()) expect(key).toMatch(new RegExp(`^${prefix}[A-Za-z0-9_-]{43}$`))
    const everything = [...entries].flat().join('\n')
    const secrets = [
      cc.access_token,
      exchanged.access_token,
      exchanged.refresh_token!,
      session.access_token,
      session.refresh_token!,
      ...[exchanged.id_token, session.id_token].filter((t) => t !== undefined),
      subject,
      server.clients['post']!.clientSecret!,
      KEY.toString('base64url'),
      'alice',
      'api:read',
      'offline_access',
    ]
    for (const secret of secrets) expect(everything).not.toContain(secret)
    for (const value of entries.values())
      expect(Object.keys(JSON.parse(value)).sort()).toEqual(['ct', 'iv', 'kid', 'v'])

    // And what is sealed there is what another instance serves.
    const other = instance(prefix, { keys: [{ id: 'k1', key: KEY }] })
    server.requests.length = 0
    expect((await other.manager.get(post, 'client_credentials', { scope: 'api:read' })).access_token).toBe(
      cc.access_token,
    )
    expect(tokenRequests()).toBe(0)
  })

  it('a tampered entry is a miss and a store_error, never served, and it is removed', async () => {
    const prefix = `m${++seq}:`
    const keys = { keys: [{ id: 'k1', key: KEY }] }
    const first = instance(prefix, keys)
    const original = await first.manager.get(post, 'client_credentials', { scope: 'api:write' })
    const [[redisKey, sealed]] = [...(await dump(prefix))]
    const envelope = JSON.parse(sealed!)
    const ct = Buffer.from(envelope.ct, 'base64url')
    ct[5]! ^= 0x80
    await client.set(redisKey!, JSON.stringify({ ...envelope, ct: ct.toString('base64url') }))

    server.requests.length = 0
    const second = instance(prefix, keys)
    const served = await second.manager.get(post, 'client_credentials', { scope: 'api:write' })
    expect(served.access_token).not.toBe(original.access_token)
    expect(tokenRequests()).toBe(1)
    expect(second.storeErrors).toEqual([
      expect.objectContaining({
        operation: 'get',
        timedOut: false,
        error: expect.objectContaining({ name: 'ClientError', code: STORE_ENTRY_REJECTED }),
      }),
    ])
    expect(await client.get(redisKey!)).not.toBe(
      JSON.stringify({ ...envelope, ct: ct.toString('base64url') }),
    )

    // The fleet shares again: one instance fetches and stores, the next one reads it.
    const third = instance(prefix, keys)
    const stored = await third.manager.get(post, 'client_credentials', { scope: 'api:write' })
    const fourth = instance(prefix, keys)
    server.requests.length = 0
    expect((await fourth.manager.get(post, 'client_credentials', { scope: 'api:write' })).access_token).toBe(
      stored.access_token,
    )
    expect(tokenRequests()).toBe(0)
    expect(third.storeErrors).toEqual([])
    expect(fourth.storeErrors).toEqual([])
  })

  it('encryption: false keeps the token readable to anyone with access to Redis (the opt-out, shown)', async () => {
    const prefix = `m${++seq}:`
    const { manager } = instance(prefix, false)
    const tokens = await manager.get(post, 'client_credentials', { scope: 'api:read api:write' })
    expect([...(await dump(prefix)).values()].join('')).toContain(tokens.access_token)
  })

  it('a Redis that does not answer costs sharing, never a call: the store deadline, store_error, this process alone', async () => {
    const prefix = `m${++seq}:`
    const { manager, storeErrors } = instance(prefix, { keys: [{ id: 'k1', key: KEY }] }, 250)
    const cached = await manager.get(post, 'client_credentials', { scope: 'api:read' })
    redis.pause()
    try {
      server.requests.length = 0
      const [again, ...fresh] = await Promise.all([
        manager.get(post, 'client_credentials', { scope: 'api:read' }),
        ...Array.from({ length: 20 }, () => manager.get(post, 'client_credentials', { scope: 'api:write' })),
      ])
      expect(again!.access_token).toBe(cached.access_token) // from memory, no store call needed
      expect(new Set(fresh.map((t) => t.access_token)).size).toBe(1) // its callers still share one request
      expect(tokenRequests()).toBe(1)
      expect(storeErrors).toEqual([expect.objectContaining({ operation: 'get', timedOut: true })])
    } finally {
      redis.resume()
    }
  })

  it('closing the manager and the store leaves the application’s client open', async () => {
    const store = redisTokenStore(client, {
      prefix: `m${++seq}:`,
      encryption: { keys: [{ id: 'k1', key: KEY }] },
    })
    const manager = createTokenManager({ store })
    await manager.get(post, 'client_credentials', { scope: 'api:read' })
    await manager.close()
    await store.close!()
    expect(client.isOpen).toBe(true)
    expect(await client.ping()).toBe('PONG')
  })
})
