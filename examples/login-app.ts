// A web application that signs users in with grantline (authorization code + PKCE, state and nonce bound to a
// cookie session), shows who signed in, and signs them out again (RP-Initiated Logout). Plain node:http and
// grantline's public API, nothing else.
//
// Run: npm run demo:login   (or: npx tsx examples/login-app.ts)
// It starts the embedded authorization server and this app, prints the URL to open, and stays up until Ctrl-C.
// Sign in as alice / wonderland (demo/accounts.ts).
//
// Routes:
//   GET /            the signed-in user's claims, or a "Sign in" link (and the last sign-in error, if any)
//   GET /login       redirects to the authorization server (PKCE S256, state, nonce)
//   GET /login?response_mode=form_post   the same, the server POSTs the response back
//   GET|POST /callback  completes the code grant, fetches UserInfo, redirects to /
//   GET /logout      ends the app session and redirects to the server's end_session_endpoint
//   GET /signed-out  where the server sends the user back after signing out

import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import {
  AuthorizationResponseError,
  ClientSecretBasic,
  allowInsecureRequests,
  authorizationCodeGrant,
  buildAuthorizationUrl,
  buildEndSessionUrl,
  calculatePKCECodeChallenge,
  discovery,
  fetchUserInfo,
  isClientError,
  randomNonce,
  randomPKCECodeVerifier,
  randomState,
  type Configuration,
} from 'grantline'

/** The client the app acts as. */
export interface LoginAppClient {
  clientId: string
  clientSecret: string
}

/** The URIs the app serves, for registering its client. */
export interface LoginAppUris {
  /** `http://127.0.0.1:<port>` */
  origin: string
  redirectUri: string
  postLogoutRedirectUri: string
}

export interface LoginAppOptions {
  /** The authorization server's issuer identifier; the app reads its discovery document. */
  issuer: string | URL
  /**
   * The app's client, or a function that registers one once the app's port (hence its redirect URI) is known.
   * The client authenticates with client_secret_basic.
   */
  client: LoginAppClient | ((uris: LoginAppUris) => Promise<LoginAppClient>)
  /** Port on 127.0.0.1; default 0 (any free port). */
  port?: number
  /** Scope asked for; default `openid email profile`. */
  scope?: string
}

export interface LoginApp extends LoginAppUris {
  /** The Configuration the app uses (discovered from the issuer). */
  readonly config: Configuration
  close(): Promise<void>
}

/** Name of the app's session cookie (the server's own cookies share the 127.0.0.1 host). */
const SESSION_COOKIE = 'login_app_session'
const DEFAULT_SCOPE = 'openid email profile'
/** A sign-in that does not come back within this time is forgotten. */
const PENDING_TTL_MS = 10 * 60 * 1000
/** Sessions kept in memory at most (a demo has a handful; a flood of cookieless requests must not grow it). */
const MAX_SESSIONS = 10_000

interface PendingSignIn {
  /** `form_post`: the server POSTs the response to /callback (a cross-origin, same-site form submission). */
  responseMode: 'query' | 'form_post'
  codeVerifier: string
  state: string
  nonce: string
  startedAt: number
}

interface SignedInUser {
  claims: Record<string, unknown>
  userinfo: Record<string, unknown>
  idToken: string | undefined
}

interface Session {
  /** The cookie value that finds this session. */
  id: string
  pending?: PendingSignIn
  user?: SignedInUser
  /** The last sign-in failure, shown once on `/`. */
  error?: { error: string; description: string }
  notice?: string
}

/**
 * Starts the login application on 127.0.0.1.
 *
 * @param options the issuer, the app's client (or a function that registers one), port and scope
 * @returns the app's URIs, its Configuration and `close()`
 * @example
 * ```ts
 * const app = await startLoginApp({
 *   issuer: 'http://127.0.0.1:3000',
 *   client: ({ redirectUri, postLogoutRedirectUri }) => registerMyClient(redirectUri, postLogoutRedirectUri),
 * })
 * console.log(`open ${app.origin}`)
 * ```
 */
