import { argError } from '../internal/assert.js'
import type { ClientMetadata } from '../types.js'

/**
 * The client secret for a secret-based method: the one given to the factory, else read at request time from
 * the client metadata (so a factory made before dynamic registration works once the secret is issued).
 */
export function secretFor(given: string | undefined, client: ClientMetadata): string {
  if (given !== undefined) return given
  const secret = client.client_secret
  if (typeof secret !== 'string') throw argError('"metadata.client_secret" must be a string')
  if (secret.length === 0)
    throw argError('"metadata.client_secret" must not be empty', 'ERR_INVALID_ARG_VALUE')
  return secret
}

export function checkSecretArgument(secret: unknown): asserts secret is string | undefined {
  if (secret === undefined) return
  if (typeof secret !== 'string') throw argError('"clientSecret" must be a string')
  if (secret.length === 0) throw argError('"clientSecret" must not be empty', 'ERR_INVALID_ARG_VALUE')
}
