// The grantline bin, spawned as a person runs it, against the embedded oidc-provider: every command the server
// supports, every client authentication method (secrets from a file, the environment and a profile;
// private_key_jwt from a JWK and a PEM file; mutual TLS with --cert/--key), DPoP, every --output format, and
// what stderr may show (never a secret, a key or a whole token).

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createHash, webcrypto } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import {
  prepareDemo,
  PKJWT_CLIENT,
  type DemoFiles,
  type DemoServer,
} from '../../src/cli/commands/demo-setup.js'
import {
  TOKEN_EXCHANGE,
  samlAssertionXml,
  signJwtAssertion,
  startAuthorizationServer,
  type AuthorizationServer,
} from '../support/provider.js'
import {
  SANDBOX,
  buildBin,
  leaks,
  removeBuilds,
  run,
  start,
  startOnTerminal,
  waitFor,
  type Result,
} from './support.js'

let bin: string
let server: AuthorizationServer
let files: DemoFiles
let mtlsServer: AuthorizationServer
let mtlsFiles: DemoFiles
/** Every secret and key text the tests hand to the bin, which stderr must never show. */
let secrets: string[]

beforeAll(async () => {
  ;[bin, server, mtlsServer] = await Promise.all([
    buildBin(),
    startAuthorizationServer(),
    startAuthorizationServer({ mtls: true }),
  ])
  const dir = mkdtempSync(join(SANDBOX, 'work-'))
  files = await prepareDemo(
    server as unknown as DemoServer,
    join(dir, 'plain'),
    samlAssertionXml({ subject: 'saml-user', audience: server.issuer }),
  )
  mtlsFiles = await prepareDemo(mtlsServer as unknown as DemoServer, join(dir, 'mtls'), '<x/>')
  secrets = [
    ...Object.values(server.clients).map((c) => c.clientSecret),
    ...Object.values(mtlsServer.clients).map((c) => c.clientSecret),
    JSON.parse(readFileSync(files.jwkFile, 'utf8')).d as string,
    pemBody(readFileSync(files.pemFile, 'utf8')),
    pemBody(mtlsServer.mtls!.pki.privateKey),
    pemBody(mtlsServer.mtls!.selfSigned.privateKey),
  ].filter((s): s is string => typeof s === 'string')
}, 60_000)

afterAll(async () => {
  await Promise.all([server?.close(), mtlsServer?.close()])
  removeBuilds()
})

/** The base64 body of a PEM, without its armour and line breaks (any line of it would be a leak too). */
function pemBody(pem: string): string {
  return pem.split('\n').filter((line) => line && !line.startsWith('-----'))[1] ?? ''
}

const plain = () => ['--issuer', server.issuer, '--insecure']
const secretFile = (id: string) => files.secretFiles[id]!

/** Runs the bin and checks what must hold for every run: stderr never shows a secret, key or whole token. */
async function grantline(
  args: string[],
  options?: Parameters<typeof run>[2],
): Promise<Result & { json: any }> {
  const result = await run(bin, args, options)
  expect(leaks(result.stderr, secrets), `stderr leaks a secret: ${result.stderr}`).toEqual([])
  let json: unknown
  try {
    json = JSON.parse(result.stdout)
  } catch {
    json = undefined
  }
  // Whole tokens of the result never reach stderr, --verbose or not.
  for (const name of ['access_token', 'refresh_token', 'id_token']) {
    const value = (json as Record<string, unknown> | undefined)?.[name]
    if (typeof value === 'string') expect(result.stderr).not.toContain(value)
  }
  return { ...result, json }
}

/**
 * Runs `grantline device` for the demo profile "public", approves the user code it prints as `account` at the
 * server, and resolves once the bin has exited.
 */
async function deviceFlow(args: string[], account: string) {
  const child = start(bin, ['device', '--config', files.configFile, '--profile', 'public', ...args])
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk))
  const [, uri, code] = await waitFor(child.stderr, /open (\S+) and enter the code (\S+)/)
  await server.approveDeviceFlow(code!, account)
  const exit = await new Promise<number | null>((resolve) => child.once('close', resolve))
  return { uri, exit, stdout, stderr }
}

