// The option and verify-function types of grantline/passport, as openid-client/passport declares them.

import type { Request as ExpressRequest } from 'express'
import type passport from 'passport'
import type {
  AuthorizationDetails,
  Configuration,
  CryptoKey,
  DPoPHandle,
  ModifyAssertionFunction,
  PrivateKey,
  TokenEndpointResponse,
  TokenEndpointResponseHelpers,
} from '../index.js'

/**
 * Called with the token endpoint response of a completed sign-in; calls `verified(err, user, info)` with the
 * result. Async functions are supported: a rejection goes to Passport's error handler, a resolved value is ignored.
 */
export type VerifyFunction = (
  tokens: TokenEndpointResponse & TokenEndpointResponseHelpers,
  verified: passport.AuthenticateCallback,
) => void

/** A `VerifyFunction` that also receives the request (`passReqToCallback: true`). */
export type VerifyFunctionWithRequest = (
  req: ExpressRequest,
  tokens: TokenEndpointResponse & TokenEndpointResponseHelpers,
  verified: passport.AuthenticateCallback,
) => void

/** `passport.authenticate(name, options)` options this strategy reads, per request. */
export interface AuthenticateOptions extends passport.AuthenticateOptions {
  /** RFC 8707 resource indicator(s): for the authorization request, or for the token request on the callback. */
  resource?: string | string[]
  /** `login_hint` of the authorization request. */
  loginHint?: string
  /** `id_token_hint` of the authorization request. */
  idTokenHint?: string
  /** RFC 9396 `authorization_details` of the authorization request; overrides the strategy's. */
  authorizationDetails?: AuthorizationDetails | AuthorizationDetails[]
  /** `prompt` of the authorization request. */
  prompt?: string
  /** `scope` of the authorization request (an array is joined with spaces); overrides the strategy's. */
  scope?: string | string[]
  /**
   * Ignored: the strategy makes its own `state` when it needs one.
   * @deprecated
   */
  state?: never
  /** The `redirect_uri` for this request; overrides the strategy's `callbackURL`. */
  callbackURL?: URL | string
}

/** Returns the DPoP handle to use for a request, or undefined for none. */
export type getDPoPHandle = (req: ExpressRequest) => Promise<DPoPHandle | undefined> | DPoPHandle | undefined

/** What the two option types share (internal to grantline/passport, as in openid-client). */
export interface StrategyOptionsBase {
  /** The grantline Configuration of the client. */
  config: Configuration
  /** The strategy's name; the host of the issuer identifier by default. */
  name?: string
  /** The session property holding the pending authorization request; the issuer's host by default. */
  sessionKey?: string
  /** Makes the strategy use DPoP (`dpop_jkt`, DPoP-bound tokens) with the handle it returns for a request. */
  DPoP?: getDPoPHandle
  /** The absolute `redirect_uri` for the authorization and token requests (a string is parsed as a URL). */
  callbackURL?: URL | string
  /** `scope` of the authorization request, unless given otherwise. */
  scope?: string
  /** RFC 9396 `authorization_details` of the authorization request, unless given otherwise. */
  authorizationDetails?: AuthorizationDetails | AuthorizationDetails[]
  /** RFC 8707 resource indicator(s) of the authorization request, unless given otherwise. */
  resource?: string | string[]
  /** Push the authorization request (RFC 9126 PAR). Default false. */
  usePAR?: boolean
  /**
   * Send the authorization request as a signed request object (RFC 9101 JAR): the private key to sign with, or
   * the key and a function that may change the request object's header and claims before signing. Default false.
   */
  useJAR?: false | CryptoKey | PrivateKey | [CryptoKey | PrivateKey, ModifyAssertionFunction]
  /** Call `verify` with the request as its first argument. Default false. */
  passReqToCallback?: boolean
}

/** Options of a `Strategy` whose verify function takes `(tokens, verified)`. */
export interface StrategyOptions extends StrategyOptionsBase {
  /** `verify` is called without the request. */
  passReqToCallback?: false
}

/** Options of a `Strategy` whose verify function takes `(req, tokens, verified)`. */
export interface StrategyOptionsWithRequest extends StrategyOptionsBase {
  /** `verify` is called with the request as its first argument. */
  passReqToCallback: true
}
