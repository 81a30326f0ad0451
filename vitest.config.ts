import { defineConfig } from 'vitest/config'

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
