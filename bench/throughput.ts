// Token requests per second and client CPU per request, every client against the same server, rounds
// interleaved (and their order rotated) so that drift on a shared machine spreads over all clients alike.

import { activate, CLIENTS, makeClient, type ClientName, type Mode, type Target } from './clients.js'
import { usePath, type GrantlinePath } from './paths.js'
import { CONCURRENCY, ROUNDS, ROUND_MS, VARIANT_ROUNDS, WARMUP_MS } from './config.js'
import { timed, type Sample } from './stats.js'

export interface Cell {
  server: string
  mode: Mode
  concurrency: number
  client: ClientName
  samples: Sample[]
}

export async function measureThroughput(
  target: Target,
  modes: readonly Mode[],
  log: (line: string) => void,
): Promise<Cell[]> {
  const cells: Cell[] = []
  for (const mode of modes) {
    for (const concurrency of [1, CONCURRENCY]) {
      const row = await Promise.all(
        CLIENTS.map(async (client) => ({
          cell: { server: target.name, mode, concurrency, client, samples: [] } as Cell,
          operation: await makeClient(client, target, mode),
        })),
      )
      for (const { cell, operation } of row) {
        activate(cell.client)
        await timed(operation, concurrency, WARMUP_MS)
      }
      for (let round = 0; round < ROUNDS; round++) {
        for (let i = 0; i < row.length; i++) {
          const { cell, operation } = row[(i + round) % row.length]!
          activate(cell.client)
          cell.samples.push(await timed(operation, concurrency, ROUND_MS))
        }
      }
      for (const { cell } of row) {
        cells.push(cell)
        const rates = cell.samples.map((s) => s.rate.toFixed(0)).join('/')
        const cpu = cell.samples.map((s) => s.cpuUs.toFixed(0)).join('/')
        const heap = cell.samples.map((s) => (s.heapBytes / 1024).toFixed(1)).join('/')
        log(
          `  ${mode} x${concurrency} ${cell.client}: ${rates} req/s, ${cpu} µs CPU/req, ${heap} KiB heap/req`,
        )
      }
    }
  }
  return cells
}

export interface VariantRow {
  subject: string
  samples: Sample[]
}

/**
 * Candidate speed-ups and costs, measured through public knobs only (nothing in src/ is changed): each grantline
 * path as shipped; the node path with the default 30 s deadline switched off (`config.timeout = 0`); and the
 * fetch path with a `customFetch` on node:http (bench/node-http-fetch.ts), the way to leave undici before the
 * node transport existed, which still goes through a WHATWG `Response` per request.
 */
export async function measureVariants(target: Target, mode: Mode): Promise<VariantRow[]> {
  const gl = await import('../src/index.js')
  const { nodeHttpFetch } = await import('./node-http-fetch.js')
  const { clientId, clientSecret } = target.secretClient
  const server = { issuer: target.issuer, token_endpoint: target.tokenEndpoint }
  type Adjust = (config: InstanceType<typeof gl.Configuration>) => void
  const variants: [string, GrantlinePath, Adjust][] = [
    ['grantline (node) as shipped (node transport, 30 s deadline per request)', 'node', () => {}],
    ['grantline (node), config.timeout = 0 (no deadline)', 'node', (config) => (config.timeout = 0)],
    ['grantline (fetch) as shipped (global fetch, 30 s deadline per request)', 'fetch', () => {}],
    [
      'grantline (fetch), customFetch on node:http with a keep-alive Agent',
      'fetch',
      (config) => (config[gl.customFetch] = nodeHttpFetch()),
    ],
  ]
  const rows = await Promise.all(
    variants.map(async ([subject, path, adjust]) => {
      const config = new gl.Configuration(server, clientId, {}, gl.ClientSecretBasic(clientSecret))
      gl.allowInsecureRequests(config)
      adjust(config)
      const options =
        mode === 'dpop' ? { DPoP: gl.getDPoPHandle(config, await gl.randomDPoPKeyPair('ES256')) } : {}
      const parameters = {
        subject_token: target.subjectToken,
        subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      }
      const operation = async () => {
        await gl.genericGrantRequest(
          config,
          'urn:ietf:params:oauth:grant-type:token-exchange',
          parameters,
          options,
        )
      }
      return { row: { subject, samples: [] as Sample[] }, path, operation }
    }),
  )
  for (const { path, operation } of rows) {
    usePath(path)
    await timed(operation, CONCURRENCY, WARMUP_MS)
  }
  for (let round = 0; round < VARIANT_ROUNDS; round++) {
    for (let i = 0; i < rows.length; i++) {
      const { row, path, operation } = rows[(i + round) % rows.length]!
      usePath(path)
      row.samples.push(await timed(operation, CONCURRENCY, ROUND_MS))
    }
  }
  return rows.map((r) => r.row)
}
