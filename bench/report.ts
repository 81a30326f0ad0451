// Turns the measurements into BENCHMARKS.md: tables, ratios, the machine and the date.

import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { cpus, loadavg, release, totalmem } from 'node:os'
import { fileURLToPath } from 'node:url'
import {
  CLIENTS,
  GRANTLINES,
  MODES,
  MODE_LABEL,
  type ClientName,
  type GrantlineName,
  type Mode,
} from './clients.js'
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
  /** Why grantline (node) ran on the global fetch, if it did (no node transport in src/node/ yet). */
  nodeTransportNote: string | undefined
  /** The findings' ratio lines of the previous BENCHMARKS.md, with its date, for comparison over time. */
  previous:
    | {
        date: string
        lines: string[]
        bundle: { minified: number; gzipped: number } | undefined
        coldImportMs: number | undefined
      }
    | undefined
  /** The chart's file name, relative to BENCHMARKS.md. */
  chart: string
}

const rateOf = (samples: Sample[]) => summarize(samples.map((s) => s.rate))
const cpuOf = (samples: Sample[]) => summarize(samples.map((s) => s.cpuUs))
const heapOf = (samples: Sample[]) => summarize(samples.map((s) => s.heapBytes / 1024))

function num(value: number): string {
  const size = Math.abs(value)
  if (size >= 100) return value.toFixed(0)
  if (size >= 10) return value.toFixed(1)
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
    '| server | scenario | in flight | grantline path | req/s | ÷ openid-client | ÷ raw fetch | ÷ raw node:http | CPU µs/req | ÷ openid-client | ÷ raw fetch | ÷ raw node:http | heap KiB/req | ÷ openid-client |',
    '|---|---|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  ]
  for (const server of r.servers) {
    for (const mode of MODES) {
      for (const concurrency of [1, settings.CONCURRENCY]) {
        const get = (client: ClientName) => cellOf(r.cells, server.name, mode, concurrency, client)
        const others = (['openid-client', 'raw fetch', 'raw node:http'] as const).map((c) => get(c))
        if (others.some((o) => o === undefined)) continue
        for (const grantline of GRANTLINES) {
          const gl = get(grantline)
          if (!gl) continue
          const rate = rateOf(gl.samples).median
          const cpu = cpuOf(gl.samples).median
          const heap = heapOf(gl.samples).median
          lines.push(
            `| ${server.name} | ${MODE_LABEL[mode]} | ${concurrency} | ${pathName(grantline)} | ${num(rate)} | ${others
              .map((o) => ratio(rate, rateOf(o!.samples).median))
              .join(' | ')} | ${num(cpu)} | ${others
              .map((o) => ratio(cpu, cpuOf(o!.samples).median))
              .join(' | ')} | ${num(heap)} | ${ratio(heap, heapOf(others[0]!.samples).median)} |`,
          )
        }
      }
    }
  }
  return lines
}

const pathName = (client: GrantlineName) => client.slice('grantline '.length + 1, -1)

