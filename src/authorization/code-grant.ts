import { stateOf, type ConfigState, type Configuration } from '../configuration.js'
import { argError } from '../internal/assert.js'
import { UnsupportedOperationError, ope, toPublicError } from '../internal/errors.js'
import type { skipStateCheck } from '../symbols.js'
import { tokenGrant } from '../token-endpoint/grant.js'
import type { ProcessedTokenResponse } from '../token-endpoint/response.js'
import { checkDPoP, toSearchParams } from '../token-endpoint/request.js'
import type {
  DPoPOptions,
  GrantParameters,
  JsonObject,
  TokenEndpointResponse,
  TokenEndpointResponseHelpers,
} from '../types.js'
import {
  callbackUrl,
  checkAuthTime,
  checkCurrentUrl,
  checkExpectedState,
  checkNonce,
  redirectUriOf,
  resolveMaxAge,
  responseModeOf,
  singleParam,
  validateAuthResponse,
} from './callback.js'
import {
  decryptedOf,
  recordDecrypted,
  type DecryptedAuthorizationCodeResponses,
  type WithDecryptedResponse,
} from './decrypted.js'
import { checkHybridArguments, idTokenHash, validateHybridResponse } from './hybrid.js'
import { validateJarmResponse } from './jarm.js'

/** Expected values and checks for an authorization code grant's authorization and token responses. */
export interface AuthorizationCodeGrantChecks {
  /**
   * The `nonce` sent in the authorization request; the ID Token must carry exactly this value, and an ID Token
   * becomes required. When `undefined`, the ID Token (if any) must carry no `nonce`.
   */
  expectedNonce?: string
  /**
   * The `state` sent in the authorization request; the response must carry exactly this value. When
   * `undefined`, the response must carry no `state`. {@link skipStateCheck} skips the comparison.
   */
  expectedState?: string | typeof skipStateCheck
  /** Requires an ID Token in the token response (implied by `expectedNonce` and `maxAge`). */
  idTokenExpected?: boolean
  /**
   * The `max_age` sent in the authorization request: the ID Token's `auth_time` must be present and recent
   * enough. Defaults to the client's `default_max_age`.
   */
  maxAge?: number
  /** The PKCE `code_verifier` (RFC 7636) whose challenge went into the authorization request. */
  pkceCodeVerifier?: string
}

/** Options of {@link authorizationCodeGrant}: a DPoP handle binds the issued tokens (RFC 9449). */
export interface AuthorizationCodeGrantOptions extends DPoPOptions {}

interface Checks {
  expectedNonce: string | undefined
  expectedState: unknown
  idTokenExpected: boolean
  maxAge: number | undefined
  pkceCodeVerifier: string | undefined
}

/**
 * The caller's checks, read once into a copy that nothing changes (DECISIONS D6), every member checked before any
 * I/O (DECISIONS D72): openid-client finds a malformed `maxAge` or an empty `expectedNonce` only after it has
 * spent the authorization code at the token endpoint.
 */
function readChecks(state: ConfigState, checks: unknown): Checks {
  if (checks !== undefined && checks !== null && typeof checks !== 'object') {
    throw argError('"checks" must be an object')
  }
  const given = (checks ?? {}) as Partial<Record<keyof Checks, unknown>>
  const { expectedNonce, expectedState, idTokenExpected, maxAge, pkceCodeVerifier } = given
  if (expectedNonce !== undefined) {
    if (typeof expectedNonce !== 'string') throw argError('"expectedNonce" argument must be a string')
    if (expectedNonce.length === 0) {
      throw argError('"expectedNonce" argument must not be empty', 'ERR_INVALID_ARG_VALUE')
    }
  }
  checkExpectedState(expectedState)
  resolveMaxAge(state, maxAge)
  // As openid-client: an empty verifier means no PKCE.
  if (pkceCodeVerifier && typeof pkceCodeVerifier !== 'string') {
    throw argError('"codeVerifier" must be a string')
  }
  return {
    expectedNonce,
    expectedState,
    idTokenExpected: Boolean(idTokenExpected),
    maxAge: maxAge as number | undefined,
    pkceCodeVerifier: pkceCodeVerifier ? (pkceCodeVerifier as string) : undefined,
  }
}

