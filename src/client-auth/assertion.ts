import { argError } from '../internal/assert.js'
import { modifyAssertionOf, signJws } from '../internal/jws.js'
import { randomJti } from './jti.js'
import { modifyAssertion } from '../symbols.js'
import { nowSeconds } from '../internal/time.js'
import type {
  ClientAuth,
  ClientMetadata,
  JsonValue,
  ModifyAssertionFunction,
  ServerMetadata,
} from '../types.js'

/**
 * Shared by `client_secret_jwt` and `private_key_jwt` (RFC 7523 §2.2, §3; OIDC Core §9): the claims of a client
 * assertion, who it is addressed to, and the three form parameters that carry it.
 */

/**
 * Who a client assertion is addressed to (its `aud` claim). RFC 7523 §3 leaves it to the server, and servers
 * disagree: most accept the issuer identifier, some want the token endpoint URL, some the URL of the endpoint
 * that receives the assertion (introspection, revocation, PAR, ...).
 *
 * - `'issuer'` (default, as openid-client): `as.issuer`.
 * - `'token_endpoint'`: `as.token_endpoint` from the server metadata, whatever endpoint is being called.
 * - `'endpoint'`: the URL of the endpoint the request goes to, mTLS alias included.
 */
export type ClientAssertionAudience = 'issuer' | 'token_endpoint' | 'endpoint'

/** Options of {@link ClientSecretJwt} and {@link PrivateKeyJwt}. */
export interface ClientAssertionOptions {
  /** A hook that mutates the assertion's header and payload right before signing. */
  [modifyAssertion]?: ModifyAssertionFunction
  /** The `aud` claim of the assertion; see {@link ClientAssertionAudience}. Default `'issuer'`. */
  audience?: ClientAssertionAudience
}

export const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

/** How long an assertion is valid; it is used once, right away. */
const LIFETIME = 60

const AUDIENCES: readonly string[] = ['issuer', 'token_endpoint', 'endpoint']

/**
 * The endpoint URL of each request being built, keyed by the request's Headers object. `ClientAuth` functions
 * keep openid-client's four-argument signature; the pipeline registers the URL here before calling one, so an
 * assertion can be addressed to the endpoint without a fifth argument that other ClientAuth callers lack.
 */
const endpoints = new WeakMap<Headers, URL>()

/** Called by the request pipeline right before client authentication runs. */
export function bindEndpoint(headers: Headers, url: URL): void {
  endpoints.set(headers, url)
}

/**
 * grantline's own client authentication functions that never read the endpoint URL; the pipeline skips
 * {@link bindEndpoint} for them. Any other function (a caller's own, or one wrapping ours) gets the URL bound.
 */
const endpointBlind = new WeakSet<ClientAuth>()

/** Marks one of grantline's own client authentication functions as never reading the endpoint URL. */
export function blindToEndpoint<T extends ClientAuth>(auth: T): T {
  endpointBlind.add(auth)
  return auth
}

export function ignoresEndpoint(auth: ClientAuth): boolean {
  return endpointBlind.has(auth)
}

export interface CheckedAssertionOptions {
  modify: ModifyAssertionFunction | undefined
  audience: ClientAssertionAudience
}

export function checkAssertionOptions(options: ClientAssertionOptions | undefined): CheckedAssertionOptions {
  const modify = modifyAssertionOf(options)
  const audience = options?.audience ?? 'issuer'
  if (typeof audience !== 'string') throw argError('"options.audience" must be a string')
  if (!AUDIENCES.includes(audience)) {
    throw argError(
      '"options.audience" must be "issuer", "token_endpoint" or "endpoint"',
      'ERR_INVALID_ARG_VALUE',
    )
  }
  return { modify, audience }
}

function audienceFor(audience: ClientAssertionAudience, as: ServerMetadata, headers: Headers): string {
  switch (audience) {
    case 'issuer':
      return as.issuer
    case 'token_endpoint': {
      const endpoint = as.token_endpoint
      if (typeof endpoint !== 'string' || endpoint.length === 0) {
        throw argError('"as.token_endpoint" must be a string for a client assertion addressed to it')
      }
      return endpoint
    }
    case 'endpoint': {
      const url = endpoints.get(headers)
      if (url === undefined) {
        throw argError(
          'a client assertion addressed to "endpoint" needs the request URL; it is only known inside grantline requests',
          'ERR_INVALID_ARG_VALUE',
        )
      }
      return url.href
    }
  }
}

/** Builds, signs and attaches a client assertion: body `client_id`, `client_assertion_type`, `client_assertion`. */
export async function attachAssertion(
  as: ServerMetadata,
  client: ClientMetadata,
  body: URLSearchParams,
  headers: Headers,
  key: CryptoKey,
  header: Record<string, JsonValue | undefined>,
  options: CheckedAssertionOptions,
): Promise<void> {
  // DECISIONS D23: the one reading of the clock skew.
  const now = nowSeconds(client)
  // Contract §2.3.5: the same members in the same order as openid-client, so assertions are interchangeable.
  const payload: Record<string, JsonValue | undefined> = {
    jti: randomJti(),
    aud: audienceFor(options.audience, as, headers),
    exp: now + LIFETIME,
    iat: now,
    nbf: now,
    iss: client.client_id,
    sub: client.client_id,
  }
  options.modify?.(header, payload)
  const assertion = await signJws(header, payload, key)
  body.set('client_id', client.client_id)
  body.set('client_assertion_type', ASSERTION_TYPE)
  body.set('client_assertion', assertion)
}