function throughputTable(r: Results, server: string): string[] {
  const lines = [
    '| scenario | in flight | client | req/s: median (min–max) | client CPU µs/req: median (min–max) | JS heap KiB allocated/req: median (min–max) |',
    '|---|--:|---|--:|--:|--:|',
  ]
  for (const mode of MODES) {
    for (const concurrency of [1, settings.CONCURRENCY]) {
      for (const client of CLIENTS) {
        const cell = cellOf(r.cells, server, mode, concurrency, client)
        if (!cell) continue
        lines.push(
          `| ${MODE_LABEL[mode]} | ${concurrency} | ${client} | ${spread(rateOf(cell.samples))} | ${spread(cpuOf(cell.samples))} | ${spread(heapOf(cell.samples))} |`,
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

/** The largest areas of one path's client_secret_basic profile (or its first), as a sentence. */
export function biggestCost(profiles: ProfileSummary[], client: GrantlineName): string {
  const mine = profiles.filter((p) => p.client === client)
  const basic = mine.find((p) => p.mode === 'client_secret_basic') ?? mine[0]
  if (!basic) return 'not profiled'
  const share = (name: string) => basic.byArea.find((s) => s.name === name)?.fraction ?? 0
  const top = basic.byArea
    .slice(0, 4)
    .map((s) => `${s.name} ${percent(s.fraction)} (≈ ${num(s.usPerRequest)} µs)`)
    .join(', ')
  const undici = share('fetch (undici, bundled in Node)')
  const streams = share('web streams (Response body)')
  // On the node path undici's share is the WHATWG Headers/Response objects the pipeline still uses, not fetch.
  const fetchPart =
    client === 'grantline (fetch)'
      ? `; the global \`fetch\` alone (undici ${percent(undici)} plus the web-stream body of its Response ${percent(streams)}) is ${percent(undici + streams)}`
      : ''
  return (
    `${top} of ${client}'s sampled main-thread time per ${basic.mode} request (${num(basic.cpuUsPerRequest)} µs ` +
    `client CPU per request in the profiled window)${fetchPart}; grantline's own code is ${percent(share(GRANTLINE_AREA))}`
  )
}

const GRANTLINE_AREA = 'grantline (src/)'

/** grantline ÷ other, per cell, for one metric: the median and the range over every server, mode and concurrency. */
function ratioRange(
  r: Results,
  grantline: GrantlineName,
  other: ClientName,
  metric: (samples: Sample[]) => Summary,
  keep: (cell: Cell) => boolean = () => true,
) {
  const ratios: number[] = []
  for (const cell of r.cells) {
    if (cell.client !== grantline || !keep(cell)) continue
    const peer = cellOf(r.cells, cell.server, cell.mode, cell.concurrency, other)
    if (peer) ratios.push(metric(cell.samples).median / metric(peer.samples).median)
  }
  return ratios.length ? summarize(ratios) : undefined
}
const fmtRange = (s: Summary | undefined) =>
  s ? `${s.median.toFixed(2)}× (${s.min.toFixed(2)}–${s.max.toFixed(2)}×)` : 'n/a'

/** A client's median over all its cells of one metric's per-cell medians. */
function overCells(r: Results, client: ClientName, metric: (samples: Sample[]) => Summary) {
  const values = r.cells.filter((c) => c.client === client).map((c) => metric(c.samples).median)
  return values.length ? summarize(values) : undefined
}

/** Extra client CPU per request of `mode` over client_secret_basic, per server and concurrency. */
function extraOverBasic(r: Results, client: ClientName, mode: Mode) {
  const extras: number[] = []
  for (const server of r.servers) {
    for (const concurrency of [1, settings.CONCURRENCY]) {
      const cell = cellOf(r.cells, server.name, mode, concurrency, client)
      const basic = cellOf(r.cells, server.name, 'client_secret_basic', concurrency, client)
      if (cell && basic) extras.push(cpuOf(cell.samples).median - cpuOf(basic.samples).median)
    }
  }
  return extras.length ? summarize(extras) : undefined
}
/** `client`'s extra CPU for `mode` over client_secret_basic minus the raw node:http floor's, per pair. */
function beyondFloor(r: Results, client: ClientName, mode: Mode) {
  const values: number[] = []
  for (const server of r.servers) {
    for (const concurrency of [1, settings.CONCURRENCY]) {
      const cpu = (who: ClientName, m: Mode) => {
        const cell = cellOf(r.cells, server.name, m, concurrency, who)
        return cell ? cpuOf(cell.samples).median : NaN
      }
      const value =
        cpu(client, mode) -
        cpu(client, 'client_secret_basic') -
        (cpu('raw node:http', mode) - cpu('raw node:http', 'client_secret_basic'))
      if (Number.isFinite(value)) values.push(value)
    }
  }
  return values.length ? summarize(values) : undefined
}
const fmtUs = (s: Summary | undefined) =>
  s ? `${s.median >= 0 ? '+' : ''}${num(s.median)} µs (${num(s.min)} to ${num(s.max)})` : 'n/a'
const verdict = (met: boolean | undefined) =>
  met === undefined ? 'not measured' : met ? '**met**' : '**not met**'

/** What the micro-benchmarks say the node path pays to build and sign a proof or an assertion. */
function microSigning(r: Results): string {
  const cpu = (group: string, subject: string) => {
    const row = r.micro.find((m) => m.group.startsWith(group) && m.subject.startsWith(subject))
    return row ? num(cpuOf(row.samples).median) : undefined
  }
  const proof = cpu('DPoP proofs', 'grantline, node:crypto')
  const assertion = cpu('client assertions', 'grantline, node:crypto')
  const rawProof = cpu('DPoP proofs', 'raw node:crypto')
  if (proof === undefined || assertion === undefined || rawProof === undefined) return ''
  return (
    ` Without the network (micro-benchmarks), grantline (node) builds and signs an ES256 DPoP proof in ${proof} µs ` +
    `and a private_key_jwt assertion in ${assertion} µs of CPU (the raw node:crypto proof: ${rawProof} µs).`
  )
}

function goals(r: Results): string[] {
  const node = 'grantline (node)' as const
  const cpuOc = ratioRange(r, node, 'openid-client', cpuOf)
  const cpuRaw = ratioRange(r, node, 'raw node:http', cpuOf)
  const minimal = r.servers[0]?.name
  const rate16 = MODES.map((mode) => ({
    mode,
    ratio: ratioRange(
      r,
      node,
      'openid-client',
      rateOf,
      (c) => c.server === minimal && c.mode === mode && c.concurrency === settings.CONCURRENCY,
    )?.median,
  }))
  const rateMet = rate16.every((x) => x.ratio !== undefined) ? rate16.every((x) => x.ratio! >= 2) : undefined
  const extras = (['private_key_jwt', 'dpop'] as const).map((mode) => ({
    mode,
    grantline: extraOverBasic(r, node, mode),
    floor: extraOverBasic(r, 'raw node:http', mode),
  }))
  const extraMet = extras.every((x) => x.grantline)
    ? extras.every((x) => x.grantline!.median <= 50)
    : undefined
  const fetchNow = ratioRange(r, 'grantline (fetch)', 'openid-client', cpuOf)
  const before = r.previous?.lines
    .find((l) => /^- grantline( \(fetch\))? ÷ openid-client,/.test(l))
    ?.match(/client CPU per request ([0-9.]+)×/)?.[1]
  const lines = [
    `### Issue 10 goals, for grantline (node), as ratios within this run`,
    '',
    `- Client CPU per request ≤ 0.35× openid-client (median over the cells): ${fmtRange(cpuOc)}: ${verdict(cpuOc && cpuOc.median <= 0.35)}.`,
    `- Client CPU per request ≤ 1.3× raw \`node:http\`: ${fmtRange(cpuRaw)}: ${verdict(cpuRaw && cpuRaw.median <= 1.3)}.`,
    `- Requests per second at ${settings.CONCURRENCY} in flight ≥ 2× openid-client on the minimal endpoint: ${rate16
      .map((x) => `${MODE_LABEL[x.mode]} ${x.ratio === undefined ? 'n/a' : `${x.ratio.toFixed(2)}×`}`)
      .join(', ')}: ${verdict(rateMet)}.`,
    `- DPoP and private_key_jwt cost at most 50 µs of client CPU per request more than client_secret_basic (median, range ` +
      `over the ${r.servers.length * 2} server × concurrency pairs): ${extras
        .map(
          (x) =>
            `${MODE_LABEL[x.mode]} ${fmtUs(x.grantline)} (the raw \`node:http\` floor with \`node:crypto\`: ${fmtUs(x.floor)})`,
        )
        .join(
          '; ',
        )}: ${verdict(extraMet)}. These are differences of two noisy medians, and CPU per request also ` +
      'grows when fewer requests share each wake-up of the event loop, which even the floor pays; beyond what the ' +
      `floor pays, grantline (node) adds ${extras
        .map((x) => `${MODE_LABEL[x.mode]} ${fmtUs(beyondFloor(r, node, x.mode))}`)
        .join(', ')}.${microSigning(r)}`,
    `- No regression on the fetch path: grantline (fetch) ÷ openid-client client CPU per request ${fmtRange(fetchNow)}` +
      (before !== undefined
        ? ` in this run, ${before}× in the previous one (${r.previous!.date}, where plain "grantline" was the fetch path).`
        : '.'),
    '',
  ]
  return lines
}

function findings(r: Results): string[] {
  const cellsCount = r.servers.length * MODES.length * 2
  const lines = [
    '## Findings',
    '',
    `The machine is shared: 2 cores, with other sessions building and testing at the same time (load average ` +
      `${r.loadBefore[0]?.toFixed(2)} before, ${r.loadAfter[0]?.toFixed(2)} after). Compare clients within this run, ` +
      'through the ratios, and read the spreads; single figures move from run to run.',
    '',
  ]
  if (r.nodeTransportNote) {
    lines.push(
      `- **grantline (node) ran on the global \`fetch\`**, because the node transport could not be loaded ` +
        `(${r.nodeTransportNote}); it differs from grantline (fetch) only by its node:crypto signer.`,
    )
  }
  for (const grantline of GRANTLINES) {
    for (const other of ['openid-client', 'raw fetch', 'raw node:http'] as const) {
      lines.push(
        `- ${grantline} ÷ ${other}, over all ${cellsCount} cells (median, range): client CPU per request ` +
          `${fmtRange(ratioRange(r, grantline, other, cpuOf))}; requests per second ${fmtRange(ratioRange(r, grantline, other, rateOf))}.`,
      )
    }
  }
  const heaps = CLIENTS.map((client) => `${client} ${num(overCells(r, client, heapOf)?.median ?? NaN)} KiB`)
  lines.push(
    `- JS heap allocated per request (median over the ${cellsCount} cells): ${heaps.join(', ')}. ` +
      GRANTLINES.map(
        (g) => `${g} ÷ openid-client ${fmtRange(ratioRange(r, g, 'openid-client', heapOf))}`,
      ).join('; ') +
      '. Buffers (socket data) are allocated outside the V8 heap and not counted.',
  )
  if (r.previous && r.previous.lines.length) {
    lines.push(
      `- The previous run (${r.previous.date}) said:`,
      ...r.previous.lines.map((l) => `  ${l.replace(/^- /, '- _')}_`),
    )
  }
  lines.push('', ...goals(r))

  for (const grantline of GRANTLINES) {
    lines.push(
      `- Biggest cost, ${grantline}: ${biggestCost(r.profiles, grantline)} (see "Where grantline's CPU goes").`,
    )
  }
  const micro = (group: string, subject: string) =>
    r.micro.find((row) => row.group.startsWith(group) && row.subject.startsWith(subject))
  for (const [group, what] of [
    ['DPoP proofs', 'an ES256 DPoP proof'],
    ['client assertions', 'an ES256 private_key_jwt assertion'],
  ] as const) {
    const subjects = ['grantline, node:crypto', 'grantline, WebCrypto', 'openid-client', 'raw node:crypto']
    const rows = subjects.map((subject) => micro(group, subject))
    if (rows.every((row) => row !== undefined)) {
      const [nodeSigner, webcrypto, oc, raw] = rows.map((row) => cpuOf(row!.samples).median) as [
        number,
        number,
        number,
        number,
      ]
      lines.push(
        `- Signing ${what}, client CPU per operation (micro-benchmarks, all threads): grantline with the node:crypto ` +
          `signer ${num(nodeSigner)} µs, with WebCrypto ${num(webcrypto)} µs (${ratio(nodeSigner, webcrypto)}), ` +
          `openid-client ${num(oc)} µs, the raw node:crypto floor ${num(raw)} µs.`,
      )
    }
  }
  if (r.variants) {
    const cpu = (prefix: string) => {
      const row = r.variants!.rows.find((v) => v.subject.startsWith(prefix))
      return row ? cpuOf(row.samples).median : undefined
    }
    const shipped = cpu('grantline (node) as shipped')
    const noDeadline = cpu('grantline (node), config.timeout = 0')
    const fetchShipped = cpu('grantline (fetch) as shipped')
    const customFetch = cpu('grantline (fetch), customFetch')
    if (shipped !== undefined && noDeadline !== undefined) {
      lines.push(
        `- The default 30 s deadline (DECISIONS D1) on the node path: ${num(shipped)} µs per request as shipped, ` +
          `${num(noDeadline)} µs with \`config.timeout = 0\`, a difference of ${num(shipped - noDeadline)} µs to compare with ` +
          'the round-to-round spread in "Candidate speed-ups".',
      )
    }
    if (shipped !== undefined && fetchShipped !== undefined && customFetch !== undefined) {
      lines.push(
        `- At ${settings.CONCURRENCY} in flight, client_secret_basic: the node transport costs ${ratio(shipped, fetchShipped)} of the ` +
          `global fetch's client CPU per request; a \`customFetch\` on node:http (which still builds a WHATWG Response per ` +
          `request) ${ratio(customFetch, fetchShipped)}.`,
      )
    }
  }
  const cold = r.coldImports
  if (cold) {
    const ms = (prefix: string) => cold.find((c) => c.name.startsWith(prefix))?.importMs.median
    const whole = ms('jose, whole')
    const parts = ms('jose/jwe')
    const gl = ms('grantline (dist')
    const glNode = ms('grantline on Node.js')
    const oc = ms('openid-client')
    if (whole !== undefined && parts !== undefined && gl !== undefined && oc !== undefined) {
      lines.push(
        `- Cold import: grantline ${num(gl)} ms (portable dist/index.js)` +
          (glNode !== undefined ? `, ${num(glNode)} ms for \`import 'grantline'\` on Node.js` : '') +
          ` against openid-client ${num(oc)} ms. Both load only two subpaths of ` +
          `\`jose\` (${num(parts)} ms; the whole barrel would take ${num(whole)} ms)` +
          (r.previous?.coldImportMs !== undefined
            ? `; the previous run measured ${num(r.previous.coldImportMs)} ms for dist/index.js.`
            : '.'),
      )
    }
  }
  const bundle = r.bundles?.find((b) => b.name === 'grantline')
  const ocBundle = r.bundles?.find((b) => b.name === 'openid-client')
  if (bundle && ocBundle) {
    const before = r.previous?.bundle
    lines.push(
      `- Browser bundle (genericGrantRequest with client_secret_basic, minified + gzipped): grantline ${bundle.gzipped} B, ` +
        `openid-client ${ocBundle.gzipped} B` +
        (before
          ? `; the previous run measured ${before.gzipped} B for grantline (${bundle.gzipped - before.gzipped >= 0 ? '+' : ''}${bundle.gzipped - before.gzipped} B).`
          : '.'),
    )
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
    `![Client CPU per token request, per client, server, mode and concurrency; whiskers show the spread of the rounds](${r.chart})`,
    '',
    '## How this is measured',
    '',
    "- **grantline (node)** is what Node.js gets from the `node` export condition: requests on grantline's own",
    '  `node:http` transport, DPoP proofs and client assertions signed on `node:crypto` (src/node/). **grantline (fetch)**',
    '  is the portable path, the one Deno, Bun, browsers and edge runtimes take, and the one Node.js takes when the',
    '  application has taken control of `fetch`: the global `fetch` and WebCrypto. Both run in the same process; the',
    '  path is switched before every round (bench/paths.ts).',
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
    `- A cell is ${settings.ROUNDS} rounds of ${settings.ROUND_MS} ms per client after a ${settings.WARMUP_MS} ms warm-up; rounds of the ${CLIENTS.length}`,
    '  clients are interleaved with their order rotated, and garbage is collected before each round. **Client CPU** is',
    "  `process.cpuUsage()` (user + system, all threads of the client process: the main thread, libuv's pool where",
    '  WebCrypto signs, and the GC threads) divided by the requests completed. Figures are medians with the min–max',
    "  spread of the rounds. **Heap** is the bytes allocated on the V8 heap per request: the used heap's growth over the",
    '  round plus what each garbage collection in it freed (`v8.GCProfiler`); Buffers live outside it.',
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
      'D1). The customFetch row swaps the global `fetch` for a fetch-shaped function on `node:http`',
      '(bench/node-http-fetch.ts), which still builds a WHATWG `Response` per request.',
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
    "libuv's thread pool, so operations/s of its signing rows is bounded by that hand-off; the node:crypto signer signs",
    'on the calling thread. CPU µs/op is the cost.',
    '',
    ...microTables(r.micro),
  )

  lines.push('## Cold import and bundle size', '')
  if (r.footprintNote) lines.push(r.footprintNote, '')
  if (r.coldImports) {
    lines.push(
      `A fresh \`node\` process per import, ${settings.COLD_IMPORT_RUNS} runs each after one unmeasured run that warms the file cache, alternating`,
      "between the packages. grantline is its built `dist/index.js`, and what `import 'grantline'` resolves to on Node.js.",
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
    `${settings.PROFILE_SECONDS} s of grantline requests on one path, ${settings.CONCURRENCY} in flight, against the minimal server, after a warm-up. Only the main`,
    'thread is sampled. "By area" charges each sample to the file of the function running (V8 builtins such as',
    '`writev` to their caller). "By grantline frame" charges it to the innermost grantline function on the stack, i.e.',
    'the part of the library whose synchronous call caused the work; work resumed from the event loop (socket reads,',
    "fetch's internal continuations, GC) has no grantline frame.",
    '',
    ...GRANTLINES.map((g) => `**Biggest cost, ${g}:** ${biggestCost(r.profiles, g)}.\n`),
  )
  for (const profile of r.profiles) {
    lines.push(
      `### ${profile.client}, ${MODE_LABEL[profile.mode]}: ${profile.requests} requests, ${num(profile.cpuUsPerRequest)} µs client CPU per request`,
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
