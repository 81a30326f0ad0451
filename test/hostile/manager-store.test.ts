// The token manager with a store, in one process (memoryTokenStore and failing stores): one request per key
// across managers, the lock's lease and takeover, store failures and timeouts degrading to per-process
// behaviour, unreadable entries as misses; and refresh-token sessions: rotation announced and kept, the old
// refresh token kept when none comes back, the store re-read after invalid_grant.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  ResponseBodyError,
  memoryTokenStore,
  type Configuration,
  type StoredToken,
  type TokenStore,
} from '../../src/index.js'
import { cacheKeyOf, configPrefix } from '../../src/manager/key.js'
import {
  configurationFor,
  json,
  sleep,
  startScriptedServer,
  type RecordedRequest,
  type ScriptedServer,
} from '../support/scripted-server.js'
import { rejection } from './support.js'
import { collect, managerPool } from '../support/managers.js'

const CC = 'client_credentials'

let server: ScriptedServer
let config: Configuration
let issued = 0
function issue(_req: IncomingMessage, res: ServerResponse) {
  issued++
  return sleep(30).then(() =>
    json(res, 200, { access_token: `at-${issued}`, token_type: 'Bearer', expires_in: 3600 }),
  )
}
const tokenRequests = () => server.requests.filter((r) => r.url === '/token')
const managers = managerPool({ retry: false })
const manager = managers.create

beforeAll(async () => {
  server = await startScriptedServer(issue)
  config = configurationFor(server)
})
afterEach(async () => {
  await managers.closeAll()
  server.script(issue)
  server.requests.length = 0
  issued = 0
})
afterAll(() => server.close())

describe('a shared store', () => {
  it('three managers, 30 concurrent callers each: one token request', async () => {
    const store = memoryTokenStore()
    const fleet = [manager({ store }), manager({ store }), manager({ store })]
    const waited = fleet.flatMap((m) => [collect(m, 'lock_waited'), collect(m, 'lock_acquired')])
    const all = await Promise.all(fleet.flatMap((m) => Array.from({ length: 30 }, () => m.get(config, CC))))
    expect(new Set(all.map((t) => t.access_token))).toEqual(new Set(['at-1']))
    expect(tokenRequests()).toHaveLength(1)
    expect(waited.flat().length).toBeGreaterThanOrEqual(2)
    // A newcomer reads the token from the store: no request.
    const late = manager({ store })
    const done = collect(late, 'refresh_done')
    const hits = collect(late, 'cache_hit')
    expect((await late.get(config, CC)).access_token).toBe('at-1')
    expect(done[0]!.source).toBe('store')
    expect(hits.map((e) => e.source)).toEqual(['store'])
    expect(tokenRequests()).toHaveLength(1)
  })

  it('a lock holder that never finishes: the others take over after the lease', async () => {
    const store = memoryTokenStore()
    const key = cacheKeyOf(configPrefix(config), CC, undefined, undefined, undefined)
    expect(await store.acquire(key, 300)).toBeDefined() // a process that died holding the lock
    const m = manager({ store, lockLeaseMs: 300 })
    const waited = collect(m, 'lock_waited')
    const tokens = await Promise.all(Array.from({ length: 10 }, () => m.get(config, CC)))
    expect(new Set(tokens.map((t) => t.access_token))).toEqual(new Set(['at-1']))
    expect(waited.map((e) => e.outcome)).toEqual(['takeover'])
    expect(waited[0]!.durationMs).toBeGreaterThanOrEqual(290)
    expect(tokenRequests()).toHaveLength(1)
  })

  it('a lock holder whose request fails: the waiters try at once, without waiting out the lease', async () => {
    const store = memoryTokenStore()
    let n = 0
    server.script((req, res) => {
      if (++n === 1) return sleep(100).then(() => json(res, 400, { error: 'invalid_scope' }))
      return issue(req, res)
    })
    const a = manager({ store, lockLeaseMs: 20_000 })
    const b = manager({ store, lockLeaseMs: 20_000 })
    const waited = collect(b, 'lock_waited')
    const failing = rejection(a.get(config, CC))
    while (tokenRequests().length === 0) await sleep(5)
    const token = await b.get(config, CC)
    expect(((await failing) as ResponseBodyError).error).toBe('invalid_scope')
    expect(token.access_token).toBe('at-1')
    expect(waited.map((e) => e.outcome)).toEqual(['takeover'])
    expect(waited[0]!.durationMs).toBeLessThan(10_000)
    expect(tokenRequests()).toHaveLength(2)
  })

  it('invalidate() removes the token from the store too', async () => {
    const store = memoryTokenStore()
    const a = manager({ store })
    const token = await a.get(config, CC)
    await a.invalidate(token)
    const b = manager({ store })
    expect((await b.get(config, CC)).access_token).toBe('at-2')
  })
})

