import type { ConfigState, Configuration } from '../configuration.js'
import { checkAudience, checkIssuer, decodeJwt, describe } from '../id-token/jwt.js'
import { verifyJwsSignature } from '../id-token/signature.js'
import { OperationProcessingError, ope } from '../internal/errors.js'
import { placeholder } from '../internal/redact.js'
import { FLAG_JARM, singleParam, useExclusiveFlag, validateAuthResponse } from './callback.js'
import { decryptedJws } from './decrypted.js'

/**
 * Makes this configuration ask for, and expect, JWT Secured Authorization Responses (JARM, `response_mode=jwt`):
 * `buildAuthorizationUrl` adds `response_mode=jwt`, and `authorizationCodeGrant` reads the `response` parameter,
 * checks its signature against the issuer's JWKS, its `iss`, `aud` and `exp` (decrypting it first when
 * `enableDecryptingResponses` was applied), then the authorization response inside it as usual. Cannot be
 * combined with the hybrid or implicit response types.
 *
 * @param config - The configuration to change.
 *
 * @example
 * ```ts
 * let server!: URL
 * let clientId!: string
 * let clientSecret!: string
 *
 * const config = await discovery(server, clientId, clientSecret, undefined, {
 *   execute: [useJwtResponseMode],
 * })
 * ```
 *
 * @see [JARM](https://openid.net/specs/oauth-v2-jarm-final.html)
 *
 * @see [D71: the code is redacted from causes](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d71)
 */
export function useJwtResponseMode(config: Configuration): void {
  useExclusiveFlag(config, FLAG_JARM, 'JARM cannot be combined with a hybrid or implicit response types')
}

export interface ValidatedJarm {
  /** The authorization response the JWT carried, checked like a plain one. */
  params: URLSearchParams
  /** The compact JWS inside, when the response was encrypted. */
  decrypted: string | undefined
}

/**
 * Checks a JARM response (JARM §4.4): the `response` parameter is a JWT (decrypted when configured) signed with
 * one of the issuer's keys, with the issuer's `iss`, the client's `aud` and an `exp` in the future; its string
 * claims (but `aud`) are the authorization response, checked with {@link validateAuthResponse}.
 */
export async function validateJarmResponse(
  state: ConfigState,
  params: URLSearchParams,
  expectedState: unknown,
): Promise<ValidatedJarm> {
  const response = singleParam(params, 'response')
  if (!response) throw ope('"parameters" does not contain a JARM response', 'OAUTH_INVALID_RESPONSE')
  try {
    return await checkJarm(state, response, expectedState)
  } catch (err) {
    throw withoutCode(err)
  }
}

/**
 * The authorization code rides in a JARM response's claims, which a failed check carries in its cause: the
 * cause (a copy that belongs to the error alone) shows it as `[redacted: N characters]` (DECISIONS D71).
 */
function withoutCode(err: unknown): unknown {
  if (!(err instanceof OperationProcessingError)) return err
  const cause = err.cause as { claims?: unknown } | undefined
  const claims = cause?.claims as Record<string, unknown> | undefined
  if (typeof claims === 'object' && claims !== null && typeof claims['code'] === 'string') {
    cause!.claims = { ...claims, code: placeholder(claims['code']) }
  }
  return err
}

async function checkJarm(
  state: ConfigState,
  response: string,
  expectedState: unknown,
): Promise<ValidatedJarm> {
  const { claims, jws } = await decodeJwt(state, response, {
    configured: state.client.authorization_signed_response_alg,
    supported: state.as.authorization_signing_alg_values_supported,
  })
  for (const claim of ['aud', 'exp', 'iss']) {
    if (claims[claim] === undefined) {
      throw ope(`JWT ${describe(claim)} claim missing`, 'OAUTH_INVALID_RESPONSE', { claims })
    }
  }
  checkIssuer(state, claims)
  checkAudience(state, claims)
  // Unlike an ID Token from the token endpoint, this JWT came through the browser: its signature is the only
  // proof of where it came from, so it is always checked.
  await verifyJwsSignature(state, jws)
  const inner = new URLSearchParams()
  for (const [name, value] of Object.entries(claims)) {
    if (typeof value === 'string' && name !== 'aud') inner.set(name, value)
  }
  return {
    params: validateAuthResponse(state.as, inner, expectedState),
    decrypted: decryptedJws(response, jws),
  }
}
