// `npm run server` (demo/serve.ts) as a developer uses it (README "Local development against the embedded
// server"): it starts the embedded server alone, and what it prints is enough to use it: the issuer, a client's
// secret, the private_key_jwt client's key, a subject token for token exchange; a device flow is approved by typing
// "approve <user code>"; Ctrl-C (SIGINT) stops it with exit 0. It runs in its own process (tsx, as npm runs it).

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { importJWK, type JWK } from 'jose'
import { afterAll, beforeAll, expect, test } from 'vitest'
import * as client from '../../src/index.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

let server: ChildProcessWithoutNullStreams
let printed = ''
let errors = ''

/** The printed line that starts with `prefix` (after indentation), split on runs of spaces. */
function line(prefix: string): string[] {
  const found = printed
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l.startsWith(prefix))
  if (!found) throw new Error(`npm run server printed no "${prefix}" line:\n${printed}`)
  return found.split(/\s+/)
}

/** The line printed after the line that starts with `heading`. */
function after(heading: string): string {
  const lines = printed.split('\n')
  const at = lines.findIndex((l) => l.startsWith(heading))
  if (at === -1 || at + 1 >= lines.length) throw new Error(`no "${heading}" section:\n${printed}`)
  return lines[at + 1]!.trim()
}

function waitForOutput(pattern: RegExp, stream: 'out' | 'err', timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => pattern.test(stream === 'out' ? printed : errors)
    if (check()) return resolve()
    const timer = setTimeout(
      () => reject(new Error(`timed out waiting for ${pattern}:\n${printed}${errors}`)),
      timeoutMs,
    )
    const source = stream === 'out' ? server.stdout : server.stderr
    const onData = () => {
      if (check()) {
        clearTimeout(timer)
        source.off('data', onData)
        resolve()
      }
    }
    source.on('data', onData)
    server.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`npm run server exited (${code}):\n${printed}${errors}`))
    })
  })
}

beforeAll(async () => {
  server = spawn(process.execPath, ['--import', 'tsx', 'demo/serve.ts'], { cwd: ROOT })
  server.stdout.on('data', (chunk: Buffer) => (printed += chunk))
  server.stderr.on('data', (chunk: Buffer) => (errors += chunk))
  await waitForOutput(/Ctrl-C stops the server/, 'out', 30_000)
}, 60_000)

afterAll(() => {
  if (server && server.exitCode === null) server.kill('SIGKILL')
})

function configFor(
  clientId: string,
  auth?: client.ClientAuth,
  secret?: string,
): Promise<client.Configuration> {
  return client.discovery(new URL(line('issuer')[1]!), clientId, secret, auth, {
    execute: [client.allowInsecureRequests],
  })
}

test('prints an http issuer on 127.0.0.1 whose discovery document it serves', async () => {
  const issuer = line('issuer')[1]!
  expect(issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
  expect(line('discovery')[1]).toBe(`${issuer}/.well-known/openid-configuration`)
  const config = await configFor('post', undefined, 'unused')
  expect(config.serverMetadata().issuer).toBe(issuer)
})

test('the printed secrets authenticate their clients, each with its printed method', async () => {
  for (const id of ['basic', 'post', 'jwt-secret']) {
    const [, method, label, secret] = line(`${id} `)
    expect(label).toBe('client_secret')
    const auth =
      method === 'client_secret_basic'
        ? client.ClientSecretBasic(secret!)
        : method === 'client_secret_post'
          ? client.ClientSecretPost(secret!)
          : client.ClientSecretJwt(secret!)
    const tokens = await client.clientCredentialsGrant(await configFor(id, auth), { scope: 'api:read' })
    expect(tokens.token_type).toBe('bearer')
  }
  // and a wrong secret is refused, so the check above means something
  await expect(
    client.clientCredentialsGrant(await configFor('post', client.ClientSecretPost('wrong')), {
      scope: 'api:read',
    }),
  ).rejects.toMatchObject({ error: 'invalid_client' })
})

test('the printed private JWK authenticates dev-pkjwt (private_key_jwt); the subject token can be exchanged', async () => {
  const jwk = JSON.parse(after("dev-pkjwt's private key")) as JWK & { kid: string }
  expect(jwk.d).toBeTypeOf('string')
  const key = (await importJWK(jwk, 'ES256')) as CryptoKey
  const config = await configFor('dev-pkjwt', client.PrivateKeyJwt({ key, kid: jwk.kid }))
  const tokens = await client.clientCredentialsGrant(config, { scope: 'api:read' })
  expect(tokens.token_type).toBe('bearer')

  const subjectToken = after('A subject token for token exchange')
  const exchanged = await client.genericGrantRequest(
    config,
    'urn:ietf:params:oauth:grant-type:token-exchange',
    {
      subject_token: subjectToken,
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      audience: 'https://api.example.test',
    },
  )
  expect(exchanged.issued_token_type).toBe('urn:ietf:params:oauth:token-type:access_token')
})

test('the printed snippet is grantline code with allowInsecureRequests for the http issuer', () => {
  expect(printed).toContain("import * as client from 'grantline'")
  expect(printed).toContain(`client.discovery(new URL('${line('issuer')[1]}'), 'post', '${line('post ')[3]}'`)
  expect(printed).toContain('execute: [client.allowInsecureRequests]')
})

test('"approve <user code>" typed on its stdin completes a device flow', async () => {
  const config = await configFor('public', client.None())
  const started = await client.initiateDeviceAuthorization(config, { scope: 'openid' })
  server.stdin.write(`approve ${started.user_code}\n`)
  await waitForOutput(new RegExp(`approved ${started.user_code} as alice`), 'err', 10_000)
  const tokens = await client.pollDeviceAuthorizationGrant(config, { ...started, interval: 0 })
  expect(tokens.claims()?.sub).toBe('alice')
})

test('SIGINT stops it with exit code 0', async () => {
  const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)))
  server.kill('SIGINT')
  expect(await exited).toBe(0)
  expect(errors).toContain('stopped')
})
