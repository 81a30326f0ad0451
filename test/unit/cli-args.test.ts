// The CLI's argv rules for values that begin with "-" (opaque tokens, refresh tokens and key ids are base64url,
// so one in 64 does): such a value is a positional or an option's value, never an "unknown option"; a typo still
// is one. A fresh-clone CI run once failed on `grantline introspect -8…` before these rules.

import { describe, expect, test } from 'vitest'
import { GLOBAL_OPTIONS, GRANT_OPTIONS, SERVER_OPTIONS, normalizeArgv, parse } from '../../src/cli/args.js'
import { UsageError } from '../../src/cli/exit-codes.js'

// The option tables of `introspect` and `client-credentials`, as src/cli/main.ts composes them.
const INTROSPECT = {
  ...GLOBAL_OPTIONS,
  ...SERVER_OPTIONS,
  token: { type: 'string' },
  'token-file': { type: 'string' },
  'token-type-hint': { type: 'string' },
} as const
const GRANT = { ...GLOBAL_OPTIONS, ...SERVER_OPTIONS, ...GRANT_OPTIONS }

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

function usageError(fn: () => unknown): UsageError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError)
    return err as UsageError
  }
  throw new Error('expected a UsageError')
}

describe('a positional that begins with "-"', () => {
  test('an opaque token is the positional, with the options around it read as usual', () => {
    const token = '-8Fq2Jx0cZ_vN4pLwQeRt7yUiOa9sDfGhJkLzXcVbNm'
    const { values, positionals } = parse('introspect', [token, '--config', 'c.json'], INTROSPECT)
    expect(positionals).toEqual([token])
    expect(values.config).toBe('c.json')
  })

  test('every second character: the token is the positional unless it starts a short string option (introspect has -o)', () => {
    const stringShorts = new Set(
      Object.values(INTROSPECT).flatMap((spec) =>
        'short' in spec && spec.short && spec.type === 'string' ? [spec.short] : [],
      ),
    )
    expect([...stringShorts]).toEqual(['o'])
    for (const second of BASE64URL) {
      const token = `-${second}Q3xZ9vB2nM7kL1pW`
      const parsed = parse('introspect', ['-v', token, '--timeout', '5'], INTROSPECT)
      expect(parsed.values.timeout).toBe('5')
      if (stringShorts.has(second)) {
        // `-oQ3x…` is `--output Q3x…` by every getopt's rule; the missing token is then reported by the command.
        expect(parsed.positionals).toEqual([])
        expect(parsed.values.output).toBe(token.slice(2))
      } else {
        expect(parsed.positionals, token).toEqual([token])
      }
    }
  })

  test('positionals keep their order, with or without "-", before and after "--"', () => {
    const parsed = parse('token', ['urn:x', '-a1b2', '--scope', 'read', '--', '--looks-like-a-flag'], GRANT)
    expect(parsed.positionals).toEqual(['urn:x', '-a1b2', '--looks-like-a-flag'])
    expect(parsed.values.scope).toEqual(['read'])
  })

  test('"-" alone (read stdin) stays a positional and an option value', () => {
    expect(parse('introspect', ['-'], INTROSPECT).positionals).toEqual(['-'])
    expect(parse('introspect', ['--token', '-'], INTROSPECT).values.token).toBe('-')
  })
})

describe('an option value that begins with "-"', () => {
  test('after a long string option: a key id, a repeated scope, a value that looks like a short option', () => {
    const parsed = parse(
      'client-credentials',
      ['--kid', '-x1Yz', '--scope', '-odd', '-s', '-even', '--client-id', '-v'],
      GRANT,
    )
    expect(parsed.values).toMatchObject({ kid: '-x1Yz', scope: ['-odd', '-even'], 'client-id': '-v' })
    expect(parsed.values.verbose).toBeUndefined()
    expect(parsed.positionals).toEqual([])
  })

  test('after a short string option at the end of a group of booleans, the booleans stay', () => {
    const parsed = parse('client-credentials', ['-vko', 'token', '-vp', '-a=b'], GRANT)
    expect(parsed.values).toMatchObject({ verbose: true, insecure: true, output: 'token', param: ['-a=b'] })
  })

  test('a value spelled like an Object.prototype member is a value too', () => {
    const parsed = parse('client-credentials', ['--kid', '--constructor', '--param', '--toString=x'], GRANT)
    expect(parsed.values).toMatchObject({ kid: '--constructor', param: ['--toString=x'] })
  })

  test('inline values are untouched: -ojson, --kid=-x', () => {
    const parsed = parse('client-credentials', ['-ojson', '--kid=-x'], GRANT)
    expect(parsed.values).toMatchObject({ output: 'json', kid: '-x' })
  })

  test('a long option where a value should be is still a missing value', () => {
    const err = usageError(() => parse('client-credentials', ['--kid', '--scope', 'read'], GRANT))
    expect(err.message).toMatch(/--kid/)
    expect(err.hint).toBe('see "grantline client-credentials --help"')
    usageError(() => parse('client-credentials', ['--kid'], GRANT))
  })
})

describe('typos stay usage errors', () => {
  test('an unknown long option, with a hint on how to pass a value that begins with "-"', () => {
    const err = usageError(() => parse('introspect', ['--frob', 'x'], INTROSPECT))
    expect(err.message).toBe("Unknown option '--frob'")
    expect(err.hint).toBe('see "grantline introspect --help"; a value that begins with "-" goes after "--"')
  })

  test('an unknown two-character short option', () => {
    expect(usageError(() => parse('introspect', ['-x'], INTROSPECT)).message).toBe("Unknown option '-x'")
  })

  test('a boolean option given a value', () => {
    usageError(() => parse('client-credentials', ['--dpop=yes'], GRANT))
  })
})

test('normalizeArgv only spells option values as name=value and moves positionals after one "--"', () => {
  const argv = ['urn:x', '--config', 'c.json', '--scope', 'a', '-v', '-ojson', '--dpop', '--Q3x_9']
  expect(normalizeArgv(argv, GRANT)).toEqual([
    '--config=c.json',
    '--scope=a',
    '-v',
    '-ojson',
    '--dpop',
    '--',
    'urn:x',
    '--Q3x_9',
  ])
})
