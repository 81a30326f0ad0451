import { toPublicError } from '../internal/errors.js'
import { registerAuthSecret } from '../internal/redact.js'
import type { ClientAuth, ClientMetadata } from '../types.js'
import {
  attachAssertion,
  blindToEndpoint,
  checkAssertionOptions,
  type ClientAssertionOptions,
} from './assertion.js'
import { checkSecretArgument, secretFor } from './secret.js'

const encoder = new TextEncoder()

function importHmacKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ])
}

/**
 * `client_secret_jwt` (OIDC Core §9, RFC 7523 §2.2): the client proves it knows the secret with an HS256-signed
 * assertion instead of sending the secret. Without `clientSecret`, the secret is read from the client metadata
 * (`client_secret`) at request time, e.g. after dynamic registration. The HMAC key is imported once, on first use.
 *
 * `options.audience` (grantline extension) addresses the assertion to the issuer (default), the token endpoint or
 * the endpoint being called; `options[modifyAssertion]` may change header and payload right before signing.
 *
 * @example
 * ```ts
 * let server!: client.ServerMetadata
 *
 * const config = new client.Configuration(server, 'my-client', undefined, client.ClientSecretJwt('s3cr3t'))
 * // a server that wants the token endpoint URL as the audience:
 * client.ClientSecretJwt('s3cr3t', { audience: 'token_endpoint' })
 * ```
 *
 * @param clientSecret - The secret the HMAC key is made from; without it, the `client_secret` of the client
 *   metadata is used.
 * @param options - `audience` of the assertion, `[modifyAssertion]` to change header and payload before
 *   signing.
 * @returns The client authentication function for a {@link Configuration}.
 * @see [RFC 7523 §2.2](https://www.rfc-editor.org/rfc/rfc7523.html#section-2.2)
 * @see [OpenID Connect Core 1.0 §9](https://openid.net/specs/openid-connect-core-1_0.html#ClientAuthentication)
 */
export function ClientSecretJwt(clientSecret?: string, options?: ClientAssertionOptions): ClientAuth {
  try {
    checkSecretArgument(clientSecret)
    const checked = checkAssertionOptions(options)
    let given: Promise<CryptoKey> | undefined
    // Lazy secrets are cached per (frozen) client metadata object, like the secret itself.
    const lazy = new WeakMap<ClientMetadata, Promise<CryptoKey>>()
    const keyFor = (client: ClientMetadata): Promise<CryptoKey> => {
      if (clientSecret !== undefined) return (given ??= importHmacKey(clientSecret))
      let key = lazy.get(client)
      if (key === undefined) {
        key = importHmacKey(secretFor(undefined, client))
        lazy.set(client, key)
      }
      return key
    }
    // The secret stays in this closure; the WeakMap entry lets errors redact an echo of it (D27).
    const auth = registerAuthSecret(async (as, client, body, headers) => {
      const key = await keyFor(client)
      await attachAssertion(as, client, body, headers, key, { alg: 'HS256' }, checked)
    }, clientSecret)
    return checked.audience === 'endpoint' ? auth : blindToEndpoint(auth)
  } catch (err) {
    throw toPublicError(err)
  }
}
