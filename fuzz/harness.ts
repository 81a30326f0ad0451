import { inspect } from 'node:util'
import { ClientError, ResponseBodyError, WWWAuthenticateChallengeError } from '../src/index.js'
import type { ClientErrorCode } from '../src/index.js'
import { SECRETS } from './generators.js'

// How one case ended, judged by the issue's rules: a valid result or a typed error, never another exception,
// never a hang, never a secret in what a logger would print.

export const KNOWN_CODES: ReadonlySet<ClientErrorCode> = new Set<ClientErrorCode>([
  'OAUTH_HTTP_REQUEST_FORBIDDEN',
  'OAUTH_REQUEST_PROTOCOL_FORBIDDEN',
  'OAUTH_RESPONSE_IS_NOT_CONFORM',
  'OAUTH_RESPONSE_IS_NOT_JSON',
  'OAUTH_PARSE_ERROR',
  'OAUTH_INVALID_RESPONSE',
  'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
  'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED',
  'OAUTH_JWT_TIMESTAMP_CHECK_FAILED',
  'OAUTH_KEY_SELECTION_FAILED',
  'OAUTH_MISSING_SERVER_METADATA',
  'OAUTH_INVALID_SERVER_METADATA',
  'OAUTH_JWT_USERINFO_EXPECTED',
  'OAUTH_UNSUPPORTED_OPERATION',
  'OAUTH_TIMEOUT',
  'OAUTH_ABORT',
  'OAUTH_DECRYPTION_FAILED',
])

/** Seconds a case may take before it counts as a hang (the configurations use a 2 s timeout). */
export const HANG_MS = 4000

export type Settled = { kind: 'value'; value: unknown } | { kind: 'error'; error: unknown } | { kind: 'hang' }

export async function settle(run: () => Promise<unknown>, ms = HANG_MS): Promise<Settled> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<Settled>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'hang' }), ms)
  })
  const outcome = (async (): Promise<Settled> => {
    try {
      return { kind: 'value', value: await run() }
    } catch (error) {
      return { kind: 'error', error }
    }
  })()
  try {
    return await Promise.race([outcome, deadline])
  } finally {
    clearTimeout(timer)
  }
}

export type Verdict =
  | { kind: 'valid' }
  | { kind: 'invalid-result'; why: string }
  | { kind: 'typed'; label: string }
  | { kind: 'argument-error'; label: string }
  | { kind: 'untyped'; label: string }
  | { kind: 'hang' }

/** Whether an error is one of ours, and which column it counts in. */
export function judgeError(err: unknown): Verdict {
  if (err instanceof ClientError) {
    const code = err.code
    return code !== undefined && KNOWN_CODES.has(code as ClientErrorCode)
      ? { kind: 'typed', label: code }
      : { kind: 'untyped', label: `ClientError with code ${String(code)}: ${err.message}` }
  }
  if (err instanceof ResponseBodyError) {
    if (typeof err.error !== 'string' || err.error.length === 0 || err.status < 400 || err.status > 599) {
      return { kind: 'untyped', label: `ResponseBodyError error=${String(err.error)} status=${err.status}` }
    }
    return { kind: 'typed', label: 'ResponseBodyError' }
  }
  if (err instanceof WWWAuthenticateChallengeError) {
    if (!Array.isArray(err.cause) || err.cause.length === 0 || err.status === 200) {
      return { kind: 'untyped', label: `WWWAuthenticateChallengeError status=${err.status}` }
    }
    return { kind: 'typed', label: 'WWWAuthenticateChallengeError' }
  }
  const code = (err as { code?: unknown } | null)?.code
  if (err instanceof TypeError && (code === 'ERR_INVALID_ARG_TYPE' || code === 'ERR_INVALID_ARG_VALUE')) {
    // The fuzzer always passes valid arguments: a server's answer must never be blamed on the caller.
    return { kind: 'argument-error', label: `TypeError ${code}: ${err.message}` }
  }
  const name = err instanceof Error ? err.name : typeof err
  const message = err instanceof Error ? err.message : String(err)
  return { kind: 'untyped', label: `${name}${code ? ` ${String(code)}` : ''}: ${message.slice(0, 120)}` }
}

function tryText(make: () => string | undefined): string {
  try {
    return make() ?? ''
  } catch (err) {
    return `<threw ${err instanceof Error ? err.name : typeof err}>`
  }
}

/**
 * Where a secret shows when the error is logged: message, String(err), JSON.stringify(err), its cause
 * serialised, util.inspect(err). Returns the channels that leak, and the channels that throw when serialised.
 */
export function secretChannels(err: unknown): { leaks: string[]; unprintable: string[] } {
  const cause = (err as { cause?: unknown } | null)?.cause
  const texts: Record<string, string> = {
    message: tryText(() => (err instanceof Error ? err.message : undefined)),
    'String(err)': tryText(() => String(err)),
    'JSON.stringify(err)': tryText(() => JSON.stringify(err)),
    'JSON.stringify(cause)': tryText(() => JSON.stringify(cause)),
    'String(cause)': tryText(() => String(cause)),
    'inspect(err)': tryText(() => inspect(err, { depth: 6 })),
  }
  const leaks: string[] = []
  const unprintable: string[] = []
  for (const [channel, text] of Object.entries(texts)) {
    if (text.startsWith('<threw ')) unprintable.push(`${channel} ${text}`)
    if (SECRETS.some((secret) => text.includes(secret))) leaks.push(channel)
  }
  return { leaks, unprintable }
}
