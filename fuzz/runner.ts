import fc from 'fast-check'
import * as oc from 'openid-client'
import * as gl from '../src/index.js'
import { brief, describeDifference, outcomeOf, sameOutcome, type Outcome } from './differential.js'
import { classify } from './explained.js'
import { HANG_MS, judgeError, secretChannels, settle, type Settled } from './harness.js'
import type { Api, Target } from './target.js'

// Runs the cases of one target and counts how each ended. Used by `npm run fuzz` (fuzz/run.ts) and by the fast
// slice in test/unit/fuzz.test.ts.

export interface Finding {
  index: number
  what: string
  detail: string
  case: unknown
}

export interface TargetStats {
  target: string
  cases: number
  valid: number
  typed: Map<string, number>
  invalidResults: number
  argumentErrors: number
  untyped: number
  hangs: number
  /** Over the budget while other cases ran, in time when run again alone (not a failure). */
  slow: number
  leaks: number
  unprintable: number
  explained: Map<string, number>
  unexplained: number
  /** Rule breaks by kind and message. */
  findingKinds: Map<string, number>
  /** Unexplained differences by kind: our outcome / openid-client's. */
  unexplainedKinds: Map<string, number>
  /** Cases openid-client was fed (differential mode). */
  compared: number
  ms: number
  findings: Finding[]
}

export interface RunOptions {
  seed: number
  runs: number
  differential: boolean
  concurrency: number
  /** Keep at most this many findings per kind (all are counted). */
  keep: number
  /** Run only this case index (replay). */
  only?: number
}

const increment = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1)

/** The cases of a target for a seed: the same seed gives the same cases, so a finding replays. */
export function casesOf<C>(target: Target<C>, seed: number, runs: number): C[] {
  return fc.sample(target.arb, { seed, numRuns: runs })
}

export function describeCase(target: Target, c: unknown): string {
  const described = target.describe ? target.describe(c) : c
  let text: string
  try {
    text = JSON.stringify(described, (_key, value: unknown) => {
      if (value instanceof Error) return `${value.name}: ${value.message}`
      // a 100 000-deep array or a 2 MiB padding says what it is in a few characters
      if (typeof value === 'string' && value.length > 400) {
        return `${value.slice(0, 200)}…<${value.length} characters>…${value.slice(-80)}`
      }
      return value
    })
  } catch {
    text = String(described)
  }
  return text.length > 1500 ? `${text.slice(0, 1500)}… (${text.length} characters)` : text
}

