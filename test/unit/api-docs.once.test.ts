// The API pages (issue 14, item 4): docs/api/ is what `npm run docs` generates from the current sources, and
// every `@example` of the public API type-checks against the public entry points (and every exported function has
// one). Runs once (vitest.config.ts): both spawn their own TypeScript programs, no transport is involved. The two
// checks run as child processes in parallel.
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

function run(script: string, ...args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [script, ...args],
      { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1
        resolve({ code, output: `${stdout}${stderr}` })
      },
    )
  })
}

describe('API pages', () => {
  // started together: each is a separate TypeScript program (TypeDoc's, and the examples')
  const stale = run('scripts/api-docs.mjs', '--check')
  const examples = run('scripts/check-examples.mjs')

  it('docs/api/ is what `npm run docs` generates from the current sources', async () => {
    const { code, output } = await stale
    expect(code, output).toBe(0)
  }, 120_000)

  it('every @example of the public API type-checks, and every exported function has one', async () => {
    const { code, output } = await examples
    expect(code, output).toBe(0)
    expect(output).toMatch(/check-examples: \d+ example\(s\) type-check/)
  }, 120_000)
})
