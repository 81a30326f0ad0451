import type { Settled } from './harness.js'
import type { Target } from './target.js'

// What a caller of each library observes for one case, in a form the two can be compared in.

export type Outcome =
  | { kind: 'result'; view: unknown }
  | { kind: 'error'; name: string; code: unknown; message: string }
  | { kind: 'hang' }

export function outcomeOf(target: Target, settled: Settled): Outcome {
  switch (settled.kind) {
    case 'hang':
      return { kind: 'hang' }
    case 'error': {
      const err = settled.error as { name?: unknown; code?: unknown; message?: unknown } | null
      return {
        kind: 'error',
        name: String(err?.name ?? typeof err),
        code: err?.code,
        message: String(err?.message ?? err),
      }
    }
    case 'value':
      try {
        return { kind: 'result', view: target.view ? target.view(settled.value) : settled.value }
      } catch (err) {
        return { kind: 'error', name: 'view failed', code: undefined, message: String(err) }
      }
  }
}

/**
 * JSON-equal (so -0 and 0 alike, as JSON has one zero), with `expiresIn` values two seconds apart alike: the two
 * libraries read the clock at different moments. Compared as text, so that a 100 000-deep value cannot overflow
 * the stack of a recursive comparison.
 */
export function sameOutcome(ours: Outcome, theirs: Outcome): boolean {
  const [a, aExpires] = textOf(ours)
  const [b, bExpires] = textOf(theirs)
  if (typeof aExpires === 'number' && typeof bExpires === 'number') {
    if (!(aExpires === bExpires || Math.abs(aExpires - bExpires) <= 2)) return false
  } else if (aExpires !== bExpires) return false
  return a === b
}

function textOf(outcome: Outcome): [string, unknown] {
  let value: unknown = outcome
  let expiresIn: unknown
  if (
    outcome.kind === 'result' &&
    typeof outcome.view === 'object' &&
    outcome.view !== null &&
    'expiresIn' in outcome.view
  ) {
    const { expiresIn: e, ...rest } = outcome.view as Record<string, unknown>
    expiresIn = e
    value = { ...outcome, view: rest }
  }
  try {
    return [JSON.stringify(value) ?? 'undefined', expiresIn]
  } catch (err) {
    return [`<unserialisable: ${String(err)}>`, expiresIn]
  }
}

function normalise(outcome: Outcome): unknown {
  try {
    return JSON.parse(JSON.stringify(outcome)) as unknown
  } catch {
    return outcome
  }
}

export function describeDifference(ours: Outcome, theirs: Outcome): string | undefined {
  try {
    return firstDifference(normalise(ours), normalise(theirs))
  } catch (err) {
    return `<not comparable: ${String(err)}>`
  }
}

/** The path of the first place the two JSON values differ, with both values there; undefined when alike. */
export function firstDifference(a: unknown, b: unknown, path = ''): string | undefined {
  if (path.endsWith('.expiresIn') && typeof a === 'number' && typeof b === 'number') {
    // read from the clock at two different moments
    return Math.abs(a - b) <= 2 ? undefined : `${path}: ${a} vs ${b}`
  }
  if (a === b) return undefined
  if (
    typeof a === 'object' &&
    a !== null &&
    typeof b === 'object' &&
    b !== null &&
    Array.isArray(a) === Array.isArray(b)
  ) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)])
    for (const key of keys) {
      const found = firstDifference(
        (a as Record<string, unknown>)[key],
        (b as Record<string, unknown>)[key],
        `${path}.${key}`,
      )
      if (found !== undefined) return found
    }
    return undefined
  }
  const show = (v: unknown) => {
    const text = JSON.stringify(v) ?? 'undefined'
    return text.length > 200 ? `${text.slice(0, 200)}…` : text
  }
  return `${path || '(top)'}: ${show(a)} vs ${show(b)}`
}

/** A one-line account of an outcome, for the report of a difference. */
export function brief(outcome: Outcome): string {
  switch (outcome.kind) {
    case 'hang':
      return 'hang'
    case 'error':
      return `${outcome.name}${outcome.code === undefined ? '' : ` ${String(outcome.code)}`}: ${outcome.message.slice(0, 160)}`
    case 'result': {
      let text: string
      try {
        text = JSON.stringify(outcome.view) ?? 'undefined'
      } catch {
        text = '<unserialisable>'
      }
      return `result ${text.slice(0, 200)}`
    }
  }
}
