import { epochSeconds, resolveEndpoint, stateOf, type Configuration } from '../configuration.js'
import { argError, assertString, isJsonObject } from '../internal/assert.js'
import { randomBase64url } from '../internal/base64url.js'
import { toPublicError } from '../internal/errors.js'
import { algFromKey, checkSigningKey, signJws } from '../internal/jws.js'
import { modifyAssertion } from '../symbols.js'
import { tokenGrant } from '../token-endpoint/grant.js'
import { checkDPoP, toSearchParams } from '../token-endpoint/request.js'
import type {
  DPoPOptions,
  GrantParameters,
  JsonValue,
  ModifyAssertionOptions,
  PrivateKey,
  TokenEndpointResponse,
  TokenEndpointResponseHelpers,
} from '../types.js'

export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer'

/** Claims of a JWT authorization grant (RFC 7523 §3). Every one has a default; any other claim is kept. */
export interface JwtBearerClaims {
  /** Who issued the assertion. Default: the client_id. */
  iss?: string
  /** Whom the assertion is about (the principal the token is for). Default: the client_id. */
  sub?: string
  /** The authorization server. Default: its issuer identifier (see `audience` to use the token endpoint). */
  aud?: string | string[]
  /** Default: 60 seconds after `iat`. */
  exp?: number
  /** Default: now (with the configuration's clock skew). */
  iat?: number
  /** Not valid before this time (seconds since the epoch). No default. */
  nbf?: number
  /** Default: 32 random bytes, base64url. */
  jti?: string
  [claim: string]: JsonValue | undefined
}

export interface JwtBearerSignOptions extends ModifyAssertionOptions {
  /**
   * The default `aud` when `claims.aud` is not given: the server's `issuer` (default) or its `token_endpoint`
   * (RFC 7523 §3 allows either; servers differ in which they accept).
   */
  audience?: 'issuer' | 'token_endpoint'
}

/** The inputs to build the assertion with, instead of an assertion string. */
export interface JwtBearerAssertionInput extends JwtBearerSignOptions {
  /** The key to sign the assertion with, alone or with its `kid`. */
  privateKey: CryptoKey | PrivateKey
  /** The assertion's claims; every one has a default. */
  claims?: JwtBearerClaims
}

/**
 * Builds and signs a JWT for the JWT bearer grant (RFC 7523 §2.1, §3). The algorithm follows the key (ES256 for
 * a P-256 key, PS256 for RSA-PSS with SHA-256, ...); a `kid` given with the key goes into the header.
 *
 * @example
 * ```ts
 * let config!: client.Configuration
 * let privateKey!: CryptoKey
 *
 * const assertion = await client.signJwtBearerAssertion(config, { key: privateKey, kid: 'issuer-key-1' }, {
 *   iss: 'https://workload.example.com',
 *   sub: 'service-42',
 * })
 * ```
 *
 * @param config - The client's configuration: its `client_id` is the default `iss` and `sub`, its server the
 *   default `aud`.
 * @param privateKey - The signing key, alone or with its `kid` (`{ key, kid }`).
 * @param claims - Claims of the assertion; every one has a default (`exp` 60 seconds after `iat`, a random
 *   `jti`), and any other claim is kept.
 * @param options - `audience` (`issuer` or `token_endpoint`) for the default `aud`, `[modifyAssertion]` to
 *   change header and payload before signing.
 * @returns The compact JWS, for {@link jwtBearerGrant} or anyone else.
 * @see [RFC 7523 §3](https://www.rfc-editor.org/rfc/rfc7523.html#section-3)
 * @see [D23: one clock](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d23)
 */
export async function signJwtBearerAssertion(
  config: Configuration,
  privateKey: CryptoKey | PrivateKey,
  claims?: JwtBearerClaims,
  options?: JwtBearerSignOptions,
): Promise<string> {
  try {
    const state = stateOf(config)
    const { key, kid } = checkPrivateKey(privateKey)
    if (claims !== undefined && !isJsonObject(claims)) throw argError('"claims" must be an object')
    const audience = options?.audience ?? 'issuer'
    if (audience !== 'issuer' && audience !== 'token_endpoint') {
      throw argError('"options.audience" must be "issuer" or "token_endpoint"', 'ERR_INVALID_ARG_VALUE')
    }
    const modify = options?.[modifyAssertion]
    if (modify !== undefined && typeof modify !== 'function') {
      throw argError('"options[modifyAssertion]" must be a function')
    }
    const alg = algFromKey(key)
    const clientId = state.client.client_id
    const now = epochSeconds(state)
    const aud =
      claims?.aud ??
      (audience === 'token_endpoint'
        ? (resolveEndpoint(state, 'token_endpoint', false), state.as.token_endpoint!)
        : state.as.issuer)
    const header: Record<string, JsonValue | undefined> = { alg, ...(kid === undefined ? {} : { kid }) }
    const payload: Record<string, JsonValue | undefined> = {
      iss: clientId,
      sub: clientId,
      aud,
      exp: (claims?.iat ?? now) + 60,
      iat: now,
      jti: randomBase64url(),
    }
    for (const [name, value] of Object.entries(claims ?? {})) {
      if (value !== undefined) payload[name] = value
    }
    modify?.(header, payload)
    return await signJws(header, payload, key)
  } catch (err) {
    throw toPublicError(err)
  }
}

