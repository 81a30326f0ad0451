import {
  Agent as HttpAgent,
  request as httpRequest,
  type ClientRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
} from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { Readable, pipeline } from 'node:stream'
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib'
import type { FetchBody } from '../types.js'
import { MAX_TIMER_MS, deadlineSignal } from '../internal/time.js'
import { BufferedResponse } from './response.js'

/**
 * grantline's transport on `node:http` / `node:https` (issue 10). It behaves as the global `fetch` does for
 * grantline's requests (redirects never followed, a deadline and a signal bounding the exchange including the
 * body, network failures as `TypeError('fetch failed')` with the cause, the default CA store and hostname check),
 * at a fraction of the CPU: keep-alive agents of its own, one timer per request, and a body that arrived with its
 * headers handed to the pipeline as bytes instead of a web stream.
 */

/**
 * Options of every agent: keep-alive, and an idle connection closed after 4 s, or 1 s before the server's
 * `Keep-Alive: timeout=N` says it will close it (Node.js applies that hint only to an agent with a timeout), as
 * undici does: a request never goes out on a connection the server is closing.
 */
export const AGENT_OPTIONS = { keepAlive: true, timeout: 4_000 } as const

/** The keep-alive agents of requests without a client certificate. */
export const httpAgent = new HttpAgent(AGENT_OPTIONS)
export const httpsAgent = new HttpsAgent(AGENT_OPTIONS)

/** One exchange: the request as the pipeline built it, its bounds and the connection pool to use. */
export interface Exchange {
  url: URL
  method: string
  /** Lower-case names. */
  headers: Record<string, string>
  body: FetchBody
  /** Milliseconds the exchange may take, body included; undefined: no deadline. */
  timeoutMs?: number | undefined
  signal?: AbortSignal | undefined
  /** The pool for `https:` URLs (a client certificate's own, or the default). */
  tlsAgent?: HttpsAgent | undefined
  /** Set by `mtlsFetch` used as a plain fetch: a 3xx is an error (`redirect: 'error'`). */
  redirectError?: boolean | undefined
}

/** Statuses whose responses have no body (Fetch: "null body status"). */
const NULL_BODY = new Set([101, 103, 204, 205, 304])

/** DECISIONS D30: responses are asked for uncompressed; a compressed one is still decoded. */
const ACCEPT_ENCODING = 'identity'

