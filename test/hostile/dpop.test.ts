// Hostile DPoP and client-assertion cases against a loopback server of this file's own, which decodes every
// DPoP proof it receives.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { generateKeyPairSync } from 'node:crypto'
import { inspect } from 'node:util'
import {
  ClientError,
  ClientSecretJwt,
  Configuration,
  PrivateKeyJwt,
  ResponseBodyError,
  WWWAuthenticateChallengeError,
  allowInsecureRequests,
  customFetch,
  genericGrantRequest,
  getDPoPHandle,
  modifyAssertion,
  randomDPoPKeyPair,
  type ClientAuth,
} from '../../src/index.js'
import { rejection } from '../support/expect.js'
import { startLoopbackServer, type LoopbackServer } from '../support/loopback-server.js'

interface Seen {
  proof: { header: Record<string, unknown>; payload: Record<string, unknown> } | undefined
  body: URLSearchParams
}

type Handler = (req: IncomingMessage, res: ServerResponse, index: number) => void

let server: LoopbackServer
let origin: string
let seen: Seen[] = []
let handler: Handler = (_req, res) => json(res, 200, { access_token: 'at', token_type: 'DPoP' })

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string | string[]> = {},
) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body))
}

function decodeProof(jws: string | undefined): Seen['proof'] {
  if (jws === undefined) return undefined
  const [h, p] = jws.split('.')
  return {
    header: JSON.parse(Buffer.from(h!, 'base64url').toString()),
    payload: JSON.parse(Buffer.from(p!, 'base64url').toString()),
  }
}

beforeAll(async () => {
  server = await startLoopbackServer((req, res, body) => {
    seen.push({
      proof: decodeProof(req.headers['dpop'] as string | undefined),
      body: new URLSearchParams(body),
    })
    handler(req, res, seen.length - 1)
  })
  origin = server.origin
})

afterAll(() => server.close())

beforeEach(() => {
  seen = []
  handler = (_req, res) => json(res, 200, { access_token: 'at', token_type: 'DPoP' })
})

function configWith(auth?: ClientAuth, timeout?: number): Configuration {
  const config = new Configuration(
    { issuer: origin, token_endpoint: `${origin}/token` },
    'hostile-client',
    { client_secret: 'hostile-secret-never-leak' },
    auth,
  )
  allowInsecureRequests(config)
  if (timeout !== undefined) config.timeout = timeout
  return config
}

/** Every text a logger could print of an error and its causes. */
function textsOf(err: unknown): string[] {
  const texts: string[] = [inspect(err, { depth: 6 })]
  for (let current = err, depth = 0; current != null && depth < 6; depth++) {
    if (current instanceof Error) texts.push(current.message, String(current))
    try {
      texts.push(JSON.stringify(current) ?? '')
    } catch {
      // a circular cause cannot be stringified, so it cannot leak that way either
    }
    current = current instanceof Error ? current.cause : undefined
  }
  return texts
}

function expectNoKeyMaterial(err: unknown, secrets: string[]): void {
  for (const text of textsOf(err)) {
    expect(text).not.toContain('PRIVATE KEY')
    for (const secret of secrets) expect(text).not.toContain(secret)
  }
}

