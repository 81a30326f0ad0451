import { epochSeconds, stateOf, type ConfigState, type Configuration } from '../configuration.js'
import { argError } from '../internal/assert.js'
import { randomJti } from '../client-auth/jti.js'
import { encodeBase64url } from '../internal/base64url.js'
import { toPublicError } from '../internal/errors.js'
import {
  algFromKey,
  checkSigningKey,
  exportPublicJwk,
  isCryptoKey,
  jwkThumbprint,
  modifyAssertionOf,
  signEncodedHeader,
  signJws,
  signParams,
  type SignParams,
} from '../internal/jws.js'
import type {
  DPoPHandle,
  DPoPProofHandle,
  JsonValue,
  ModifyAssertionFunction,
  ModifyAssertionOptions,
} from '../types.js'
import { NonceCache } from './nonce-cache.js'
import { markOwned } from './owned.js'

const encoder = new TextEncoder()

/** What every proof of a handle shares: computed on the first proof, then reused. */
interface ProofHeader {
  header: { alg: string; typ: 'dpop+jwt'; jwk: Record<string, string> }
  encoded: string
  params: SignParams
}

/**
 * A DPoP key pair with its per-origin nonce cache (RFC 9449). The private key lives in a private field, so
 * neither `JSON.stringify(handle)` nor an inspecting logger can reach it.
 */
class KeyPairHandle implements DPoPProofHandle {
  readonly #state: ConfigState
  readonly #privateKey: CryptoKey
  readonly #publicKey: CryptoKey
  readonly #alg: string
  readonly #modify: ModifyAssertionFunction | undefined
  readonly #nonces = new NonceCache()
  #header: Promise<ProofHeader> | undefined
  /** {@link #header} once it has resolved: later proofs skip awaiting it. */
  #ready: ProofHeader | undefined
  #thumbprint: Promise<string> | undefined

  constructor(state: ConfigState, keyPair: CryptoKeyPair, alg: string, modify?: ModifyAssertionFunction) {
    this.#state = state
    this.#privateKey = keyPair.privateKey
    this.#publicKey = keyPair.publicKey
    this.#alg = alg
    this.#modify = modify
    markOwned(this)
  }

  /** The RFC 7638 SHA-256 thumbprint of the public key, e.g. for `dpop_jkt` (RFC 9449 §10). */
  async calculateThumbprint(): Promise<string> {
    try {
      this.#thumbprint ??= this.#proofHeader().then(({ header }) => jwkThumbprint(header.jwk))
      return await this.#thumbprint
    } catch (err) {
      this.#thumbprint = undefined
      throw toPublicError(err)
    }
  }

