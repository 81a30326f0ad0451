import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib'
import {
  ClientError,
  ResponseBodyError,
  clientCredentialsGrant,
  fetchProtectedResource,
  type Configuration,
} from '../../src/index.js'
import { setTransport, type TransportMode } from '../../src/node/index.js'
import {
  configurationFor,
  json,
  startScriptedServer,
  type RecordedRequest,
  type ScriptedServer,
} from '../support/scripted-server.js'
import { rejection } from '../support/expect.js'

/**
 * Issue 10 item 1: the node:http transport behaves as the fetch path does. Each scenario runs on both paths
 * (setTransport) and the outcomes are compared, so the fetch path is the oracle; the few deliberate differences
 * (DECISIONS D30) are asserted as such.
 */

const GOOD = { access_token: 'at-1', token_type: 'bearer', expires_in: 60 }
const PATHS: TransportMode[] = ['fetch', 'node']

let server: ScriptedServer
let config: Configuration
let previous: TransportMode
/** The client port of every request, in order: the connections the client used. */
let ports: number[]

beforeAll(async () => {
  server = await startScriptedServer()
  previous = setTransport('node')
})
afterAll(async () => {
  setTransport(previous)
  await server.close()
})
beforeEach(() => {
  config = configurationFor(server, { timeout: 5 })
  ports = []
})

/** Runs `scenario` once per path and returns both outcomes, fetch first. */
async function onBothPaths<T>(scenario: () => Promise<T>): Promise<Record<TransportMode, T>> {
  const outcomes = {} as Record<TransportMode, T>
  for (const path of PATHS) {
    setTransport(path)
    try {
      outcomes[path] = await scenario()
    } finally {
      setTransport('node')
    }
  }
  return outcomes
}

/** What a grant ends in, comparable across paths. */
async function outcome(promise: Promise<unknown>): Promise<unknown> {
  try {
    return { ok: await promise }
  } catch (err) {
    const e = err as Error & { code?: string; cause?: unknown }
    const cause = e.cause instanceof Error ? { name: e.cause.name, message: e.cause.message } : undefined
    return { name: e.name, code: e.code, message: e.message, cause }
  }
}

describe('the request on the wire', () => {
  it('the same method, path, body and headers as fetch, but for the encodings asked and fetch’s browser headers', async () => {
    server.script((req, res) => {
      ports.push(req.socket.remotePort!)
      json(res, 200, GOOD)
    })
    const sent = await onBothPaths(async () => {
      await clientCredentialsGrant(config, { scope: 'a b' })
      return server.requests.at(-1)!
    })
    const view = ({ method, url, body, headers }: RecordedRequest) => {
      const {
        'accept-encoding': _encoding,
        'accept-language': _language,
        'sec-fetch-mode': _mode,
        ...rest
      } = headers
      return { method, url, body, headers: rest }
    }
    expect(view(sent.node)).toEqual(view(sent.fetch))
    expect(sent.node.headers).toMatchObject({
      'content-type': 'application/x-www-form-urlencoded;charset=UTF-8',
      'content-length': String(Buffer.byteLength(sent.node.body)),
      accept: 'application/json',
      connection: 'keep-alive',
    })
    // DECISIONS D30.
    expect(sent.node.headers['accept-encoding']).toBe('identity')
    expect(sent.fetch.headers['accept-encoding']).toBe('gzip, deflate')
    expect(sent.node.headers['accept-language']).toBeUndefined()
    expect(sent.node.headers['sec-fetch-mode']).toBeUndefined()
  })

  it('keeps the connection alive between requests', async () => {
    server.script((req, res) => {
      ports.push(req.socket.remotePort!)
      json(res, 200, GOOD)
    })
    for (let i = 0; i < 4; i++) await clientCredentialsGrant(config)
    expect(new Set(ports).size).toBe(1)
  })

  it('a caller’s accept-encoding on a protected resource request is sent as given', async () => {
    server.script((_req, res) => json(res, 200, { ok: true }))
    await fetchProtectedResource(
      config,
      'at',
      new URL(`${server.origin}/api`),
      'GET',
      undefined,
      new Headers({ 'accept-encoding': 'gzip' }),
    )
    expect(server.requests.at(-1)!.headers['accept-encoding']).toBe('gzip')
  })
})

