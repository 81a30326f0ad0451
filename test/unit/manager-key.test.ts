// The token manager's pure parts: the synchronous SHA-256, the canonical cache key, the refresh margin, the
// retry classifier and Retry-After, the LRU, and the in-memory store's lock protocol.
import { createHash, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { ClientError, Configuration, ResponseBodyError } from '../../src/index.js'
import { sha256Base64url } from '../../src/internal/sha256.js'
import { Lru } from '../../src/internal/lru.js'
import { marginMs } from '../../src/manager/cache.js'
import { cacheKeyOf, canonicalParameters, configPrefix, setKeyHasher } from '../../src/manager/key.js'
import { installManagerChannels } from '../../src/node/manager-channel.js'
import { backoffMs, isTransient, neverSent, retryAfterMs, DEFAULT_RETRY } from '../../src/manager/retry.js'
import { memoryTokenStore } from '../../src/manager/store.js'

describe('sha256Base64url', () => {
  it('equals node:crypto on every length across block boundaries and on non-ASCII text', () => {
    for (let length = 0; length < 200; length++) {
      const text = randomBytes(length).toString('latin1')
      expect(sha256Base64url(text)).toBe(createHash('sha256').update(text, 'utf8').digest('base64url'))
    }
    const text = 'é€😀'.repeat(300)
    expect(sha256Base64url(text)).toBe(createHash('sha256').update(text, 'utf8').digest('base64url'))
  })
})

const config = new Configuration(
  { issuer: 'https://as.example', token_endpoint: 'https://as.example/token' },
  'client-1',
  'secret',
)
const prefix = configPrefix(config)
const key = (
  parameters: Record<string, string | string[]> | URLSearchParams,
  jkt?: string,
  cacheKey?: string,
) => cacheKeyOf(prefix, 'client_credentials', parameters, jkt, cacheKey)

describe('the cache key', () => {
  it('ignores parameter order and scope order, and treats scope as a set', () => {
    const a = key({ scope: 'a b c', resource: 'https://r1' })
    expect(key({ resource: 'https://r1', scope: 'c b a' })).toBe(a)
    expect(key({ resource: 'https://r1', scope: 'c  b a a' })).toBe(a)
    expect(
      key(
        new URLSearchParams([
          ['scope', 'b a c'],
          ['resource', 'https://r1'],
        ]),
      ),
    ).toBe(a)
    expect(key({ scope: 'a b', resource: 'https://r1' })).not.toBe(a)
  })

  it('keeps repeated values (as a multiset) and tells values apart', () => {
    const two = key({ audience: ['x', 'y'] })
    expect(key({ audience: ['y', 'x'] })).toBe(two)
    expect(key({ audience: ['x', 'y', 'y'] })).not.toBe(two)
    expect(key({ audience: 'x' })).not.toBe(two)
    // No ambiguity between one value with a separator and two values.
    expect(key({ audience: 'x,y' })).not.toBe(two)
    expect(key({ audience: ['x y'] })).not.toBe(key({ audience: ['x', 'y'] }))
  })

  it('separates issuers, clients, grant types, DPoP keys; leaves undefined values out', () => {
    const base = key({ scope: 'a' })
    const other = new Configuration(
      { issuer: 'https://as.example', token_endpoint: 'https://as.example/token' },
      'client-2',
      'secret',
    )
    expect(
      cacheKeyOf(configPrefix(other), 'client_credentials', { scope: 'a' }, undefined, undefined),
    ).not.toBe(base)
    expect(cacheKeyOf(prefix, 'urn:x', { scope: 'a' }, undefined, undefined)).not.toBe(base)
    expect(key({ scope: 'a' }, 'jkt-1')).not.toBe(base)
    expect(key({ scope: 'a' }, 'jkt-1')).not.toBe(key({ scope: 'a' }, 'jkt-2'))
    expect(key({ scope: 'a', resource: undefined as unknown as string })).toBe(base)
  })

  it('a cacheKey replaces the parameters', () => {
    expect(key({ assertion: 'one' }, undefined, 'svc')).toBe(key({ assertion: 'two' }, undefined, 'svc'))
    expect(key({}, undefined, 'svc')).not.toBe(key({}, undefined, 'svc2'))
    expect(key({}, undefined, 'svc')).not.toBe(key({}))
  })

  it("is the same with the Node.js entry's node:crypto hasher as with the portable one", () => {
    const params = { subject_token: 'é'.repeat(500), scope: 'a b' }
    const portable = key(params)
    installManagerChannels()
    try {
      expect(key(params)).toBe(portable)
    } finally {
      setKeyHasher(undefined)
    }
  })

  it('is a 43-character hash that carries no parameter value', () => {
    const secret = 'eyJhbGciOiJSUzI1NiJ9.subject-token-value.sig'
    const k = key({ subject_token: secret, actor_token: 'actor-secret' })
    expect(k).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(k).not.toContain('subject')
    expect(canonicalParameters({ b: '1', a: ['3', '2'] })).toEqual([
      ['a', ['2', '3']],
      ['b', ['1']],
    ])
  })
})

describe('the refresh margin', () => {
  it('is 10 % of the lifetime, at least 5 s, at most half the lifetime and 5 minutes', () => {
    expect(marginMs(1_000)).toBe(500)
    expect(marginMs(30_000)).toBe(5_000)
    expect(marginMs(60_000)).toBe(6_000)
    expect(marginMs(3_600_000)).toBe(300_000)
    expect(marginMs(30 * 86_400_000)).toBe(300_000)
    expect(marginMs(0)).toBe(0)
  })
})

function bodyError(status: number, error: string, headers: Record<string, string> = {}) {
  return new ResponseBodyError('server responded with an error in the response body', {
    cause: { error },
    response: new Response(null, { status, headers }),
  })
}
function statusError(status: number, headers: Record<string, string> = {}) {
  return new ClientError('unexpected HTTP response status code', {
    code: 'OAUTH_RESPONSE_IS_NOT_CONFORM',
    cause: new Response(null, { status, headers }),
  })
}
const networkError = (code?: string) =>
  new TypeError('fetch failed', {
    cause: code === undefined ? new Error('other side closed') : Object.assign(new Error('x'), { code }),
  })

describe('retry classification', () => {
  it('retries network failures, timeouts, 408, 429 and 5xx; never OAuth errors or caller mistakes', () => {
    const g = 'client_credentials'
    expect(isTransient(networkError(), g)).toBe(true)
    expect(isTransient(new ClientError('timeout', { code: 'OAUTH_TIMEOUT' }), g)).toBe(true)
    for (const status of [408, 429, 500, 502, 503, 504]) {
      expect(isTransient(statusError(status), g)).toBe(true)
      expect(isTransient(bodyError(status, 'temporarily_unavailable'), g)).toBe(true)
    }
    expect(isTransient(statusError(404), g)).toBe(false)
    expect(isTransient(bodyError(400, 'invalid_grant'), g)).toBe(false)
    expect(isTransient(bodyError(401, 'invalid_client'), g)).toBe(false)
    expect(isTransient(bodyError(503, 'invalid_client'), g)).toBe(false)
    expect(isTransient(new ClientError('x', { code: 'OAUTH_INVALID_RESPONSE' }), g)).toBe(false)
    expect(isTransient(Object.assign(new TypeError('bad'), { code: 'ERR_INVALID_ARG_TYPE' }), g)).toBe(false)
  })

  it('retries a refresh-token grant only when the request never left', () => {
    expect(isTransient(networkError('ECONNREFUSED'), 'refresh_token')).toBe(true)
    expect(isTransient(networkError('ENOTFOUND'), 'refresh_token')).toBe(true)
    expect(isTransient(networkError('ECONNRESET'), 'refresh_token')).toBe(false)
    expect(isTransient(networkError(), 'refresh_token')).toBe(false)
    expect(isTransient(statusError(503), 'refresh_token')).toBe(false)
    expect(isTransient(new ClientError('timeout', { code: 'OAUTH_TIMEOUT' }), 'refresh_token')).toBe(false)
    const nested = new TypeError('fetch failed', {
      cause: Object.assign(new Error('x'), { errors: [{ code: 'ECONNREFUSED' }, { code: 'ECONNREFUSED' }] }),
    })
    expect(neverSent(nested)).toBe(true)
  })

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z')
    expect(retryAfterMs(statusError(503, { 'retry-after': '7' }), now)).toBe(7_000)
    expect(
      retryAfterMs(bodyError(429, 'slow', { 'retry-after': 'Thu, 01 Jan 2026 00:00:03 GMT' }), now),
    ).toBe(3_000)
    expect(retryAfterMs(statusError(503, { 'retry-after': 'Wed, 31 Dec 2025 00:00:00 GMT' }), now)).toBe(0)
    expect(retryAfterMs(statusError(503, { 'retry-after': '-1' }), now)).toBeUndefined()
    expect(retryAfterMs(statusError(503, { 'retry-after': 'soon' }), now)).toBeUndefined()
    expect(retryAfterMs(statusError(503), now)).toBeUndefined()
    expect(retryAfterMs(networkError(), now)).toBeUndefined()
  })

  it('backs off with full jitter, bounded by the cap', () => {
    expect(backoffMs(DEFAULT_RETRY, 1, () => 0.999)).toBe(199)
    expect(backoffMs(DEFAULT_RETRY, 3, () => 0.999)).toBe(799)
    expect(backoffMs(DEFAULT_RETRY, 30, () => 0.999)).toBe(4995)
    expect(backoffMs(DEFAULT_RETRY, 2, () => 0)).toBe(0)
  })
})

