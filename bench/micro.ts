// Micro-benchmarks: the pieces of a token request without the network, each library against the same input.

import { createPrivateKey, randomUUID, sign } from 'node:crypto'
import * as oc from 'openid-client'
import * as gl from '../src/index.js'
import type { DPoPProofHandle } from '../src/types.js'
import { MICRO_MS, MICRO_ROUNDS } from './config.js'
import { usePath } from './paths.js'
import { timed, type Sample } from './stats.js'

export interface MicroRow {
  group: string
  subject: string
  samples: Sample[]
}

const ISSUER = 'https://as.bench.test'
const TOKEN_ENDPOINT = `${ISSUER}/token`
const JWKS_URI = `${ISSUER}/jwks`
const CLIENT_ID = 'bench'
const SECRET = 'bench-client-secret-0123456789abcdef'
const server = { issuer: ISSUER, token_endpoint: TOKEN_ENDPOINT, jwks_uri: JWKS_URI }

type Bench = [subject: string, operation: () => Promise<unknown>]

async function measureGroup(group: string, benches: Bench[]): Promise<MicroRow[]> {
  const rows = benches.map(([subject]) => ({ group, subject, samples: [] as Sample[] }))
  for (const [, operation] of benches) await timed(operation, 1, MICRO_MS / 2)
  for (let round = 0; round < MICRO_ROUNDS; round++) {
    for (let i = 0; i < benches.length; i++) {
      const index = (i + round) % benches.length
      rows[index]!.samples.push(await timed(benches[index]![1], 1, MICRO_MS))
    }
  }
  return rows
}

const b64url = (value: string | Buffer) => Buffer.from(value).toString('base64url')

async function es256Pair() {
  return (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair
}

async function nodeKey(pair: CryptoKeyPair) {
  return createPrivateKey({
    key: (await crypto.subtle.exportKey('jwk', pair.privateKey)) as import('node:crypto').JsonWebKey,
    format: 'jwk',
  })
}

function rawEs256(header: string, payload: object, key: ReturnType<typeof createPrivateKey>) {
  const input = `${header}.${b64url(JSON.stringify(payload))}`
  return `${input}.${b64url(sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }))}`
}

async function dpopProofs(): Promise<MicroRow[]> {
  const url = new URL(TOKEN_ENDPOINT)
  const glConfig = new gl.Configuration(server, CLIENT_ID, SECRET)
  const ocConfig = new oc.Configuration(server, CLIENT_ID, SECRET)
  // addProof is internal on both sides: not in either library's public DPoPHandle type.
  const glHandle = gl.getDPoPHandle(glConfig, await gl.randomDPoPKeyPair('ES256')) as DPoPProofHandle
  // openid-client's handle is oauth4webapi's, whose addProof is not in its public type.
  const ocHandle = oc.getDPoPHandle(ocConfig, await oc.randomDPoPKeyPair('ES256')) as unknown as {
    addProof(url: URL, headers: Headers, htm: string): Promise<void>
  }
  const pair = await es256Pair()
  const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', pair.publicKey)
  const key = await nodeKey(pair)
  const header = b64url(JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty, crv, x, y } }))
  const htu = TOKEN_ENDPOINT
  // Each grantline row puts its signer in place first: one assignment, so both rows pay the same for it.
  return measureGroup('DPoP proofs (ES256)', [
    [
      'grantline, node:crypto signer (node path)',
      () => {
        usePath('node')
        return glHandle.addProof(url, new Headers(), 'POST')
      },
    ],
    [
      'grantline, WebCrypto (fetch path)',
      () => {
        usePath('fetch')
        return glHandle.addProof(url, new Headers(), 'POST')
      },
    ],
    ['openid-client', () => ocHandle.addProof(url, new Headers(), 'POST')],
    [
      'raw node:crypto',
      async () =>
        rawEs256(header, { iat: Math.floor(Date.now() / 1000), jti: randomUUID(), htm: 'POST', htu }, key),
    ],
  ])
}

async function clientAssertions(): Promise<MicroRow[]> {
  const pair = await es256Pair()
  const glAuth = gl.PrivateKeyJwt({ key: pair.privateKey, kid: 'k1' })
  const ocAuth = oc.PrivateKeyJwt({ key: pair.privateKey, kid: 'k1' })
  const client = { client_id: CLIENT_ID }
  const key = await nodeKey(pair)
  const header = b64url(JSON.stringify({ alg: 'ES256', kid: 'k1' }))
  return measureGroup('client assertions (private_key_jwt, ES256)', [
    [
      'grantline, node:crypto signer (node path)',
      async () => {
        usePath('node')
        return glAuth(server, client, new URLSearchParams(), new Headers())
      },
    ],
    [
      'grantline, WebCrypto (fetch path)',
      async () => {
        usePath('fetch')
        return glAuth(server, client, new URLSearchParams(), new Headers())
      },
    ],
    ['openid-client', async () => ocAuth(server, client, new URLSearchParams(), new Headers())],
    [
      'raw node:crypto',
      async () => {
        const now = Math.floor(Date.now() / 1000)
        const payload = {
          iss: CLIENT_ID,
          sub: CLIENT_ID,
          aud: ISSUER,
          jti: randomUUID(),
          iat: now,
          exp: now + 60,
        }
        return new URLSearchParams({ client_assertion: rawEs256(header, payload, key) })
      },
    ],
  ])
}

const TOKEN_BODY = JSON.stringify({
  access_token: 'bench-access-token-0123456789abcdef',
  issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
  token_type: 'Bearer',
  expires_in: 3600,
})
const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange'
const PARAMETERS = {
  subject_token: 'bench-subject-token-0123456789abcdef',
  subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
}

