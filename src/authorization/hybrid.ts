import { epochSeconds, stateOf, type ConfigState, type Configuration } from '../configuration.js'
import { ClientError } from '../errors.js'
import { verifyJwsSignature } from '../id-token/signature.js'
import { validateIdToken } from '../id-token/validate.js'
import { argError } from '../internal/assert.js'
import { encodeBase64url } from '../internal/base64url.js'
import { UnsupportedOperationError, ope } from '../internal/errors.js'
import type { JsonObject } from '../types.js'
import {
  checkAuthTime,
  checkNonce,
  resolveMaxAge,
  FLAG_DETACHED,
  FLAG_HYBRID,
  redactedParams,
  singleParam,
  useExclusiveFlag,
  validateAuthResponse,
} from './callback.js'
import { decryptedJws } from './decrypted.js'

/**
 * Makes this configuration use the hybrid response type `code id_token` (OIDC Core §3.3):
 * `buildAuthorizationUrl` asks for it, and `authorizationCodeGrant` expects the response in the fragment (or a
 * form_post body), checks the ID Token that came with it (signature against the issuer's JWKS, `nonce`, `c_hash`,
 * `s_hash` when present, `auth_time`) before exchanging the code. `expectedNonce` becomes required. Cannot be
 * combined with JARM or the implicit response type.
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
 *   execute: [useCodeIdTokenResponseType],
 * })
 * ```
 *
 * @see [OpenID Connect Core 1.0 §3.3](https://openid.net/specs/openid-connect-core-1_0.html#HybridFlowAuth)
 */
export function useCodeIdTokenResponseType(config: Configuration): void {
  const state = useExclusiveFlag(
    config,
    FLAG_HYBRID,
    '"code id_token" response type cannot be combined with JARM or implicit response type',
  )
  state.flags.delete(FLAG_DETACHED)
}

/**
 * Adds the FAPI 1.0 Advanced detached signature checks to the hybrid response type: the ID Token in the
 * authorization response must carry `s_hash` whenever a state is expected or returned. Apply
 * {@link useCodeIdTokenResponseType} first.
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
 *   execute: [useCodeIdTokenResponseType, enableDetachedSignatureResponseChecks],
 * })
 * ```
 *
 * @see [OpenID Connect Core 1.0 §3.3.2.12](https://openid.net/specs/openid-connect-core-1_0.html#HybridIDTValidation)
 */
export function enableDetachedSignatureResponseChecks(config: Configuration): void {
  const state = stateOf(config)
  if (!state.flags.has(FLAG_HYBRID)) {
    throw new ClientError('"code id_token" response type must be configured to be used first', {
      code: 'OAUTH_UNSUPPORTED_OPERATION',
    })
  }
  state.flags.add(FLAG_DETACHED)
}

/** Before anything is read: the same TypeErrors as openid-client's hybrid path. */
export function checkHybridArguments(
  expectedNonce: unknown,
  expectedState: unknown,
): asserts expectedNonce is string {
  if (typeof expectedNonce !== 'string') throw argError('"expectedNonce" must be a string')
  if (expectedState !== undefined && typeof expectedState !== 'string') {
    throw argError('"expectedState" must be a string')
  }
}

export interface ValidatedHybrid {
  /** The authorization response without its ID Token, for the code exchange. */
  params: URLSearchParams
  /** The compact JWS inside the ID Token, when it was encrypted. */
  decrypted: string | undefined
}

/**
 * Checks a `code id_token` authorization response (OIDC Core §3.3.2.12, FAPI 1.0 Advanced §5.2.2.1 when
 * `detached`), in openid-client's order: the response parameters, then the ID Token's claims, the signature, and
 * the code and state hashes.
 */
