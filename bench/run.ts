// `npm run bench`: grantline side by side with openid-client and raw HTTP, written to BENCHMARKS.md.
// Knobs (rounds, durations, concurrency) are in bench/config.ts.

import { writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { MODES } from './clients.js'
import { buildDist, measureBundles, measureColdImports } from './footprint.js'
import { measureMicro } from './micro.js'
import { profileGrantline } from './profile.js'
import { biggestCost, renderReport, type Results } from './report.js'
import { benchClientKey, startServer, type RunningServer, type ServerKind } from './servers.js'
import { measureThroughput, measureVariants } from './throughput.js'

const OUTPUT = fileURLToPath(new URL('../BENCHMARKS.md', import.meta.url))
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
}

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
      log('grantline variants: no deadline, node:http customFetch')
      const rows = await measureVariants(server.target, 'client_secret_basic')
      results.variants = { server: server.target.name, mode: 'client_secret_basic', rows }
      log('profiling grantline')
      for (const mode of ['client_secret_basic', 'dpop'] as const) {
        results.profiles.push(await profileGrantline(server.target, mode))
      }
    }
    await server.stop()
  }
} finally {
  await Promise.all(servers.map((s) => s.stop()))
}

log('micro-benchmarks')
results.micro = await measureMicro(log)

if (built) {
  log('cold import and bundle size')
  results.coldImports = measureColdImports()
  results.bundles = await measureBundles()
}

results.loadAfter = loadavg()
results.seconds = (performance.now() - started) / 1000
writeFileSync(OUTPUT, `${renderReport(results)}\n`)
log(`wrote ${OUTPUT}`)
log(`biggest cost: ${biggestCost(results.profiles)}`)
