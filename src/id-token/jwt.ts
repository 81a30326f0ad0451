import { clockToleranceOf, epochSeconds, type ConfigState } from '../configuration.js'
import { checkNesting } from '../http/body.js'
import { decodeBase64urlText } from '../internal/base64url.js'
import { OperationProcessingError, UnsupportedOperationError, ope } from '../internal/errors.js'
import { placeholder } from '../internal/redact.js'
import type { JsonObject } from '../types.js'

/**
 * What every JWT the client receives in a response goes through (ID Tokens, JWT introspection responses):
 * decryption when configured, the algorithm policy, `crit`, and the registered claims' types and timestamps
 * (RFC 7519 §4.1). What is specific to each kind of token stays with its caller.
 */

export interface DecodedJwt {
  header: JsonObject
  claims: JsonObject
  /** The compact JWS after decryption, for an optional signature check. */
  jws: string
}

/** Which `alg` is acceptable: the client's setting, else the server's list, else RS256. */
export interface AlgPolicy {
  configured: unknown
  supported: unknown
  /** The alg when neither is set: RS256 unless given; `null` for none (UserInfo), a configuration error. */
  fallback?: string | null
}

export async function decodeJwt(state: ConfigState, token: string, policy: AlgPolicy): Promise<DecodedJwt> {
  let jws = token
  if (token.split('.').length === 5) {
    if (state.decrypt === undefined) throw new UnsupportedOperationError('JWE decryption is not configured')
    jws = await state.decrypt(token)
  }
  const parts = jws.split('.')
  // The token may be live (an ID Token, or whatever a server put where a JWT belongs): only its length shows (D27).
  if (parts.length !== 3) throw ope('Invalid JWT', 'OAUTH_INVALID_RESPONSE', { jwt: placeholder(token) })

  const header = decodeSegment(parts[0]!, 'Header')
  if (!isAcceptedAlg(policy, header['alg'])) {
    throw ope('unexpected JWT "alg" header parameter', 'OAUTH_INVALID_RESPONSE', { header })
  }
  if (header['crit'] !== undefined) {
    throw new UnsupportedOperationError('no JWT "crit" header parameter extensions are supported')
  }
  const claims = decodeSegment(parts[1]!, 'Payload')
  checkClaimTypesAndTimes(state, claims, header)
  return { header, claims, jws }
}

function isAcceptedAlg({ configured, supported, fallback = 'RS256' }: AlgPolicy, alg: unknown): boolean {
  if (typeof configured === 'string') return alg === configured
  if (Array.isArray(supported)) return typeof alg === 'string' && supported.includes(alg)
  if (fallback === null) {
    throw new OperationProcessingError(
      'missing client or server configuration to verify used JWT "alg" header parameter',
    )
  }
  return alg === fallback
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
  c_hash: 'code hash',
  s_hash: 'state hash',
}
export const describe = (claim: string) => `"${claim}" (${CLAIM_NAMES[claim] ?? claim})`

function decodeSegment(segment: string, name: string): JsonObject {
  let value: unknown
  let text: string
  try {
    text = decodeBase64urlText(segment)
    value = JSON.parse(text)
  } catch (cause) {
    throw ope(`failed to parse JWT ${name} body as base64url encoded JSON`, 'OAUTH_PARSE_ERROR', cause)
  }
  // The same nesting limit as a response body (D33).
  checkNesting(value, text)
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

export function checkIssuer(state: ConfigState, claims: JsonObject) {
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

export function checkAudience(state: ConfigState, claims: JsonObject) {
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