/** A customFetch that answers every token request with a fresh Response of `body`, and the JWKS. */
function fakeFetch(body: string, jwks?: string) {
  return async (url: string) =>
    new Response(jwks !== undefined && url === JWKS_URI ? jwks : body, {
      status: 200,
      headers: { 'content-type': 'application/json' },
    })
}

function glConfigWith(fetchImpl: ReturnType<typeof fakeFetch>, timeout?: number) {
  const config = new gl.Configuration(server, CLIENT_ID, {}, gl.ClientSecretBasic(SECRET))
  config[gl.customFetch] = fetchImpl
  if (timeout !== undefined) config.timeout = timeout
  return config
}

function ocConfigWith(fetchImpl: ReturnType<typeof fakeFetch>) {
  const config = new oc.Configuration(server, CLIENT_ID, {}, oc.ClientSecretBasic(SECRET))
  config[oc.customFetch] = fetchImpl
  return config
}

async function tokenResponses(): Promise<MicroRow[]> {
  const glConfig = glConfigWith(fakeFetch(TOKEN_BODY))
  const glNoTimeout = glConfigWith(fakeFetch(TOKEN_BODY), 0)
  const ocConfig = ocConfigWith(fakeFetch(TOKEN_BODY))
  return measureGroup('genericGrantRequest without the network (customFetch returns a fresh Response)', [
    ['grantline', () => gl.genericGrantRequest(glConfig, EXCHANGE, PARAMETERS)],
    ['grantline, config.timeout = 0', () => gl.genericGrantRequest(glNoTimeout, EXCHANGE, PARAMETERS)],
    ['openid-client', () => oc.genericGrantRequest(ocConfig, EXCHANGE, PARAMETERS)],
  ])
}

/** An RS256 ID Token (the clients' default alg) from a server key, with the claims OIDC Core §2 requires. */
async function idTokenResponse(): Promise<{ body: string; jwks: string }> {
  const pair = (await crypto.subtle.generateKey(
    {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    },
    true,
    ['sign', 'verify'],
  )) as CryptoKeyPair
  const { kty, n, e } = await crypto.subtle.exportKey('jwk', pair.publicKey)
  const jwks = JSON.stringify({ keys: [{ kty, n, e, kid: 'rs1', alg: 'RS256', use: 'sig' }] })
  const now = Math.floor(Date.now() / 1000)
  const input = `${b64url(JSON.stringify({ alg: 'RS256', kid: 'rs1', typ: 'JWT' }))}.${b64url(
    JSON.stringify({ iss: ISSUER, aud: CLIENT_ID, sub: 'alice', iat: now, exp: now + 3600 }),
  )}`
  const signature = await crypto.subtle.sign('RSASSA-PKCS1-v1_5', pair.privateKey, Buffer.from(input))
  const idToken = `${input}.${b64url(Buffer.from(signature))}`
  return { body: JSON.stringify({ ...JSON.parse(TOKEN_BODY), id_token: idToken }), jwks }
}

async function idTokens(): Promise<MicroRow[]> {
  const { body, jwks } = await idTokenResponse()
  const glPlain = glConfigWith(fakeFetch(body, jwks))
  const glSigned = glConfigWith(fakeFetch(body, jwks))
  gl.enableNonRepudiationChecks(glSigned)
  const ocPlain = ocConfigWith(fakeFetch(body, jwks))
  const ocSigned = ocConfigWith(fakeFetch(body, jwks))
  oc.enableNonRepudiationChecks(ocSigned)
  return measureGroup(
    'token response with an RS256 ID Token: claims only, and with the signature checked (enableNonRepudiationChecks, JWKS cached after the first call)',
    [
      ['grantline, claims only', () => gl.genericGrantRequest(glPlain, EXCHANGE, PARAMETERS)],
      ['grantline, signature checked', () => gl.genericGrantRequest(glSigned, EXCHANGE, PARAMETERS)],
      ['openid-client, claims only', () => oc.genericGrantRequest(ocPlain, EXCHANGE, PARAMETERS)],
      ['openid-client, signature checked', () => oc.genericGrantRequest(ocSigned, EXCHANGE, PARAMETERS)],
    ],
  )
}

/**
 * The mechanism behind grantline's default per-request deadline, alone: what src/http/send.ts does per request
 * (`AbortSignal.timeout(30 s)`, whose timer lives until the signal is garbage-collected, plus the abort listener
 * raceAbort adds and removes), against an AbortController whose timer is cleared as soon as the exchange is done.
 */
async function deadlines(): Promise<MicroRow[]> {
  const listener = () => {}
  return measureGroup('a 30 s deadline per request, the mechanism alone', [
    [
      'AbortSignal.timeout(30 s), as src/http/send.ts does',
      async () => {
        const signal = AbortSignal.timeout(30_000)
        signal.addEventListener('abort', listener, { once: true })
        signal.removeEventListener('abort', listener)
      },
    ],
    [
      'AbortController + setTimeout, cleared when done',
      async () => {
        const controller = new AbortController()
        const timer = setTimeout(() => controller.abort(), 30_000)
        controller.signal.addEventListener('abort', listener, { once: true })
        controller.signal.removeEventListener('abort', listener)
        clearTimeout(timer)
      },
    ],
  ])
}

export async function measureMicro(log: (line: string) => void): Promise<MicroRow[]> {
  const rows: MicroRow[] = []
  for (const group of [dpopProofs, clientAssertions, tokenResponses, idTokens, deadlines]) {
    const measured = await group()
    for (const row of measured) {
      log(
        `  ${row.group.split(' (')[0]} / ${row.subject}: ${row.samples.map((s) => s.rate.toFixed(0)).join('/')} op/s`,
      )
    }
    rows.push(...measured)
  }
  return rows
}