/**
 * Processes the authorization response the user agent brought back, then exchanges its code at the token
 * endpoint (RFC 6749 §4.1, OIDC Core §3.1), with every check openid-client makes: `state`, RFC 9207 `iss`
 * (required when the server advertises `authorization_response_iss_parameter_supported`), an error response as
 * {@link AuthorizationResponseError}, PKCE, and the ID Token's `nonce`, `auth_time` and claims. JARM, hybrid
 * and form_post responses are read as the configuration says. `redirect_uri` is the callback URL without its
 * query and fragment. The `checks` object is never changed.
 *
 * @param config - The client's configuration.
 * @param currentUrl - The URL the authorization server redirected to, or the incoming Request (a form_post
 *   response is read from its body).
 * @param checks - What the authorization request sent: state, nonce, PKCE verifier, max_age.
 * @param tokenEndpointParameters - Extra token request parameters (an array becomes repeated parameters, e.g.
 *   several `resource` values).
 * @param options - `DPoP`: a handle from {@link getDPoPHandle} to bind the issued tokens.
 * @returns The validated token response, with `claims()` and `expiresIn()`.
 *
 * @example
 * ```ts
 * let config!: client.Configuration
 * let request!: { url: string } // the callback request, as your framework gives it
 * let session!: { codeVerifier: string; state: string; nonce: string } // saved when the login started
 *
 * const tokens = await client.authorizationCodeGrant(config, new URL(request.url, 'https://rp.example.com'), {
 *   pkceCodeVerifier: session.codeVerifier,
 *   expectedState: session.state,
 *   expectedNonce: session.nonce,
 * })
 * console.log(tokens.access_token, tokens.claims()?.sub)
 * ```
 *
 * @example
 * ```ts
 * let config!: client.Configuration
 * let request!: Request // a form_post callback (a POST with the parameters in its body)
 * let pkceCodeVerifier!: string
 *
 * // with DPoP-bound tokens
 * const DPoP = client.getDPoPHandle(config, await client.randomDPoPKeyPair())
 * const tokens = await client.authorizationCodeGrant(config, request, { pkceCodeVerifier }, undefined, { DPoP })
 * ```
 *
 * @see [RFC 6749 §4.1](https://www.rfc-editor.org/rfc/rfc6749.html#section-4.1)
 * @see [RFC 7636 (PKCE)](https://www.rfc-editor.org/rfc/rfc7636.html)
 * @see [D6: checks are never mutated](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d6)
 * @see [D70: form_post media type](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d70)
 * @see [D71: the code is redacted from causes](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d71)
 * @see [D72: checks are checked before the code is spent](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d72)
 * @see [D74: `at_hash` is compared](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d74)
 */
export async function authorizationCodeGrant(
  config: Configuration,
  currentUrl: URL | Request,
  checks?: AuthorizationCodeGrantChecks,
  tokenEndpointParameters?: URLSearchParams | Record<string, string> | GrantParameters,
  options?: AuthorizationCodeGrantOptions,
): Promise<
  WithDecryptedResponse<
    TokenEndpointResponse & TokenEndpointResponseHelpers,
    DecryptedAuthorizationCodeResponses
  >
