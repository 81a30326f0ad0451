import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build, type BuildOptions } from 'esbuild'

/**
 * Issue 10 item 3: the portable bundle has no `node:` import, and the Node.js entry shares it instead of
 * carrying a second copy (so `instanceof ClientError` holds across `grantline` and `grantline/node`). The test
 * runs the esbuild step of `npm run build` itself (the JavaScript; declarations are tsc's business) into a
 * temporary directory.
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>
  exports: Record<string, Record<string, string>>
  sideEffects: unknown
}

let out: string

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), 'grantline-bundle-'))
  // The esbuild options of npm run build (scripts/build.mjs takes them from scripts/build-config.mjs).
  const config = (await import(pathToFileURL(join(ROOT, 'scripts/build-config.mjs')).href)) as {
    jsBuildOptions(outdir: string): BuildOptions
  }
  await build(config.jsBuildOptions(out))
}, 60_000)
afterAll(() => {
  if (out) rmSync(out, { recursive: true, force: true })
})

/** The static and dynamic import specifiers of an ES module. */
function importsOf(code: string): string[] {
  const found: string[] = []
  for (const match of code.matchAll(
    /(?:^|[;\n}])\s*(?:import|export)\s*(?:[^'"]*?\bfrom\s*)?["']([^"']+)["']/g,
  )) {
    found.push(match[1]!)
  }
  for (const match of code.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) found.push(match[1]!)
  return found
}

/** Every file an entry loads, following relative imports, with the specifiers each imports. */
function graph(entry: string): Map<string, string[]> {
  const files = new Map<string, string[]>()
  const visit = (file: string) => {
    if (files.has(file)) return
    const specifiers = importsOf(readFileSync(file, 'utf8'))
    files.set(file, specifiers)
    for (const specifier of specifiers)
      if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier))
  }
  visit(entry)
  return files
}

describe('the built bundles', () => {
  it('the portable entry and everything it loads import no node: module (nor a bare Node.js builtin)', () => {
    const portable = graph(join(out, 'index.js'))
    expect(portable.size).toBeGreaterThan(1)
    const bare = new Set([
      'http',
      'https',
      'crypto',
      'zlib',
      'stream',
      'tls',
      'net',
      'buffer',
      'util',
      'events',
    ])
    for (const [file, specifiers] of portable) {
      const name = relative(out, file)
      expect(
        specifiers.filter((s) => s.startsWith('node:') || bare.has(s)),
        name,
      ).toEqual([])
      expect(readFileSync(file, 'utf8'), name).not.toMatch(/require\(["']node:/)
    }
  })

  it('the Node.js entry loads node:http, node:https and node:crypto, and the very same core files as the portable entry', () => {
    const portable = graph(join(out, 'index.js'))
    const node = graph(join(out, 'node/index.js'))
    const nodeImports = [...node.values()].flat()
    for (const builtin of ['node:http', 'node:https', 'node:crypto']) expect(nodeImports).toContain(builtin)
    const core = [...portable.keys()].filter((file) => file !== join(out, 'index.js'))
    expect(core.length).toBeGreaterThan(0)
    for (const file of core) expect(node.has(file), relative(out, file)).toBe(true)
  })

  it('one copy of the core: ClientError and the pipeline’s send are defined once across all output files', () => {
    const all = readdirSync(out, { recursive: true, encoding: 'utf8' })
      .filter((name) => name.endsWith('.js'))
      .map((name) => readFileSync(join(out, name), 'utf8'))
      .join('\n')
    // esbuild writes `class ClientError extends` as `var ClientError = class extends`.
    expect(all.match(/\bClientError = class\b|\bclass ClientError\b/g)).toHaveLength(1)
    expect(all.match(/function setDefaultTransport\b/g)).toHaveLength(1)
  })
})

describe('package.json', () => {
  it('exports["."]: Bun takes the portable build, Deno and Node.js the entry that registers the transport (measured fastest)', () => {
    const dot = pkg.exports['.']!
    const conditions = Object.keys(dot)
    expect(conditions.indexOf('bun')).toBeLessThan(conditions.indexOf('node'))
    expect(conditions.indexOf('deno')).toBeLessThan(conditions.indexOf('node'))
    expect(dot).toMatchObject({
      bun: './dist/index.js',
      deno: './dist/node/index.js',
      node: './dist/node/index.js',
      default: './dist/index.js',
    })
    expect(conditions.at(-1)).toBe('default')
    expect(pkg.exports['./node']).toMatchObject({ node: './dist/node/index.js' })
  })

  it('the Node.js entry is marked as having side effects, so bundlers keep its registration', () => {
    expect(pkg.sideEffects).toEqual(['./dist/node/index.js'])
  })
})