function failingStore(mode: 'throw' | 'hang'): TokenStore & { calls: number } {
  const fail = () => {
    store.calls++
    return mode === 'throw' ? Promise.reject(new Error('ECONNREFUSED redis')) : new Promise<never>(() => {})
  }
  const store = { calls: 0, get: fail, set: fail, delete: fail, acquire: fail }
  return store
}

describe('a failing store never fails a call', () => {
  it.each(['throw', 'hang'] as const)('a store that %ss: store_error, then per-process', async (mode) => {
    const store = failingStore(mode)
    const m = manager({ store, storeTimeoutMs: 50 })
    const errors = collect(m, 'store_error')
    const tokens = await Promise.all(Array.from({ length: 10 }, () => m.get(config, CC)))
    expect(new Set(tokens.map((t) => t.access_token))).toEqual(new Set(['at-1']))
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ operation: 'get', timedOut: mode === 'hang' })
    if (mode === 'throw') expect(errors[0]!.error).toEqual({ name: 'Error' })
    // Paused: the next miss does not wait for the store again.
    await m.get(config, CC, { scope: 'other' })
    expect(store.calls).toBe(1)
    expect(tokenRequests()).toHaveLength(2)
  })

  it("a store's refusal of one entry (OAUTH_STORE_ENTRY_REJECTED) is a miss and an event; the store stays in use", async () => {
    const shared = memoryTokenStore()
    let refusals = 1
    const refusing: TokenStore = {
      ...shared,
      get: (key) =>
        refusals-- > 0
          ? Promise.reject(Object.assign(new Error('entry rejected'), { code: 'OAUTH_STORE_ENTRY_REJECTED' }))
          : shared.get(key),
    }
    const m = manager({ store: refusing })
    const errors = collect(m, 'store_error')
    expect((await m.get(config, CC)).access_token).toBe('at-1')
    expect(errors.map((e) => e.error?.code)).toEqual(['OAUTH_STORE_ENTRY_REJECTED'])
    // Not paused: the token went to the store, and another manager reads it from there.
    expect((await manager({ store: shared }).get(config, CC)).access_token).toBe('at-1')
    expect(tokenRequests()).toHaveLength(1)
  })

  it('an unreadable or foreign entry is a miss', async () => {
    const store = memoryTokenStore()
    const key = cacheKeyOf(configPrefix(config), CC, undefined, undefined, undefined)
    const bad: unknown[] = [
      { response: 'x', obtainedAt: 0, expiresAt: 1e15 },
      {
        response: { access_token: 'stolen', token_type: 'DPoP' },
        obtainedAt: Date.now(),
        expiresAt: 1e15,
        jkt: 'other-key',
      },
      { response: { access_token: 'weird', token_type: 'bearer' }, obtainedAt: 'yesterday', expiresAt: 1e15 },
    ]
    for (const value of bad) {
      await store.set(key, value as StoredToken, 60_000)
      const m = manager({ store })
      const token = await m.get(config, CC)
      expect(token.access_token).toMatch(/^at-\d$/)
    }
    expect(tokenRequests()).toHaveLength(3)
  })
})

