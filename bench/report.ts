// Turns the measurements into BENCHMARKS.md: tables, ratios, the machine and the date.

import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { cpus, loadavg, release, totalmem } from 'node:os'
import { fileURLToPath } from 'node:url'
import { CLIENTS, MODES, MODE_LABEL, type ClientName, type Mode } from './clients.js'
import * as settings from './config.js'
import type { BundleSize, ColdImport } from './footprint.js'
import type { MicroRow } from './micro.js'
import type { ProfileSummary, Share } from './profile.js'
import { summarize, type Sample, type Summary } from './stats.js'
import type { Cell, VariantRow } from './throughput.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

export interface Results {
  startedAt: Date
  seconds: number
  loadBefore: number[]
  loadAfter: number[]
  servers: { name: string; note?: string }[]
  cells: Cell[]
  variants: { server: string; mode: Mode; rows: VariantRow[] } | undefined
  micro: MicroRow[]
  coldImports: ColdImport[] | undefined
  bundles: BundleSize[] | undefined
  footprintNote: string | undefined
  profiles: ProfileSummary[]
}

const rateOf = (samples: Sample[]) => summarize(samples.map((s) => s.rate))
const cpuOf = (samples: Sample[]) => summarize(samples.map((s) => s.cpuUs))

function num(value: number): string {
  if (value >= 100) return value.toFixed(0)
  if (value >= 10) return value.toFixed(1)
  return value.toFixed(2)
}
const spread = (s: Summary) => `${num(s.median)} (${num(s.min)}–${num(s.max)})`
const ratio = (a: number, b: number) => (Number.isFinite(a / b) ? `${(a / b).toFixed(2)}×` : 'n/a')
const percent = (fraction: number) => `${(fraction * 100).toFixed(1)} %`

function packageVersion(name: string): string {
  const file = name === 'grantline' ? `${ROOT}/package.json` : `${ROOT}/node_modules/${name}/package.json`
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version
}

/** The names src/ imports from src/internal/jose.ts, read from the sources at report time. */
function joseImports(): string {
  const names = new Set<string>()
  const grep = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`
      if (entry.isDirectory()) grep(path)
      else if (entry.name.endsWith('.ts')) {
        const text = readFileSync(path, 'utf8')
        for (const match of text.matchAll(
          /import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*'[./]*internal\/jose\.js'/g,
        )) {
          for (const name of match[1]!.split(',')) if (name.trim()) names.add(`\`${name.trim()}\``)
        }
      }
    }
  }
  grep(`${ROOT}/src`)
  return names.size ? [...names].join(', ') : 'nothing'
}

function gitRevision(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], {
      cwd: ROOT,
      encoding: 'utf8',
    }).trim()
    return dirty ? `${head} with uncommitted changes in src/` : head
  } catch {
    return 'unknown'
  }
}

function cellOf(cells: Cell[], server: string, mode: Mode, concurrency: number, client: ClientName) {
  return cells.find(
    (c) => c.server === server && c.mode === mode && c.concurrency === concurrency && c.client === client,
  )
}

