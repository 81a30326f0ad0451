// Mutation testing (issue 9): `npm run mutate`. Opt-in and outside `npm test`: a full run takes minutes.
// One folder while raising tests: npx stryker run --mutate 'src/dpop/**/*.ts'
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
const config = {
  testRunner: 'vitest',
  // The unit and hostile tests; see that file for what is left out and why.
  vitest: { configFile: 'vitest.mutate.config.ts' },
  mutate: [
    'src/token-endpoint/**/*.ts',
    'src/id-token/**/*.ts',
    'src/dpop/**/*.ts',
    'src/http/**/*.ts',
    'src/client-auth/**/*.ts',
  ],
  // Each mutant runs only the tests that reached it.
  coverageAnalysis: 'perTest',
  // 2 cores, shared.
  concurrency: 2,
  // On top of the test's own duration (times timeoutFactor): a mutant that turns a deadline into a hang is a
  // timeout, which counts as detected.
  timeoutMS: 10_000,
  // Reuses the results of mutants whose code and covering tests did not change since the last run; delete
  // reports/ (or pass --force) for a run from scratch. Static mutants (module-level constants, e.g. the algorithm
  // lists) keep an old "survived" even when a new test would kill them: re-run their file with --force.
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  reporters: ['clear-text', 'json', 'progress'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  // Survivors are listed (file:line, mutator, replacement), then the score table per folder and per file.
  clearTextReporter: { allowColor: false, reportTests: false },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  ignorePatterns: ['dist', 'coverage', 'reports', '.bench-tmp', 'bench', 'demo', 'examples', 'docs'],
  // The per-folder gate is `scripts/mutation-scores.mjs` (85 % each); this is only the overall floor.
  thresholds: { high: 90, low: 85, break: null },
}
export default config
