import { registerAuthSecret } from '../internal/redact.js'
import type { ClientAuth } from '../types.js'
import { blindToEndpoint } from './assertion.js'
import { checkSecretArgument, secretFor } from './secret.js'

/**
 * `client_secret_post` (RFC 6749 §2.3.1): client ID and secret as form parameters. The default when the
 * configuration is given a client secret and no client authentication.
 *
 * @example
 * ```ts
 * let server!: client.ServerMetadata
 *
 * const config = new client.Configuration(server, 'my-client', undefined, client.ClientSecretPost('s3cr3t'))
 * ```
 *
 * @param clientSecret - The secret; without it, the `client_secret` of the client metadata is used.
 * @returns The client authentication function for a {@link Configuration}.
 * @see [RFC 6749 §2.3.1](https://www.rfc-editor.org/rfc/rfc6749.html#section-2.3.1)
 */
export function ClientSecretPost(clientSecret?: string): ClientAuth {
  checkSecretArgument(clientSecret)
  // The secret stays in this closure; the WeakMap entry lets errors redact an echo of it (D27).
  return blindToEndpoint(
    registerAuthSecret((_as, client, body) => {
      body.set('client_id', client.client_id)
      body.set('client_secret', secretFor(clientSecret, client))
    }, clientSecret),
  )
}
