// Every knob of `npm run bench` in one place. The whole run is sized to finish within about six minutes on a
// 2-core machine: 2 servers x 3 authentication modes x 2 concurrencies x 5 clients x ROUNDS x ROUND_MS, plus the
// micro-benchmarks, the cold imports, the bundles and the CPU profiles.
// BENCH_QUICK=1 shrinks every duration to check that the bench runs end to end; its figures mean nothing.

const QUICK = process.env['BENCH_QUICK'] === '1'

/** Measured rounds per throughput cell; the tables report the median and the min–max spread. */
export const ROUNDS = QUICK ? 2 : 5
/** Length of one measured round of a throughput cell. */
export const ROUND_MS = QUICK ? 60 : 500
/** Unmeasured warm-up of each client before its first round (JIT, connection pool, caches). */
export const WARMUP_MS = QUICK ? 30 : 300
/** Rounds of the candidate speed-up comparison (four grantline variants, 16 in flight, minimal server). */
export const VARIANT_ROUNDS = QUICK ? 2 : 7
/** Requests in flight at once in the concurrent scenario. */
export const CONCURRENCY = 16

/** Rounds and length of each micro-benchmark (one operation at a time). */
export const MICRO_ROUNDS = QUICK ? 2 : 5
export const MICRO_MS = QUICK ? 50 : 400

/** Fresh `node` processes per package for the cold import time. */
export const COLD_IMPORT_RUNS = QUICK ? 1 : 9

/** Seconds of grantline requests recorded under `node --cpu-prof` per profiled mode. */
export const PROFILE_SECONDS = QUICK ? 0.3 : 3
