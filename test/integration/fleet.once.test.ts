// A fleet on Redis (issue 11): several worker processes (test/support/fleet-worker.ts), each with its own Redis
// connection, redisTokenStore and token manager, each with many concurrent callers, against one oidc-provider
// (test/support/provider.ts) and one real redis-server. The provider's own record of requests proves what was sent.
// A small proxy in front of the token endpoint can hold a request forever, to kill its sender mid-refresh.

import { fork, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createServer, request, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startAuthorizationServer, type AuthorizationServer } from '../support/provider.js'
import { startRedisServer, type RedisServer } from '../support/redis-server.js'
import type { Burst, FleetInit } from '../support/fleet-worker.js'

const WORKER = fileURLToPath(new URL('../support/fleet-worker.ts', import.meta.url))
const WORKERS = 4
const CALLERS = 25
// The lease a process waits out before it takes over a dead holder's refresh; the other tests use 20 s, so that a
// slow machine never makes a waiter take over from a holder that is alive. The store deadline is raised for the
// same reason (a store call timing out makes that process fetch on its own, by design).
const LEASE_MS = 2000
const SCOPES = ['api:read', 'api:write', 'api:read api:write']

interface Message {
  type: string
  [name: string]: unknown
}
interface BurstResult {
  tokens: string[]
  errors: string[]
  minExpiresIn: number
}
interface FleetEvent {
  name: string
  event: Record<string, unknown>
}

class Worker {
  readonly events: FleetEvent[] = []
  readonly redis: string[] = []
  readonly exited: Promise<unknown>
  #id = 0
  readonly #results = new Map<number, (result: BurstResult) => void>()
  readonly #listeners = new Set<(message: Message) => void>()

  constructor(readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.once('exit', resolve))
    child.on('message', (message: Message) => {
      if (message.type === 'event')
        this.events.push({ name: String(message.name), event: message.event as never })
      if (message.type === 'redis') this.redis.push(String(message.state))
      if (message.type === 'result') this.#results.get(message.id as number)?.(message as never)
      if (message.type === 'fatal') console.error(`fleet worker ${child.pid}:`, message.error)
      for (const listener of this.#listeners) listener(message)
    })
  }

  /** Resolves with the first message for which `test` holds (including ones already received, for events). */
  next(test: (message: Message) => boolean): Promise<Message> {
    return new Promise((resolve) => {
      const listener = (message: Message) => {
        if (!test(message)) return
        this.#listeners.delete(listener)
        resolve(message)
      }
      this.#listeners.add(listener)
    })
  }

  burst(burst: Omit<Burst, 'id'>): Promise<BurstResult> {
    const id = ++this.#id
    return new Promise((resolve, reject) => {
      this.#results.set(id, resolve)
      this.child.send({ type: 'get', id, ...burst }, (err) => err && reject(err))
    })
  }

  invalidate(token: string): Promise<unknown> {
    const id = ++this.#id
    return new Promise((resolve, reject) => {
      this.#results.set(id, resolve)
      this.child.send({ type: 'invalidate', id, token }, (err) => err && reject(err))
    })
  }

  eventsOf(name: string, since = 0) {
    return this.events.slice(since).filter((e) => e.name === name)
  }

  async close() {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    this.child.send({ type: 'close' })
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000)
    await this.exited
    clearTimeout(timer)
  }
}

