import { Agent, request, type AgentOptions } from 'node:https'
import type { IncomingMessage } from 'node:http'
import { Readable } from 'node:stream'
import { createSecureContext } from 'node:tls'
import type { CustomFetch, CustomFetchOptions, FetchBody } from '../types.js'

/**
 * TLS and connection options of {@link mtlsFetch}: every `node:https` Agent option, with the client certificate
 * chain and its private key required (PEM; RFC 8705 §2). `ca` adds trust anchors for the server certificate.
 */
export interface MtlsFetchOptions extends Omit<AgentOptions, 'cert' | 'key'> {
  /** The client certificate (chain), PEM. */
  cert: string | Buffer | Array<string | Buffer>
  /** The certificate's private key, PEM (use `passphrase` for an encrypted one). */
  key: string | Buffer | Array<string | Buffer | { pem: string | Buffer; passphrase?: string }>
}

/** A `customFetch` that presents a client certificate, plus its connection pool. */
export interface MtlsFetch extends CustomFetch {
  /**
   * The keep-alive agent holding the TLS connections (a non-enumerable getter). It holds a TLS secure context
   * made from the key, never the key or its passphrase themselves.
   */
  readonly agent: Agent
  /** Closes the pooled connections (e.g. at shutdown, so the process can exit). */
  close(): void
}

/** Statuses whose responses have no body (Fetch: "null body status"). */
const NULL_BODY = new Set([101, 103, 204, 205, 304])

/**
 * A `customFetch` for mutual TLS (RFC 8705) on `node:https` with a keep-alive agent: the certificate is presented
 * on every connection, and connections are reused, which costs about a third less client CPU per token request
 * than the global `fetch` with an undici dispatcher. It speaks just what grantline asks of a fetch: redirects are
 * never followed (a 3xx comes back as is), the abort signal is honoured until the response body has been read,
 * and the result is a real `Response` with a streamed body. Only `https:` URLs are accepted. It sends no
 * `accept-encoding` and decodes no content encoding, so servers answer uncompressed.
 *
 * @example
 * ```ts
 * import * as client from 'grantline'
 * import { mtlsFetch } from 'grantline/node'
 * import { readFileSync } from 'node:fs'
 *
 * const config = new client.Configuration(
 *   server,
 *   'my-client',
 *   { use_mtls_endpoint_aliases: true, tls_client_certificate_bound_access_tokens: true },
 *   client.TlsClientAuth(),
 * )
 * config[client.customFetch] = mtlsFetch({ cert: readFileSync('client.crt'), key: readFileSync('client.key') })
 * const tokens = await client.genericGrantRequest(config, 'client_credentials', {})
 * ```
 */
export function mtlsFetch(options: MtlsFetchOptions): MtlsFetch {
  if (typeof options !== 'object' || options === null) throw argTypeError('"options" must be an object')
  if (options.cert === undefined || options.cert === null) throw argTypeError('"options.cert" is required')
  if (options.key === undefined || options.key === null) throw argTypeError('"options.key" is required')
  // DECISIONS D28: the key, its passphrase and a PFX go into a native secure context at once and are kept
  // nowhere else, so that neither `console.log(config[customFetch])` nor an inspected agent shows them.
  const { key: _key, passphrase: _passphrase, pfx: _pfx, ...connection } = options
  const secureContext = createSecureContext(options)
  const agent = new Agent({ keepAlive: true, ...connection, secureContext })
  const impl = (url: string, init: CustomFetchOptions) => send(agent, url, init)
  Object.defineProperty(impl, 'agent', { get: () => agent, enumerable: false })
  Object.defineProperty(impl, 'close', { value: () => agent.destroy(), enumerable: false })
  return impl as MtlsFetch
}

function argTypeError(message: string): TypeError {
  return Object.assign(new TypeError(message), { code: 'ERR_INVALID_ARG_TYPE' })
}

