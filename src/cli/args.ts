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

/** How every option of the CLI is spelled: a value starting with "--" that is not spelled so is a value. */
const OPTION_NAME = /^[a-z][a-z0-9-]*$/

/**
 * Values that begin with "-" are common here: base64url tokens, refresh tokens and key ids do one time in 64.
 * parseArgs (strict) reads `introspect -8Fq…` as an unknown option and `--kid -x1…` as an option missing its value.
 * getopt's rules apply instead, before parseArgs sees argv:
 * - the argument after a string option that has no inline value is that option's value, unless it is `--` or one
 *   of this command's long options (`--kid --scope x` stays a missing value);
 * - an argument that starts with "-", is longer than two characters and is not a valid group of this command's short
 *   options (`-vk`, `-ojson`) is a positional; so is one that starts with "--" but is not spelled like an option
 *   (lower case and "-": `--Q3x_…` is a token), and so are the arguments after `--`.
 * An unknown `--name` and an unknown two-character `-x` stay usage errors (a typo is not a value). Values are
 * rewritten to `--name=value`, positionals moved after one `--` in their order; nothing else changes.
 */
export function normalizeArgv(argv: string[], options: OptionSpec): string[] {
  const shorts = new Map<string, string>()
  for (const [name, spec] of Object.entries(options)) if (spec.short) shorts.set(spec.short, name)
  const isLongOption = (arg: string) =>
    arg.startsWith('--') && Object.hasOwn(options, arg.slice(2).split('=')[0]!)
  /** The option name whose value the next argument is, or '' when this short group needs none; undefined: no group. */
  const shortGroup = (arg: string): string | undefined => {
    for (let i = 1; i < arg.length; i++) {
      const name = shorts.get(arg[i]!)
      if (name === undefined) return undefined
      // A string short takes the rest of the group as its value, or the next argument when it ends the group.
      if (options[name]!.type === 'string') return i === arg.length - 1 ? name : ''
    }
    return ''
  }
  const out: string[] = []
  const positionals: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1))
      break
    }
    let takesValue: string | undefined
    if (arg.startsWith('--')) {
      const name = arg.slice(2)
      if (!OPTION_NAME.test(name.split('=')[0]!)) {
        positionals.push(arg)
        continue
      }
      if (Object.hasOwn(options, name) && options[name]!.type === 'string') takesValue = name
    } else if (arg.length > 1 && arg.startsWith('-')) {
      const group = shortGroup(arg)
      if (group === undefined && arg.length > 2) {
        positionals.push(arg)
        continue
      }
      if (group) takesValue = group
    } else {
      positionals.push(arg)
      continue
    }
    const next = argv[i + 1]
    if (takesValue !== undefined && next !== undefined && next !== '--' && !isLongOption(next)) {
      // `-vo x`: the booleans of the group stay, the string short's value is spelled out.
      if (!arg.startsWith('--') && arg.length > 2) out.push(arg.slice(0, -1))
      out.push(`--${takesValue}=${next}`)
      i++
    } else {
      out.push(arg)
    }
  }
  return positionals.length ? [...out, '--', ...positionals] : out
}

/** Parses argv for one command; unknown options and missing values are UsageErrors naming the command. */
export function parse(command: string, argv: string[], options: OptionSpec): Parsed {
  try {
    const { values, positionals } = parseArgs({
      args: normalizeArgv(argv, options),
      options,
      strict: true,
      allowPositionals: true,
    } as ParseArgsConfig)
    return { values: values as Values, positionals }
  } catch (err) {
    const message = (err as Error).message.replace(/\. To specify a positional argument.*$/s, '')
    const unknown = (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
    throw new UsageError(
      message,
      `see "grantline ${command} --help"${unknown ? '; a value that begins with "-" goes after "--"' : ''}`,
    )
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
