// grantline/passport: a Passport strategy for signing users in with OpenID Connect / OAuth 2.0 through grantline,
// with openid-client v6's `Strategy` options and behaviour. It uses only grantline's public API; `passport` and
// `express` are type-only imports (optional peers): nothing of theirs is loaded at runtime.

/**
 * A Passport strategy for signing users in with OpenID Connect / OAuth 2.0 through grantline, with
 * openid-client v6's `Strategy` options and behaviour (`passport` and `express` are optional peers).
 *
 * @module grantline/passport
 */

import type { Request as ExpressRequest } from 'express'
import type passport from 'passport'
import {
  formPostRequest,
  hostOf,
  sessionOf,
  setAuthorizationDetails,
  setResource,
  typeError,
  type StateData,
} from './request.js'
import type {
  AuthenticateOptions,
  StrategyOptions,
  StrategyOptionsBase,
  StrategyOptionsWithRequest,
  VerifyFunction,
  VerifyFunctionWithRequest,
  getDPoPHandle,
} from './types.js'
import {
  AuthorizationResponseError,
  Configuration,
  authorizationCodeGrant,
  buildAuthorizationUrl,
  buildAuthorizationUrlWithJAR,
  buildAuthorizationUrlWithPAR,
  calculatePKCECodeChallenge,
  modifyAssertion,
  randomNonce,
  randomPKCECodeVerifier,
  randomState,
  type AuthorizationCodeGrantChecks,
  type AuthorizationDetails,
} from '../index.js'

export type {
  AuthenticateOptions,
  StrategyOptions,
  StrategyOptionsWithRequest,
  VerifyFunction,
  VerifyFunctionWithRequest,
  getDPoPHandle,
} from './types.js'

/** What Passport adds to a strategy instance for one `authenticate` call. */
interface Actions {
  redirect(url: string): void
  fail(info?: unknown): void
  error(err: unknown): void
  success(user: unknown, info?: unknown): void
}
type Active = Strategy & Actions

/**
 * A Passport strategy that signs users in through an OpenID Connect / OAuth 2.0 authorization server with the
 * authorization code flow and PKCE: the first `passport.authenticate(...)` call redirects to the authorization
 * endpoint (optionally through PAR and/or JAR), the one on the callback route completes the code grant and hands
 * the tokens to `verify`. A denied consent (`access_denied`) fails the authentication; other errors go to
 * Passport's error handling. Needs a session (express-session or similar).
 *
 * @example
 * ```ts
 * import express from 'express'
 * import passport from 'passport'
 * import * as client from 'grantline'
 * import { Strategy, type VerifyFunction } from 'grantline/passport'
 *
 * const app = express()
 * const config = await client.discovery(new URL('https://op.example.com'), 'client-id', 'client-secret')
 * const verify: VerifyFunction = (tokens, verified) => verified(null, tokens.claims())
 * const options = { config, name: 'op', scope: 'openid email', callbackURL: 'https://rp.example.com/cb' }
 * passport.use(new Strategy(options, verify))
 * app.get('/login', passport.authenticate('op'))
 * app.get('/cb', passport.authenticate('op', { successRedirect: '/', failureRedirect: '/login' }))
 * ```
 *
 * @see [D83: argument errors carry a code](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d83)
 * @see [D84: a form_post callback already parsed by express](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d84)
 * @see [D86: passport and express are type-only imports](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d86)
 */
export class Strategy implements passport.Strategy {
  /** The strategy's name, as given to `passport.authenticate`. */
  readonly name: string
  private readonly _config: Configuration
  private readonly _verify: VerifyFunction | VerifyFunctionWithRequest
  private readonly _callbackURL: URL | undefined
  private readonly _sessionKey: string
  private readonly _passReqToCallback: boolean | undefined
  private readonly _usePAR: boolean | undefined
  private readonly _useJAR: StrategyOptionsBase['useJAR']
  private readonly _DPoP: getDPoPHandle | undefined
  private readonly _scope: string | undefined
  private readonly _resource: string | string[] | undefined
  private readonly _authorizationDetails: AuthorizationDetails | AuthorizationDetails[] | undefined

