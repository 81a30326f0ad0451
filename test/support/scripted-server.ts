import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http'
import { startLoopbackServer } from './loopback-server.js'
import { Configuration, allowInsecureRequests } from '../../src/index.js'
import type { ClientAuth, ClientMetadata, ServerMetadata } from '../../src/index.js'

/** One request as the scripted server received it. */
export interface RecordedRequest {
  method: string
  url: string
  headers: IncomingHttpHeaders
  body: string
}

/** What a test scripts: called for every request, after its body has been read. */
export type Script = (
  req: IncomingMessage,
  res: ServerResponse,
  recorded: RecordedRequest,
) => void | Promise<void>

export interface ScriptedServer {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string
  /** Every request received so far, in order. */
  readonly requests: RecordedRequest[]
  /** Replaces the handler for the requests that follow. */
  script(handler: Script): void
  close(): Promise<void>
}

/** A test secret that must never appear in an error. */
export const CLIENT_SECRET = 's3cr3t-VALUE-never-leak'
export const CLIENT_ID = 'client-hostile'

/**
 * A `node:http` server on 127.0.0.1 whose every answer the test decides: status, headers, bodies sent whole,
 * chunked or trickled, delays, resets. It records what it received so tests can assert on the wire.
 */
export async function startScriptedServer(initial?: Script): Promise<ScriptedServer> {
  const requests: RecordedRequest[] = []
  let handler: Script =
    initial ?? ((_req, res) => json(res, 200, { access_token: 'at', token_type: 'bearer' }))

  const { origin, server, close } = await startLoopbackServer((req, res, body) => {
    const recorded: RecordedRequest = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      body,
    }
    requests.push(recorded)
    return handler(req, res, recorded)
  })
  // Idle keep-alive connections stay open for the whole test file: a test that follows a long one (a property
  // run of thousands of cases) must not send its POST on a socket the server is closing at that very moment,
  // which a client reports as a network failure (POSTs are not retried). afterAll closes every connection.
  server.keepAliveTimeout = 600_000
  server.on('clientError', (_err, socket) => socket.destroy())

  return {
    origin,
    requests,
    script(next) {
      handler = next
    },
    close,
  }
}

/** Sends a complete body with an explicit content-length. */
export function send(
  res: ServerResponse,
  status: number,
  body: string | Buffer,
  headers: Record<string, string> = {},
): void {
  const buffer = typeof body === 'string' ? Buffer.from(body) : body
  res.writeHead(status, { 'content-length': String(buffer.length), ...headers })
  res.end(buffer)
}

/** Sends a JSON body; `contentType` defaults to `application/json`. */
export function json(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  send(res, status, JSON.stringify(value), { 'content-type': 'application/json', ...headers })
}

/** Writes `chunks` with chunked transfer encoding, `delayMs` apart, unless the client went away. */
export async function trickle(
  res: ServerResponse,
  status: number,
  chunks: Iterable<string | Buffer>,
  delayMs: number,
  headers: Record<string, string> = { 'content-type': 'application/json' },
): Promise<void> {
  res.writeHead(status, headers)
  for (const chunk of chunks) {
    if (res.destroyed || res.socket?.destroyed) return
    res.write(chunk)
    await sleep(delayMs)
  }
  if (!res.destroyed) res.end()
}

/** Sends the headers and part of a body, then resets the connection. */
export function resetMidBody(res: ServerResponse, status = 200, partial = '{"access_token":"a'): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': '1000' })
  res.write(partial, () => {
    setTimeout(() => res.socket?.destroy(), 10)
  })
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

export interface ConfigurationOptions {
  /** Extra server metadata; `token_endpoint` defaults to `<origin>/token`. */
  server?: Partial<ServerMetadata>
  metadata?: Partial<ClientMetadata>
  auth?: ClientAuth
  /** Seconds; left at the library default when omitted. */
  timeout?: number
}

/** A Configuration for a scripted server: `http:` allowed, client_secret_post with {@link CLIENT_SECRET}. */
export function configurationFor(
  server: { origin: string },
  options: ConfigurationOptions = {},
): Configuration {
  const config = new Configuration(
    { issuer: server.origin, token_endpoint: `${server.origin}/token`, ...options.server },
    CLIENT_ID,
    { client_secret: CLIENT_SECRET, ...options.metadata },
    options.auth,
  )
  allowInsecureRequests(config)
  if (options.timeout !== undefined) config.timeout = options.timeout
  return config
}