describe('Lru', () => {
  it('evicts the least recently used entry, and get refreshes recency', () => {
    const lru = new Lru<number>(2)
    lru.set('a', 1)
    lru.set('b', 2)
    expect(lru.get('a')).toBe(1)
    lru.set('c', 3)
    expect(lru.peek('b')).toBeUndefined()
    expect(lru.peek('a')).toBe(1)
    expect(lru.size).toBe(2)
  })
})

describe('memoryTokenStore', () => {
  const token = { response: { access_token: 'at', token_type: 'bearer' }, obtainedAt: 1, expiresAt: 2 }

  it('keeps entries for their ttl, as copies', async () => {
    let now = 1_000
    const store = memoryTokenStore({ now: () => now })
    await store.set('k', token, 100)
    const read = await store.get('k')
    expect(read).toEqual(token)
    expect(read).not.toBe(token)
    now += 100
    expect(await store.get('k')).toBeUndefined()
  })

  it('gives the lock to one owner at a time, frees it only for its owner, and after the lease', async () => {
    let now = 0
    const store = memoryTokenStore({ now: () => now })
    const first = await store.acquire('k', 1_000)
    expect(first?.owner).toMatch(/^[0-9a-f]{32}$/)
    expect(await store.acquire('k', 1_000)).toBeUndefined()
    now = 1_000
    const second = await store.acquire('k', 1_000)
    expect(second).toBeDefined()
    expect(second!.owner).not.toBe(first!.owner)
    // The first owner's late release does not free the second owner's lock.
    await first!.release()
    expect(await store.acquire('k', 1_000)).toBeUndefined()
    await second!.release()
    expect(await store.acquire('k', 1_000)).toBeDefined()
  })

  it('wakes waiters on set, delete and a lock release, and after the timeout otherwise', async () => {
    const store = memoryTokenStore()
    const woken = store.waitForChange!('k', 10_000)
    await store.set('k', token, 1_000)
    await woken
    const deleted = store.waitForChange!('k', 10_000)
    await store.delete('k')
    await deleted
    const lock = await store.acquire('k', 10_000)
    const released = store.waitForChange!('k', 10_000)
    await lock!.release()
    await released
    await store.waitForChange!('k', 5)
  })
})
