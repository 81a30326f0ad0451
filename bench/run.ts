// `npm run bench`: grantline on both of its paths side by side with openid-client and raw HTTP, written to
// BENCHMARKS.md, with the chart in BENCHMARKS.svg beside it. Knobs (rounds, durations, concurrency) are in
// bench/config.ts.

import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { GRANTLINES, MODES } from './clients.js'
import { renderChart } from './chart.js'
import { loadPaths, nodeTransportMissing } from './paths.js'
import { buildDist, measureBundles, measureColdImports } from './footprint.js'
import { measureBundleSizes, renderBundleSection } from './bundle-size.js'
import { measureMicro } from './micro.js'
import { measureManager, renderManagerSection } from './manager.js'
import { profileGrantline } from './profile.js'
import { biggestCost, renderReport, type Results } from './report.js'
import { benchClientKey, startServer, type RunningServer, type ServerKind } from './servers.js'
import { measureThroughput, measureVariants } from './throughput.js'

// BENCH_QUICK=1 (a smoke test of the bench itself) writes to a temporary directory, never over the real report.
const DIRECTORY =
  process.env['BENCH_QUICK'] === '1'
    ? mkdtempSync(join(tmpdir(), 'grantline-bench-quick-'))
    : fileURLToPath(new URL('..', import.meta.url))
const OUTPUT = join(DIRECTORY, 'BENCHMARKS.md')
const CHART = 'BENCHMARKS.svg'
const CHART_OUTPUT = join(DIRECTORY, CHART)

/** The ratio lines of the report this run replaces, so the new one can quote them. */
function previousFindings(): Results['previous'] {
  const committed = fileURLToPath(new URL('../BENCHMARKS.md', import.meta.url))
  if (!existsSync(committed)) return undefined
  const text = readFileSync(committed, 'utf8')
  const date = /^Run on (.+?) UTC/m.exec(text)?.[1] ?? 'date unknown'
  const lines = text
    .split('\n')
    .filter((l) => /^- grantline( \((node|fetch)\))? ÷ [^,]+, over all \d+ cells/.test(l))
  const bundle = /^\| grantline \| (\d+) \| (\d+) \|/m.exec(text)
  const cold = /^\| grantline \(dist\/index\.js\) \| ([0-9.]+) /m.exec(text)
  return {
    date,
    lines,
    bundle: bundle ? { minified: Number(bundle[1]), gzipped: Number(bundle[2]) } : undefined,
    coldImportMs: cold ? Number(cold[1]) : undefined,
  }
}
const started = performance.now()
const log = (line: string) => {
  const seconds = ((performance.now() - started) / 1000).toFixed(0).padStart(4)
  process.stdout.write(`[${seconds} s] ${line}\n`)
}

const results: Results = {
  startedAt: new Date(),
  seconds: 0,
  loadBefore: loadavg(),
  loadAfter: [],
  servers: [],
  cells: [],
  variants: undefined,
  micro: [],
  coldImports: undefined,
  bundles: undefined,
  footprintNote: undefined,
  profiles: [],
  nodeTransportNote: undefined,
  previous: previousFindings(),
  chart: CHART,
}

await loadPaths()
results.nodeTransportNote = nodeTransportMissing()
if (results.nodeTransportNote) log(`grantline (node) runs on fetch: ${results.nodeTransportNote}`)

// dist/ first: the cold import and the bundle measure the package as published, and a clean clone has none.
log('building dist/ (npm run build)')
let built = true
try {
  buildDist()
} catch (err) {
  built = false
  results.footprintNote = `\`npm run build\` failed, so the cold import and the bundle were not measured: ${String(err)}`
  log(results.footprintNote)
}

const key = await benchClientKey()
const servers: RunningServer[] = []
try {
  for (const kind of ['minimal', 'oidc-provider'] as ServerKind[]) {
    let server: RunningServer
    try {
      server = await startServer(kind, key)
    } catch (err) {
      log(`${kind} server could not start: ${String(err)}`)
      results.servers.push({ name: kind, note: `Not measured: the server did not start (${String(err)}).` })
      continue
    }
    servers.push(server)
    results.servers.push({ name: server.target.name })
    log(`token requests against ${server.target.name} (pid ${server.pid})`)
    results.cells.push(...(await measureThroughput(server.target, MODES, log)))

    if (kind === 'minimal') {
      log('grantline variants: each path, no deadline, node:http customFetch')
      const rows = await measureVariants(server.target, 'client_secret_basic')
      results.variants = { server: server.target.name, mode: 'client_secret_basic', rows }
      log('profiling grantline')
      for (const [client, mode] of [
        ['grantline (node)', 'client_secret_basic'],
        ['grantline (node)', 'dpop'],
        ['grantline (fetch)', 'client_secret_basic'],
      ] as const) {
        results.profiles.push(await profileGrantline(server.target, client, mode))
      }
    }
    await server.stop()
  }
} finally {
  await Promise.all(servers.map((s) => s.stop()))
}

log('micro-benchmarks')
results.micro = await measureMicro(log)

log('token manager')
const manager = await measureManager(log)

let bundleSection = ''
if (built) {
  log('cold import and bundle size')
  results.coldImports = measureColdImports()
  results.bundles = await measureBundles()
  bundleSection = `\n\n${renderBundleSection(await measureBundleSizes())}`
}

results.loadAfter = loadavg()
results.seconds = (performance.now() - started) / 1000
const subtitle =
  `npm run bench, ${results.startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC, Node.js ${process.version}, ` +
  'a shared 2-core machine'
const measured = results.servers.filter((s) => s.note === undefined).map((s) => s.name)
writeFileSync(CHART_OUTPUT, renderChart({ servers: measured, cells: results.cells, subtitle }))
writeFileSync(OUTPUT, `${renderReport(results)}\n\n${renderManagerSection(manager)}${bundleSection}\n`)
log(`wrote ${OUTPUT} and ${CHART_OUTPUT}`)
for (const grantline of GRANTLINES)
  log(`biggest cost, ${grantline}: ${biggestCost(results.profiles, grantline)}`)
