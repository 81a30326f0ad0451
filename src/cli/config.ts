// From flags, a profile and a secret source to a grantline Configuration: discovery or explicit endpoints,
// client authentication, mutual TLS, DPoP, the deadline and the `--verbose` trace.

import { existsSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { performance } from 'node:perf_hooks'
import {
  ClientSecretBasic,
  ClientSecretJwt,
  ClientSecretPost,
  Configuration,
  None,
  PrivateKeyJwt,
  TlsClientAuth,
  allowInsecureRequests,
  customFetch,
  discovery,
  getDPoPHandle,
  mtlsFetch,
  randomDPoPKeyPair,
  type ClientAuth,
  type ClientMetadata,
  type CustomFetch,
  type DPoPHandle,
  type ServerMetadata,
} from '../node/index.js'
import { flag, str, type Values } from './args.js'
import { UsageError } from './exit-codes.js'
import { loadPrivateKey } from './keys.js'
import { redactBody, redactForm, redactHeader } from './redact.js'
import type { Terminal } from './output.js'

export const AUTH_METHODS = [
  'client_secret_basic',
  'client_secret_post',
  'client_secret_jwt',
  'private_key_jwt',
  'tls_client_auth',
  'self_signed_tls_client_auth',
  'none',
] as const

const SECRET_METHODS = new Set(['client_secret_basic', 'client_secret_post', 'client_secret_jwt'])

/** Options whose values are file paths: relative ones in a profile resolve against the profile file's folder. */
const PATH_OPTIONS = new Set([
  'client-secret-file',
  'private-key',
  'cert',
  'key',
  'ca',
  'dpop-key',
  'sign-key',
  'assertion-file',
])

/** Where profiles are read from: `--config`, `$GRANTLINE_CONFIG`, `./.grantline.json`, `~/.config/grantline/config.json`. */
export function configPath(values: Values, env: NodeJS.ProcessEnv, cwd: string): string | undefined {
  const given = str(values, 'config') ?? env['GRANTLINE_CONFIG']
  if (given) return resolve(cwd, given)
  const local = join(cwd, '.grantline.json')
  if (existsSync(local)) return local
  const xdg = env['XDG_CONFIG_HOME'] || join(homedir(), '.config')
  const user = join(xdg, 'grantline', 'config.json')
  return existsSync(user) ? user : undefined
}

/**
 * Fills options the command line left out from the chosen profile (`--profile`, `$GRANTLINE_PROFILE`, or the
 * file's `"default"` profile). Flags always win. Only options the command knows are taken.
 */
export function applyProfile(
  values: Values,
  known: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  cwd: string,
): { values: Values; profileSecret: string | undefined } {
  const name = str(values, 'profile') ?? env['GRANTLINE_PROFILE']
  const path = configPath(values, env, cwd)
  if (path === undefined) {
    if (name !== undefined)
      throw new UsageError(
        `profile "${name}" asked for, but no config file was found`,
        'pass --config <file>',
      )
    return { values, profileSecret: undefined }
  }
  let file: { profiles?: Record<string, Record<string, unknown>> }
  try {
    file = JSON.parse(readFileSync(path, 'utf8'))
  } catch (err) {
    throw new UsageError(`cannot read the config file ${path}: ${(err as Error).message}`)
  }
  const profiles = file.profiles ?? {}
  const chosen = name ?? (profiles['default'] ? 'default' : undefined)
  if (chosen === undefined) return { values, profileSecret: undefined }
  const profile = profiles[chosen]
  if (!profile || typeof profile !== 'object') {
    throw new UsageError(
      `no profile "${chosen}" in ${path}`,
      `profiles there: ${Object.keys(profiles).join(', ') || 'none'}`,
    )
  }
  const out: Values = { ...values }
  let profileSecret: string | undefined
  for (const [option, value] of Object.entries(profile)) {
    if (option === 'client-secret') {
      // The user chose to keep it in the file; the file is not visible to `ps`.
      if (typeof value === 'string') profileSecret = value
      continue
    }
    if (!(option in known) || out[option] !== undefined) continue
    if (typeof value === 'string') {
      out[option] = PATH_OPTIONS.has(option) ? resolve(dirname(path), value) : value
    } else if (typeof value === 'boolean') {
      out[option] = value
    } else if (Array.isArray(value)) {
      out[option] = value.map(String)
    } else if (typeof value === 'number') {
      out[option] = String(value)
    }
  }
  return { values: out, profileSecret }
}

export interface ClientContext {
  config: Configuration
  DPoP: DPoPHandle | undefined
  /** Every secret value known to this run, to scrub from anything written to stderr. */
  secrets: string[]
}

/** Builds the Configuration (discovering the server unless endpoints are given) and the DPoP handle. */
export async function clientContext(
  values: Values,
  term: Terminal,
  profileSecret: string | undefined,
  env: NodeJS.ProcessEnv,
  defaultClientId?: string,
): Promise<ClientContext> {
  if (values['client-secret'] !== undefined) {
    throw new UsageError(
      '--client-secret is not accepted: a secret on the command line is visible to every user of the machine (ps, shell history)',
      'use --client-secret-file <file>, the GRANTLINE_CLIENT_SECRET environment variable, or type it at the prompt',
    )
  }
  const clientId = str(values, 'client-id') ?? defaultClientId
  if (clientId === undefined)
    throw new UsageError('--client-id is required', 'or set "client-id" in a profile')

  const timeout = timeoutOf(values)
  const certFile = str(values, 'cert')
  const keyFile = str(values, 'key')
  if ((certFile === undefined) !== (keyFile === undefined))
    throw new UsageError('--cert and --key go together')
  const privateKeyFile = str(values, 'private-key')

  let method = str(values, 'auth')
  const secretGiven =
    str(values, 'client-secret-file') !== undefined ||
    env['GRANTLINE_CLIENT_SECRET'] !== undefined ||
    profileSecret !== undefined
  if (method === undefined) {
    method = privateKeyFile
      ? 'private_key_jwt'
      : certFile
        ? 'tls_client_auth'
        : secretGiven
          ? 'client_secret_basic'
          : 'none'
  }
  if (!(AUTH_METHODS as readonly string[]).includes(method)) {
    throw new UsageError(`--auth: unknown method "${method}"`, `one of ${AUTH_METHODS.join(', ')}`)
  }

  const secrets: string[] = []
  let secret: string | undefined
  if (SECRET_METHODS.has(method)) {
    secret = await readSecret(values, env, profileSecret, term, clientId)
    secrets.push(secret)
  }

  let auth: ClientAuth
  switch (method) {
    case 'client_secret_basic':
      auth = ClientSecretBasic(secret)
      break
    case 'client_secret_post':
      auth = ClientSecretPost(secret)
      break
    case 'client_secret_jwt':
      auth = ClientSecretJwt(secret)
      break
    case 'private_key_jwt': {
      if (privateKeyFile === undefined)
        throw new UsageError('--auth private_key_jwt needs --private-key <jwk-or-pem-file>')
      const loaded = await loadPrivateKey(privateKeyFile, '--private-key', str(values, 'alg'))
      const kid = str(values, 'kid') ?? loaded.kid
      auth = PrivateKeyJwt(kid === undefined ? { key: loaded.privateKey } : { key: loaded.privateKey, kid })
      break
    }
    case 'tls_client_auth':
    case 'self_signed_tls_client_auth':
      if (certFile === undefined) throw new UsageError(`--auth ${method} needs --cert <pem> and --key <pem>`)
      auth = TlsClientAuth()
      break
    default:
      auth = None()
  }

  // The transport: a client certificate (grantline's own fast path), wrapped by the trace when --verbose.
  let fetchImpl: CustomFetch | undefined
  const caFile = str(values, 'ca')
  if (certFile !== undefined && keyFile !== undefined) {
    fetchImpl = mtlsFetch({
      cert: readFile(certFile, '--cert'),
      key: readFile(keyFile, '--key'),
      ...(caFile ? { ca: readFile(caFile, '--ca') } : {}),
    })
  } else if (caFile !== undefined) {
    throw new UsageError(
      '--ca is used with --cert/--key',
      'for a server certificate alone, set NODE_EXTRA_CA_CERTS=<file>',
    )
  }
  if (flag(values, 'verbose')) fetchImpl = tracingFetch(fetchImpl, term, secrets)

  const metadata: Partial<ClientMetadata> & Record<string, unknown> = {}
  if (secret !== undefined) metadata['client_secret'] = secret
  if (certFile !== undefined) {
    metadata['use_mtls_endpoint_aliases'] = true
    metadata['tls_client_certificate_bound_access_tokens'] = true
  }

  const insecure = flag(values, 'insecure')
  const execute: Array<(config: Configuration) => void> = insecure ? [allowInsecureRequests] : []
  const explicit = explicitMetadata(values)
  let config: Configuration
  if (explicit !== undefined) {
    config = new Configuration(explicit, clientId, metadata, auth)
    for (const fn of execute) fn(config)
    if (fetchImpl) config[customFetch] = fetchImpl
  } else {
    const issuer = str(values, 'issuer')
    if (issuer === undefined) {
      throw new UsageError(
        '--issuer is required (or explicit endpoints such as --token-endpoint)',
        'or set "issuer" in a profile',
      )
    }
    config = await discovery(urlOf(issuer, '--issuer'), clientId, metadata, auth, {
      execute,
      ...(timeout !== undefined ? { timeout } : {}),
      ...(fetchImpl ? { [customFetch]: fetchImpl } : {}),
    })
  }
  if (timeout !== undefined) config.timeout = timeout

  let DPoP: DPoPHandle | undefined
  const dpopKey = str(values, 'dpop-key')
  if (dpopKey !== undefined) {
    const loaded = await loadPrivateKey(dpopKey, '--dpop-key', str(values, 'alg'))
    DPoP = getDPoPHandle(config, { privateKey: loaded.privateKey, publicKey: loaded.publicKey })
  } else if (flag(values, 'dpop')) {
    DPoP = getDPoPHandle(config, await randomDPoPKeyPair('ES256'))
  }
  return { config, DPoP, secrets }
}

function timeoutOf(values: Values): number | undefined {
  const raw = str(values, 'timeout')
  if (raw === undefined) return undefined
  const seconds = Number(raw)
  if (!/^\d+(\.\d+)?$/.test(raw) || !Number.isFinite(seconds)) {
    throw new UsageError(`--timeout expects seconds (a number), got "${raw}"`)
  }
  return seconds
}

/** Server metadata from explicit endpoint flags, or undefined when none is given (then: discovery). */
function explicitMetadata(values: Values): ServerMetadata | undefined {
  const endpoints: Record<string, string | undefined> = {
    token_endpoint: str(values, 'token-endpoint'),
    introspection_endpoint: str(values, 'introspection-endpoint'),
    revocation_endpoint: str(values, 'revocation-endpoint'),
    userinfo_endpoint: str(values, 'userinfo-endpoint'),
    device_authorization_endpoint: str(values, 'device-authorization-endpoint'),
    authorization_endpoint: str(values, 'authorization-endpoint'),
    jwks_uri: str(values, 'jwks-uri'),
  }
  const given = Object.entries(endpoints).filter((entry): entry is [string, string] => entry[1] !== undefined)
  if (given.length === 0) return undefined
  for (const [name, value] of given) urlOf(value, `--${name.replace(/_/g, '-').replace('-uri', '-uri')}`)
  const issuer = str(values, 'issuer') ?? new URL(given[0]![1]).origin
  return { issuer, ...Object.fromEntries(given) } as ServerMetadata
}

export function urlOf(value: string, flagName: string): URL {
  try {
    return new URL(value)
  } catch {
    throw new UsageError(`${flagName}: "${value}" is not a URL`)
  }
}

function readFile(path: string, flagName: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (err) {
    throw new UsageError(
      `${flagName}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    )
  }
}

/** The client secret: --client-secret-file, $GRANTLINE_CLIENT_SECRET, the profile, or a prompt on a terminal. */
async function readSecret(
  values: Values,
  env: NodeJS.ProcessEnv,
  profileSecret: string | undefined,
  term: Terminal,
  clientId: string,
): Promise<string> {
  const file = str(values, 'client-secret-file')
  let secret: string | undefined
  if (file !== undefined) secret = readFile(file, '--client-secret-file').replace(/\r?\n$/, '')
  else if (env['GRANTLINE_CLIENT_SECRET'] !== undefined) secret = env['GRANTLINE_CLIENT_SECRET']
  else if (profileSecret !== undefined) secret = profileSecret
  else if (term.stdinIsTTY && term.stderrIsTTY) secret = await promptHidden(`client secret for ${clientId}: `)
  else {
    throw new UsageError(
      'this authentication method needs the client secret',
      'use --client-secret-file <file> or GRANTLINE_CLIENT_SECRET (no terminal to prompt on)',
    )
  }
  if (secret.length === 0) throw new UsageError('the client secret is empty')
  return secret
}

/** Reads a line from the terminal without echoing it. */
function promptHidden(question: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true })
    process.stderr.write(question)
    // Nothing typed is echoed: readline writes through this method.
    ;(rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => undefined
    rl.once('line', (line) => {
      process.stderr.write('\n')
      rl.close()
      resolvePromise(line)
    })
    rl.once('SIGINT', () => {
      rl.close()
      reject(new UsageError('cancelled'))
    })
  })
}

/** A fetch that writes each request and response to stderr, credentials redacted. */
function tracingFetch(inner: CustomFetch | undefined, term: Terminal, secrets: string[]): CustomFetch {
  return async (url, init) => {
    const log = (line: string) => term.err(line, secrets)
    log(`> ${init.method} ${url}`)
    for (const [name, value] of Object.entries(init.headers ?? {}))
      log(`> ${name}: ${redactHeader(name, value)}`)
    const body = init.body
    if (body instanceof URLSearchParams) log(`> ${redactForm(body)}`)
    else if (typeof body === 'string' && body.length > 0) {
      log(`> ${redactBody(body, (init.headers ?? {})['content-type'] ?? null)}`)
    }
    const started = performance.now()
    const response = await (inner ?? (globalThis.fetch as unknown as CustomFetch))(url, init)
    log(`< ${response.status} ${response.statusText} (${Math.round(performance.now() - started)} ms)`)
    response.headers.forEach((value, name) => log(`< ${name}: ${redactHeader(name, value)}`))
    try {
      const text = await response.clone().text()
      if (text.length > 0) log(`< ${redactBody(text, response.headers.get('content-type'))}`)
    } catch {
      log('< (body unreadable)')
    }
    log('')
    return response
  }
}
