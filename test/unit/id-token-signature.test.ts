// ID Token signatures with non-repudiation checks (contract §2.5, §2.7) for the algorithms the other files leave
// out (EdDSA, RS512, ML-DSA key selection), weak RSA keys, what the errors carry, and how the JWKS is requested.
import { CompactSign, exportJWK } from 'jose'
import { describe, expect, it } from 'vitest'
import {
  ClientError,
  Configuration,
  None,
  customFetch,
  enableNonRepudiationChecks,
  genericGrantRequest,
} from '../../src/index.js'
import type { ClientMetadata, CustomFetchOptions, JWK, ServerMetadata } from '../../src/index.js'
import { rejection } from '../support/expect.js'

const ISSUER = 'https://op.example.test'
const CLIENT_ID = 'client-1'
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
const claims = () => {
  const now = Math.floor(Date.now() / 1000)
  return { iss: ISSUER, sub: 'alice', aud: CLIENT_ID, iat: now, exp: now + 600 }
}

interface Setup {
  keys: JWK[]
  idToken: string
  server?: Partial<ServerMetadata>
  client?: Partial<ClientMetadata>
}

function run({ keys, idToken, server, client }: Setup) {
  const requests: Array<{ url: string; options: CustomFetchOptions }> = []
  const metadata: ServerMetadata = {
    issuer: ISSUER,
    token_endpoint: `${ISSUER}/token`,
    jwks_uri: `${ISSUER}/jwks`,
    ...server,
  }
  const config = new Configuration(metadata, CLIENT_ID, client ?? {}, None())
  config[customFetch] = async (url, options) => {
    requests.push({ url, options })
    return url.endsWith('/token')
      ? Response.json({ access_token: 'at', token_type: 'bearer', id_token: idToken })
      : Response.json({ keys })
  }
  enableNonRepudiationChecks(config)
  return { requests, result: genericGrantRequest(config, 'urn:example:grant', {}) }
}

async function signed(alg: string, key: CryptoKey, kid = 'k'): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(claims())))
    .setProtectedHeader({ alg, kid })
    .sign(key)
}

describe('more algorithms', () => {
  it('EdDSA (the older name of Ed25519) verifies with an Ed25519 key', async () => {
    const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, [
      'sign',
      'verify',
    ])) as CryptoKeyPair
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k' } as JWK
    const idToken = await signed('EdDSA', pair.privateKey)
    const { result } = run({
      keys: [jwk],
      idToken,
      server: { id_token_signing_alg_values_supported: ['EdDSA'] },
    })
    expect((await result).claims()?.sub).toBe('alice')
  })

  it('RS512 verifies', async () => {
    const pair = (await crypto.subtle.generateKey(
      {
        name: 'RSASSA-PKCS1-v1_5',
        hash: 'SHA-512',
        modulusLength: 2048,
        publicExponent: new Uint8Array([1, 0, 1]),
      },
      true,
      ['sign', 'verify'],
    )) as CryptoKeyPair
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k' } as JWK
    const idToken = await signed('RS512', pair.privateKey)
    const { result } = run({
      keys: [jwk],
      idToken,
      server: { id_token_signing_alg_values_supported: ['RS512'] },
    })
    expect((await result).claims()?.sub).toBe('alice')
  })

  it('ML-DSA-44/65/87 are supported algorithms: the JWKS is searched for an AKP key', async () => {
    for (const alg of ['ML-DSA-44', 'ML-DSA-65', 'ML-DSA-87']) {
      const ec = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
        'sign',
        'verify',
      ])) as CryptoKeyPair
      const jwk = { ...(await exportJWK(ec.publicKey)), kid: 'k' } as JWK
      const idToken = `${b64({ alg, kid: 'k' })}.${b64(claims())}.c2ln`
      const { result, requests } = run({
        keys: [jwk],
        idToken,
        server: { id_token_signing_alg_values_supported: [alg] },
      })
      const err = await rejection(result)
      expect(err.code).toBe('OAUTH_KEY_SELECTION_FAILED')
      expect(requests.map(({ url }) => url)).toEqual([`${ISSUER}/token`, `${ISSUER}/jwks`])
    }
  })
})

