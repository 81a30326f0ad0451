// Tokens and assertions come from a positional argument, a file, or stdin (`-`), so they need not be on the
// command line.

import { readFileSync } from 'node:fs'
import { str, type Values } from '../args.js'
import { UsageError } from '../exit-codes.js'

/**
 * All of stdin, read as a stream: `readFileSync(0)` throws EAGAIN on a non-blocking pipe whose writer has not
 * written yet.
 */
export async function readStdin(): Promise<string> {
  try {
    const chunks: Buffer[] = []
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
    return Buffer.concat(chunks).toString('utf8')
  } catch {
    throw new UsageError('cannot read stdin')
  }
}

/**
 * A value from `--<name>` (where `-` reads stdin), `--<name>-file`, or the first positional (`-` for stdin).
 * Trailing newlines are removed.
 */
export async function valueFrom(
  values: Values,
  name: string,
  positional: string | undefined,
  what: string,
  required = true,
): Promise<string | undefined> {
  const direct = str(values, name)
  const file = str(values, `${name}-file`)
  let value: string | undefined
  if (direct !== undefined) value = direct === '-' ? await readStdin() : direct
  else if (file !== undefined) {
    try {
      value = readFileSync(file, 'utf8')
    } catch (err) {
      throw new UsageError(
        `--${name}-file: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      )
    }
  } else if (positional !== undefined) value = positional === '-' ? await readStdin() : positional
  if (value === undefined) {
    if (!required) return undefined
    throw new UsageError(
      `${what} is required`,
      `give it as an argument, --${name}-file <file>, or "-" to read stdin`,
    )
  }
  value = value.replace(/\s+$/, '')
  if (value.length === 0) throw new UsageError(`${what} is empty`)
  return value
}

/** {@link valueFrom} for a value that must be given. */
export async function requiredValue(
  values: Values,
  name: string,
  positional: string | undefined,
  what: string,
): Promise<string> {
  return (await valueFrom(values, name, positional, what, true))!
}
