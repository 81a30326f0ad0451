import type { ConfigState } from '../configuration.js'
import { argError } from '../internal/assert.js'
import { ope } from '../internal/errors.js'
import type { IDToken, JsonObject } from '../types.js'
import { checkAudience, checkIssuer, decodeJwt, describe } from './jwt.js'

/** A validated ID Token: its claims, and the compact JWS (after decryption) for an optional signature check. */
export interface ValidatedIdToken {
  claims: IDToken
  header: JsonObject
  jws: string
}

/**
 * Validates an ID Token received from the token endpoint (OIDC Core §3.1.3.7, contract §2.5): decryption when
 * configured, algorithm policy, claim types, timestamps, issuer, audience and authorized party. The signature
 * is checked separately, only when non-repudiation checks are enabled (TLS is the trust anchor otherwise).
 */
export async function validateIdToken(
  state: ConfigState,
  token: string,
  requiredClaims: readonly string[] = [],
): Promise<ValidatedIdToken> {
  checkDefaultMaxAge(state.client.default_max_age)
  const { header, claims, jws } = await decodeJwt(state, token, {
    configured: state.client.id_token_signed_response_alg,
    supported: state.as.id_token_signing_alg_values_supported,
  })
  checkRequiredClaims(state, claims, requiredClaims)
  checkIssuer(state, claims)
  checkAudience(state, claims)
  // openid-client 6.8.9 requires a string `sub` (OIDC Core §2), checked before the authorized party.
  if (typeof claims['sub'] !== 'string') {
    throw ope(`unexpected JWT ${describe('sub')} claim type`, 'OAUTH_INVALID_RESPONSE', { claims })
  }
  checkAuthorizedParty(state, claims)
  const authTime = claims['auth_time']
  if (authTime !== undefined && !isNonNegativeNumber(authTime)) {
    const rule =
      typeof authTime === 'number' && Number.isFinite(authTime) ? 'a non-negative number' : 'a number'
    throw ope(`ID Token ${describe('auth_time')} must be ${rule}`, 'OAUTH_INVALID_RESPONSE', { claims })
  }
  return { claims: claims as unknown as IDToken, header, jws }
}

/** A setting of ours, so a caller's mistake: checked before the token is looked at, as openid-client does. */
function checkDefaultMaxAge(value: unknown) {
  if (value === undefined) return
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw argError('"client.default_max_age" must be a number')
  }
  if (value < 0)
    throw argError('"client.default_max_age" must be a non-negative number', 'ERR_INVALID_ARG_VALUE')
}

/** `extra`: what the caller's checks add (the callback's `nonce`, `auth_time`, `c_hash`, `s_hash`). */
function checkRequiredClaims(state: ConfigState, claims: JsonObject, extra: readonly string[]) {
  const required = ['aud', 'exp', 'iat', 'iss', 'sub']
  const { require_auth_time, default_max_age } = state.client
  if (require_auth_time === true || default_max_age !== undefined) required.push('auth_time')
  required.push(...extra)
  for (const claim of required) {
    if (claims[claim] === undefined) {
      throw ope(`JWT ${describe(claim)} claim missing`, 'OAUTH_INVALID_RESPONSE', { claims })
    }
  }
}

function checkAuthorizedParty(state: ConfigState, claims: JsonObject) {
  const clientId = state.client.client_id
  const aud = claims['aud']
  if (Array.isArray(aud) && aud.length !== 1) {
    if (claims['azp'] === undefined) {
      throw ope(
        'ID Token "aud" (audience) claim includes additional untrusted audiences',
        'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
        {
          claims,
          claim: 'aud',
        },
      )
    }
    if (claims['azp'] !== clientId) {
      throw ope(`unexpected ID Token ${describe('azp')} claim value`, 'OAUTH_JWT_CLAIM_COMPARISON_FAILED', {
        expected: clientId,
        claims,
        claim: 'azp',
      })
    }
  }
}

function isNonNegativeNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0
}
