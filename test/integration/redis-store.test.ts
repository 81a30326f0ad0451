// grantline/redis against a real redis-server (test/support/redis-server.ts): the TokenStore contract, the lock,
// encryption, key rotation, tampering, the plaintext opt-out, and what the store leaves in Redis.

import { createCipheriv, randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient } from 'redis'
import { redisTokenStore, STORE_ENTRY_REJECTED, type RedisTokenStoreEvent } from '../../src/redis/index.js'
import type { StoredToken, TokenStore } from '../../src/manager/store.js'
import { ClientError } from '../../src/index.js'
import { startRedisServer, type RedisServer } from '../support/redis-server.js'

const K1 = randomBytes(32)
const K2 = randomBytes(32)
const ACCESS = 'at-' + randomBytes(18).toString('base64url')
const REFRESH = 'rt-' + randomBytes(18).toString('base64url')
const ID_TOKEN = 'eyJ' + randomBytes(30).toString('base64url')

function token(overrides: Partial<StoredToken> = {}): StoredToken {
  const now = Date.now()
  return {
    response: {
      access_token: ACCESS,
      token_type: 'bearer',
      expires_in: 300,
      refresh_token: REFRESH,
      id_token: ID_TOKEN,
      scope: 'api:read',
    },
    obtainedAt: now,
    expiresAt: now + 300_000,
    claims: { sub: 'alice', iss: 'https://issuer.test' },
    jkt: 'thumbprint',
    ...overrides,
  }
}

const newClient = (url: string) => createClient({ url, disableOfflineQueue: true })
type Client = ReturnType<typeof newClient>
let redis: RedisServer
let client: Client
const clients: Client[] = []
let seq = 0
/** A fresh prefix per test, so tests never see each other's keys. */
const prefix = () => `t${++seq}:`

async function connect(): Promise<Client> {
  const c = newClient(redis.url)
  c.on('error', () => {})
  await c.connect()
  clients.push(c)
  return c
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
/** The same 32 bytes with one of the unused low bits of the last character set: decodes alike, not canonical. */
function nonCanonical(b64: string): string {
  return b64.slice(0, -1) + ALPHABET[ALPHABET.indexOf(b64.at(-1)!) | 1]
}

async function rejection(promise: Promise<unknown>) {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(ClientError)
  return err as ClientError & { reason: string }
}

beforeAll(async () => {
  redis = await startRedisServer()
  client = await connect()
})

afterAll(async () => {
  for (const c of clients) if (c.isOpen) await c.close()
  await redis?.close()
})

describe('redisTokenStore options', () => {
  it('refuses to store tokens without a key unless encryption is explicitly false', () => {
    for (const options of [undefined, {}, { encryption: undefined }, { prefix: 'x:' }]) {
      expect(() => redisTokenStore(client, options as never)).toThrow(
        expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }),
      )
    }
    expect(() => redisTokenStore(client, { encryption: false })).not.toThrow()
  })

  it('refuses keys that are not 32 bytes, not canonical base64url, repeated or missing', () => {
    const b64 = K1.toString('base64url')
    const bad = [
      { keys: [] },
      { keys: [{ id: 'a', key: randomBytes(31) }] },
      { keys: [{ id: 'a', key: randomBytes(33) }] },
      { keys: [{ id: 'a', key: b64 + '=' }] },
      { keys: [{ id: 'a', key: nonCanonical(b64) }] }, // same bytes, a padding bit set
      { keys: [{ id: 'a', key: K1.toString('base64') + 'x' }] },
      { keys: [{ id: '', key: K1 }] },
      { keys: [{ id: 'has space', key: K1 }] },
      {
        keys: [
          { id: 'a', key: K1 },
          { id: 'a', key: K2 },
        ],
      },
    ]
    for (const encryption of bad) {
      expect(() => redisTokenStore(client, { encryption } as never), JSON.stringify(encryption)).toThrow(
        expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' }),
      )
    }
    for (const encryption of [
      { keys: 'k' },
      { keys: [{ id: 1, key: K1 }] },
      { keys: [{ id: 'a', key: 42 }] },
    ]) {
      expect(() => redisTokenStore(client, { encryption } as never)).toThrow(
        expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }),
      )
    }
    expect(() => redisTokenStore(client, { encryption: { keys: [{ id: 'a', key: b64 }] } })).not.toThrow()
  })

  it('refuses something that is not a node-redis client, and bad options, before any command', () => {
    for (const notAClient of [undefined, null, {}, { get: () => null }]) {
      expect(() => redisTokenStore(notAClient as never, { encryption: false })).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
      )
    }
    expect(() => redisTokenStore(client, { encryption: false, prefix: 1 as never })).toThrow(TypeError)
    expect(() => redisTokenStore(client, { encryption: false, commandTimeout: -1 })).toThrow(TypeError)
    expect(() => redisTokenStore(client, { encryption: false, onEvent: 'x' as never })).toThrow(TypeError)
    // Without duplicate() there is no notification connection: fine only when notifications are off.
    const bare = { sendCommand: client.sendCommand.bind(client) }
    expect(() => redisTokenStore(bare, { encryption: false })).toThrow(TypeError)
    expect(redisTokenStore(bare, { encryption: false, notifications: false }).waitForChange).toBeUndefined()
  })
})