describe('hostile DPoP-Nonce headers (D13: any value without C0 controls or DEL, up to 1024 characters)', () => {
  const junk = [
    ['empty', ''],
    ['with a tab', 'a\tb'],
    ['of 1,025 characters', 'n'.repeat(1025)],
    ['of 2,000 characters', 'n'.repeat(2000)],
  ]

  it.each(junk)(
    'a nonce %s is never echoed: one retry without a nonce, then the error',
    async (_name, nonce) => {
      handler = (_req, res) =>
        json(
          res,
          400,
          { error: 'use_dpop_nonce', error_description: 'nonce required' },
          { 'DPoP-Nonce': nonce! },
        )
      const DPoP = getDPoPHandle(configWith(), await randomDPoPKeyPair())
      const err = await rejection(genericGrantRequest(configWith(), 'client_credentials', {}, { DPoP }))
      expect(err).toBeInstanceOf(ResponseBodyError)
      expect(err).toMatchObject({ error: 'use_dpop_nonce', status: 400 })
      expect(seen).toHaveLength(2)
      for (const request of seen) expect(request.proof!.payload['nonce']).toBeUndefined()
    },
  )

  const accepted = [
    ['with a space (openid-client accepts it)', 'use this'],
    ['with a quote', 'a"b'],
    ['with a backslash', 'a\\b'],
    ['non-ASCII', 'caf\u00e9'],
    ['with a comma', 'a,b'],
    ['of exactly 1,024 characters', 'n'.repeat(1024)],
  ]

  it.each(accepted)('a nonce %s is echoed in the next proof', async (_name, nonce) => {
    handler = (_req, res, index) =>
      index === 0
        ? json(res, 400, { error: 'use_dpop_nonce' }, { 'DPoP-Nonce': nonce! })
        : json(res, 200, { access_token: 'at', token_type: 'DPoP' })
    const config = configWith()
    const DPoP = getDPoPHandle(config, await randomDPoPKeyPair())
    await expect(genericGrantRequest(config, 'client_credentials', {}, { DPoP })).resolves.toMatchObject({
      token_type: 'dpop',
    })
    expect(seen).toHaveLength(2)
    expect(seen[0]!.proof!.payload['nonce']).toBeUndefined()
    expect(seen[1]!.proof!.payload['nonce']).toBe(nonce)
  })

  it('two DPoP-Nonce header lines are read as fetch joins them ("one, two"), as openid-client does', async () => {
    handler = (_req, res, index) =>
      index === 0
        ? json(res, 400, { error: 'use_dpop_nonce' }, { 'DPoP-Nonce': ['one', 'two'] })
        : json(res, 200, { access_token: 'at', token_type: 'DPoP' })
    const config = configWith()
    const DPoP = getDPoPHandle(config, await randomDPoPKeyPair())
    await expect(genericGrantRequest(config, 'client_credentials', {}, { DPoP })).resolves.toMatchObject({
      token_type: 'dpop',
    })
    expect(seen[1]!.proof!.payload['nonce']).toBe('one, two')
  })

  it('a junk nonce does not replace the good one cached before it', async () => {
    handler = (_req, res, index) =>
      json(
        res,
        200,
        { access_token: 'at', token_type: 'DPoP' },
        { 'DPoP-Nonce': index === 0 ? 'good 1' : 'bad\tnonce' },
      )
    const config = configWith()
    const DPoP = getDPoPHandle(config, await randomDPoPKeyPair())
    for (let i = 0; i < 3; i++) await genericGrantRequest(config, 'client_credentials', {}, { DPoP })
    expect(seen.map((s) => s.proof!.payload['nonce'])).toEqual([undefined, 'good 1', 'good 1'])
  })

  // node:http refuses to send other control characters; a customFetch (a proxy, a test double) can hand them over.
  it.each([
    ['\\x01', 'a\x01b'],
    ['ESC', 'a\x1bb'],
    ['\\x1f', 'a\x1fb'],
    ['DEL', 'a\x7fb'],
  ])('a nonce with %s from a customFetch is ignored and the last good one kept', async (_name, nonce) => {
    const config = configWith()
    const answers = [
      { nonce: 'good', status: 400, body: { error: 'use_dpop_nonce' } },
      { nonce: undefined, status: 200, body: { access_token: 'at', token_type: 'DPoP' } },
      { nonce, status: 400, body: { error: 'use_dpop_nonce' } },
      { nonce: undefined, status: 200, body: { access_token: 'at', token_type: 'DPoP' } },
    ]
    const proofs: Array<Record<string, unknown>> = []
    config[customFetch] = async (_url, init) => {
      proofs.push(decodeProof(new Headers(init.headers as Record<string, string>).get('dpop')!)!.payload)
      const answer = answers[proofs.length - 1]!
      const headers = new Headers({ 'content-type': 'application/json' })
      if (answer.nonce !== undefined) headers.set('dpop-nonce', answer.nonce)
      return new Response(JSON.stringify(answer.body), { status: answer.status, headers })
    }
    const DPoP = getDPoPHandle(config, await randomDPoPKeyPair())
    await genericGrantRequest(config, 'client_credentials', {}, { DPoP })
    await genericGrantRequest(config, 'client_credentials', {}, { DPoP })
    expect(proofs.map((p) => p['nonce'])).toEqual([undefined, 'good', 'good', 'good'])
  })
})

