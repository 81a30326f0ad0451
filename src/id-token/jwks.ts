import { resolveEndpoint, transportOf, type ConfigState } from '../configuration.js'
import { readJsonObject } from '../http/body.js'
import { send } from '../http/send.js'
import { release } from '../http/status.js'
import { UnsupportedOperationError, ope } from '../internal/errors.js'
import { USER_AGENT } from '../internal/version.js'
import type { JsonObject, JWK, JWKS } from '../types.js'

/** A fetched (or imported) key set older than this is fetched again before use. */
const MAX_AGE = 300
/** When no key matches, a key set at least this old is fetched again once: the server may have rotated keys. */
const REFETCH_AFTER = 60

/** Seconds since the epoch on the local clock: the cache's age is a local matter, clock skew does not apply. */
const now = () => Math.floor(Date.now() / 1000)

/** Concurrent verifications for one configuration share one JWKS download. */
const pending = new WeakMap<ConfigState, Promise<JWKS>>()

/**
 * Finds the public key that verifies a JWS from the authorization server (contract §2.7): from the cached key
 * set when it is fresh, else from `jwks_uri`; once more after a refresh when nothing matched in a set that is
 * old enough to have been rotated since.
 */
export async function selectVerificationKey(state: ConfigState, header: JsonObject): Promise<CryptoKey> {
  const alg = header['alg'] as string
  const kty = keyTypeOf(alg)
  let { jwks, age } = await cachedOrFetched(state)
  let candidates = candidatesFor(jwks, header, kty)
  if (candidates.length === 0 && age >= REFETCH_AFTER) {
    state.jwks = {}
    ;({ jwks, age } = await cachedOrFetched(state))
    candidates = candidatesFor(jwks, header, kty)
  }
  const cause = { header, candidates, jwks_uri: state.as.jwks_uri }
  if (candidates.length === 0) {
    throw ope(
      'error when selecting a JWT verification key, no applicable keys found',
      'OAUTH_KEY_SELECTION_FAILED',
      cause,
    )
  }
  if (candidates.length !== 1) {
    throw ope(
      'error when selecting a JWT verification key, multiple applicable keys found, a "kid" JWT Header Parameter is required',
      'OAUTH_KEY_SELECTION_FAILED',
      cause,
    )
  }
  return importVerificationKey(candidates[0]!, alg)
}

async function cachedOrFetched(state: ConfigState): Promise<{ jwks: JWKS; age: number }> {
  const cache = state.jwks
  if (isFresh(cache)) return { jwks: cache.jwks, age: now() - cache.uat }
  let download = pending.get(state)
  if (download === undefined) {
    download = fetchJwks(state).finally(() => pending.delete(state))
    pending.set(state, download)
  }
  const jwks = await download
  const uat = now()
  state.jwks = { jwks, uat }
  return { jwks, age: 0 }
}

/** A cache entry (fetched here or imported through setJwksCache) usable as is. */
function isFresh(cache: ConfigState['jwks']): cache is { jwks: JWKS; uat: number } {
  const { jwks, uat } = cache
  return (
    typeof uat === 'number' &&
    now() - uat < MAX_AGE &&
    typeof jwks === 'object' &&
    jwks !== null &&
    Array.isArray(jwks.keys) &&
    jwks.keys.every(isObject)
  )
}

/** GET `jwks_uri` (never its mTLS alias: it is public, RFC 8705 §5). */
async function fetchJwks(state: ConfigState): Promise<JWKS> {
  const url = resolveEndpoint(state, 'jwks_uri', false)
  const headers = new Headers()
  if (USER_AGENT) headers.set('user-agent', USER_AGENT)
  headers.set('accept', 'application/json, application/jwk-set+json')
  const response = await send(transportOf(state), { url, method: 'GET', headers })
  if (response.status !== 200) {
    release(response)
    throw ope(
      `"response" is not a conform JSON Web Key Set response (unexpected HTTP status code ${response.status})`,
      'OAUTH_RESPONSE_IS_NOT_CONFORM',
      response,
    )
  }
  const body = await readJsonObject(response)
  if (!Array.isArray(body['keys'])) {
    throw ope('"response" body "keys" property must be an array', 'OAUTH_INVALID_RESPONSE', { body })
  }
  if (!body['keys'].every(isObject)) {
    throw ope(
      '"response" body "keys" property members must be JWK formatted objects',
      'OAUTH_INVALID_RESPONSE',
      {
        body,
      },
    )
  }
  return body as unknown as JWKS
}