describe('weak RSA keys', () => {
  it('a 1024-bit RSA key is refused even with a valid signature', async () => {
    for (const [alg, name, hash] of [
      ['RS256', 'RSASSA-PKCS1-v1_5', 'SHA-256'],
      ['PS256', 'RSA-PSS', 'SHA-256'],
    ] as const) {
      const pair = (await crypto.subtle.generateKey(
        { name, hash, modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]) },
        true,
        ['sign', 'verify'],
      )) as CryptoKeyPair
      const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k' } as JWK
      const input = `${b64({ alg, kid: 'k' })}.${b64(claims())}`
      const params = name === 'RSA-PSS' ? { name, saltLength: 32 } : name
      const signature = await crypto.subtle.sign(params, pair.privateKey, new TextEncoder().encode(input))
      const idToken = `${input}.${Buffer.from(signature).toString('base64url')}`
      const { result } = run({
        keys: [jwk],
        idToken,
        server: { id_token_signing_alg_values_supported: [alg] },
      })
      const err = await rejection(result)
      expect(err).toBeInstanceOf(ClientError)
      expect(err.code).toBe('OAUTH_UNSUPPORTED_OPERATION')
      expect((err.cause as Error).message).toBe(`unsupported ${name} modulusLength`)
    }
  })
})

describe('what the errors carry', () => {
  it('an unsupported alg names it in the cause', async () => {
    const idToken = `${b64({ alg: 'HS256' })}.${b64(claims())}.c2ln`
    const { result } = run({
      keys: [],
      idToken,
      server: { id_token_signing_alg_values_supported: ['HS256'] },
    })
    const err = await rejection(result)
    expect((err.cause as { cause: unknown }).cause).toEqual({ alg: 'HS256' })
  })

  it('a failed verification carries the key and algorithm; a failed selection the jwks_uri', async () => {
    const pair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
      'verify',
    ])) as CryptoKeyPair
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k' } as JWK
    const [h, p] = (await signed('ES256', pair.privateKey)).split('.')
    const server = { id_token_signing_alg_values_supported: ['ES256'] }
    const bad = await rejection(run({ keys: [jwk], idToken: `${h}.${p}.AAAA`, server }).result)
    const inner = (bad.cause as { cause: Record<string, unknown> }).cause
    expect(inner['key']).toBeInstanceOf(CryptoKey)
    expect(inner['algorithm']).toEqual({ name: 'ECDSA', hash: 'SHA-256' })

    const none = await rejection(run({ keys: [], idToken: `${h}.${p}.AAAA`, server }).result)
    expect(none.code).toBe('OAUTH_KEY_SELECTION_FAILED')
    const selection = (none.cause as { cause: Record<string, unknown> }).cause
    expect(selection['jwks_uri']).toBe(`${ISSUER}/jwks`)
    expect(selection['candidates']).toEqual([])
    expect((selection['header'] as Record<string, unknown>)['kid']).toBe('k')
  })

  it('an invalid JWT names it; a refused alg names the header', async () => {
    const err = await rejection(run({ keys: [], idToken: 'a.b' }).result)
    // only its length: what stood where a JWT belongs may be a live token (D27)
    expect((err.cause as { cause: Record<string, unknown> }).cause['jwt']).toBe('[redacted: 3 characters]')
    const alg = await rejection(
      run({ keys: [], idToken: `${b64({ alg: 'ES256' })}.${b64(claims())}.x` }).result,
    )
    expect((alg.cause as { cause: Record<string, unknown> }).cause['header']).toEqual({ alg: 'ES256' })
  })
})

describe('the JWKS request', () => {
  it('a GET to jwks_uri with the user agent, never through an mTLS alias (it is public, RFC 8705 §5)', async () => {
    const pair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
      'verify',
    ])) as CryptoKeyPair
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k' } as JWK
    const { result, requests } = run({
      keys: [jwk],
      idToken: await signed('ES256', pair.privateKey),
      server: {
        id_token_signing_alg_values_supported: ['ES256'],
        mtls_endpoint_aliases: { jwks_uri: 'https://mtls.op.example.test/jwks' } as never,
      },
      client: { use_mtls_endpoint_aliases: true },
    })
    await result
    const get = requests.find(({ url }) => url.includes('jwks'))!
    expect(get.url).toBe(`${ISSUER}/jwks`)
    expect(get.options.method).toBe('GET')
    expect(get.options.headers).toEqual({
      accept: 'application/json, application/jwk-set+json',
      'user-agent': 'grantline/0.1.0',
    })
  })
})
