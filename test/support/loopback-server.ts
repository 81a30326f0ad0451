// The node:http server under every scripted test server: 127.0.0.1 on a free port, each request's body read whole
// before the handler runs, a handler that throws or rejects answered with a 500, and close() that ends every
// connection (idle keep-alive ones too) instead of waiting for clients to let go.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

export interface LoopbackServer {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string
  readonly server: Server
  close(): Promise<void>
}

export async function startLoopbackServer(
  handle: (req: IncomingMessage, res: ServerResponse, body: string) => unknown,
): Promise<LoopbackServer> {
  const sockets = new Set<Socket>()
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      Promise.resolve()
        .then(() => handle(req, res, Buffer.concat(chunks).toString('utf8')))
        .catch(() => {
          if (!res.headersSent) res.writeHead(500)
          res.end()
        })
    })
  })
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://127.0.0.1:${port}`,
    server,
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
        for (const socket of sockets) socket.destroy()
      })
    },
  }
}