describe('entries', () => {
  it('round-trips a token under <prefix><key> with a time to live, and deletes it', async () => {
    const p = prefix()
    const store = redisTokenStore(client, { prefix: p, encryption: { keys: [{ id: 'k1', key: K1 }] } })
    const value = token()
    expect(await store.get('key-a')).toBeUndefined()
    await store.set('key-a', value, 60_000)
    expect(await store.get('key-a')).toEqual(value)
    const ttl = await client.pTTL(`${p}key-a`)
    expect(ttl).toBeGreaterThan(0)
    expect(ttl).toBeLessThanOrEqual(60_000)
    expect(await store.get('key-b')).toBeUndefined()
    await store.delete('key-a')
    expect(await store.get('key-a')).toBeUndefined()
    expect(await client.exists(`${p}key-a`)).toBe(0)
  })

  it('refuses a key that could reach a lock or another prefix', async () => {
    const store = redisTokenStore(client, { prefix: prefix(), encryption: false })
    const lock = await store.acquire('k', 10_000)
    for (const call of [
      () => store.get('lock:k'),
      () => store.set('lock:k', token(), 1_000),
      () => store.delete('lock:k'),
      () => store.acquire('x:y', 1_000),
      () => store.get(''),
    ]) {
      await expect(call()).rejects.toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }))
    }
    expect(await store.acquire('k', 10_000)).toBeUndefined() // the lock is untouched
    await lock!.release()
  })

  it('lets an entry expire with its time to live', async () => {
    const store = redisTokenStore(client, { prefix: prefix(), encryption: { keys: [{ id: 'k1', key: K1 }] } })
    // A second to live: long enough that a stalled machine still reads it back, short enough to wait out.
    await store.set('short', token(), 1_000)
    expect(await store.get('short')).toBeDefined()
    await new Promise((resolve) => setTimeout(resolve, 1_200))
    expect(await store.get('short')).toBeUndefined()
  })

  it('seals with AES-256-GCM: nothing in Redis holds a token, a claim or the key in clear', async () => {
    const p = prefix()
    const store = redisTokenStore(client, { prefix: p, encryption: { keys: [{ id: 'k1', key: K1 }] } })
    await store.set('one', token(), 60_000)
    await store.set('two', token(), 60_000)
    const lock = await store.acquire('one', 5_000)
    expect(lock).toBeDefined()
    const dump: string[] = []
    for await (const keys of client.scanIterator({ MATCH: `${p}*` })) {
      for (const key of keys) dump.push(key, (await client.get(key)) ?? '')
    }
    expect(dump.length).toBe(6)
    const all = dump.join('\n')
    for (const secret of [
      ACCESS,
      REFRESH,
      ID_TOKEN,
      'alice',
      'api:read',
      K1.toString('base64url'),
      K1.toString('hex'),
    ])
      expect(all).not.toContain(secret)
    const envelope = JSON.parse((await client.get(`${p}one`))!)
    expect(Object.keys(envelope).sort()).toEqual(['ct', 'iv', 'kid', 'v'])
    expect(envelope.kid).toBe('k1')
    // A fresh nonce per write: the same token sealed twice gives two different ciphertexts.
    expect(envelope.ct).not.toBe(JSON.parse((await client.get(`${p}two`))!).ct)
    await lock!.release()
  })

  it('rotates keys by id: the first key seals, every listed key opens', async () => {
    const p = prefix()
    const old = redisTokenStore(client, { prefix: p, encryption: { keys: [{ id: 'k1', key: K1 }] } })
    const rotated = redisTokenStore(client, {
      prefix: p,
      encryption: {
        keys: [
          { id: 'k2', key: K2.toString('base64url') },
          { id: 'k1', key: K1 },
        ],
      },
    })
    const value = token()
    await old.set('rot', value, 60_000)
    expect(await rotated.get('rot')).toEqual(value)
    await rotated.set('rot', value, 60_000)
    expect(JSON.parse((await client.get(`${p}rot`))!).kid).toBe('k2')
    expect(await rotated.get('rot')).toEqual(value)
    // A store that does not know k2 cannot read it: a rejected entry, never a crash or a token.
    const events: RedisTokenStoreEvent[] = []
    const stale = redisTokenStore(client, {
      prefix: p,
      encryption: { keys: [{ id: 'k1', key: K1 }] },
      onEvent: (e) => events.push(e),
    })
    const err = await rejection(stale.get('rot'))
    expect(err.code).toBe(STORE_ENTRY_REJECTED)
    expect(err.reason).toBe('unknown_key_id')
    expect(events).toEqual([{ type: 'entry_rejected', key: 'rot', reason: 'unknown_key_id' }])
  })

  describe('an entry that was changed is never served', () => {
    const keys = {
      keys: [
        { id: 'k1', key: K1 },
        { id: 'k2', key: K2 },
      ],
    }

    async function tamper(change: (envelope: Record<string, string | number>, raw: string) => string) {
      const p = prefix()
      const events: RedisTokenStoreEvent[] = []
      const store = redisTokenStore(client, { prefix: p, encryption: keys, onEvent: (e) => events.push(e) })
      await store.set('victim', token(), 60_000)
      const raw = (await client.get(`${p}victim`))!
      await client.set(`${p}victim`, change(JSON.parse(raw), raw))
      const err = await rejection(store.get('victim'))
      expect(err.code).toBe(STORE_ENTRY_REJECTED)
      expect(String(err)).not.toContain(ACCESS)
      expect(events).toEqual([{ type: 'entry_rejected', key: 'victim', reason: err.reason }])
      // Tampered entries are gone, so the next reader sees a plain miss; one sealed under a key id this store
      // lacks may be another instance's (a rotation rolling out) and stays.
      expect(await client.exists(`${p}victim`)).toBe(err.reason === 'unknown_key_id' ? 1 : 0)
      // The manager's next set replaces it.
      await store.set('victim', token(), 60_000)
      expect(await store.get('victim')).toEqual(expect.objectContaining({ response: expect.anything() }))
      return err.reason
    }
    const flip = (b64: string, at: number) => {
      const bytes = Buffer.from(b64, 'base64url')
      bytes[at < 0 ? bytes.length + at : at]! ^= 0x01
      return bytes.toString('base64url')
    }

    it('a flipped ciphertext bit', async () => {
      expect(await tamper((e) => JSON.stringify({ ...e, ct: flip(String(e.ct), 3) }))).toBe(
        'authentication_failed',
      )
    })
    it('a flipped authentication tag bit', async () => {
      expect(await tamper((e) => JSON.stringify({ ...e, ct: flip(String(e.ct), -1) }))).toBe(
        'authentication_failed',
      )
    })
    it('a flipped nonce bit', async () => {
      expect(await tamper((e) => JSON.stringify({ ...e, iv: flip(String(e.iv), 0) }))).toBe(
        'authentication_failed',
      )
    })
    it('a key id swapped for another known key', async () => {
      expect(await tamper((e) => JSON.stringify({ ...e, kid: 'k2' }))).toBe('authentication_failed')
    })
    it('an unknown key id', async () => {
      expect(await tamper((e) => JSON.stringify({ ...e, kid: 'k9' }))).toBe('unknown_key_id')
    })
    it('a truncated body, a missing member, another version, broken JSON, non-base64url', async () => {
      expect(await tamper((e) => JSON.stringify({ ...e, ct: String(e.ct).slice(0, 10) }))).toBe('malformed')
      expect(await tamper((e) => JSON.stringify({ v: e.v, kid: e.kid, ct: e.ct }))).toBe('malformed')
      expect(await tamper((e) => JSON.stringify({ ...e, v: 2 }))).toBe('malformed')
      expect(await tamper((_e, raw) => raw.slice(0, -2))).toBe('malformed')
      expect(await tamper((e) => JSON.stringify({ ...e, iv: '!!!!!!!!!!!!!!!!' }))).toBe('malformed')
      expect(await tamper(() => 'null')).toBe('malformed')
    })
    it('a plaintext entry planted by someone without the key', async () => {
      const planted = { v: 1, plain: token({ response: { access_token: 'attacker', token_type: 'bearer' } }) }
      expect(await tamper(() => JSON.stringify(planted))).toBe('not_encrypted')
    })
    it('a sealed entry moved to another key (the Redis key is associated data)', async () => {
      const p = prefix()
      const events: RedisTokenStoreEvent[] = []
      const store = redisTokenStore(client, { prefix: p, encryption: keys, onEvent: (e) => events.push(e) })
      await store.set('alice-token', token(), 60_000)
      await client.copy(`${p}alice-token`, `${p}mallory-key`)
      expect(await store.get('alice-token')).toBeDefined()
      expect((await rejection(store.get('mallory-key'))).reason).toBe('authentication_failed')
    })
    it('a value sealed with the right key that is not a token entry', async () => {
      const p = prefix()
      const store = redisTokenStore(client, { prefix: p, encryption: keys })
      for (const inner of [
        'not json',
        '{"response":{"access_token":""},"obtainedAt":1,"expiresAt":2}',
        '[]',
      ]) {
        const iv = randomBytes(12)
        const cipher = createCipheriv('aes-256-gcm', K1, iv)
        cipher.setAAD(Buffer.from(`${p}odd`))
        const ct = Buffer.concat([cipher.update(inner), cipher.final(), cipher.getAuthTag()])
        await client.set(
          `${p}odd`,
          JSON.stringify({ v: 1, kid: 'k1', iv: iv.toString('base64url'), ct: ct.toString('base64url') }),
        )
        expect((await rejection(store.get('odd'))).reason).toBe('malformed')
      }
    })
  })

  it('with encryption: false, stores the JSON in clear and refuses sealed entries it cannot open', async () => {
    const p = prefix()
    const events: RedisTokenStoreEvent[] = []
    const plain = redisTokenStore(client, { prefix: p, encryption: false, onEvent: (e) => events.push(e) })
    const value = token()
    await plain.set('clear', value, 60_000)
    expect(await client.get(`${p}clear`)).toContain(ACCESS)
    expect(await plain.get('clear')).toEqual(value)
    const sealed = redisTokenStore(client, { prefix: p, encryption: { keys: [{ id: 'k1', key: K1 }] } })
    await sealed.set('sealed', value, 60_000)
    expect((await rejection(plain.get('sealed'))).reason).toBe('encrypted')
    expect(await sealed.get('sealed')).toEqual(value) // left for the instances that can read it
    expect((await rejection(sealed.get('clear'))).reason).toBe('not_encrypted')
    expect(await client.exists(`${p}clear`)).toBe(0) // never trusted, removed
  })
})