  /** Adds a `DPoP` proof header for a request to `url` with method `htm` (RFC 9449 §4.2). */
  async addProof(url: URL | string, headers: Headers, htm: string, accessToken?: string): Promise<void> {
    const target = typeof url === 'string' ? new URL(url) : url
    const origin = target.origin
    const payload: Record<string, JsonValue | undefined> = {
      iat: epochSeconds(this.#state),
      jti: randomJti(),
      htm,
      nonce: this.#nonces.get(origin),
      // §4.2: the target URI without query and fragment.
      htu: `${origin}${target.pathname}`,
      ath: accessToken === undefined ? undefined : await accessTokenHash(accessToken),
    }
    headers.set('dpop', await this.#sign(payload))
  }

  /** Remembers the response's `DPoP-Nonce` for the request URL's origin, whatever the status (§8, §9). */
  cacheNonce(response: Response, url: URL | string): void {
    const origin = typeof url === 'string' ? new URL(url).origin : url.origin
    this.#nonces.set(origin, response.headers.get('dpop-nonce'))
  }

  async #sign(payload: Record<string, JsonValue | undefined>): Promise<string> {
    const { header, encoded, params } = this.#ready ?? (await this.#proofHeader())
    if (this.#modify === undefined) return signEncodedHeader(encoded, payload, this.#privateKey, params)
    // The hook gets copies, so whatever it changes applies to this proof only and the cached header stays intact.
    const copy: Record<string, JsonValue | undefined> = { ...header, jwk: { ...header.jwk } }
    this.#modify(copy, payload)
    return signJws(copy, payload, this.#privateKey)
  }

  #proofHeader(): Promise<ProofHeader> {
    this.#header ??= exportPublicJwk(this.#publicKey).then(
      (jwk) => {
        const header = { alg: this.#alg, typ: 'dpop+jwt' as const, jwk }
        return (this.#ready = {
          header,
          encoded: encodeBase64url(JSON.stringify(header)),
          params: signParams(this.#alg, this.#privateKey),
        })
      },
      (err: unknown) => {
        this.#header = undefined
        throw err
      },
    )
    return this.#header
  }
}

/** RFC 9449 §4.2 `ath`: base64url of the SHA-256 of the ASCII access token. */
async function accessTokenHash(accessToken: string): Promise<string> {
  return encodeBase64url(await crypto.subtle.digest('SHA-256', encoder.encode(accessToken)))
}

/**
 * Returns a DPoP handle (RFC 9449) for a key pair: pass it as `{ DPoP }` to a grant to bind the issued tokens to
 * the key. It signs a fresh proof for every request, remembers the nonces servers hand out (one per origin, the
 * 100 most recent origins) and uses the configuration's clock skew for `iat`.
 *
 * The private key must be a private CryptoKey allowed to `sign` (RSA: at least 2048 bits); the public key must
 * be extractable, because its JWK goes into every proof. Both must belong to the same algorithm.
 *
 * @example
 * ```ts
 * let config!: client.Configuration
 *
 * const DPoP = client.getDPoPHandle(config, await client.randomDPoPKeyPair())
 * const tokens = await client.genericGrantRequest(config, 'client_credentials', {}, { DPoP })
 * tokens.token_type // 'dpop'
 * ```
 *
 * @param config - The client's configuration.
 * @param keyPair - The key pair the tokens will be bound to; the public key must be extractable.
 * @param options - `[modifyAssertion]` to change each proof's header and payload before signing.
 * @returns The handle to pass as `options.DPoP`; it keeps the server's latest DPoP nonce.
 * @see [RFC 9449 (DPoP)](https://www.rfc-editor.org/rfc/rfc9449.html)
 * @see [D13: which nonces are kept](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d13)
 * @see [D14: the hook gets copies](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d14)
 * @see [D15: both keys of one algorithm](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d15)
 */
export function getDPoPHandle(
  config: Configuration,
  keyPair: CryptoKeyPair,
  options?: ModifyAssertionOptions,
): DPoPHandle {
  try {
    const state = stateOf(config)
    if (typeof keyPair !== 'object' || keyPair === null) throw argError('"keyPair" must be a CryptoKeyPair')
    const { privateKey, publicKey } = keyPair
    checkSigningKey(privateKey, 'keyPair.privateKey')
    checkPublicKey(publicKey)
    const alg = algFromKey(privateKey)
    if (algFromKey(publicKey) !== alg) {
      throw argError(
        '"keyPair" private and public keys must be of the same algorithm',
        'ERR_INVALID_ARG_VALUE',
      )
    }
    return new KeyPairHandle(state, { privateKey, publicKey }, alg, modifyAssertionOf(options))
  } catch (err) {
    throw toPublicError(err)
  }
}

function checkPublicKey(key: unknown): asserts key is CryptoKey {
  if (!isCryptoKey(key)) throw argError('"keyPair.publicKey" must be a CryptoKey')
  if (key.type !== 'public') {
    throw argError('"keyPair.publicKey" must be a public CryptoKey', 'ERR_INVALID_ARG_VALUE')
  }
  if (!key.extractable) {
    throw argError('"keyPair.publicKey.extractable" must be true', 'ERR_INVALID_ARG_VALUE')
  }
}
