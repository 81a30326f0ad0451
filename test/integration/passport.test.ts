// grantline/passport end to end: a real express application with the real passport, signing users in at the
// embedded authorization server (oidc-provider). The test is the browser: it follows the app's redirect, fills in
// the server's login and consent forms (test/support/login.ts), and brings the callback back to the app with the
// app's session cookie.

import { randomUUID } from 'node:crypto'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import * as oc from 'openid-client'
import { Strategy as OcStrategy, type VerifyFunction as OcVerifyFunction } from 'openid-client/passport'
import { Passport } from 'passport'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as gl from '../../src/index.js'
import {
  Strategy,
  type AuthenticateOptions,
  type VerifyFunction,
  type VerifyFunctionWithRequest,
} from '../../src/passport/index.js'
import { DEMO_ACCOUNT, DENIED_DESCRIPTION, completeLogin } from '../support/login.js'
import { configFor, startAuthorizationServer, type AuthorizationServer } from '../support/provider.js'

let server: AuthorizationServer
let app: Server
let appOrigin: string
/** What the last verify function was called with. */
let verified: { req?: boolean; claims?: unknown; token_type?: string; userinfo?: unknown } = {}

/** A tiny in-memory session middleware with what passport's session manager needs (regenerate, save). */
function sessions(): express.RequestHandler {
  const store = new Map<string, Record<string, unknown>>()
  return (req, res, next) => {
    const attach = (id: string, fresh: boolean) => {
      if (fresh) res.append('set-cookie', `sid=${id}; Path=/; HttpOnly`)
      let data = store.get(id)
      if (data === undefined) store.set(id, (data = {}))
      Object.defineProperties(data, {
        regenerate: {
          configurable: true,
          value: (done: (err?: unknown) => void) => {
            store.delete(id)
            attach(randomUUID(), true)
            done()
          },
        },
        save: { configurable: true, value: (done?: (err?: unknown) => void) => done?.() },
      })
      ;(req as unknown as { session: unknown }).session = data
    }
    const sid = /(?:^|;\s*)sid=([^;]+)/.exec(req.headers.cookie ?? '')?.[1]
    if (sid !== undefined && store.has(sid)) attach(sid, false)
    else attach(randomUUID(), true)
    next()
  }
}

/** A strategy subclass that asks for form_post, to exercise the POST callback. */
class FormPostStrategy extends Strategy {
  override authorizationRequestParams<T extends AuthenticateOptions>(req: express.Request, options: T) {
    const params = new URLSearchParams(super.authorizationRequestParams(req, options))
    params.set('response_mode', 'form_post')
    return params
  }
}

