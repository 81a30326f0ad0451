// The command line: one option table per command group, parsed with node:util parseArgs (strict: an unknown
// option is a usage error), then completed from a profile (config.ts).

import { parseArgs, type ParseArgsConfig } from 'node:util'
import { UsageError } from './exit-codes.js'

type OptionSpec = NonNullable<ParseArgsConfig['options']>

/** Every command. */
export const GLOBAL_OPTIONS: OptionSpec = {
  help: { type: 'boolean', short: 'h' },
  verbose: { type: 'boolean', short: 'v' },
  output: { type: 'string', short: 'o' },
  profile: { type: 'string' },
  config: { type: 'string' },
}

/** Every command that talks to an authorization server. */
export const SERVER_OPTIONS: OptionSpec = {
  issuer: { type: 'string' },
  'token-endpoint': { type: 'string' },
  'introspection-endpoint': { type: 'string' },
  'revocation-endpoint': { type: 'string' },
  'userinfo-endpoint': { type: 'string' },
  'device-authorization-endpoint': { type: 'string' },
  'authorization-endpoint': { type: 'string' },
  'jwks-uri': { type: 'string' },
  'client-id': { type: 'string' },
  'client-secret-file': { type: 'string' },
  // Parsed so that it can be refused with a hint (a secret in argv is visible to `ps`).
  'client-secret': { type: 'string' },
  auth: { type: 'string' },
  'private-key': { type: 'string' },
  kid: { type: 'string' },
  alg: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  ca: { type: 'string' },
  dpop: { type: 'boolean' },
  'dpop-key': { type: 'string' },
  insecure: { type: 'boolean', short: 'k' },
  timeout: { type: 'string' },
}

/** Commands that send a grant to the token endpoint. */
export const GRANT_OPTIONS: OptionSpec = {
  scope: { type: 'string', short: 's', multiple: true },
  audience: { type: 'string', multiple: true },
  resource: { type: 'string', multiple: true },
  param: { type: 'string', short: 'p', multiple: true },
}

export type Values = Record<string, string | boolean | string[] | undefined>

export interface Parsed {
  values: Values
  positionals: string[]
}

/** Parses argv for one command; unknown options and missing values are UsageErrors naming the command. */
export function parse(command: string, argv: string[], options: OptionSpec): Parsed {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options,
      strict: true,
      allowPositionals: true,
    } as ParseArgsConfig)
    return { values: values as Values, positionals }
  } catch (err) {
    const message = (err as Error).message.replace(/\. To specify a positional argument.*$/s, '')
    throw new UsageError(message, `see "grantline ${command} --help"`)
  }
}

/** `name=value` pairs (`-p`, `--claim`) as a record; a repeated name collects its values in order. */
export function pairs(list: string[] | undefined, flag: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (const item of list ?? []) {
    const eq = item.indexOf('=')
    if (eq <= 0) throw new UsageError(`${flag} expects name=value, got "${item}"`)
    const name = item.slice(0, eq)
    const value = item.slice(eq + 1)
    const current = out[name]
    out[name] =
      current === undefined ? value : Array.isArray(current) ? [...current, value] : [current, value]
  }
  return out
}

export function str(values: Values, name: string): string | undefined {
  const value = values[name]
  if (Array.isArray(value)) return value[value.length - 1]
  return typeof value === 'string' ? value : undefined
}

export function list(values: Values, name: string): string[] {
  const value = values[name]
  if (Array.isArray(value)) return value
  return typeof value === 'string' ? [value] : []
}

export function flag(values: Values, name: string): boolean {
  return values[name] === true || values[name] === 'true'
}