describe('the response', () => {
  const body = Buffer.from(JSON.stringify(GOOD))
  it.each([
    ['gzip', gzipSync(body)],
    ['x-gzip', gzipSync(body)],
    ['deflate', deflateSync(body)],
    ['br', brotliCompressSync(body)],
    ['gzip, br', brotliCompressSync(gzipSync(body))],
    ['identity', body],
  ])('a body in content-encoding %s is decoded as fetch decodes it', async (coding, bytes) => {
    server.script((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': coding })
      res.end(bytes)
    })
    const outcomes = await onBothPaths(() => outcome(clientCredentialsGrant(config)))
    expect(outcomes.node).toEqual(outcomes.fetch)
    expect(outcomes.node).toMatchObject({ ok: { access_token: 'at-1' } })
  })

  it('a content coding neither knows is passed through as is, on both paths', async () => {
    server.script((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'compress' })
      res.end(body)
    })
    const outcomes = await onBothPaths(() => outcome(clientCredentialsGrant(config)))
    expect(outcomes.node).toEqual(outcomes.fetch)
  })

  it.each([
    ['uncompressed', (b: Buffer) => b, undefined],
    ['gzip (a small body that inflates past the cap)', gzipSync, 'gzip'],
  ])('the 1 MiB cap holds for a body %s, on the decoded size', async (_name, encode, coding) => {
    const huge = Buffer.from(`{"access_token":"${' '.repeat(1024 * 1024)}"}`)
    const bytes = encode(huge)
    server.script((_req, res) => {
      res.writeHead(200, {
        'content-type': 'application/json',
        ...(coding ? { 'content-encoding': coding } : {}),
      })
      res.end(bytes)
    })
    const outcomes = await onBothPaths(() => outcome(clientCredentialsGrant(config)))
    expect(outcomes.node).toEqual(outcomes.fetch)
    expect(outcomes.node).toMatchObject({
      name: 'ClientError',
      code: 'OAUTH_INVALID_RESPONSE',
      cause: { message: '"response" body is larger than 1048576 bytes' },
    })
  })

  it('a body that arrives after its headers, in pieces, is read whole', async () => {
    server.script((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('{"access_token":"at-1",')
      setTimeout(() => res.end('"token_type":"bearer"}'), 30)
    })
    const outcomes = await onBothPaths(() => outcome(clientCredentialsGrant(config)))
    expect(outcomes.node).toEqual(outcomes.fetch)
    expect(outcomes.node).toMatchObject({ ok: { access_token: 'at-1' } })
    // The same response handed to a caller: a streamed Response that looks like fetch's.
    const seen = await onBothPaths(async () => {
      const response = await fetchProtectedResource(config, 'at', new URL(`${server.origin}/api`), 'GET')
      return {
        type: response.type,
        url: response.url,
        redirected: response.redirected,
        body: await response.json(),
      }
    })
    expect(seen.node).toEqual(seen.fetch)
  })

  it('an OAuth error’s response is a real Response, in the same state as on the fetch path', async () => {
    server.script((_req, res) => json(res, 400, { error: 'invalid_scope' }, { 'set-cookie': 'a=1' }))
    const seen = await onBothPaths(async () => {
      const err = await rejection(clientCredentialsGrant(config))
      expect(err).toBeInstanceOf(ResponseBodyError)
      const response = (err as unknown as ResponseBodyError).response
      const used = response.bodyUsed
      return {
        isResponse: response instanceof Response,
        status: response.status,
        url: response.url,
        cookies: response.headers.getSetCookie(),
        used,
        body: used ? await response.text().catch((e: unknown) => (e as Error).name) : await response.json(),
        clone: (() => {
          try {
            return response.clone().status
          } catch (e) {
            return (e as Error).name
          }
        })(),
      }
    })
    expect(seen.node).toEqual(seen.fetch)
    expect(seen.node).toMatchObject({
      isResponse: true,
      status: 400,
      url: `${server.origin}/token`,
      cookies: ['a=1'],
    })
  })

  it('a Response from the transport reads, clones and refuses a second read as a fetch Response does', async () => {
    server.script((_req, res) => json(res, 200, { ok: true }, { 'set-cookie': 'a=1' }))
    const seen = await onBothPaths(async () => {
      const response = await fetchProtectedResource(config, 'at', new URL(`${server.origin}/api`), 'GET')
      const clone = response.clone()
      const blobType = (await response.clone().blob()).type
      const first = await response.text()
      const again = await response.text().catch((e: unknown) => (e as Error).name)
      let cloneAfterRead: string
      try {
        response.clone()
        cloneAfterRead = 'cloned'
      } catch (e) {
        cloneAfterRead = (e as Error).name
      }
      return { first, again, used: response.bodyUsed, cloned: await clone.json(), cloneAfterRead, blobType }
    })
    expect(seen.node).toEqual(seen.fetch)
    expect(seen.node).toEqual({
      first: '{"ok":true}',
      again: 'TypeError',
      used: true,
      cloned: { ok: true },
      cloneAfterRead: 'TypeError',
      blobType: 'application/json',
    })
  })

  it('a body the pipeline did not read (a non-conform status) is cancelled, as on the fetch path', async () => {
    server.script((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' })
      res.end('<html>bad gateway</html>')
    })
    const causes = await onBothPaths(async () => {
      const err = await rejection(clientCredentialsGrant(config))
      expect(err).toBeInstanceOf(ClientError)
      expect(err.code).toBe('OAUTH_RESPONSE_IS_NOT_CONFORM')
      const response = err.cause as Response
      return { isResponse: response instanceof Response, status: response.status, used: response.bodyUsed }
    })
    expect(causes.node).toEqual(causes.fetch)
    expect(causes.node).toEqual({ isResponse: true, status: 502, used: true })
  })

  it('fetchProtectedResource resolves to a Response the caller reads as from fetch (body, 204, HEAD)', async () => {
    server.script((req, res) => {
      if (req.url === '/empty') return void res.writeHead(204, { 'x-n': '1' }).end()
      json(res, 200, { ok: true, method: req.method })
    })
    const url = (path: string) => new URL(`${server.origin}${path}`)
    const seen = await onBothPaths(async () => {
      const got = await fetchProtectedResource(config, 'at', url('/api'), 'GET')
      const empty = await fetchProtectedResource(config, 'at', url('/empty'), 'GET')
      const head = await fetchProtectedResource(config, 'at', url('/api'), 'HEAD')
      const reader = got.body!.getReader()
      let text = ''
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
        text += new TextDecoder().decode(chunk.value)
      }
      return {
        type: got.type,
        ok: got.ok,
        text,
        used: got.bodyUsed,
        empty: [empty.status, empty.body, empty.headers.get('x-n'), await empty.text()],
        head: [head.status, head.body, head.headers.get('content-type')],
      }
    })
    expect(seen.node).toEqual(seen.fetch)
    expect(seen.node.text).toBe('{"ok":true,"method":"GET"}')
  })
})

