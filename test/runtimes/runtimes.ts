// One launcher per runtime of `npm run test:runtimes`. Each takes the suite bundles built into the app folder
// (where the packed grantline is installed) and a description of the servers, and returns the suite's results.
// A runtime that cannot start throws: the runner counts that as a failure, never as a skip.
import { execFile, spawn } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer as createHttpServer } from 'node:http'
import { createServer as createNetServer, type AddressInfo } from 'node:net'
import { extname, join } from 'node:path'
import { launchChromium } from '../support/chromium.js'
import type { CaseResult, SuiteEnv } from './suite.js'

export interface RuntimeRun {
  version: string
  results: CaseResult[]
}

export interface Runtime {
  name: string
  /** Whether grantline/node (client certificates) is there: the mTLS case runs. */
  mtls: boolean
  run(app: string, env: SuiteEnv): Promise<RuntimeRun>
}

const TIMEOUT_MS = 180_000

/** The runtimes' own folder (runtimes/package.json, installed by `npm ci --prefix runtimes`). */
export function runtimeBin(root: string, name: string): string {
  const bin = join(root, 'runtimes', 'node_modules', '.bin', name)
  if (!existsSync(bin)) {
    throw new Error(`${bin} is missing: run \`npm ci --prefix runtimes\` (see .ci/run)`)
  }
  return bin
}

function output(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = execFile(
      command,
      args,
      { ...options, encoding: 'utf8', timeout: TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err && (err as { code?: unknown }).code === 'ENOENT') reject(err)
        else resolve({ code: child.exitCode, stdout, stderr })
      },
    )
  })
}

async function processRun(
  command: string,
  args: string[],
  app: string,
  env: SuiteEnv,
): Promise<CaseResult[]> {
  const encoded = Buffer.from(JSON.stringify(env)).toString('base64')
  const { code, stdout, stderr } = await output(command, [...args, encoded], {
    cwd: app,
    // No GRANTLINE_TRANSPORT from the caller: each runtime takes grantline's own default.
    env: { ...process.env, GRANTLINE_TRANSPORT: undefined, NO_COLOR: '1' },
  })
  const line = stdout.split('\n').find((l) => l.startsWith('@@RESULTS '))
  if (!line) {
    throw new Error(
      `exited with ${String(code)} and no results\n${stdout.slice(-2000)}\n${stderr.slice(-4000)}`,
    )
  }
  return JSON.parse(line.slice('@@RESULTS '.length)) as CaseResult[]
}

async function versionOf(command: string, args: string[]): Promise<string> {
  const { stdout, stderr } = await output(command, args)
  return (stdout || stderr).trim().split('\n')[0]!
}

export function nodeRuntime(name: string, command: string): Runtime {
  return {
    name,
    mtls: true,
    async run(app, env) {
      const version = await versionOf(command, ['--version'])
      return { version, results: await processRun(command, ['suite-process.mjs'], app, env) }
    },
  }
}

