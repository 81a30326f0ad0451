// `npm run test:runtimes` (issue 14 items 1 and 2): the portable suite (test/runtimes/suite.ts) on Node.js 20
// (the Node.js running this script) and 22, Deno, Bun, headless Chromium and workerd, each loading grantline
// from `npm pack` installed into a fresh folder; then the install from a git URL. Prints a summary table and
// exits non-zero when any case fails or any runtime cannot start (a runtime is never skipped).
//
// Needs `npm ci --prefix runtimes` (Node.js 22, Deno, Bun and workerd from the npm registry) and Debian's
// chromium (scripts/ensure-system.mjs); .ci/run does both. `--only=<name>` (e.g. `--only=deno`) runs the
// runtimes whose name contains it and leaves the git install out, for local work.
import { cpSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build, type BuildOptions } from 'esbuild'
import { checkGitInstall, installPacked, run } from './install.js'
import {
  bunRuntime,
  chromiumRuntime,
  denoRuntime,
  nodeRuntime,
  runtimeBin,
  workerdRuntime,
  type Runtime,
} from './runtimes.js'
import { startServers } from './servers.js'
import type { CaseResult } from './suite.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const HERE = fileURLToPath(new URL('.', import.meta.url))
const only = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice('--only='.length)
  .toLowerCase()
const started = performance.now()
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0)} s`
const log = (line: string) => console.log(`[runtimes ${elapsed().padStart(5)}] ${line}`)

interface Row {
  runtime: string
  version: string
  passed: number
  failed: number
}
const rows: Row[] = []
const failures: string[] = []

function record(runtime: string, version: string, results: CaseResult[]) {
  const failed = results.filter((r) => !r.ok)
  rows.push({ runtime, version, passed: results.length - failed.length, failed: failed.length })
  for (const f of failed) failures.push(`${runtime}: ${f.name}\n    ${f.error ?? ''}`)
  log(`${runtime} ${version}: ${results.length - failed.length} passed, ${failed.length} failed`)
}

/** The suite bundles, built into the app folder so `grantline` resolves from the packed install there. */
async function bundleSuites(app: string): Promise<void> {
  // Copied into the app folder first, so that every bare import resolves from the app's node_modules (and never
  // from this repository, whose own package.json is grantline too).
  const source = join(app, 'suite-source')
  cpSync(join(HERE, 'entries'), join(source, 'entries'), { recursive: true })
  cpSync(join(HERE, 'suite.ts'), join(source, 'suite.ts'))
  const common: BuildOptions = {
    bundle: true,
    format: 'esm',
    target: 'es2022',
    logLevel: 'warning',
    absWorkingDir: app,
  }
  await build({
    ...common,
    entryPoints: [join(source, 'entries/process.mjs')],
    outfile: join(app, 'suite-process.mjs'),
    platform: 'neutral',
    external: ['grantline', 'grantline/*', 'node:*'],
  })
  await build({
    ...common,
    entryPoints: [join(source, 'entries/browser.mjs')],
    outfile: join(app, 'suite-browser.js'),
    platform: 'browser',
    // The page loads the package's browser build from beside it: no import map.
    plugins: [
      {
        name: 'grantline-browser-build',
        setup(b) {
          b.onResolve({ filter: /^grantline$/ }, () => ({ path: './grantline.js', external: true }))
        },
      },
    ],
  })
  const worker = await build({
    ...common,
    entryPoints: [join(source, 'entries/worker.mjs')],
    outfile: join(app, 'suite-worker.js'),
    platform: 'neutral',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    metafile: true,
  })
  // The worker must carry the installed package's portable build (the workerd condition), not a copy from here.
  const inputs = Object.keys(worker.metafile.inputs)
  if (!inputs.includes('node_modules/grantline/dist/index.js') || inputs.some((i) => i.includes('/node/'))) {
    throw new Error(
      `the worker bundle did not take node_modules/grantline/dist/index.js: ${inputs.join(', ')}`,
    )
  }
}

async function main(): Promise<number> {
  if (!existsSync(join(ROOT, 'dist/index.js')) || !existsSync(join(ROOT, 'dist/browser/grantline.js'))) {
    log('dist/ is missing: npm run build')
    await run('npm', ['run', '--silent', 'build'], ROOT, process.env)
  }
  const runtimes: Runtime[] = [
    nodeRuntime('Node.js 20', process.execPath),
    nodeRuntime('Node.js 22', runtimeBin(ROOT, 'node')),
    denoRuntime(ROOT),
    bunRuntime(ROOT),
    chromiumRuntime(),
    workerdRuntime(ROOT),
  ].filter((r) => !only || r.name.toLowerCase().includes(only))

  log('npm pack, installed into a fresh folder')
  const app = await installPacked(ROOT)
  await bundleSuites(app)
  log(`suite bundles in ${app}`)

  const servers = await startServers()
  try {
    for (const runtime of runtimes) {
      try {
        const { version, results } = await runtime.run(app, await servers.envFor(runtime.name, runtime.mtls))
        if (results.length === 0) throw new Error('the suite ran no case')
        record(runtime.name, version, results)
      } catch (err) {
        // A runtime that cannot start (or dies) fails the run.
        record(runtime.name, 'did not run', [{ name: 'start', ok: false, error: (err as Error).message }])
      }
    }
  } finally {
    await servers.close()
  }

  if (!only) {
    log('npm install from a git URL (prepare builds in the clone)')
    record(
      `git install, Node.js ${process.versions.node}`,
      `v${process.versions.node}`,
      await checkGitInstall(ROOT),
    )
  }

  const table = [
    '| runtime | version | passed | failed |',
    '| --- | --- | ---: | ---: |',
    ...rows.map((r) => `| ${r.runtime} | ${r.version} | ${r.passed} | ${r.failed} |`),
  ]
  console.log(`\n${table.join('\n')}\n`)
  if (failures.length) console.log(`Failures:\n${failures.map((f) => `  ${f}`).join('\n')}\n`)
  const passed = rows.reduce((n, r) => n + r.passed, 0)
  const failed = rows.reduce((n, r) => n + r.failed, 0)
  console.log(`test:runtimes took ${elapsed()}`)
  console.log(`runtimes: ${passed} passed, ${failed} failed`)
  return failed === 0 && rows.length > 0 ? 0 : 1
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err)
    console.log('runtimes: 0 passed, 1 failed')
    process.exit(1)
  },
)
