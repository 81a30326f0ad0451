import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http'
import { startLoopbackServer } from './loopback-server.js'

/** One request as the route server received it. */
export interface SeenRequest {
  method: string
  path: string
  headers: IncomingHttpHeaders
  body: string
}

export type Route = (req: IncomingMessage, res: ServerResponse, seen: SeenRequest) => void | Promise<void>

export interface RouteServer {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string
  readonly requests: SeenRequest[]
  /** Answers requests for `path` (query ignored) with `route` from now on. */
  route(path: string, route: Route): void
  /** Forgets routes and recorded requests. */
  reset(): void
  close(): Promise<void>
}

/**
 * A tiny `node:http` server on 127.0.0.1 answering scripted routes (discovery documents, JWKS, token and
 * registration responses); unknown paths get 404. Used by the discovery and ID Token hostile suites.
 */
export async function startRouteServer(): Promise<RouteServer> {
  const requests: SeenRequest[] = []
  const routes = new Map<string, Route>()
  const { origin, close } = await startLoopbackServer((req, res, body) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    const seen = { method: req.method ?? '', path, headers: req.headers, body }
    requests.push(seen)
    const route = routes.get(path)
    if (route === undefined) {
      res.writeHead(404).end()
      return
    }
    return route(req, res, seen)
  })
  return {
    origin,
    requests,
    route(path, route) {
      routes.set(path, route)
    },
    reset() {
      routes.clear()
      requests.length = 0
    },
    close,
  }
}

/** Sends `body` as JSON with `status` and extra headers. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers })
  res.end(JSON.stringify(body))
}

/** A route that always answers the same JSON. */
export const json =
  (body: unknown, status = 200, headers: Record<string, string> = {}): Route =>
  (_req, res) =>
    sendJson(res, status, body, headers)
