// `grantline demo`: the embedded authorization server of this repository (demo/server.ts, a real oidc-provider)
// on 127.0.0.1, with files and profiles for every client, and the command lines to try against it. It is a
// development tool: it needs a clone of the repository with its devDependencies (oidc-provider, tsx), which it
// loads only when this command runs.

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { flag, str } from '../args.js'
import { UsageError } from '../exit-codes.js'
import { PKJWT_CLIENT, prepareDemo, type DemoServer } from './demo-setup.js'
import type { Invocation } from './types.js'

interface DemoServerModule {
  startAuthorizationServer(options: { mtls?: boolean; requireDPoPNonce?: boolean }): Promise<
    DemoServer & {
      issueAccessToken(clientId: string, options?: { scope?: string }): Promise<string>
      approveDeviceFlow(userCode: string, accountId: string): Promise<void>
      denyDeviceFlow(userCode: string): Promise<void>
      close(): Promise<void>
    }
  >
}

/** The clone holding demo/server.ts: above the bin, or above the working directory. */
function findRepository(cwd: string): string | undefined {
  const starts = [dirname(fileURLToPath(import.meta.url)), cwd]
  for (const start of starts) {
    let dir = resolve(start)
    for (;;) {
      if (existsSync(join(dir, 'demo', 'server.ts')) && existsSync(join(dir, 'package.json'))) {
        try {
          if (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name === 'grantline') return dir
        } catch {
          // not ours
        }
      }
      const parent = dirname(dir)
      if (parent === dir) break
      dir = parent
    }
  }
  return undefined
}

async function loadTs<T>(root: string, file: string): Promise<T> {
  let api: { tsImport?: (specifier: string, parent: string) => Promise<unknown> }
  try {
    // The ESM build of tsx's API (require.resolve would pick the CommonJS one).
    const manifest = createRequire(join(root, 'package.json')).resolve('tsx/package.json')
    const exported = JSON.parse(readFileSync(manifest, 'utf8')).exports['./esm/api'].import.default as string
    const path = join(dirname(manifest), exported)
    const mod = (await import(pathToFileURL(path).href)) as typeof api & { default?: typeof api }
    api = mod.tsImport ? mod : (mod.default ?? {})
  } catch {
    throw new UsageError(
      'grantline demo needs the devDependencies of the repository (tsx, oidc-provider)',
      'run npm ci in the clone first',
    )
  }
  if (!api.tsImport) throw new UsageError('grantline demo needs tsx 4.8 or later')
  return (await api.tsImport(pathToFileURL(join(root, file)).href, import.meta.url)) as T
}