describe('refresh locks', () => {
  const store = () => redisTokenStore(client, { prefix: prefix(), encryption: false })

  it('one owner at a time, among many concurrent acquirers and separate connections', async () => {
    const p = prefix()
    const others = await Promise.all([connect(), connect()])
    const stores = [client, ...others].map((c) => redisTokenStore(c, { prefix: p, encryption: false }))
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => stores[i % 3]!.acquire('k', 10_000)),
    )
    const winners = results.filter((lock) => lock !== undefined)
    expect(winners).toHaveLength(1)
    expect(await client.get(`${p}lock:k`)).toBe(winners[0]!.owner)
    const pttl = await client.pTTL(`${p}lock:k`)
    expect(pttl).toBeGreaterThan(0)
    expect(pttl).toBeLessThanOrEqual(10_000)
    // Another key has its own lock.
    expect(await stores[1]!.acquire('other', 10_000)).toBeDefined()
    await winners[0]!.release()
    expect(await client.exists(`${p}lock:k`)).toBe(0)
    const next = await stores[2]!.acquire('k', 10_000)
    expect(next).toBeDefined()
    expect(next!.owner).not.toBe(winners[0]!.owner)
  })

  it('a lease runs out; the old owner then cannot release the new owner’s lock', async () => {
    const s = store()
    const first = await s.acquire('lease', 1_000)
    expect(first).toBeDefined()
    expect(await s.acquire('lease', 10_000)).toBeUndefined()
    await new Promise((resolve) => setTimeout(resolve, 1_200))
    const second = await s.acquire('lease', 10_000)
    expect(second).toBeDefined()
    await first!.release() // late: a no-op
    expect(await s.acquire('lease', 10_000)).toBeUndefined()
    await second!.release()
    expect(await s.acquire('lease', 10_000)).toBeDefined()
  })

  it('each acquisition has its own random owner', async () => {
    const s = store()
    const owners = new Set<string>()
    for (let i = 0; i < 20; i++) {
      const lock = await s.acquire('owner', 10_000)
      owners.add(lock!.owner)
      expect(lock!.owner).toMatch(/^[A-Za-z0-9_-]{22}$/)
      await lock!.release()
    }
    expect(owners.size).toBe(20)
  })
})

