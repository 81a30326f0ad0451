import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url))

/**
 * The package's own names, mapped to the sources as tsconfig.json `paths` maps them, so that a test importing an
 * example (which imports `grantline` as a user does) shares the test's copy of every class (`instanceof`) and
 * never loads `dist/`. `grantline` is the portable entry here: the `node` project loads the Node.js entry point
 * through its setup file, and the `fetch` project must stay portable.
 */
const PACKAGE_ALIASES = [
  { find: /^grantline$/, replacement: source('./src/index.ts') },
  { find: /^grantline\/browser$/, replacement: source('./src/index.ts') },
  { find: /^grantline\/node$/, replacement: source('./src/node/index.ts') },
  { find: /^grantline\/redis$/, replacement: source('./src/redis/index.ts') },
  { find: /^grantline\/passport$/, replacement: source('./src/passport/index.ts') },
]

/**
 * Every suite runs twice (issue 10, item 6): the `fetch` project is the portable path (global fetch,
 * WebCrypto), the `node` project loads the Node.js entry point (node:http transport, node:crypto signer).
 * Only a file that depends on neither runs once: the bundle check, which builds with esbuild, the API surface
 * check, which reads declaration files, and every `*.once.test.ts` (tests of separate processes: the CLI's bin,
 * fleet workers, the browser), whose subject does not load the library into the test's own process.
 */
const FETCH_ONLY = [
  'test/unit/transport-bundle.test.ts',
  // reads declaration files with the TypeScript compiler; loads no transport
  'test/unit/api-surface.test.ts',
  'test/**/*.once.test.ts',
]

export default defineConfig({
  resolve: { alias: PACKAGE_ALIASES },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      {
        extends: true,
        test: { name: 'fetch', env: { GRANTLINE_TRANSPORT: 'fetch' } },
      },
      {
        extends: true,
        test: {
          name: 'node',
          env: { GRANTLINE_TRANSPORT: 'node' },
          setupFiles: ['./test/support/node-entry.ts'],
          exclude: FETCH_ONLY,
        },
      },
    ],
  },
})
