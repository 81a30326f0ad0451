// DECISIONS D24: no deadline fires early. Node timers hold at most 2^31-1 ms (~24.8 days): a longer delay fires
// after ~1 ms, and AbortSignal.timeout above 2^32-1 ms (or of a fractional ms) throws ERR_OUT_OF_RANGE. Every
// deadline the library makes (the configuration's timeout, discovery's, a poll's expires_in) must wait as long
// as it says.
import { setTimeout as realSleep } from 'node:timers/promises'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  allowInsecureRequests,
  discovery,
  genericGrantRequest,
  pollDeviceAuthorizationGrant,
} from '../../src/index.js'
import { timeoutSignal } from '../../src/http/send.js'
import {
  configurationFor,
  json,
  sleep,
  startScriptedServer,
  type ScriptedServer,
} from '../support/scripted-server.js'

const DAY = 86_400
const GRANT = 'urn:example:params:oauth:grant-type:deadline'

let server: ScriptedServer

beforeAll(async () => {
  server = await startScriptedServer()
})
beforeEach(() => {
  server.requests.length = 0
})
afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})
afterAll(() => server.close())

/** A server that answers every request after `ms`, discovery documents included. */
function answerAfter(ms: number) {
  server.script(async (req, res) => {
    await sleep(ms)
    if (req.url?.startsWith('/.well-known/')) {
      json(res, 200, { issuer: server.origin, token_endpoint: `${server.origin}/token` })
    } else {
      json(res, 200, { access_token: 'at-late', token_type: 'Bearer' })
    }
  })
}

describe('long configuration timeouts (D24)', () => {
  for (const [name, seconds] of [
    ['25 days', 25 * DAY],
    ['30 days', 30 * DAY],
    ['49.7 days (2^32 ms)', 2 ** 32 / 1000],
    ['1e12 seconds', 1e12],
    ['1e300 seconds', 1e300],
  ] as const) {
    it(`timeout of ${name}: a request answered after 200 ms succeeds`, async () => {
      answerAfter(200)
      const config = configurationFor(server, { timeout: seconds })
      const result = await genericGrantRequest(config, GRANT, {})
      expect(result.access_token).toBe('at-late')
      expect(server.requests).toHaveLength(1)
    })
  }

  it('a timeout that is not a whole number of ms (1.0005 s) applies, rather than throwing', async () => {
    answerAfter(200)
    const config = configurationFor(server, { timeout: 1.0005 })
    await expect(genericGrantRequest(config, GRANT, {})).resolves.toMatchObject({ access_token: 'at-late' })
  })

  it('a short timeout still times out (the common 30 s path is unchanged in kind)', async () => {
    answerAfter(1000)
    const config = configurationFor(server, { timeout: 0.2 })
    await expect(genericGrantRequest(config, GRANT, {})).rejects.toMatchObject({ code: 'OAUTH_TIMEOUT' })
  })

  it('discovery with a 30-day timeout succeeds against a server answering after 200 ms', async () => {
    answerAfter(200)
    const config = await discovery(new URL(server.origin), 'client', undefined, undefined, {
      execute: [allowInsecureRequests],
      timeout: 30 * DAY,
    })
    expect(config.serverMetadata().issuer).toBe(server.origin)
  })
})

describe('polling with a long expires_in (D24)', () => {
  it('expires_in of 30 days keeps polling past 1 s and then gets its token', async () => {
    const started = Date.now()
    server.script((_req, res) => {
      if (Date.now() - started < 1200) json(res, 400, { error: 'authorization_pending' })
      else json(res, 200, { access_token: 'at-polled', token_type: 'Bearer' })
    })
    const config = configurationFor(server)
    const result = await pollDeviceAuthorizationGrant(config, {
      device_code: 'dc',
      user_code: 'UC',
      verification_uri: 'https://as.example/device',
      expires_in: 30 * DAY,
      interval: 0.05,
    })
    expect(result.access_token).toBe('at-polled')
    expect(Date.now() - started).toBeGreaterThanOrEqual(1200)
    expect(server.requests.length).toBeGreaterThanOrEqual(2)
  })
})

describe('the deadline helper (unit, fake timers)', () => {
  it('a 30-day deadline does not fire before 30 days, and fires at 30 days with a TimeoutError', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    const ms = 30 * DAY * 1000
    const signal = timeoutSignal(30 * DAY)!
    // Whatever a real (unfaked) timer would do, it has had the time to do it.
    await realSleep(30)
    expect(signal.aborted).toBe(false)
    vi.advanceTimersByTime(ms - 1)
    expect(signal.aborted).toBe(false)
    vi.advanceTimersByTime(1)
    expect(signal.aborted).toBe(true)
    expect((signal.reason as Error).name).toBe('TimeoutError')
  })

  it('a 100-day deadline neither fires early nor late', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    const signal = timeoutSignal(100 * DAY)!
    await realSleep(30)
    vi.advanceTimersByTime(100 * DAY * 1000 - 1)
    expect(signal.aborted).toBe(false)
    vi.advanceTimersByTime(1)
    expect(signal.aborted).toBe(true)
  })

  it('a 1e12-second deadline has not fired after 1,000 days', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    const signal = timeoutSignal(1e12)!
    await realSleep(30)
    vi.advanceTimersByTime(1000 * DAY * 1000)
    expect(signal.aborted).toBe(false)
  })

  it('no deadline for 0, Infinity or undefined; an ordinary deadline is one AbortSignal.timeout', () => {
    expect(timeoutSignal(0)).toBeUndefined()
    expect(timeoutSignal(Infinity)).toBeUndefined()
    expect(timeoutSignal(undefined)).toBeUndefined()
    const spy = vi.spyOn(AbortSignal, 'timeout')
    const timers = vi.spyOn(globalThis, 'setTimeout')
    timeoutSignal(30)
    expect(spy).toHaveBeenCalledTimes(1)
    expect(spy).toHaveBeenCalledWith(30_000)
    expect(timers).not.toHaveBeenCalled()
  })

  it('the timers of a long deadline do not keep the process alive', () => {
    const timers = vi.spyOn(globalThis, 'setTimeout')
    const signal = timeoutSignal(30 * DAY)!
    expect(signal.aborted).toBe(false)
    expect(timers).toHaveBeenCalled()
    for (const { value } of timers.mock.results) {
      expect((value as NodeJS.Timeout).hasRef()).toBe(false)
    }
  })
})
