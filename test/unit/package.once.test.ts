import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFile, execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { publint } from 'publint'

/**
 * Issue 14 item 1: the package as a user gets it. `npm pack` of the built dist/ (built here only when missing;
 * CI's `npm ci` builds it through `prepare`), checked with publint --strict and @arethetypeswrong/cli (ESM-only
 * profile), then installed into a fresh folder and used the way a user does: an ES module program, `require()`
 * (Node.js 20.19 and later), and TypeScript consumers under NodeNext, Bundler and node10 resolution.
 * The install from a git URL (which runs `prepare` in a clone) is in `npm run test:runtimes` (test/runtimes/).
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const NPM_ENV = {
  ...process.env,
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
}

let work: string
let tarball: string
let files: string[]
let app: string

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist/index.d.ts')) || !existsSync(join(ROOT, 'dist/browser/grantline.js'))) {
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] })
  }
  work = mkdtempSync(join(tmpdir(), 'grantline-package-'))
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], {
      cwd: ROOT,
      encoding: 'utf8',
      env: NPM_ENV,
      stdio: ['ignore', 'pipe', 'ignore'],
    }),
  ) as { filename: string; files: { path: string }[] }[]
  tarball = join(work, packed[0]!.filename)
  files = packed[0]!.files.map((f) => f.path).sort()

  app = join(work, 'app')
  mkdirSync(app)
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }))
  execFileSync('npm', ['install', '--prefer-offline', '--no-package-lock', tarball], {
    cwd: app,
    env: NPM_ENV,
    stdio: ['ignore', 'ignore', 'inherit'],
  })
}, 180_000)

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true })
})

/** Runs a command to its end without blocking the worker (the TypeScript runs go side by side). */
function run(
  command: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(command, args, { encoding: 'utf8' }, (err, stdout, stderr) =>
      done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    )
  })
}

/** The module specifiers of a declaration file's import and export statements (not those in its comments). */
const IMPORTS = /^(?:import|export)\b[^;]*?\bfrom\s+'([^']+)'/gm

const node = (args: string[]) =>
  execFileSync(process.execPath, args, { cwd: app, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })

describe('the tarball', () => {
  it('holds the built entries, their shared chunks, the browser build and one .d.ts per typed entry; no source map, no source, no internal declaration', () => {
    const declarations = files.filter((f) => f.endsWith('.d.ts'))
    expect(declarations).toEqual([
      'dist/index.d.ts',
      'dist/node/index.d.ts',
      'dist/passport/index.d.ts',
      'dist/redis/index.d.ts',
    ])
    expect(files).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json']))
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([])
    expect(
      files.filter((f) => !f.startsWith('dist/') && !['LICENSE', 'README.md', 'package.json'].includes(f)),
    ).toEqual([])
    const scripts = files.filter((f) => f.endsWith('.js'))
    expect(
      scripts.filter(
        (f) =>
          !/^dist\/((node|redis|passport)\/index|index|cli\/main|browser\/grantline|core-[A-Z0-9]+)\.js$/.test(
            f,
          ),
      ),
    ).toEqual([])
    expect(scripts).toEqual(
      expect.arrayContaining([
        'dist/index.js',
        'dist/node/index.js',
        'dist/browser/grantline.js',
        'dist/cli/main.js',
      ]),
    )
    const license = readFileSync(join(app, 'node_modules/grantline/LICENSE'), 'utf8')
    expect(license).toMatch(/^MIT License\n\nCopyright \(c\) 2026 the grantline authors\n/)
  })

  it('each side entry imports the core types from ../index.js instead of declaring them again', () => {
    for (const entry of ['node', 'redis']) {
      const text = readFileSync(join(app, `node_modules/grantline/dist/${entry}/index.d.ts`), 'utf8')
      expect(text, entry).toMatch(/^import \{[^}]+\} from '\.\.\/index\.js';$/m)
      expect(text, entry).not.toMatch(/declare class Configuration\b/)
      // Only the core's file and Node.js's own modules: nothing internal is reachable.
      const specifiers = [...text.matchAll(IMPORTS)].map((m) => m[1])
      expect(
        specifiers.filter((s) => s !== '../index.js' && !s!.startsWith('node:')),
        entry,
      ).toEqual([])
    }
    const core = readFileSync(join(app, 'node_modules/grantline/dist/index.d.ts'), 'utf8')
    expect([...core.matchAll(IMPORTS)].map((m) => m[1])).toEqual([])
  })

  it('publint --strict finds nothing', async () => {
    // The installed copy is exactly what was packed, so publint lints it as published (pack: false).
    const { messages } = await publint({
      pkgDir: join(app, 'node_modules/grantline'),
      strict: true,
      pack: false,
    })
    expect(messages.map((m) => `${m.type} ${m.code} ${m.path.join('.')}`)).toEqual([])
  })

  it('@arethetypeswrong/cli (ESM-only profile) finds no problem; grantline/node resolves under node10 through typesVersions', () => {
    let out: string
    try {
      out = execFileSync(
        join(ROOT, 'node_modules/.bin/attw'),
        [tarball, '--profile', 'esm-only', '--format', 'json', '--no-color'],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
      )
    } catch (err) {
      throw new Error(`attw failed:\n${(err as { stdout?: string }).stdout ?? String(err)}`)
    }
    const report = JSON.parse(out) as {
      analysis: {
        entrypoints: Record<
          string,
          { resolutions: Record<string, { resolution?: { fileName: string; isTypeScript: boolean } }> }
        >
      }
      problems?: unknown[]
    }
    const entrypoints = report.analysis.entrypoints
    expect(Object.keys(entrypoints).sort()).toEqual(
      ['.', './browser', './node', './package.json', './passport', './redis'].sort(),
    )
    expect(entrypoints['./node']!.resolutions['node10']!.resolution).toMatchObject({
      fileName: '/node_modules/grantline/dist/node/index.d.ts',
      isTypeScript: true,
    })
    expect(entrypoints['.']!.resolutions['node16-esm']!.resolution?.fileName).toBe(
      '/node_modules/grantline/dist/index.d.ts',
    )
  })
})

