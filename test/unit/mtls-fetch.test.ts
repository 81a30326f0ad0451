import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { X509Certificate } from 'node:crypto'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { generate } from 'selfsigned'
import {
  ClientError,
  Configuration,
  TlsClientAuth,
  customFetch,
  genericGrantRequest,
} from '../../src/index.js'
import { mtlsFetch, type MtlsFetch } from '../../src/node/index.js'

const ec = { keyType: 'ec', curve: 'P-256', algorithm: 'sha256' } as const

let server: Server
let origin: string
let serverCert: string
let clientCert: string
let clientKey: string
let fetcher: MtlsFetch
let connections = 0
const seen: Array<{
  method: string
  path: string
  body: string
  peer: string | undefined
  headers: Record<string, unknown>
}> = []
const pending = new Set<() => void>()

beforeAll(async () => {
  const serverPair = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    ...ec,
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  })
  const clientPair = await generate([{ name: 'commonName', value: 'mtls-client' }], ec)
  serverCert = serverPair.cert
  clientCert = clientPair.cert
  clientKey = clientPair.private
  server = createServer(
    { cert: serverPair.cert, key: serverPair.private, requestCert: true, rejectUnauthorized: false },
    (req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const peer = (req.socket as TLSSocket).getPeerX509Certificate()
        seen.push({
          method: req.method!,
          path: req.url!,
          body: Buffer.concat(chunks).toString(),
          peer: peer?.fingerprint256,
          headers: req.headers,
        })
        switch (req.url) {
          case '/redirect':
            res.writeHead(302, { location: '/elsewhere' }).end()
            return
          case '/empty':
            res.writeHead(204, { 'dpop-nonce': 'n1' }).end()
            return
          case '/hang':
            pending.add(() => res.destroy())
            return
          case '/trickle':
            res.writeHead(200, { 'content-type': 'application/json' })
            res.write('{"access_token":')
            pending.add(() => res.destroy())
            return
          case '/token':
            res
              .writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
              .end(JSON.stringify({ access_token: 'at', token_type: 'Bearer', peer: peer?.fingerprint256 }))
            return
          default:
            res
              .writeHead(200, [
                ['content-type', 'application/json'],
                ['set-cookie', 'a=1'],
                ['set-cookie', 'b=2'],
              ])
              .end(JSON.stringify({ ok: true }))
        }
      })
    },
  )
  server.on('secureConnection', () => connections++)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`
  fetcher = mtlsFetch({ cert: clientCert, key: clientKey, ca: serverCert })
})

afterAll(async () => {
  for (const end of pending) end()
  fetcher?.close()
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

const get = (path: string, init: Partial<Parameters<MtlsFetch>[1]> = {}) =>
  fetcher(`${origin}${path}`, { method: 'GET', headers: {}, body: undefined, redirect: 'manual', ...init })

describe('mtlsFetch', () => {
  it('presents the client certificate and returns a real Response', async () => {
    const response = await get('/ok', { headers: { accept: 'application/json' } })
    expect(response).toBeInstanceOf(Response)
    expect(response.status).toBe(200)
    expect(response.url).toBe(`${origin}/ok`)
    expect(response.headers.get('content-type')).toBe('application/json')
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2'])
    await expect(response.json()).resolves.toEqual({ ok: true })
    const fingerprint = new X509Certificate(clientCert).fingerprint256
    expect(seen.at(-1)).toMatchObject({ method: 'GET', path: '/ok', peer: fingerprint })
    expect(seen.at(-1)!.headers['accept']).toBe('application/json')
  })

  it('sends URLSearchParams, string and byte bodies with a content-length', async () => {
    const form = new URLSearchParams({ grant_type: 'client_credentials', scope: 'a b' })
    await (
      await fetcher(`${origin}/ok`, { method: 'POST', headers: {}, body: form, redirect: 'manual' })
    ).text()
    expect(seen.at(-1)!.body).toBe('grant_type=client_credentials&scope=a+b')
    expect(seen.at(-1)!.headers['content-type']).toBe('application/x-www-form-urlencoded;charset=UTF-8')
    expect(seen.at(-1)!.headers['content-length']).toBe(String(form.toString().length))
    await (
      await fetcher(`${origin}/ok`, { method: 'POST', headers: {}, body: 'héllo', redirect: 'manual' })
    ).text()
    expect(seen.at(-1)!.body).toBe('héllo')
    await (
      await fetcher(`${origin}/ok`, {
        method: 'POST',
        headers: {},
        body: new TextEncoder().encode('bytes'),
        redirect: 'manual',
      })
    ).text()
    expect(seen.at(-1)!.body).toBe('bytes')
  })

  it('keeps the TLS connection alive between requests', async () => {
    await (await get('/ok')).text()
    const before = connections
    for (let i = 0; i < 3; i++) await (await get('/ok')).text()
    expect(connections).toBe(before)
  })

  it('never follows a redirect', async () => {
    const count = seen.length
    const response = await get('/redirect')
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe('/elsewhere')
    expect(seen.length).toBe(count + 1)
  })

  it('lets a caller cancel a body, read or not, without an error escaping from the socket events', async () => {
    const escaped: unknown[] = []
    const onError = (err: unknown) => escaped.push(err)
    process.on('uncaughtException', onError)
    try {
      for (let i = 0; i < 20; i++) {
        const unread = await get('/ok')
        await unread.body!.cancel()
        const partly = await get('/ok')
        const reader = partly.body!.getReader()
        await reader.read()
        await reader.cancel()
      }
      // Give the sockets' late 'data' / 'end' events their turn.
      await new Promise((resolve) => setTimeout(resolve, 50))
    } finally {
      process.off('uncaughtException', onError)
    }
    expect(escaped).toEqual([])
    const after = await get('/ok')
    await expect(after.json()).resolves.toEqual({ ok: true })
  })

  it('gives a null body for 204', async () => {
    const response = await get('/empty')
    expect(response.status).toBe(204)
    expect(response.body).toBeNull()
    expect(response.headers.get('dpop-nonce')).toBe('n1')
  })

  it('rejects with the abort reason when the signal aborts before the response', async () => {
    const controller = new AbortController()
    const pendingResponse = get('/hang', { signal: controller.signal })
    await new Promise((resolve) => setTimeout(resolve, 50))
    controller.abort()
    await expect(pendingResponse).rejects.toMatchObject({ name: 'AbortError' })
  })

  it('rejects at once for an already-aborted signal, without a request', async () => {
    const count = seen.length
    await expect(get('/ok', { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' })
    expect(seen.length).toBe(count)
  })

  it('errors the body when the signal aborts while it trickles in', async () => {
    const controller = new AbortController()
    const response = await get('/trickle', { signal: controller.signal })
    expect(response.status).toBe(200)
    const text = response.text()
    controller.abort()
    await expect(text).rejects.toMatchObject({ name: 'AbortError' })
  })

  it('refuses non-https URLs and missing credentials', async () => {
    await expect(
      fetcher('http://127.0.0.1:1/', { method: 'GET', headers: {}, body: undefined, redirect: 'manual' }),
    ).rejects.toBeInstanceOf(TypeError)
    expect(() => mtlsFetch({ key: clientKey } as never)).toThrow(TypeError)
    expect(() => mtlsFetch({ cert: clientCert } as never)).toThrow(TypeError)
  })

  it('serves as the customFetch of a Configuration with TlsClientAuth', async () => {
    const config = new Configuration(
      {
        issuer: origin,
        token_endpoint: `${origin}/wrong`,
        mtls_endpoint_aliases: { token_endpoint: `${origin}/token` },
      },
      'mtls-client',
      { use_mtls_endpoint_aliases: true },
      TlsClientAuth(),
    )
    config[customFetch] = fetcher
    const tokens = await genericGrantRequest(config, 'client_credentials', { scope: 'api' })
    expect(tokens.access_token).toBe('at')
    expect(tokens['peer']).toBe(new X509Certificate(clientCert).fingerprint256)
    expect(seen.at(-1)!.body).toBe('scope=api&grant_type=client_credentials&client_id=mtls-client')
  })

  it('a redirect from the token endpoint ends as OAUTH_RESPONSE_IS_NOT_CONFORM', async () => {
    const config = new Configuration(
      { issuer: origin, token_endpoint: `${origin}/redirect` },
      'c',
      {},
      TlsClientAuth(),
    )
    config[customFetch] = fetcher
    const err = await genericGrantRequest(config, 'client_credentials', {}).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ClientError)
    expect(err).toMatchObject({ code: 'OAUTH_RESPONSE_IS_NOT_CONFORM' })
    expect((err as ClientError).cause).toBeInstanceOf(Response)
  })
})
