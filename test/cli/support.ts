// The CLI tests run the real bin as a person does: built once per test file with esbuild (the same bundle
// options as `npm run build` for src/cli/main.ts), then spawned with `node <bin> ...` and no shell.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))

const created: string[] = []

/** Removes the bins this file built and its sandbox (call from afterAll). */
export function removeBuilds(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true })
  rmSync(SANDBOX, { recursive: true, force: true })
}

/** Bundles src/cli/main.ts into a fresh folder under node_modules/.cache (so `jose` resolves); returns the bin. */
export async function buildBin(): Promise<string> {
  const cache = join(ROOT, 'node_modules', '.cache')
  mkdirSync(cache, { recursive: true })
  const dir = mkdtempSync(join(cache, 'grantline-cli-test-'))
  created.push(dir)
  const outfile = join(dir, 'main.js')
  await build({
    entryPoints: [join(ROOT, 'src/cli/main.ts')],
    bundle: true,
    format: 'esm',
    // As `npm run build` bundles it (scripts/build-config.mjs): portable output, node:* and jose left as imports.
    platform: 'neutral',
    target: 'es2022',
    external: ['jose', 'redis', 'passport', 'node:*'],
    outfile,
    logLevel: 'warning',
  })
  return outfile
}

export interface Result {
  code: number | null
  stdout: string
  stderr: string
}

/** A working folder and HOME of its own, so that no config file of the machine is read. */
export const SANDBOX = mkdtempSync(join(tmpdir(), 'grantline-cli-home-'))

export function cliEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'],
    HOME: SANDBOX,
    XDG_CONFIG_HOME: join(SANDBOX, '.config'),
  }
  for (const [name, value] of Object.entries(extra)) if (value !== undefined) env[name] = value
  return env
}

export function start(
  bin: string,
  args: string[],
  env: Record<string, string | undefined> = {},
): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [bin, ...args], { cwd: SANDBOX, env: cliEnv(env), stdio: 'pipe' })
}

/**
 * Starts the bin on a pseudo-terminal (util-linux `script`), as a person at a terminal runs it: stdout carries the
 * terminal's whole transcript, stdin what they type. The arguments must not need shell quoting.
 */
export function startOnTerminal(
  bin: string,
  args: string[],
): { child: ChildProcessWithoutNullStreams; transcript: () => string; exit: Promise<number | null> } {
  const command = [process.execPath, bin, ...args].join(' ')
  const child = spawn('script', ['-qfec', command, '/dev/null'], { env: cliEnv(), cwd: SANDBOX })
  let transcript = ''
  child.stdout.on('data', (chunk: Buffer) => (transcript += chunk))
  const exit = new Promise<number | null>((resolve) => child.once('close', resolve))
  return { child, transcript: () => transcript, exit }
}

/** Runs the bin to completion; `input` is written to its stdin (which is then closed). */
export function run(
  bin: string,
  args: string[],
  options: { env?: Record<string, string | undefined>; input?: string } = {},
): Promise<Result> {
  const child = start(bin, args, options.env)
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
  child.stdin.end(options.input ?? '')
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code) => resolve({ code, stdout, stderr }))
  })
}

/** Resolves with the accumulated text once `pattern` matches it. */
export function waitFor(
  stream: NodeJS.ReadableStream,
  pattern: RegExp,
  timeoutMs = 20_000,
): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let text = ''
    const timer = setTimeout(() => {
      stream.off('data', onData)
      reject(new Error(`timed out waiting for ${pattern} in: ${text}`))
    }, timeoutMs)
    const onData = (chunk: Buffer) => {
      text += chunk.toString('utf8')
      const match = text.match(pattern)
      if (match) {
        clearTimeout(timer)
        stream.off('data', onData)
        resolve(match)
      }
    }
    stream.on('data', onData)
  })
}

/** Asserts nothing in `text` holds any of the values (secrets, keys, tokens). */
export function leaks(text: string, values: Array<string | undefined>): string[] {
  return values.filter(
    (value): value is string => typeof value === 'string' && value.length > 0 && text.includes(value),
  )
}
