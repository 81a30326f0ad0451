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
 */
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/hostile/**/*.test.ts'],
    exclude: ['test/hostile/polling.test.ts', 'test/hostile/differential.test.ts', 'test/unit/fuzz.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
})