export async function startLoginApp(options: LoginAppOptions): Promise<LoginApp> {
  const sessions = new SessionStore()
  const http = createServer()
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject)
    http.listen(options.port ?? 0, '127.0.0.1', () => resolve())
  })
  const close = () =>
    new Promise<void>((resolve) => {
      http.close(() => resolve())
      http.closeAllConnections()
    })

  try {
    const { port } = http.address() as AddressInfo
    const origin = `http://127.0.0.1:${port}`
    const uris: LoginAppUris = {
      origin,
      redirectUri: `${origin}/callback`,
      postLogoutRedirectUri: `${origin}/signed-out`,
    }
    const client = typeof options.client === 'function' ? await options.client(uris) : options.client
    const issuer = new URL(options.issuer)
    const config = await discovery(
      issuer,
      client.clientId,
      undefined,
      ClientSecretBasic(client.clientSecret),
      // The embedded server speaks plain HTTP on 127.0.0.1; a real deployment would not allow this.
      issuer.protocol === 'http:' ? { execute: [allowInsecureRequests] } : undefined,
    )
    const scope = options.scope ?? DEFAULT_SCOPE

    const routes: Record<
      string,
      (req: IncomingMessage, res: ServerResponse, session: Session) => Promise<void>
    > = {
      async '/'(_req, res, session) {
        const { error, notice } = session
        delete session.error
        delete session.notice
        html(res, 200, homePage(session.user, error, notice))
      },

      async '/login'(req, res, session) {
        const codeVerifier = randomPKCECodeVerifier()
        const formPost = new URL(req.url ?? '/', origin).searchParams.get('response_mode') === 'form_post'
        const pending: PendingSignIn = {
          responseMode: formPost ? 'form_post' : 'query',
          codeVerifier,
          state: randomState(),
          nonce: randomNonce(),
          startedAt: Date.now(),
        }
        session.pending = pending
        const url = buildAuthorizationUrl(config, {
          redirect_uri: uris.redirectUri,
          scope,
          code_challenge: await calculatePKCECodeChallenge(codeVerifier),
          code_challenge_method: 'S256',
          state: pending.state,
          nonce: pending.nonce,
          ...(formPost ? { response_mode: 'form_post' } : {}),
        })
        redirect(res, url.href)
      },

      async '/callback'(req, res, session) {
        const pending = session.pending
        // The state, nonce and verifier live in this browser's session only: a callback without them is
        // someone else's (or a replayed) response.
        delete session.pending
        if (!pending || Date.now() - pending.startedAt > PENDING_TTL_MS) {
          session.error = { error: 'no_sign_in', description: 'No sign-in was in progress in this browser.' }
          redirect(res, '/')
          return
        }
        if ((req.method === 'POST') !== (pending.responseMode === 'form_post')) {
          session.error = {
            error: 'unexpected_response_mode',
            description: `The sign-in asked for response_mode=${pending.responseMode}.`,
          }
          redirect(res, '/')
          return
        }
        // form_post: grantline reads the response from the POST body of a Request, as openid-client does.
        const currentUrl =
          req.method === 'POST'
            ? new Request(uris.redirectUri, {
                method: 'POST',
                headers: { 'content-type': req.headers['content-type'] ?? '' },
                body: await readBody(req),
              })
            : new URL(req.url ?? '/', origin)
        try {
          const tokens = await authorizationCodeGrant(config, currentUrl, {
            pkceCodeVerifier: pending.codeVerifier,
            expectedState: pending.state,
            expectedNonce: pending.nonce,
            idTokenExpected: true,
          })
          const claims = tokens.claims()!
          const userinfo = await fetchUserInfo(config, tokens.access_token, claims.sub)
          session.user = {
            claims: { ...claims },
            userinfo: { ...userinfo },
            idToken: tokens.id_token,
          }
          // A new session id once signed in: an id planted before sign-in (session fixation) is worthless.
          sessions.renew(session, res)
        } catch (err) {
          session.error = describe(err)
        }
        redirect(res, '/')
      },

      async '/logout'(_req, res, session) {
        const user = session.user
        delete session.user
        if (!user) {
          redirect(res, '/')
          return
        }
        const url = buildEndSessionUrl(config, {
          post_logout_redirect_uri: uris.postLogoutRedirectUri,
          ...(user.idToken ? { id_token_hint: user.idToken } : {}),
        })
        redirect(res, url.href)
      },

      async '/signed-out'(_req, res, session) {
        session.notice = 'You are signed out.'
        redirect(res, '/')
      },
    }

    http.on('request', (req, res) => {
      const path = new URL(req.url ?? '/', origin).pathname
      const route = Object.hasOwn(routes, path) ? routes[path] : undefined
      if (!route) {
        html(res, 404, page('Not found', '<p><a href="/">Home</a></p>'))
        return
      }
      if (req.method !== 'GET' && !(req.method === 'POST' && path === '/callback')) {
        html(res, 405, page('Method not allowed', ''))
        return
      }
      route(req, res, sessions.of(req, res)).catch((err: unknown) => {
        const { error, description } = describe(err)
        if (!res.headersSent) html(res, 500, page('Error', errorBlock(error, description)))
        else res.destroy()
      })
    })

    return { ...uris, config, close }
  } catch (err) {
    await close()
    throw err
  }
}