export async function demo({ values, positionals, term, cwd }: Invocation): Promise<undefined> {
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`)
  const root = findRepository(cwd)
  if (root === undefined) {
    throw new UsageError(
      'grantline demo runs from a clone of the grantline repository (it starts demo/server.ts)',
      'git clone the repository, npm ci, then npx grantline demo',
    )
  }
  const mtls = flag(values, 'mtls')
  const { startAuthorizationServer } = await loadTs<DemoServerModule>(root, 'demo/server.ts')
  const { samlAssertionXml } = await loadTs<{
    samlAssertionXml(o: { subject: string; audience: string }): string
  }>(root, 'demo/assertions.ts')
  const server = await startAuthorizationServer({
    mtls,
    requireDPoPNonce: flag(values, 'require-dpop-nonce'),
  })
  const givenDir = str(values, 'dir')
  const dir = givenDir ? resolve(cwd, givenDir) : mkdtempSync(join(tmpdir(), 'grantline-demo-'))
  const files = await prepareDemo(
    server,
    dir,
    samlAssertionXml({ subject: 'alice', audience: server.issuer }),
  )
  const subjectToken = join(dir, 'subject.token')
  writeFileSync(subjectToken, `${await server.issueAccessToken('basic', { scope: 'api:read' })}\n`, {
    mode: 0o600,
  })

  const issuer = server.issuer
  const g = 'npx grantline'
  const cfg = `--config ${files.configFile}`
  const plain = mtls ? '' : ' --insecure'
  const lines = [
    `grantline demo: an authorization server (oidc-provider) at ${issuer}`,
    `files (secrets, keys, profiles) in ${dir}${givenDir ? '' : ', removed when the demo stops'}`,
    '',
    'Flags for each client:',
  ]
  for (const [id, secretFile] of Object.entries(files.secretFiles)) {
    const method = String(server.clients[id]?.['tokenEndpointAuthMethod'])
    lines.push(
      `  --issuer ${issuer}${plain} --client-id ${id} --auth ${method} --client-secret-file ${secretFile}`,
    )
  }
  lines.push(`  --issuer ${issuer}${plain} --client-id public --auth none`)
  lines.push(
    `  --issuer ${issuer}${plain} --client-id ${PKJWT_CLIENT} --auth private_key_jwt --private-key ${files.jwkFile}`,
  )
  lines.push(
    `  --issuer ${issuer}${plain} --client-id ${PKJWT_CLIENT} --auth private_key_jwt --private-key ${files.pemFile}`,
  )
  for (const [id, pair] of Object.entries(files.mtls?.certs ?? {})) {
    const method = String(server.clients[id]?.['tokenEndpointAuthMethod'])
    lines.push(
      `  --issuer ${issuer} --client-id ${id} --auth ${method} --cert ${pair.cert} --key ${pair.key} --ca ${files.mtls!.ca}`,
    )
  }
  lines.push(
    '',
    `or a profile: ${cfg} --profile <client id> (profile "default" is client "basic")`,
    ...(mtls ? [`(secret-based clients over https: export NODE_EXTRA_CA_CERTS=${files.mtls!.ca})`] : []),
    '',
    'Try:',
    `  ${g} discover --issuer ${issuer}${plain}`,
    `  ${g} client-credentials ${cfg} --scope api:read`,
    `  ${g} client-credentials ${cfg} --profile ${PKJWT_CLIENT} --dpop --verbose`,
    `  ${g} token client_credentials ${cfg} --profile post -p scope=api:read -o header`,
    `  ${g} exchange ${cfg} --subject-token-file ${subjectToken} --audience https://api.example.test --scope api:read`,
    `  ${g} jwt-bearer ${cfg} --profile ${PKJWT_CLIENT} --sign-key ${files.jwkFile} --sub alice --scope api:read`,
    `  ${g} saml2-bearer ${cfg} --assertion-file ${files.samlFile} --scope api:read`,
    `  ${g} device ${cfg} --profile public --scope openid     (then type: approve <user code>)`,
    `  ${g} login ${cfg} --profile native --scope openid     (sign in as alice / wonderland)`,
    `  ${g} login ${cfg} --profile ${PKJWT_CLIENT} --jar ${files.jwkFile} --jarm --scope openid`,
    `  ${g} introspect ${cfg} --token-file ${subjectToken}`,
    `  ${g} decode --token-file <file with an ID Token>${plain}`,
    '',
    'Type "approve <user code> [account]" or "deny <user code>" here to answer a device flow; Ctrl-C stops the server.',
  )
  if (str(values, 'output') === 'json') {
    term.out(JSON.stringify({ issuer, ...files, subjectTokenFile: subjectToken }, null, 2))
  } else {
    term.out(lines.join('\n'))
  }

  const rl = createInterface({ input: process.stdin, terminal: false })
  rl.on('line', (line) => {
    const [verb, code, account] = line.trim().split(/\s+/)
    if (!verb) return
    const act =
      verb === 'approve' && code
        ? server
            .approveDeviceFlow(code, account ?? 'alice')
            .then(() => `approved ${code} as ${account ?? 'alice'}`)
        : verb === 'deny' && code
          ? server.denyDeviceFlow(code).then(() => `denied ${code}`)
          : Promise.resolve(
              `unknown command "${line.trim()}": approve <user code> [account] | deny <user code>`,
            )
    act.then(
      (message) => term.err(message),
      (err: Error) => term.err(`${verb} failed: ${err.message}`),
    )
  })

  await new Promise<void>((resolveStop) => {
    const stop = () => resolveStop()
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
  rl.close()
  await server.close()
  if (!givenDir) rmSync(dir, { recursive: true, force: true })
  term.err('grantline demo: stopped')
  return undefined
}