/** An onEvent that resolves `done` at the store's `subscribed` event. */
function subscribedEvent() {
  let onEvent!: (event: RedisTokenStoreEvent) => void
  const done = new Promise<void>((resolve) => {
    onEvent = (event) => {
      if (event.type === 'subscribed') resolve()
    }
  })
  return { onEvent, done }
}

describe('waitForChange and close', () => {
  const outcome = (wait: Promise<void>, ms: number) =>
    Promise.race([wait.then(() => 'changed'), new Promise((r) => setTimeout(() => r('still waiting'), ms))])

  it('wakes on a set, delete or lock release by another connection; times out otherwise', async () => {
    const p = prefix()
    const listening = subscribedEvent()
    const waiting = redisTokenStore(client, { prefix: p, encryption: false, onEvent: listening.onEvent })
    const writer = redisTokenStore(await connect(), { prefix: p, encryption: false })
    const lock = await writer.acquire('w', 10_000)
    expect(await waiting.acquire('w', 10_000)).toBeUndefined() // a loser: the store prepares to listen
    await listening.done // (its first waiters re-read once it listens)
    expect(await waiting.get('w')).toBeUndefined()

    let wait = waiting.waitForChange!('w', 20_000)
    expect(await outcome(wait, 300)).toBe('still waiting')
    await writer.set('w', token(), 60_000)
    expect(await outcome(wait, 5_000)).toBe('changed')

    expect(await waiting.get('w')).toBeDefined()
    wait = waiting.waitForChange!('w', 20_000)
    await writer.set('unrelated', token(), 60_000)
    expect(await outcome(wait, 300)).toBe('still waiting')
    await lock!.release()
    expect(await outcome(wait, 5_000)).toBe('changed')

    await waiting.get('w')
    wait = waiting.waitForChange!('w', 20_000)
    await writer.delete('w')
    expect(await outcome(wait, 5_000)).toBe('changed')

    await waiting.get('w')
    expect(await outcome(waiting.waitForChange!('w', 100), 5_000)).toBe('changed') // its own timeout
    await waiting.close!()
    await writer.close!()
  })

  it('publishes each change on <prefix>changed, unless notifications are off', async () => {
    const p = prefix()
    const listener = await connect()
    const heard: string[] = []
    const sub = listener.duplicate()
    sub.on('error', () => {})
    await sub.connect()
    await sub.subscribe(`${p}changed`, (message) => heard.push(message))
    const quiet = redisTokenStore(client, { prefix: p, encryption: false, notifications: false })
    await quiet.set('q', token(), 60_000)
    expect(await quiet.get('q')).toBeDefined()
    await (await quiet.acquire('q', 10_000))!.release()
    await quiet.delete('q')
    expect(await quiet.get('q')).toBeUndefined()
    const loud = redisTokenStore(client, { prefix: p, encryption: false })
    await loud.set('l', token(), 60_000)
    await (await loud.acquire('l', 10_000))!.release()
    await loud.delete('l')
    for (let i = 0; i < 40 && heard.length < 3; i++) await new Promise((r) => setTimeout(r, 25))
    expect(heard).toEqual(['l', 'l', 'l'])
    await sub.close()
    await loud.close!()
  })

  it('a change between the read and the wait is not missed', async () => {
    const p = prefix()
    const listening = subscribedEvent()
    const waiting = redisTokenStore(client, { prefix: p, encryption: false, onEvent: listening.onEvent })
    const writer = redisTokenStore(await connect(), { prefix: p, encryption: false })
    // Subscribe first (a wait that times out at once), as the store does when a lock is taken by another.
    await waiting.waitForChange!('gap', 1)
    await listening.done
    expect(await waiting.get('gap')).toBeUndefined()
    await writer.set('gap', token(), 60_000)
    await new Promise((resolve) => setTimeout(resolve, 100)) // the notification arrives before the wait starts
    expect(await outcome(waiting.waitForChange!('gap', 20_000), 2_000)).toBe('changed')
    await waiting.close!()
  })

  it('close() ends the one connection the store opened, wakes its waiters, and leaves the client open', async () => {
    const own = await connect()
    const connections = async () => (await client.clientList()).length
    const before = await connections()
    const listening = subscribedEvent()
    const store = redisTokenStore(own, { prefix: prefix(), encryption: false, onEvent: listening.onEvent })
    await store.waitForChange!('c', 1)
    await listening.done
    expect(await connections()).toBe(before + 1)
    const pending = store.waitForChange!('c', 60_000)
    await store.close!()
    expect(await outcome(pending, 2_000)).toBe('changed')
    // Redis drops the connection right after the QUIT the client sent; give it a moment.
    for (let i = 0; i < 40 && (await connections()) > before; i++) await new Promise((r) => setTimeout(r, 25))
    expect(await connections()).toBe(before)
    expect(own.isOpen).toBe(true)
    expect(await own.ping()).toBe('PONG')
    await store.set('after-close', token(), 1_000) // the client is still the store's to use
  })

  it('the store object prints no key material', async () => {
    const { inspect } = await import('node:util')
    const store = redisTokenStore(client, { encryption: { keys: [{ id: 'k1', key: K1 }] } })
    const printed = inspect(store, { depth: 10, showHidden: true }) + JSON.stringify(store)
    expect(printed).not.toContain(K1.toString('base64url'))
    expect(printed).not.toContain(K1.toString('hex'))
  })
})

