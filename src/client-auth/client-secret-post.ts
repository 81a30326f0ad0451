import { registerAuthSecret } from '../internal/redact.js'
import type { ClientAuth } from '../types.js'
import { blindToEndpoint } from './assertion.js'
import { checkSecretArgument, secretFor } from './secret.js'

/** `client_secret_post` (RFC 6749 §2.3.1): client ID and secret as form parameters. */
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
