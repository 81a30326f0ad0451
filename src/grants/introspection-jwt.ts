import type { ConfigState } from '../configuration.js'
import { checkAudience, checkIssuer, decodeJwt } from '../id-token/jwt.js'
import { ope } from '../internal/errors.js'
import { registerBody } from '../internal/redact.js'
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
export async function processIntrospectionJwt(
  state: ConfigState,
  token: string,
  source: Response,
): Promise<IntrospectionJwt> {
  const { header, claims, jws } = await decodeJwt(state, token, {
    configured: state.client.introspection_signed_response_alg,
    supported: state.as.introspection_signing_alg_values_supported,
  })
  // The claims came from `source`: an error carrying them redacts the client's secrets, as for JSON bodies (D27).
  registerBody(claims, source)
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
  checkIssuer(state, claims)
  checkAudience(state, claims)
  const response = claims['token_introspection']
  if (typeof response !== 'object' || response === null || Array.isArray(response)) {
    throw ope('"token_introspection" claim must be a JSON object', 'OAUTH_INVALID_RESPONSE', { claims })
  }
  registerBody(response, source)
  return { response, jws }
}
