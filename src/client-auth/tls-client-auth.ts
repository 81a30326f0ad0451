import type { ClientAuth } from '../types.js'
import { blindToEndpoint } from './assertion.js'

/**
 * `tls_client_auth` and `self_signed_tls_client_auth` (RFC 8705 §2): the client certificate proves the client,
 * so only `client_id` goes in the body. The certificate is presented by the transport: use the `grantline/node`
 * entry point's `mtlsFetch` (or any `customFetch` that presents one), usually with `use_mtls_endpoint_aliases`.
 *
 * @example
 * ```ts
 * import * as client from 'grantline'
 * import { useClientCertificate } from 'grantline/node'
 * import { readFileSync } from 'node:fs'
 *
 * let server!: client.ServerMetadata
 *
 * const config = new client.Configuration(
 *   server,
 *   'my-client',
 *   { use_mtls_endpoint_aliases: true },
 *   client.TlsClientAuth(),
 * )
 * useClientCertificate(config, { cert: readFileSync('client.crt'), key: readFileSync('client.key') })
 * ```
 *
 * @returns The client authentication function for a {@link Configuration}.
 * @see [RFC 8705 §2](https://www.rfc-editor.org/rfc/rfc8705.html#section-2)
 */
export function TlsClientAuth(): ClientAuth {
  return blindToEndpoint((_as, client, body) => {
    body.set('client_id', client.client_id)
  })
}
