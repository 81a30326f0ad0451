import type { ClientAuth } from '../types.js'
import { blindToEndpoint } from './assertion.js'

/**
 * `tls_client_auth` and `self_signed_tls_client_auth` (RFC 8705 §2): the client certificate proves the client,
 * so only `client_id` goes in the body. The certificate is presented by the transport: use the `grantline/node`
 * entry point's `mtlsFetch` (or any `customFetch` that presents one), usually with `use_mtls_endpoint_aliases`.
 */
export function TlsClientAuth(): ClientAuth {
  return blindToEndpoint((_as, client, body) => {
    body.set('client_id', client.client_id)
  })
}
