import { defineConfig } from 'vitest/config'

/**
 * The test suite as `npm run mutate` (StrykerJS) runs it against each mutant: the unit and hostile tests, which
 * exercise the mutated folders through the public API against scripted local servers.
 *
 * Left out, because they cost more than they kill:
 * - `test/integration/**`: every run starts oidc-provider; the same code paths are covered by the hostile tests.
 * - `test/hostile/polling.test.ts`: waits out real poll intervals (16 s per run); it targets `src/grants/`, which
 *   is not mutated.
 * - `test/hostile/differential.test.ts` and `test/unit/fuzz.test.ts`: generated inputs by the thousand (4 s each
 *   per run), which every surviving mutant would pay in full; the targeted tests pin the same rules at their
 *   boundaries. They stay in `npm test`.
 * - The Node.js transport's own tests (`transport-*`, `node-*`, `mtls-fetch`): they exercise `src/node/`, which is
 *   not mutated, and expect the per-project setup of `vitest.config.ts`. The mutation run takes the portable
 *   fetch path, as the `fetch` project does.
 */
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/hostile/**/*.test.ts'],
    exclude: [
      'test/hostile/polling.test.ts',
      'test/hostile/differential.test.ts',
      'test/unit/fuzz.test.ts',
      'test/unit/transport-*.test.ts',
      'test/unit/node-*.test.ts',
      'test/unit/mtls-fetch.test.ts',
    ],
    env: { GRANTLINE_TRANSPORT: 'fetch' },
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
})