export function exchange(x: Exchange): Promise<Response> {
  const { url, signal } = x
  if (signal?.aborted) return Promise.reject(signal.reason)
  const secure = url.protocol === 'https:'
  if (!secure && url.protocol !== 'http:') {
    return Promise.reject(new TypeError('fetch failed', { cause: new TypeError('unknown scheme') }))
  }
  if (url.username !== '' || url.password !== '') {
    return Promise.reject(new TypeError('Request cannot be constructed from a URL that includes credentials'))
  }
  let encoded: { body: string | Uint8Array | Readable | undefined; length: number | undefined }
  try {
    encoded = encodeBody(x.body)
  } catch (err) {
    return Promise.reject(err)
  }
  const headers: OutgoingHttpHeaders = x.headers
  if (encoded.length !== undefined && headers['content-length'] === undefined) {
    headers['content-length'] = encoded.length
  } else if (encoded.body === undefined && (x.method === 'POST' || x.method === 'PUT')) {
    headers['content-length'] = 0
  }
  if (headers['content-type'] === undefined) {
    if (x.body instanceof URLSearchParams) {
      headers['content-type'] = 'application/x-www-form-urlencoded;charset=UTF-8'
    } else if (typeof x.body === 'string') headers['content-type'] = 'text/plain;charset=UTF-8'
  }
  if (headers['accept-encoding'] === undefined) headers['accept-encoding'] = ACCEPT_ENCODING

  return new Promise<Response>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined
    let bound = signal
    /** Set once the exchange is over: body read, cancelled or failed. */
    let over = false
    /** The deadline or the caller's abort reason, once one of them ended the exchange. */
    let reason: unknown
    /** The body stream's controller, once the body is streamed rather than buffered. */
    let controller: ReadableStreamDefaultController<Uint8Array> | undefined

    const settle = () => {
      if (over) return
      over = true
      if (timer !== undefined) clearTimeout(timer)
      bound?.removeEventListener('abort', onAbort)
    }
    /** Ends the exchange for `why` (a deadline or an abort), wherever it is. */
    const stop = (why: unknown) => {
      if (over) return
      reason = why
      settle()
      req.destroy(why as Error)
      failBody(why)
      reject(why)
    }
    const failBody = (err: unknown) => {
      try {
        controller?.error(err)
      } catch {
        // closed already
      }
    }
    function onAbort() {
      stop(bound!.reason)
    }

    const timeoutMs = x.timeoutMs
    if (timeoutMs !== undefined) {
      if (timeoutMs <= MAX_TIMER_MS) {
        // The one timer of the exchange; like AbortSignal.timeout, it does not keep the process alive.
        timer = setTimeout(() => stop(timeoutError()), timeoutMs)
        timer.unref()
      } else {
        // DECISIONS D24: beyond a timer's range, the chained deadline signal.
        const long = deadlineSignal(timeoutMs)
        bound = bound ? AbortSignal.any([bound, long]) : long
      }
    }
    bound?.addEventListener('abort', onAbort)

    const req: ClientRequest = (secure ? httpsRequest : httpRequest)({
      protocol: url.protocol,
      hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
      port: url.port,
      path: url.pathname + url.search,
      method: x.method,
      headers,
      agent: secure ? (x.tlsAgent ?? httpsAgent) : httpAgent,
    })
    req.on('error', (err) => {
      const failure = reason ?? new TypeError('fetch failed', { cause: err })
      settle()
      failBody(reason ?? new TypeError('terminated', { cause: err }))
      reject(failure)
    })
    req.once('response', (res) => {
      res.on('error', (err) => {
        settle()
        failBody(reason ?? new TypeError('terminated', { cause: err }))
      })
      try {
        answer(res)
      } catch (err) {
        // A status or status text a Response cannot carry.
        settle()
        req.destroy()
        reject(new TypeError('fetch failed', { cause: err }))
      }
    })
    const answer = (res: IncomingMessage) => {
      const status = res.statusCode ?? 0
      if (status < 200 || status > 599) {
        settle()
        req.destroy()
        reject(new TypeError('fetch failed', { cause: new RangeError(`invalid status code ${status}`) }))
        return
      }
      if (x.redirectError && status >= 300 && status < 400) {
        settle()
        req.destroy()
        reject(new TypeError('fetch failed', { cause: new Error('unexpected redirect') }))
        return
      }
      const raw = res.rawHeaders
      if (x.method === 'HEAD' || NULL_BODY.has(status)) {
        settle()
        res.resume()
        resolve(new BufferedResponse(null, status, res.statusMessage ?? '', url.href, raw))
        return
      }
      const codings = contentCodings(raw)
      if (codings !== undefined) {
        resolve(streamed(decoded(res, codings), []))
        return
      }
      // The usual case: the whole body came with the headers. Collect it, and hand it over as bytes once the
      // parser is done with this packet; a body still on its way by then is streamed instead.
      const chunks: Buffer[] = []
      let size = 0
      let streaming = false
      const onData = (chunk: Buffer) => {
        chunks.push(chunk)
        size += chunk.byteLength
      }
      res.on('data', onData)
      res.once('end', () => {
        if (streaming) return
        settle()
        const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)
        resolve(new BufferedResponse(bytes, status, res.statusMessage ?? '', url.href, raw))
      })
      process.nextTick(() => {
        if (res.complete || over) return
        streaming = true
        res.off('data', onData)
        resolve(streamed(res, chunks))
      })

      /** A real Response whose body streams from `source`, pulled as the reader asks. */
      function streamed(source: Readable, initial: Buffer[]): Response {
        source.pause()
        let cancelled = false
        const body = new ReadableStream<Uint8Array>({
          start(c) {
            controller = c
            for (const chunk of initial) c.enqueue(bytesOf(chunk))
            source.on('data', (chunk: Buffer) => {
              if (cancelled || over) return
              c.enqueue(bytesOf(chunk))
              if ((c.desiredSize ?? 0) <= 0) source.pause()
            })
            source.once('end', () => {
              settle()
              try {
                if (!cancelled) c.close()
              } catch {
                // errored by the deadline or an abort already
              }
            })
            source.on('error', (err) => {
              settle()
              if (!cancelled) failBody(reason ?? new TypeError('terminated', { cause: err }))
            })
            // The connection went away before the body was complete.
            res.once('close', () => {
              if (res.complete || cancelled) return
              settle()
              failBody(reason ?? new TypeError('terminated', { cause: new Error('other side closed') }))
            })
          },
          pull() {
            source.resume()
          },
          cancel() {
            cancelled = true
            settle()
            req.destroy()
            if (source !== res) source.destroy()
          },
        })
        const response = new Response(body, { status, statusText: res.statusMessage ?? '' })
        // As fetch's own Response (the buffered one does the same).
        Object.defineProperties(response, { url: { value: url.href }, type: { value: 'basic' } })
        return withHeaders(response, raw)
      }
    }

    const { body } = encoded
    if (body instanceof Readable) {
      body.once('error', (err) => req.destroy(err))
      body.pipe(req)
    } else {
      req.end(body)
    }
  })
}

