import { describe, expect, it } from 'vitest'
import { calculateJwkThumbprint, compactVerify, decodeProtectedHeader, type JWK } from 'jose'
import {
  ClientError,
  Configuration,
  clockSkew,
  getDPoPHandle as publicGetDPoPHandle,
  modifyAssertion,
  randomDPoPKeyPair,
} from '../../src/index.js'
import { isValidNonce, MAX_NONCE_LENGTH, NonceCache } from '../../src/dpop/nonce-cache.js'
import type { DPoPProofHandle } from '../../src/types.js'
import { expectTypeError } from '../support/expect.js'

/** Handles are driven here as the pipeline drives them, through addProof and cacheNonce (not public types). */
const getDPoPHandle = (...args: Parameters<typeof publicGetDPoPHandle>) =>
  publicGetDPoPHandle(...args) as DPoPProofHandle

const config = new Configuration({ issuer: 'https://as.example' }, 'client')
const TOKEN_URL = new URL('https://as.example/token?x=1#frag')

interface Proof {
  header: Record<string, unknown>
  payload: Record<string, unknown>
  jws: string
}

async function proofFor(
  handle: ReturnType<typeof getDPoPHandle>,
  url: URL | string = TOKEN_URL,
  accessToken?: string,
  htm = 'POST',
): Promise<Proof> {
  const headers = new Headers()
  await handle.addProof(typeof url === 'string' ? new URL(url) : url, headers, htm, accessToken)
  const jws = headers.get('dpop')
  expect(jws).toBeTypeOf('string')
  const [h, p] = jws!.split('.')
  return {
    jws: jws!,
    header: JSON.parse(Buffer.from(h!, 'base64url').toString()),
    payload: JSON.parse(Buffer.from(p!, 'base64url').toString()),
  }
}

function withNonce(nonce: string | undefined): Response {
  return new Response(null, { status: 400, headers: nonce === undefined ? {} : { 'DPoP-Nonce': nonce } })
}

describe('randomDPoPKeyPair', () => {
  it.each([
    ['ES256', 'ECDSA'],
    ['ES384', 'ECDSA'],
    ['ES512', 'ECDSA'],
    ['PS256', 'RSA-PSS'],
    ['PS384', 'RSA-PSS'],
    ['PS512', 'RSA-PSS'],
    ['RS256', 'RSASSA-PKCS1-v1_5'],
    ['RS384', 'RSASSA-PKCS1-v1_5'],
    ['RS512', 'RSASSA-PKCS1-v1_5'],
    ['Ed25519', 'Ed25519'],
  ])('%s gives a %s sign/verify pair whose proofs carry that alg', async (alg, name) => {
    const keyPair = await randomDPoPKeyPair(alg)
    expect(keyPair.privateKey.algorithm.name).toBe(name)
    expect(keyPair.privateKey.extractable).toBe(false)
    expect(keyPair.publicKey.extractable).toBe(true)
    expect(keyPair.privateKey.usages).toEqual(['sign'])
    expect(keyPair.publicKey.usages).toEqual(['verify'])
    const proof = await proofFor(getDPoPHandle(config, keyPair))
    expect(proof.header['alg']).toBe(alg)
    await expect(compactVerify(proof.jws, keyPair.publicKey)).resolves.toBeTruthy()
  })

  it('defaults to ES256 with P-256', async () => {
    const { privateKey } = await randomDPoPKeyPair()
    expect(privateKey.algorithm).toMatchObject({ name: 'ECDSA', namedCurve: 'P-256' })
  })

  it('honours extractable and modulusLength (DECISIONS D7)', async () => {
    const keyPair = await randomDPoPKeyPair('PS256', { extractable: true, modulusLength: 3072 })
    expect(keyPair.privateKey.extractable).toBe(true)
    expect((keyPair.privateKey.algorithm as RsaHashedKeyAlgorithm).modulusLength).toBe(3072)
    const rsa = await randomDPoPKeyPair('RS256')
    expect((rsa.privateKey.algorithm as RsaHashedKeyAlgorithm).modulusLength).toBe(2048)
  })

  it('refuses short RSA moduli and bad options before generating anything', async () => {
    await expect(randomDPoPKeyPair('RS256', { modulusLength: 1024 })).rejects.toMatchObject({
      name: 'TypeError',
      code: 'ERR_INVALID_ARG_VALUE',
    })
    await expect(randomDPoPKeyPair('RS256', { modulusLength: '4096' as never })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG_TYPE',
    })
    await expect(randomDPoPKeyPair('ES256', { extractable: 'yes' as never })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG_TYPE',
    })
    await expect(randomDPoPKeyPair(256 as never)).rejects.toBeInstanceOf(TypeError)
  })

  it('answers an unknown algorithm with ClientError OAUTH_UNSUPPORTED_OPERATION', async () => {
    for (const alg of ['HS256', 'none', 'ES256K', '']) {
      const err = await randomDPoPKeyPair(alg).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(ClientError)
      expect(err).toMatchObject({ message: 'unsupported operation', code: 'OAUTH_UNSUPPORTED_OPERATION' })
    }
  })
})

