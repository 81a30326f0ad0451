// stdout carries the result only (one JSON document by default, or what --output asks for); everything for
// people (traces, prompts, countdowns, errors, hints) goes to stderr, scrubbed of every secret this run knows.

import { UsageError } from './exit-codes.js'
import { redact, scrub } from './redact.js'

export interface Terminal {
  out(text: string): void
  err(line: string, secrets?: Iterable<string>): void
  /** Rewrites the current stderr line (countdowns); only on a terminal. */
  status(line: string): void
  stdinIsTTY: boolean
  stderrIsTTY: boolean
}

export function processTerminal(): Terminal {
  let statusShown = false
  const clear = () => {
    if (statusShown) {
      process.stderr.write('\r\x1b[2K')
      statusShown = false
    }
  }
  return {
    out: (text) => {
      process.stdout.write(text.endsWith('\n') ? text : `${text}\n`)
    },
    err: (line, secrets = []) => {
      clear()
      process.stderr.write(`${scrub(line, secrets)}\n`)
    },
    status: (line) => {
      if (!process.stderr.isTTY) return
      process.stderr.write(`\r\x1b[2K${line}`)
      statusShown = true
    },
    stdinIsTTY: process.stdin.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
  }
}

export const OUTPUT_FORMATS = ['json', 'token', 'header', 'env'] as const
export type OutputFormat = (typeof OUTPUT_FORMATS)[number]

/** Checks --output for a command; only commands that obtain tokens accept the token-shaped formats. */
export function outputFormat(value: string | undefined, tokenResult: boolean): OutputFormat {
  const format = (value ?? 'json') as OutputFormat
  if (!OUTPUT_FORMATS.includes(format)) {
    throw new UsageError(`--output: unknown format "${value}"`, `one of ${OUTPUT_FORMATS.join(', ')}`)
  }
  if (!tokenResult && format !== 'json') {
    throw new UsageError(`--output ${format} applies to commands that obtain a token; this one prints JSON`)
  }
  return format
}

/** A token endpoint response (or any JSON result) in the chosen format. */
export function formatResult(result: unknown, format: OutputFormat): string {
  const plain = JSON.parse(JSON.stringify(result)) as Record<string, unknown>
  if (format === 'json') return JSON.stringify(plain, null, 2)
  const token = plain['access_token']
  if (typeof token !== 'string') throw new Error('the response has no access_token')
  if (format === 'token') return token
  if (format === 'header') {
    const scheme = String(plain['token_type'] ?? 'bearer').toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer'
    return `Authorization: ${scheme} ${token}`
  }
  const names: Record<string, string> = {
    access_token: 'ACCESS_TOKEN',
    token_type: 'TOKEN_TYPE',
    expires_in: 'EXPIRES_IN',
    refresh_token: 'REFRESH_TOKEN',
    id_token: 'ID_TOKEN',
    scope: 'SCOPE',
    issued_token_type: 'ISSUED_TOKEN_TYPE',
  }
  const lines: string[] = []
  for (const [member, name] of Object.entries(names)) {
    const value = plain[member]
    if (value !== undefined && value !== null) lines.push(`export ${name}=${shellQuote(String(value))}`)
  }
  return lines.join('\n')
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`
}

/** The claims of a JWT, without verifying it; undefined when it is no JWS. */
export function decodeJwt(
  token: string,
): { header: Record<string, unknown>; payload: Record<string, unknown> } | undefined {
  const parts = token.split('.')
  if (parts.length !== 3) return undefined
  try {
    const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8'))
    const payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'))
    if (typeof header !== 'object' || header === null || typeof payload !== 'object' || payload === null)
      return undefined
    return { header, payload }
  } catch {
    return undefined
  }
}

/** The human view on stderr (with --verbose): a summary and the decoded ID Token and JWT access token claims. */
export function describeTokens(result: Record<string, unknown>, term: Terminal, secrets: string[]): void {
  const summary: string[] = []
  for (const name of ['token_type', 'expires_in', 'scope', 'issued_token_type']) {
    if (result[name] !== undefined) summary.push(`${name}=${String(result[name])}`)
  }
  for (const name of ['access_token', 'refresh_token', 'id_token']) {
    if (typeof result[name] === 'string') summary.push(`${name}=${redact(result[name] as string)}`)
  }
  if (summary.length) term.err(`= ${summary.join('  ')}`, secrets)
  for (const name of ['id_token', 'access_token']) {
    const value = result[name]
    if (typeof value !== 'string') continue
    const decoded = decodeJwt(value)
    if (!decoded) continue
    term.err(`= ${name} header: ${JSON.stringify(decoded.header)}`, secrets)
    term.err(`= ${name} claims: ${JSON.stringify(decoded.payload, null, 2)}`, secrets)
  }
}
