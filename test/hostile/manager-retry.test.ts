// The token manager's retries against the scripted server: transient failures only (network, timeout, 408,
// 429, 5xx), bounded attempts, Retry-After in seconds and as an HTTP date (capped), never OAuth errors, and a
// refresh-token grant retried only when its request never left.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  ClientError,
  ResponseBodyError,
  createTokenManager,
  genericGrantRequest,
  type Configuration,
} from '../../src/index.js'
import {
  configurationFor,
  json,
  send,
  sleep,
  startScriptedServer,
  type Script,
  type ScriptedServer,
} from '../support/scripted-server.js'
import { rejection } from './support.js'
import { collect, managerPool } from '../support/managers.js'

const CC = 'client_credentials'
const GOOD = { access_token: 'at-good', token_type: 'Bearer', expires_in: 3600 }

let server: ScriptedServer
let config: Configuration
let arrivals: number[] = []
const managers = managerPool({ retry: { baseDelayMs: 1, maxDelayMs: 5 } })
const manager = managers.create

/** Answers the n-th request (0-based) with `answers[n]`, the last one for every request after. */
function sequence(...answers: Script[]): Script {
  return (req, res, recorded) => {
    arrivals.push(Date.now())
    const answer = answers[Math.min(arrivals.length - 1, answers.length - 1)]!
    return answer(req, res, recorded)
  }
}
const ok: Script = (_req, res) => json(res, 200, GOOD)
const status =
  (code: number, body?: object, headers: Record<string, string> = {}): Script =>
  (_req, res) =>
    body === undefined ? send(res, code, '', headers) : json(res, code, body, headers)
const reset: Script = (req) => {
  req.socket.destroy()
}

beforeAll(async () => {
  server = await startScriptedServer()
  config = configurationFor(server)
})
afterEach(async () => {
  await managers.closeAll()
  arrivals = []
  server.requests.length = 0
})
afterAll(() => server.close())

describe('transient failures are retried', () => {
  it.each([
    ['503 with an OAuth error body', status(503, { error: 'temporarily_unavailable' })],
    ['500 without a body', status(500)],
    [
      '502 with HTML',
      (_req, res) => send(res, 502, '<html>bad gateway</html>', { 'content-type': 'text/html' }),
    ],
    ['408', status(408)],
    ['429', status(429, { error: 'slow_down' })],
    ['a reset before any answer', reset],
  ] as [string, Script][])('%s, then success', async (_name, failure) => {
    server.script(sequence(failure, ok))
    const m = manager()
    const retries = collect(m, 'retry')
    expect((await m.get(config, CC)).access_token).toBe('at-good')
    expect(arrivals).toHaveLength(2)
    expect(retries).toHaveLength(1)
    expect(retries[0]!.attempt).toBe(1)
  })

  it('OAUTH_TIMEOUT, then success', async () => {
    // A 1 s deadline: the retry's own answer must land within it even on a loaded machine; the first never does.
    const slow = configurationFor(server, { timeout: 1 })
    server.script(sequence((_req, res) => sleep(3_000).then(() => json(res, 200, GOOD)), ok))
    const m = manager()
    const retries = collect(m, 'retry')
    expect((await m.get(slow, CC)).access_token).toBe('at-good')
    expect(retries.map((e) => e.error.code)).toEqual(['OAUTH_TIMEOUT'])
  })

  it('attempts are bounded; the last failure is what genericGrantRequest would throw', async () => {
    server.script(sequence(status(503, { error: 'temporarily_unavailable' })))
    const err = await rejection(manager({ retry: { attempts: 4, baseDelayMs: 1 } }).get(config, CC))
    expect(arrivals).toHaveLength(4)
    const direct = await rejection(genericGrantRequest(config, CC, {}))
    // As genericGrantRequest says it: a 5xx is a status error, whatever its body.
    expect(err).toBeInstanceOf(ClientError)
    expect(err.constructor).toBe(direct.constructor)
    expect((err as ClientError).code).toBe((direct as ClientError).code)
    expect(((err as ClientError).cause as Response).status).toBe(503)
  })

  it('retry: false sends one request', async () => {
    server.script(sequence(status(503)))
    const err = await rejection(createTokenManager({ retry: false }).get(config, CC))
    expect(err).toBeInstanceOf(ClientError)
    expect((err as ClientError).code).toBe('OAUTH_RESPONSE_IS_NOT_CONFORM')
    expect(arrivals).toHaveLength(1)
  })
})

