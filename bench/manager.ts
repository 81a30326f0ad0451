// The token manager (issue 11): what a cache hit costs next to a Map lookup, and how many token requests each key
// gets per refresh window under load (the goal is exactly 1), alone and as a four-instance fleet on one store.
// Part of `npm run bench` (a section of BENCHMARKS.md); `npx tsx bench/manager.ts` runs it alone.

import { createHash } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { pathToFileURL } from 'node:url'
import * as gl from '../src/index.js'
import { sha256Base64url } from '../src/internal/sha256.js'
import { setKeyHasher } from '../src/manager/key.js'
import { installManagerChannels } from '../src/node/manager-channel.js'

export interface ManagerBench {
  /** µs per operation, median of rounds. */
  hits: { subject: string; us: number }[]
  load: {
    subject: string
    keys: number
    seconds: number
    requests: number
    /** Refresh windows each key went through (run time ÷ refresh interval). */
    windows: number
    perKeyPerWindow: number
    served: number
    failed: number
  }[]
}

// BENCH_QUICK=1 (bench/config.ts) shrinks the run to check that it works; its figures mean nothing.
const QUICK = process.env['BENCH_QUICK'] === '1'
const ROUNDS = QUICK ? 2 : 5
const ITERATIONS = QUICK ? 2_000 : 50_000
const LOAD_MS = QUICK ? 2_000 : 6_000

async function perOp(operation: () => unknown): Promise<number> {
  const samples: number[] = []
  for (let round = 0; round < ROUNDS; round++) {
    const start = performance.now()
    for (let i = 0; i < ITERATIONS; i++) await operation()
    samples.push(((performance.now() - start) * 1000) / ITERATIONS)
  }
  samples.sort((a, b) => a - b)
  return samples[Math.floor(samples.length / 2)]!
}

/** A token endpoint that answers at once with tokens of `lifetime` seconds, counting requests per scope. */
async function tokenServer(
  lifetime: number,
): Promise<{ origin: string; counts: Map<string, number>; server: Server }> {
  const counts = new Map<string, number>()
  let serial = 0
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk) => (body += chunk))
    req.on('end', () => {
      const params = new URLSearchParams(body)
      const key = params.get('scope') ?? params.get('subject_token')?.slice(-8) ?? ''
      counts.set(key, (counts.get(key) ?? 0) + 1)
      const text = JSON.stringify({
        access_token: `at-${++serial}`,
        token_type: 'Bearer',
        expires_in: lifetime,
      })
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
      res.end(text)
    })
  })
  server.keepAliveTimeout = 60_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, counts, server }
}

function configFor(origin: string): gl.Configuration {
  const config = new gl.Configuration(
    { issuer: origin, token_endpoint: `${origin}/token` },
    'bench',
    'bench-client-secret-0123456789abcdef',
  )
  gl.allowInsecureRequests(config)
  return config
}

async function measureHits(origin: string): Promise<ManagerBench['hits']> {
  const config = configFor(origin)
  const subject = 'eyJhbGciOiJFUzI1NiJ9.' + 'x'.repeat(700) + '.signature-part'
  const exchange = {
    subject_token: subject,
    subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    audience: 'https://api.example.com',
  }
  const map = new Map([['api:read', { access_token: 'at' }]])
  const bytes = new TextEncoder().encode(JSON.stringify(exchange))
  const hits: ManagerBench['hits'] = [
    { subject: 'Map.get (baseline)', us: await perOp(() => map.get('api:read')) },
  ]
  for (const [runtime, install] of [
    ['portable: SHA-256 in JavaScript', () => setKeyHasher(undefined)],
    ['Node.js entry: node:crypto SHA-256', installManagerChannels],
  ] as const) {
    install()
    const manager = gl.createTokenManager()
    await manager.get(config, 'client_credentials', { scope: 'api:read' })
    await manager.get(config, 'urn:ietf:params:oauth:grant-type:token-exchange', exchange)
    hits.push(
      {
        subject: `manager.get cache hit, client credentials (${runtime})`,
        us: await perOp(() => manager.get(config, 'client_credentials', { scope: 'api:read' })),
      },
      {
        subject: `manager.get cache hit, token exchange with a 750-byte subject token (${runtime})`,
        us: await perOp(() =>
          manager.get(config, 'urn:ietf:params:oauth:grant-type:token-exchange', exchange),
        ),
      },
    )
    await manager.close()
  }
  setKeyHasher(undefined)
  hits.push(
    {
      subject: 'SHA-256 of 750 bytes: ours in JavaScript (sync)',
      us: await perOp(() => sha256Base64url(subject)),
    },
    {
      subject: 'SHA-256 of 750 bytes: node:crypto createHash (sync)',
      us: await perOp(() => createHash('sha256').update(subject).digest('base64url')),
    },
    {
      subject: 'SHA-256 of 750 bytes: WebCrypto crypto.subtle.digest (awaited)',
      us: await perOp(() => crypto.subtle.digest('SHA-256', bytes)),
    },
  )
  return hits
}

