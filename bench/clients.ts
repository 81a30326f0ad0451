// The five clients measured side by side, each performing the same RFC 8693 token exchange: grantline on each of
// its two paths (bench/paths.ts), openid-client, and two raw baselines that build the same request by hand with
// node:crypto (no library) and send it with the global fetch or with node:http and a keep-alive Agent.

import { createPrivateKey, randomUUID, sign, type KeyObject } from 'node:crypto'
import { Agent, request as httpRequest } from 'node:http'
import * as oc from 'openid-client'
import * as gl from '../src/index.js'
import { usePath, type GrantlinePath } from './paths.js'

export const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange'
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token'

export const MODES = ['client_secret_basic', 'private_key_jwt', 'dpop'] as const
export type Mode = (typeof MODES)[number]
export const MODE_LABEL: Record<Mode, string> = {
  client_secret_basic: 'client_secret_basic',
  private_key_jwt: 'private_key_jwt (ES256)',
  dpop: 'DPoP (ES256) + client_secret_basic',
}

export const CLIENTS = [
  'grantline (node)',
  'grantline (fetch)',
  'openid-client',
  'raw fetch',
  'raw node:http',
] as const
export type ClientName = (typeof CLIENTS)[number]
export const GRANTLINES = ['grantline (node)', 'grantline (fetch)'] as const
export type GrantlineName = (typeof GRANTLINES)[number]
export const PATH_OF: Record<GrantlineName, GrantlinePath> = {
  'grantline (node)': 'node',
  'grantline (fetch)': 'fetch',
}

export function isGrantline(client: ClientName): client is GrantlineName {
  return client in PATH_OF
}

/** Called before every measured round (and warm-up) of `client`: puts grantline on that client's path. */
export function activate(client: ClientName): void {
  if (isGrantline(client)) usePath(PATH_OF[client])
}

/** Where the requests go and as whom: everything a client needs, plain data so it crosses process boundaries. */
export interface Target {
  name: string
  issuer: string
  tokenEndpoint: string
  secretClient: { clientId: string; clientSecret: string }
  /** ES256 private key (JWK with `kid`) of a private_key_jwt client. */
  jwtClient: { clientId: string; privateJwk: JsonWebKey & { kid: string } }
  /** A token the server accepts as `subject_token`; one per mode so DPoP binding never mixes with Bearer. */
  subjectToken: string
}

/** One token request; resolves once the access token has been read from the response. */
export type Operation = () => Promise<void>

export async function makeClient(client: ClientName, target: Target, mode: Mode): Promise<Operation> {
  switch (client) {
    case 'grantline (node)':
    case 'grantline (fetch)':
      return grantlineClient(target, mode)
    case 'openid-client':
      return openidClient(target, mode)
    case 'raw fetch':
      return rawClient(target, mode, fetchTransport)
    case 'raw node:http':
      return rawClient(target, mode, nodeHttpTransport())
  }
}

function exchangeParameters(target: Target): Record<string, string> {
  return { subject_token: target.subjectToken, subject_token_type: ACCESS_TOKEN_TYPE }
}

async function importSigningKey(jwk: JsonWebKey): Promise<CryptoKey> {
  const { kid: _kid, ...material } = jwk as JsonWebKey & { kid?: string }
  return crypto.subtle.importKey('jwk', material, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign'])
}

/** Every client checks what it got the same way: an access token, DPoP-bound when a proof was sent. */
function expectAccessToken(tokens: { access_token?: unknown; token_type?: unknown }, mode: Mode): void {
  if (typeof tokens.access_token !== 'string') throw new Error('no access_token in the token response')
  const bound = String(tokens.token_type).toLowerCase() === 'dpop'
  if (bound !== (mode === 'dpop')) throw new Error(`unexpected token_type ${String(tokens.token_type)}`)
}

async function grantlineClient(target: Target, mode: Mode): Promise<Operation> {
  const server = { issuer: target.issuer, token_endpoint: target.tokenEndpoint }
  let config: gl.Configuration
  let options: gl.DPoPOptions | undefined
  if (mode === 'private_key_jwt') {
    const key = await importSigningKey(target.jwtClient.privateJwk)
    const auth = gl.PrivateKeyJwt({ key, kid: target.jwtClient.privateJwk.kid })
    config = new gl.Configuration(server, target.jwtClient.clientId, {}, auth)
  } else {
    const { clientId, clientSecret } = target.secretClient
    config = new gl.Configuration(server, clientId, {}, gl.ClientSecretBasic(clientSecret))
  }
  gl.allowInsecureRequests(config)
  if (mode === 'dpop') options = { DPoP: gl.getDPoPHandle(config, await gl.randomDPoPKeyPair('ES256')) }
  const parameters = exchangeParameters(target)
  return async () =>
    expectAccessToken(await gl.genericGrantRequest(config, TOKEN_EXCHANGE, parameters, options), mode)
}

async function openidClient(target: Target, mode: Mode): Promise<Operation> {
  const server = { issuer: target.issuer, token_endpoint: target.tokenEndpoint }
  let config: oc.Configuration
  let options: oc.DPoPOptions | undefined
  if (mode === 'private_key_jwt') {
    const key = await importSigningKey(target.jwtClient.privateJwk)
    const auth = oc.PrivateKeyJwt({ key, kid: target.jwtClient.privateJwk.kid })
    config = new oc.Configuration(server, target.jwtClient.clientId, {}, auth)
  } else {
    const { clientId, clientSecret } = target.secretClient
    config = new oc.Configuration(server, clientId, {}, oc.ClientSecretBasic(clientSecret))
  }
  oc.allowInsecureRequests(config)
  if (mode === 'dpop') options = { DPoP: oc.getDPoPHandle(config, await oc.randomDPoPKeyPair('ES256')) }
  const parameters = exchangeParameters(target)
  return async () =>
    expectAccessToken(await oc.genericGrantRequest(config, TOKEN_EXCHANGE, parameters, options), mode)
}

// ---- the raw baselines -------------------------------------------------------------------------------------

interface RawResponse {
  status: number
  nonce: string | undefined
  body: string
}
type RawTransport = (url: URL, headers: Record<string, string>, body: string) => Promise<RawResponse>

const fetchTransport: RawTransport = async (url, headers, body) => {
  const response = await fetch(url, { method: 'POST', headers, body, redirect: 'manual' })
  return {
    status: response.status,
    nonce: response.headers.get('dpop-nonce') ?? undefined,
    body: await response.text(),
  }
}

function nodeHttpTransport(): RawTransport {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 })
  return (url, headers, body) =>
    new Promise((resolve, reject) => {
      const req = httpRequest(
        url,
        { method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (chunk: Buffer) => chunks.push(chunk))
          res.on('end', () => {
            const nonce = res.headers['dpop-nonce']
            resolve({
              status: res.statusCode ?? 0,
              nonce: typeof nonce === 'string' ? nonce : undefined,
              body: Buffer.concat(chunks).toString('utf8'),
            })
          })
          res.on('error', reject)
        },
      )
      req.on('error', reject)
      req.end(body)
    })
}