export async function validateHybridResponse(
  state: ConfigState,
  url: URL,
  expectedNonce: string,
  expectedState: string | undefined,
  maxAge: unknown,
  detached: boolean,
): Promise<ValidatedHybrid> {
  if (url.hash.length === 0) {
    throw argError(
      '"parameters" as an instance of URL must contain a hash (fragment) with the Authorization Response parameters',
      'ERR_INVALID_ARG_VALUE',
    )
  }
  const params = new URLSearchParams(url.hash.slice(1))
  const idToken = singleParam(params, 'id_token')
  params.delete('id_token')
  // The ID Token's s_hash binds the state; RFC 9207 `iss` is optional here, as in openid-client.
  const result = validateAuthResponse(
    { ...state.as, authorization_response_iss_parameter_supported: false },
    params,
    expectedState,
  )
  if (!idToken) throw ope('"parameters" does not contain an ID Token', 'OAUTH_INVALID_RESPONSE')
  const code = singleParam(params, 'code')
  if (!code) throw ope('"parameters" does not contain an Authorization Code', 'OAUTH_INVALID_RESPONSE')

  const required = ['nonce', 'c_hash']
  const returnedState = params.get('state')
  if (detached && (typeof expectedState === 'string' || returnedState !== null)) required.push('s_hash')
  const resolvedMaxAge = resolveMaxAge(state, maxAge)
  if (state.client.require_auth_time || resolvedMaxAge !== undefined) required.push('auth_time')

  const { claims, header, jws } = await validateIdToken(state, idToken, required)
  const now = epochSeconds(state)
  if ((claims.iat as number) < now - 3600) {
    throw ope(
      'unexpected JWT "iat" (issued at) claim value, it is too far in the past',
      'OAUTH_JWT_TIMESTAMP_CHECK_FAILED',
      { now, claims, claim: 'iat' },
    )
  }
  if (typeof claims.c_hash !== 'string' || claims.c_hash.length === 0) {
    const rule = typeof claims.c_hash === 'string' ? 'must not be empty' : 'must be a string'
    throw ope(`ID Token "c_hash" (code hash) claim value ${rule}`, 'OAUTH_INVALID_RESPONSE', { claims })
  }
  checkAuthTime(state, claims as unknown as JsonObject, resolvedMaxAge)
  if (expectedNonce.length === 0) {
    throw argError('"expectedNonce" argument must not be empty', 'ERR_INVALID_ARG_VALUE')
  }
  checkNonce(claims as unknown as JsonObject, expectedNonce)
  // The ID Token came through the browser: its signature is always checked.
  await verifyJwsSignature(state, jws)
  const alg = header['alg']
  if ((await idTokenHash(code, alg, 'c_hash')) !== claims.c_hash) {
    throw ope('invalid ID Token "c_hash" (code hash) claim value', 'OAUTH_JWT_CLAIM_COMPARISON_FAILED', {
      code: redactedParams(new URLSearchParams({ code })).get('code'),
      alg,
      claim: 'c_hash',
      claims,
    })
  }
  if ((detached && returnedState !== null) || claims['s_hash'] !== undefined) {
    const sHash = claims['s_hash']
    if (typeof sHash !== 'string' || sHash.length === 0) {
      const rule = typeof sHash === 'string' ? 'must not be empty' : 'must be a string'
      throw ope(`ID Token "s_hash" (state hash) claim value ${rule}`, 'OAUTH_INVALID_RESPONSE', { claims })
    }
    if (returnedState === null || returnedState.length === 0) {
      const rule = returnedState === null ? 'must be a string' : 'must not be empty'
      throw ope(`"state" response parameter ${rule}`, 'OAUTH_INVALID_RESPONSE', {
        parameters: redactedParams(params),
      })
    }
    if ((await idTokenHash(returnedState, alg, 's_hash')) !== sHash) {
      throw ope('invalid ID Token "s_hash" (state hash) claim value', 'OAUTH_JWT_CLAIM_COMPARISON_FAILED', {
        state: returnedState,
        alg,
        claim: 's_hash',
        claims,
      })
    }
  }
  return { params: result, decrypted: decryptedJws(idToken, jws) }
}

/**
 * OIDC Core §3.3.2.11: the left half of the hash of the ASCII value, base64url-encoded, with the hash of the
 * JWS algorithm (SHA-512 for EdDSA, cSHAKE256 for ML-DSA as openid-client computes it).
 */
export async function idTokenHash(value: string, alg: unknown, claim: string): Promise<string> {
  let algorithm: AlgorithmIdentifier | { name: string; length: number; outputLength: number }
  switch (alg) {
    case 'RS256':
    case 'PS256':
    case 'ES256':
      algorithm = 'SHA-256'
      break
    case 'RS384':
    case 'PS384':
    case 'ES384':
      algorithm = 'SHA-384'
      break
    case 'RS512':
    case 'PS512':
    case 'ES512':
    case 'Ed25519':
    case 'EdDSA':
      algorithm = 'SHA-512'
      break
    case 'ML-DSA-44':
    case 'ML-DSA-65':
    case 'ML-DSA-87':
      algorithm = { name: 'cSHAKE256', length: 512, outputLength: 512 }
      break
    default:
      throw new UnsupportedOperationError(`unsupported JWS algorithm for ${claim} calculation`, {
        cause: { alg },
      })
  }
  const digest = new Uint8Array(await crypto.subtle.digest(algorithm, new TextEncoder().encode(value)))
  return encodeBase64url(digest.subarray(0, digest.byteLength / 2))
}
