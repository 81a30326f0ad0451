import { resolveEndpoint, stateOf, transportOf, type Configuration } from '../configuration.js'
import type { ConfigState } from '../configuration.js'
import { isDPoPNonceError, withDPoPNonceRetry } from '../dpop/retry.js'
import { WWWAuthenticateChallengeError } from '../errors.js'
import { mediaType, readJsonObject, readText } from '../http/body.js'
import { send } from '../http/send.js'
import { release } from '../http/status.js'
import { parseWWWAuthenticate } from '../http/www-authenticate.js'
import { checkAudience, checkIssuer, decodeJwt } from '../id-token/jwt.js'
import { argError, assertString } from '../internal/assert.js'
import { OperationProcessingError, ope, toPublicError } from '../internal/errors.js'
import { checkHeaderValue } from '../internal/header.js'
import { clientSecrets, registerBody, registerResponseSecrets } from '../internal/redact.js'
import { USER_AGENT } from '../internal/version.js'
import { skipSubjectCheck } from '../symbols.js'
import { checkDPoP } from '../token-endpoint/request.js'
import { recordDecrypted, type WithDecryptedResponse } from './decrypted.js'
import type { DPoPOptions, DPoPProofHandle, JsonObject, JsonValue } from '../types.js'

/** The `address` claim of a UserInfo response (OpenID Connect Core 1.0 §5.1.1). */
export interface UserInfoAddress {
  /** The full mailing address, formatted for display. */
  readonly formatted?: string
  /** Street, house number, and so on. */
  readonly street_address?: string
  /** City or locality. */
  readonly locality?: string
  /** State, province or region. */
  readonly region?: string
  /** Postal code. */
  readonly postal_code?: string
  /** Country name. */
  readonly country?: string
  readonly [claim: string]: JsonValue | undefined
}

/** Claims of a UserInfo response (OpenID Connect Core 1.0 §5.3.2). Only `sub` is guaranteed. */
export interface UserInfoResponse {
  /** The end-user's identifier at the issuer; always present, and checked against the expected subject. */
  readonly sub: string
  /** Full name. */
  readonly name?: string
  /** Given (first) name(s). */
  readonly given_name?: string
  /** Surname(s). */
  readonly family_name?: string
  /** Middle name(s). */
  readonly middle_name?: string
  /** Casual name. */
  readonly nickname?: string
  /** The name the end-user wishes to be referred to by; not unique, not stable. */
  readonly preferred_username?: string
  /** URL of the profile page. */
  readonly profile?: string
  /** URL of a profile picture. */
  readonly picture?: string
  /** URL of a web page or blog. */
  readonly website?: string
  /** Preferred e-mail address; not unique, not stable. */
  readonly email?: string
  /** Whether the issuer verified the e-mail address. */
  readonly email_verified?: boolean
  /** Gender. */
  readonly gender?: string
  /** Birthday, `YYYY-MM-DD` (or `YYYY`). */
  readonly birthdate?: string
  /** Time zone, e.g. `Europe/Paris`. */
  readonly zoneinfo?: string
  /** Locale, e.g. `en-US`. */
  readonly locale?: string
  /** Preferred telephone number. */
  readonly phone_number?: string
  /** When the information was last updated (seconds since the epoch). */
  readonly updated_at?: number
  /** Preferred postal address. */
  readonly address?: UserInfoAddress
  readonly [claim: string]: JsonValue | undefined
}

const JWT = 'application/jwt'

