import { assertString } from '../internal/assert.js'
import { encodeBase64url, randomBase64url } from '../internal/base64url.js'

/**
 * Random values of an authorization request: PKCE `code_verifier` (RFC 7636 §4.1), `state` (RFC 6749 §10.12) and
 * `nonce` (OIDC Core §3.1.2.1). Each is 32 bytes from the platform's CSPRNG, base64url-encoded without padding:
 * 43 characters of `[A-Za-z0-9_-]`, within the 43–128 characters RFC 7636 allows a verifier.
 */
const RANDOM_BYTES = 32

const encoder = new TextEncoder()

/**
 * Generates a random PKCE `code_verifier` (RFC 7636 §4.1). Keep it with the user-agent's session and hand it to
 * `authorizationCodeGrant` as `pkceCodeVerifier` when the user comes back.
 *
 * @returns 43 base64url characters (32 random bytes).
 *
 * @example
 * ```ts
 * const code_verifier = client.randomPKCECodeVerifier()
 * const code_challenge = await client.calculatePKCECodeChallenge(code_verifier)
 * ```
 */
export function randomPKCECodeVerifier(): string {
  return randomBase64url(RANDOM_BYTES)
}

/**
 * Calculates the S256 PKCE `code_challenge` of a `code_verifier` (RFC 7636 §4.2): base64url of the SHA-256 of
 * its UTF-8 bytes. Send it with `code_challenge_method: 'S256'`.
 *
 * @param codeVerifier The `code_verifier`, e.g. from {@link randomPKCECodeVerifier}; a non-empty string.
 * @returns The `code_challenge`; rejects with a TypeError (`ERR_INVALID_ARG_TYPE` / `ERR_INVALID_ARG_VALUE`) for
 *   anything but a non-empty string.
 *
 * @example
 * ```ts
 * let config!: client.Configuration
 * let code_verifier!: string // from client.randomPKCECodeVerifier(), kept in the session
 * const redirect_uri = 'https://rp.example.com/callback'
 *
 * const code_challenge = await client.calculatePKCECodeChallenge(code_verifier)
 * const url = client.buildAuthorizationUrl(config, { redirect_uri, scope: 'openid', code_challenge, code_challenge_method: 'S256' })
 * ```
 */
export async function calculatePKCECodeChallenge(codeVerifier: string): Promise<string> {
  assertString(codeVerifier, 'codeVerifier')
  return encodeBase64url(await crypto.subtle.digest('SHA-256', encoder.encode(codeVerifier)))
}

/**
 * Generates a random OAuth 2.0 `state` value (RFC 6749 §10.12), to tie the authorization response to the
 * user-agent that started the request.
 *
 * @returns 43 base64url characters (32 random bytes).
 *
 * @example
 * ```ts
 * let config!: client.Configuration
 * const redirect_uri = 'https://rp.example.com/callback'
 *
 * const state = client.randomState()
 * const url = client.buildAuthorizationUrl(config, { redirect_uri, scope: 'openid', state })
 * ```
 */
export function randomState(): string {
  return randomBase64url(RANDOM_BYTES)
}

/**
 * Generates a random OpenID Connect `nonce` value (OIDC Core §3.1.2.1), echoed in the ID Token and checked with
 * `expectedNonce` when the user comes back.
 *
 * @returns 43 base64url characters (32 random bytes).
 *
 * @example
 * ```ts
 * let config!: client.Configuration
 * const redirect_uri = 'https://rp.example.com/callback'
 *
 * const nonce = client.randomNonce()
 * const url = client.buildAuthorizationUrl(config, { redirect_uri, scope: 'openid', nonce })
 * ```
 */
export function randomNonce(): string {
  return randomBase64url(RANDOM_BYTES)
}
