import { sharedEndpoint, transportOf, type AliasableEndpoint, type ConfigState } from '../configuration.js'
import { bindEndpoint, ignoresEndpoint } from '../client-auth/assertion.js'
import { ownsUrls } from '../dpop/owned.js'
import { send } from '../http/send.js'
import { argError } from '../internal/assert.js'
import { clientSecrets, registerResponseSecrets } from '../internal/redact.js'
import { USER_AGENT } from '../internal/version.js'
import type { DPoPProofHandle, GrantParameters } from '../types.js'

/**
 * Form parameters from the caller's input, never mutating it. Extension: an array value becomes repeated
 * parameters (RFC 8707 `resource`, RFC 8693 `audience`); `undefined` values are left out instead of being sent
 * as the text "undefined".
 */
export function toSearchParams(
  parameters: GrantParameters | undefined | null,
  name = 'parameters',
): URLSearchParams {
  if (parameters === undefined || parameters === null) return new URLSearchParams()
  // Any iterable of pairs (URLSearchParams, entries, a Map) is read as URLSearchParams reads it, as openid-client
  // does; Object.entries would silently see nothing in a Map.
  if (typeof parameters === 'string' || isIterable(parameters)) {
    return new URLSearchParams(parameters as URLSearchParams)
  }
  if (typeof parameters !== 'object') throw argError(`"${name}" must be an object or URLSearchParams`)
  const out = new URLSearchParams()
  for (const [key, value] of Object.entries(parameters)) {
    if (value === undefined) continue
    if (Array.isArray(value)) {
      for (const item of value) out.append(key, String(item))
    } else {
      out.append(key, String(value))
    }
  }
  return out
}

function isIterable(value: unknown): value is Iterable<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Iterable<unknown>)[Symbol.iterator] === 'function'
  )
}

/** Accepts our handles and any other object that can add a proof and cache a nonce. */
export function checkDPoP(handle: unknown): DPoPProofHandle | undefined {
  if (handle === undefined) return undefined
  const candidate = handle as Partial<DPoPProofHandle> | null
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    typeof candidate.addProof !== 'function' ||
    typeof candidate.cacheNonce !== 'function'
  ) {
    throw argError('"options.DPoP" is not a valid DPoPHandle', 'ERR_INVALID_ARG_VALUE')
  }
  return candidate as DPoPProofHandle
}

export interface AuthenticatedRequestOptions {
  DPoP?: DPoPProofHandle | undefined
  /** Replaces the configuration's deadline (polling combines the caller's signal with it). */
  signal?: AbortSignal | undefined
  /** The `accept` header; `application/json` unless the endpoint may answer with a JWT (RFC 9701 introspection). */
  accept?: string | undefined
}

/**
 * A client-authenticated form POST to one of the server's endpoints (token, introspection, revocation, device
 * authorization, backchannel authentication, PAR): endpoint resolution, headers, DPoP proof, client
 * authentication, then the one network call site.
 */
export async function authenticatedRequest(
  state: ConfigState,
  endpoint: AliasableEndpoint,
  body: URLSearchParams,
  options: AuthenticatedRequestOptions = {},
): Promise<Response> {
  checkServerIssuer(state.as.issuer)
  // Shared by every request of this state: it goes to grantline's own code only (a foreign DPoP handle gets a
  // copy), and none of it changes the URL.
  const url = sharedEndpoint(state, endpoint)
  const headers = new Headers()
  if (USER_AGENT) headers.set('user-agent', USER_AGENT)
  headers.set('accept', options.accept ?? 'application/json')
  const { DPoP } = options
  const proofUrl = DPoP === undefined || ownsUrls(DPoP) ? url : new URL(url.href)
  // Awaited only when there is something to wait for: each await costs a turn of the microtask queue.
  if (DPoP !== undefined) await DPoP.addProof(proofUrl, headers, 'POST')
  // Lets a client assertion be addressed to this very endpoint (ClientAssertionOptions `audience: 'endpoint'`).
  if (!ignoresEndpoint(state.auth)) bindEndpoint(headers, url)
  const authenticating = state.auth(state.as, state.client, body, headers)
  if (authenticating !== undefined) await authenticating
  headers.set('content-type', 'application/x-www-form-urlencoded;charset=UTF-8')
  const transport = options.signal ? { fetch: state.fetch, signal: options.signal } : transportOf(state)
  const response = await send(transport, { url, method: 'POST', headers, body })
  // A server may echo the client's secret back; errors built from this response redact it (D27).
  const secrets = secretsOf(state)
  if (secrets.length !== 0) registerResponseSecrets(response, secrets)
  DPoP?.cacheNonce(response, proofUrl)
  return response
}

/** The client's secrets per state: its metadata is frozen and its authentication function fixed. */
const stateSecrets = new WeakMap<ConfigState, readonly string[]>()

function secretsOf(state: ConfigState): readonly string[] {
  let secrets = stateSecrets.get(state)
  if (secrets === undefined) {
    secrets = clientSecrets(state.client, state.auth)
    stateSecrets.set(state, secrets)
  }
  return secrets
}

function checkServerIssuer(issuer: unknown): void {
  if (typeof issuer !== 'string') throw argError('"as.issuer" must be a string')
  if (issuer.length === 0) throw argError('"as.issuer" must not be empty', 'ERR_INVALID_ARG_VALUE')
}
