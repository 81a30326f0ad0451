// One instance of a fleet (test/integration/fleet.once.test.ts, examples/fleet.ts): a process with its own Redis
// connection, a redisTokenStore and a token manager, driven over IPC by its parent. It runs bursts of concurrent
// `manager.get` calls and reports their results and the manager's events (hashed keys, never a secret).
//
// Parent → worker: { type: 'init', ...FleetInit } once, then { type: 'get', ...Burst } or
// { type: 'invalidate', id, token }, then { type: 'close' }.
// Worker → parent: { type: 'loaded' }, { type: 'ready' }, { type: 'event', name, event }, { type: 'redis', state },
// { type: 'result', id, tokens, errors }.

import { createClient } from 'redis'
import {
  ClientSecretBasic,
  ClientSecretJwt,
  ClientSecretPost,
  Configuration,
  allowInsecureRequests,
  createTokenManager,
} from '../../src/node/index.js'
import type { ServerMetadata, TokenManagerEventName } from '../../src/node/index.js'
import { redisTokenStore } from '../../src/redis/index.js'

export interface FleetInit {
  redisUrl: string
  /** `issuer` and `token_endpoint` of the authorization server (or of a proxy in front of it). */
  metadata: { issuer: string; token_endpoint: string }
  /** client_id → its secret and how it authenticates. */
  clients: Record<
    string,
    { secret: string; method: 'client_secret_basic' | 'client_secret_post' | 'client_secret_jwt' }
  >
  /** The store's AES-256-GCM key, base64url. */
  encryptionKey: string
  /** Lock leases of the worker's two managers (one store): `short` for tests that wait for a lease to run out. */
  lockLeaseMs: { long: number; short: number }
  /** The managers' store deadline. */
  storeTimeoutMs: number
}

export interface Burst {
  id: number
  /** How many concurrent `manager.get` calls. */
  callers: number
  clientId: string
  scope: string
  forceRefresh?: boolean
  /** Which manager answers (default `long`). */
  lease?: 'long' | 'short'
}

const FORWARDED: TokenManagerEventName[] = [
  'request',
  'lock_acquired',
  'lock_waited',
  'store_error',
  'refresh_done',
  'refresh_failed',
]

const send = (message: unknown) => process.send?.(message)

let state:
  | {
      managers: Record<'long' | 'short', ReturnType<typeof createTokenManager>>
      configs: Map<string, Configuration>
      close: () => Promise<void>
    }
  | undefined

async function init(options: FleetInit) {
  const client = createClient({
    url: options.redisUrl,
    // The README's recommendation: fail at once while Redis is unreachable, reconnect quickly.
    disableOfflineQueue: true,
    socket: {
      connectTimeout: 1000,
      reconnectStrategy: (retries: number) => Math.min(50 * (retries + 1), 500),
    },
  })
  client.on('error', () => send({ type: 'redis', state: 'error' }))
  client.on('ready', () => send({ type: 'redis', state: 'ready' }))
  await client.connect()
  const store = redisTokenStore(client, {
    encryption: { keys: [{ id: 'fleet', key: options.encryptionKey }] },
  })
  const managers = {
    long: createTokenManager({
      store,
      lockLeaseMs: options.lockLeaseMs.long,
      storeTimeoutMs: options.storeTimeoutMs,
    }),
    short: createTokenManager({
      store,
      lockLeaseMs: options.lockLeaseMs.short,
      storeTimeoutMs: options.storeTimeoutMs,
    }),
  }
  for (const manager of Object.values(managers)) {
    for (const name of FORWARDED) manager.on(name, (event) => send({ type: 'event', name, event }))
  }
  const configs = new Map<string, Configuration>()
  for (const [clientId, { secret, method }] of Object.entries(options.clients)) {
    const auth =
      method === 'client_secret_basic'
        ? ClientSecretBasic(secret)
        : method === 'client_secret_jwt'
          ? ClientSecretJwt(secret)
          : ClientSecretPost(secret)
    const config = new Configuration(options.metadata as ServerMetadata, clientId, {}, auth)
    allowInsecureRequests(config)
    configs.set(clientId, config)
  }
  state = {
    managers,
    configs,
    async close() {
      await managers.long.close()
      await managers.short.close()
      await store.close?.()
      await client.close().catch(() => client.destroy())
    },
  }
  send({ type: 'ready' })
}

async function burst({ id, callers, clientId, scope, forceRefresh, lease = 'long' }: Burst) {
  const { managers, configs } = state!
  const manager = managers[lease]
  const config = configs.get(clientId)!
  const settled = await Promise.allSettled(
    Array.from({ length: callers }, () =>
      manager.get(config, 'client_credentials', { scope }, forceRefresh ? { forceRefresh } : {}),
    ),
  )
  send({
    type: 'result',
    id,
    tokens: settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value.access_token] : [])),
    // The least lifetime left of a token served (seconds): never 0 or less.
    minExpiresIn: Math.min(
      ...settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value.expiresIn() ?? Infinity] : [])),
    ),
    errors: settled.flatMap((s) =>
      s.status === 'rejected' ? [`${(s.reason as Error)?.name}: ${(s.reason as Error)?.message}`] : [],
    ),
  })
}

/** An API answered 401 to `token`: the application invalidates it. */
async function invalidate({ id, token }: { id: number; token: string }) {
  await state!.managers.long.invalidate(token)
  send({ type: 'result', id, tokens: [], errors: [] })
}

process.on('message', (message: { type: string } & Record<string, unknown>) => {
  const fail = (err: unknown) => {
    send({ type: 'fatal', error: err instanceof Error ? err.stack : String(err) })
    process.exit(1)
  }
  if (message.type === 'init') init(message as unknown as FleetInit).catch(fail)
  else if (message.type === 'get') burst(message as unknown as Burst).catch(fail)
  else if (message.type === 'invalidate')
    invalidate(message as unknown as { id: number; token: string }).catch(fail)
  else if (message.type === 'close')
    void (state?.close() ?? Promise.resolve()).then(
      () => process.exit(0),
      () => process.exit(0),
    )
})
// The parent going away ends the fleet.
process.on('disconnect', () => process.exit(0))
// Modules loaded, listener in place: the parent may send `init` (it forks every worker first, then starts the
// servers, so that loading overlaps with them).
send({ type: 'loaded' })