// Last in the file: it stops the file's Redis.
describe('Redis away', () => {
  it('a command never hangs: it fails at once without the offline queue, after commandTimeout with it', async () => {
    const queued = createClient({ url: redis.url }) // node-redis defaults: commands queue while disconnected
    queued.on('error', () => {})
    await queued.connect()
    clients.push(queued)
    const failFast = await connect()
    const withQueue = redisTokenStore(queued, { encryption: false, commandTimeout: 200 })
    const without = redisTokenStore(failFast, { encryption: false })
    const down = Promise.all([queued, failFast].map((c) => new Promise((r) => c.once('error', r))))
    await redis.stop()
    await down
    const settle = (p: Promise<unknown>) =>
      Promise.race([
        p.then(
          () => 'resolved',
          (e: Error) => e.constructor.name,
        ),
        new Promise((r) => setTimeout(() => r('still pending'), 5_000)),
      ])
    expect(await settle(without.get('k'))).toBe('ClientOfflineError')
    expect(await settle(withQueue.get('k'))).toBe('TimeoutError')
    expect(await settle(withQueue.acquire('k', 1_000))).toBe('TimeoutError')
    await redis.restart()
  })
})

// Type check: a client from createClient() is accepted as it is (no cast).
export const typed: (c: Client) => TokenStore = (c) => redisTokenStore(c, { encryption: false })