function timeoutError(): DOMException {
  return new DOMException('The operation was aborted due to timeout', 'TimeoutError')
}

function withHeaders<T extends Response>(response: T, raw: string[]): T {
  const headers = response.headers
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!)
  return response
}

function bytesOf(chunk: Buffer): Uint8Array {
  return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)
}

/** The content codings to undo, outermost last; undefined for none (or one we do not know, passed on as is). */
function contentCodings(raw: string[]): string[] | undefined {
  let value: string | undefined
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!
    if (name.length === 16 && name.toLowerCase() === 'content-encoding') {
      value = value === undefined ? raw[i + 1]! : `${value}, ${raw[i + 1]!}`
    }
  }
  if (value === undefined) return undefined
  const codings = value
    .toLowerCase()
    .split(',')
    .map((coding) => coding.trim())
    .filter((coding) => coding !== '' && coding !== 'identity')
  if (codings.length === 0) return undefined
  const known = ['gzip', 'x-gzip', 'deflate', 'br']
  return codings.every((coding) => known.includes(coding)) ? codings : undefined
}

/** The body with its content codings undone, as the fetch path does; the size cap counts decoded bytes. */
function decoded(res: IncomingMessage, codings: string[]): Readable {
  const decoders = codings.reverse().map((coding) => {
    if (coding === 'br') return createBrotliDecompress()
    if (coding === 'deflate') return createInflate()
    return createGunzip()
  })
  return pipeline([res, ...decoders], () => {}) as unknown as Readable
}

function encodeBody(body: FetchBody): {
  body: string | Uint8Array | Readable | undefined
  length: number | undefined
} {
  if (body === undefined || body === null) return { body: undefined, length: undefined }
  if (typeof body === 'string') return { body, length: Buffer.byteLength(body) }
  if (body instanceof URLSearchParams) {
    const text = body.toString()
    return { body: text, length: Buffer.byteLength(text) }
  }
  if (body instanceof ArrayBuffer) return { body: new Uint8Array(body), length: body.byteLength }
  if (body instanceof Uint8Array) return { body, length: body.byteLength }
  if (body instanceof ReadableStream) return { body: Readable.fromWeb(body as never), length: undefined }
  throw new TypeError('unsupported request body type')
}
