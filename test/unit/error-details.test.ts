// The details a caller or a logger reads off the errors of the token endpoint path: the claims an ID Token error
// carries, the body a JWKS error carries, messages that name the argument, a deadline while reading an OAuth error
// body, and a few rules at their edges (header-safe access tokens, DPoP handles that are functions, the nonce
// cache's size, an `alg` list with a non-string in it).
import { describe, expect, it } from 'vitest'
import {
  ClientError,
  Configuration,
  None,
  PrivateKeyJwt,
  customFetch,
  enableNonRepudiationChecks,
  genericGrantRequest,
  getDPoPHandle,
  modifyAssertion,
  randomDPoPKeyPair,
} from '../../src/index.js'
import type { ClientMetadata, ServerMetadata } from '../../src/index.js'
import { NonceCache } from '../../src/dpop/nonce-cache.js'
import { expectStatus } from '../../src/http/status.js'
import type { DPoPProofHandle } from '../../src/types.js'
import { expectTypeError, rejection } from '../support/expect.js'

const ISSUER = 'https://op.example.test'
const CLIENT_ID = 'client-1'
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
const jwt = (payload: Record<string, unknown>, header: Record<string, unknown> = { alg: 'RS256' }) =>
  `${b64(header)}.${b64(payload)}.c2ln`
const now = () => Math.floor(Date.now() / 1000)
const claims = (overrides: Record<string, unknown> = {}) => ({
  iss: ISSUER,
  sub: 'alice',
  aud: CLIENT_ID,
  iat: now(),
  exp: now() + 60,
  ...overrides,
})

function config(
  body: Record<string, unknown>,
  server: Partial<ServerMetadata> = {},
  client: Partial<ClientMetadata> = {},
) {
  const cfg = new Configuration(
    { issuer: ISSUER, token_endpoint: `${ISSUER}/token`, ...server },
    CLIENT_ID,
    client,
    None(),
  )
  cfg[customFetch] = async (url) =>
    url.endsWith('/token')
      ? Response.json({ access_token: 'at', token_type: 'bearer', ...body })
      : Response.json(body)
  return cfg
}

const grantError = (cfg: Configuration) => rejection(genericGrantRequest(cfg, 'urn:example:grant', {}))
const innerCause = (err: unknown) => (err as { cause: { cause: Record<string, unknown> } }).cause.cause ?? {}

describe('ID Token errors carry the claims', () => {
  it('missing claim, sub type, auth_time and untrusted audiences', async () => {
    const cases: Array<[Record<string, unknown>, Partial<ClientMetadata>]> = [
      [claims({ exp: undefined }), {}],
      [claims({ sub: 7 }), {}],
      [claims({ auth_time: -5 }), {}],
      [claims({ aud: [CLIENT_ID, 'other'] }), {}],
    ]
    for (const [payload, client] of cases) {
      const err = await grantError(config({ id_token: jwt(payload) }, {}, client))
      expect(err).toBeInstanceOf(ClientError)
      expect((innerCause(err)['claims'] as Record<string, unknown>)['iss']).toBe(ISSUER)
    }
  })

  it("an alg list with a non-string in it does not accept that value as the header's alg", async () => {
    const err = await grantError(
      config(
        { id_token: jwt(claims(), { alg: 256 }) },
        { id_token_signing_alg_values_supported: ['RS256', 256] as never },
      ),
    )
    expect((err.cause as Error).message).toBe('unexpected JWT "alg" header parameter')
  })
})

describe('JWKS errors carry the body', () => {
  it('for keys that are not an array, and for members that are not objects', async () => {
    for (const body of [{ keys: 'none' }, { keys: [1] }]) {
      const cfg = config(
        { ...body, id_token: jwt(claims(), { alg: 'ES256' }) },
        { jwks_uri: `${ISSUER}/jwks`, id_token_signing_alg_values_supported: ['ES256'] },
      )
      enableNonRepudiationChecks(cfg)
      const err = await grantError(cfg)
      expect(err.code).toBe('OAUTH_INVALID_RESPONSE')
      expect((innerCause(err)['body'] as Record<string, unknown>)['keys']).toEqual(body.keys)
    }
  })
})