function ok(result: Result) {
  expect(result.stderr === '' || result.code === 0 ? result.code : result.stderr).toBe(0)
}

describe.concurrent('client authentication methods', () => {
  test('client_secret_basic from --client-secret-file', async () => {
    const r = await grantline([
      'client-credentials',
      ...plain(),
      '--client-id',
      'basic',
      '--client-secret-file',
      secretFile('basic'),
      '--scope',
      'api:read',
    ])
    ok(r)
    expect(r.json).toMatchObject({ token_type: 'bearer', scope: 'api:read' })
    expect(await server.inspectAccessToken(r.json.access_token)).toMatchObject({ clientId: 'basic' })
  })

  test('client_secret_post with the secret in GRANTLINE_CLIENT_SECRET', async () => {
    const r = await grantline(
      ['client-credentials', ...plain(), '--client-id', 'post', '--auth', 'client_secret_post'],
      {
        env: { GRANTLINE_CLIENT_SECRET: server.clients['post']!.clientSecret },
      },
    )
    ok(r)
    expect(await server.inspectAccessToken(r.json.access_token)).toMatchObject({ clientId: 'post' })
  })

  test('client_secret_jwt, and the wrong method for a client is an OAuth error (exit 3) with a hint', async () => {
    const good = await grantline([
      'client-credentials',
      ...plain(),
      '--client-id',
      'jwt-secret',
      '--auth',
      'client_secret_jwt',
      '--client-secret-file',
      secretFile('jwt-secret'),
    ])
    ok(good)
    expect(await server.inspectAccessToken(good.json.access_token)).toMatchObject({ clientId: 'jwt-secret' })
    const wrong = await grantline([
      'client-credentials',
      ...plain(),
      '--client-id',
      'jwt-secret',
      '--auth',
      'client_secret_basic',
      '--client-secret-file',
      secretFile('jwt-secret'),
    ])
    expect(wrong.code).toBe(3)
    expect(wrong.stdout).toBe('')
    expect(wrong.stderr).toMatch(/invalid_client.*\(HTTP 401\)/)
    expect(wrong.stderr).toMatch(/^hint: .*--auth/m)
  })

  test('private_key_jwt from a JWK file and from a PEM file of the same key', async () => {
    for (const keyFile of [files.jwkFile, files.pemFile]) {
      const r = await grantline([
        'client-credentials',
        ...plain(),
        '--client-id',
        PKJWT_CLIENT,
        '--private-key',
        keyFile,
        '--kid',
        files.kid,
      ])
      ok(r)
      expect(await server.inspectAccessToken(r.json.access_token)).toMatchObject({ clientId: PKJWT_CLIENT })
    }
  })

  test('tls_client_auth and self_signed_tls_client_auth with --cert/--key: certificate-bound tokens', async () => {
    for (const id of ['mtls-pki', 'mtls-self-signed']) {
      const pair = mtlsFiles.mtls!.certs[id]!
      const r = await grantline([
        'client-credentials',
        '--issuer',
        mtlsServer.issuer,
        '--client-id',
        id,
        '--auth',
        String(mtlsServer.clients[id]!.tokenEndpointAuthMethod),
        '--cert',
        pair.cert,
        '--key',
        pair.key,
        '--ca',
        mtlsFiles.mtls!.ca,
      ])
      ok(r)
      const stored = await mtlsServer.inspectAccessToken(r.json.access_token)
      expect(stored).toMatchObject({ clientId: id })
      expect(stored?.['x5t#S256']).toEqual(expect.any(String))
    }
  })

  test('a profile supplies every flag; a flag given on the command line wins', async () => {
    const r = await grantline([
      'client-credentials',
      '--config',
      files.configFile,
      '--profile',
      'post',
      '--scope',
      'api:write',
    ])
    ok(r)
    expect(r.json.scope).toBe('api:write')
    expect(await server.inspectAccessToken(r.json.access_token)).toMatchObject({ clientId: 'post' })
    const viaEnv = await grantline(
      [
        'client-credentials',
        '--client-id',
        'basic',
        '--auth',
        'client_secret_basic',
        '--client-secret-file',
        secretFile('basic'),
      ],
      {
        env: { GRANTLINE_CONFIG: files.configFile, GRANTLINE_PROFILE: PKJWT_CLIENT },
      },
    )
    ok(viaEnv)
    expect(await server.inspectAccessToken(viaEnv.json.access_token)).toMatchObject({ clientId: 'basic' })
  })
})