describe('installed from the tarball into a fresh folder', () => {
  it('an ES module program gets the whole API; grantline and grantline/node share one core; grantline/browser loads', () => {
    const out = node([
      '--input-type=module',
      '-e',
      `import * as g from 'grantline'
       import * as n from 'grantline/node'
       import * as b from 'grantline/browser'
       const config = new g.Configuration({ issuer: 'https://as.example' }, 'client')
       n.useClientCertificate; // exists
       console.log(JSON.stringify({
         generic: typeof g.genericGrantRequest, manager: typeof g.createTokenManager,
         same: g.ClientError === n.ClientError, node: typeof n.useClientCertificate,
         browser: typeof b.genericGrantRequest, browserOwn: b.ClientError !== g.ClientError,
         config: config instanceof n.Configuration, keys: Object.keys(g).length,
       }))`,
    ])
    expect(JSON.parse(out)).toEqual({
      generic: 'function',
      manager: 'function',
      same: true,
      node: 'function',
      browser: 'function',
      browserOwn: true,
      config: true,
      keys: expect.any(Number),
    })
  })

  it('require("grantline") works on this Node.js (20.19 or later: require of an ES module), with the same exports', () => {
    const [major, minor] = process.versions.node.split('.').map(Number) as [number, number]
    expect(major > 20 || (major === 20 && minor >= 19), `Node.js ${process.versions.node}`).toBe(true)
    const required = node([
      '--no-warnings',
      '-e',
      `const g = require('grantline'); console.log(JSON.stringify(Object.keys(g).sort()))`,
    ])
    const imported = node([
      '--input-type=module',
      '-e',
      `import * as g from 'grantline'; console.log(JSON.stringify(Object.keys(g).filter((k) => k !== 'default').sort()))`,
    ])
    expect(JSON.parse(required)).toEqual(expect.arrayContaining(JSON.parse(imported) as string[]))
    expect((JSON.parse(imported) as string[]).length).toBeGreaterThan(50)
  })

  it('the declarations type-check in TypeScript consumers (NodeNext, Bundler, node10), and hide internals', async () => {
    const consumer = `
import * as client from 'grantline'
import { useClientCertificate, setTransport } from 'grantline/node'
import { redisTokenStore } from 'grantline/redis'
// @ts-expect-error internals are not part of the package's types
import { ope } from 'grantline'

const config: client.Configuration = new client.Configuration({ issuer: 'https://as.example' }, 'client', 'secret')
useClientCertificate(config, { cert: 'PEM', key: 'PEM' })
setTransport('fetch')
config[client.customFetch] = (url, options) => fetch(url, options as RequestInit)
const store: client.TokenStore = redisTokenStore({} as never, {} as never)
const manager: client.TokenManager = client.createTokenManager({ store })
export const pending: Promise<client.TokenEndpointResponse & client.TokenEndpointResponseHelpers> =
  client.genericGrantRequest(config, 'client_credentials', { scope: 'api' })
void manager
void ope
`
    // A page or a Worker: no Node.js types at all.
    const browser = `
import * as client from 'grantline'
import { genericGrantRequest } from 'grantline/browser'
const config = new client.Configuration({ issuer: 'https://as.example' }, 'client', 'secret')
export const pending = genericGrantRequest(config, 'client_credentials', {})
`
    const node10 = `
import { useClientCertificate } from 'grantline/node'
import { Configuration } from 'grantline'
useClientCertificate(new Configuration({ issuer: 'https://as.example' }, 'client'), { cert: 'PEM', key: 'PEM' })
`
    // Our declaration files are checked with skipLibCheck off (the default libs skipped for time): all of them
    // under NodeNext, the portable one under Bundler without Node.js types (as a page or a Worker compiles it);
    // node10 checks that grantline/node resolves through typesVersions.
    const cases: {
      name: string
      module: string
      moduleResolution: string
      source: string
      skipLibCheck: boolean
      types?: string[]
    }[] = [
      {
        name: 'nodenext',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        source: consumer,
        skipLibCheck: false,
      },
      {
        name: 'bundler',
        module: 'ESNext',
        moduleResolution: 'Bundler',
        source: browser,
        skipLibCheck: false,
        types: [],
      },
      { name: 'node10', module: 'CommonJS', moduleResolution: 'node10', source: node10, skipLibCheck: true },
    ]
    const runs = cases.map(async (c) => {
      const dir = join(app, `ts-${c.name}`)
      mkdirSync(dir, { recursive: true })
      writeFileSync(join(dir, 'consumer.ts'), c.source)
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            target: 'ES2022',
            module: c.module,
            moduleResolution: c.moduleResolution,
            lib: ['ES2022', 'DOM', 'DOM.Iterable'],
            types: c.types ?? ['node'],
            typeRoots: [join(ROOT, 'node_modules/@types')],
            strict: true,
            exactOptionalPropertyTypes: true,
            skipLibCheck: c.skipLibCheck,
            skipDefaultLibCheck: true,
            noEmit: true,
            ignoreDeprecations: '6.0',
          },
          files: ['consumer.ts'],
        }),
      )
      const result = await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', dir])
      return result.code === 0 ? '' : `${c.name}: ${result.stdout}${result.stderr}`
    })
    expect((await Promise.all(runs)).filter(Boolean)).toEqual([])
  }, 120_000)
})
