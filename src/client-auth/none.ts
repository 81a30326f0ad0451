import type { ClientAuth } from '../types.js'
import { blindToEndpoint } from './assertion.js'

/**
 * `none`: a public client (a single-page app, a native app, a CLI) identifies itself with its `client_id` and
 * proves nothing. The default when the configuration has no client secret.
 *
 * @example
 * ```ts
 * let server!: client.ServerMetadata
 *
 * const config = new client.Configuration(server, 'my-spa', undefined, client.None())
 * ```
 *
 * @returns The client authentication function for a {@link Configuration}.
 * @see [OpenID Connect Core 1.0 §9](https://openid.net/specs/openid-connect-core-1_0.html#ClientAuthentication)
 */
export function None(): ClientAuth {
  return blindToEndpoint((_as, client, body) => {
    body.set('client_id', client.client_id)
  })
}
