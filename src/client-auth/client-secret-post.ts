import type { ClientAuth } from '../types.js'
import { checkSecretArgument, secretFor } from './secret.js'

/** `client_secret_post` (RFC 6749 §2.3.1): client ID and secret as form parameters. */
export function ClientSecretPost(clientSecret?: string): ClientAuth {
  checkSecretArgument(clientSecret)
  return (_as, client, body) => {
    body.set('client_id', client.client_id)
    body.set('client_secret', secretFor(clientSecret, client))
  }
}
