import { clockToleranceOf, epochSeconds, type ConfigState } from '../configuration.js'
import { decodeBase64urlText } from '../internal/base64url.js'
import { UnsupportedOperationError, ope } from '../internal/errors.js'
import type { JsonObject } from '../types.js'

/** The media type of a JWT introspection response (RFC 9701 §5). */
export const INTROSPECTION_JWT = 'application/token-introspection+jwt'

export interface IntrospectionJwt {
  /** The `token_introspection` claim: the introspection response proper. */
  response: JsonObject
  /** The compact JWS (after decryption), for the optional signature check. */
  jws: string
}

/**
 * Validates a JWT introspection response (RFC 9701 §5): decryption when configured, algorithm policy, `typ`,
 * timestamps, `iss`, `aud` and `iat`. As with ID Tokens from the token endpoint, the signature is checked only
 * when non-repudiation checks are on: the response arrived over the client's own TLS connection.
 */
export async function processIntrospectionJwt(state: ConfigState, token: string): Promise<IntrospectionJwt> {
  let jws = token
  if (token.split('.').length === 5) {
    if (state.decrypt === undefined) throw new UnsupportedOperationError('JWE decryption is not configured')
    jws = await state.decrypt(token)
  }
  const parts = jws.split('.')
  if (parts.length !== 3) throw ope('Invalid JWT', 'OAUTH_INVALID_RESPONSE', { jwt: token })
  const header = decodeSegment(parts[0]!, 'header')
  if (header['alg'] !== expectedAlg(state, header['alg'])) {
    throw ope('unexpected JWT "alg" header parameter', 'OAUTH_INVALID_RESPONSE', { header })
  }
  if (header['crit'] !== undefined) {
    throw new UnsupportedOperationError('no JWT "crit" header parameter extensions are supported')
  }
  const claims = decodeSegment(parts[1]!, 'payload')
  checkTimes(state, claims)
  // RFC 9701 §5: typ is "token-introspection+jwt" (the "application/" prefix may be left out, RFC 7515 §4.1.9).
  const typ = header['typ']
  if (
    typeof typ !== 'string' ||
    typ.toLowerCase().replace(/^application\//, '') !== 'token-introspection+jwt'
  ) {
    throw ope('unexpected JWT "typ" header parameter value', 'OAUTH_INVALID_RESPONSE', { header })
  }
  for (const claim of ['aud', 'iat', 'iss']) {
    if (claims[claim] === undefined) {
      throw ope(`JWT "${claim}" claim missing`, 'OAUTH_INVALID_RESPONSE', { claims })
    }
  }
  if (claims['iss'] !== state.as.issuer) {
    throw ope('unexpected JWT "iss" (issuer) claim value', 'OAUTH_JWT_CLAIM_COMPARISON_FAILED', {
      expected: state.as.issuer,
      claims,
      claim: 'iss',
    })
  }
  const clientId = state.client.client_id
  const aud = claims['aud']
  if (!(Array.isArray(aud) ? aud.includes(clientId) : aud === clientId)) {
    throw ope('unexpected JWT "aud" (audience) claim value', 'OAUTH_JWT_CLAIM_COMPARISON_FAILED', {
      expected: clientId,
      claims,
      claim: 'aud',
    })
  }
  const response = claims['token_introspection']
  if (typeof response !== 'object' || response === null || Array.isArray(response)) {
    throw ope('"token_introspection" claim must be a JSON object', 'OAUTH_INVALID_RESPONSE', { claims })
  }
  return { response, jws }
}

/** The client's `introspection_signed_response_alg`, else one the server lists, else RS256. */
function expectedAlg(state: ConfigState, alg: unknown): unknown {
  const configured = state.client.introspection_signed_response_alg
  if (typeof configured === 'string') return configured
  const supported = state.as.introspection_signing_alg_values_supported
  if (Array.isArray(supported)) return typeof alg === 'string' && supported.includes(alg) ? alg : Symbol()
  return 'RS256'
}

function decodeSegment(segment: string, name: string): JsonObject {
  let value: unknown
  try {
    value = JSON.parse(decodeBase64urlText(segment))
  } catch (cause) {
    throw ope(`failed to parse JWT ${name} as base64url encoded JSON`, 'OAUTH_PARSE_ERROR', cause)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw ope(`JWT ${name} must be a top level object`, 'OAUTH_INVALID_RESPONSE', { [name]: value })
  }
  return value as JsonObject
}

function checkTimes(state: ConfigState, claims: JsonObject): void {
  const now = epochSeconds(state)
  const tolerance = clockToleranceOf(state)
  const { exp, nbf, iat, iss, aud } = claims
  const cause = { claims, now, tolerance }
  const type = (name: string) => ope(`unexpected JWT "${name}" claim type`, 'OAUTH_INVALID_RESPONSE', cause)
  if (exp !== undefined) {
    if (typeof exp !== 'number') throw type('exp')
    if (exp <= now - tolerance) {
      throw ope(
        'unexpected JWT "exp" (expiration time) claim value, expiration is past current timestamp',
        'OAUTH_JWT_TIMESTAMP_CHECK_FAILED',
        cause,
      )
    }
  }
  if (nbf !== undefined) {
    if (typeof nbf !== 'number') throw type('nbf')
    if (nbf > now + tolerance) {
      throw ope(
        'unexpected JWT "nbf" (not before) claim value, it is in the future',
        'OAUTH_JWT_TIMESTAMP_CHECK_FAILED',
        cause,
      )
    }
  }
  if (iat !== undefined && typeof iat !== 'number') throw type('iat')
  if (iss !== undefined && typeof iss !== 'string') throw type('iss')
  if (aud !== undefined && typeof aud !== 'string' && !Array.isArray(aud)) throw type('aud')
}