/** What a failed sign-in shows: the OAuth error, or grantline's error code (never a token or secret). */
function describe(err: unknown): { error: string; description: string } {
  if (err instanceof AuthorizationResponseError) {
    return { error: err.error, description: err.error_description ?? '' }
  }
  if (isClientError(err)) return { error: err.code ?? err.name, description: err.message }
  if (err instanceof Error) return { error: err.name, description: err.message }
  return { error: 'error', description: 'sign-in failed' }
}

/** In-memory sessions, found by an `HttpOnly`, `SameSite=Lax` cookie; the oldest go beyond MAX_SESSIONS. */
class SessionStore {
  readonly #sessions = new Map<string, Session>()

  /** The browser's session, created on first sight. */
  of(req: IncomingMessage, res: ServerResponse): Session {
    const cookie = (req.headers.cookie ?? '')
      .split(';')
      .map((part) => part.trim().split('='))
      .find(([name]) => name === SESSION_COOKIE)?.[1]
    const known = cookie === undefined ? undefined : this.#sessions.get(cookie)
    if (known) return known
    const session: Session = { id: '' }
    this.#assign(session, res)
    return session
  }

  /** Gives the session a new id (and cookie); the old id finds nothing any more. */
  renew(session: Session, res: ServerResponse): void {
    this.#sessions.delete(session.id)
    this.#assign(session, res)
  }

  #assign(session: Session, res: ServerResponse): void {
    session.id = randomBytes(32).toString('base64url')
    this.#sessions.set(session.id, session)
    if (this.#sessions.size > MAX_SESSIONS) this.#sessions.delete(this.#sessions.keys().next().value!)
    // SameSite=Lax: the form_post POST from the server carries it only because both listen on 127.0.0.1 (one
    // site); an app whose server is on another site needs SameSite=None; Secure for response_mode=form_post.
    res.setHeader('set-cookie', `${SESSION_COOKIE}=${session.id}; Path=/; HttpOnly; SameSite=Lax`)
  }
}

