import { parseArgs } from 'node:util'
import { CLASSIFIERS } from './explained.js'
import { failures, runTarget, type TargetStats } from './runner.js'
import { TARGETS } from './targets/index.js'

// npm run fuzz [-- --differential] [--seed N] [--scale X] [--runs N] [--target NAME] [--case I]
//
// Feeds generated hostile answers (statuses, headers, bodies, JWTs, JWKS) to every parser and response
// processor and checks that each ends in a valid result or one of our typed errors, in time, without a secret in
// what a logger would print. With --differential, openid-client gets the same answers and every disagreement
// that docs/decisions.md does not explain fails the run.

const USAGE = `usage: npm run fuzz -- [--differential] [--seed N] [--scale X] [--runs N] [--target NAME] [--case I]
  --differential   also feed openid-client the same cases; unexplained differences fail the run
  --seed N         replay a run (the seed is printed at the start of every run)
  --scale X        multiply every target's default case count (default 1: ${TARGETS.reduce((n, t) => n + t.runs, 0)} cases)
  --runs N         exactly N cases for each selected target
  --target NAME    only the targets whose name contains NAME (case-insensitive)
  --case I         only case I of the selected target (with --seed, to replay a finding)
  --concurrency N  cases in flight at once (default 16)
  --keep N         findings printed per kind and target (default 5)`

const { values } = parseArgs({
  options: {
    differential: { type: 'boolean', default: false },
    seed: { type: 'string' },
    scale: { type: 'string', default: '1' },
    runs: { type: 'string' },
    target: { type: 'string' },
    case: { type: 'string' },
    concurrency: { type: 'string', default: '16' },
    keep: { type: 'string', default: '5' },
    help: { type: 'boolean', default: false },
  },
})
if (values.help) {
  console.log(USAGE)
  process.exit(0)
}

const seed = values.seed === undefined ? (Date.now() ^ (Math.random() * 0x7fffffff)) | 0 : Number(values.seed)
const scale = Number(values.scale)
const selected = TARGETS.filter(
  (t) => values.target === undefined || t.name.toLowerCase().includes(values.target.toLowerCase()),
)
if (!Number.isInteger(seed) || !(scale > 0) || selected.length === 0) {
  console.error(USAGE)
  process.exit(2)
}

// A promise rejected with nobody listening is an exception that escaped the library: it counts.
const unhandled: unknown[] = []
process.on('unhandledRejection', (reason) => unhandled.push(reason))

console.log(
  `fuzz: seed ${seed}${values.differential ? ', differential against openid-client 6.8.9' : ''} (replay: npm run fuzz -- --seed ${seed}${values.differential ? ' --differential' : ''})`,
)

const started = performance.now()
const all: TargetStats[] = []
for (const [position, target] of selected.entries()) {
  const runs = values.runs !== undefined ? Number(values.runs) : Math.max(1, Math.round(target.runs * scale))
  const stats = await runTarget(target, {
    // each target its own stream, so that --target replays the same cases as the full run
    seed: seed + TARGETS.indexOf(target),
    runs: values.case !== undefined ? Number(values.case) + 1 : runs,
    differential: values.differential,
    concurrency: Number(values.concurrency),
    keep: Number(values.keep),
    ...(values.case !== undefined ? { only: Number(values.case) } : {}),
  })
  all.push(stats)
  void position
  printTarget(stats, values.differential && target.differential)
}
const seconds = (performance.now() - started) / 1000

printSummary(all, seconds, values.differential)

const broken = all.flatMap((s) => failures(s).map((f) => `${s.target}: ${f}`))
if (unhandled.length > 0) {
  broken.push(`${unhandled.length} unhandled rejections`)
  for (const reason of unhandled.slice(0, 5)) console.log(`  unhandled: ${String(reason)}`)
}
if (broken.length > 0) {
  console.log(`\nFAILED (seed ${seed}):\n  ${broken.join('\n  ')}`)
  process.exit(1)
}
console.log(`\nOK (seed ${seed})`)
process.exit(0)

function printTarget(stats: TargetStats, differential: boolean) {
  const typed = [...stats.typed].sort((a, b) => b[1] - a[1])
  const typedCount = typed.reduce((n, [, count]) => n + count, 0)
  console.log(
    `\n${stats.target}: ${stats.cases} cases in ${(stats.ms / 1000).toFixed(1)} s — ${stats.valid} valid, ${typedCount} typed errors, ` +
      `${stats.invalidResults} invalid results, ${stats.argumentErrors} argument errors, ${stats.untyped} untyped, ` +
      `${stats.hangs} hangs${stats.slow ? ` (${stats.slow} slow under load, in time alone)` : ''}, ${stats.leaks} leaks, ${stats.unprintable} unprintable`,
  )
  if (typed.length > 0)
    console.log(`  typed errors: ${typed.map(([code, count]) => `${code} ${count}`).join(', ')}`)
  if (differential) {
    const explained = [...stats.explained].map(([d, count]) => `${d} ${count}`).join(', ') || 'none'
    console.log(
      `  openid-client: ${stats.compared} compared, differences explained: ${explained}; unexplained: ${stats.unexplained}`,
    )
    for (const [kind, count] of [...stats.unexplainedKinds].sort((x, y) => y[1] - x[1])) {
      console.log(`    unexplained: ${count}× grantline ${kind}`)
    }
  }
  for (const [kind, count] of [...stats.findingKinds].sort((x, y) => y[1] - x[1]).slice(0, 12)) {
    console.log(`  rule broken: ${count}× ${kind}`)
  }
  for (const finding of stats.findings) {
    console.log(
      `  ! ${finding.what} (case ${finding.index}): ${finding.detail}\n      case: ${String(finding.case)}`,
    )
  }
}

function printSummary(stats: TargetStats[], seconds: number, differential: boolean) {
  const rows = stats.map((s) => {
    const typed = [...s.typed.values()].reduce((n, c) => n + c, 0)
    const explained = [...s.explained.values()].reduce((n, c) => n + c, 0)
    return [
      s.target,
      s.cases,
      s.valid,
      typed,
      s.untyped + s.argumentErrors + s.invalidResults,
      s.hangs,
      s.leaks + s.unprintable,
      differential ? `${explained}/${s.unexplained}` : '-',
      (s.ms / 1000).toFixed(1),
    ]
  })
  const header = [
    'target',
    'cases',
    'valid',
    'typed errors',
    'untyped*',
    'hangs',
    'leaks*',
    'diff expl/unexpl',
    's',
  ]
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)))
  const line = (cells: unknown[]) =>
    cells
      .map((cell, i) => (i === 0 ? String(cell).padEnd(widths[i]!) : String(cell).padStart(widths[i]!)))
      .join('  ')
  console.log(`\n${line(header)}`)
  for (const row of rows) console.log(line(row))
  const total = stats.reduce((n, s) => n + s.cases, 0)
  console.log(`total: ${total} cases in ${seconds.toFixed(1)} s`)
  console.log(
    'untyped* = untyped errors + argument errors blamed on the caller + invalid results; leaks* = secret leaks + errors that throw when serialised',
  )
  if (differential) {
    const used = new Set(stats.flatMap((s) => [...s.explained.keys()]))
    for (const classifier of CLASSIFIERS) {
      if (used.has(classifier.decision)) console.log(`  ${classifier.decision}: ${classifier.name}`)
    }
  }
}