async function measureLoad(
  subject: string,
  instances: number,
  log: (line: string) => void,
): Promise<ManagerBench['load'][number]> {
  const LIFETIME = 2
  const KEYS = 20
  const CALLERS = 500
  const RUN_MS = LOAD_MS
  const { origin, counts, server } = await tokenServer(LIFETIME)
  const store = instances > 1 ? gl.memoryTokenStore() : undefined
  const managers = Array.from({ length: instances }, () => gl.createTokenManager(store ? { store } : {}))
  const config = configFor(origin)
  let served = 0
  let failed = 0
  const stop = Date.now() + RUN_MS
  await Promise.all(
    Array.from({ length: CALLERS }, async (_, i) => {
      const manager = managers[i % instances]!
      while (Date.now() < stop) {
        try {
          await manager.get(config, 'client_credentials', { scope: `scope-${(i + served) % KEYS}` })
          served++
        } catch {
          failed++
        }
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 10))
      }
    }),
  )
  for (const manager of managers) await manager.close()
  server.closeAllConnections()
  server.close()
  const requests = [...counts.values()].reduce((a, b) => a + b, 0)
  // A 2 s token is refreshed 1 s before it expires: one window per second, the first fetch opening the first.
  const windows = Math.ceil(RUN_MS / 1000)
  const row = {
    subject,
    keys: KEYS,
    seconds: RUN_MS / 1000,
    requests,
    windows,
    perKeyPerWindow: requests / KEYS / windows,
    served,
    failed,
  }
  log(
    `${subject}: ${requests} token requests for ${served} calls, ${row.perKeyPerWindow.toFixed(2)} per key per window`,
  )
  return row
}

export async function measureManager(log: (line: string) => void): Promise<ManagerBench> {
  const { origin, server } = await tokenServer(3600)
  const hits = await measureHits(origin)
  server.closeAllConnections()
  server.close()
  for (const hit of hits) log(`${hit.subject}: ${hit.us.toFixed(2)} µs`)
  const load = [
    await measureLoad('one manager, 500 callers, 20 keys, 2 s tokens', 1, log),
    await measureLoad('four managers on one memoryTokenStore, 500 callers, 20 keys, 2 s tokens', 4, log),
  ]
  return { hits, load }
}

export function renderManagerSection(bench: ManagerBench): string {
  const lines = [
    '## Token manager',
    '',
    'A cache hit of `createTokenManager().get(...)` next to a `Map.get` (µs per call, median of ' +
      `${ROUNDS} rounds of ${ITERATIONS.toLocaleString('en')} awaited calls). The key is hashed synchronously ` +
      'on every call, so a hit awaits no digest: by node:crypto on the Node.js entry, by our own SHA-256 in ' +
      'the portable build:',
    '',
    '| operation | µs per call |',
    '| --- | ---: |',
    ...bench.hits.map((h) => `| ${h.subject} | ${h.us.toFixed(2)} |`),
    '',
    'Token requests per key per refresh window under load (goal: 1.00; a 2 s token is refreshed ahead 1 s ' +
      'before it expires, so each key has one window per second of the run):',
    '',
    '| run | keys | seconds | calls served | failed | token requests | per key per window |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...bench.load.map(
      (l) =>
        `| ${l.subject} | ${l.keys} | ${l.seconds} | ${l.served} | ${l.failed} | ${l.requests} | ${l.perKeyPerWindow.toFixed(2)} |`,
    ),
  ]
  return lines.join('\n')
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const bench = await measureManager((line) => process.stdout.write(`${line}\n`))
  process.stdout.write(`\n${renderManagerSection(bench)}\n`)
}