  /**
   * @param options - The client's `config` and how to sign users in with it.
   * @param verify - Turns the tokens of a completed sign-in into the application's user.
   * @example
   * ```ts
   * let config!: client.Configuration
   *
   * const strategy = new Strategy({ config, scope: 'openid email', usePAR: true }, (tokens, verified) =>
   *   verified(null, { sub: tokens.claims()!.sub }),
   * )
   * ```
   */
  constructor(options: StrategyOptions, verify: VerifyFunction)
  constructor(options: StrategyOptionsWithRequest, verify: VerifyFunctionWithRequest)
  constructor(
    options: StrategyOptions | StrategyOptionsWithRequest,
    verify: VerifyFunction | VerifyFunctionWithRequest,
  ) {
    if (!(options?.config instanceof Configuration)) {
      throw typeError('"options.config" must be an instance of Configuration')
    }
    if (typeof verify !== 'function') throw typeError('"verify" must be a function')
    const { host } = new URL(options.config.serverMetadata().issuer)
    this.name = options.name ?? host
    this._sessionKey = options.sessionKey ?? host
    this._config = options.config
    this._verify = verify
    this._DPoP = options.DPoP
    this._scope = options.scope
    this._useJAR = options.useJAR
    this._usePAR = options.usePAR
    this._callbackURL = options.callbackURL ? new URL(options.callbackURL) : undefined
    this._passReqToCallback = options.passReqToCallback
    this._resource = options.resource
    this._authorizationDetails = options.authorizationDetails
  }

  /**
   * [Strategy method] The authorization request parameters taken from `passport.authenticate()` options (`scope`,
   * `prompt`, `loginHint`, `idTokenHint`, `resource`, `authorizationDetails`, `callbackURL`). Override it to add
   * your own.
   *
   * @param _req - The request being authenticated (unused here; an override may read it).
   * @param options - The options given to `passport.authenticate()`.
   * @returns The parameters, merged into the authorization request.
   * @example
   * ```ts
   * import type { Request } from 'express'
   * import { Strategy, type AuthenticateOptions } from 'grantline/passport'
   *
   * class MyStrategy extends Strategy {
   *   override authorizationRequestParams(req: Request, options: AuthenticateOptions) {
   *     const params = new URLSearchParams(super.authorizationRequestParams(req, options))
   *     params.set('ui_locales', 'de')
   *     return params
   *   }
   * }
   * ```
   */
  authorizationRequestParams<TOptions extends AuthenticateOptions>(
    _req: ExpressRequest,
    options: TOptions,
  ): URLSearchParams | Record<string, string> | undefined {
    const params = new URLSearchParams()
    const scope = Array.isArray(options?.scope) ? options.scope.join(' ') : options?.scope
    if (typeof scope === 'string' && scope.length !== 0) params.set('scope', scope)
    if (options?.prompt) params.set('prompt', options.prompt)
    if (options?.loginHint) params.set('login_hint', options.loginHint)
    if (options?.idTokenHint) params.set('id_token_hint', options.idTokenHint)
    if (options?.resource) setResource(params, options.resource)
    if (options?.authorizationDetails) setAuthorizationDetails(params, options.authorizationDetails)
    if (options?.callbackURL) params.set('redirect_uri', new URL(options.callbackURL).href)
    return params
  }

  /**
   * [Strategy method] Extra token endpoint parameters for the code grant on the callback: `resource` from the
   * `passport.authenticate()` options. Override it to add your own.
   *
   * @param _req - The callback request (unused here; an override may read it).
   * @param options - The options given to `passport.authenticate()`.
   * @returns The parameters, sent with the authorization code.
   * @example
   * ```ts
   * let strategy!: Strategy
   *
   * strategy.authorizationCodeGrantParameters = () => ({ resource: 'https://api.example.com' })
   * ```
   */
  authorizationCodeGrantParameters<TOptions extends AuthenticateOptions>(
    _req: ExpressRequest,
    options: TOptions,
  ): URLSearchParams | Record<string, string> | undefined {
    const params = new URLSearchParams()
    if (options?.resource) setResource(params, options.resource)
    return params
  }

