import {
  clockToleranceOf,
  epochSeconds,
  stateOf,
  type ConfigState,
  type Configuration,
} from '../configuration.js'
import { AuthorizationResponseError, ClientError } from '../errors.js'
import { argError } from '../internal/assert.js'
import { UnsupportedOperationError, ope } from '../internal/errors.js'
import { placeholder } from '../internal/redact.js'
import { skipStateCheck } from '../symbols.js'
import type { JsonObject, ServerMetadata } from '../types.js'

/**
 * Reading and checking an authorization response (RFC 6749 §4.1.2, RFC 9207, OAuth 2.0 Form Post Response
 * Mode): the callback URL or form_post Request, its `iss`, `state` and `error`. What each response mode or type
 * adds (JARM, hybrid, implicit) lives in its own module; the code exchange in code-grant.ts.
 */

/**
 * The response mode and type switches a Configuration carries (in `ConfigState.flags`), set by
 * `useJwtResponseMode`, `useCodeIdTokenResponseType` (+ `enableDetachedSignatureResponseChecks`) and
 * `useIdTokenResponseType`. The authorization URL builders read them through {@link responseModeOf}.
 */
export const FLAG_JARM = 'jarm'
export const FLAG_HYBRID = 'hybrid'
export const FLAG_DETACHED = 'hybrid:detached'
export const FLAG_IMPLICIT = 'implicit'

/** JARM, the hybrid and the implicit response type exclude each other. */
const EXCLUSIVE_FLAGS = [FLAG_JARM, FLAG_HYBRID, FLAG_IMPLICIT] as const

/**
 * Switches `config` to one of the exclusive response shapes: throws `OAUTH_UNSUPPORTED_OPERATION` with `message`
 * (each toggle words it as openid-client does) when another one is already set; setting the same one again is
 * allowed. Returns the configuration's state.
 */
export function useExclusiveFlag(
  config: Configuration,
  flag: (typeof EXCLUSIVE_FLAGS)[number],
  message: string,
): ConfigState {
  const state = stateOf(config)
  if (EXCLUSIVE_FLAGS.some((other) => other !== flag && state.flags.has(other))) {
    throw new ClientError(message, { code: 'OAUTH_UNSUPPORTED_OPERATION' })
  }
  state.flags.add(flag)
  return state
}

export interface ResponseMode {
  /** `response_mode=jwt` (JARM) */
  jarm: boolean
  /** `response_type=code id_token` */
  hybrid: boolean
  /** hybrid with the detached signature (FAPI 1.0 Advanced) checks: `s_hash` required when state is used */
  detached: boolean
  /** `response_type=id_token` */
  implicit: boolean
}

/** What the authorization request of this configuration asks for, and what its response must look like. */
export function responseModeOf(state: Pick<ConfigState, 'flags'>): ResponseMode {
  const { flags } = state
  return {
    jarm: flags.has(FLAG_JARM),
    hybrid: flags.has(FLAG_HYBRID),
    detached: flags.has(FLAG_DETACHED),
    implicit: flags.has(FLAG_IMPLICIT),
  }
}

/** `Object.prototype.toString`-style brand check that works across realms, as openid-client makes it. */
export function isRequest(input: unknown): input is Request {
  try {
    return Object.getPrototypeOf(input)[Symbol.toStringTag] === 'Request'
  } catch {
    return false
  }
}

/** The caller's `currentUrl` argument: a URL or a Request, else the same TypeError as openid-client. */
export function checkCurrentUrl(input: unknown): asserts input is URL | Request {
  if (!(input instanceof URL) && !isRequest(input)) {
    throw argError('"currentUrl" must be an instance of URL, or Request')
  }
}

/**
 * The body of a form_post response (a Request the application's framework received). The media type is compared
 * case-insensitively and without parameters (DECISIONS D2, D70); openid-client wants it exactly.
 */
