import { stateOf, type Configuration } from '../configuration.js'
import { verifyJwsSignature } from '../id-token/signature.js'
import { validateIdToken } from '../id-token/validate.js'
import { argError } from '../internal/assert.js'
import { ope, toPublicError } from '../internal/errors.js'
import type { IDToken, JsonObject } from '../types.js'
import {
  checkAuthTime,
  checkCurrentUrl,
  checkExpectedState,
  checkNonce,
  FLAG_IMPLICIT,
  fragmentParams,
  resolveMaxAge,
  useExclusiveFlag,
  validateAuthResponse,
} from './callback.js'
import type { AuthorizationCodeGrantChecks } from './code-grant.js'
import { decryptedJws, recordDecrypted, type WithDecryptedResponse } from './decrypted.js'

/**
 * Makes this configuration use the implicit response type `id_token` (OIDC Core §3.2, authentication only, no
 * access token): `buildAuthorizationUrl` asks for it (a `nonce` becomes required), and
 * {@link implicitAuthentication} processes the response. Cannot be combined with JARM or the hybrid response
 * type.
 *
 * @param config - The configuration to change.
 *
 * @example
 * ```ts
 * let server!: URL
 * let clientId!: string
 *
 * const config = await discovery(server, clientId, undefined, None(), {
 *   execute: [useIdTokenResponseType],
 * })
 * ```
 *
 * @see [OpenID Connect Core 1.0 §3.2](https://openid.net/specs/openid-connect-core-1_0.html#ImplicitFlowAuth)
 */
export function useIdTokenResponseType(config: Configuration): void {
  useExclusiveFlag(
    config,
    FLAG_IMPLICIT,
    '"id_token" response type cannot be combined with JARM or hybrid response type',
  )
}

/** The checks {@link implicitAuthentication} takes besides the nonce. */
export interface ImplicitAuthenticationResponseChecks extends Pick<
  AuthorizationCodeGrantChecks,
  'expectedState' | 'maxAge'
> {}

/**
 * Validates an implicit (`response_type=id_token`) authentication response and returns the ID Token's claims:
 * the response parameters (`state`, `iss` when present, `error` as {@link AuthorizationResponseError}), the ID
 * Token's claims and `nonce`, `auth_time` against `maxAge`, and always its signature against the issuer's JWKS
 * (the token came through the browser). Apply {@link useIdTokenResponseType} first.
 *
 * @param config - The client's configuration.
 * @param currentUrl - The URL with the response in its fragment, or the incoming Request (form_post).
 * @param expectedNonce - The `nonce` sent in the authorization request.
 * @param checks - `expectedState`, `maxAge`.
 * @returns The validated ID Token claims.
 *
 * @example
 * ```ts
 * // the fragment reaches the server through a small script that posts it back (form_post does it for you)
 * let config!: client.Configuration
 * let request!: Request
 * let session!: { nonce: string; state: string }
 *
 * const claims = await implicitAuthentication(config, request, session.nonce, { expectedState: session.state })
 * console.log(claims.sub)
 * ```
 *
 * @see [OpenID Connect Core 1.0 §3.2](https://openid.net/specs/openid-connect-core-1_0.html#ImplicitFlowAuth)
 * @see [D70: form_post media type](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d70)
 * @see [D72: checks before reading the response](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d72)
 */
export async function implicitAuthentication(
  config: Configuration,
  currentUrl: URL | Request,
  expectedNonce: string,
  checks?: ImplicitAuthenticationResponseChecks,
): Promise<WithDecryptedResponse<IDToken, string>> {
  try {
    const state = stateOf(config)
    checkCurrentUrl(currentUrl)
    if (typeof expectedNonce !== 'string') throw argError('"expectedNonce" must be a string')
    if (!state.flags.has(FLAG_IMPLICIT)) {
      throw argError(
        'implicitAuthentication() cannot be used by clients using flows other than response_type=id_token',
        'ERR_INVALID_ARG_VALUE',
      )
    }
    // DECISIONS D72: every argument is checked before the response is looked at.
    if (checks !== undefined && checks !== null && typeof checks !== 'object') {
      throw argError('"checks" must be an object')
    }
    const expectedState = checks?.expectedState
    checkExpectedState(expectedState)
    const maxAge = resolveMaxAge(state, checks?.maxAge)
    if (expectedNonce.length === 0) {
      throw argError('"expectedNonce" argument must not be empty', 'ERR_INVALID_ARG_VALUE')
    }

    const params = await fragmentParams(currentUrl)
    const withoutIdToken = new URLSearchParams(params)
    withoutIdToken.delete('id_token')
    // RFC 9207 `iss` is optional here (the ID Token's `iss` is checked), as in openid-client.
    validateAuthResponse(
      { ...state.as, authorization_response_iss_parameter_supported: false },
      withoutIdToken,
      expectedState,
    )
    const idToken = params.get('id_token')
    if (idToken === null || idToken.length === 0) {
      const rule = idToken === null ? 'must be a string' : 'must not be empty'
      throw ope(`"response" body "id_token" property ${rule}`, 'OAUTH_INVALID_RESPONSE')
    }
    const required = ['nonce']
    if (maxAge !== undefined) required.push('auth_time')
    const validated = await validateIdToken(state, idToken, required)
    const claims = validated.claims as unknown as JsonObject
    checkAuthTime(state, claims, maxAge)
    checkNonce(claims, expectedNonce)
    await verifyJwsSignature(state, validated.jws)
    return recordDecrypted(validated.claims, decryptedJws(idToken, validated.jws))
  } catch (err) {
    throw toPublicError(err)
  }
}