beforeAll(async () => {
  // The app listens first: its callback URLs are registered with the server.
  const application = express()
  app = application.listen(0, '127.0.0.1')
  await new Promise<void>((resolve) => app.once('listening', () => resolve()))
  appOrigin = `http://127.0.0.1:${(app.address() as AddressInfo).port}`
  server = await startAuthorizationServer()
  const redirect_uris = [
    '/cb',
    '/cb-req',
    '/cb-form',
    '/cb-form-parsed',
    '/cb-par',
    '/cb-dpop',
    '/cb-oc',
  ].map((path) => `${appOrigin}${path}`)
  await server.registerClient({ client_id: 'passport-app', redirect_uris })
  await server.registerClient({
    client_id: 'passport-dpop',
    token_endpoint_auth_method: 'none',
    dpop_bound_access_tokens: true,
    redirect_uris,
  })
  const config = configFor(server, 'passport-app', gl.ClientSecretBasic())
  const publicConfig = configFor(server, 'passport-dpop')
  const dpopHandle = gl.getDPoPHandle(publicConfig, await gl.randomDPoPKeyPair())

  const verify: VerifyFunction = (tokens, done) => {
    void (async () => {
      const claims = tokens.claims()!
      const userinfo = await gl.fetchUserInfo(config, tokens.access_token, claims.sub)
      verified = { req: false, claims, token_type: tokens.token_type, userinfo }
      done(null, { sub: claims.sub, email: userinfo.email })
    })().catch(done)
  }
  const verifyWithRequest: VerifyFunctionWithRequest = (req, tokens, done) => {
    verified = { req: typeof req.get === 'function', claims: tokens.claims(), token_type: tokens.token_type }
    done(null, { sub: tokens.claims()!.sub })
  }

  const passport = new Passport()
  const scope = 'openid email'
  passport.use('plain', new Strategy({ config, scope, callbackURL: `${appOrigin}/cb` }, verify))
  // The same application code on openid-client 6.9.0: only the imports differ.
  const ocConfig = new oc.Configuration(
    server.metadata as oc.ServerMetadata,
    'passport-app',
    server.clients['passport-app']!.clientSecret,
    oc.ClientSecretBasic(),
  )
  oc.allowInsecureRequests(ocConfig)
  const ocVerify: OcVerifyFunction = (tokens, done) => {
    void (async () => {
      const claims = tokens.claims()!
      const userinfo = await oc.fetchUserInfo(ocConfig, tokens.access_token, claims.sub)
      verified = { req: false, claims, token_type: tokens.token_type, userinfo }
      done(null, { sub: claims.sub, email: userinfo.email })
    })().catch(done)
  }
  passport.use('oc', new OcStrategy({ config: ocConfig, scope, callbackURL: `${appOrigin}/cb-oc` }, ocVerify))
  passport.use(
    'with-req',
    new Strategy(
      { config, scope, callbackURL: `${appOrigin}/cb-req`, passReqToCallback: true },
      verifyWithRequest,
    ),
  )
  passport.use('form', new FormPostStrategy({ config, scope, callbackURL: `${appOrigin}/cb-form` }, verify))
  passport.use(
    'form-parsed',
    new FormPostStrategy({ config, scope, callbackURL: `${appOrigin}/cb-form-parsed` }, verify),
  )
  passport.use(
    'par',
    new Strategy({ config, scope, callbackURL: `${appOrigin}/cb-par`, usePAR: true }, verify),
  )
  passport.use(
    'dpop',
    new Strategy(
      { config: publicConfig, scope, callbackURL: `${appOrigin}/cb-dpop`, DPoP: () => dpopHandle },
      (tokens, done) => {
        verified = { claims: tokens.claims(), token_type: tokens.token_type }
        done(null, { sub: tokens.claims()!.sub })
      },
    ),
  )
  passport.serializeUser((user, done) => done(null, JSON.stringify(user)))
  passport.deserializeUser((user: string, done) => done(null, JSON.parse(user)))

  application.use(sessions())
  application.use(passport.initialize())
  application.use(passport.session())
  // The outcome of a callback, for the test to read: a custom callback sees err, user and info as they are.
  const report =
    (name: string): express.RequestHandler =>
    (req, res, next) =>
      passport.authenticate(name, (err: unknown, user: unknown, info: unknown) => {
        if (err) {
          res.status(500).json({ error: String(err), name: (err as Error).name })
        } else if (!user) {
          res.status(401).json({ info })
        } else {
          req.logIn(user as Express.User, (loginErr) =>
            loginErr ? next(loginErr) : res.json({ user, session: 'logged in' }),
          )
        }
      })(req, res, next)
  for (const name of ['plain', 'with-req', 'par', 'dpop', 'oc']) {
    application.get(`/login-${name}`, passport.authenticate(name, { prompt: 'consent' }))
  }
  application.get('/login-form', passport.authenticate('form'))
  application.get('/login-form-parsed', passport.authenticate('form-parsed'))
  const perRequest: AuthenticateOptions = { scope: ['openid', 'profile'], loginHint: 'alice' }
  application.get('/login-options', passport.authenticate('plain', perRequest))
  application.get('/cb', report('plain'))
  application.get('/cb-oc', report('oc'))
  application.get('/cb-req', report('with-req'))
  application.get('/cb-par', report('par'))
  application.get('/cb-dpop', report('dpop'))
  application.post('/cb-form', report('form'))
  application.post('/cb-form-parsed', express.urlencoded({ extended: false }), report('form-parsed'))
  application.get('/me', (req, res) => res.json({ user: req.user ?? null }))
})