export async function formPostBody(request: Request): Promise<URLSearchParams> {
  if (request.method !== 'POST') {
    throw argError(
      'form_post responses are expected to use the POST method',
      'ERR_INVALID_ARG_VALUE',
      request,
    )
  }
  const type = request.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase()
  if (type !== 'application/x-www-form-urlencoded') {
    throw argError(
      'form_post responses are expected to use the application/x-www-form-urlencoded content-type',
      'ERR_INVALID_ARG_VALUE',
      request,
    )
  }
  if (request.bodyUsed) {
    throw argError(
      'form_post Request instances must contain a readable body',
      'ERR_INVALID_ARG_VALUE',
      request,
    )
  }
  return new URLSearchParams(await request.text())
}

/** The callback as a URL: a GET Request's URL, or a form_post body folded into the query (or fragment). */
export async function callbackUrl(input: URL | Request, intoFragment: boolean): Promise<URL> {
  if (input instanceof URL) return new URL(input.href)
  const url = new URL(input.url)
  switch (input.method) {
    case 'GET':
      return url
    case 'POST': {
      const params = await formPostBody(input)
      if (intoFragment) {
        url.hash = params.toString()
      } else {
        for (const [name, value] of params) url.searchParams.append(name, value)
      }
      return url
    }
    default:
      throw argError('unexpected Request HTTP method', 'ERR_INVALID_ARG_VALUE')
  }
}

/** The parameters of a response delivered in the fragment (implicit): a GET Request's hash, or a form_post body. */
export async function fragmentParams(input: URL | Request): Promise<URLSearchParams> {
  if (input instanceof URL) return new URLSearchParams(input.hash.slice(1))
  switch (input.method) {
    case 'GET':
      return new URLSearchParams(new URL(input.url).hash.slice(1))
    case 'POST':
      return formPostBody(input)
    default:
      throw argError('unexpected Request HTTP method', 'ERR_INVALID_ARG_VALUE')
  }
}

/** `redirect_uri` for the token request: the callback URL without its query and fragment, as openid-client. */
export function redirectUriOf(url: URL): string {
  const stripped = new URL(url.href)
  stripped.search = ''
  stripped.hash = ''
  return stripped.href
}

/** Response parameters whose value is a credential: never carried whole in an error (DECISIONS D71). */
const CREDENTIAL_PARAMETERS = ['code', 'id_token', 'access_token', 'response']

/**
 * A copy of callback parameters for an error's `cause`: the authorization code, tokens and a JARM response read
 * `[redacted: N characters]`; everything else (`state`, `iss`, `error`, ...) is kept.
 */
export function redactedParams(params: URLSearchParams): URLSearchParams {
  const copy = new URLSearchParams()
  for (const [name, value] of params) {
    copy.append(name, CREDENTIAL_PARAMETERS.includes(name) ? placeholder(value) : value)
  }
  return copy
}

/** One value of a response parameter that may appear at most once (RFC 6749 §3.1). */
export function singleParam(params: URLSearchParams, name: string): string | undefined {
  const values = params.getAll(name)
  if (values.length > 1) {
    throw ope(`"${name}" parameter must be provided only once`, 'OAUTH_INVALID_RESPONSE')
  }
  return values[0]
}

/** `expectedState` as the checks take it: a non-empty string, {@link skipStateCheck}, or undefined (no state). */
export type ExpectedState = string | typeof skipStateCheck | undefined

/** A caller's `expectedState` that is neither a string nor the skip symbol nor undefined. */
export function checkExpectedState(expectedState: unknown): asserts expectedState is ExpectedState {
  if (expectedState === undefined || expectedState === skipStateCheck) return
  if (typeof expectedState !== 'string') throw argError('"expectedState" argument must be a string')
  if (expectedState.length === 0) {
    throw argError('"expectedState" argument must not be empty', 'ERR_INVALID_ARG_VALUE')
  }
}

/**
 * Checks a plain (query or form_post) authorization response, in openid-client's order: no JARM `response`,
 * RFC 9207 `iss` (required when the server advertises `authorization_response_iss_parameter_supported`, and
 * compared whenever present), `state`, then `error` (an {@link AuthorizationResponseError}). Returns a copy of
 * the parameters. `as` is the server metadata to check against (hybrid and implicit responses pass a copy in
 * which `iss` is optional).
 */