describe('Retry-After', () => {
  it('in seconds: the retry waits at least that long', async () => {
    server.script(sequence(status(429, { error: 'slow_down' }, { 'retry-after': '1' }), ok))
    const m = manager()
    const retries = collect(m, 'retry')
    await m.get(config, CC)
    expect(retries[0]!.retryAfterMs).toBe(1000)
    expect(retries[0]!.delayMs).toBeGreaterThanOrEqual(1000)
    expect(arrivals[1]! - arrivals[0]!).toBeGreaterThanOrEqual(990)
  })

  it('as an HTTP date', async () => {
    server.script(
      sequence((_req, res) => {
        const at = new Date(Math.ceil(Date.now() / 1000) * 1000 + 1000).toUTCString()
        send(res, 503, '', { 'retry-after': at })
      }, ok),
    )
    const m = manager()
    const retries = collect(m, 'retry')
    await m.get(config, CC)
    expect(retries[0]!.retryAfterMs).toBeGreaterThan(0)
    expect(retries[0]!.retryAfterMs).toBeLessThanOrEqual(2000)
    expect(arrivals[1]!).toBeGreaterThanOrEqual(Math.floor(arrivals[0]! / 1000) * 1000 + 1000)
  })

  it('beyond maxRetryAfterMs ends the retries at once', async () => {
    server.script(sequence(status(503, undefined, { 'retry-after': '3600' }), ok))
    const err = await rejection(manager().get(config, CC))
    expect((err as ClientError).code).toBe('OAUTH_RESPONSE_IS_NOT_CONFORM')
    expect(arrivals).toHaveLength(1)
  })

  it('close() during the wait rejects the callers with OAUTH_MANAGER_CLOSED', async () => {
    server.script(sequence(status(503, undefined, { 'retry-after': '20' }), ok))
    const m = createTokenManager()
    const pending = rejection(m.get(config, CC))
    while (arrivals.length === 0) await sleep(5)
    await m.close()
    expect(((await pending) as ClientError).code).toBe('OAUTH_MANAGER_CLOSED')
    expect(arrivals).toHaveLength(1)
  })
})

describe('never retried', () => {
  it.each([
    [400, 'invalid_grant'],
    [401, 'invalid_client'],
    [400, 'unauthorized_client'],
    [400, 'invalid_scope'],
  ])('%i %s', async (code, error) => {
    server.script(sequence(status(code, { error }), ok))
    const err = await rejection(manager().get(config, CC))
    expect((err as ResponseBodyError).error).toBe(error)
    expect(arrivals).toHaveLength(1)
  })

  it('a refresh-token grant whose response was lost (the server had the request)', async () => {
    server.script(sequence(reset, ok))
    const m = manager()
    const err = await rejection(m.get(config, 'refresh_token', { refresh_token: 'rt-1' }))
    expect(err).toBeInstanceOf(TypeError)
    expect(arrivals).toHaveLength(1)
  })

  it('a refresh-token grant is retried when the connection was refused (nothing sent)', async () => {
    const closed = await startScriptedServer()
    const refused = configurationFor(closed)
    await closed.close()
    const m = manager()
    const requests = collect(m, 'request')
    const err = await rejection(m.get(refused, 'refresh_token', { refresh_token: 'rt-1' }))
    expect(err).toBeInstanceOf(TypeError)
    expect(requests.map((e) => e.attempt)).toEqual([1, 2, 3])
  })
})