const b64url = (value: string | Buffer) => Buffer.from(value).toString('base64url')

/** ES256 compact JWS with node:crypto, the cheapest signer on Node.js. */
function es256(encodedHeader: string, payload: object, key: KeyObject): string {
  const input = `${encodedHeader}.${b64url(JSON.stringify(payload))}`
  return `${input}.${b64url(sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }))}`
}

function formEncode(values: Record<string, string>): string {
  return new URLSearchParams(values).toString()
}

/**
 * The least a correct client must do per request: a fresh client assertion or DPoP proof (new `jti`, `iat`), the
 * form body, the POST, and parsing the JSON answer. It keeps the server's DPoP nonce and retries once on
 * `use_dpop_nonce`, as the libraries do.
 */
async function rawClient(target: Target, mode: Mode, transport: RawTransport): Promise<Operation> {
  const url = new URL(target.tokenEndpoint)
  const form = { grant_type: TOKEN_EXCHANGE, ...exchangeParameters(target) }
  const { clientId, clientSecret } = target.secretClient
  const basic = `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`
  const baseHeaders = {
    accept: 'application/json',
    'content-type': 'application/x-www-form-urlencoded;charset=UTF-8',
  }

  let buildRequest: () => { headers: Record<string, string>; body: string }
  if (mode === 'client_secret_basic') {
    const headers = { ...baseHeaders, authorization: basic }
    const body = formEncode(form)
    buildRequest = () => ({ headers, body })
  } else if (mode === 'private_key_jwt') {
    const { privateJwk } = target.jwtClient
    const key = createPrivateKey({
      key: privateJwk as unknown as import('node:crypto').JsonWebKey,
      format: 'jwk',
    })
    const header = b64url(JSON.stringify({ alg: 'ES256', kid: privateJwk.kid }))
    const jwtClientId = target.jwtClient.clientId
    buildRequest = () => {
      const now = Math.floor(Date.now() / 1000)
      const assertion = es256(
        header,
        {
          iss: jwtClientId,
          sub: jwtClientId,
          aud: target.issuer,
          jti: randomUUID(),
          iat: now,
          exp: now + 60,
        },
        key,
      )
      const body = formEncode({
        ...form,
        client_id: jwtClientId,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
      })
      return { headers: baseHeaders, body }
    }
  } else {
    const pair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
      'verify',
    ])) as CryptoKeyPair
    const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', pair.publicKey)
    const key = createPrivateKey({
      key: (await crypto.subtle.exportKey('jwk', pair.privateKey)) as import('node:crypto').JsonWebKey,
      format: 'jwk',
    })
    const header = b64url(JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty, crv, x, y } }))
    const htu = `${url.origin}${url.pathname}`
    const body = formEncode(form)
    buildRequest = () => {
      const proof = es256(
        header,
        {
          iat: Math.floor(Date.now() / 1000),
          jti: randomUUID(),
          htm: 'POST',
          htu,
          ...(nonce ? { nonce } : {}),
        },
        key,
      )
      return { headers: { ...baseHeaders, authorization: basic, dpop: proof }, body }
    }
  }

  let nonce: string | undefined
  const attempt = async () => {
    const { headers, body } = buildRequest()
    const response = await transport(url, headers, body)
    if (response.nonce) nonce = response.nonce
    return response
  }
  return async () => {
    let response = await attempt()
    if (mode === 'dpop' && response.status === 400 && response.body.includes('"use_dpop_nonce"')) {
      response = await attempt()
    }
    if (response.status !== 200)
      throw new Error(`token endpoint answered ${response.status}: ${response.body}`)
    expectAccessToken(JSON.parse(response.body) as { access_token?: unknown }, mode)
  }
}