test.concurrent(
  'on a terminal the secret is asked for without echo (util-linux script gives the bin a pseudo-terminal)',
  async () => {
    const secret = server.clients['basic']!.clientSecret!
    const { child, transcript, exit } = startOnTerminal(bin, [
      'client-credentials',
      ...plain(),
      '--client-id',
      'basic',
      '--auth',
      'client_secret_basic',
      '-o',
      'token',
    ])
    await waitFor(child.stdout, /client secret for basic: /)
    child.stdin.write(`${secret}\n`)
    expect(await exit, transcript()).toBe(0)
    expect(transcript()).toMatch(/^[\w-]{43}\r?$/m)
    expect(transcript()).not.toContain(secret)
  },
)

test.concurrent('device on a terminal: a countdown on stderr while it waits', async () => {
  const { child, transcript, exit } = startOnTerminal(bin, [
    'device',
    '--config',
    files.configFile,
    '--profile',
    'public',
    '--scope',
    'openid',
  ])
  const [, code] = await waitFor(child.stdout, /enter the code (\S+)/)
  await waitFor(child.stdout, new RegExp(`waiting for approval of ${code}: \\d\\d:\\d\\d left`))
  await server.approveDeviceFlow(code!, 'hank')
  expect(await exit, transcript()).toBe(0)
  expect(transcript()).toMatch(/"access_token": "[\w-]+"/)
})

describe.concurrent('DPoP', () => {
  test('--dpop binds the token to a fresh key', async () => {
    const r = await grantline(['client-credentials', '--config', files.configFile, '--dpop'])
    ok(r)
    expect(r.json.token_type).toBe('dpop')
    expect((await server.inspectAccessToken(r.json.access_token))?.['jkt']).toEqual(expect.any(String))
  })

  test('--dpop-key binds it to the key in the file (its RFC 7638 thumbprint)', async () => {
    const r = await grantline([
      'client-credentials',
      '--config',
      files.configFile,
      '--dpop-key',
      files.pemFile,
    ])
    ok(r)
    const jwk = JSON.parse(readFileSync(files.jwkFile, 'utf8'))
    expect((await server.inspectAccessToken(r.json.access_token))?.['jkt']).toBe(files.kid)
    expect(jwk.kid).toBe(files.kid)
  })
})