/**
 * Fetches the signed-in user's claims from the authorization server's UserInfo endpoint (OpenID Connect Core
 * 1.0 §5.3) with an access token, and checks that they are about the expected user.
 *
 * The response may be JSON or a JWT (`application/jwt`): signed, or encrypted once
 * `enableDecryptingResponses(config, ...)` was applied. A JWT's `iss` and `aud`, when present, must name the
 * issuer and this client, its `exp`/`nbf` must hold; its signature is checked against the issuer's JWKS once
 * `enableNonRepudiationChecks(config)` was applied (it came over the client's own TLS connection otherwise). With
 * `userinfo_signed_response_alg` in the client metadata only a JWT is accepted.
 *
 * A `WWW-Authenticate` challenge, whatever the status, rejects with a `WWWAuthenticateChallengeError`; with a
 * DPoP-bound token (`options.DPoP`) a `use_dpop_nonce` challenge is answered once with a fresh proof.
 *
 * @param config - The client's Configuration; its server metadata must have a `userinfo_endpoint`.
 * @param accessToken - The access token (RFC 6750 §2.1 `Bearer`, or `DPoP` with `options.DPoP`).
 * @param expectedSubject - The `sub` the claims must be about (the ID Token's `sub`), or `skipSubjectCheck`.
 * @param options - `DPoP`: the handle the access token is bound to.
 * @returns The UserInfo claims.
 *
 * @example
 * ```ts
 * let config!: client.Configuration
 * let currentUrl!: URL
 * let pkceCodeVerifier!: string
 * let expectedState!: string
 *
 * const tokens = await authorizationCodeGrant(config, currentUrl, { pkceCodeVerifier, expectedState })
 * const { sub } = tokens.claims()!
 * const userInfo = await fetchUserInfo(config, tokens.access_token, sub)
 * console.log(userInfo.email)
 * ```
 *
 * @example
 * ```ts
 * let config!: client.Configuration
 * let currentUrl!: URL
 * let checks!: client.AuthorizationCodeGrantChecks
 *
 * // A DPoP-bound access token
 * const DPoP = getDPoPHandle(config, await randomDPoPKeyPair())
 * const tokens = await authorizationCodeGrant(config, currentUrl, checks, undefined, { DPoP })
 * const userInfo = await fetchUserInfo(config, tokens.access_token, skipSubjectCheck, { DPoP })
 * ```
 *
 * @see [OpenID Connect Core 1.0 §5.3](https://openid.net/specs/openid-connect-core-1_0.html#UserInfo)
 * @see [D80: arguments are checked before the request](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d80)
 * @see [D81: media types compare case-insensitively](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d81)
 * @see [D82: the access token is redacted from causes](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d82)
 * @see [D85: a broken JWT body is OAUTH_PARSE_ERROR](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d85)
 */
export async function fetchUserInfo(
  config: Configuration,
  accessToken: string,
  expectedSubject: string | typeof skipSubjectCheck,
  options?: DPoPOptions,
): Promise<WithDecryptedResponse<UserInfoResponse, string>> {
  try {
    const state = stateOf(config)
    assertString(accessToken, '"accessToken"')
    // Before it goes into `Bearer <token>`: the Headers error for a bad value would quote the token (D26).
    checkHeaderValue(accessToken, '"accessToken"')
    // Checked before the request (openid-client checks it once the response is in, D80): a mistake costs no I/O.
    if (expectedSubject !== skipSubjectCheck) assertString(expectedSubject, '"expectedSubject"')
    const DPoP = checkDPoP(options?.DPoP)
    // The mTLS alias when the client uses aliases; the HTTPS rule is checked here too.
    const url = resolveEndpoint(state, 'userinfo_endpoint')

    let attempts = 0
    return await withDPoPNonceRetry(DPoP, async () => {
      attempts++
      const response = await request(state, url, accessToken, DPoP)
      try {
        return await processResponse(state, response, expectedSubject)
      } catch (err) {
        // The first nonce challenge is answered by a retry and never reaches the caller: release its body now.
        if (DPoP && attempts === 1 && isDPoPNonceError(err)) release(response)
        throw err
      }
    })
  } catch (err) {
    throw toPublicError(err)
  }
}

