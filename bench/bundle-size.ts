// What a browser or edge user ships (issue 14 item 3): the minified+gzipped size of a program that uses only
// genericGrantRequest, bundled the way a user's bundler sees each package: `import ... from 'grantline'`
// resolved through package.json `exports` with the browser condition (jose comes in from node_modules), the
// same program on openid-client, and grantline's prebuilt browser file (grantline/browser, jose inlined) whole
// and tree-shaken. `npm run bench` adds it to BENCHMARKS.md; `npx tsx bench/bundle-size.ts` prints it alone.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build, type Plugin } from 'esbuild'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

export interface BundleSizeRow {
  subject: string
  minified: number
  gzipped: number
}

/** A Configuration with client_secret_basic and one genericGrantRequest (a token exchange). */
export const PROGRAM = (specifier: string) => `
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

/**
 * `grantline` and `grantline/*` resolve through this repository's package.json `exports` (browser condition
 * first, as a bundler targeting browsers does), to the built dist/.
 */
function packageExports(): Plugin {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    exports: Record<string, Record<string, string> | string>
  }
  const pick = (entry: Record<string, string> | string | undefined) =>
    typeof entry === 'string' ? entry : (entry?.['browser'] ?? entry?.['default'])
  return {
    name: 'grantline-exports',
    setup(b) {
      b.onResolve({ filter: /^grantline(\/.*)?$/ }, (args) => {
        const subpath = args.path === 'grantline' ? '.' : `.${args.path.slice('grantline'.length)}`
        const target = pick(pkg.exports[subpath])
        if (!target) return { errors: [{ text: `grantline has no export ${subpath} for browsers` }] }
        return { path: join(ROOT, target) }
      })
    },
  }
}

/** `contents` bundled as a browser build would be: minified ESM, `grantline` through its `exports`. */
export async function bundled(contents: string): Promise<Uint8Array> {
  const result = await build({
    stdin: { contents, resolveDir: ROOT, loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
    plugins: [packageExports()],
  })
  return result.outputFiles[0]!.contents
}

const row = (subject: string, code: Uint8Array): BundleSizeRow => ({
  subject,
  minified: code.byteLength,
  gzipped: gzipSync(code, { level: 9 }).byteLength,
})

/** Needs dist/ (npm run build). */
export async function measureBundleSizes(): Promise<BundleSizeRow[]> {
  const browserFile = join(ROOT, 'dist/browser/grantline.js')
  if (!existsSync(browserFile)) throw new Error('dist/browser/grantline.js is missing: npm run build')
  return [
    row(
      "grantline: genericGrantRequest only, `from 'grantline'` (browser condition)",
      await bundled(PROGRAM('grantline')),
    ),
    row('openid-client: the same program', await bundled(PROGRAM('openid-client'))),
    row(
      "grantline: the same program on the prebuilt browser file (`from 'grantline/browser'`)",
      await bundled(PROGRAM('grantline/browser')),
    ),
    row('grantline/browser (dist/browser/grantline.js) whole, as shipped', readFileSync(browserFile)),
  ]
}

export function renderBundleSection(rows: BundleSizeRow[]): string {
  return [
    '## Bundle size for browsers and edge workers',
    '',
    'A program that builds a `Configuration` with `ClientSecretBasic` and calls `genericGrantRequest` once, bundled',
    "with esbuild (`minify: true, format: 'esm', platform: 'browser'`), each package resolved through its",
    '`exports` with the browser condition; gzip level 9. The last row is the whole prebuilt browser file, the one a',
    'page can load without a bundler or an import map.',
    '',
    '| bundle | minified bytes | minified + gzipped bytes |',
    '|---|--:|--:|',
    ...rows.map((r) => `| ${r.subject} | ${r.minified} | ${r.gzipped} |`),
  ].join('\n')
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(renderBundleSection(await measureBundleSizes()))
}
