// The token manager against the scripted server: cache and key, expiry anchoring and refresh-ahead for every
// lifetime the issue lists, clock jumps, single-flight, failures shared and never cached, a caller's own abort,
// close(), DPoP binding, invalidate() after N concurrent 401s, events without secrets, argument errors.
import diagnostics_channel from 'node:diagnostics_channel'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  ClientError,
  ResponseBodyError,
  createTokenManager,
  getDPoPHandle,
  randomDPoPKeyPair,
  type Configuration,
  type TokenManagerEventName,
} from '../../src/index.js'
import {
  CLIENT_SECRET,
  configurationFor,
  json,
  sleep,
  startScriptedServer,
  type RecordedRequest,
  type ScriptedServer,
} from '../support/scripted-server.js'
import { setEventPublisher } from '../../src/manager/events.js'
import { setKeyHasher } from '../../src/manager/key.js'
import { installManagerChannels } from '../../src/node/manager-channel.js'
import { expectNoSecret, rejection } from './support.js'
import { collect, managerPool } from '../support/managers.js'

const CC = 'client_credentials'
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange'

let server: ScriptedServer
let config: Configuration
let issued = 0
/** What the next token responses carry: `expires_in` (omitted when undefined) and a delay. */
let lifetime: unknown = 3600
let delayMs = 0

function issue(_req: IncomingMessage, res: ServerResponse, recorded: RecordedRequest) {
  issued++
  const body: Record<string, unknown> = {
    access_token: `at-${issued}`,
    token_type: recorded.headers['dpop'] ? 'DPoP' : 'Bearer',
  }
  if (lifetime !== undefined) body['expires_in'] = lifetime
  if (delayMs === 0) return json(res, 200, body)
  return sleep(delayMs).then(() => json(res, 200, body))
}

const tokenRequests = () => server.requests.filter((r) => r.url === '/token')
const managers = managerPool({ retry: false })
const manager = managers.create

beforeAll(async () => {
  server = await startScriptedServer(issue)
  config = configurationFor(server)
})
afterEach(async () => {
  vi.useRealTimers()
  await managers.closeAll()
  server.script(issue)
  server.requests.length = 0
  issued = 0
  lifetime = 3600
  delayMs = 0
})
afterAll(() => server.close())

describe('the cache', () => {
  it('serves a valid token from memory: one request for many calls, whatever the parameter order', async () => {
    const m = manager()
    const first = await m.get(config, CC, { scope: 'a b', resource: 'https://r' })
    const second = await m.get(config, CC, { resource: 'https://r', scope: 'b a' })
    expect(second.access_token).toBe(first.access_token)
    expect(tokenRequests()).toHaveLength(1)
    await m.get(config, CC, { scope: 'a' })
    expect(tokenRequests()).toHaveLength(2)
  })

  it('serves copies with non-enumerable claims() and expiresIn(), as genericGrantRequest does', async () => {
    const m = manager()
    const a = await m.get(config, CC)
    const b = await m.get(config, CC)
    expect(a).not.toBe(b)
    expect(Object.keys(a).sort()).toEqual(['access_token', 'expires_in', 'token_type'])
    expect(JSON.stringify(a)).toBe(JSON.stringify(b))
    expect(a.claims()).toBeUndefined()
    expect(a.expiresIn()).toBeGreaterThanOrEqual(3599)
    ;(a as { access_token: string }).access_token = 'tampered'
    expect((await m.get(config, CC)).access_token).toBe('at-1')
  })

  it('expiresIn() of a cached token counts down from when its request was sent', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const m = manager()
    await m.get(config, CC)
    vi.setSystemTime(Date.now() + 100_000)
    const later = await m.get(config, CC)
    expect(tokenRequests()).toHaveLength(1)
    expect(later.expiresIn()).toBeLessThanOrEqual(3500)
    expect(later.expiresIn()).toBeGreaterThan(3490)
    expect(later.expires_in).toBe(3600)
  })

  it('keeps at most maxEntries tokens, least recently used out', async () => {
    const m = manager({ maxEntries: 2 })
    await m.get(config, CC, { scope: 'a' })
    await m.get(config, CC, { scope: 'b' })
    await m.get(config, CC, { scope: 'a' })
    await m.get(config, CC, { scope: 'c' })
    expect(tokenRequests()).toHaveLength(3)
    await m.get(config, CC, { scope: 'a' })
    expect(tokenRequests()).toHaveLength(3)
    await m.get(config, CC, { scope: 'b' })
    expect(tokenRequests()).toHaveLength(4)
  })
})