export async function runTarget(target: Target, options: RunOptions): Promise<TargetStats> {
  const stats: TargetStats = {
    target: target.name,
    cases: 0,
    valid: 0,
    typed: new Map(),
    invalidResults: 0,
    argumentErrors: 0,
    untyped: 0,
    hangs: 0,
    slow: 0,
    leaks: 0,
    unprintable: 0,
    explained: new Map(),
    unexplained: 0,
    findingKinds: new Map(),
    unexplainedKinds: new Map(),
    compared: 0,
    ms: 0,
    findings: [],
  }
  const perKind = new Map<string, number>()
  const find = (index: number, what: string, detail: string, c: unknown) => {
    if (what !== 'unexplained difference') {
      increment(stats.findingKinds, `${what}: ${detail.replace(/\s+at [\s\S]*$/, '').slice(0, 140)}`)
    }
    const kept = perKind.get(what) ?? 0
    perKind.set(what, kept + 1)
    if (kept < options.keep) stats.findings.push({ index, what, detail, case: describeCase(target, c) })
  }

  const started = performance.now()
  const cases = casesOf(target, options.seed, options.runs)
  const ours = gl as Api
  const theirs = oc as unknown as Api

  /** Cases that took longer than the budget while others ran beside them. */
  const suspects: number[] = []
  const theirSuspects: Array<[number, Settled]> = []
  const one = async (index: number, alone = false) => {
    const c = cases[index]
    const settled = await settle(() => target.run(ours, c, 'grantline'))
    if (settled.kind === 'hang' && !alone) {
      // confirmed (or not) once the other cases are done: see below
      suspects.push(index)
      return
    }
    stats.cases++
    if (alone && settled.kind !== 'hang') stats.slow++
    switch (settled.kind) {
      case 'hang':
        stats.hangs++
        find(index, 'hang', `no outcome within ${HANG_MS} ms, twice (the second time alone)`, c)
        break
      case 'value': {
        const problem = target.validate(c, settled.value)
        if (problem === undefined) stats.valid++
        else {
          stats.invalidResults++
          find(index, 'invalid result', problem, c)
        }
        break
      }
      case 'error': {
        const verdict = judgeError(settled.error)
        if (verdict.kind === 'typed') increment(stats.typed, verdict.label)
        else if (verdict.kind === 'argument-error') {
          stats.argumentErrors++
          find(index, 'argument error', verdict.label, c)
        } else if (verdict.kind === 'untyped') {
          stats.untyped++
          const stack =
            settled.error instanceof Error
              ? (settled.error.stack ?? '').split('\n').slice(1, 4).join(' | ')
              : ''
          find(index, 'untyped error', `${verdict.label} ${stack}`, c)
        }
        const { leaks, unprintable } = secretChannels(settled.error)
        if (leaks.length > 0) {
          stats.leaks++
          find(
            index,
            'secret leak',
            `${verdict.kind === 'typed' ? verdict.label : ''} in ${leaks.join(', ')}`,
            c,
          )
        }
        if (unprintable.length > 0) {
          stats.unprintable++
          find(index, 'unprintable error', unprintable.join('; '), c)
        }
        break
      }
    }
    if (options.differential && target.differential) {
      const theirsSettled = await settle(() => target.run(theirs, c, 'openid-client'))
      if (theirsSettled.kind === 'hang' && !alone) {
        // as for our side: openid-client gets its second chance alone, once the other cases are done
        theirSuspects.push([index, settled])
        return
      }
      compare(index, c, settled, theirsSettled)
    }
  }

  const compare = (index: number, c: unknown, settled: Settled, theirsSettled: Settled) => {
    stats.compared++
    const a = outcomeOf(target, settled)
    const b = outcomeOf(target, theirsSettled)
    if (!sameOutcome(a, b)) {
      const classifier = classify(target.name, c, a, b)
      if (classifier) increment(stats.explained, classifier.decision)
      else {
        stats.unexplained++
        increment(stats.unexplainedKinds, `${signature(a)} / openid-client ${signature(b)}`)
        find(
          index,
          'unexplained difference',
          `grantline: ${brief(a)}\n      openid-client: ${brief(b)}\n      first difference: ${describeDifference(a, b)}`,
          c,
        )
      }
    }
  }

  if (options.only !== undefined) {
    await one(options.only)
  } else {
    let next = 0
    const worker = async () => {
      while (next < cases.length) await one(next++)
    }
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker))
  }
  // A case counts as a hang only when it hangs again on its own: on a loaded machine, sixteen cases in flight
  // (some parsing 2 MiB or 100 000-deep bodies) can hold the event loop past a 2 s deadline.
  for (const index of suspects) await one(index, true)
  for (const [index, settled] of theirSuspects) {
    compare(
      index,
      cases[index],
      settled,
      await settle(() => target.run(theirs, cases[index], 'openid-client')),
    )
  }
  stats.ms = performance.now() - started
  return stats
}

/** An outcome in a few words: the error class and code, or "result". */
function signature(outcome: Outcome): string {
  switch (outcome.kind) {
    case 'error':
      return `${outcome.name}${outcome.code === undefined ? '' : ` ${String(outcome.code)}`}`
    default:
      return outcome.kind
  }
}

/** Whether a run of these stats breaks one of the rules (each of these counts must be zero). */
export function failures(stats: TargetStats): string[] {
  const out: string[] = []
  if (stats.invalidResults) out.push(`${stats.invalidResults} invalid results`)
  if (stats.argumentErrors) out.push(`${stats.argumentErrors} argument errors`)
  if (stats.untyped) out.push(`${stats.untyped} untyped errors`)
  if (stats.hangs) out.push(`${stats.hangs} hangs`)
  if (stats.leaks) out.push(`${stats.leaks} secret leaks`)
  if (stats.unprintable) out.push(`${stats.unprintable} unprintable errors`)
  if (stats.unexplained) out.push(`${stats.unexplained} unexplained differences`)
  return out
}
