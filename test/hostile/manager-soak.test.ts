// Soak: 1,000 concurrent callers over 40 keys for 4 s against a scripted server that issues 2-second tokens,
// fails every fourth request of a key with a 503 (transient: retried) and refuses two keys outright with
// invalid_scope (the server's real errors). Zero callers fail beyond the refused keys, no token is served past
// its expiry, and each key gets one successful token request per refresh window.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { ResponseBodyError, createTokenManager, type Configuration } from '../../src/index.js'
import {
  configurationFor,
  json,
  sleep,
  startScriptedServer,
  type RecordedRequest,
  type ScriptedServer,
} from '../support/scripted-server.js'

const KEYS = 40
const REFUSED = new Set(['scope-7', 'scope-23'])
const CALLERS = 1_000
const RUN_MS = 4_000
const LIFETIME_S = 2

let server: ScriptedServer
let config: Configuration
/** Per access token: when it expires by the server's clock. */
const expiry = new Map<string, number>()
/** Per scope: the requests received, and when each request that got a token arrived. */
const received = new Map<string, number>()
/** Per scope: requests in progress now, and the most ever in progress at once. */
const inFlight = new Map<string, number>()
const maxInFlight = new Map<string, number>()
const issuedAt = new Map<string, number[]>()
let serial = 0

function answer(_req: IncomingMessage, res: ServerResponse, recorded: RecordedRequest) {
  const scope = new URLSearchParams(recorded.body).get('scope')!
  const n = (received.get(scope) ?? 0) + 1
  received.set(scope, n)
  const arrival = Date.now()
  const active = (inFlight.get(scope) ?? 0) + 1
  inFlight.set(scope, active)
  maxInFlight.set(scope, Math.max(active, maxInFlight.get(scope) ?? 0))
  res.on('finish', () => inFlight.set(scope, inFlight.get(scope)! - 1))
  return sleep(5 + Math.random() * 20).then(() => {
    if (REFUSED.has(scope)) return json(res, 400, { error: 'invalid_scope' })
    if (n % 4 === 2) return json(res, 503, { error: 'temporarily_unavailable' })
    const token = `at-${++serial}`
    const now = Date.now()
    expiry.set(token, now + LIFETIME_S * 1000)
    issuedAt.set(scope, [...(issuedAt.get(scope) ?? []), arrival])
    json(res, 200, { access_token: token, token_type: 'Bearer', expires_in: LIFETIME_S, scope })
  })
}

beforeAll(async () => {
  server = await startScriptedServer(answer)
  config = configurationFor(server)
})
afterAll(() => server.close())

it('1,000 concurrent callers: no failure beyond the server, no expired token, one request per window', async () => {
  const manager = createTokenManager({ retry: { attempts: 3, baseDelayMs: 20, maxDelayMs: 100 } })
  const stop = Date.now() + RUN_MS
  let served = 0
  let expired = 0
  const unexpected: unknown[] = []
  let refusedFailures = 0
  const caller = async (i: number) => {
    while (Date.now() < stop) {
      const scope = `scope-${(i * 7 + served) % KEYS}`
      try {
        const token = await manager.get(config, 'client_credentials', { scope })
        served++
        if (!(Date.now() < expiry.get(token.access_token)!)) expired++
      } catch (err) {
        if (REFUSED.has(scope) && err instanceof ResponseBodyError && err.error === 'invalid_scope')
          refusedFailures++
        else unexpected.push(err)
      }
      await sleep(20 + Math.random() * 40)
    }
  }
  await Promise.all(Array.from({ length: CALLERS }, (_, i) => caller(i)))
  await manager.close()

  expect(unexpected).toEqual([])
  expect(expired).toBe(0)
  expect(served).toBeGreaterThan(CALLERS)
  expect(refusedFailures).toBeGreaterThan(0)
  // Refused keys: never retried (one request per failed flight), never cached (requests keep coming).
  for (const scope of REFUSED) expect(received.get(scope)!).toBeGreaterThan(1)
  // Every other key: tokens live 2 s and are refreshed 1 s before expiry (one request per window), and never
  // two requests of a key at once (single flight).
  const windows = Math.ceil(RUN_MS / 1000) + 1
  for (let k = 0; k < KEYS; k++) {
    const scope = `scope-${k}`
    if (REFUSED.has(scope)) continue
    const times = issuedAt.get(scope)!
    expect(times.length).toBeGreaterThanOrEqual(2)
    expect(times.length).toBeLessThanOrEqual(windows)
    // Single flight: never two requests of a key at the same time.
    expect(maxInFlight.get(scope)).toBe(1)
  }
}, 30_000)