/** Forks a worker; it loads its modules while the caller goes on. */
function forkWorker(): { worker: Worker; loaded: Promise<Message> } {
  const child = fork(WORKER, [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const worker = new Worker(child)
  const loaded = worker.next((m) => m.type === 'loaded')
  return { worker, loaded }
}

async function startWorker(
  { worker, loaded }: ReturnType<typeof forkWorker>,
  init: FleetInit,
): Promise<Worker> {
  const exited = worker.exited.then(() => ({ type: 'exit' }))
  if ((await Promise.race([loaded, exited])).type !== 'loaded')
    throw new Error('a fleet worker exited at start')
  const ready = worker.next((m) => m.type === 'ready' || m.type === 'fatal')
  worker.child.send({ type: 'init', ...init })
  const first = await Promise.race([ready, exited])
  if (first.type !== 'ready') throw new Error(`a fleet worker failed to start: ${JSON.stringify(first)}`)
  return worker
}

/**
 * A pass-through proxy to the token endpoint that can hold the next token request without ever answering, and
 * rewrite `expires_in` in token responses (the server's tokens live 10 minutes; a test can't wait that long).
 */
interface Proxy {
  readonly origin: string
  readonly tokenPosts: number
  /** When each token request was forwarded (ms since the epoch). */
  readonly forwarded: number[]
  expiresIn: number | undefined
  holdNext(): Promise<void>
  close(): Promise<void>
}

async function startProxy(target: string, tokenPath: string): Promise<Proxy> {
  let tokenPosts = 0
  let hold: (() => void) | undefined
  const forwarded: number[] = []
  const state = { expiresIn: undefined as number | undefined }
  const held: IncomingMessage[] = []
  const server: Server = createServer((req, res) => {
    const isToken = req.method === 'POST' && req.url === tokenPath
    if (isToken) tokenPosts++
    if (isToken && hold !== undefined) {
      const onHeld = hold
      hold = undefined
      held.push(req)
      req.resume()
      onHeld()
      return
    }
    if (isToken) forwarded.push(Date.now())
    const url = new URL(req.url ?? '/', target)
    const upstream = request(
      url,
      { method: req.method, headers: { ...req.headers, host: url.host } },
      (up) => {
        const expiresIn = state.expiresIn
        if (!isToken || expiresIn === undefined || up.statusCode !== 200) {
          res.writeHead(up.statusCode ?? 502, up.headers)
          up.pipe(res)
          return
        }
        const chunks: Buffer[] = []
        up.on('data', (chunk: Buffer) => chunks.push(chunk))
        up.on('end', () => {
          const body = Buffer.from(
            JSON.stringify({ ...JSON.parse(Buffer.concat(chunks).toString('utf8')), expires_in: expiresIn }),
          )
          const headers = { ...up.headers, 'content-length': String(body.length) }
          delete headers['transfer-encoding']
          res.writeHead(200, headers)
          res.end(body)
        })
      },
    )
    upstream.on('error', () => res.destroy())
    req.pipe(upstream)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get tokenPosts() {
      return tokenPosts
    },
    forwarded,
    get expiresIn() {
      return state.expiresIn
    },
    set expiresIn(value) {
      state.expiresIn = value
    },
    holdNext: () => new Promise<void>((resolve) => (hold = resolve)),
    close: () =>
      new Promise<void>((resolve) => {
        for (const req of held) req.socket.destroy()
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

let redis: RedisServer
let server: AuthorizationServer
let proxy: Proxy
let init: FleetInit
let tokenPath: string
let workers: Worker[] = []

/** What each worker's manager reported since `marks` (event counts by name), for failure messages. */
const summary = (marks: number[]) =>
  JSON.stringify(
    workers.map((w, i) =>
      w.events.slice(marks[i]).reduce<Record<string, number>>((acc, e) => {
        const name =
          e.name === 'lock_waited'
            ? `lock_waited:${String(e.event['outcome'])}`
            : e.name === 'store_error'
              ? `store_error:${String(e.event['operation'])}:${JSON.stringify(e.event['error'] ?? 'timeout')}`
              : e.name
        acc[name] = (acc[name] ?? 0) + 1
        return acc
      }, {}),
    ),
  )

/** Token requests the authorization server itself received since the last `server.requests.length = 0`. */
const tokenRequests = () => server.requests.filter((r) => r.method === 'POST' && r.path === tokenPath).length

beforeAll(async () => {
  const forked = Array.from({ length: WORKERS }, forkWorker)
  workers = forked.map((f) => f.worker) // (closed by afterAll whatever happens next)
  ;[redis, server] = await Promise.all([startRedisServer(), startAuthorizationServer()])
  tokenPath = new URL(server.metadata.token_endpoint).pathname
  proxy = await startProxy(server.issuer, tokenPath)
  init = {
    redisUrl: redis.url,
    metadata: { issuer: server.issuer, token_endpoint: proxy.origin + tokenPath },
    clients: {
      post: { secret: server.clients['post']!.clientSecret!, method: 'client_secret_post' },
      basic: { secret: server.clients['basic']!.clientSecret!, method: 'client_secret_basic' },
      'jwt-secret': { secret: server.clients['jwt-secret']!.clientSecret!, method: 'client_secret_jwt' },
    },
    encryptionKey: randomBytes(32).toString('base64url'),
    lockLeaseMs: { long: 20_000, short: LEASE_MS },
    storeTimeoutMs: 5_000,
  }
  await Promise.all(forked.map((f) => startWorker(f, init)))
}, 60_000)

afterAll(async () => {
  await Promise.all(workers.map((w) => w.close()))
  await proxy?.close()
  await server?.close()
  await redis?.close()
})

describe('a fleet of processes sharing tokens through Redis', () => {
  it('sends exactly one token request per key, whatever the number of processes and callers', async () => {
    server.requests.length = 0
    const marks = workers.map((w) => w.events.length)
    const round = () =>
      Promise.all(
        SCOPES.map(async (scope) => {
          const results = await Promise.all(
            workers.map((w) => w.burst({ callers: CALLERS, clientId: 'post', scope })),
          )
          return { scope, results }
        }),
      )
    const first = await round()
    const tokens = new Map<string, string>()
    for (const { scope, results } of first) {
      for (const { errors, tokens: got } of results) {
        expect(errors).toEqual([])
        expect(got).toHaveLength(CALLERS)
      }
      // Every caller of every process got the one token of its key.
      const distinct = new Set(results.flatMap((r) => r.tokens))
      expect(distinct.size, summary(marks)).toBe(1)
      tokens.set(scope, [...distinct][0]!)
    }
    expect(new Set(tokens.values()).size).toBe(SCOPES.length)
    expect(tokenRequests(), summary(marks)).toBe(SCOPES.length)

    // Again: served from each process's memory, nothing sent.
    const second = await round()
    for (const { scope, results } of second) {
      for (const r of results) expect(new Set(r.tokens)).toEqual(new Set([tokens.get(scope)]))
    }
    expect(tokenRequests()).toBe(SCOPES.length)

    // The token is refused by an API everywhere (a 401 in every process, each invalidates it): the next calls
    // share one new token, fetched once for the fleet.
    const stale = tokens.get(SCOPES[0]!)!
    await Promise.all(workers.map((w) => w.invalidate(stale)))
    const renewed = await Promise.all(
      workers.map((w) => w.burst({ callers: CALLERS, clientId: 'post', scope: SCOPES[0]! })),
    )
    const fresh = new Set(renewed.flatMap((r) => r.tokens))
    expect(renewed.flatMap((r) => r.errors)).toEqual([])
    expect(fresh.size, summary(marks)).toBe(1)
    expect(fresh.has(stale)).toBe(false)
    expect(tokenRequests(), summary(marks)).toBe(SCOPES.length + 1)
  })

  it('refreshes each key once per expiry window, ahead of expiry, for the whole fleet', async () => {
    // Tokens said to live 6 s: refreshed in the background once less than 3 s is left (D41's margin: half of a
    // short lifetime). Every process keeps calling for 5.5 s; each window must cost one request, whoever notices
    // it first. The 3 s margin leaves a refresh 2 s to land before a served token shows expiresIn() 0 (4 s left
    // only 1 s, which a loaded machine could miss).
    proxy.expiresIn = 6
    const marks = workers.map((w) => w.events.length)
    server.requests.length = 0
    const from = proxy.forwarded.length
    try {
      const end = Date.now() + 5_500
      while (Date.now() < end) {
        const results = await Promise.all(
          workers.map((w) => w.burst({ callers: 5, clientId: 'jwt-secret', scope: 'api:read' })),
        )
        expect(results.flatMap((r) => r.errors)).toEqual([])
        for (const r of results) expect(r.minExpiresIn).toBeGreaterThan(0) // never a token past its expiry
        await new Promise((resolve) => setTimeout(resolve, 200))
      }
    } finally {
      proxy.expiresIn = undefined
    }
    const sent = proxy.forwarded.slice(from)
    expect(tokenRequests()).toBe(sent.length)
    expect(sent.length, summary(marks)).toBeGreaterThanOrEqual(2) // the first token, and at least one refresh
    // One request per window: consecutive requests are a window apart (3 s; 1 s allows for a slow first answer),
    // never two for the same window.
    for (let i = 1; i < sent.length; i++)
      expect(sent[i]! - sent[i - 1]!, summary(marks)).toBeGreaterThan(1_000)
  })

  it('recovers when the lock holder dies mid-refresh: another process takes over after the lease', async () => {
    server.requests.length = 0
    const postsBefore = proxy.tokenPosts
    const marks = workers.map((w) => w.events.length)
    const held = proxy.holdNext()
    const bursts = workers.map((w) =>
      w.burst({ callers: 10, clientId: 'basic', scope: 'api:read', lease: 'short' }),
    )
    await held
    // The request the proxy holds was sent by the one process that took the lock (its event may still be on the
    // way: IPC and HTTP are two channels).
    const lockers = () => workers.filter((w, i) => w.eventsOf('lock_acquired', marks[i]).length > 0)
    for (let i = 0; i < 200 && lockers().length === 0; i++) await new Promise((r) => setTimeout(r, 25))
    const holders = lockers()
    expect(holders).toHaveLength(1)
    const holder = holders[0]!
    expect(holder.eventsOf('request', marks[workers.indexOf(holder)])).toEqual([]) // still in flight
    holder.child.kill('SIGKILL')
    await holder.exited
    const all = workers
    const survivors = workers.filter((w) => w !== holder)
    workers = survivors
    const results = await Promise.all(bursts.filter((_, i) => all[i] !== holder))
    expect(results.flatMap((r) => r.errors)).toEqual([])
    expect(new Set(results.flatMap((r) => r.tokens)).size).toBe(1)
    // The dead process's request never reached the server; the one that took over sent the only one.
    expect(tokenRequests()).toBe(1)
    expect(proxy.tokenPosts - postsBefore).toBe(2)
    const outcomes = survivors.flatMap((w) =>
      w.eventsOf('lock_waited', marks[all.indexOf(w)]).map((e) => e.event['outcome']),
    )
    // Every survivor waited (none fetched on its own); at least one took the lock over once the lease ran out (one
    // that takes it after the new token was stored reads that token: still one request, asserted above).
    expect(outcomes).toHaveLength(survivors.length)
    expect(outcomes).toContain('takeover')
    expect(outcomes.every((o) => o === 'takeover' || o === 'stored')).toBe(true)
    // Nobody took over before the dead holder's lease ran out in Redis (the waits began a little after it
    // took the lock, hence half the lease as the bound).
    for (const w of survivors) {
      const waited = w.eventsOf('lock_waited', marks[all.indexOf(w)])
      expect(waited[0]!.event['durationMs']).toBeGreaterThanOrEqual(LEASE_MS / 2)
    }
  })

  it('keeps serving when Redis stops: each process on its own, with store_error events, and shares again after', async () => {
    const cached = await Promise.all(
      workers.map((w) => w.burst({ callers: 1, clientId: 'post', scope: 'api:write' })),
    )
    const marks = workers.map((w) => w.events.length)
    const down = workers.map((w) => w.next((m) => m.type === 'redis' && m.state === 'error'))
    await redis.stop()
    await Promise.all(down)

    server.requests.length = 0
    const during = await Promise.all(
      workers.flatMap((w) => [
        w.burst({ callers: CALLERS, clientId: 'post', scope: 'api:write' }),
        w.burst({ callers: CALLERS, clientId: 'basic', scope: 'api:write' }),
      ]),
    )
    expect(during.flatMap((r) => r.errors)).toEqual([])
    // The cached key is served from memory as before; the new key is fetched by every process once (its callers
    // still share one request).
    for (let i = 0; i < workers.length; i++) {
      expect(new Set(during[2 * i]!.tokens)).toEqual(new Set(cached[i]!.tokens))
      expect(new Set(during[2 * i + 1]!.tokens).size).toBe(1)
      const errors = workers[i]!.eventsOf('store_error', marks[i])
      expect(errors.length).toBeGreaterThan(0)
      expect(JSON.stringify(errors)).not.toContain(init.encryptionKey)
    }
    expect(tokenRequests()).toBe(workers.length)

    // Redis is back (empty): once every process has reconnected and its store pause (1 s) is over, one request
    // serves the whole fleet again.
    const up = workers.map((w) => w.next((m) => m.type === 'redis' && m.state === 'ready'))
    await redis.restart()
    await Promise.all(up)
    await new Promise((resolve) => setTimeout(resolve, 1_100))
    server.requests.length = 0
    const after = await Promise.all(
      workers.map((w) => w.burst({ callers: CALLERS, clientId: 'basic', scope: 'api:read api:write' })),
    )
    expect(after.flatMap((r) => r.errors)).toEqual([])
    expect(new Set(after.flatMap((r) => r.tokens)).size).toBe(1)
    expect(tokenRequests()).toBe(1)
  })
})