describe('refresh-token sessions', () => {
  let current = 'rt-0'
  let rotate = true
  let generation = 0
  function refresh(_req: IncomingMessage, res: ServerResponse, recorded: RecordedRequest) {
    const presented = new URLSearchParams(recorded.body).get('refresh_token')
    if (presented !== current) return json(res, 400, { error: 'invalid_grant' })
    generation++
    const body: Record<string, unknown> = {
      access_token: `at-${generation}`,
      token_type: 'Bearer',
      expires_in: 3600,
    }
    if (rotate) body['refresh_token'] = current = `rt-${generation}`
    return json(res, 200, body)
  }
  const presented = () => tokenRequests().map((r) => new URLSearchParams(r.body).get('refresh_token'))
  afterEach(() => {
    current = 'rt-0'
    rotate = true
    generation = 0
  })

  it('keeps the rotated refresh token under the session identity, and announces it', async () => {
    server.script(refresh)
    const m = manager()
    const announced: string[] = []
    const onRefreshToken = (rt: string) => void announced.push(rt)
    const first = await m.get(config, 'refresh_token', { refresh_token: 'rt-0' }, { onRefreshToken })
    expect(first.refresh_token).toBe('rt-1')
    // The caller keeps passing the refresh token it started with: same session, the newest token is used.
    const again = await m.get(config, 'refresh_token', { refresh_token: 'rt-0' }, { onRefreshToken })
    expect(again.access_token).toBe('at-1')
    await m.get(config, 'refresh_token', { refresh_token: 'rt-0' }, { onRefreshToken, forceRefresh: true })
    expect(presented()).toEqual(['rt-0', 'rt-1'])
    expect(announced).toEqual(['rt-1', 'rt-2'])
  })

  it('keeps the old refresh token when the server returns none', async () => {
    server.script(refresh)
    rotate = false
    const m = manager()
    const first = await m.get(config, 'refresh_token', { refresh_token: 'rt-0' })
    expect(first.refresh_token).toBe('rt-0')
    await m.get(config, 'refresh_token', { refresh_token: 'rt-0' }, { forceRefresh: true })
    expect(presented()).toEqual(['rt-0', 'rt-0'])
  })

  it('a rotated refresh token is shared through the store', async () => {
    server.script(refresh)
    const store = memoryTokenStore()
    const a = manager({ store })
    await a.get(config, 'refresh_token', { refresh_token: 'rt-0' })
    await a.get(config, 'refresh_token', { refresh_token: 'rt-0' }, { forceRefresh: true })
    const b = manager({ store })
    expect((await b.get(config, 'refresh_token', { refresh_token: 'rt-0' })).access_token).toBe('at-2')
    await b.get(config, 'refresh_token', { refresh_token: 'rt-0' }, { forceRefresh: true })
    expect(presented()).toEqual(['rt-0', 'rt-1', 'rt-2'])
  })

  it('on invalid_grant, re-reads the store once: another instance rotated it', async () => {
    server.script(refresh)
    const shared = memoryTokenStore()
    const a = manager({ store: shared })
    await a.get(config, 'refresh_token', { refresh_token: 'rt-0' })
    // B's store view misses the first reads (a race with A's write), so B presents a stale refresh token.
    let blind = 2
    const racy: TokenStore = {
      ...shared,
      get: (key) => (blind-- > 0 ? Promise.resolve(undefined) : shared.get(key)),
    }
    const b = manager({ store: racy })
    const token = await b.get(config, 'refresh_token', { refresh_token: 'rt-0' })
    expect(token.access_token).toBe('at-1')
    expect(presented()).toEqual(['rt-0', 'rt-0'])
    // Without a newer one in the store, invalid_grant is the caller's.
    const c = manager()
    const err = await rejection(c.get(config, 'refresh_token', { refresh_token: 'rt-0' }))
    expect((err as ResponseBodyError).error).toBe('invalid_grant')
  })
})