describe.concurrent('grants', () => {
  test('token <any grant type>: no whitelist, repeated -p names become repeated parameters', async () => {
    const subject = await server.issueAccessToken('basic', { scope: 'api:read' })
    const r = await grantline(
      [
        'token',
        TOKEN_EXCHANGE,
        '--config',
        files.configFile,
        '-p',
        'subject_token=-',
        '-p',
        'subject_token_type=urn:ietf:params:oauth:token-type:access_token',
        '-p',
        'resource=https://a.example.test',
        '-p',
        'resource=https://b.example.test',
        '-p',
        'scope=api:read',
      ].map((a) => (a === 'subject_token=-' ? `subject_token=${subject}` : a)),
    )
    ok(r)
    expect(r.json.issued_token_type).toBe('urn:ietf:params:oauth:token-type:access_token')
    const stored = await server.inspectAccessToken(r.json.access_token)
    expect(stored?.['aud']).toEqual(['https://a.example.test', 'https://b.example.test'])
    const unknown = await grantline(['token', 'urn:example:not-a-grant', '--config', files.configFile])
    expect(unknown.code).toBe(3)
    expect(unknown.stderr).toMatch(/unsupported_grant_type/)
    expect(unknown.stderr).toMatch(/^hint: .*grant type/m)
  })

  test('exchange: token types by short name, several audiences; refresh reads its token from stdin', async () => {
    const subject = join(mkdtempSync(join(SANDBOX, 'work-')), 'subject')
    writeFileSync(
      subject,
      `${await server.issueAccessToken('basic', { scope: 'openid offline_access api:read' })}\n`,
    )
    const r = await grantline([
      'exchange',
      '--config',
      files.configFile,
      '--subject-token-file',
      subject,
      '--subject-token-type',
      'access_token',
      '--scope',
      'openid offline_access api:read',
    ])
    ok(r)
    expect(r.json).toMatchObject({
      issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      refresh_token: expect.any(String),
    })
    const refreshed = await grantline(['refresh', '-', '--config', files.configFile], {
      input: `${r.json.refresh_token}\n`,
    })
    ok(refreshed)
    expect(refreshed.json.access_token).toEqual(expect.any(String))
    expect(refreshed.json.access_token).not.toBe(r.json.access_token)

    const id = await grantline([
      'exchange',
      '--config',
      files.configFile,
      '--subject-token-file',
      subject,
      '--requested-token-type',
      'id_token',
      '--scope',
      'openid',
    ])
    ok(id)
    expect(id.json.issued_token_type).toBe('urn:ietf:params:oauth:token-type:id_token')
  })

  test('jwt-bearer: an assertion built and signed from --sign-key with --sub and --claim, and one given on stdin', async () => {
    const built = await grantline([
      'jwt-bearer',
      '--config',
      files.configFile,
      '--profile',
      PKJWT_CLIENT,
      '--sign-key',
      files.jwkFile,
      '--sub',
      'carol',
      '--claim',
      'n=1',
      '--scope',
      'api:read',
    ])
    ok(built)
    expect(await server.inspectAccessToken(built.json.access_token)).toMatchObject({ accountId: 'carol' })

    const assertion = await signJwtAssertion(server.trustedAssertionIssuer, {
      sub: 'dave',
      aud: server.issuer,
    })
    const given = await grantline(
      ['jwt-bearer', '--config', files.configFile, '--assertion', '-', '--verbose'],
      { input: assertion },
    )
    ok(given)
    expect(await server.inspectAccessToken(given.json.access_token)).toMatchObject({ accountId: 'dave' })
    expect(given.stderr).toMatch(/assertion=eyJh…\[\d+ chars\]/)
    expect(given.stderr).not.toContain(assertion)
  })

  test('saml2-bearer: the XML file is base64url-encoded for the server', async () => {
    const r = await grantline([
      'saml2-bearer',
      '--config',
      files.configFile,
      '--assertion-file',
      files.samlFile,
      '--scope',
      'api:read',
    ])
    ok(r)
    expect(await server.inspectAccessToken(r.json.access_token)).toMatchObject({ accountId: 'saml-user' })
  })

  test('device: prints the user code and the verification URI, polls until the user approves', async () => {
    const { uri, exit, stdout, stderr } = await deviceFlow(['--scope', 'openid api:read'], 'erin')
    expect(uri).toBe(`${server.issuer}/device`)
    expect(exit, stderr).toBe(0)
    const tokens = JSON.parse(stdout)
    expect(tokens).toMatchObject({ token_type: 'bearer', id_token: expect.any(String) })
    expect(stderr).toMatch(/Waiting for approval/)
    expect(stderr).not.toContain(tokens.access_token)
    expect(await server.inspectAccessToken(tokens.access_token)).toMatchObject({ accountId: 'erin' })
  })
})

