import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPrivateKey, generateKeyPairSync } from 'node:crypto'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { format, inspect } from 'node:util'
import { generate } from 'selfsigned'
import {
  ClientSecretBasic,
  ClientSecretJwt,
  ClientSecretPost,
  Configuration,
  PrivateKeyJwt,
  allowInsecureRequests,
  clientCredentialsGrant,
  customFetch,
  getDPoPHandle,
  modifyAssertion,
  signJwtBearerAssertion,
} from '../../src/index.js'
import { mtlsFetch, type MtlsFetch } from '../../src/node/index.js'
import { rejection } from '../support/expect.js'

/**
 * Issue 9, defect 6: nothing grantline hands out prints key material, whatever a logger does with it:
 * `util.inspect` at any depth with hidden members, `console.log` (util.format) and `JSON.stringify`.
 */

const SECRET = 'client-secret-NEVER-PRINTED-42'
const PASSPHRASE = 'passphrase-NEVER-PRINTED-7'

/** Every way of printing `value` a logger might use. */
function printed(value: unknown): string {
  let json = ''
  try {
    json = JSON.stringify(value) ?? ''
  } catch {
    // a circular value cannot be stringified, so it cannot leak that way
  }
  return [
    inspect(value, { depth: Infinity, showHidden: true, getters: false }),
    format('%o', value),
    format(value),
    json,
  ].join('\n')
}

/** The base64 lines of a PEM body: any one of them in print is a leak. */
function pemLines(pem: string): string[] {
  return pem
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('-----') && !line.includes(':'))
}

function expectNoneOf(text: string, secrets: string[]): void {
  expect(secrets.length).toBeGreaterThan(0)
  for (const secret of secrets) expect(text).not.toContain(secret)
}

describe('mtlsFetch', () => {
  let server: Server
  let origin: string
  let clientKeyPem: string
  let encryptedKeyPem: string
  let fetcher: MtlsFetch
  let pemCert: string

  beforeAll(async () => {
    const ec = { keyType: 'ec', curve: 'P-256', algorithm: 'sha256' } as const
    const serverPair = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
      ...ec,
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
    })
    const clientPair = await generate([{ name: 'commonName', value: 'mtls-client' }], ec)
    clientKeyPem = clientPair.private
    pemCert = clientPair.cert
    encryptedKeyPem = createPrivateKey(clientKeyPem).export({
      type: 'pkcs8',
      format: 'pem',
      cipher: 'aes-256-cbc',
      passphrase: PASSPHRASE,
    }) as string
    server = createServer(
      { cert: serverPair.cert, key: serverPair.private, requestCert: true, rejectUnauthorized: false },
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ access_token: 'at', token_type: 'bearer' }))
      },
    )
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`
    fetcher = mtlsFetch({
      cert: clientPair.cert,
      key: encryptedKeyPem,
      passphrase: PASSPHRASE,
      ca: serverPair.cert,
    })
  })
  afterAll(async () => {
    fetcher?.close()
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })

  const secrets = () => [...pemLines(encryptedKeyPem), ...pemLines(clientKeyPem), PASSPHRASE]

  it('neither the function, nor its agent, nor a Configuration holding it prints the key or passphrase', async () => {
    const config = new Configuration({ issuer: origin, token_endpoint: `${origin}/token` }, 'client', SECRET)
    config[customFetch] = fetcher
    // After a request, so the pooled TLS socket is in the agent too.
    await expect(clientCredentialsGrant(config)).resolves.toMatchObject({ access_token: 'at' })
    for (const value of [fetcher, fetcher.agent, config, config[customFetch]]) {
      expectNoneOf(printed(value), [...secrets(), SECRET])
    }
  })

  it('with a key given as a { pem, passphrase } array, too', () => {
    const other = mtlsFetch({
      cert: pemCert,
      key: [{ pem: encryptedKeyPem, passphrase: PASSPHRASE }],
    })
    try {
      expectNoneOf(printed(other), secrets())
      expectNoneOf(printed(other.agent), secrets())
    } finally {
      other.close()
    }
  })
})

describe('keys and secrets held by other objects grantline hands out', () => {
  /** An extractable key pair, so that the test knows the private `d` it must not find. */
  async function ecKeyPair(): Promise<{ pair: CryptoKeyPair; d: string }> {
    const pair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
      'verify',
    ])) as CryptoKeyPair
    const { d } = await crypto.subtle.exportKey('jwk', pair.privateKey)
    return { pair, d: d! }
  }

  const server = { issuer: 'https://as.example', token_endpoint: 'https://as.example/token' }

  it('a Configuration with a client secret', () => {
    const config = new Configuration(server, 'client', { client_secret: SECRET })
    expectNoneOf(printed(config), [SECRET])
  })

  it('ClientSecretBasic, ClientSecretPost and ClientSecretJwt results', () => {
    for (const auth of [ClientSecretBasic(SECRET), ClientSecretPost(SECRET), ClientSecretJwt(SECRET)]) {
      expectNoneOf(printed(auth), [SECRET])
    }
  })

  it('PrivateKeyJwt results and DPoP handles', async () => {
    const { pair, d } = await ecKeyPair()
    const config = new Configuration(
      server,
      'client',
      undefined,
      PrivateKeyJwt({ key: pair.privateKey, kid: 'k' }),
    )
    const handle = getDPoPHandle(config, pair)
    await handle.calculateThumbprint()
    for (const value of [PrivateKeyJwt(pair.privateKey), handle, config]) expectNoneOf(printed(value), [d])
  })

  it('a node:crypto RSA key: its PEM lines are not printed by a PrivateKeyJwt result', async () => {
    const { privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    })
    const der = createPrivateKey(privateKey).export({ type: 'pkcs8', format: 'der' })
    const key = await crypto.subtle.importKey('pkcs8', der, { name: 'RSA-PSS', hash: 'SHA-256' }, false, [
      'sign',
    ])
    expectNoneOf(printed(PrivateKeyJwt(key)), pemLines(privateKey))
  })

  it('errors thrown while signing a client assertion or a JWT bearer assertion', async () => {
    const { pair, d } = await ecKeyPair()
    // A claim JSON cannot carry: the signing step throws.
    const breakAlg = {
      [modifyAssertion]: (_header: Record<string, unknown>, payload: Record<string, unknown>) =>
        void (payload['big'] = 10n),
    }
    const fetchNothing = () => Promise.reject(new Error('no request expected'))

    const jwtConfig = new Configuration(server, 'client', undefined, ClientSecretJwt(SECRET, breakAlg))
    jwtConfig[customFetch] = fetchNothing
    allowInsecureRequests(jwtConfig)
    const hmacErr = await rejection(clientCredentialsGrant(jwtConfig))
    expect(String(hmacErr)).toMatch(/BigInt/)
    expectNoneOf(printed(hmacErr), [SECRET])

    const keyConfig = new Configuration(server, 'client', undefined, PrivateKeyJwt(pair.privateKey, breakAlg))
    keyConfig[customFetch] = fetchNothing
    const keyErr = await rejection(clientCredentialsGrant(keyConfig))
    expect(String(keyErr)).toMatch(/BigInt/)
    expectNoneOf(printed(keyErr), [d])

    const bearerErr = await rejection(signJwtBearerAssertion(keyConfig, pair.privateKey, {}, breakAlg))
    expect(String(bearerErr)).toMatch(/BigInt/)
    expectNoneOf(printed(bearerErr), [d])
  })
})
