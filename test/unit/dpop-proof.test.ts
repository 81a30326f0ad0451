// DPoP proofs at their boundaries (RFC 9449 §4.2, §4.3, §8): the exact iat under a faked clock and the clock
// skew, htu for ports, paths and string URLs, ath for an empty token, the nonce a string URL caches, the key
// generation parameters per algorithm, and which errors the single nonce retry reacts to.
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  ClientError,
  Configuration,
  ResponseBodyError,
  clockSkew,
  getDPoPHandle,
  randomDPoPKeyPair,
} from '../../src/index.js'
import type { DPoPProofHandle } from '../../src/types.js'
import { isDPoPNonceError, withDPoPNonceRetry } from '../../src/dpop/retry.js'
import { expectStatus } from '../../src/http/status.js'
import { rejection } from '../support/expect.js'

const NOW = 1_800_000_000
const config = new Configuration({ issuer: 'https://as.example.test' }, 'client')

const handleFor = async (cfg = config) =>
  getDPoPHandle(cfg, await randomDPoPKeyPair()) as unknown as DPoPProofHandle

async function proof(handle: DPoPProofHandle, url: URL | string, htm = 'POST', accessToken?: string) {
  const headers = new Headers()
  await handle.addProof(url as URL, headers, htm, accessToken)
  const [h, p] = headers.get('dpop')!.split('.')
  return {
    header: JSON.parse(Buffer.from(h!, 'base64url').toString()) as Record<string, unknown>,
    payload: JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>,
  }
}

afterEach(() => {
  vi.useRealTimers()
})

describe('proof claims', () => {
  it('iat is now in whole seconds, rounded down', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(NOW * 1000 + 999)
    expect((await proof(await handleFor(), new URL('https://as.example.test/token'))).payload['iat']).toBe(
      NOW,
    )
  })

  it('iat follows the configuration clock skew, both ways', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(NOW * 1000)
    for (const skew of [42, -42]) {
      const skewed = new Configuration({ issuer: 'https://as.example.test' }, 'client', { [clockSkew]: skew })
      const { payload } = await proof(await handleFor(skewed), new URL('https://as.example.test/token'))
      expect(payload['iat']).toBe(NOW + skew)
    }
  })

  it('htu is origin and path: a non-default port stays, the default port, query and fragment go', async () => {
    const handle = await handleFor()
    const cases: Array<[string, string]> = [
      ['https://as.example.test:8443/a/b?c=d#e', 'https://as.example.test:8443/a/b'],
      ['https://as.example.test:443/token', 'https://as.example.test/token'],
      ['https://AS.Example.test/Token/', 'https://as.example.test/Token/'],
      ['https://as.example.test', 'https://as.example.test/'],
      ['http://127.0.0.1:3000/x', 'http://127.0.0.1:3000/x'],
    ]
    for (const [url, htu] of cases) {
      expect((await proof(handle, new URL(url))).payload['htu']).toBe(htu)
      // A string URL is read the same way.
      expect((await proof(handle, url)).payload['htu']).toBe(htu)
    }
  })

  it('htm is the method as given', async () => {
    const handle = await handleFor()
    for (const htm of ['GET', 'POST', 'PATCH', 'get']) {
      expect((await proof(handle, 'https://rs.example.test/', htm)).payload['htm']).toBe(htm)
    }
  })

  it('ath is there for any access token, the empty one included, and only then', async () => {
    const handle = await handleFor()
    // base64url(SHA-256("")) and of "at".
    const empty = Buffer.from(await crypto.subtle.digest('SHA-256', new Uint8Array())).toString('base64url')
    const at = Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode('at'))).toString(
      'base64url',
    )
    expect(empty).toBe('47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU')
    expect((await proof(handle, 'https://rs.example.test/', 'GET', '')).payload['ath']).toBe(empty)
    expect((await proof(handle, 'https://rs.example.test/', 'GET', 'at')).payload['ath']).toBe(at)
    expect('ath' in (await proof(handle, 'https://rs.example.test/', 'GET')).payload).toBe(false)
  })

  it('a nonce cached through a string URL is sent to that origin only', async () => {
    const handle = await handleFor()
    handle.cacheNonce(
      new Response(null, { headers: { 'dpop-nonce': 'n-str' } }),
      // The handle's own signature takes a string too (openid-client's does).
      'https://as.example.test/token?x' as unknown as URL,
    )
    expect((await proof(handle, 'https://as.example.test/other')).payload['nonce']).toBe('n-str')
    expect((await proof(handle, 'https://as.example.test:444/other')).payload['nonce']).toBeUndefined()
    expect((await proof(handle, 'http://as.example.test/other')).payload['nonce']).toBeUndefined()
  })

  it('the thumbprint is stable across calls and proofs', async () => {
    const handle = (await handleFor()) as unknown as DPoPProofHandle & {
      calculateThumbprint(): Promise<string>
    }
    const first = await handle.calculateThumbprint()
    await proof(handle, 'https://as.example.test/')
    expect(await handle.calculateThumbprint()).toBe(first)
    expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })
})

