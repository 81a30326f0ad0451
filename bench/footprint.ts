// What a user pays before the first request: the cold import time of the package in a fresh `node`, and the
// minified+gzipped size of a bundle that uses only genericGrantRequest.

import { execFileSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { gzipSync } from 'node:zlib'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { PROGRAM, bundled } from './bundle-size.js'
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
  name: string
  /** Milliseconds of `await import()` inside the fresh process. */
  importMs: Summary
  /** Milliseconds from spawning `node` to its exit, import included. */
  processMs: Summary
}

/**
 * What is imported in each fresh process: the two packages, and for context grantline's one runtime dependency,
 * whole (the `jose` barrel) and as the two subpaths src/internal/jose.ts imports (`compactDecrypt` and the error
 * classes, which is also all that openid-client imports of it).
 */
const COLD_IMPORTS: { name: string; specifiers: string[] }[] = [
  { name: 'grantline (dist/index.js)', specifiers: [pathToFileURL(PACKAGES.grantline).href] },
  // Self-reference by package name: what `import 'grantline'` gives on Node.js (the `node` export condition).
  { name: "grantline on Node.js (`import 'grantline'`, node condition)", specifiers: ['grantline'] },
  { name: 'openid-client', specifiers: [pathToFileURL(PACKAGES['openid-client']).href] },
  { name: "jose, whole package (`from 'jose'`)", specifiers: ['jose'] },
  {
    name: 'jose/jwe/compact/decrypt + jose/errors only',
    specifiers: ['jose/jwe/compact/decrypt', 'jose/errors'],
  },
]

/** Runs alternately, so every subject sees the same state of the machine and of the file cache. */
export function measureColdImports(): ColdImport[] {
  const times = COLD_IMPORTS.map(() => ({ imp: [] as number[], proc: [] as number[] }))
  const script = (specifiers: string[]) =>
    `const t = performance.now(); await Promise.all(${JSON.stringify(specifiers)}.map((s) => import(s))); ` +
    `process.stdout.write(String(performance.now() - t))`
  for (let run = 0; run < COLD_IMPORT_RUNS + 1; run++) {
    COLD_IMPORTS.forEach(({ specifiers }, i) => {
      const started = performance.now()
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', script(specifiers)], {
        cwd: ROOT,
        encoding: 'utf8',
      })
      const processMs = performance.now() - started
      if (run === 0) return // the first run warms the file cache
      times[i]!.imp.push(Number(out))
      times[i]!.proc.push(processMs)
    })
  }
  return COLD_IMPORTS.map(({ name }, i) => ({
    name,
    importMs: summarize(times[i]!.imp),
    processMs: summarize(times[i]!.proc),
  }))
}

export interface BundleSize {
  name: PackageName
  minified: number
  gzipped: number
}

/**
 * The same program for both (bundle-size.ts's: a Configuration with client_secret_basic and one
 * genericGrantRequest), with the same esbuild settings; grantline taken from dist/index.js.
 */
export async function measureBundles(): Promise<BundleSize[]> {
  const sizes: BundleSize[] = []
  for (const name of Object.keys(PACKAGES) as PackageName[]) {
    const code = await bundled(PROGRAM(name === 'grantline' ? PACKAGES.grantline : name))
    sizes.push({ name, minified: code.byteLength, gzipped: gzipSync(code, { level: 9 }).byteLength })
  }
  return sizes
}

/** `npm run build`, so that a clean clone after `npm ci` has the dist/ the cold import and the bundle need. */
export function buildDist(): void {
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] })
}
