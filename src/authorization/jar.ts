import { epochSeconds, stateOf, type Configuration } from '../configuration.js'
import { randomJti } from '../client-auth/jti.js'
import { argError, assertString, isJsonObject } from '../internal/assert.js'
import { ope, toPublicError, UnsupportedOperationError } from '../internal/errors.js'
import { compactEncrypt, joseErrors } from '../internal/jose.js'
import { algFromKey, isCryptoKey, modifyAssertionOf, signJws } from '../internal/jws.js'
import type { ClientMetadata, JsonValue, JWK, ModifyAssertionOptions, PrivateKey } from '../types.js'
import { authorizationUrl, type AuthorizationParameters } from './url.js'

/** RFC 9101 §4: the media type of a request object, in its `typ` header. */
const REQUEST_OBJECT_TYP = 'oauth-authz-req+jwt'
/** Seconds a request object is valid: the user-agent takes it to the server right away. */
const LIFETIME = 60

/** The key and `kid` of the signing key argument, checked as openid-client checks them. */
function signingKeyOf(signingKey: unknown): { key: CryptoKey; kid: string | undefined } {
  if (!signingKey) throw argError('"signingKey" must be provided', 'ERR_INVALID_ARG_VALUE')
  let key: unknown
  let kid: unknown
  if (isCryptoKey(signingKey)) {
    key = signingKey
  } else if (isCryptoKey((signingKey as Partial<PrivateKey>).key)) {
    ;({ key, kid } = signingKey as PrivateKey)
    if (kid !== undefined) assertString(kid, '"kid"')
  }
  if (!isCryptoKey(key)) throw argError('"privateKey.key" must be a CryptoKey')
  if (key.type !== 'private') {
    throw argError('"privateKey.key" must be a private CryptoKey', 'ERR_INVALID_ARG_VALUE')
  }
  return { key, kid: kid as string | undefined }
}

/**
 * Encryption of the signed request object (RFC 9101 §6.1, OIDC Core §6.1): a grantline extension, openid-client
 * 6.9.0 has none (docs/decisions.md D63).
 */
export interface RequestObjectEncryption {
  /**
   * The server's public encryption key: a JWK from its `jwks_uri` (one with `use: "enc"`), or a public CryptoKey
   * (ECDH, X25519, RSA-OAEP).
   */
  key: CryptoKey | JWK
  /**
   * JWE `alg`. Default: the client metadata `request_object_encryption_alg`, else the JWK's `alg`, else `ECDH-ES`
   * for EC and OKP keys and `RSA-OAEP-256` for RSA keys.
   */
  alg?: string
  /** JWE `enc`. Default: the client metadata `request_object_encryption_enc`, else `A128CBC-HS256` (OIDC Registration §2). */
  enc?: string
}

/** Options of {@link buildAuthorizationUrlWithJAR}. */
export interface RequestObjectOptions extends ModifyAssertionOptions {
  /** Encrypts the signed request object to the server (extension, D63). */
  encryption?: RequestObjectEncryption
}

/** The JWE `alg` a key implies when neither the caller nor the client metadata says. */
function defaultKeyManagement(key: CryptoKey | JWK): string | undefined {
  if (isCryptoKey(key)) {
    const { name, hash } = key.algorithm as RsaHashedKeyAlgorithm
    if (name === 'RSA-OAEP') return hash?.name === 'SHA-1' ? 'RSA-OAEP' : `RSA-OAEP-${hash?.name.slice(4)}`
    return name === 'ECDH' || name === 'X25519' ? 'ECDH-ES' : undefined
  }
  if (typeof key.alg === 'string') return key.alg
  return key.kty === 'RSA' ? 'RSA-OAEP-256' : key.kty === 'EC' || key.kty === 'OKP' ? 'ECDH-ES' : undefined
}