describe('randomDPoPKeyPair parameters per algorithm', () => {
  it('the curve and hash follow the algorithm', async () => {
    const cases: Array<[string, Record<string, unknown>]> = [
      ['ES256', { name: 'ECDSA', namedCurve: 'P-256' }],
      ['ES384', { name: 'ECDSA', namedCurve: 'P-384' }],
      ['ES512', { name: 'ECDSA', namedCurve: 'P-521' }],
      ['PS384', { name: 'RSA-PSS', hash: { name: 'SHA-384' }, modulusLength: 2048 }],
      ['RS512', { name: 'RSASSA-PKCS1-v1_5', hash: { name: 'SHA-512' }, modulusLength: 2048 }],
      ['EdDSA', { name: 'Ed25519' }],
    ]
    for (const [alg, algorithm] of cases) {
      const { privateKey, publicKey } = await randomDPoPKeyPair(alg)
      expect(privateKey.algorithm).toMatchObject(algorithm)
      if (algorithm['name'] !== 'ECDSA' && algorithm['name'] !== 'Ed25519') {
        expect(new Uint8Array((publicKey.algorithm as RsaHashedKeyAlgorithm).publicExponent)).toEqual(
          new Uint8Array([1, 0, 1]),
        )
      }
    }
  })

  it('names that only look like an algorithm are unsupported', async () => {
    for (const alg of ['XS256', 'PS257', 'RS', 'ES256K', 'es256', 'Ed448', 'ML-DSA-99', 'PS256 ']) {
      const err = await rejection(randomDPoPKeyPair(alg))
      expect(err).toBeInstanceOf(ClientError)
      expect(err.code).toBe('OAUTH_UNSUPPORTED_OPERATION')
      expect(err.message).toBe('unsupported operation')
    }
  })

  it('ML-DSA is asked of the runtime: a key pair where it has them, its own refusal where not', async () => {
    for (const alg of ['ML-DSA-44', 'ML-DSA-65', 'ML-DSA-87']) {
      const outcome = await randomDPoPKeyPair(alg).then(
        (pair) => pair.privateKey.algorithm.name,
        (err: ClientError) => err.message,
      )
      // Never grantline's own "unsupported operation": the algorithm is one it knows.
      expect([alg, 'runtime unsupported operation']).toContain(outcome)
    }
  })

  it('modulusLength: an integer of at least 2048', async () => {
    for (const modulusLength of [2047, 2048.5, -4096, NaN, Infinity]) {
      const err = await rejection(randomDPoPKeyPair('RS256', { modulusLength }))
      expect(err).toBeInstanceOf(TypeError)
      expect(err.code).toBe('ERR_INVALID_ARG_VALUE')
      expect(err.message).toBe('"options.modulusLength" must be an integer of at least 2048')
    }
  })

  it('argument messages', async () => {
    const cases: Array<[() => Promise<unknown>, string, string]> = [
      [() => randomDPoPKeyPair(1 as never), 'ERR_INVALID_ARG_TYPE', '"alg" must be a string'],
      [
        () => randomDPoPKeyPair('ES256', null as never),
        'ERR_INVALID_ARG_TYPE',
        '"options" must be an object',
      ],
      [() => randomDPoPKeyPair('ES256', 'x' as never), 'ERR_INVALID_ARG_TYPE', '"options" must be an object'],
      [
        () => randomDPoPKeyPair('ES256', { extractable: 1 as never }),
        'ERR_INVALID_ARG_TYPE',
        '"options.extractable" must be a boolean',
      ],
      [
        () => randomDPoPKeyPair('RS256', { modulusLength: '4096' as never }),
        'ERR_INVALID_ARG_TYPE',
        '"options.modulusLength" must be a number',
      ],
    ]
    for (const [call, code, message] of cases) {
      const err = await rejection(call())
      expect(err).toBeInstanceOf(TypeError)
      expect(err.code).toBe(code)
      expect(err.message).toBe(message)
    }
  })

  it('options may be undefined or empty: ES256, not extractable', async () => {
    for (const options of [undefined, {}]) {
      const { privateKey } = await randomDPoPKeyPair(undefined, options)
      expect(privateKey.algorithm).toMatchObject({ name: 'ECDSA', namedCurve: 'P-256' })
      expect(privateKey.extractable).toBe(false)
    }
  })
})