  /**
   * [Strategy method] The URL of the current request: its query holds the authorization response of a GET
   * callback, and without `callbackURL` it gives the `redirect_uri` of the code grant. Honours `X-Forwarded-Host`
   * when Express's `trust proxy` trusts the peer. Override it when the app sees another URL than the browser.
   *
   * @param req - The request being authenticated.
   * @returns The absolute URL of the request.
   * @example
   * ```ts
   * let strategy!: Strategy
   *
   * strategy.currentUrl = (req) => new URL(req.originalUrl, 'https://rp.example.com')
   * ```
   */
  currentUrl(req: ExpressRequest): URL {
    return new URL(`${req.protocol}://${hostOf(req)}${req.originalUrl ?? req.url}`)
  }

  /**
   * [Strategy method] Whether this request starts a sign-in (a GET without `code`, `error` or `response` in its
   * query) rather than being the authorization server's callback.
   *
   * @param req - The request being authenticated.
   * @param currentUrl - {@link Strategy.currentUrl} of the request.
   * @param _options - The options given to `passport.authenticate()` (unused here; an override may read them).
   * @returns True to redirect to the authorization server.
   * @example
   * ```ts
   * let strategy!: Strategy
   *
   * strategy.shouldInitiateAuthRequest = (req, url) => req.method === 'GET' && url.pathname === '/login'
   * ```
   */
  shouldInitiateAuthRequest<TOptions extends AuthenticateOptions>(
    req: ExpressRequest,
    currentUrl: URL,
    _options: TOptions,
  ): boolean {
    return (
      req.method === 'GET' &&
      !currentUrl.searchParams.has('code') &&
      !currentUrl.searchParams.has('error') &&
      !currentUrl.searchParams.has('response')
    )
  }

  /**
   * [Passport method] Authenticates the request: starts a sign-in or completes one.
   *
   * @param req - The request being authenticated.
   * @param options - The options given to `passport.authenticate()`.
   * @example
   * ```ts
   * import express from 'express'
   * import passport from 'passport'
   *
   * const app = express()
   * // passport calls authenticate() for the strategy registered under that name
   * app.get('/callback', passport.authenticate('op.example.com', { failureRedirect: '/' }), (_req, res) =>
   *   res.redirect('/'),
   * )
   * ```
   */
  authenticate<TOptions extends AuthenticateOptions>(
    this: passport.StrategyCreated<Strategy, Strategy & passport.StrategyCreatedStatic>,
    req: ExpressRequest,
    options: TOptions,
  ): void {
    const self = this as unknown as Active
    if (!(req as { session?: unknown }).session) {
      self.error(
        new Error(
          'OAuth 2.0 authentication requires session support. Did you forget to use express-session middleware?',
        ),
      )
      return
    }
    const currentUrl = self.currentUrl(req)
    // As openid-client: the two steps are this class's own, whatever a subclass overrides.
    if (self.shouldInitiateAuthRequest(req, currentUrl, options)) {
      void Strategy.prototype.authorizationRequest.call(self, req, options)
    } else {
      void Strategy.prototype.authorizationCodeGrant.call(self, req, currentUrl, options)
    }
  }

