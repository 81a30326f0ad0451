// `login`: the authorization code grant with PKCE (RFC 7636) through a loopback redirect (RFC 8252 §7.3): a
// one-shot HTTP server on 127.0.0.1 and a random port receives the redirect; the URL is printed on stderr and
// opened in a browser when one is available. PAR (--par), a signed request object (--jar <key>) and JARM
// (--jarm) through the library's own functions.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  authorizationCodeGrant,
  buildAuthorizationUrl,
  buildAuthorizationUrlWithJAR,
  buildAuthorizationUrlWithPAR,
  calculatePKCECodeChallenge,
  randomNonce,
  randomPKCECodeVerifier,
  randomState,
  useJwtResponseMode,
} from '../../node/index.js'
import { flag, list, pairs, str } from '../args.js'
import { UsageError } from '../exit-codes.js'
import { loadPrivateKey } from '../keys.js'
import { openBrowser } from './device.js'
import { dpop, type Invocation } from './types.js'

/** Upper bound of a form_post callback body. */
const MAX_BODY = 64 * 1024

export async function login({ values, positionals, client, term }: Invocation) {
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`)
  const portText = str(values, 'port') ?? '0'
  const port = Number(portText)
  if (!/^\d+$/.test(portText) || port > 65535)
    throw new UsageError(`--port expects a port number, got "${portText}"`)
  const path = str(values, 'redirect-path') ?? '/callback'
  if (!path.startsWith('/')) throw new UsageError('--redirect-path must start with "/"')
  const waitText = str(values, 'wait') ?? '300'
  const waitSeconds = Number(waitText)
  if (!/^\d+$/.test(waitText) || waitSeconds === 0)
    throw new UsageError(`--wait expects seconds, got "${waitText}"`)
  const jarKey = str(values, 'jar')
  const signing = jarKey === undefined ? undefined : await loadPrivateKey(jarKey, '--jar', str(values, 'alg'))
  if (flag(values, 'jarm')) useJwtResponseMode(client.config)

  // Listen first: the redirect URI carries the port.
  const callbacks: Array<(req: IncomingMessage, res: ServerResponse) => void> = []
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    if (url.pathname !== path) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found')
      return
    }
    const handle = callbacks.shift()
    if (!handle) {
      res.writeHead(409, { 'content-type': 'text/plain' }).end('this login is already complete')
      return
    }
    handle(req, res)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new UsageError(`cannot listen on 127.0.0.1:${port} (${err.code ?? err.message})`)),
    )
    server.listen(port, '127.0.0.1', () => resolve())
  })
  try {
    const redirectUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`
    const scopes = list(values, 'scope')
    const scope = scopes.length ? scopes.join(' ') : 'openid'
    const pkceCodeVerifier = randomPKCECodeVerifier()
    const state = randomState()
    const nonce = scope.split(' ').includes('openid') ? randomNonce() : undefined
    const parameters: Record<string, string> = {
      ...(Object.fromEntries(
        Object.entries(pairs(list(values, 'param'), '-p/--param')).map(([k, v]) => [
          k,
          Array.isArray(v) ? v.join(' ') : v,
        ]),
      ) as Record<string, string>),
      redirect_uri: redirectUri,
      scope,
      code_challenge: await calculatePKCECodeChallenge(pkceCodeVerifier),
      code_challenge_method: 'S256',
      state,
      ...(nonce ? { nonce } : {}),
    }
    const prompt = str(values, 'prompt')
    if (prompt !== undefined) parameters['prompt'] = prompt
    const resources = list(values, 'resource')
    if (resources.length) parameters['resource'] = resources[0]!

    const url = flag(values, 'par')
      ? await buildAuthorizationUrlWithPAR(client.config, parameters, dpop(client))
      : signing
        ? await buildAuthorizationUrlWithJAR(
            client.config,
            parameters,
            signing.kid === undefined
              ? { key: signing.privateKey }
              : { key: signing.privateKey, kid: signing.kid },
          )
        : buildAuthorizationUrl(client.config, parameters)

    term.err('Open this URL in a browser to sign in:')
    term.err(`  ${url.href}`)
    if (!flag(values, 'no-open')) {
      if (await openBrowser(url.href)) term.err('(a browser was asked to open it)')
    }
    term.err(`Waiting for the redirect to ${redirectUri} (up to ${waitSeconds} s)`)

    const current = await new Promise<{ input: URL | Request; res: ServerResponse }>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no redirect within ${waitSeconds} s; the login was not completed`)),
        waitSeconds * 1000,
      )
      timer.unref()
      callbacks.push((req, res) => {
        clearTimeout(timer)
        const callbackUrl = new URL(req.url ?? '/', redirectUri)
        if (req.method !== 'POST') {
          resolve({ input: callbackUrl, res })
          return
        }
        // response_mode=form_post: the parameters are in the body.
        const chunks: Buffer[] = []
        let size = 0
        req.on('data', (chunk: Buffer) => {
          size += chunk.length
          if (size > MAX_BODY) req.destroy()
          else chunks.push(chunk)
        })
        req.on('end', () =>
          resolve({
            input: new Request(callbackUrl, {
              method: 'POST',
              headers: { 'content-type': req.headers['content-type'] ?? 'application/x-www-form-urlencoded' },
              body: Buffer.concat(chunks),
            }),
            res,
          }),
        )
      })
    })

    try {
      const tokens = await authorizationCodeGrant(
        client.config,
        current.input,
        { pkceCodeVerifier, expectedState: state, ...(nonce ? { expectedNonce: nonce } : {}) },
        resources.length ? { resource: resources } : undefined,
        dpop(client),
      )
      page(
        current.res,
        200,
        'Signed in',
        'You are signed in. You can close this tab and return to the terminal.',
      )
      return tokens
    } catch (err) {
      page(current.res, 400, 'Sign-in failed', 'The sign-in did not complete; the terminal shows why.')
      throw err
    }
  } finally {
    server.closeAllConnections()
    server.close()
  }
}

function page(res: ServerResponse, status: number, title: string, text: string): void {
  res
    .writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
    .end(`<!doctype html><meta charset="utf-8"><title>${title}</title><h1>${title}</h1><p>${text}</p>`)
}