describe('getDPoPHandle argument messages', () => {
  it('names the key that is wrong', async () => {
    const pair = await randomDPoPKeyPair()
    const cases: Array<[unknown, string, string]> = [
      ['pair', 'ERR_INVALID_ARG_TYPE', '"keyPair" must be a CryptoKeyPair'],
      [
        { privateKey: pair.privateKey, publicKey: 'k' },
        'ERR_INVALID_ARG_TYPE',
        '"keyPair.publicKey" must be a CryptoKey',
      ],
      [
        { privateKey: pair.privateKey, publicKey: pair.privateKey },
        'ERR_INVALID_ARG_VALUE',
        '"keyPair.publicKey" must be a public CryptoKey',
      ],
    ]
    for (const [keyPair, code, message] of cases) {
      try {
        getDPoPHandle(config, keyPair as CryptoKeyPair)
        expect.unreachable()
      } catch (err) {
        expect(err).toBeInstanceOf(TypeError)
        expect((err as { code: string }).code).toBe(code)
        expect((err as Error).message).toBe(message)
      }
    }
  })
})

describe('which errors the nonce retry reacts to (RFC 9449 §8, §9)', () => {
  const challenge = (header: string, status = 401) =>
    rejection(expectStatus(new Response(null, { status, headers: { 'www-authenticate': header } }), 200))
  const bodyError = (error: string) =>
    rejection(
      expectStatus(
        new Response(JSON.stringify({ error }), {
          status: 400,
          headers: { 'content-type': 'application/json' },
        }),
        200,
      ),
    )

  it('use_dpop_nonce in an OAuth error body, or in a DPoP challenge among others', async () => {
    expect(isDPoPNonceError(await bodyError('use_dpop_nonce'))).toBe(true)
    expect(isDPoPNonceError(await challenge('DPoP error="use_dpop_nonce"'))).toBe(true)
    expect(isDPoPNonceError(await challenge('Bearer realm="x", DPoP error="use_dpop_nonce"'))).toBe(true)
  })

  it('not another error, not another scheme, not anything else', async () => {
    expect(isDPoPNonceError(await bodyError('invalid_dpop_proof'))).toBe(false)
    expect(isDPoPNonceError(await challenge('DPoP error="invalid_token"'))).toBe(false)
    expect(isDPoPNonceError(await challenge('Bearer error="use_dpop_nonce"'))).toBe(false)
    expect(isDPoPNonceError(await challenge('DPoP algs="ES256"'))).toBe(false)
    expect(isDPoPNonceError(new Error('use_dpop_nonce'))).toBe(false)
    expect(isDPoPNonceError(Object.assign(new Error('x'), { error: 'use_dpop_nonce' }))).toBe(false)
    expect(isDPoPNonceError(undefined)).toBe(false)
  })

  it('withDPoPNonceRetry: once more on a nonce error with a handle; never without one or on other errors', async () => {
    const nonce = await bodyError('use_dpop_nonce')
    const other = await bodyError('invalid_grant')
    expect(nonce).toBeInstanceOf(ResponseBodyError)
    const handle = (await handleFor()) as never
    const run = async (dpop: never, errors: unknown[]) => {
      let calls = 0
      const outcome = await withDPoPNonceRetry(dpop, async () => {
        const err = errors[calls++]
        if (err !== undefined) throw err
        return 'ok'
      }).catch((err: unknown) => err)
      return { outcome, calls }
    }
    expect(await run(handle, [nonce])).toEqual({ outcome: 'ok', calls: 2 })
    expect(await run(handle, [nonce, nonce])).toEqual({ outcome: nonce, calls: 2 })
    expect(await run(handle, [other])).toEqual({ outcome: other, calls: 1 })
    expect(await run(undefined as never, [nonce])).toEqual({ outcome: nonce, calls: 1 })
    expect(await run(handle, [])).toEqual({ outcome: 'ok', calls: 1 })
  })
})