describe.concurrent('other endpoints', () => {
  test('introspect, revoke, then introspect again: inactive', async () => {
    const r = await grantline([
      'client-credentials',
      '--config',
      files.configFile,
      '--scope',
      'api:read',
      '-o',
      'token',
    ])
    ok(r)
    const token = r.stdout.trim()
    // An opaque token may begin with "-": after "--" it is the positional whatever it is (test/unit/cli-args.test.ts).
    const before = await grantline(['introspect', '--config', files.configFile, '--', token])
    ok(before)
    expect(before.json).toMatchObject({ active: true, client_id: 'basic', scope: 'api:read' })
    const revoked = await grantline(
      ['revoke', '--token', '-', '--config', files.configFile, '--token-type-hint', 'access_token'],
      { input: token },
    )
    ok(revoked)
    expect(revoked.json).toEqual({ revoked: true })
    const after = await grantline(['introspect', '--config', files.configFile, '--', token])
    expect(after.json).toEqual({ active: false })
  })

  test("userinfo with an access token from a token exchange; a bad token is the server's invalid_token (exit 3)", async () => {
    const subject = await server.issueAccessToken('basic', { scope: 'openid email', accountId: 'frank' })
    const exchanged = await grantline([
      'exchange',
      '--config',
      files.configFile,
      '--subject-token',
      subject,
      '--scope',
      'openid offline_access email',
      '-o',
      'token',
    ])
    ok(exchanged)
    const r = await grantline(['userinfo', '--config', files.configFile, '--', exchanged.stdout.trim()])
    ok(r)
    expect(r.json).toMatchObject({ sub: 'frank', email: 'frank@example.test' })
    // A token that begins with "-" is still the positional: the server, not the parser, refuses it.
    const refused = await grantline(['userinfo', '-8not-a-token', '--config', files.configFile])
    expect(refused.code).toBe(3)
    expect(refused.stderr).toMatch(/invalid_token/)
  })

  test('discover prints the metadata', async () => {
    const r = await grantline(['discover', ...plain()])
    ok(r)
    expect(r.json).toMatchObject({ issuer: server.issuer, token_endpoint: `${server.issuer}/token` })
  })

  test('decode: header and claims, verified against the issuer JWKS; a changed signature does not verify (exit 5)', async () => {
    const subject = await server.issueAccessToken('basic', { scope: 'openid' })
    const id = await grantline([
      'exchange',
      '--config',
      files.configFile,
      '--subject-token',
      subject,
      '--requested-token-type',
      'id_token',
      '-o',
      'token',
    ])
    ok(id)
    const jwt = id.stdout.trim()
    const r = await grantline(['decode', jwt, '--insecure'])
    ok(r)
    expect(r.json).toMatchObject({
      header: { alg: 'RS256' },
      payload: { iss: server.issuer, sub: 'alice' },
      verified: true,
      jwks_uri: `${server.issuer}/jwks`,
      expired: false,
    })
    const [h, p, s] = jwt.split('.')
    const tampered = `${h}.${p}.${s!.startsWith('A') ? 'B' : 'A'}${s!.slice(1)}`
    const bad = await grantline(['decode', '-', '--insecure'], { input: tampered })
    expect(bad.code).toBe(5)
    expect(bad.json).toMatchObject({ verified: false })
  })
})

