// The minimal token endpoint: a bare node:http server on loopback that reads the request body and answers a fixed
// token response, run in its own process (bench/server-process.ts) so that the client's CPU is measured alone.

import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

const BEARER = JSON.stringify({
  access_token: 'bench-access-token-0123456789abcdef',
  issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
  token_type: 'Bearer',
  expires_in: 3600,
})
const DPOP = BEARER.replace('"Bearer"', '"DPoP"')

export async function startMinimalServer(): Promise<{ server: Server; issuer: string }> {
  const server = createServer((req, res) => {
    req.on('data', () => {})
    req.on('end', () => {
      const body = req.headers['dpop'] === undefined ? BEARER : DPOP
      res.writeHead(200, {
        'content-type': 'application/json;charset=utf-8',
        'cache-control': 'no-store',
        'content-length': Buffer.byteLength(body),
      })
      res.end(body)
    })
  })
  server.keepAliveTimeout = 60_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { server, issuer: `http://127.0.0.1:${port}` }
}