describe('expiry and refresh-ahead', () => {
  it('expires_in 0: never served from the cache, every call sends a request', async () => {
    lifetime = 0
    const m = manager()
    expect((await m.get(config, CC)).expiresIn()).toBe(0)
    await m.get(config, CC)
    expect(tokenRequests()).toHaveLength(2)
  })

  it('expires_in 1: served until it expires, then fetched again', async () => {
    lifetime = 1
    const m = manager()
    await m.get(config, CC)
    const cached = await m.get(config, CC)
    expect(cached.access_token).toBe('at-1')
    await sleep(1_050)
    expect((await m.get(config, CC)).access_token).toBe('at-2')
  })

  it.each([
    [30, 24_000, 26_000],
    [60, 53_000, 55_000],
    ['60', 53_000, 55_000],
    [30 * 86_400, 30 * 86_400_000 - 301_000, 30 * 86_400_000 - 299_000],
  ])(
    'expires_in %j: not refetched before the margin; then served while one background refresh runs',
    async (expiresIn, before, after) => {
      vi.useFakeTimers({ toFake: ['Date'] })
      lifetime = expiresIn
      const m = manager()
      const t0 = Date.now()
      await m.get(config, CC)
      for (let i = 0; i < 5; i++) await m.get(config, CC)
      vi.setSystemTime(t0 + before)
      expect((await m.get(config, CC)).access_token).toBe('at-1')
      expect(tokenRequests()).toHaveLength(1)
      vi.setSystemTime(t0 + after)
      delayMs = 50
      const done = new Promise((resolve) => m.on('refresh_done', resolve))
      // Ten callers inside the margin: all served the current token at once, one refresh behind them.
      const served = await Promise.all(Array.from({ length: 10 }, () => m.get(config, CC)))
      expect(served.map((t) => t.access_token)).toEqual(Array(10).fill('at-1'))
      await done
      expect(tokenRequests()).toHaveLength(2)
      expect((await m.get(config, CC)).access_token).toBe('at-2')
    },
  )

  it('a response without expires_in lives defaultExpiresIn seconds, with an event', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    lifetime = undefined
    const m = manager({ defaultExpiresIn: 20 })
    const events = collect(m, 'expiry_defaulted')
    const t0 = Date.now()
    const tokens = await m.get(config, CC)
    expect(tokens.expiresIn()).toBeUndefined()
    expect(events).toEqual([expect.objectContaining({ lifetimeMs: 20_000, grantType: CC })])
    vi.setSystemTime(t0 + 21_000)
    expect((await m.get(config, CC)).access_token).toBe('at-2')
  })

  it('a wall clock set back does not extend a token past its life (monotonic clock)', async () => {
    lifetime = 1
    const m = manager()
    await m.get(config, CC)
    await sleep(1_050)
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() - 3_600_000)
    expect((await m.get(config, CC)).access_token).toBe('at-2')
  })

  it('a wall clock set forward past the expiry fetches a new token', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const m = manager()
    await m.get(config, CC)
    vi.setSystemTime(Date.now() + 7_200_000)
    expect((await m.get(config, CC)).access_token).toBe('at-2')
  })

  it('minValidity: a token with less left makes the caller wait for a fresh one', async () => {
    const m = manager()
    await m.get(config, CC)
    expect((await m.get(config, CC, undefined, { minValidity: 3000 })).access_token).toBe('at-1')
    expect((await m.get(config, CC, undefined, { minValidity: 3601 })).access_token).toBe('at-2')
  })

  it('forceRefresh fetches a new token; concurrent forced callers share it', async () => {
    const m = manager()
    await m.get(config, CC)
    delayMs = 30
    const forced = await Promise.all(
      Array.from({ length: 5 }, () => m.get(config, CC, undefined, { forceRefresh: true })),
    )
    expect(new Set(forced.map((t) => t.access_token))).toEqual(new Set(['at-2']))
    expect(tokenRequests()).toHaveLength(2)
  })
})