  /** Redirects to the authorization server, keeping the PKCE verifier (and nonce, state, max_age) in the session. */
  private async authorizationRequest(req: ExpressRequest, options: AuthenticateOptions): Promise<void> {
    const active = this as unknown as Active
    const self = this
    try {
      const config = self._config
      const params = new URLSearchParams(this.authorizationRequestParams(req, options))
      let url = buildAuthorizationUrl(config, params)
      const query = url.searchParams
      if (query.get('response_type')?.includes('id_token')) {
        query.set('nonce', randomNonce())
        if (!query.has('response_mode')) query.set('response_mode', 'form_post')
      }
      const codeVerifier = randomPKCECodeVerifier()
      query.set('code_challenge', await calculatePKCECodeChallenge(codeVerifier))
      query.set('code_challenge_method', 'S256')
      // Without PKCE support at the server, and without a nonce, only `state` protects the callback.
      if (!config.serverMetadata().supportsPKCE() && !query.has('nonce')) query.set('state', randomState())
      if (self._callbackURL && !query.has('redirect_uri')) query.set('redirect_uri', self._callbackURL.href)
      if (self._scope && !query.has('scope')) query.set('scope', self._scope)
      if (self._resource && !query.has('resource')) setResource(query, self._resource)
      if (self._authorizationDetails && !query.has('authorization_details')) {
        setAuthorizationDetails(query, self._authorizationDetails)
      }
      const DPoP = await self._DPoP?.(req)
      if (DPoP && !query.has('dpop_jkt')) query.set('dpop_jkt', await DPoP.calculateThumbprint())

      const stateData: StateData = { code_verifier: codeVerifier }
      const nonce = query.get('nonce')
      if (nonce) stateData.nonce = nonce
      const state = query.get('state')
      if (state) stateData.state = state
      const maxAge = query.get('max_age')
      if (maxAge) stateData.max_age = parseInt(maxAge, 10)
      sessionOf(req)[self._sessionKey] = stateData

      if (self._useJAR) {
        const [key, modify] = Array.isArray(self._useJAR) ? self._useJAR : [self._useJAR, undefined]
        url = await buildAuthorizationUrlWithJAR(
          config,
          url.searchParams,
          key,
          modify ? { [modifyAssertion]: modify } : {},
        )
      }
      if (self._usePAR)
        url = await buildAuthorizationUrlWithPAR(config, url.searchParams, DPoP ? { DPoP } : {})
      active.redirect(url.href)
    } catch (err) {
      active.error(err)
    }
  }

  /** Completes the code grant with the session's pending request and hands the tokens to `verify`. */
  private async authorizationCodeGrant(
    req: ExpressRequest,
    currentUrl: URL,
    options: AuthenticateOptions,
  ): Promise<void> {
    const active = this as unknown as Active
    const self = this
    try {
      const session = sessionOf(req)
      const stateData = session[self._sessionKey]
      // One use only: a replayed callback finds nothing.
      delete session[self._sessionKey]
      if (!stateData?.code_verifier) {
        active.fail({ message: 'Unable to verify authorization request state' })
        return
      }
      const callbackURL = options?.callbackURL ?? self._callbackURL
      if (callbackURL) {
        const url = new URL(callbackURL)
        for (const [name, value] of currentUrl.searchParams) url.searchParams.append(name, value)
        currentUrl = url
      }
      const input = req.method === 'POST' ? formPostRequest(req, currentUrl) : currentUrl

      const checks: AuthorizationCodeGrantChecks = { pkceCodeVerifier: stateData.code_verifier }
      if (stateData.nonce !== undefined) checks.expectedNonce = stateData.nonce
      if (stateData.state !== undefined) checks.expectedState = stateData.state
      if (stateData.max_age !== undefined) checks.maxAge = stateData.max_age
      const DPoP = await self._DPoP?.(req)
      const tokens = await authorizationCodeGrant(
        self._config,
        input,
        checks,
        this.authorizationCodeGrantParameters(req, options),
        DPoP ? { DPoP } : {},
      )
      const verified: passport.AuthenticateCallback = (err, user, info) => {
        if (err) return active.error(err)
        if (!user) return active.fail(info)
        return active.success(user)
      }
      if (options?.passReqToCallback ?? self._passReqToCallback) {
        await (self._verify as VerifyFunctionWithRequest)(req, tokens, verified)
      } else {
        await (self._verify as VerifyFunction)(tokens, verified)
      }
    } catch (err) {
      if (err instanceof AuthorizationResponseError && err.error === 'access_denied') {
        active.fail({
          message: err.error_description || err.error,
          ...Object.fromEntries(err.cause.entries()),
        })
        return
      }
      active.error(err)
    }
  }
}
