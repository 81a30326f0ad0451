import type { ClientAuth } from '../types.js'
import { blindToEndpoint } from './assertion.js'

/** `none`: a public client identifies itself with its `client_id` and proves nothing. */
export function None(): ClientAuth {
  return blindToEndpoint((_as, client, body) => {
    body.set('client_id', client.client_id)
  })
}