describe('getDPoPHandle key checks (contract §2.3.6)', () => {
  it('checks the configuration', async () => {
    const keyPair = await randomDPoPKeyPair()
    expectTypeError(() => getDPoPHandle({} as never, keyPair), 'ERR_INVALID_ARG_TYPE', /Configuration/)
  })

  it('refuses a private key that is not a CryptoKey, not private, or cannot sign', async () => {
    const keyPair = await randomDPoPKeyPair()
    expectTypeError(() => getDPoPHandle(config, null as never), 'ERR_INVALID_ARG_TYPE')
    expectTypeError(
      () => getDPoPHandle(config, { privateKey: 'pem' as never, publicKey: keyPair.publicKey }),
      'ERR_INVALID_ARG_TYPE',
      /"keyPair.privateKey" must be a CryptoKey/,
    )
    expectTypeError(
      () => getDPoPHandle(config, { privateKey: keyPair.publicKey, publicKey: keyPair.publicKey }),
      'ERR_INVALID_ARG_VALUE',
      /private CryptoKey/,
    )
    // An ECDH key pair: a private key whose usages are key agreement, not signing.
    const verifyOnly = (await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, [
      'deriveBits',
    ])) as CryptoKeyPair
    expectTypeError(
      () => getDPoPHandle(config, verifyOnly),
      'ERR_INVALID_ARG_VALUE',
      /usages must include "sign"/,
    )
  })

  it('refuses RSA keys under 2048 bits', async () => {
    const weak = (await crypto.subtle.generateKey(
      {
        name: 'RSASSA-PKCS1-v1_5',
        hash: 'SHA-256',
        modulusLength: 1024,
        publicExponent: new Uint8Array([1, 0, 1]),
      },
      false,
      ['sign', 'verify'],
    )) as CryptoKeyPair
    expectTypeError(() => getDPoPHandle(config, weak), 'ERR_INVALID_ARG_VALUE', /2048/)
  })

  it('refuses a public key that is private, not extractable, or of another algorithm', async () => {
    const keyPair = await randomDPoPKeyPair()
    expectTypeError(
      () => getDPoPHandle(config, { privateKey: keyPair.privateKey, publicKey: {} as never }),
      'ERR_INVALID_ARG_TYPE',
    )
    expectTypeError(
      () => getDPoPHandle(config, { privateKey: keyPair.privateKey, publicKey: keyPair.privateKey }),
      'ERR_INVALID_ARG_VALUE',
      /public CryptoKey/,
    )
    const jwk = await crypto.subtle.exportKey('jwk', keyPair.publicKey)
    const hidden = await crypto.subtle.importKey('jwk', jwk, { name: 'ECDSA', namedCurve: 'P-256' }, false, [
      'verify',
    ])
    expectTypeError(
      () => getDPoPHandle(config, { privateKey: keyPair.privateKey, publicKey: hidden }),
      'ERR_INVALID_ARG_VALUE',
      /extractable/,
    )
    const other = await randomDPoPKeyPair('ES384')
    expectTypeError(
      () => getDPoPHandle(config, { privateKey: keyPair.privateKey, publicKey: other.publicKey }),
      'ERR_INVALID_ARG_VALUE',
      /same algorithm/,
    )
  })

  it('checks the modifyAssertion hook', async () => {
    const keyPair = await randomDPoPKeyPair()
    expectTypeError(
      () => getDPoPHandle(config, keyPair, { [modifyAssertion]: 'x' as never }),
      'ERR_INVALID_ARG_TYPE',
    )
  })
})

