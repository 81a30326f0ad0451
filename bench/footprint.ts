// What a user pays before the first request: the cold import time of the package in a fresh `node`, and the
// minified+gzipped size of a bundle that uses only genericGrantRequest.

import { execFileSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { gzipSync } from 'node:zlib'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build } from 'esbuild'
import { COLD_IMPORT_RUNS } from './config.js'
import { summarize, type Summary } from './stats.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const require = createRequire(import.meta.url)

export const PACKAGES = {
  grantline: fileURLToPath(new URL('../dist/index.js', import.meta.url)),
  'openid-client': require.resolve('openid-client'),
} as const
export type PackageName = keyof typeof PACKAGES

export interface ColdImport {
  name: PackageName
  /** Milliseconds of `await import()` inside the fresh process. */
  importMs: Summary
  /** Milliseconds from spawning `node` to its exit, import included. */
  processMs: Summary
}

/** Runs alternately, so both packages see the same state of the machine and of the file cache. */
export function measureColdImports(): ColdImport[] {
  const names = Object.keys(PACKAGES) as PackageName[]
  const times = Object.fromEntries(names.map((n) => [n, { imp: [] as number[], proc: [] as number[] }]))
  const script = (file: string) =>
    `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); ` +
    `process.stdout.write(String(performance.now() - t))`
  for (let run = 0; run < COLD_IMPORT_RUNS + 1; run++) {
    for (const name of names) {
      const started = performance.now()
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', script(PACKAGES[name])], {
        cwd: ROOT,
        encoding: 'utf8',
      })
      const processMs = performance.now() - started
      if (run === 0) continue // the first run warms the file cache
      times[name]!.imp.push(Number(out))
      times[name]!.proc.push(processMs)
    }
  }
  return names.map((name) => ({
    name,
    importMs: summarize(times[name]!.imp),
    processMs: summarize(times[name]!.proc),
  }))
}

export interface BundleSize {
  name: PackageName
  minified: number
  gzipped: number
}

/** The same program for both: a Configuration with client_secret_basic and one genericGrantRequest. */
const USAGE = (specifier: string) => `
import { Configuration, ClientSecretBasic, genericGrantRequest } from ${JSON.stringify(specifier)}
export function exchange(subjectToken) {
  const config = new Configuration({ issuer: 'https://as.example', token_endpoint: 'https://as.example/token' },
    'client', {}, ClientSecretBasic('secret'))
  return genericGrantRequest(config, 'urn:ietf:params:oauth:grant-type:token-exchange', {
    subject_token: subjectToken,
    subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
  })
}
`

export async function measureBundles(): Promise<BundleSize[]> {
  const sizes: BundleSize[] = []
  for (const name of Object.keys(PACKAGES) as PackageName[]) {
    const result = await build({
      stdin: {
        contents: USAGE(name === 'grantline' ? PACKAGES.grantline : name),
        resolveDir: ROOT,
        loader: 'js',
      },
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      write: false,
      logLevel: 'silent',
    })
    const code = result.outputFiles[0]!.contents
    sizes.push({ name, minified: code.byteLength, gzipped: gzipSync(code, { level: 9 }).byteLength })
  }
  return sizes
}

/** `npm run build`, so that a clean clone after `npm ci` has the dist/ the cold import and the bundle need. */
export function buildDist(): void {
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] })
}
