import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { X509Certificate } from 'node:crypto'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { inspect } from 'node:util'
import { generate } from 'selfsigned'
import {
  Configuration,
  TlsClientAuth,
  allowInsecureRequests,
  clientCredentialsGrant,
  customFetch,
} from '../../src/index.js'
import { setTransport, useClientCertificate, type MtlsFetch } from '../../src/node/index.js'
import { expectTypeError, rejection } from '../support/expect.js'

/**
 * Issue 10 item 5: a client certificate configured once on a Configuration (useClientCertificate) is presented
 * by grantline's Node.js transport on an agent of its own, in every transport mode; the transport checks the
 * server's certificate as strictly as fetch does.
 */

const ec = { keyType: 'ec', curve: 'P-256', algorithm: 'sha256' } as const

/** An HTTPS token endpoint that answers with the fingerprint of the client certificate it was shown. */
async function tokenServer(cert: string, key: string): Promise<{ server: Server; origin: string }> {
  const server = createServer({ cert, key, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    req.resume()
    req.on('end', () => {
      const peer = (req.socket as TLSSocket).getPeerX509Certificate()
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(
        JSON.stringify({ access_token: 'at', token_type: 'bearer', peer: peer?.fingerprint256 ?? null }),
      )
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, origin: `https://127.0.0.1:${(server.address() as AddressInfo).port}` }
}

let ip: { server: Server; origin: string }
let named: { server: Server; origin: string }
let ipCert: string
let namedCert: string
let client: { cert: string; key: string }
let previous: ReturnType<typeof setTransport>

beforeAll(async () => {
  const forIp = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    ...ec,
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  })
  // A certificate for another name: the hostname check must refuse it at 127.0.0.1.
  const forName = await generate([{ name: 'commonName', value: 'as.example' }], {
    ...ec,
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'as.example' }] }],
  })
  const pair = await generate([{ name: 'commonName', value: 'mtls-client' }], ec)
  ipCert = forIp.cert
  namedCert = forName.cert
  client = { cert: pair.cert, key: pair.private }
  ip = await tokenServer(forIp.cert, forIp.private)
  named = await tokenServer(forName.cert, forName.private)
  previous = setTransport('auto')
})
afterAll(async () => {
  setTransport(previous)
  for (const { server } of [ip, named]) {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
})

function configFor(origin: string): Configuration {
  return new Configuration(
    { issuer: origin, token_endpoint: `${origin}/token` },
    'mtls-client',
    {},
    TlsClientAuth(),
  )
}

describe('useClientCertificate', () => {
  it('presents the certificate on every request, in every mode, even when fetch is replaced', async () => {
    const config = configFor(ip.origin)
    useClientCertificate(config, { ...client, ca: ipCert })
    const fingerprint = new X509Certificate(client.cert).fingerprint256
    const runtimeFetch = globalThis.fetch
    let replacedCalls = 0
    try {
      globalThis.fetch = ((...args: Parameters<typeof fetch>) => {
        replacedCalls++
        return runtimeFetch(...args)
      }) as typeof fetch
      for (const mode of ['auto', 'fetch', 'node'] as const) {
        setTransport(mode)
        await expect(clientCredentialsGrant(config), mode).resolves.toMatchObject({ peer: fingerprint })
      }
    } finally {
      globalThis.fetch = runtimeFetch
      setTransport('auto')
    }
    expect(replacedCalls).toBe(0)
    ;(config[customFetch] as MtlsFetch).close()
  })

  it('reuses one TLS connection per certificate, and closes the old pool when the certificate is replaced', async () => {
    const config = configFor(ip.origin)
    useClientCertificate(config, { ...client, ca: ipCert })
    const first = config[customFetch] as MtlsFetch
    for (let i = 0; i < 3; i++) await clientCredentialsGrant(config)
    const pooled = Object.values(first.agent.freeSockets).flat()
    expect(pooled).toHaveLength(1)
    useClientCertificate(config, { ...client, ca: ipCert })
    expect(config[customFetch]).not.toBe(first)
    expect(pooled[0]!.destroyed).toBe(true)
    ;(config[customFetch] as MtlsFetch).close()
  })

  it('keeps no key material where it can be printed (D28)', async () => {
    const passphrase = 'pass-phrase-never-printed'
    const config = configFor(ip.origin)
    useClientCertificate(config, { ...client, ca: ipCert, passphrase })
    await clientCredentialsGrant(config)
    const keyLines = client.key.split('\n').filter((line) => line.length > 20 && !line.startsWith('-----'))
    expect(keyLines.length).toBeGreaterThan(0)
    for (const value of [config, config[customFetch], (config[customFetch] as MtlsFetch).agent]) {
      const printed = `${inspect(value, { depth: 8, showHidden: true })}${JSON.stringify(value) ?? ''}`
      for (const line of [...keyLines, passphrase]) expect(printed).not.toContain(line)
    }
    ;(config[customFetch] as MtlsFetch).close()
  })

  it('refuses a non-Configuration and missing credentials before any request; an http: endpoint is a TypeError', async () => {
    expectTypeError(() => useClientCertificate({} as never, client), 'ERR_INVALID_ARG_TYPE', /"config"/)
    expectTypeError(
      () => useClientCertificate(configFor(ip.origin), { cert: client.cert } as never),
      'ERR_INVALID_ARG_TYPE',
    )
    const insecure = configFor(ip.origin.replace('https:', 'http:'))
    allowInsecureRequests(insecure)
    useClientCertificate(insecure, client)
    const err = await rejection(clientCredentialsGrant(insecure))
    expect(err).toBeInstanceOf(TypeError)
    expect(err.message).toBe('mtlsFetch only makes requests to https: URLs')
    ;(insecure[customFetch] as MtlsFetch).close()
  })
})

describe('server certificate checks, as strict as fetch', () => {
  it('an untrusted (self-signed) server certificate fails on both paths with the same cause', async () => {
    const codes: Record<string, unknown> = {}
    for (const mode of ['fetch', 'node'] as const) {
      setTransport(mode)
      try {
        const err = await rejection(clientCredentialsGrant(configFor(ip.origin)))
        expect(err).toBeInstanceOf(TypeError)
        expect(err.message).toBe('fetch failed')
        codes[mode] = (err.cause as { code?: string }).code
      } finally {
        setTransport('auto')
      }
    }
    expect(codes['node']).toBe(codes['fetch'])
    expect(codes['node']).toMatch(/SELF_SIGNED/)
  })

  it('a trusted certificate for another host name is refused (the hostname check stays on with a custom CA)', async () => {
    const config = configFor(named.origin)
    useClientCertificate(config, { ...client, ca: namedCert })
    const err = await rejection(clientCredentialsGrant(config))
    expect(err).toBeInstanceOf(TypeError)
    expect(err.message).toBe('fetch failed')
    expect((err.cause as { code?: string }).code).toBe('ERR_TLS_CERT_ALTNAME_INVALID')
    ;(config[customFetch] as MtlsFetch).close()
  })
})