describe.concurrent('output and trace', () => {
  test('--output token, header and env', async () => {
    const base = ['client-credentials', '--config', files.configFile]
    const token = await grantline([...base, '-o', 'token'])
    ok(token)
    expect(token.stdout).toMatch(/^[\w-]+\n$/)
    const header = await grantline([...base, '--dpop', '-o', 'header'])
    expect(header.stdout).toMatch(/^Authorization: DPoP [\w-]+\n$/)
    const env = await grantline([...base, '-o', 'env', '--scope', 'api:read'])
    expect(env.stdout).toMatch(
      /^export ACCESS_TOKEN='[\w-]+'\nexport TOKEN_TYPE='bearer'\nexport EXPIRES_IN='\d+'\nexport SCOPE='api:read'\n$/,
    )
    const notForIntrospection = await grantline([
      'introspect',
      'x',
      '--config',
      files.configFile,
      '-o',
      'token',
    ])
    expect(notForIntrospection.code).toBe(2)
  })

  test('--verbose shows the request and response with credentials redacted, and the decoded ID Token claims', async () => {
    const subject = await server.issueAccessToken('basic', { scope: 'openid' })
    const r = await grantline([
      'exchange',
      '--config',
      files.configFile,
      '--subject-token',
      subject,
      '--scope',
      'openid offline_access',
      '--verbose',
    ])
    ok(r)
    expect(r.stderr).toMatch(new RegExp(`^> POST ${server.issuer}/token$`, 'm'))
    expect(r.stderr).toMatch(/^> authorization: Basic \w{4}…\[\d+ chars\]$/m)
    expect(r.stderr).toMatch(/subject_token=[\w-]{4}…\[43 chars\]/)
    expect(r.stderr).toMatch(/^< 200 OK/m)
    expect(r.stderr).toMatch(/"access_token":"[\w-]{4}…\[\d+ chars\]"/)
    expect(r.stderr).not.toContain(subject)
    expect(r.stdout.startsWith('{')).toBe(true)

    const id = await grantline([
      'client-credentials',
      '--config',
      files.configFile,
      '--profile',
      PKJWT_CLIENT,
      '--private-key',
      files.pemFile,
      '--verbose',
    ])
    ok(id)
    expect(id.stderr).toMatch(/client_assertion=eyJh…\[\d+ chars\]/)
  })

  test('the ID Token of a device login is decoded in the human view', async () => {
    const { exit, stderr } = await deviceFlow(['--scope', 'openid', '-v'], 'gina')
    expect(exit).toBe(0)
    expect(stderr).toMatch(/= id_token claims: \{[^}]*"sub": "gina"/s)
  })
})

describe.concurrent('usage errors (exit 2): nothing is sent', () => {
  test('--client-secret is refused with a hint, whatever its value', async () => {
    // Nothing listens on port 1: had anything been sent, this would be a network error (exit 4).
    const r = await grantline([
      'client-credentials',
      '--issuer',
      'http://127.0.0.1:1',
      '--insecure',
      '--client-id',
      'basic',
      '--client-secret',
      'hunter2-hunter2',
    ])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/--client-secret is not accepted/)
    expect(r.stderr).toMatch(/^hint: use --client-secret-file/m)
    expect(r.stderr).not.toContain('hunter2-hunter2')
  })

  test('unknown command, unknown flag, missing client id, a secret method without a secret source', async () => {
    expect((await grantline(['frobnicate'])).code).toBe(2)
    const flagged = await grantline(['client-credentials', '--frob'])
    expect(flagged.code).toBe(2)
    expect(flagged.stderr).toMatch(/Unknown option '--frob'/)
    expect((await grantline(['client-credentials', ...plain()])).stderr).toMatch(/--client-id is required/)
    const noSecret = await grantline([
      'client-credentials',
      ...plain(),
      '--client-id',
      'basic',
      '--auth',
      'client_secret_basic',
    ])
    expect(noSecret.code).toBe(2)
    expect(noSecret.stderr).toMatch(/GRANTLINE_CLIENT_SECRET/)
  })

  test('http:// without --insecure, with the hint', async () => {
    const r = await grantline(['discover', '--issuer', server.issuer])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/^hint: .*--insecure/m)
  })

  test('--help for the tool and for a command; bare grantline is a usage error', async () => {
    const help = await grantline(['--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/Exit codes:/)
    for (const command of ['token', 'exchange', 'device', 'login', 'decode', 'demo']) {
      const r = await grantline([command, '--help'])
      expect(r.code).toBe(0)
      expect(r.stdout).toMatch(new RegExp(`^grantline ${command}: `))
    }
    const bare = await grantline([])
    expect(bare.code).toBe(2)
    expect(bare.stdout).toBe('')
  })
})

test("the thumbprint the demo setup gives as kid is the key's RFC 7638 thumbprint", async () => {
  const jwk = JSON.parse(readFileSync(files.jwkFile, 'utf8'))
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y })
  expect(createHash('sha256').update(canonical).digest('base64url')).toBe(files.kid)
  expect(webcrypto).toBeDefined()
})
