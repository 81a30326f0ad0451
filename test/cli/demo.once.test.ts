// `grantline demo` as a person uses it: it starts the embedded server, prints command lines, and those command
// lines work as printed (run here through the same bin); a device flow is approved by typing
// "approve <code>" into the demo; Ctrl-C (SIGINT) stops it with exit 0.

import { existsSync, mkdtempSync } from 'node:fs'
import { join } from 'node:path'
import type { ChildProcessWithoutNullStreams } from 'node:child_process'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { SANDBOX, buildBin, removeBuilds, run, start, waitFor } from './support.js'

let bin: string
let demo: ChildProcessWithoutNullStreams
let printed = ''
let dir: string

beforeAll(async () => {
  bin = await buildBin()
  dir = join(mkdtempSync(join(SANDBOX, 'work-')), 'demo')
  demo = start(bin, ['demo', '--dir', dir])
  demo.stdout.on('data', (chunk: Buffer) => (printed += chunk))
  await waitFor(demo.stdout, /Ctrl-C stops the server/, 30_000)
}, 60_000)

afterAll(() => {
  if (demo && demo.exitCode === null) demo.kill('SIGKILL')
  removeBuilds()
})

/** The printed `npx grantline ...` line for a command, as arguments (paths have no spaces here). */
function printedCommand(command: string, contains = ''): string[] {
  const line = printed
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l.startsWith(`npx grantline ${command} `) && l.includes(contains))
  if (!line) throw new Error(`the demo printed no "${command}" line:\n${printed}`)
  return line
    .replace(/\s+\(.*\)$/, '')
    .split(/\s+/)
    .slice(2)
}

test('the printed command lines work as printed', async () => {
  expect(printed).toMatch(
    /^grantline demo: an authorization server \(oidc-provider\) at http:\/\/127\.0\.0\.1:\d+$/m,
  )
  for (const [command, contains] of [
    ['discover', ''],
    ['client-credentials', '--scope'],
    ['client-credentials', '--dpop'],
    ['token', ''],
    ['exchange', ''],
    ['jwt-bearer', ''],
    ['saml2-bearer', ''],
    ['introspect', ''],
  ] as const) {
    const args = printedCommand(command, contains)
    const r = await run(bin, args)
    expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(0)
    expect(r.stdout.length).toBeGreaterThan(0)
  }
})

test('a device flow approved by typing "approve <code>" into the demo', async () => {
  const device = start(bin, printedCommand('device'))
  let stdout = ''
  device.stdout.on('data', (chunk: Buffer) => (stdout += chunk))
  const [, code] = await waitFor(device.stderr, /enter the code (\S+)/)
  demo.stdin.write(`approve ${code}\n`)
  await waitFor(demo.stderr, new RegExp(`approved ${code}`))
  expect(await new Promise((resolve) => device.once('close', resolve))).toBe(0)
  expect(JSON.parse(stdout)).toMatchObject({ id_token: expect.any(String) })
})

test('Ctrl-C stops the demo: exit 0; a folder given with --dir is kept', async () => {
  const closed = new Promise<number | null>((resolve) => demo.once('close', resolve))
  demo.kill('SIGINT')
  expect(await closed).toBe(0)
  expect(existsSync(join(dir, 'grantline.json'))).toBe(true)
})
