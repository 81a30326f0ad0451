// A fetch-shaped function on node:http with a keep-alive Agent, plugged into grantline through the public
// `customFetch` symbol: how much of a token request's CPU a Node.js-specific transport would save. Bench-only:
// plain HTTP, whole bodies buffered, no redirects followed (grantline never asks for them).

import { Agent, request } from 'node:http'
import type { CustomFetch } from '../src/index.js'

export function nodeHttpFetch(): CustomFetch {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 })
  return (url, options) =>
    new Promise<Response>((resolve, reject) => {
      const body = options.body === undefined ? undefined : String(options.body)
      const req = request(
        url,
        {
          method: options.method,
          headers: {
            ...(options.headers as Record<string, string>),
            ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }),
          },
          agent,
          ...(options.signal ? { signal: options.signal } : {}),
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (chunk: Buffer) => chunks.push(chunk))
          res.on('error', reject)
          res.on('end', () => {
            const headers = new Headers()
            for (let i = 0; i < res.rawHeaders.length; i += 2) {
              headers.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!)
            }
            resolve(new Response(Buffer.concat(chunks), { status: res.statusCode ?? 0, headers }))
          })
        },
      )
      req.on('error', reject)
      req.end(body)
    })
}