describe('single flight', () => {
  it('100 concurrent callers of one key share one request', async () => {
    delayMs = 50
    const m = manager()
    const all = await Promise.all(Array.from({ length: 100 }, () => m.get(config, CC, { scope: 'x' })))
    expect(new Set(all.map((t) => t.access_token)).size).toBe(1)
    expect(tokenRequests()).toHaveLength(1)
  })

  it('a failure reaches every waiter as the same error, and is not cached', async () => {
    server.script((_req, res) => sleep(30).then(() => json(res, 400, { error: 'invalid_scope' })))
    const m = manager()
    const errors = await Promise.all(Array.from({ length: 10 }, () => rejection(m.get(config, CC))))
    expect(errors[0]).toBeInstanceOf(ResponseBodyError)
    expect((errors[0] as ResponseBodyError).error).toBe('invalid_scope')
    for (const err of errors) expect(err).toBe(errors[0])
    expect(tokenRequests()).toHaveLength(1)
    server.script(issue)
    expect((await m.get(config, CC)).access_token).toBe('at-1')
    expect(tokenRequests()).toHaveLength(2)
  })

  it("a caller's own abort rejects that caller only, with the signal's reason; the request goes on", async () => {
    delayMs = 100
    const m = manager()
    const controller = new AbortController()
    const aborted = rejection(m.get(config, CC, undefined, { signal: controller.signal }))
    const other = m.get(config, CC)
    await sleep(20)
    const reason = new Error('caller gave up')
    controller.abort(reason)
    expect(await aborted).toBe(reason)
    expect((await other).access_token).toBe('at-1')
    expect(tokenRequests()).toHaveLength(1)
    // Already aborted: rejects at once, nothing sent.
    const err = await rejection(m.get(config, CC, { scope: 'new' }, { signal: AbortSignal.abort() }))
    expect((err as unknown as DOMException).name).toBe('AbortError')
    expect(tokenRequests()).toHaveLength(1)
  })

  it('close(): waiting callers and later calls reject with OAUTH_MANAGER_CLOSED', async () => {
    delayMs = 100
    const m = createTokenManager()
    const waiting = rejection(m.get(config, CC))
    // The request has arrived (so that it cannot land in the next test's count).
    while (tokenRequests().length === 0) await sleep(5)
    await m.close()
    const err = await waiting
    expect(err).toBeInstanceOf(ClientError)
    expect((err as ClientError).code).toBe('OAUTH_MANAGER_CLOSED')
    const later = await rejection(m.get(config, CC))
    expect((later as ClientError).code).toBe('OAUTH_MANAGER_CLOSED')
    expect(await rejection(m.invalidate('x'))).toBeInstanceOf(ClientError)
    await m.close()
  })
})

describe('DPoP', () => {
  it('a bound token is served only to callers with the same key', async () => {
    const m = manager()
    const one = getDPoPHandle(config, await randomDPoPKeyPair('ES256'))
    const two = getDPoPHandle(config, await randomDPoPKeyPair('ES256'))
    const a = await m.get(config, CC, undefined, { DPoP: one })
    const b = await m.get(config, CC, undefined, { DPoP: two })
    const plain = await m.get(config, CC)
    expect(a.token_type).toBe('dpop')
    expect(new Set([a.access_token, b.access_token, plain.access_token]).size).toBe(3)
    expect((await m.get(config, CC, undefined, { DPoP: one })).access_token).toBe(a.access_token)
    expect(tokenRequests()).toHaveLength(3)
  })
})