describe('messages that name what is wrong', () => {
  it('a token endpoint access_token with a leading or trailing space, a tab or a non-ASCII character', async () => {
    for (const access_token of [' at', 'at ', 'tökén', 'a\tb']) {
      const err = await grantError(config({ access_token }))
      expect(err.code).toBe('OAUTH_INVALID_RESPONSE')
      expect((err.cause as Error).message).toBe(
        '"response" body "access_token" property must consist of visible ASCII characters',
      )
    }
  })

  it('randomDPoPKeyPair: the cause of an unsupported algorithm', async () => {
    const err = await rejection(randomDPoPKeyPair('HS256'))
    expect((err.cause as Error).message).toBe('unsupported JWS algorithm')
  })

  it('private_key_jwt names clientPrivateKey', async () => {
    const { publicKey } = await randomDPoPKeyPair()
    expectTypeError(
      () => PrivateKeyJwt(publicKey),
      'ERR_INVALID_ARG_VALUE',
      /^"clientPrivateKey" must be a private CryptoKey$/,
    )
  })

  it('expectStatus: a 4xx body that was used already', async () => {
    const response = new Response('{"error":"x"}', {
      status: 400,
      headers: { 'content-type': 'application/json' },
    })
    await response.text()
    const err = await rejection(expectStatus(response, 200))
    expect(err.message).toBe('"response" body has been used already')
  })
})

describe('a deadline while reading an OAuth error body', () => {
  it('keeps its AbortError or TimeoutError', async () => {
    for (const name of ['AbortError', 'TimeoutError']) {
      const reason = new DOMException('stop', name)
      const stream = new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(new TextEncoder().encode('{"error":'))
          c.error(reason)
        },
      })
      const response = new Response(stream, { status: 400, headers: { 'content-type': 'application/json' } })
      expect(await rejection(expectStatus(response, 200))).toBe(reason)
    }
  })
})

describe('edges', () => {
  it('a function with addProof and cacheNonce is not a DPoP handle', async () => {
    const fn = Object.assign(() => {}, { addProof: async () => {}, cacheNonce: () => {} })
    const err = await rejection(
      genericGrantRequest(config({}), 'urn:example:grant', {}, { DPoP: fn as never }),
    )
    expect(err).toBeInstanceOf(TypeError)
    expect(err.message).toBe('"options.DPoP" is not a valid DPoPHandle')
  })

  it('looking up an origin the nonce cache does not know adds nothing', () => {
    const cache = new NonceCache(2)
    expect(cache.get('https://a.example')).toBeUndefined()
    expect(cache.size).toBe(0)
    cache.set('https://b.example', 'n')
    expect(cache.get('https://b.example')).toBe('n')
    expect(cache.size).toBe(1)
  })

  it('with a modifyAssertion hook, DPoP proofs still carry the public JWK', async () => {
    const pair = await randomDPoPKeyPair('ES256')
    const cfg = new Configuration({ issuer: ISSUER }, CLIENT_ID)
    const plain = getDPoPHandle(cfg, pair) as unknown as DPoPProofHandle
    const hooked = getDPoPHandle(cfg, pair, { [modifyAssertion]: () => {} }) as unknown as DPoPProofHandle
    const headerOf = async (handle: DPoPProofHandle) => {
      const headers = new Headers()
      await handle.addProof(new URL(`${ISSUER}/token`), headers, 'POST')
      return JSON.parse(Buffer.from(headers.get('dpop')!.split('.')[0]!, 'base64url').toString())
    }
    const expected = await headerOf(plain)
    expect(Object.keys(expected.jwk).sort()).toEqual(['crv', 'kty', 'x', 'y'])
    expect(await headerOf(hooked)).toEqual(expected)
  })
})