describe('a server that always wants a new nonce', () => {
  it('use_dpop_nonce forever: exactly two requests, the second with the nonce, then ResponseBodyError', async () => {
    handler = (_req, res, index) =>
      json(res, 400, { error: 'use_dpop_nonce' }, { 'DPoP-Nonce': `nonce-${index}` })
    const config = configWith()
    const DPoP = getDPoPHandle(config, await randomDPoPKeyPair())
    const err = await rejection(genericGrantRequest(config, 'client_credentials', {}, { DPoP }))
    expect(err).toBeInstanceOf(ResponseBodyError)
    expect(seen.map((s) => s.proof!.payload['nonce'])).toEqual([undefined, 'nonce-0'])
    // The retry is a fresh proof, not a replay.
    expect(seen[1]!.proof!.payload['jti']).not.toBe(seen[0]!.proof!.payload['jti'])
  })

  it('a DPoP challenge with use_dpop_nonce forever: two requests, then WWWAuthenticateChallengeError', async () => {
    handler = (_req, res, index) =>
      res
        .writeHead(401, {
          'www-authenticate': 'DPoP error="use_dpop_nonce", algs="ES256"',
          'dpop-nonce': `nonce-${index}`,
        })
        .end()
    const config = configWith()
    const DPoP = getDPoPHandle(config, await randomDPoPKeyPair())
    const err = await rejection(genericGrantRequest(config, 'client_credentials', {}, { DPoP }))
    expect(err).toBeInstanceOf(WWWAuthenticateChallengeError)
    expect(seen).toHaveLength(2)
  })

  it('without DPoP there is no retry at all', async () => {
    handler = (_req, res) => json(res, 400, { error: 'use_dpop_nonce' }, { 'DPoP-Nonce': 'n' })
    await expect(genericGrantRequest(configWith(), 'client_credentials', {})).rejects.toBeInstanceOf(
      ResponseBodyError,
    )
    expect(seen).toHaveLength(1)
  })

  it('a retry that never gets an answer ends with the configuration timeout, not a hang', async () => {
    handler = (_req, res, index) => {
      if (index === 0) json(res, 400, { error: 'use_dpop_nonce' }, { 'DPoP-Nonce': 'n0' })
      // the retry is never answered; afterAll destroys its socket
    }
    const config = configWith(undefined, 1)
    const DPoP = getDPoPHandle(config, await randomDPoPKeyPair())
    const err = await rejection(genericGrantRequest(config, 'client_credentials', {}, { DPoP }))
    expect(err).toBeInstanceOf(ClientError)
    expect(err).toMatchObject({ code: 'OAUTH_TIMEOUT' })
    expect(seen).toHaveLength(2)
  })
})