function summaryTable(r: Results): string[] {
  const lines = [
    '| server | scenario | in flight | grantline req/s | ÷ openid-client | ÷ raw fetch | ÷ raw node:http | grantline CPU µs/req | ÷ openid-client | ÷ raw fetch | ÷ raw node:http |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  ]
  for (const server of r.servers) {
    for (const mode of MODES) {
      for (const concurrency of [1, settings.CONCURRENCY]) {
        const get = (client: ClientName) => cellOf(r.cells, server.name, mode, concurrency, client)
        const gl = get('grantline')
        if (!gl) continue
        const rate = rateOf(gl.samples).median
        const cpu = cpuOf(gl.samples).median
        const others = (['openid-client', 'raw fetch', 'raw node:http'] as const).map((c) => get(c)!)
        lines.push(
          `| ${server.name} | ${MODE_LABEL[mode]} | ${concurrency} | ${num(rate)} | ${others
            .map((o) => ratio(rate, rateOf(o.samples).median))
            .join(
              ' | ',
            )} | ${num(cpu)} | ${others.map((o) => ratio(cpu, cpuOf(o.samples).median)).join(' | ')} |`,
        )
      }
    }
  }
  return lines
}

function throughputTable(r: Results, server: string): string[] {
  const lines = [
    '| scenario | in flight | client | req/s: median (min–max) | client CPU µs/req: median (min–max) |',
    '|---|--:|---|--:|--:|',
  ]
  for (const mode of MODES) {
    for (const concurrency of [1, settings.CONCURRENCY]) {
      for (const client of CLIENTS) {
        const cell = cellOf(r.cells, server, mode, concurrency, client)
        if (!cell) continue
        lines.push(
          `| ${MODE_LABEL[mode]} | ${concurrency} | ${client} | ${spread(rateOf(cell.samples))} | ${spread(cpuOf(cell.samples))} |`,
        )
      }
    }
  }
  return lines
}

function microTables(rows: MicroRow[]): string[] {
  const lines: string[] = []
  const groups = [...new Set(rows.map((row) => row.group))]
  for (const group of groups) {
    const members = rows.filter((row) => row.group === group)
    const base = members[0]!
    lines.push(
      `**${group}**`,
      '',
      '| subject | operations/s: median (min–max) | CPU µs/op: median (min–max) | ops/s ÷ first row |',
      '|---|--:|--:|--:|',
    )
    for (const row of members) {
      lines.push(
        `| ${row.subject} | ${spread(rateOf(row.samples))} | ${spread(cpuOf(row.samples))} | ${ratio(
          rateOf(row.samples).median,
          rateOf(base.samples).median,
        )} |`,
      )
    }
    lines.push('')
  }
  return lines
}

function shareTable(title: string, shares: Share[]): string[] {
  return [
    `| ${title} | ≈ µs CPU per request | share of samples |`,
    '|---|--:|--:|',
    ...shares.map(
      (s) => `| ${s.name.replace(/\|/g, '\\|')} | ${num(s.usPerRequest)} | ${percent(s.fraction)} |`,
    ),
  ]
}

export function biggestCost(profiles: ProfileSummary[]): string {
  const basic = profiles.find((p) => p.mode === 'client_secret_basic') ?? profiles[0]
  if (!basic) return 'not profiled'
  const share = (name: string) => basic.byArea.find((s) => s.name === name)?.fraction ?? 0
  const undici = share('fetch (undici, bundled in Node)')
  const streams = share('web streams (Response body)')
  return (
    `the global \`fetch\`: undici's own code ${percent(undici)} plus the web-stream body of its Response ` +
    `${percent(streams)}, together ${percent(undici + streams)} of grantline's sampled main-thread time per ` +
    `client_secret_basic request; socket I/O, which any HTTP client pays, is another ` +
    `${percent(share('sockets and streams'))}, garbage collection ${percent(share('garbage collection'))}, and ` +
    `grantline's own code ${percent(share('grantline (src/)'))}`
  )
}

/** grantline ÷ other, per cell, for one metric: the median and the range over every server, mode and concurrency. */
function ratioRange(r: Results, other: ClientName, metric: (samples: Sample[]) => Summary, server?: string) {
  const ratios: number[] = []
  for (const cell of r.cells) {
    if (cell.client !== 'grantline' || (server !== undefined && cell.server !== server)) continue
    const peer = cellOf(r.cells, cell.server, cell.mode, cell.concurrency, other)
    if (peer) ratios.push(metric(cell.samples).median / metric(peer.samples).median)
  }
  return ratios.length ? summarize(ratios) : undefined
}
const fmtRange = (s: Summary | undefined) =>
  s ? `${s.median.toFixed(2)}× (${s.min.toFixed(2)}–${s.max.toFixed(2)}×)` : 'n/a'

function findings(r: Results): string[] {
  const lines = ['## Findings', '']
  for (const other of ['openid-client', 'raw fetch', 'raw node:http'] as const) {
    lines.push(
      `- grantline ÷ ${other}, over all ${r.servers.length * MODES.length * 2} cells (median, range): client CPU per request ` +
        `${fmtRange(ratioRange(r, other, cpuOf))}; requests per second ${fmtRange(ratioRange(r, other, rateOf))}.`,
    )
  }
  lines.push(`- Biggest cost: ${biggestCost(r.profiles)} (see "Where grantline's CPU goes").`)
  const dpop = r.profiles.find((p) => p.mode === 'dpop')
  const signing = dpop?.byGrantlineFrame.find((s) => s.name.startsWith('signEncodedHeader'))
  const webcrypto = dpop?.byArea.find((s) => s.name === 'WebCrypto (JS side)')
  if (signing && webcrypto) {
    lines.push(
      `- With DPoP, signing the proof adds ${percent(signing.fraction)} of the samples under \`signEncodedHeader\` ` +
        `(WebCrypto \`subtle.sign\`; ${percent(webcrypto.fraction)} in WebCrypto's own JavaScript), besides the ` +
        'signing work on the thread pool that no main-thread profile shows. `node:crypto.sign` does the same ES256 ' +
        'signature for about a third of the CPU (micro-benchmarks), but is not portable.',
    )
  }
  if (r.variants) {
    const [shipped, noDeadline, nodeHttp] = r.variants.rows.map((row) => cpuOf(row.samples).median)
    const micro = (subject: string) =>
      r.micro.find((row) => row.group.startsWith('genericGrantRequest') && row.subject === subject)
    const pipeline = micro('grantline')
    const pipelineNoDeadline = micro('grantline, config.timeout = 0')
    const pipelineOc = micro('openid-client')
    if (shipped !== undefined && noDeadline !== undefined && pipeline && pipelineNoDeadline && pipelineOc) {
      const withCpu = cpuOf(pipeline.samples).median
      const withoutCpu = cpuOf(pipelineNoDeadline.samples).median
      const ocCpu = cpuOf(pipelineOc.samples).median
      lines.push(
        `- The default 30 s deadline (DECISIONS D1, a deliberate safety feature) is grantline's largest own cost. ` +
          `Without the network, grantline's pipeline takes ${num(withCpu)} µs with it and ${num(withoutCpu)} µs without ` +
          `it, against openid-client's ${num(ocCpu)} µs (6.8.9 applies a 30 s deadline too, but only hands the signal ` +
          'to fetch; grantline also races it against the fetch and every body read, so that a customFetch that ' +
          'ignores the signal cannot hold the caller, D10). On a loopback request ' +
          `it measured ${num(shipped - noDeadline)} µs (${percent(1 - noDeadline / shipped)}) here, with a round-to-round ` +
          'spread of the same order. `AbortSignal.timeout` itself is a few µs (micro-benchmarks); handing a signal to ' +
          "the global fetch makes undici's Request follow it with its own AbortController, a WeakRef, a " +
          'FinalizationRegistry entry and an abort listener per request. Two changes tried outside the tree saved ' +
          'nothing beyond the noise: clearing the timer once the body is read, and skipping the abort races for the ' +
          'global fetch (which honours the signal itself). No cheap change keeps the deadline and drops that cost, ' +
          'so src/http/ is left as it is.',
      )
    }
    if (shipped !== undefined && nodeHttp !== undefined) {
      lines.push(
        `- A \`customFetch\` on node:http cuts grantline's client CPU per request to ${ratio(nodeHttp, shipped)} of the ` +
          'global fetch: the transport, not the library, is the lever for Node.js servers.',
      )
    }
  }
  const cold = r.coldImports
  if (cold) {
    const ms = (prefix: string) => cold.find((c) => c.name.startsWith(prefix))?.importMs.median
    const whole = ms('jose, whole')
    const parts = ms('jose/jwe')
    const gl = ms('grantline')
    const oc = ms('openid-client')
    if (whole !== undefined && parts !== undefined && gl !== undefined && oc !== undefined) {
      lines.push(
        `- Cold import: grantline ${num(gl)} ms against openid-client ${num(oc)} ms. Both load only two subpaths of ` +
          `\`jose\` (${num(parts)} ms; the whole barrel would take ${num(whole)} ms), and grantline ships one bundle per ` +
          'entry point (a module graph of ~50 files took about twice as long to load).',
      )
    }
  }
  lines.push('')
  return lines
}

export function renderReport(r: Results): string {
  const cpu = cpus()
  const lines: string[] = [
    '# Benchmarks',
    '',
    '<!-- Generated by `npm run bench` (bench/run.ts). Do not edit by hand: run it again. -->',
    '',
    `Run on ${r.startedAt.toISOString().replace('T', ' ').slice(0, 16)} UTC, ${r.seconds.toFixed(0)} s in all.`,
    '',
    '| machine | |',
    '|---|---|',
    `| CPU | ${cpu[0]?.model ?? 'unknown'}, ${cpu.length} cores |`,
    `| memory | ${(totalmem() / 2 ** 30).toFixed(0)} GiB |`,
    `| OS | Linux ${release()} |`,
    `| Node.js | ${process.version} (undici ${process.versions['undici'] ?? '?'}, V8 ${process.versions.v8}) |`,
    `| load average (1 min) before / after | ${r.loadBefore[0]?.toFixed(2)} / ${r.loadAfter[0]?.toFixed(2)} (the machine is shared: read spreads, not single figures) |`,
    `| grantline | ${packageVersion('grantline')} at ${gitRevision()} (imported from src/ through tsx) |`,
    `| openid-client | ${packageVersion('openid-client')} (oauth4webapi ${packageVersion('oauth4webapi')}, jose ${packageVersion('jose')}) |`,
    `| oidc-provider | ${packageVersion('oidc-provider')} |`,
    `| esbuild | ${packageVersion('esbuild')} |`,
    '',
    '## How this is measured',
    '',
    `- Every client performs the same RFC 8693 token exchange with \`genericGrantRequest\` (or, for the raw`,
    '  baselines, the same request built by hand): `grant_type`, `subject_token`, `subject_token_type`.',
    '- Modes: **client_secret_basic**; **private_key_jwt** with an ES256 key (a fresh client assertion per request);',
    '  **DPoP** with an ES256 key (a fresh proof per request, client_secret_basic for client authentication).',
    '- **raw fetch** and **raw node:http** are the floor: no library, the form body, headers and (for the JWT modes) a',
    '  fresh assertion or proof signed with `node:crypto.sign` (the cheapest signer on Node.js), sent with the global',
    '  `fetch` or with `node:http` and a keep-alive `Agent`, the JSON answer parsed and the access token checked. The raw',
    '  DPoP client keeps the server nonce and retries once on `use_dpop_nonce`, as the libraries do.',
    '- Servers, each in its own child process so that only the client is measured: a minimal `node:http` token endpoint',
    '  that answers a fixed token response, and oidc-provider (`demo/server.ts`, with the token-exchange grant and a',
    '  subject token it issued).',
    `- A cell is ${settings.ROUNDS} rounds of ${settings.ROUND_MS} ms per client after a ${settings.WARMUP_MS} ms warm-up; rounds of the four`,
    '  clients are interleaved with their order rotated, and garbage is collected before each round. **Client CPU** is',
    "  `process.cpuUsage()` (user + system, all threads of the client process: the main thread, libuv's pool where",
    '  WebCrypto signs, and the GC threads) divided by the requests completed. Figures are medians with the min–max',
    '  spread of the rounds.',
    '- Ratios are grantline ÷ the other client: for **req/s** above 1 means grantline is faster; for **CPU per request**',
    '  below 1 means grantline is cheaper.',
    '',
    ...findings(r),
    '## Summary: grantline against openid-client and the raw baselines',
    '',
    ...summaryTable(r),
    '',
  ]
  for (const server of r.servers) {
    lines.push(`## Token requests: ${server.name}`, '')
    if (server.note) lines.push(server.note, '')
    else lines.push(...throughputTable(r, server.name), '')
  }

  if (r.variants) {
    lines.push(
      '## Candidate speed-ups, measured through public knobs',
      '',
      `${r.variants.server}, ${MODE_LABEL[r.variants.mode]}, ${settings.CONCURRENCY} in flight, ${settings.VARIANT_ROUNDS} interleaved rounds; nothing in src/ was`,
      'changed for this. grantline applies a 30 s deadline to every request unless `config.timeout` is set (DECISIONS',
      'D1): a fresh `AbortSignal.timeout()` per request, handed to `fetch`, and raced against the response and every',
      'body read (src/http/send.ts, src/http/body.ts). The node:http row swaps the global `fetch` for a fetch-shaped',
      'function on `node:http` (bench/node-http-fetch.ts) through `customFetch`.',
      '',
      '| client | req/s: median (min–max) | client CPU µs/req: median (min–max) | CPU ÷ as shipped |',
      '|---|--:|--:|--:|',
      ...r.variants.rows.map(
        (row) =>
          `| ${row.subject} | ${spread(rateOf(row.samples))} | ${spread(cpuOf(row.samples))} | ${ratio(
            cpuOf(row.samples).median,
            cpuOf(r.variants!.rows[0]!.samples).median,
          )} |`,
      ),
      '',
    )
  }

  lines.push(
    '## Micro-benchmarks',
    '',
    `One operation at a time, ${settings.MICRO_ROUNDS} interleaved rounds of ${settings.MICRO_MS} ms each. "Without the network" means \`genericGrantRequest\` with a`,
    '`customFetch` that returns a fresh prebuilt `Response` every time: argument checks, the request, client',
    'authentication (client_secret_basic), and the whole response pipeline. WebCrypto signs asynchronously on',
    "libuv's thread pool, so operations/s of the signing rows is bounded by that hand-off; CPU µs/op is the cost.",
    '',
    ...microTables(r.micro),
  )

  lines.push('## Cold import and bundle size', '')
  if (r.footprintNote) lines.push(r.footprintNote, '')
  if (r.coldImports) {
    lines.push(
      `A fresh \`node\` process per import, ${settings.COLD_IMPORT_RUNS} runs each after one unmeasured run that warms the file cache, alternating`,
      'between the packages. grantline is its built `dist/index.js`.',
      '',
      '| package | `await import()` ms: median (min–max) | whole process ms: median (min–max) |',
      '|---|--:|--:|',
      ...r.coldImports.map((c) => `| ${c.name} | ${spread(c.importMs)} | ${spread(c.processMs)} |`),
      '',
      `src/internal/jose.ts imports ${joseImports()} from two subpaths of \`jose\`, as openid-client does; the last two`,
      'rows show what loading the whole barrel instead would cost.',
      '',
    )
  }
  if (r.bundles) {
    lines.push(
      'A program that builds a `Configuration` with `ClientSecretBasic` and calls `genericGrantRequest` once, bundled',
      "with esbuild (`bundle: true, minify: true, format: 'esm', platform: 'browser'`), gzip level 9.",
      '',
      '| package | minified bytes | minified + gzipped bytes |',
      '|---|--:|--:|',
      ...r.bundles.map((b) => `| ${b.name} | ${b.minified} | ${b.gzipped} |`),
      '',
    )
  }

  lines.push(
    "## Where grantline's CPU goes",
    '',
    `The V8 sampling profiler (the one behind \`node --cpu-prof\`, here through \`node:inspector\`, 200 µs interval) over`,
    `${settings.PROFILE_SECONDS} s of grantline requests, ${settings.CONCURRENCY} in flight, against the minimal server, after a warm-up. Only the main`,
    'thread is sampled. "By area" charges each sample to the file of the function running (V8 builtins such as',
    '`writev` to their caller). "By grantline frame" charges it to the innermost grantline function on the stack, i.e.',
    'the part of the library whose synchronous call caused the work; work resumed from the event loop (socket reads,',
    "fetch's internal continuations, GC) has no grantline frame.",
    '',
    `**Biggest cost:** ${biggestCost(r.profiles)}.`,
    '',
  )
  for (const profile of r.profiles) {
    lines.push(
      `### ${MODE_LABEL[profile.mode]}: ${profile.requests} requests, ${num(profile.cpuUsPerRequest)} µs client CPU per request`,
      '',
      ...shareTable('by area', profile.byArea),
      '',
      ...shareTable('by grantline frame', profile.byGrantlineFrame),
      '',
      ...shareTable('top self time (function, file, area)', profile.topSelf),
      '',
    )
  }
  return lines.join('\n')
}

export { loadavg }