describe('DPoP nonces', () => {
  it("the server's use_dpop_nonce challenge is answered by genericGrantRequest's own retry, as without the manager", async () => {
    server.script((req, res, recorded) => {
      const proof = recorded.headers['dpop'] as string
      const payload = JSON.parse(Buffer.from(proof.split('.')[1]!, 'base64url').toString()) as {
        nonce?: string
      }
      if (payload.nonce !== 'n-1') {
        return json(res, 400, { error: 'use_dpop_nonce' }, { 'dpop-nonce': 'n-1' })
      }
      return issue(req, res, recorded)
    })
    const m = managers.track(createTokenManager())
    const retries = collect(m, 'retry')
    const DPoP = getDPoPHandle(config, await randomDPoPKeyPair('ES256'))
    const token = await m.get(config, CC, undefined, { DPoP })
    expect(token.token_type).toBe('dpop')
    expect(tokenRequests()).toHaveLength(2)
    expect(retries).toEqual([])
    expect((await m.get(config, CC, undefined, { DPoP })).access_token).toBe(token.access_token)
    expect(tokenRequests()).toHaveLength(2)
  })
})

describe('invalidate', () => {
  it('N concurrent 401s of one token cause one refresh', async () => {
    const m = manager()
    const token = await m.get(config, CC)
    delayMs = 30
    const after401 = async () => {
      await m.invalidate(token)
      return m.get(config, CC)
    }
    const fresh = await Promise.all(Array.from({ length: 20 }, after401))
    expect(new Set(fresh.map((t) => t.access_token))).toEqual(new Set(['at-2']))
    expect(tokenRequests()).toHaveLength(2)
    // A late 401 of the old token leaves the new one alone.
    await m.invalidate(token.access_token)
    expect((await m.get(config, CC)).access_token).toBe('at-2')
    expect(tokenRequests()).toHaveLength(2)
  })
})

describe('events', () => {
  const NAMES: TokenManagerEventName[] = [
    'request',
    'cache_hit',
    'cache_miss',
    'refresh_started',
    'refresh_done',
    'refresh_failed',
    'retry',
    'invalidated',
  ]

  it('carry the hashed key, durations and outcomes, never a token or secret', async () => {
    const m = managers.track(createTokenManager({ retry: { attempts: 2, baseDelayMs: 1 } }))
    const events: [string, Record<string, unknown>][] = []
    for (const name of NAMES) m.on(name, (e) => events.push([name, e as unknown as Record<string, unknown>]))
    const subject = 'subject-token-SECRET-value'
    const params = {
      subject_token: subject,
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    }
    server.script((req, res, recorded) => {
      if (issued === 0 && tokenRequests().length === 1)
        return json(res, 503, { error: 'temporarily_unavailable' })
      return issue(req, res, recorded)
    })
    lifetime = 3600
    const token = await m.get(config, TOKEN_EXCHANGE, params)
    await m.get(config, TOKEN_EXCHANGE, params)
    await m.invalidate(token)
    server.script((_req, res) => json(res, 400, { error: 'invalid_grant', error_description: subject }))
    await rejection(m.get(config, TOKEN_EXCHANGE, params))
    const names = events.map(([n]) => n)
    for (const name of NAMES) expect(names).toContain(name)
    const text = JSON.stringify(events)
    expect(text).not.toContain(subject)
    expect(text).not.toContain(token.access_token)
    expect(text).not.toContain(CLIENT_SECRET)
    const keys = new Set(events.map(([, e]) => e['key']))
    expect(keys.size).toBe(1)
    expect([...keys][0]).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const request = events.find(([n, e]) => n === 'request' && e['outcome'] === 'success')![1]
    expect(request['durationMs']).toEqual(expect.any(Number))
    const failed = events.find(([n]) => n === 'refresh_failed')![1]
    expect(failed['error']).toEqual({
      name: 'ResponseBodyError',
      code: 'OAUTH_RESPONSE_BODY_ERROR',
      status: 400,
      error: 'invalid_grant',
    })
  })

  it('are published on node:diagnostics_channel grantline:manager:<name> by the Node.js hook', async () => {
    installManagerChannels()
    const published: unknown[] = []
    const onMiss = (message: unknown) => published.push(message)
    diagnostics_channel.subscribe('grantline:manager:cache_miss', onMiss)
    try {
      const m = manager()
      await m.get(config, TOKEN_EXCHANGE, { subject_token: 'SECRET-subject', subject_token_type: 'x' })
      expect(published).toEqual([expect.objectContaining({ grantType: TOKEN_EXCHANGE, reason: 'absent' })])
      expect(JSON.stringify(published)).not.toContain('SECRET-subject')
    } finally {
      diagnostics_channel.unsubscribe('grantline:manager:cache_miss', onMiss)
      // The fetch project's manager has no publisher; leave it as found.
      if (process.env['GRANTLINE_TRANSPORT'] === 'fetch') {
        setEventPublisher(undefined)
        setKeyHasher(undefined)
      }
    }
  })

  it('an unsubscribed or throwing listener changes nothing', async () => {
    const m = manager()
    const seen: unknown[] = []
    const off = m.on('cache_miss', (e) => seen.push(e))
    m.on('cache_miss', () => {
      throw new Error('listener bug')
    })
    await m.get(config, CC)
    off()
    await m.get(config, CC, { scope: 'other' })
    expect(seen).toHaveLength(1)
  })
})