describe('DPoP proofs (RFC 9449 §4.2)', () => {
  it('has the header typ, alg and public jwk only, and a verifiable signature', async () => {
    const keyPair = await randomDPoPKeyPair('ES256', { extractable: true })
    const proof = await proofFor(getDPoPHandle(config, keyPair))
    expect(Object.keys(proof.header)).toEqual(['alg', 'typ', 'jwk'])
    expect(proof.header).toMatchObject({ alg: 'ES256', typ: 'dpop+jwt' })
    const jwk = proof.header['jwk'] as Record<string, string>
    expect(Object.keys(jwk).sort()).toEqual(['crv', 'kty', 'x', 'y'])
    const privateJwk = await crypto.subtle.exportKey('jwk', keyPair.privateKey)
    expect(JSON.stringify(proof.header)).not.toContain(privateJwk.d!)
    const verified = await compactVerify(proof.jws, keyPair.publicKey)
    expect(decodeProtectedHeader(proof.jws)).toEqual(proof.header)
    expect(JSON.parse(new TextDecoder().decode(verified.payload))).toEqual(proof.payload)
  })

  it('RSA and Ed25519 proofs carry only the public members of their key type', async () => {
    const rsa = await proofFor(getDPoPHandle(config, await randomDPoPKeyPair('PS256', { extractable: true })))
    expect(Object.keys(rsa.header['jwk'] as object).sort()).toEqual(['e', 'kty', 'n'])
    const ed = await proofFor(
      getDPoPHandle(config, await randomDPoPKeyPair('Ed25519', { extractable: true })),
    )
    expect(Object.keys(ed.header['jwk'] as object).sort()).toEqual(['crv', 'kty', 'x'])
  })

  it('has iat, a fresh 32-byte jti, htm and htu without query or fragment; no ath, nonce or exp', async () => {
    const handle = getDPoPHandle(config, await randomDPoPKeyPair())
    const before = Math.floor(Date.now() / 1000)
    const first = await proofFor(handle)
    const second = await proofFor(handle, 'https://rs.example/api/items?q=1', undefined, 'GET')
    const after = Math.floor(Date.now() / 1000)
    expect(Object.keys(first.payload)).toEqual(['iat', 'jti', 'htm', 'htu'])
    expect(first.payload['iat']).toBeGreaterThanOrEqual(before)
    expect(first.payload['iat']).toBeLessThanOrEqual(after)
    expect(first.payload['htm']).toBe('POST')
    expect(first.payload['htu']).toBe('https://as.example/token')
    expect(first.payload['jti']).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(second.payload['jti']).not.toBe(first.payload['jti'])
    expect(second.payload).toMatchObject({ htm: 'GET', htu: 'https://rs.example/api/items' })
  })

  it('uses the configuration clock skew for iat', async () => {
    const skewed = new Configuration({ issuer: 'https://as.example' }, 'client', { [clockSkew]: 3600 })
    const before = Math.floor(Date.now() / 1000)
    const proof = await proofFor(getDPoPHandle(skewed, await randomDPoPKeyPair()))
    expect(proof.payload['iat']).toBeGreaterThanOrEqual(before + 3600)
    expect(proof.payload['iat']).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 3600)
  })

  it('adds ath = base64url(SHA-256(access token)) when a token accompanies the request', async () => {
    const handle = getDPoPHandle(config, await randomDPoPKeyPair())
    // RFC 9449 §4.3 figure 8: the access token and its hash.
    const token = 'Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU'
    const proof = await proofFor(handle, 'https://rs.example/resource', token, 'GET')
    expect(proof.payload['ath']).toBe('fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo')
    expect(Object.keys(proof.payload)).toEqual(['iat', 'jti', 'htm', 'htu', 'ath'])
  })

  it('lets modifyAssertion change each proof without touching the cached header', async () => {
    let calls = 0
    const keyPair = await randomDPoPKeyPair()
    const handle = getDPoPHandle(config, keyPair, {
      [modifyAssertion]: (header, payload) => {
        calls++
        if (calls === 1) header['kid'] = 'first-only'
        payload['extra'] = calls
      },
    })
    const first = await proofFor(handle)
    const second = await proofFor(handle)
    expect(first.header['kid']).toBe('first-only')
    expect(second.header['kid']).toBeUndefined()
    expect(second.payload['extra']).toBe(2)
    await expect(compactVerify(first.jws, keyPair.publicKey)).resolves.toBeTruthy()
  })

  it('keeps the private key out of JSON.stringify and String of the handle', async () => {
    const keyPair = await randomDPoPKeyPair('ES256', { extractable: true })
    const d = (await crypto.subtle.exportKey('jwk', keyPair.privateKey)).d!
    const handle = getDPoPHandle(config, keyPair)
    await proofFor(handle)
    expect(JSON.stringify(handle)).not.toContain(d)
    expect(String(handle)).not.toContain(d)
  })
})

describe('calculateThumbprint (RFC 7638)', () => {
  it('matches the RFC 7638 §3.1 example', async () => {
    const jwk: JWK = {
      kty: 'RSA',
      n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
      e: 'AQAB',
    }
    const algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
    const publicKey = await crypto.subtle.importKey('jwk', jwk as JsonWebKey, algorithm, true, ['verify'])
    const { privateKey } = await randomDPoPKeyPair('RS256')
    const handle = getDPoPHandle(config, { privateKey, publicKey })
    await expect(handle.calculateThumbprint()).resolves.toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs')
  })

  it.each(['ES256', 'ES512', 'PS384', 'Ed25519'])('agrees with jose for %s keys', async (alg) => {
    const keyPair = await randomDPoPKeyPair(alg)
    const handle = getDPoPHandle(config, keyPair)
    const proof = await proofFor(handle)
    const expected = await calculateJwkThumbprint(proof.header['jwk'] as JWK)
    await expect(handle.calculateThumbprint()).resolves.toBe(expected)
  })
})