async function send(agent: Agent, href: string, init: CustomFetchOptions): Promise<Response> {
  const signal = init.signal
  signal?.throwIfAborted()
  if (!URL.canParse(href)) throw new TypeError('invalid URL')
  const url = new URL(href)
  if (url.protocol !== 'https:') throw new TypeError('mtlsFetch only makes requests to https: URLs')
  const method = init.method.toUpperCase()
  const { body, length } = encodeBody(init.body)
  const headers: Record<string, string> = { ...init.headers }
  if (length !== undefined && !hasHeader(headers, 'content-length'))
    headers['content-length'] = String(length)
  if (init.body instanceof URLSearchParams && !hasHeader(headers, 'content-type')) {
    headers['content-type'] = 'application/x-www-form-urlencoded;charset=UTF-8'
  }

  return new Promise<Response>((resolve, reject) => {
    const req = request(url, { method, headers, agent })
    const onAbort = () => req.destroy(signal?.reason)
    signal?.addEventListener('abort', onAbort, { once: true })
    const cleanup = () => signal?.removeEventListener('abort', onAbort)
    // Until a response arrives, any failure (abort included) rejects; afterwards it errors the body stream.
    req.once('error', (err) => {
      cleanup()
      reject(signal?.aborted ? signal.reason : err)
    })
    req.once('response', (res) => {
      try {
        resolve(toResponse(url, method, res, init.redirect, signal, cleanup))
      } catch (err) {
        cleanup()
        res.destroy()
        reject(err)
      }
    })
    if (body instanceof Readable) {
      body.once('error', (err) => req.destroy(err))
      body.pipe(req)
    } else {
      req.end(body)
    }
  })
}

function toResponse(
  url: URL,
  method: string,
  res: IncomingMessage,
  redirect: string | undefined,
  signal: AbortSignal | undefined,
  cleanup: () => void,
): Response {
  const status = res.statusCode ?? 0
  if (status < 200 || status > 599) throw new TypeError(`invalid response status code ${status}`)
  if (redirect === 'error' && status >= 300 && status < 400) {
    throw new TypeError('unexpected redirect')
  }
  const headers = new Headers()
  const raw = res.rawHeaders
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!)
  let body: ReadableStream<Uint8Array> | null = null
  if (method === 'HEAD' || NULL_BODY.has(status)) {
    res.resume()
    res.once('end', cleanup)
  } else {
    body = bodyStream(res, signal, cleanup)
  }
  const response = new Response(body, { status, statusText: res.statusMessage ?? '', headers })
  Object.defineProperty(response, 'url', { value: url.href })
  return response
}

/** The response body as a web stream that pulls from the socket (so a size cap can stop reading early). */
function bodyStream(
  res: IncomingMessage,
  signal: AbortSignal | undefined,
  cleanup: () => void,
): ReadableStream<Uint8Array> {
  res.pause()
  // Once the reader cancels (the pipeline releases a body it does not read), the controller is closed: events
  // the socket still emits must not touch it.
  let cancelled = false
  return new ReadableStream<Uint8Array>({
    start(controller) {
      res.on('data', (chunk: Buffer) => {
        if (cancelled) return
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))
        if ((controller.desiredSize ?? 0) <= 0) res.pause()
      })
      res.once('end', () => {
        cleanup()
        if (!cancelled) controller.close()
      })
      res.once('error', (err) => {
        cleanup()
        if (!cancelled) controller.error(signal?.aborted ? signal.reason : err)
      })
      // An abort after the headers arrived must still end a body that trickles in.
      res.once('close', () => {
        if (!res.complete) {
          cleanup()
          try {
            controller.error(signal?.aborted ? signal.reason : new TypeError('terminated'))
          } catch {
            // already closed or errored
          }
        }
      })
    },
    pull() {
      res.resume()
    },
    cancel() {
      cancelled = true
      cleanup()
      res.destroy()
    },
  })
}

function encodeBody(body: FetchBody): { body: string | Uint8Array | Readable | undefined; length?: number } {
  if (body === undefined || body === null) return { body: undefined }
  if (typeof body === 'string' || body instanceof URLSearchParams) {
    const bytes = Buffer.from(body.toString(), 'utf8')
    return { body: bytes, length: bytes.byteLength }
  }
  if (body instanceof ArrayBuffer) return { body: new Uint8Array(body), length: body.byteLength }
  if (body instanceof Uint8Array) return { body, length: body.byteLength }
  if (body instanceof ReadableStream) return { body: Readable.fromWeb(body as never) }
  throw new TypeError('unsupported request body type')
}

function hasHeader(headers: Record<string, string>, name: string): boolean {
  return Object.keys(headers).some((key) => key.toLowerCase() === name)
}
