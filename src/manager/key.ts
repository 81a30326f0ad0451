/**
 * The canonical cache key of a token call (DECISIONS D39): issuer, token endpoint, client_id, grant type, every
 * parameter (names order-insensitive, `scope` as a set, repeated values kept as a multiset), the DPoP key's
 * thumbprint, or a caller-given `cacheKey` in place of the parameters. The canonical text is hashed at once
 * (SHA-256, base64url): only the hash is kept, in memory, in the store and in events, so no token a parameter
 * carried (subject_token, actor_token, assertion, refresh_token, client_assertion, password, ...) is kept in a key.
 */
import { sha256Base64url } from '../internal/sha256.js'
import type { Configuration } from '../configuration.js'
import type { GrantParameters } from '../types.js'

const prefixes = new WeakMap<Configuration, string>()

/** SHA-256 (base64url) of a canonical key: ours in portable code, the runtime's native one where installed. */
let hashKey: (text: string) => string = sha256Base64url

/**
 * Installs a faster synchronous SHA-256 (base64url) for cache keys; it must give the same value as
 * {@link sha256Base64url}, so that every instance of a fleet, whatever its runtime, computes the same keys. The
 * Node.js entry point installs `node:crypto`'s.
 *
 * @internal
 */
export function setKeyHasher(hasher: ((text: string) => string) | undefined): void {
  hashKey = hasher ?? sha256Base64url
}

/** The part of the key that comes from the Configuration, computed once per Configuration. */
export function configPrefix(config: Configuration): string {
  let prefix = prefixes.get(config)
  if (prefix === undefined) {
    const server = config.serverMetadata()
    const client = config.clientMetadata()
    prefix = JSON.stringify([server.issuer, server.token_endpoint ?? null, client.client_id])
    prefixes.set(config, prefix)
  }
  return prefix
}

/** Name/value pairs of the parameters in a canonical order; `undefined` values are left out, as they are sent. */
export function canonicalParameters(parameters: GrantParameters | undefined): [string, string[]][] {
  const out: [string, string[]][] = []
  if (parameters === undefined) return out
  const entries: [string, unknown][] =
    parameters instanceof URLSearchParams
      ? [...groupSearchParams(parameters)]
      : Object.entries(parameters as Record<string, unknown>)
  for (const [name, raw] of entries) {
    if (raw === undefined) continue
    let values = Array.isArray(raw) ? raw.map(String) : [String(raw)]
    if (name === 'scope') {
      values = [...new Set(values.flatMap((v) => v.split(' ')).filter((v) => v !== ''))]
    }
    values.sort()
    out.push([name, values])
  }
  out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
  return out
}

function groupSearchParams(params: URLSearchParams): Map<string, string[]> {
  const grouped = new Map<string, string[]>()
  for (const [name, value] of params) {
    const list = grouped.get(name)
    if (list === undefined) grouped.set(name, [value])
    else list.push(value)
  }
  return grouped
}

/** The hashed key (43 base64url characters). */
export function cacheKeyOf(
  prefix: string,
  grantType: string,
  parameters: GrantParameters | undefined,
  jkt: string | undefined,
  cacheKey: string | undefined,
): string {
  const canonical =
    cacheKey === undefined
      ? JSON.stringify([prefix, grantType, jkt ?? null, canonicalParameters(parameters)])
      : JSON.stringify([prefix, grantType, jkt ?? null, null, cacheKey])
  return hashKey(canonical)
}