describe('DPoP nonce cache (RFC 9449 §8)', () => {
  it('caches the DPoP-Nonce per request origin, whatever the status, and sends it back', async () => {
    const handle = getDPoPHandle(config, await randomDPoPKeyPair())
    handle.cacheNonce(withNonce('n-1'), new URL('https://as.example/token'))
    handle.cacheNonce(
      new Response('{}', { status: 200, headers: { 'dpop-nonce': 'n-rs' } }),
      new URL('https://rs.example/x'),
    )
    expect((await proofFor(handle, 'https://as.example/par')).payload['nonce']).toBe('n-1')
    expect((await proofFor(handle, 'https://rs.example/y')).payload['nonce']).toBe('n-rs')
    expect((await proofFor(handle, 'https://other.example/')).payload['nonce']).toBeUndefined()
    // A response without the header leaves the cached nonce alone; a new one replaces it.
    handle.cacheNonce(withNonce(undefined), new URL('https://as.example/token'))
    expect((await proofFor(handle)).payload['nonce']).toBe('n-1')
    handle.cacheNonce(withNonce('n-2'), new URL('https://as.example/token'))
    const proof = await proofFor(handle)
    expect(proof.payload['nonce']).toBe('n-2')
    expect(Object.keys(proof.payload)).toEqual(['iat', 'jti', 'htm', 'nonce', 'htu'])
  })

  it('ignores junk nonces and keeps the last good one', async () => {
    const handle = getDPoPHandle(config, await randomDPoPKeyPair())
    const url = new URL('https://as.example/token')
    handle.cacheNonce(withNonce('good'), url)
    // D13: only empty values, C0 controls, DEL and values over the cap are junk.
    const junk = [
      '',
      'tab\there',
      'ctl\x01',
      'esc\x1b',
      'us\x1f',
      'del\x7f',
      'x'.repeat(MAX_NONCE_LENGTH + 1),
    ]
    for (const nonce of junk) {
      handle.cacheNonce(withNonce(nonce), url)
      expect((await proofFor(handle)).payload['nonce']).toBe('good')
    }
    handle.cacheNonce(withNonce('y'.repeat(MAX_NONCE_LENGTH)), url)
    expect((await proofFor(handle)).payload['nonce']).toBe('y'.repeat(MAX_NONCE_LENGTH))
  })

  it('accepts every character but C0 controls and DEL (D13), as the nonce travels as a JSON string', () => {
    for (let code = 0; code < 256; code++) {
      const char = String.fromCharCode(code)
      const allowed = code >= 0x20 && code !== 0x7f
      expect(isValidNonce(`a${char}b`)).toBe(allowed)
      expect(isValidNonce(char)).toBe(allowed)
    }
    expect(isValidNonce('use this')).toBe(true)
    expect(isValidNonce('\u20ac \u{1F600}')).toBe(true)
    expect(isValidNonce('')).toBe(false)
    expect(isValidNonce(null)).toBe(false)
  })

  it('evicts the least recently used origin beyond 100', async () => {
    const handle = getDPoPHandle(config, await randomDPoPKeyPair())
    const origin = (i: number) => new URL(`https://as${i}.example/token`)
    for (let i = 0; i < 100; i++) handle.cacheNonce(withNonce(`n${i}`), origin(i))
    // Reading origin 0 makes it the most recent, so origin 1 is the one to go.
    expect((await proofFor(handle, origin(0))).payload['nonce']).toBe('n0')
    handle.cacheNonce(withNonce('n100'), origin(100))
    expect((await proofFor(handle, origin(1))).payload['nonce']).toBeUndefined()
    expect((await proofFor(handle, origin(0))).payload['nonce']).toBe('n0')
    expect((await proofFor(handle, origin(2))).payload['nonce']).toBe('n2')
    expect((await proofFor(handle, origin(100))).payload['nonce']).toBe('n100')
  })

  it('NonceCache holds at most its capacity', () => {
    const cache = new NonceCache()
    for (let i = 0; i < 250; i++) cache.set(`https://o${i}`, `n${i}`)
    expect(cache.size).toBe(100)
    expect(cache.get('https://o149')).toBeUndefined()
    expect(cache.get('https://o150')).toBe('n150')
  })
})
