// The esbuild options of `npm run build` (scripts/build.mjs), in a module of their own so a test can build the
// same JavaScript into a folder of its own (test/unit/transport-bundle.test.ts).
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** The package's entry points, by source file. */
export const ENTRIES = [
  'src/index.ts',
  'src/node/index.ts',
  'src/redis/index.ts',
  'src/passport/index.ts',
  'src/cli/main.ts',
]

/**
 * Every entry in one run with code splitting, so all of them share one copy of the core (`core-*.js`); `jose`,
 * `redis`, `passport` and `node:*` stay imports. No source maps: the tarball ships no sources for them.
 */
export function jsBuildOptions(outdir) {
  return {
    entryPoints: ENTRIES.map((p) => join(ROOT, p)),
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    external: ['jose', 'redis', 'passport', 'node:*'],
    outdir,
    outbase: join(ROOT, 'src'),
    chunkNames: 'core-[hash]',
    logLevel: 'warning',
  }
}

/**
 * `grantline/browser`: the portable entry with `jose` inlined and minified, one ES module a page can load from
 * its own server without an import map or a bundler.
 */
export function browserBuildOptions(outfile) {
  return {
    entryPoints: [join(ROOT, 'src/index.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    outfile,
    logLevel: 'warning',
  }
}
