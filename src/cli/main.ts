#!/usr/bin/env node
// The grantline command-line client (issue 13): grantline's public API with a terminal in front. Each command
// parses its flags (node:util parseArgs), fills the rest from a profile, builds a Configuration and calls one
// public function; stdout gets the result, stderr everything for people (README "Command line").

import { GLOBAL_OPTIONS, GRANT_OPTIONS, SERVER_OPTIONS, flag, parse, str } from './args.js'
import { applyProfile, clientContext, type ClientContext } from './config.js'
import { EXIT, UsageError, exitCodeOf } from './exit-codes.js'
import { commandHelp, mainHelp } from './help.js'
import { describeTokens, formatResult, outputFormat, processTerminal, type Terminal } from './output.js'
import { describeError } from './errors.js'
import * as grants from './commands/grants.js'
import * as endpoints from './commands/endpoints.js'
import { device } from './commands/device.js'
import { decode } from './commands/decode.js'
import { demo } from './commands/demo.js'
import { login } from './commands/login.js'
import type { Invocation } from './commands/types.js'
import { VERSION } from './version.js'

type Options = Parameters<typeof parse>[2]

interface Command {
  options: Options
  /** Builds a Configuration first. */
  client: boolean
  /** Returns a token endpoint response (so --output token|header|env apply, and --verbose shows claims). */
  tokens: boolean
  run(invocation: Invocation): Promise<unknown>
}

const server = { ...GLOBAL_OPTIONS, ...SERVER_OPTIONS }
const grant = { ...server, ...GRANT_OPTIONS }
const tokenInput = (name: string) =>
  ({
    [name]: { type: 'string' },
    [`${name}-file`]: { type: 'string' },
  }) as Options

const COMMANDS: Record<string, Command> = {
  token: { options: grant, client: true, tokens: true, run: grants.token },
  'client-credentials': { options: grant, client: true, tokens: true, run: grants.clientCredentials },
  exchange: {
    options: {
      ...grant,
      ...tokenInput('subject-token'),
      ...tokenInput('actor-token'),
      'subject-token-type': { type: 'string' },
      'actor-token-type': { type: 'string' },
      'requested-token-type': { type: 'string' },
    },
    client: true,
    tokens: true,
    run: grants.exchange,
  },
  'jwt-bearer': {
    options: {
      ...grant,
      ...tokenInput('assertion'),
      'sign-key': { type: 'string' },
      'sign-kid': { type: 'string' },
      'sign-alg': { type: 'string' },
      iss: { type: 'string' },
      sub: { type: 'string' },
      aud: { type: 'string', multiple: true },
      claim: { type: 'string', multiple: true },
    },
    client: true,
    tokens: true,
    run: grants.jwtBearer,
  },
  'saml2-bearer': {
    options: { ...grant, ...tokenInput('assertion'), encoded: { type: 'boolean' } },
    client: true,
    tokens: true,
    run: grants.saml2Bearer,
  },
  refresh: {
    options: { ...grant, ...tokenInput('refresh-token') },
    client: true,
    tokens: true,
    run: grants.refresh,
  },
  device: { options: { ...grant, open: { type: 'boolean' } }, client: true, tokens: true, run: device },
  login: {
    options: {
      ...grant,
      'no-open': { type: 'boolean' },
      port: { type: 'string' },
      'redirect-path': { type: 'string' },
      prompt: { type: 'string' },
      wait: { type: 'string' },
      par: { type: 'boolean' },
      jar: { type: 'string' },
      jarm: { type: 'boolean' },
    },
    client: true,
    tokens: true,
    run: login,
  },
  introspect: {
    options: { ...server, ...tokenInput('token'), 'token-type-hint': { type: 'string' } },
    client: true,
    tokens: false,
    run: endpoints.introspect,
  },
  revoke: {
    options: { ...server, ...tokenInput('token'), 'token-type-hint': { type: 'string' } },
    client: true,
    tokens: false,
    run: endpoints.revoke,
  },
  userinfo: {
    options: { ...server, ...tokenInput('token'), sub: { type: 'string' } },
    client: true,
    tokens: false,
    run: endpoints.userinfo,
  },
  discover: { options: server, client: true, tokens: false, run: endpoints.discover },
  decode: {
    options: {
      ...GLOBAL_OPTIONS,
      ...tokenInput('token'),
      issuer: { type: 'string' },
      'jwks-uri': { type: 'string' },
      insecure: { type: 'boolean', short: 'k' },
      timeout: { type: 'string' },
      'no-verify': { type: 'boolean' },
    },
    client: false,
    tokens: false,
    run: decode,
  },
  demo: {
    options: {
      ...GLOBAL_OPTIONS,
      mtls: { type: 'boolean' },
      'require-dpop-nonce': { type: 'boolean' },
      dir: { type: 'string' },
    },
    client: false,
    tokens: false,
    run: demo,
  },
}

/** Runs one command line; returns the exit code. */
async function main(argv: string[], term: Terminal, env: NodeJS.ProcessEnv, cwd: string): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined
    const text = topic !== undefined && COMMANDS[topic] ? commandHelp(topic) : mainHelp(VERSION)
    // Without a command the help is a usage error's explanation: stderr, exit 2.
    if (name === undefined) {
      process.stderr.write(text)
      return EXIT.USAGE
    }
    term.out(text)
    return EXIT.OK
  }
  if (name === '--version' || name === '-V') {
    term.out(VERSION)
    return EXIT.OK
  }
  const command = COMMANDS[name]
  let secrets: string[] = []
  try {
    if (!command) {
      throw new UsageError(
        `unknown command "${name}"`,
        `commands: ${Object.keys(COMMANDS).join(', ')}; see grantline --help`,
      )
    }
    const parsed = parse(name, rest, command.options)
    if (flag(parsed.values, 'help')) {
      term.out(commandHelp(name))
      return EXIT.OK
    }
    const { values, profileSecret } = applyProfile(parsed.values, command.options, env, cwd)
    if (profileSecret) secrets.push(profileSecret)
    const format = name === 'demo' ? 'json' : outputFormat(str(values, 'output'), command.tokens)
    let client: ClientContext | undefined
    if (command.client) {
      client = await clientContext(
        values,
        term,
        profileSecret,
        env,
        name === 'discover' ? 'grantline' : undefined,
      )
      secrets = [...secrets, ...client.secrets]
    }
    const result = await command.run({
      values,
      positionals: parsed.positionals,
      client: client as ClientContext,
      term,
      env,
      cwd,
    })
    if (result === undefined) return EXIT.OK
    if (command.tokens && flag(values, 'verbose'))
      describeTokens(result as Record<string, unknown>, term, secrets)
    term.out(formatResult(result, format))
    if (name === 'decode' && (result as { verified?: unknown }).verified === false)
      return EXIT.INVALID_RESPONSE
    return EXIT.OK
  } catch (err) {
    const code = exitCodeOf(err)
    for (const line of describeError(err, code)) term.err(line, secrets)
    return code
  }
}

main(process.argv.slice(2), processTerminal(), process.env, process.cwd()).then(
  (code) => {
    // Keep-alive sockets and stdin readers must not hold the process open once the result is written.
    process.stdout.write('', () => process.exit(code))
  },
  (err: unknown) => {
    process.stderr.write(`grantline: ${(err as Error)?.message ?? String(err)}\n`)
    process.exit(EXIT.OTHER)
  },
)