/**
 * The JWT bearer grant (RFC 7523 §2.1): trades a signed JWT, e.g. a workload identity token, for an access
 * token. Pass the assertion you already have, or the key and claims to build one with
 * {@link signJwtBearerAssertion}. The client still authenticates as configured.
 *
 * @example
 * ```ts
 * let config!: client.Configuration
 * let workloadIdentityToken!: string
 * let privateKey!: CryptoKey
 *
 * // an assertion someone else issued
 * const tokens = await client.jwtBearerGrant(config, workloadIdentityToken, { scope: 'api:read' })
 * // or one signed here
 * const built = await client.jwtBearerGrant(config, { privateKey, claims: { sub: 'service-42' } })
 * ```
 *
 * @param config - The client's configuration.
 * @param assertionOrInput - A signed assertion, or `{ privateKey, claims, audience }` to sign one here with
 *   {@link signJwtBearerAssertion}.
 * @param parameters - Extra parameters for the request (`scope`, `resource`, ...); an array value becomes
 *   repeated parameters.
 * @param options - `DPoP`: a handle from {@link getDPoPHandle} to bind the token to a key.
 * @returns The token response, with `claims()` (the validated ID Token's claims, if any) and `expiresIn()`.
 * @see [RFC 7523 §2.1](https://www.rfc-editor.org/rfc/rfc7523.html#section-2.1)
 */
export async function jwtBearerGrant(
  config: Configuration,
  assertionOrInput: string | JwtBearerAssertionInput,
  parameters?: GrantParameters,
  options?: DPoPOptions,
): Promise<TokenEndpointResponse & TokenEndpointResponseHelpers> {
  try {
    const state = stateOf(config)
    const DPoP = checkDPoP(options?.DPoP)
    const body = toSearchParams(parameters)
    if (typeof assertionOrInput === 'string') {
      assertString(assertionOrInput, '"assertion"')
      // RFC 7523 §2.1: a single JWT, i.e. a compact JWS (or JWE): dot-separated base64url parts.
      if (!/^[\w-]+(\.[\w-]*){2}$|^[\w-]+(\.[\w-]*){4}$/.test(assertionOrInput)) {
        throw argError('"assertion" must be a compact JWT', 'ERR_INVALID_ARG_VALUE')
      }
      // The caller's assertion is sent as given, on the DPoP nonce retry too.
      body.set('assertion', assertionOrInput)
      return await tokenGrant(state, JWT_BEARER_GRANT, body, { DPoP })
    }
    if (!isJsonObject(assertionOrInput)) {
      throw argError('"assertion" must be a string or an object with a "privateKey"')
    }
    const { privateKey, claims, ...signOptions } = assertionOrInput
    // Signed once before any request, so that a bad key or claim fails before I/O; then afresh for each
    // further attempt: a server that records `jti` before it checks the DPoP nonce would refuse a replay.
    let signed: Promise<string> | undefined = signJwtBearerAssertion(config, privateKey, claims, signOptions)
    await signed
    const build = async () => {
      const assertion = await (signed ?? signJwtBearerAssertion(config, privateKey, claims, signOptions))
      signed = undefined
      const form = new URLSearchParams(body)
      form.set('assertion', assertion)
      return form
    }
    return await tokenGrant(state, JWT_BEARER_GRANT, build, { DPoP })
  } catch (err) {
    throw toPublicError(err)
  }
}

function checkPrivateKey(value: unknown): { key: CryptoKey; kid: string | undefined } {
  if (isJsonObject(value) && 'key' in value) {
    const { key, kid } = value as { key: unknown; kid?: unknown }
    checkSigningKey(key, 'privateKey.key')
    if (kid !== undefined) assertString(kid, '"privateKey.kid"')
    return { key, kid }
  }
  checkSigningKey(value, 'privateKey')
  return { key: value, kid: undefined }
}