export function validateAuthResponse(
  as: Readonly<ServerMetadata>,
  params: URLSearchParams,
  expectedState: unknown,
): URLSearchParams {
  if (singleParam(params, 'response')) {
    throw ope(
      '"parameters" contains a JARM response, use validateJwtAuthResponse() instead of validateAuthResponse()',
      'OAUTH_INVALID_RESPONSE',
      { parameters: redactedParams(params) },
    )
  }
  const iss = singleParam(params, 'iss')
  const state = singleParam(params, 'state')
  if (!iss && as.authorization_response_iss_parameter_supported) {
    throw ope('response parameter "iss" (issuer) missing', 'OAUTH_INVALID_RESPONSE', {
      parameters: redactedParams(params),
    })
  }
  if (iss && iss !== as.issuer) {
    throw ope('unexpected "iss" (issuer) response parameter value', 'OAUTH_INVALID_RESPONSE', {
      expected: as.issuer,
      parameters: redactedParams(params),
    })
  }
  if (expectedState === undefined) {
    if (state !== undefined) {
      throw ope('unexpected "state" response parameter encountered', 'OAUTH_INVALID_RESPONSE', {
        expected: undefined,
        parameters: redactedParams(params),
      })
    }
  } else if (expectedState !== skipStateCheck) {
    checkExpectedState(expectedState)
    if (state !== expectedState) {
      throw ope(
        state === undefined
          ? 'response parameter "state" missing'
          : 'unexpected "state" response parameter value',
        'OAUTH_INVALID_RESPONSE',
        { expected: expectedState, parameters: redactedParams(params) },
      )
    }
  }
  if (singleParam(params, 'error')) {
    throw new AuthorizationResponseError('authorization response from the server is an error', {
      cause: redactedParams(params),
    })
  }
  const idToken = singleParam(params, 'id_token')
  const token = singleParam(params, 'token')
  if (idToken !== undefined || token !== undefined) {
    throw new UnsupportedOperationError('implicit and hybrid flows are not supported')
  }
  return new URLSearchParams(params)
}

/**
 * The `max_age` an ID Token's `auth_time` is checked against: the caller's `maxAge`, else the client's
 * `default_max_age`, else none (`undefined`). A value that is not a finite, non-negative number is the caller's
 * mistake: a TypeError naming where it came from, as openid-client words it.
 */
export function resolveMaxAge(state: ConfigState, maxAge: unknown): number | undefined {
  const fromClient = maxAge === undefined
  const value = fromClient ? state.client.default_max_age : maxAge
  if (value === undefined) return undefined
  const name = fromClient ? '"client.default_max_age"' : '"maxAge" argument'
  if (typeof value !== 'number' || !Number.isFinite(value)) throw argError(`${name} must be a number`)
  if (value < 0) throw argError(`${name} must be a non-negative number`, 'ERR_INVALID_ARG_VALUE')
  return value
}

/** OIDC Core §3.1.3.7 step 13: too long since the End-User authenticated (with the clock tolerance). */
export function checkAuthTime(state: ConfigState, claims: JsonObject, maxAge: number | undefined): void {
  if (maxAge === undefined) return
  const now = epochSeconds(state)
  const tolerance = clockToleranceOf(state)
  if ((claims['auth_time'] as number) + maxAge < now - tolerance) {
    throw ope(
      'too much time has elapsed since the last End-User authentication',
      'OAUTH_JWT_TIMESTAMP_CHECK_FAILED',
      {
        claims,
        now,
        tolerance,
        claim: 'auth_time',
      },
    )
  }
}

/** OIDC Core §3.1.3.7 step 11: the `nonce` claim is the one sent, or absent when none was (`undefined`). */
export function checkNonce(claims: JsonObject, expected: string | undefined): void {
  if (claims['nonce'] !== expected) {
    throw ope('unexpected ID Token "nonce" claim value', 'OAUTH_JWT_CLAIM_COMPARISON_FAILED', {
      expected,
      claims,
      claim: 'nonce',
    })
  }
}