describe('argument errors, before any request', () => {
  it('are TypeErrors with ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE', async () => {
    const m = manager()
    const cases: [Promise<unknown>, string][] = [
      [m.get({} as Configuration, CC), 'ERR_INVALID_ARG_TYPE'],
      [m.get(config, 42 as unknown as string), 'ERR_INVALID_ARG_TYPE'],
      [m.get(config, ''), 'ERR_INVALID_ARG_VALUE'],
      [m.get(config, 'authorization_code', { code: 'c' }), 'ERR_INVALID_ARG_VALUE'],
      [m.get(config, 'urn:ietf:params:oauth:grant-type:device_code'), 'ERR_INVALID_ARG_VALUE'],
      [m.get(config, CC, 42 as never), 'ERR_INVALID_ARG_TYPE'],
      [m.get(config, CC, () => ({})), 'ERR_INVALID_ARG_VALUE'],
      [m.get(config, CC, undefined, { minValidity: -1 }), 'ERR_INVALID_ARG_VALUE'],
      [m.get(config, CC, undefined, { cacheKey: '' }), 'ERR_INVALID_ARG_VALUE'],
      [m.get(config, CC, undefined, { signal: {} as AbortSignal }), 'ERR_INVALID_ARG_TYPE'],
      [m.get(config, 'refresh_token', {}), 'ERR_INVALID_ARG_VALUE'],
      [m.invalidate(42 as never), 'ERR_INVALID_ARG_TYPE'],
    ]
    for (const [promise, code] of cases) {
      const err = await rejection(promise)
      expect(err).toBeInstanceOf(TypeError)
      expect((err as { code: string }).code).toBe(code)
    }
    expect(() => createTokenManager({ maxEntries: 0 })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    )
    expect(() => createTokenManager({ store: {} as never })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
    )
    expect(tokenRequests()).toHaveLength(0)
  })

  it('an error from the server carries no secret', async () => {
    server.script((_req, res) => json(res, 401, { error: 'invalid_client' }))
    const err = await rejection(
      manager().get(config, TOKEN_EXCHANGE, { subject_token: 'SECRET-subject', subject_token_type: 'x' }),
    )
    expectNoSecret(err)
    expect(JSON.stringify(err)).not.toContain('SECRET-subject')
  })
})