export function denoRuntime(root: string): Runtime {
  return {
    name: 'Deno',
    mtls: true,
    async run(app, env) {
      const deno = runtimeBin(root, 'deno')
      const version = (await versionOf(deno, ['--version'])).replace(/^deno /, '').replace(/ \(.*$/, '')
      const args = ['run', '--allow-all', '--no-prompt', '--quiet', 'suite-process.mjs']
      return { version, results: await processRun(deno, args, app, env) }
    },
  }
}

export function bunRuntime(root: string): Runtime {
  return {
    name: 'Bun',
    mtls: true,
    async run(app, env) {
      const bun = runtimeBin(root, 'bun')
      const version = await versionOf(bun, ['--version'])
      return { version, results: await processRun(bun, ['run', 'suite-process.mjs'], app, env) }
    },
  }
}

/**
 * Headless Chromium (Debian's /usr/bin/chromium through playwright-core). The page and its two scripts come from
 * a static server of their own on 127.0.0.1, a different origin from the authorization and scripted servers, so
 * every request of the suite is a cross-origin one.
 */
export function chromiumRuntime(): Runtime {
  return {
    name: 'Chromium (headless)',
    mtls: false,
    async run(app, env) {
      const files: Record<string, string> = {
        '/': '<!doctype html><meta charset="utf-8"><title>grantline</title><script type="module" src="./suite-browser.js"></script>',
        '/suite-browser.js': readFileSync(join(app, 'suite-browser.js'), 'utf8'),
        '/grantline.js': readFileSync(join(app, 'node_modules/grantline/dist/browser/grantline.js'), 'utf8'),
      }
      const page = createHttpServer((req, res) => {
        const body = files[req.url ?? '']
        if (body === undefined) {
          res.writeHead(404).end()
          return
        }
        const type = extname(req.url ?? '') === '.js' ? 'text/javascript' : 'text/html'
        res.writeHead(200, { 'content-type': `${type}; charset=utf-8` }).end(body)
      })
      await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve))
      const browser = await launchChromium()
      try {
        const tab = await browser.newPage()
        const errors: string[] = []
        tab.on('pageerror', (err) => errors.push(err.message))
        await tab.goto(`http://127.0.0.1:${(page.address() as AddressInfo).port}/`)
        await tab.waitForFunction(
          () => typeof (globalThis as { runSuite?: unknown }).runSuite === 'function',
          null,
          {
            timeout: 30_000,
          },
        )
        if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`)
        const results = await tab.evaluate(
          (e) => (globalThis as unknown as { runSuite(e: unknown): Promise<CaseResult[]> }).runSuite(e),
          env as unknown as Record<string, unknown>,
        )
        return { version: browser.version(), results }
      } finally {
        await browser.close()
        await new Promise<void>((resolve) => page.close(() => resolve()))
      }
    },
  }
}

async function freePort(): Promise<number> {
  const server = createNetServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/**
 * workerd, the Workers runtime: the bundled worker behind a socket on 127.0.0.1, with outbound requests allowed
 * to loopback addresses (workerd's default network refuses them). One POST runs the suite.
 */
export function workerdRuntime(root: string): Runtime {
  return {
    name: 'workerd',
    mtls: false,
    async run(app, env) {
      const workerd = runtimeBin(root, 'workerd')
      const version = (await versionOf(workerd, ['--version'])).replace(/^workerd /, '')
      const port = await freePort()
      const config = join(app, 'workerd.capnp')
      writeFileSync(
        config,
        `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .suite),
    (name = "loopback", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const suite :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "suite-worker.js")],
  compatibilityDate = "2025-09-01",
  globalOutbound = "loopback",
);
`,
      )
      const child = spawn(workerd, ['serve', config], { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] })
      let log = ''
      child.stdout.on('data', (chunk: Buffer) => (log += chunk.toString()))
      child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()))
      const exited = new Promise<never>((_, reject) =>
        child.once('exit', (code) =>
          reject(new Error(`workerd exited with ${String(code)}\n${log.slice(-4000)}`)),
        ),
      )
      exited.catch(() => {})
      try {
        const url = `http://127.0.0.1:${port}/`
        const deadline = Date.now() + 30_000
        for (;;) {
          try {
            await Promise.race([fetch(url, { method: 'HEAD' }), exited])
            break
          } catch (err) {
            if (Date.now() > deadline || child.exitCode !== null) throw err
            await new Promise((resolve) => setTimeout(resolve, 200))
          }
        }
        const response = await Promise.race([
          fetch(url, { method: 'POST', body: JSON.stringify(env), signal: AbortSignal.timeout(TIMEOUT_MS) }),
          exited,
        ])
        if (!response.ok)
          throw new Error(`the worker answered ${response.status}: ${await response.text()}\n${log}`)
        return { version, results: (await response.json()) as CaseResult[] }
      } finally {
        child.kill('SIGTERM')
      }
    },
  }
}