afterAll(async () => {
  await new Promise<void>((resolve) => {
    app?.close(() => resolve())
    app?.closeAllConnections()
  })
  await server?.close()
})

/** The app's side of a browser: one session cookie. */
class Browser {
  private cookie = ''

  async get(path: string | URL): Promise<Response> {
    return this.send(new URL(path, appOrigin), { method: 'GET' })
  }

  /** Replays the form_post the server's page would submit, with this browser's cookie. */
  async post(request: Request): Promise<Response> {
    return this.send(new URL(request.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: await request.text(),
    })
  }

  private async send(url: URL, init: RequestInit): Promise<Response> {
    const headers = new Headers(init.headers)
    if (this.cookie) headers.set('cookie', this.cookie)
    const response = await fetch(url, { ...init, headers, redirect: 'manual' })
    const sid = response.headers
      .getSetCookie()
      .map((c) => /^sid=([^;]+)/.exec(c)?.[1])
      .find(Boolean)
    if (sid) this.cookie = `sid=${sid}`
    return response
  }

  /** GET the app's login route; the Location of its redirect to the authorization server. */
  async startLogin(path: string): Promise<URL> {
    const response = await this.get(path)
    expect(response.status).toBe(302)
    return new URL(response.headers.get('location')!)
  }
}

describe('grantline/passport with express and passport', () => {
  it('signs alice in: redirect with PKCE, login and consent, callback, verify with tokens and UserInfo, session', async () => {
    const browser = new Browser()
    const authorize = await browser.startLogin('/login-plain')
    expect(authorize.origin + authorize.pathname).toBe(server.metadata['authorization_endpoint'])
    const query = Object.fromEntries(authorize.searchParams)
    expect(query).toMatchObject({
      client_id: 'passport-app',
      response_type: 'code',
      scope: 'openid email',
      prompt: 'consent',
      redirect_uri: `${appOrigin}/cb`,
      code_challenge_method: 'S256',
    })
    expect(query['code_challenge']).toMatch(/^[\w-]{43}$/)
    // The server supports PKCE, so no state is needed (as openid-client decides).
    expect(query['state']).toBeUndefined()

    const callback = await completeLogin(authorize)
    expect(callback).toBeInstanceOf(URL)
    expect((callback as URL).pathname).toBe('/cb')
    const done = await browser.get(callback as URL)
    expect(done.status).toBe(200)
    expect(await done.json()).toEqual({
      user: { sub: DEMO_ACCOUNT, email: 'alice@example.test' },
      session: 'logged in',
    })
    expect(verified).toMatchObject({
      req: false,
      token_type: 'bearer',
      claims: { sub: DEMO_ACCOUNT, aud: 'passport-app', iss: server.issuer },
      userinfo: { sub: DEMO_ACCOUNT, email: 'alice@example.test' },
    })
    // passport's session now holds the user
    expect(await (await browser.get('/me')).json()).toEqual({
      user: { sub: DEMO_ACCOUNT, email: 'alice@example.test' },
    })

    // The pending request was used up: the same callback again fails authentication.
    const replay = await browser.get(callback as URL)
    expect(replay.status).toBe(401)
    expect(await replay.json()).toEqual({ info: { message: 'Unable to verify authorization request state' } })
  })

  it('the same app on openid-client/passport: the same redirect, user, tokens and session', async () => {
    const outcomes = []
    for (const name of ['plain', 'oc']) {
      const browser = new Browser()
      const authorize = await browser.startLogin(`/login-${name}`)
      const params = [...authorize.searchParams.keys()].sort()
      const callback = (await completeLogin(authorize)) as URL
      const body = await (await browser.get(callback)).json()
      const { claims, ...rest } = verified as { claims: Record<string, unknown> }
      outcomes.push({
        params,
        body,
        verified: rest,
        claims: Object.keys(claims).sort(),
        me: await (await browser.get('/me')).json(),
        replay: await (await browser.get(callback)).json(),
      })
    }
    expect(outcomes[0]).toEqual(outcomes[1])
  })

  it('a denied consent fails authentication with the error callback’s parameters', async () => {
    const browser = new Browser()
    const callback = (await completeLogin(await browser.startLogin('/login-plain'), {
      consent: 'deny',
    })) as URL
    expect(callback.searchParams.get('error')).toBe('access_denied')
    const response = await browser.get(callback)
    expect(response.status).toBe(401)
    const { info } = (await response.json()) as { info: Record<string, string> }
    expect(info).toMatchObject({
      message: DENIED_DESCRIPTION,
      error: 'access_denied',
      error_description: DENIED_DESCRIPTION,
      iss: server.issuer,
    })
  })

  it('a callback in another browser (no pending request in its session) fails', async () => {
    const callback = (await completeLogin(await new Browser().startLogin('/login-plain'))) as URL
    const response = await new Browser().get(callback)
    expect(response.status).toBe(401)
    expect(await response.json()).toEqual({
      info: { message: 'Unable to verify authorization request state' },
    })
  })

  it('a tampered code is an error for passport’s error handling, not a user', async () => {
    const browser = new Browser()
    const callback = (await completeLogin(await browser.startLogin('/login-plain'))) as URL
    callback.searchParams.set('code', 'forged-code')
    const response = await browser.get(callback)
    expect(response.status).toBe(500)
    expect(await response.json()).toMatchObject({ name: 'ResponseBodyError' })
  })

  it('passReqToCallback: verify receives the request first', async () => {
    const browser = new Browser()
    const callback = await completeLogin(await browser.startLogin('/login-with-req'))
    const response = await browser.get(callback as URL)
    expect(await response.json()).toMatchObject({ user: { sub: DEMO_ACCOUNT } })
    expect(verified).toMatchObject({ req: true, claims: { sub: DEMO_ACCOUNT } })
  })

  it('authenticate options become authorization request parameters (scope array, login_hint)', async () => {
    const authorize = await new Browser().startLogin('/login-options')
    expect(authorize.searchParams.get('scope')).toBe('openid profile')
    expect(authorize.searchParams.get('login_hint')).toBe('alice')
  })

  it('form_post: the POST callback is read from the request stream', async () => {
    const browser = new Browser()
    const authorize = await browser.startLogin('/login-form')
    expect(authorize.searchParams.get('response_mode')).toBe('form_post')
    const request = await completeLogin(authorize)
    expect(request).toBeInstanceOf(Request)
    const response = await browser.post(request as Request)
    expect(await response.json()).toMatchObject({ user: { sub: DEMO_ACCOUNT } })
  })

  it('form_post behind express.urlencoded(): the form is rebuilt from req.body (D84)', async () => {
    const browser = new Browser()
    const request = await completeLogin(await browser.startLogin('/login-form-parsed'))
    const response = await browser.post(request as Request)
    expect(await response.json()).toMatchObject({ user: { sub: DEMO_ACCOUNT } })
  })

  it('usePAR: the browser is sent with a request_uri only, and signs in', async () => {
    const browser = new Browser()
    const authorize = await browser.startLogin('/login-par')
    expect([...authorize.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri'])
    expect(authorize.searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/)
    const response = await browser.get((await completeLogin(authorize)) as URL)
    expect(await response.json()).toMatchObject({ user: { sub: DEMO_ACCOUNT } })
  })

  it('DPoP: dpop_jkt in the authorization request, DPoP-bound tokens from the code exchange', async () => {
    const browser = new Browser()
    const authorize = await browser.startLogin('/login-dpop')
    expect(authorize.searchParams.get('dpop_jkt')).toMatch(/^[\w-]{43}$/)
    const response = await browser.get((await completeLogin(authorize)) as URL)
    expect(await response.json()).toMatchObject({ user: { sub: DEMO_ACCOUNT } })
    expect(verified).toMatchObject({ token_type: 'dpop', claims: { sub: DEMO_ACCOUNT } })
  })
})