describe('assertion and proof keys of the wrong type or usage', () => {
  it('every refusal is a TypeError with a code, before any request, and carries no key material', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 })
    const pem = rsa.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
    const weakJwk = rsa.privateKey.export({ format: 'jwk' })
    const weak = await crypto.subtle.importKey(
      'jwk',
      weakJwk,
      { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
      false,
      ['sign'],
    )
    const ecdh = (await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, [
      'deriveBits',
    ])) as CryptoKeyPair
    const ecdhD = (await crypto.subtle.exportKey('jwk', ecdh.privateKey)).d!
    const dpop = await randomDPoPKeyPair('ES256', { extractable: true })
    const dpopD = (await crypto.subtle.exportKey('jwk', dpop.privateKey)).d!
    const hmac = await crypto.subtle.importKey(
      'raw',
      new TextEncoder().encode('hmac-secret-bytes-never-leak'),
      { name: 'HMAC', hash: 'SHA-256' },
      true,
      ['sign'],
    )

    const attempts: Array<[string, () => unknown, string]> = [
      ['PEM string as private_key_jwt key', () => PrivateKeyJwt(pem as never), 'ERR_INVALID_ARG_TYPE'],
      ['JWK object as private_key_jwt key', () => PrivateKeyJwt(weakJwk as never), 'ERR_INVALID_ARG_TYPE'],
      ['{ key: PEM }', () => PrivateKeyJwt({ key: pem } as never), 'ERR_INVALID_ARG_TYPE'],
      ['RSA 1024', () => PrivateKeyJwt(weak), 'ERR_INVALID_ARG_VALUE'],
      ['ECDH private key', () => PrivateKeyJwt(ecdh.privateKey), 'ERR_INVALID_ARG_VALUE'],
      ['HMAC key', () => PrivateKeyJwt(hmac), 'ERR_INVALID_ARG_VALUE'],
      ['public key', () => PrivateKeyJwt(dpop.publicKey), 'ERR_INVALID_ARG_VALUE'],
      [
        'DPoP pair swapped',
        () => getDPoPHandle(configWith(), { privateKey: dpop.publicKey, publicKey: dpop.privateKey }),
        'ERR_INVALID_ARG_VALUE',
      ],
      ['DPoP ECDH pair', () => getDPoPHandle(configWith(), ecdh), 'ERR_INVALID_ARG_VALUE'],
      [
        'DPoP PEM',
        () => getDPoPHandle(configWith(), { privateKey: pem, publicKey: dpop.publicKey } as never),
        'ERR_INVALID_ARG_TYPE',
      ],
      [
        'DPoP RSA 1024',
        () => getDPoPHandle(configWith(), { privateKey: weak, publicKey: dpop.publicKey }),
        'ERR_INVALID_ARG_VALUE',
      ],
    ]
    for (const [name, attempt, code] of attempts) {
      let caught: unknown
      try {
        attempt()
      } catch (err) {
        caught = err
      }
      expect(caught, name).toBeInstanceOf(TypeError)
      expect((caught as { code?: string }).code, name).toBe(code)
      expectNoKeyMaterial(caught, [ecdhD, dpopD, weakJwk.d!, 'hmac-secret-bytes-never-leak'])
    }
    expect(seen).toHaveLength(0)
  })

  it('a server rejecting the assertion yields a ResponseBodyError without the assertion key or secret', async () => {
    handler = (_req, res) =>
      json(res, 401, { error: 'invalid_client', error_description: 'assertion rejected' })
    const keyPair = await randomDPoPKeyPair('ES256', { extractable: true })
    const d = (await crypto.subtle.exportKey('jwk', keyPair.privateKey)).d!
    for (const auth of [PrivateKeyJwt(keyPair.privateKey), ClientSecretJwt()]) {
      const DPoP = getDPoPHandle(configWith(), keyPair)
      const err = await rejection(genericGrantRequest(configWith(auth), 'client_credentials', {}, { DPoP }))
      expect(err).toBeInstanceOf(ResponseBodyError)
      expect(err).toMatchObject({ error: 'invalid_client' })
      expectNoKeyMaterial(err, [d, 'hostile-secret-never-leak'])
    }
  })

  it('a modifyAssertion hook that throws surfaces as a ClientError, without a request', async () => {
    const { privateKey } = await randomDPoPKeyPair()
    const auth = PrivateKeyJwt(privateKey, {
      [modifyAssertion]: () => {
        throw new Error('hook failed')
      },
    })
    const err = await rejection(genericGrantRequest(configWith(auth), 'client_credentials', {}))
    expect(err).toBeInstanceOf(ClientError)
    expect((err as ClientError).cause).toMatchObject({ message: 'hook failed' })
    expect(seen).toHaveLength(0)
  })
})