async function request(
  state: ConfigState,
  url: URL,
  accessToken: string,
  DPoP: DPoPProofHandle | undefined,
): Promise<Response> {
  const headers = new Headers()
  if (USER_AGENT) headers.set('user-agent', USER_AGENT)
  // A client registered for signed UserInfo asks only for a JWT; otherwise for either, JSON first.
  headers.set('accept', state.client.userinfo_signed_response_alg ? JWT : `application/json, ${JWT}`)
  if (DPoP) await DPoP.addProof(url, headers, 'GET', accessToken)
  headers.set('authorization', `${DPoP ? 'DPoP' : 'Bearer'} ${accessToken}`)
  const response = await send(transportOf(state), { url, method: 'GET', headers })
  DPoP?.cacheNonce(response, url)
  // A body echoing the access token or the client's secret is redacted in any error cause that holds it (D82).
  registerResponseSecrets(response, [accessToken, ...clientSecrets(state.client, state.auth)])
  return response
}

/** The UserInfo response checks of OpenID Connect Core 1.0 §5.3.2–§5.3.4, in openid-client's order. */
async function processResponse(
  state: ConfigState,
  response: Response,
  expectedSubject: string | typeof skipSubjectCheck,
): Promise<UserInfoResponse> {
  const challenges = parseWWWAuthenticate(response.headers.get('www-authenticate'))
  if (challenges) {
    throw new WWWAuthenticateChallengeError(
      'server responded with a challenge in the WWW-Authenticate HTTP Header',
      { cause: challenges, response },
    )
  }
  if (response.status !== 200) {
    release(response)
    throw ope(
      '"response" is not a conform UserInfo Endpoint response (unexpected HTTP status code)',
      'OAUTH_RESPONSE_IS_NOT_CONFORM',
      response,
    )
  }

  let claims: JsonObject
  let jws: string | undefined
  let decrypted = false
  // The D2 media-type rule: case-insensitive, parameters ignored (D81).
  if (mediaType(response) === JWT) {
    const token = await readJwt(response)
    const decoded = await decodeJwt(state, token, {
      configured: state.client.userinfo_signed_response_alg,
      supported: state.as.userinfo_signing_alg_values_supported,
      fallback: null,
    })
    claims = decoded.claims
    jws = decoded.jws
    decrypted = jws !== token
    registerBody(claims, response)
    if (claims['aud'] !== undefined) checkAudience(state, claims)
    if (claims['iss'] !== undefined) checkIssuer(state, claims)
  } else {
    if (state.client.userinfo_signed_response_alg) {
      release(response)
      throw ope('JWT UserInfo Response expected', 'OAUTH_JWT_USERINFO_EXPECTED', response)
    }
    claims = (await readJsonObject(response)) as JsonObject
  }

  const sub = claims['sub']
  if (typeof sub !== 'string' || sub.length === 0) {
    throw ope(
      `"response" body "sub" property ${typeof sub !== 'string' ? 'must be a string' : 'must not be empty'}`,
      'OAUTH_INVALID_RESPONSE',
      { body: claims },
    )
  }
  if (expectedSubject !== skipSubjectCheck && sub !== expectedSubject) {
    throw ope('unexpected "response" body "sub" property value', 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED', {
      expected: expectedSubject,
      body: claims,
      attribute: 'sub',
    })
  }
  // As in openid-client: the signature, when asked for, is checked last.
  if (jws !== undefined && state.nonRepudiation) await state.nonRepudiation(state, jws)
  // getDecryptedResponses(result): the compact JWS inside an encrypted response.
  return recordDecrypted(claims as UserInfoResponse, decrypted ? jws : undefined)
}

/**
 * The body of a JWT UserInfo response. A connection that dies mid-body is a body that cannot be parsed
 * (`OAUTH_PARSE_ERROR`, as on the JSON path); size and deadline errors keep their own.
 */
async function readJwt(response: Response): Promise<string> {
  if (response.bodyUsed) throw argError('"response" body has been used already', 'ERR_INVALID_ARG_VALUE')
  try {
    return await readText(response)
  } catch (err) {
    if (err instanceof OperationProcessingError || isAbort(err)) throw err
    throw ope('failed to parse "response" body as JSON', 'OAUTH_PARSE_ERROR', err)
  }
}

function isAbort(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError')
}