/** Checks the encryption option before anything is signed. */
function encryptionOf(
  options: RequestObjectOptions | undefined,
  client: Readonly<ClientMetadata>,
): { key: CryptoKey | JWK; alg: string; enc: string; kid: string | undefined } | undefined {
  const encryption = options?.encryption
  if (encryption === undefined) return undefined
  if (typeof encryption !== 'object' || encryption === null) {
    throw argError('"options.encryption" must be an object')
  }
  const { key } = encryption
  if (!isCryptoKey(key) && (typeof key !== 'object' || key === null || typeof key.kty !== 'string')) {
    throw argError('"options.encryption.key" must be a CryptoKey or a JWK')
  }
  if (isCryptoKey(key) && key.type !== 'public') {
    throw argError('"options.encryption.key" must be a public CryptoKey', 'ERR_INVALID_ARG_VALUE')
  }
  const alg = encryption.alg ?? client['request_object_encryption_alg'] ?? defaultKeyManagement(key)
  const enc = encryption.enc ?? client['request_object_encryption_enc'] ?? 'A128CBC-HS256'
  if (typeof alg !== 'string' || alg.length === 0) {
    throw argError('"options.encryption.alg" must be a non-empty string', 'ERR_INVALID_ARG_VALUE')
  }
  if (typeof enc !== 'string' || enc.length === 0) {
    throw argError('"options.encryption.enc" must be a non-empty string', 'ERR_INVALID_ARG_VALUE')
  }
  const kid = !isCryptoKey(key) && typeof key.kid === 'string' ? key.kid : undefined
  return { key, alg, enc, kid }
}

/** Nests the signed request object in a JWE (`cty: JWT`, RFC 7519 §5.2) to the server's key. */
async function encryptRequestObject(
  jws: string,
  { key, alg, enc, kid }: NonNullable<ReturnType<typeof encryptionOf>>,
): Promise<string> {
  try {
    return await compactEncrypt(
      new TextEncoder().encode(jws),
      kid === undefined ? { alg, enc, cty: 'JWT' } : { alg, enc, cty: 'JWT', kid },
      key as CryptoKey | JsonWebKey,
    )
  } catch (cause) {
    if (cause instanceof joseErrors.JOSENotSupported) {
      throw new UnsupportedOperationError(`unsupported request object encryption "${alg}" / "${enc}"`, {
        cause,
      })
    }
    throw argError(
      `"options.encryption.key" cannot encrypt with "${alg}" / "${enc}"`,
      'ERR_INVALID_ARG_VALUE',
      cause,
    )
  }
}

/** A JSON-valued request parameter (`claims`, `authorization_details`) as the object it stands for. */
function jsonParameter(params: URLSearchParams, name: string, array: boolean): JsonValue | undefined {
  const value = params.get(name)
  if (value === null) return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(value)
  } catch (cause) {
    throw ope(`failed to parse the "${name}" parameter as JSON`, 'OAUTH_PARSE_ERROR', cause)
  }
  if (array ? !Array.isArray(parsed) : !isJsonObject(parsed)) {
    throw argError(
      `"${name}" parameter must be a JSON with a top level ${array ? 'array' : 'object'}`,
      'ERR_INVALID_ARG_VALUE',
    )
  }
  return parsed as JsonValue
}

/**
 * The claims of a request object (RFC 9101 §4, OIDC Core §6.1): every parameter (the last value of a repeated
 * one, except several `resource`s, which stay an array), `max_age` as a number, `claims` and
 * `authorization_details` as JSON, then `jti`, `aud` (the issuer), `exp`, `iat`, `nbf` and `iss` (the client).
 */
function requestObjectClaims(
  params: URLSearchParams,
  issuer: string,
  clientId: string,
  now: number,
): Record<string, JsonValue | undefined> {
  const claims: Record<string, JsonValue | undefined> = {
    ...Object.fromEntries(params),
    jti: randomJti(),
    aud: issuer,
    exp: now + LIFETIME,
    iat: now,
    nbf: now,
    iss: clientId,
  }
  const resources = params.getAll('resource')
  if (resources.length > 1) claims['resource'] = resources
  const maxAge = params.get('max_age')
  if (maxAge !== null) {
    const seconds = parseInt(maxAge, 10)
    if (!Number.isFinite(seconds)) throw argError('"max_age" parameter must be a number')
    if (seconds < 0)
      throw argError('"max_age" parameter must be a non-negative number', 'ERR_INVALID_ARG_VALUE')
    claims['max_age'] = seconds
  }
  const requested = jsonParameter(params, 'claims', false)
  if (requested !== undefined) claims['claims'] = requested
  const details = jsonParameter(params, 'authorization_details', true)
  if (details !== undefined) claims['authorization_details'] = details
  return claims
}

/** Keys a signature may not come from: no `sign` usage, or an RSA modulus under 2048 bits. */
function checkSigningUse(key: CryptoKey): void {
  if (!key.usages.includes('sign')) {
    throw argError(
      'CryptoKey instances used for signing assertions must include "sign" in their "usages"',
      'ERR_INVALID_ARG_VALUE',
    )
  }
  const { name, modulusLength } = key.algorithm as RsaHashedKeyAlgorithm
  if (
    (name === 'RSA-PSS' || name === 'RSASSA-PKCS1-v1_5') &&
    (typeof modulusLength !== 'number' || modulusLength < 2048)
  ) {
    throw new UnsupportedOperationError(`unsupported ${name} modulusLength`)
  }
}

