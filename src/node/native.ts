import type { OutgoingRequest, Transport } from '../http/send.js'
import { certificateAgentOf } from './mtls-fetch.js'
import { nodeTransportApplies } from './select.js'
import { exchange } from './transport.js'

/**
 * The transport grantline/node plugs into src/http/send.ts: a request with a certificate-presenting fetch
 * (`mtlsFetch`, `useClientCertificate`) goes out on that certificate's agent; a request without a `customFetch`
 * goes out on `node:http` unless the application has taken control of `fetch` (src/node/select.ts); any other
 * `customFetch` is left to send.ts, which calls it.
 */
export function nodeTransport(request: OutgoingRequest, transport: Transport): Promise<Response> | undefined {
  let tlsAgent
  if (transport.fetch !== undefined) {
    tlsAgent = certificateAgentOf(transport.fetch)
    if (tlsAgent === undefined) return undefined
    if (request.url.protocol !== 'https:') {
      return Promise.reject(new TypeError('mtlsFetch only makes requests to https: URLs'))
    }
  } else if (!nodeTransportApplies()) {
    return undefined
  }
  const headers: Record<string, string> = {}
  request.headers.forEach((value, name) => {
    headers[name] = value
  })
  const seconds = transport.timeout
  return exchange({
    url: request.url,
    method: request.method,
    headers,
    body: request.body,
    // As timeoutSignal: none for 0, Infinity or undefined; whole milliseconds, rounded up (D24).
    timeoutMs: seconds && Number.isFinite(seconds) ? Math.ceil(seconds * 1000) : undefined,
    signal: transport.signal,
    tlsAgent,
  })
}