describe('failures', () => {
  it('a server that never answers: OAUTH_TIMEOUT with a TimeoutError cause', async () => {
    server.script(() => {})
    const outcomes = await onBothPaths(() =>
      outcome(clientCredentialsGrant(configurationFor(server, { timeout: 0.2 }))),
    )
    expect(outcomes.node).toEqual(outcomes.fetch)
    expect(outcomes.node).toMatchObject({ code: 'OAUTH_TIMEOUT', cause: { name: 'TimeoutError' } })
  })

  it('a reset mid-body ends as on the fetch path', async () => {
    server.script((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' })
      res.write('{"access_token":"a', () => setTimeout(() => res.socket?.destroy(), 10))
    })
    const outcomes = await onBothPaths(() => outcome(clientCredentialsGrant(config)))
    expect(outcomes.node).toEqual(outcomes.fetch)
  })

  it('a reset before the headers and a refused connection are TypeError("fetch failed") with the cause', async () => {
    server.script((req) => void req.socket.destroy())
    const reset = await onBothPaths(() => outcome(clientCredentialsGrant(config)))
    expect(reset.node).toMatchObject({ name: 'TypeError', message: 'fetch failed', code: undefined })
    expect(reset.fetch).toMatchObject({ name: 'TypeError', message: 'fetch failed', code: undefined })
    const gone = await startScriptedServer()
    await gone.close()
    const refused = await onBothPaths(async () => {
      const err = await rejection(clientCredentialsGrant(configurationFor(gone)))
      return { name: err.name, message: err.message, cause: (err.cause as { code?: string }).code }
    })
    expect(refused.node).toEqual(refused.fetch)
    expect(refused.node).toEqual({ name: 'TypeError', message: 'fetch failed', cause: 'ECONNREFUSED' })
  })

  it('a redirect is never followed', async () => {
    server.script((req, res) => {
      if (req.url === '/token') return void res.writeHead(302, { location: '/elsewhere' }).end()
      json(res, 200, GOOD)
    })
    const outcomes = await onBothPaths(async () => {
      const before = server.requests.length
      const result = await outcome(clientCredentialsGrant(config))
      return { result, requests: server.requests.length - before }
    })
    expect(outcomes.node).toEqual(outcomes.fetch)
    expect(outcomes.node).toMatchObject({ requests: 1, result: { code: 'OAUTH_RESPONSE_IS_NOT_CONFORM' } })
  })

  it('a URL with credentials is refused as fetch refuses it', async () => {
    const origin = new URL(server.origin)
    const cfg = configurationFor({ origin: `http://user:pass@${origin.host}` })
    const outcomes = await onBothPaths(async () => {
      const before = server.requests.length
      const err = await rejection(clientCredentialsGrant(cfg))
      return { name: err.name, message: err.message.split(':')[0], requests: server.requests.length - before }
    })
    expect(outcomes.node).toEqual(outcomes.fetch)
    expect(outcomes.node).toMatchObject({ name: 'TypeError', requests: 0 })
  })
})
