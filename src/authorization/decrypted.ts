import { decryptedOf } from '../internal/decrypted.js'

/**
 * The compact JWS behind each decrypted response (openid-client 6.9.0 `getDecryptedResponses`). Every function
 * that can decrypt a response records, on the very object it resolves to, the signed JWT it found inside the JWE:
 * token endpoint ID Tokens (every grant that runs through `tokenGrant`), JWT introspection responses, UserInfo
 * JWTs, implicit ID Tokens, and for `authorizationCodeGrant` a record of the JARM response and both ID Tokens.
 * Unencrypted responses record nothing.
 */

/** Inner compact JWS values decrypted by `authorizationCodeGrant`. */
export interface DecryptedAuthorizationCodeResponses {
  /** Inner signed ID Tokens decrypted from Token and Authorization Endpoint responses. */
  readonly id_token?: {
    /** Inner signed ID Token decrypted from the Token Endpoint response. */
    readonly token_endpoint?: string
    /** Inner signed ID Token decrypted from a hybrid or detached-signature authorization response. */
    readonly authorization_endpoint?: string
  }
  /** Inner signed JWT Secured Authorization Response Mode (JARM) response. */
  readonly authorization_response?: string
}

declare const decryptedResponseType: unique symbol
/** A result that may carry decrypted responses of shape `S` (a type-level brand only, as in openid-client). */
export type WithDecryptedResponse<T, S extends string | DecryptedAuthorizationCodeResponses> = T & {
  readonly [decryptedResponseType]?: S
}

// The registry itself sits below the token pipeline (src/internal/decrypted.ts); the callback and UserInfo use it
// through here.
export { decryptedJws, decryptedOf, recordDecrypted } from '../internal/decrypted.js'

/**
 * Returns the inner compact JWS values decrypted from a successfully processed response, as openid-client 6.9.0
 * does. `enableDecryptingResponses` must have been applied when the response was processed, and only JWTs that
 * arrived encrypted are kept.
 *
 * `authorizationCodeGrant` results give a {@link DecryptedAuthorizationCodeResponses} record (the JARM response,
 * the authorization endpoint's and the token endpoint's ID Tokens); `refreshTokenGrant`, `genericGrantRequest`,
 * `pollDeviceAuthorizationGrant`, `pollBackchannelAuthenticationGrant`, `implicitAuthentication`,
 * `fetchUserInfo` and `tokenIntrospection` results give a single compact JWS. Anything else, a result with
 * nothing decrypted, or a copy of a result, gives `undefined`.
 *
 * @param result - The object a response-processing function resolved to (not a copy of it).
 * @returns The inner JWS, a record of them, or `undefined`.
 *
 * @example
 * ```ts
 * let config!: client.Configuration
 * let privateKey!: CryptoKey
 * let currentUrl!: URL
 * let pkceCodeVerifier!: string
 * let expectedState!: string
 *
 * enableDecryptingResponses(config, undefined, privateKey)
 * const tokens = await authorizationCodeGrant(config, currentUrl, { pkceCodeVerifier, expectedState })
 * const signed = getDecryptedResponses(tokens)
 * signed?.id_token?.token_endpoint // the compact JWS inside the token endpoint's encrypted ID Token
 * ```
 *
 * @example
 * ```ts
 * let config!: client.Configuration
 * let accessToken!: string
 * let subject!: string
 *
 * const userInfo = await fetchUserInfo(config, accessToken, subject)
 * const signed: string | undefined = getDecryptedResponses(userInfo)
 * ```
 *
 * @see [D75: every function that can decrypt](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d75)
 */
export function getDecryptedResponses<S extends string | DecryptedAuthorizationCodeResponses>(
  result: WithDecryptedResponse<object, S>,
): S | undefined
export function getDecryptedResponses(
  result: object,
): string | DecryptedAuthorizationCodeResponses | undefined
export function getDecryptedResponses(
  result: unknown,
): string | DecryptedAuthorizationCodeResponses | undefined {
  return decryptedOf(result) as string | DecryptedAuthorizationCodeResponses | undefined
}
