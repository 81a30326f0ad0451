import { registerAuthSecret } from '../internal/redact.js'
import type { ClientAuth } from '../types.js'
import { blindToEndpoint } from './assertion.js'
import { checkSecretArgument, secretFor } from './secret.js'

/**
 * `client_secret_basic` (RFC 6749 §2.3.1): HTTP Basic with the client ID and secret, each
 * form-urlencoded before base64, so that `:` and non-ASCII characters survive.
 *
 * @example
 * ```ts
 * let server!: client.ServerMetadata
 *
 * const config = new client.Configuration(server, 'my-client', undefined, client.ClientSecretBasic('s3cr3t'))
 * ```
 *
 * @param clientSecret - The secret; without it, the `client_secret` of the client metadata is used.
 * @returns The client authentication function for a {@link Configuration}.
 * @see [RFC 6749 §2.3.1](https://www.rfc-editor.org/rfc/rfc6749.html#section-2.3.1)
 */
export function ClientSecretBasic(clientSecret?: string): ClientAuth {
  checkSecretArgument(clientSecret)
  // The header of the last client ID and secret seen: both come from frozen metadata (or this closure), so
  // encoding them again for every request would produce the same bytes.
  let lastId: string | undefined
  let lastSecret: string | undefined
  let lastHeader = ''
  // The secret stays in this closure; the WeakMap entry lets errors redact an echo of it (D27).
  const auth: ClientAuth = (_as, client, _body, headers) => {
    const id = client.client_id
    // A secret equal to the last one was checked then; anything else is checked (and encoded) as it always was.
    if (id !== lastId || (clientSecret ?? client.client_secret) !== lastSecret) {
      const encodedId = formUrlEncode(id)
      const secret = secretFor(clientSecret, client)
      lastHeader = `Basic ${base64(`${encodedId}:${formUrlEncode(secret)}`)}`
      lastId = id
      lastSecret = secret
    }
    headers.set('authorization', lastHeader)
  }
  return blindToEndpoint(registerAuthSecret(auth, clientSecret))
}

/** What encodeURIComponent leaves alone but application/x-www-form-urlencoded escapes, and the encoded space. */
const EXTRA = /[-_.!~*'()]|%20/g

/** application/x-www-form-urlencoded, which escapes more than encodeURIComponent does. */
export function formUrlEncode(value: string): string {
  const encoded = encodeURIComponent(value)
  // One pass: no escape this inserts can form a `%20`.
  EXTRA.lastIndex = 0
  return EXTRA.test(encoded) ? encoded.replace(EXTRA, escapeExtra) : encoded
}

function escapeExtra(match: string): string {
  return match === '%20' ? '+' : `%${match.charCodeAt(0).toString(16).toUpperCase()}`
}

function base64(ascii: string): string {
  return btoa(ascii)
}