/**
 * Builds an authorization request URL with a signed request object (JAR, RFC 9101): the parameters (completed as
 * {@link buildAuthorizationUrl} completes them, `client_id` and `response_type` included) become the claims of a
 * JWT with `typ: oauth-authz-req+jwt`, signed with `signingKey`, and the returned URL carries only `client_id` and
 * `request`.
 *
 * The claims add `iss` (the client), `aud` (the issuer), `jti`, and `iat`/`nbf`/`exp` (60 seconds) on the
 * configuration's clock; `max_age` becomes a number, `claims` and `authorization_details` JSON values, and several
 * `resource`s an array. The `alg` follows from the key (PS*, RS*, ES*, Ed25519, ML-DSA-*); pass `{ key, kid }` to
 * put a `kid` in the header. `options[modifyAssertion]` may change header and claims right before signing.
 * Signing goes through grantline's signer (`node:crypto` on Node.js, WebCrypto elsewhere).
 *
 * Extension (D63): `options.encryption` nests the signed request object in a JWE to the server's public key
 * (RFC 9101 §6.1), for servers that want request objects confidential.
 *
 * @param config The client's Configuration; its server metadata must have `authorization_endpoint`.
 * @param parameters Authorization request parameters; an array value becomes repeated parameters.
 * @param signingKey A private CryptoKey with the `sign` usage (RSA: 2048 bits or more), or `{ key, kid }`.
 * @param options `[modifyAssertion]`: a hook called with the JWT header and claims before signing;
 *   `encryption`: `{ key, alg?, enc? }` to encrypt the request object to the server (extension).
 * @returns A new URL to send the user-agent to: the `authorization_endpoint` with `client_id` and `request`.
 *
 * @example
 * ```ts
 * let config!: client.Configuration
 * let privateKey!: CryptoKey
 * let code_challenge!: string
 *
 * const url = await client.buildAuthorizationUrlWithJAR(
 *   config,
 *   { redirect_uri: 'https://rp.example.com/callback', scope: 'openid', code_challenge, code_challenge_method: 'S256' },
 *   { key: privateKey, kid: 'jar-1' },
 * )
 * // or push the signed request object: await client.buildAuthorizationUrlWithPAR(config, url.searchParams)
 *
 * // signed, then encrypted to the server's key from its JWKS (extension)
 * const parameters = { redirect_uri: 'https://rp.example.com/callback', scope: 'openid' }
 * const { keys } = (await (await fetch(config.serverMetadata().jwks_uri!)).json()) as client.JWKS
 * const encrypted = await client.buildAuthorizationUrlWithJAR(config, parameters, privateKey, {
 *   encryption: { key: keys.find((k) => k.use === 'enc')! },
 * })
 * ```
 *
 * @see [RFC 9101 (JAR)](https://www.rfc-editor.org/rfc/rfc9101.html)
 * @see [D60: parameters are read as every grant reads them](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d60)
 * @see [D61: metadata errors are ClientErrors](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d61)
 * @see [D62: `modifyAssertion` is checked first](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d62)
 * @see [D63: encrypted request objects](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d63)
 */
export async function buildAuthorizationUrlWithJAR(
  config: Configuration,
  parameters: AuthorizationParameters,
  signingKey: CryptoKey | PrivateKey,
  options?: RequestObjectOptions,
): Promise<URL> {
  try {
    const state = stateOf(config)
    const params = authorizationUrl(state, parameters).searchParams
    const { key, kid } = signingKeyOf(signingKey)
    // `null` options are no options, as in openid-client.
    const modify = modifyAssertionOf(options ?? undefined)
    const encryption = encryptionOf(options, state.client)
    assertString(state.as.issuer, '"as.issuer"')
    params.set('client_id', state.client.client_id)
    const claims = requestObjectClaims(params, state.as.issuer, state.client.client_id, epochSeconds(state))
    const header: Record<string, JsonValue | undefined> = {
      alg: algFromKey(key),
      typ: REQUEST_OBJECT_TYP,
      kid,
    }
    modify?.(header, claims)
    checkSigningUse(key)
    const signed = await signJws(header, claims, key)
    const request = encryption === undefined ? signed : await encryptRequestObject(signed, encryption)
    return authorizationUrl(state, { request })
  } catch (err) {
    throw toPublicError(err)
  }
}
