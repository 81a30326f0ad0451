import type { ConfigState } from '../configuration.js'
import { readJsonObject } from '../http/body.js'
import { isResponse } from '../http/send.js'
import { expectStatus } from '../http/status.js'
import { validateIdToken, type ValidatedIdToken } from '../id-token/validate.js'
import { UnsupportedOperationError, ope } from '../internal/errors.js'
import { isHeaderSafeToken } from '../internal/header.js'
import type { TokenEndpointResponse } from '../types.js'

export interface TokenResponseOptions {
  /** token_type values accepted besides `bearer` and `dpop` (lower case), e.g. `n_a` for token exchange. */
  recognizedTokenTypes?: readonly string[]
  /** Whether an encrypted ID Token may be decrypted (client credentials says no, as openid-client does). */
  decrypt?: boolean
  /** ID Token claims required beyond the usual ones (the authorization code grant's `nonce`, `auth_time`). */
  idTokenClaims?: readonly string[]
}

export interface ProcessedTokenResponse {
  body: TokenEndpointResponse
  idToken: ValidatedIdToken | undefined
}

/**
 * Validates a token endpoint response (RFC 6749 §5.1, contract §2.4) field by field, then its ID Token when one
 * came back. Returns the parsed body itself, with `token_type` lower-cased and `expires_in` a number.
 */
export async function processTokenResponse(
  state: ConfigState,
  response: unknown,
  options: TokenResponseOptions = {},
): Promise<ProcessedTokenResponse> {
  // The usual 200 skips expectStatus's promise; any other status (or a non-Response) goes through it.
  const ok = isResponse(response) && response.status === 200 ? response : await expectStatus(response, 200)
  const body = await readJsonObject(ok)
  const cause = { body }
  const invalid = (name: string, rule: string) =>
    ope(`"response" body "${name}" property ${rule}`, 'OAUTH_INVALID_RESPONSE', cause)

  requireNonEmptyString(body, 'access_token', invalid)
  // Stricter than openid-client (D26): RFC 6749 A.12 `1*VSCHAR`, so that the token can later be sent in an
  // Authorization header, whose own error would quote it.
  if (!isHeaderSafeToken(body['access_token'] as string)) {
    throw invalid('access_token', 'must consist of visible ASCII characters')
  }
  requireNonEmptyString(body, 'token_type', invalid)
  const tokenType = (body['token_type'] as string).toLowerCase()
  body['token_type'] = tokenType

  if (body['expires_in'] !== undefined) {
    const raw = body['expires_in']
    // Lenient like openid-client: "3600" and even "3600s" read as 3600 (RFC 6749 says number).
    const seconds = typeof raw === 'number' ? raw : parseFloat(raw as string)
    if (typeof seconds !== 'number' || !Number.isFinite(seconds))
      throw invalid('expires_in', 'must be a number')
    if (seconds < 0) throw invalid('expires_in', 'must be a non-negative number')
    body['expires_in'] = seconds
  }
  if (body['refresh_token'] !== undefined) requireNonEmptyString(body, 'refresh_token', invalid)
  if (body['scope'] !== undefined && typeof body['scope'] !== 'string')
    throw invalid('scope', 'must be a string')

  let idToken: ValidatedIdToken | undefined
  if (body['id_token'] !== undefined) {
    requireNonEmptyString(body, 'id_token', invalid)
    const decryptingState = options.decrypt === false ? { ...state, decrypt: undefined } : state
    idToken = await validateIdToken(decryptingState, body['id_token'] as string, options.idTokenClaims)
  }

  const recognized = options.recognizedTokenTypes ?? []
  if (tokenType !== 'bearer' && tokenType !== 'dpop' && !recognized.includes(tokenType)) {
    throw new UnsupportedOperationError('unsupported `token_type` value', { cause })
  }
  return { body: body as unknown as TokenEndpointResponse, idToken }
}

function requireNonEmptyString(
  body: Record<string, unknown>,
  name: string,
  invalid: (name: string, rule: string) => Error,
) {
  const value = body[name]
  if (typeof value !== 'string') throw invalid(name, 'must be a string')
  if (value.length === 0) throw invalid(name, 'must not be empty')
}