function homePage(
  user: SignedInUser | undefined,
  error: Session['error'],
  notice: string | undefined,
): string {
  const parts: string[] = []
  if (notice) parts.push(`<p id="notice">${escape(notice)}</p>`)
  if (error) parts.push(errorBlock(error.error, error.description))
  if (user) {
    const claims = { ...user.claims, ...user.userinfo }
    parts.push(
      `<p id="greeting">Signed in as <strong>${escape(String(claims['name'] ?? claims['sub']))}</strong>.</p>`,
      '<table id="claims"><thead><tr><th>Claim</th><th>Value</th></tr></thead><tbody>',
      ...Object.entries(claims).map(
        ([name, value]) =>
          `<tr><th scope="row">${escape(name)}</th><td id="claim-${escape(name)}">${escape(
            typeof value === 'string' ? value : JSON.stringify(value),
          )}</td></tr>`,
      ),
      '</tbody></table>',
      '<p><a id="sign-out" href="/logout">Sign out</a></p>',
    )
  } else {
    parts.push(
      '<p>You are not signed in.</p>',
      '<p><a id="sign-in" href="/login">Sign in</a></p>',
      '<p><a id="sign-in-form-post" href="/login?response_mode=form_post">Sign in with response_mode=form_post</a></p>',
    )
  }
  return page('grantline login example', parts.join('\n'))
}

function errorBlock(error: string, description: string): string {
  return `<div id="error" role="alert"><p>Sign-in failed: <code id="error-code">${escape(error)}</code></p>
<p id="error-description">${escape(description)}</p></div>`
}

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>${escape(title)}</title></head>
<body>
<h1>${escape(title)}</h1>
${body}
</body>
</html>
`
}

function html(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(body),
  })
  res.end(body)
}

/** The request body, at most 64 KiB (a form_post response is a few hundred bytes). */
async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > 64 * 1024) throw new RangeError('request body too large')
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(303, { location, 'cache-control': 'no-store', 'content-length': 0 })
  res.end()
}

function escape(value: string): string {
  return value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  )
}

/** The embedded authorization server and the app, wired together: what `npm run demo:login` and tests start. */
export interface LoginDemo {
  server: import('../demo/server.js').AuthorizationServer
  app: LoginApp
  close(): Promise<void>
}

/**
 * Starts the embedded authorization server and the login app, and registers the app's client (`login-app`,
 * client_secret_basic) with the app's callback and post-logout URIs.
 *
 * @param options `port` for the app (default: any free port)
 * @returns both servers and one `close()`
 * @example
 * ```ts
 * const demo = await startLoginDemo()
 * console.log(`open ${demo.app.origin} and sign in as alice / wonderland`)
 * ```
 */
export async function startLoginDemo(options: { port?: number } = {}): Promise<LoginDemo> {
  const { startAuthorizationServer } = await import('../demo/server.js')
  const server = await startAuthorizationServer()
  try {
    const app = await startLoginApp({
      issuer: server.issuer,
      ...(options.port !== undefined ? { port: options.port } : {}),
      client: async ({ redirectUri, postLogoutRedirectUri }) => {
        const client = await server.registerClient({
          client_id: 'login-app',
          client_name: 'grantline login example',
          token_endpoint_auth_method: 'client_secret_basic',
          redirect_uris: [redirectUri],
          post_logout_redirect_uris: [postLogoutRedirectUri],
        })
        return { clientId: client.clientId, clientSecret: client.clientSecret! }
      },
    })
    return {
      server,
      app,
      async close() {
        await app.close()
        await server.close()
      },
    }
  } catch (err) {
    await server.close()
    throw err
  }
}

async function main(): Promise<void> {
  const { DEMO_ACCOUNT, DEMO_PASSWORD } = await import('../demo/server.js')
  const port = process.env['PORT'] ? Number(process.env['PORT']) : undefined
  const demo = await startLoginDemo(port !== undefined ? { port } : {})
  console.log('grantline login example')
  console.log(`  authorization server  ${demo.server.issuer}`)
  console.log(`  open                  ${demo.app.origin}/`)
  console.log(
    `  sign in as            ${DEMO_ACCOUNT} / ${DEMO_PASSWORD}  (Deny on the consent page shows the error)`,
  )
  console.log('  Ctrl-C stops both servers')
  const stop = () => {
    demo.close().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err: unknown) => {
    console.error(err)
    process.exit(1)
  })
}
