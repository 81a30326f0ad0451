// Exit codes for each failure class, against servers that misbehave on purpose (the scripted node:http server)
// and a port nothing listens on: 3 OAuth error, 4 network or timeout, 5 invalid response. stderr carries the
// error and never the client secret.

import { mkdtempSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { CLIENT_SECRET, json, startScriptedServer, type ScriptedServer } from '../support/scripted-server.js'
import { SANDBOX, buildBin, removeBuilds, run } from './support.js'

let bin: string
let scripted: ScriptedServer
let secretFile: string

beforeAll(async () => {
  ;[bin, scripted] = await Promise.all([buildBin(), startScriptedServer()])
  secretFile = join(mkdtempSync(join(SANDBOX, 'work-')), 'secret')
  writeFileSync(secretFile, `${CLIENT_SECRET}\n`)
}, 60_000)

afterAll(async () => {
  await scripted?.close()
  removeBuilds()
})

/** client-credentials at an explicit token endpoint on the scripted server, path naming the scenario. */
function grant(path: string, extra: string[] = []) {
  return run(bin, [
    'client-credentials',
    '--token-endpoint',
    `${scripted.origin}/${path}`,
    '--insecure',
    '--client-id',
    'client-hostile',
    '--client-secret-file',
    secretFile,
    ...extra,
  ])
}

beforeAll(() => {
  scripted.script((req, res) => {
    const path = new URL(req.url ?? '/', scripted.origin).pathname
    switch (path) {
      case '/oauth-error':
        return json(res, 400, { error: 'invalid_grant', error_description: `echoing ${CLIENT_SECRET}` })
      case '/bad-client':
        return json(res, 401, { error: 'invalid_client' })
      case '/not-json':
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end('<html>surprise</html>')
        return
      case '/no-token-type':
        return json(res, 200, { access_token: 'abc' })
      case '/html-500':
        res.writeHead(500, { 'content-type': 'text/html' })
        res.end('<h1>oops</h1>')
        return
      case '/hang':
        return // never answers: the deadline ends it
      default:
        return json(res, 200, { access_token: 'ok-token-value', token_type: 'bearer', expires_in: 60 })
    }
  })
})

describe.concurrent('exit codes', () => {
  test('0: success, and the request carried the secret (Basic) that stderr never shows', async () => {
    const r = await grant('ok', ['--verbose'])
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ access_token: 'ok-token-value' })
    expect(r.stderr).toMatch(/^> authorization: Basic /m)
    expect(r.stderr).not.toContain(CLIENT_SECRET)
    expect(r.stderr).not.toContain(Buffer.from(`client-hostile:${CLIENT_SECRET}`).toString('base64'))
  })

  test('3: an OAuth error body, with error, description and status; a secret the server echoes is scrubbed', async () => {
    const r = await grant('oauth-error')
    expect(r.code).toBe(3)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(/OAuth error from the server: invalid_grant: echoing .* \(HTTP 400\)/)
    expect(r.stderr).not.toContain(CLIENT_SECRET)
    const client = await grant('bad-client')
    expect(client.code).toBe(3)
    expect(client.stderr).toMatch(/^hint: the server did not accept the client credentials/m)
  })

  test('4: connection refused, with a hint', async () => {
    // Port 1 (tcpmux): nothing listens there, and no test server can be given it (a port freed a moment ago could be).
    const r = await run(bin, [
      'client-credentials',
      '--token-endpoint',
      'http://127.0.0.1:1/token',
      '--insecure',
      '--client-id',
      'x',
    ])
    expect(r.code).toBe(4)
    expect(r.stderr).toMatch(/network error: ECONNREFUSED/)
    expect(r.stderr).toMatch(/^hint: nothing listens/m)
  })

  test('4: no answer within --timeout', async () => {
    const r = await grant('hang', ['--timeout', '1'])
    expect(r.code).toBe(4)
    expect(r.stderr).toMatch(/OAUTH_TIMEOUT/)
    expect(r.stderr).toMatch(/^hint: .*--timeout/m)
  })

  test('5: a body that is not JSON, a token response without token_type, an error status without an OAuth body', async () => {
    for (const path of ['not-json', 'no-token-type', 'html-500']) {
      const r = await grant(path)
      expect(r.code, `${path}: ${r.stderr}`).toBe(5)
      expect(r.stdout).toBe('')
      expect(r.stderr).toMatch(/\(OAUTH_[A-Z_]+\)/)
    }
  })

  test('2: a bad --timeout, an unreadable secret file, a bad -p pair; nothing reaches the server', async () => {
    const before = scripted.requests.filter((r) => r.url === '/usage').length
    expect((await grant('usage', ['--timeout', 'soon'])).code).toBe(2)
    expect((await grant('usage', ['--client-secret-file', '/nonexistent/secret'])).code).toBe(2)
    expect(
      (
        await run(bin, [
          'token',
          'x',
          '--token-endpoint',
          `${scripted.origin}/usage`,
          '--insecure',
          '--client-id',
          'x',
          '-p',
          'novalue',
        ])
      ).code,
    ).toBe(2)
    expect(scripted.requests.filter((r) => r.url === '/usage').length).toBe(before)
  })
})