/** RFC 7518 §3.1 / RFC 8037 / ML-DSA: the key type each JWS algorithm family uses. */
function keyTypeOf(alg: string): string {
  switch (alg.slice(0, 2)) {
    case 'RS':
    case 'PS':
      return 'RSA'
    case 'ES':
      return 'EC'
    case 'Ed':
      return 'OKP'
    case 'ML':
      return 'AKP'
    default:
      throw new UnsupportedOperationError('unsupported JWS algorithm', { cause: { alg } })
  }
}

const CURVES: Record<string, string> = {
  ES256: 'P-256',
  ES384: 'P-384',
  ES512: 'P-521',
  Ed25519: 'Ed25519',
  EdDSA: 'Ed25519',
}

/** JWK members only a private (or symmetric) key has: RFC 7518 §6.2.2, §6.3.2, §6.4.1, RFC 8037 §2, ML-DSA `priv`. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv']

/** RFC 7517 §4: a key qualifies by type, id, declared algorithm, intended use, permitted operations and curve. */
function candidatesFor(jwks: JWKS, header: JsonObject, kty: string): JWK[] {
  const alg = header['alg'] as string
  const kid = header['kid']
  return jwks.keys.filter((jwk) => {
    if (jwk.kty !== kty) return false
    if (kid !== undefined && jwk.kid !== kid) return false
    if (jwk.alg !== undefined && jwk.alg !== alg) return false
    if (jwk.use !== undefined && jwk.use !== 'sig') return false
    if (Array.isArray(jwk.key_ops) && !jwk.key_ops.includes('verify')) return false
    // DECISIONS D35: a published private key proves nothing (anyone can sign with it), and WebCrypto would refuse
    // to import it for `verify`; it is no candidate, and so never shows in an error.
    if (PRIVATE_MEMBERS.some((name) => (jwk as Record<string, unknown>)[name] !== undefined)) return false
    const crv = CURVES[alg]
    return crv === undefined || jwk.crv === crv
  })
}

/** Imported keys are kept per JWK object and algorithm, for as long as the key set is cached. */
const imported = new WeakMap<JWK, Map<string, Promise<CryptoKey>>>()

function importVerificationKey(jwk: JWK, alg: string): Promise<CryptoKey> {
  let byAlg = imported.get(jwk)
  if (byAlg === undefined) {
    byAlg = new Map()
    imported.set(jwk, byAlg)
  }
  let key = byAlg.get(alg)
  if (key === undefined) {
    // Only the public members: `ext`, `key_ops` and `use` would make WebCrypto refuse a `verify` import.
    const { ext: _ext, key_ops: _ops, use: _use, ...material } = jwk
    key = crypto.subtle
      .importKey('jwk', material as JsonWebKey, importAlgorithm(alg), true, ['verify'])
      .catch((err: unknown) => {
        byAlg.delete(alg)
        // DECISIONS D35: key material WebCrypto refuses (a point off the curve, a malformed member) is the
        // server's fault, reported with a code; a runtime that lacks the algorithm keeps its NotSupportedError.
        if (err instanceof Error && (err.name === 'DataError' || err.name === 'SyntaxError')) {
          throw ope(
            'the selected JWK could not be imported as a verification key',
            'OAUTH_INVALID_RESPONSE',
            {
              jwk: material,
              alg,
              cause: err,
            },
          )
        }
        throw err
      })
    byAlg.set(alg, key)
  }
  return key
}

function importAlgorithm(alg: string): AlgorithmIdentifier | RsaHashedImportParams | EcKeyImportParams {
  const hash = `SHA-${alg.slice(-3)}`
  switch (alg) {
    case 'PS256':
    case 'PS384':
    case 'PS512':
      return { name: 'RSA-PSS', hash }
    case 'RS256':
    case 'RS384':
    case 'RS512':
      return { name: 'RSASSA-PKCS1-v1_5', hash }
    case 'ES256':
    case 'ES384':
    case 'ES512':
      return { name: 'ECDSA', namedCurve: CURVES[alg]! }
    case 'Ed25519':
    case 'EdDSA':
      return { name: 'Ed25519' }
    case 'ML-DSA-44':
    case 'ML-DSA-65':
    case 'ML-DSA-87':
      return { name: alg }
    default:
      throw new UnsupportedOperationError('unsupported JWS algorithm', { cause: { alg } })
  }
}

function isObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