> {
  try {
    const state = stateOf(config)
    checkCurrentUrl(currentUrl)
    const expected = readChecks(state, checks)
    const DPoP = checkDPoP(options?.DPoP)
    const body = toSearchParams(tokenEndpointParameters as GrantParameters, 'tokenEndpointParameters')
    const mode = responseModeOf(state)
    const url = await callbackUrl(currentUrl, mode.hybrid)
    const redirectUri = redirectUriOf(url)

    let authResponse: URLSearchParams
    let authorization: DecryptedAuthorizationCodeResponses = {}
    if (mode.jarm) {
      const jarm = await validateJarmResponse(state, url.searchParams, expected.expectedState)
      authResponse = jarm.params
      if (jarm.decrypted) authorization = { authorization_response: jarm.decrypted }
    } else if (mode.hybrid) {
      checkHybridArguments(expected.expectedNonce, expected.expectedState)
      const hybrid = await validateHybridResponse(
        state,
        url,
        expected.expectedNonce,
        expected.expectedState as string | undefined,
        expected.maxAge,
        mode.detached,
      )
      authResponse = hybrid.params
      if (hybrid.decrypted) authorization = { id_token: { authorization_endpoint: hybrid.decrypted } }
    } else if (mode.implicit) {
      throw argError(
        'authorizationCodeGrant() cannot be used by response_type=id_token clients',
        'ERR_INVALID_ARG_VALUE',
      )
    } else {
      authResponse = validateAuthResponse(state.as, url.searchParams, expected.expectedState)
    }

    const code = singleParam(authResponse, 'code')
    if (!code) throw ope('no authorization code in "callbackParameters"', 'OAUTH_INVALID_RESPONSE')
    body.set('redirect_uri', redirectUri)
    body.set('code', code)
    if (expected.pkceCodeVerifier !== undefined) body.set('code_verifier', expected.pkceCodeVerifier)

    // OIDC: an ID Token is required once a nonce or max_age was sent, or the caller says so.
    const openid =
      expected.expectedNonce !== undefined || expected.maxAge !== undefined || expected.idTokenExpected
    const maxAge = resolveMaxAge(state, expected.maxAge)
    const required: string[] = []
    if (openid && expected.expectedNonce !== undefined) required.push('nonce')
    if (openid && maxAge !== undefined) required.push('auth_time')
    const checkResponse = async ({ body: response, idToken }: ProcessedTokenResponse) => {
      if (openid && idToken === undefined) {
        throw ope('"response" body "id_token" property must be a string', 'OAUTH_INVALID_RESPONSE', {
          body: response,
        })
      }
      if (idToken === undefined) return
      const claims = idToken.claims as unknown as JsonObject
      checkAuthTime(state, claims, maxAge)
      checkNonce(claims, expected.expectedNonce)
      await checkAccessTokenHash(claims, idToken.header['alg'], response.access_token)
    }
    const result = await tokenGrant(state, 'authorization_code', body, {
      DPoP,
      idTokenClaims: required,
      checkResponse,
    })

    // getDecryptedResponses: one record for the authorization response and the token endpoint's ID Token.
    const tokenEndpoint = decryptedOf(result) as string | undefined
    const authorizationEndpoint = authorization.id_token?.authorization_endpoint
    let record: DecryptedAuthorizationCodeResponses | undefined
    if (tokenEndpoint !== undefined || authorization.authorization_response || authorizationEndpoint) {
      record = Object.freeze({
        ...(authorization.authorization_response && {
          authorization_response: authorization.authorization_response,
        }),
        ...((tokenEndpoint || authorizationEndpoint) && {
          id_token: Object.freeze({
            ...(tokenEndpoint && { token_endpoint: tokenEndpoint }),
            ...(authorizationEndpoint && { authorization_endpoint: authorizationEndpoint }),
          }),
        }),
      })
    }
    return recordDecrypted(result, record)
  } catch (err) {
    throw toPublicError(err)
  }
}

/**
 * OIDC Core §3.1.3.8: an ID Token that carries `at_hash` must carry the hash of the access token it came with
 * (DECISIONS D74: openid-client does not check it). A token endpoint whose `at_hash` does not match has mixed up
 * tokens, or someone else did.
 */
async function checkAccessTokenHash(claims: JsonObject, alg: unknown, accessToken: string): Promise<void> {
  const atHash = claims['at_hash']
  if (atHash === undefined) return
  const hmac = typeof alg === 'string' && /^HS(256|384|512)$/.test(alg)
  let expected: string
  try {
    expected = await idTokenHash(accessToken, hmac ? `RS${alg.slice(2)}` : alg, 'at_hash')
  } catch (err) {
    // Stricter than openid-client, never less able: an alg without a known hash, or a hash this runtime lacks
    // (cSHAKE256 for ML-DSA), leaves at_hash unchecked, as openid-client always does.
    if (err instanceof UnsupportedOperationError || (err as Error)?.name === 'NotSupportedError') return
    throw err
  }
  if (atHash !== expected) {
    throw ope(
      'invalid ID Token "at_hash" (access token hash) claim value',
      'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
      {
        alg,
        claim: 'at_hash',
        claims,
      },
    )
  }
}
