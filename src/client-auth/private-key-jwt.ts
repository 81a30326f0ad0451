import { argError } from '../internal/assert.js'
import { toPublicError } from '../internal/errors.js'
import { algFromKey, checkSigningKey, isCryptoKey } from '../internal/jws.js'
import type { ClientAuth, PrivateKey } from '../types.js'
import {
  attachAssertion,
  blindToEndpoint,
  checkAssertionOptions,
  type ClientAssertionOptions,
} from './assertion.js'

/**
 * `private_key_jwt` (OIDC Core §9, RFC 7523 §2.2): the client signs an assertion with its private key. The
 * `alg` follows from the key (ES256/384/512, PS256/384/512, RS256/384/512, Ed25519, ML-DSA-*); pass
 * `{ key, kid }` to put a `kid` in the header. The key is checked here, before any request: a private CryptoKey
 * with the `sign` usage, RSA keys of at least 2048 bits.
 *
 * `options.audience` (grantline extension) addresses the assertion to the issuer (default), the token endpoint or
 * the endpoint being called; `options[modifyAssertion]` may change header and payload right before signing.
 *
 * @example
 * ```ts
 * let server!: client.ServerMetadata
 * let privateJwk!: JsonWebKey
 *
 * const key = await crypto.subtle.importKey('jwk', privateJwk, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign'])
 * const config = new client.Configuration(server, 'my-client', undefined, client.PrivateKeyJwt({ key, kid: 'k1' }))
 * ```
 *
 * @param clientPrivateKey - The client's private signing key, alone or with its `kid` (`{ key, kid }`).
 * @param options - `audience` of the assertion, `[modifyAssertion]` to change header and payload before
 *   signing.
 * @returns The client authentication function for a {@link Configuration}.
 * @see [RFC 7523 §2.2](https://www.rfc-editor.org/rfc/rfc7523.html#section-2.2)
 * @see [OpenID Connect Core 1.0 §9](https://openid.net/specs/openid-connect-core-1_0.html#ClientAuthentication)
 */
export function PrivateKeyJwt(
  clientPrivateKey: CryptoKey | PrivateKey,
  options?: ClientAssertionOptions,
): ClientAuth {
  try {
    const { key, kid } = unwrap(clientPrivateKey)
    const alg = algFromKey(key)
    const checked = checkAssertionOptions(options)
    const auth: ClientAuth = async (as, client, body, headers) => {
      // A fresh header each time: the modifyAssertion hook may change it.
      const header = kid === undefined ? { alg } : { alg, kid }
      await attachAssertion(as, client, body, headers, key, header, checked)
    }
    return checked.audience === 'endpoint' ? auth : blindToEndpoint(auth)
  } catch (err) {
    throw toPublicError(err)
  }
}

function unwrap(value: CryptoKey | PrivateKey): { key: CryptoKey; kid: string | undefined } {
  if (isCryptoKey(value)) {
    checkSigningKey(value, 'clientPrivateKey')
    return { key: value, kid: undefined }
  }
  if (typeof value !== 'object' || value === null) {
    throw argError('"clientPrivateKey" must be a CryptoKey or a { key, kid? } object')
  }
  const { key, kid } = value
  checkSigningKey(key, 'clientPrivateKey.key')
  if (kid !== undefined && typeof kid !== 'string') throw argError('"clientPrivateKey.kid" must be a string')
  if (kid === '') throw argError('"clientPrivateKey.kid" must not be empty', 'ERR_INVALID_ARG_VALUE')
  return { key, kid }
}
