import { clockToleranceOf, epochSeconds, type ConfigState } from '../configuration.js'
import { argError } from '../internal/assert.js'
import { decodeBase64urlText } from '../internal/base64url.js'
import { UnsupportedOperationError, ope } from '../internal/errors.js'
import type { IDToken, JsonObject } from '../types.js'

/** A validated ID Token: its claims, and the compact JWS (after decryption) for an optional signature check. */
export interface ValidatedIdToken {
  claims: IDToken
  header: JsonObject
  jws: string
}

const CLAIM_NAMES: Record<string, string> = {
  aud: 'audience',
  exp: 'expiration time',
  iat: 'issued at',
  iss: 'issuer',
  sub: 'subject',
  nbf: 'not before',
  auth_time: 'authentication time',
  azp: 'authorized party',
}
const describe = (claim: string) => `"${claim}" (${CLAIM_NAMES[claim] ?? claim})`

/**
 * Validates an ID Token received from the token endpoint (OIDC Core §3.1.3.7, contract §2.5): decryption when
 * configured, algorithm policy, claim types, timestamps, issuer, audience and authorized party. The signature
 * is checked separately, only when non-repudiation checks are enabled (TLS is the trust anchor otherwise).
 */
export async function validateIdToken(state: ConfigState, token: string): Promise<ValidatedIdToken> {
  checkDefaultMaxAge(state.client.default_max_age)
  let jws = token
  if (token.split('.').length === 5) {
    if (state.decrypt === undefined) throw new UnsupportedOperationError('JWE decryption is not configured')
    jws = await state.decrypt(token)
  }
  const parts = jws.split('.')
  if (parts.length !== 3) throw ope('Invalid JWT', 'OAUTH_INVALID_RESPONSE', { jwt: token })

  const header = decodeSegment(parts[0]!, 'Header')
  const alg = header['alg']
  if (alg !== expectedAlg(state, alg)) {
    throw ope('unexpected JWT "alg" header parameter', 'OAUTH_INVALID_RESPONSE', { header })
  }
  if (header['crit'] !== undefined) {
    throw new UnsupportedOperationError('no JWT "crit" header parameter extensions are supported')
  }
  const claims = decodeSegment(parts[1]!, 'Payload')
  checkClaimTypesAndTimes(state, claims, header)
  checkRequiredClaims(state, claims)
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

/** `alg` is accepted when it is the one policy allows: client setting, else server list, else RS256. */
function expectedAlg(state: ConfigState, alg: unknown): unknown {
  const configured = state.client.id_token_signed_response_alg
  if (typeof configured === 'string') return configured
  const supported = state.as.id_token_signing_alg_values_supported
  if (Array.isArray(supported)) return typeof alg === 'string' && supported.includes(alg) ? alg : Symbol()
  return 'RS256'
}

function decodeSegment(segment: string, name: string): JsonObject {
  let value: unknown
  try {
    value = JSON.parse(decodeBase64urlText(segment))
  } catch (cause) {
    throw ope(`failed to parse JWT ${name} body as base64url encoded JSON`, 'OAUTH_PARSE_ERROR', cause)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw ope(`JWT ${name} must be a top level object`, 'OAUTH_INVALID_RESPONSE', {
      [name.toLowerCase()]: value,
    })
  }
  return value as JsonObject
}

function checkClaimTypesAndTimes(state: ConfigState, claims: JsonObject, header: JsonObject) {
  const now = epochSeconds(state)
  const tolerance = clockToleranceOf(state)
  const { exp, iat, iss, nbf, aud } = claims
  const cause = { claims, header, now, tolerance }
  if (exp !== undefined) {
    if (typeof exp !== 'number')
      throw ope(`unexpected JWT ${describe('exp')} claim type`, 'OAUTH_INVALID_RESPONSE', cause)
    if (exp <= now - tolerance) {
      throw ope(
        `unexpected JWT ${describe('exp')} claim value, expiration is past current timestamp`,
        'OAUTH_JWT_TIMESTAMP_CHECK_FAILED',
        cause,
      )
    }
  }
  if (iat !== undefined && typeof iat !== 'number') {
    throw ope(`unexpected JWT ${describe('iat')} claim type`, 'OAUTH_INVALID_RESPONSE', cause)
  }
  if (iss !== undefined && typeof iss !== 'string') {
    throw ope(`unexpected JWT ${describe('iss')} claim type`, 'OAUTH_INVALID_RESPONSE', cause)
  }
  if (nbf !== undefined) {
    if (typeof nbf !== 'number')
      throw ope(`unexpected JWT ${describe('nbf')} claim type`, 'OAUTH_INVALID_RESPONSE', cause)
    if (nbf > now + tolerance) {
      throw ope(`unexpected JWT ${describe('nbf')} claim value`, 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED', cause)
    }
  }
  if (aud !== undefined && typeof aud !== 'string' && !Array.isArray(aud)) {
    throw ope(`unexpected JWT ${describe('aud')} claim type`, 'OAUTH_INVALID_RESPONSE', cause)
  }
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

function checkRequiredClaims(state: ConfigState, claims: JsonObject) {
  const required = ['aud', 'exp', 'iat', 'iss', 'sub']
  const { require_auth_time, default_max_age } = state.client
  if (require_auth_time === true || default_max_age !== undefined) required.push('auth_time')
  for (const claim of required) {
    if (claims[claim] === undefined) {
      throw ope(`JWT ${describe(claim)} claim missing`, 'OAUTH_INVALID_RESPONSE', { claims })
    }
  }
}

function checkIssuer(state: ConfigState, claims: JsonObject) {
  const expected =
    state.issuerTemplate !== undefined && typeof claims['tid'] === 'string'
      ? state.issuerTemplate.replace('{tenantid}', claims['tid'])
      : state.as.issuer
  if (claims['iss'] !== expected) {
    throw ope(`unexpected JWT ${describe('iss')} claim value`, 'OAUTH_JWT_CLAIM_COMPARISON_FAILED', {
      expected,
      claims,
      claim: 'iss',
    })
  }
}

function checkAudience(state: ConfigState, claims: JsonObject) {
  const clientId = state.client.client_id
  const aud = claims['aud']
  const matches = Array.isArray(aud) ? aud.includes(clientId) : aud === clientId
  if (!matches) {
    throw ope(`unexpected JWT ${describe('aud')} claim value`, 'OAUTH_JWT_CLAIM_COMPARISON_FAILED', {
      expected: clientId,
      claims,
      claim: 'aud',
    })
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
