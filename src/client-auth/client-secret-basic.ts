import { registerAuthSecret } from '../internal/redact.js'
import type { ClientAuth } from '../types.js'
import { checkSecretArgument, secretFor } from './secret.js'

/**
 * `client_secret_basic` (RFC 6749 §2.3.1): HTTP Basic with the client ID and secret, each
 * form-urlencoded before base64, so that `:` and non-ASCII characters survive.
 */
export function ClientSecretBasic(clientSecret?: string): ClientAuth {
  checkSecretArgument(clientSecret)
  // The secret stays in this closure; the WeakMap entry lets errors redact an echo of it (D27).
  return registerAuthSecret((_as, client, _body, headers) => {
    const credentials = `${formUrlEncode(client.client_id)}:${formUrlEncode(secretFor(clientSecret, client))}`
    headers.set('authorization', `Basic ${base64(credentials)}`)
  }, clientSecret)
}

/** application/x-www-form-urlencoded, which escapes more than encodeURIComponent does. */
export function formUrlEncode(value: string): string {
  return encodeURIComponent(value)
    .replace(/[-_.!~*'()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+')
}

function base64(ascii: string): string {
  return btoa(ascii)
}
