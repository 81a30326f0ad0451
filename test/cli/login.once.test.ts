// `grantline login` end to end: the bin listens on a loopback port, prints the authorization URL, and finishes
// when the redirect comes back. The sign-in is driven by HTTP (test/support/login.ts) on the printed URL, and
// by a real headless Chromium that opens it, signs in and consents, as a person does.

import { mkdtempSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import {
  PKJWT_CLIENT,
  prepareDemo,
  type DemoFiles,
  type DemoServer,
} from '../../src/cli/commands/demo-setup.js'
import {
  DEMO_ACCOUNT,
  DEMO_PASSWORD,
  startAuthorizationServer,
  type AuthorizationServer,
} from '../support/provider.js'
import { launchChromium } from '../support/chromium.js'
import { loginForCallbackUrl } from '../support/login.js'
import { SANDBOX, buildBin, removeBuilds, start, waitFor } from './support.js'

let bin: string
let server: AuthorizationServer
let files: DemoFiles

beforeAll(async () => {
  ;[bin, server] = await Promise.all([buildBin(), startAuthorizationServer()])
  files = await prepareDemo(
    server as unknown as DemoServer,
    join(mkdtempSync(join(SANDBOX, 'work-')), 'demo'),
    '<x/>',
  )
}, 60_000)

afterAll(async () => {
  await server?.close()
  removeBuilds()
})

/** Starts `grantline login`, resolves with the printed URL and a promise of the outcome. */
async function startLogin(extra: string[] = []) {
  const child = start(bin, [
    'login',
    '--config',
    files.configFile,
    '--profile',
    'native',
    '--no-open',
    '--scope',
    'openid email',
    ...extra,
  ])
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk))
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once('close', (code) => resolve({ code, stdout, stderr })),
  )
  const [, url] = await waitFor(child.stderr, /^\s+(http\S+)$/m)
  return { url: new URL(url!), done }
}

describe.concurrent('login by HTTP on the printed URL', () => {
  test('authorization code + PKCE through the loopback redirect: tokens with a checked ID Token', async () => {
    const { url, done } = await startLogin()
    expect(url.origin).toBe(server.issuer)
    expect(url.searchParams.get('code_challenge_method')).toBe('S256')
    expect(url.searchParams.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/)
    expect(url.searchParams.get('nonce')).toEqual(expect.any(String))
    const callback = await loginForCallbackUrl(url)
    const page = await fetch(callback)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('You are signed in')
    const result = await done
    expect(result.code, result.stderr).toBe(0)
    const tokens = JSON.parse(result.stdout)
    expect(tokens).toMatchObject({
      token_type: 'bearer',
      id_token: expect.any(String),
      scope: 'openid email',
    })
    expect(result.stderr).not.toContain(tokens.access_token)
    expect(result.stderr).not.toContain(callback.searchParams.get('code'))
  })

  test('--par pushes the request first: the URL carries only client_id and request_uri', async () => {
    const { url, done } = await startLogin(['--par'])
    expect([...url.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri'])
    await fetch(await loginForCallbackUrl(url))
    const result = await done
    expect(result.code, result.stderr).toBe(0)
    expect(JSON.parse(result.stdout).id_token).toEqual(expect.any(String))
  })

  test('--jarm: the authorization response comes back as a signed JWT (response_mode=jwt) and is verified', async () => {
    const { url, done } = await startLogin(['--jarm'])
    expect(url.searchParams.get('response_mode')).toBe('jwt')
    const callback = await loginForCallbackUrl(url)
    expect([...callback.searchParams.keys()]).toEqual(['response'])
    await fetch(callback)
    const result = await done
    expect(result.code, result.stderr).toBe(0)
    expect(JSON.parse(result.stdout).id_token).toEqual(expect.any(String))
  })

  test("--jar: a request object signed with the client's key; the client authenticates with private_key_jwt", async () => {
    const { url, done } = await startLogin(['--profile', PKJWT_CLIENT, '--jar', files.pemFile])
    expect([...url.searchParams.keys()].sort()).toEqual(['client_id', 'request'])
    await fetch(await loginForCallbackUrl(url))
    const result = await done
    expect(result.code, result.stderr).toBe(0)
    expect(JSON.parse(result.stdout).id_token).toEqual(expect.any(String))
  })

  test('a denied consent is an authorization error: exit 3, access_denied on stderr', async () => {
    const { url, done } = await startLogin()
    const callback = await loginForCallbackUrl(url, { consent: 'deny' })
    expect((await fetch(callback)).status).toBe(400)
    const result = await done
    expect(result.code).toBe(3)
    expect(result.stdout).toBe('')
    expect(result.stderr).toMatch(/authorization error: access_denied/)
  })
})

test('login in a real headless Chromium: sign in, consent, land on the loopback page', async () => {
  const browser = await launchChromium()
  try {
    const { url, done } = await startLogin()
    const page = await (await browser.newContext()).newPage()
    page.setDefaultTimeout(15_000)
    await page.goto(url.href)
    await page.fill('#login', DEMO_ACCOUNT)
    await page.fill('#password', DEMO_PASSWORD)
    await page.click('button#sign-in')
    await page.click('#allow')
    await page.waitForURL((landed) => landed.hostname === '127.0.0.1' && landed.pathname === '/callback')
    expect(await page.textContent('h1')).toBe('Signed in')
    const result = await done
    expect(result.code, result.stderr).toBe(0)
    expect(JSON.parse(result.stdout)).toMatchObject({ id_token: expect.any(String) })
  } finally {
    await browser.close()
  }
})
