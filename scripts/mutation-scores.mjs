// Prints the mutation score of each folder of src/ from StrykerJS's JSON report, and fails when one of the
// gated folders scores below the floor (issue 9). Run by `npm run mutate` after `stryker run`.
import { readFileSync } from 'node:fs'
import { relative } from 'node:path'

const REPORT = 'reports/mutation/mutation.json'
const FLOOR = 85
const GATED = ['src/token-endpoint', 'src/id-token', 'src/dpop', 'src/http', 'src/client-auth']

// As Stryker counts: killed and timed-out mutants are detected; survivors and uncovered ones are not; compile
// and runtime errors and ignored mutants do not count.
const DETECTED = new Set(['Killed', 'Timeout'])
const UNDETECTED = new Set(['Survived', 'NoCoverage'])

const report = JSON.parse(readFileSync(REPORT, 'utf8'))
const folders = new Map()
for (const [file, { mutants }] of Object.entries(report.files)) {
  const path = relative(process.cwd(), file).replaceAll('\\', '/')
  const folder = path.split('/').slice(0, -1).join('/')
  const row = folders.get(folder) ?? { detected: 0, survived: 0, noCoverage: 0, timeout: 0 }
  for (const { status } of mutants) {
    if (DETECTED.has(status)) row.detected++
    if (status === 'Timeout') row.timeout++
    if (status === 'Survived') row.survived++
    if (status === 'NoCoverage') row.noCoverage++
  }
  folders.set(folder, row)
}

const lines = [['folder', 'score', 'detected', 'timeout', 'survived', 'no cov', '']]
let failed = false
for (const folder of [...folders.keys()].sort()) {
  const { detected, timeout, survived, noCoverage } = folders.get(folder)
  const valid = detected + survived + noCoverage
  const score = valid === 0 ? 100 : (100 * detected) / valid
  const gated = GATED.includes(folder)
  const below = gated && score < FLOOR
  failed ||= below
  lines.push([
    folder,
    `${score.toFixed(2)} %`,
    String(detected),
    String(timeout),
    String(survived),
    String(noCoverage),
    gated ? (below ? `BELOW ${FLOOR} %` : 'ok') : '',
  ])
}
for (const folder of GATED) {
  if (!folders.has(folder)) {
    lines.push([folder, '-', '', '', '', '', 'not mutated'])
  }
}
const widths = lines[0].map((_, i) => Math.max(...lines.map((line) => line[i].length)))
console.log(`\nMutation score per folder (floor ${FLOOR} % for ${GATED.join(', ')}):`)
for (const line of lines)
  console.log(
    line
      .map((cell, i) => cell.padEnd(widths[i]))
      .join('  ')
      .trimEnd(),
  )
process.exitCode = failed ? 1 : 0
