import { None } from './client-auth/none.js'
import { ClientSecretPost } from './client-auth/client-secret-post.js'
import { ope } from './internal/errors.js'
import { argError } from './internal/assert.js'
import { clockSkew, clockTolerance, customFetch } from './symbols.js'
import { clockSkewOf, clockToleranceOf as toleranceOf, nowSeconds } from './internal/time.js'
import type {
  ClientAuth,
  ClientMetadata,
  ConfigurationProperties,
  CustomFetch,
  ExportedJWKSCache,
  JWKS,
  OmitSymbolProperties,
  ServerMetadata,
  ServerMetadataHelpers,
} from './types.js'
import type { Transport } from './http/send.js'

/** The default request timeout in seconds (DECISIONS D1: openid-client documents it but never applies it). */
export const DEFAULT_TIMEOUT = 30

/** Verifies the signature of an ID Token (or other JWS) received in a response; set by enableNonRepudiationChecks. */
export type NonRepudiation = (state: ConfigState, jws: string) => Promise<void>
/** Decrypts a compact JWE into its plaintext; set by enableDecryptingResponses. */
export type Decrypt = (jwe: string) => Promise<string>

/** A Configuration's private state. Never exported from the package. */
export interface ConfigState {
  readonly as: Readonly<ServerMetadata>
  readonly client: Readonly<ClientMetadata>
  readonly auth: ClientAuth
  fetch: CustomFetch | undefined
  tlsOnly: boolean
  timeout: number
  decrypt: Decrypt | undefined
  nonRepudiation: NonRepudiation | undefined
  /** JWKS cache for ID Token signature checks: in memory, exportable through getJwksCache/setJwksCache. */
  jwks: { jwks?: JWKS; uat?: number }
  /** Entra ID multi-tenant issuer template (`{tenantid}`), set by discovery. */
  issuerTemplate: string | undefined
  /** Feature switches of the authorization-code path, kept for the toggles that set them. */
  flags: Set<string>
}

const states = new WeakMap<Configuration, ConfigState>()

/**
 * Authorization server metadata, client metadata and client authentication, plus the library's switches.
 * Every API function takes one as its first argument. Usually made by {@link discovery}; built by hand when the
 * server's metadata is known.
 *
 * @example
 * ```ts
 * const config = new client.Configuration(
 *   { issuer: 'https://op.example.com', token_endpoint: 'https://op.example.com/token' },
 *   'my-client',
 *   's3cr3t', // shorthand for { client_secret: 's3cr3t' }: client_secret_post
 * )
 * config.timeout = 10 // seconds, for every request of this configuration
 * ```
 */
export class Configuration implements ConfigurationProperties {
  /**
   * @param server - The authorization server's metadata; `issuer` is required.
   * @param clientId - The client's identifier at the server.
   * @param metadata - Client metadata, or the client secret as a shorthand.
   * @param clientAuthentication - How the client authenticates: by default `client_secret_post` when a secret is
   *   given, `none` otherwise.
   */
  constructor(
    server: ServerMetadata,
    clientId: string,
    metadata?: Partial<ClientMetadata> | string,
    clientAuthentication?: ClientAuth,
  ) {
    if (typeof clientId !== 'string' || clientId.length === 0) {
      throw argError('"clientId" must be a non-empty string')
    }
    const given: Partial<ClientMetadata> =
      typeof metadata === 'string' ? { client_secret: metadata } : (metadata ?? {})
    if (typeof given !== 'object' || given === null) {
      throw argError('"metadata" must be an object or a string')
    }
    if (given.client_id !== undefined && given.client_id !== clientId) {
      throw argError('"clientId" and "metadata.client_id" must be the same', 'ERR_INVALID_ARG_VALUE')
    }
    if (typeof server !== 'object' || server === null) {
      throw argError('"server" must be an object')
    }
    if (clientAuthentication !== undefined && typeof clientAuthentication !== 'function') {
      throw argError('"clientAuthentication" must be a function')
    }
    const client = {
      ...cloneJson(given, 'metadata'),
      client_id: clientId,
      // DECISIONS D23: anything but a finite number (a non-negative one for the tolerance) is the default.
      [clockSkew]: clockSkewOf(given),
      [clockTolerance]: toleranceOf(given),
    } as ClientMetadata
    const secret = client.client_secret
    states.set(this, {
      as: Object.freeze(cloneJson(server, 'server')),
      client: Object.freeze(client),
      auth:
        clientAuthentication ??
        (typeof secret === 'string' && secret.length !== 0 ? ClientSecretPost(secret) : None()),
      fetch: undefined,
      tlsOnly: true,
      timeout: DEFAULT_TIMEOUT,
      decrypt: undefined,
      nonRepudiation: undefined,
      jwks: {},
      issuerTemplate: undefined,
      flags: new Set(),
    })
  }

  /** A copy of the authorization server metadata, with a `supportsPKCE()` helper. */
  serverMetadata(): Readonly<ServerMetadata> & ServerMetadataHelpers {
    const copy = structuredClone(stateOf(this).as) as ServerMetadata & ServerMetadataHelpers
    Object.defineProperty(copy, 'supportsPKCE', {
      value(method = 'S256') {
        const methods = copy.code_challenge_methods_supported
        return Array.isArray(methods) && methods.includes(method)
      },
    })
    return copy
  }

  /** A copy of the client metadata (without the symbol-keyed knobs). */
  clientMetadata(): Readonly<OmitSymbolProperties<ClientMetadata>> {
    return structuredClone(stateOf(this).client) as OmitSymbolProperties<ClientMetadata>
  }

  /**
   * Seconds before any request made with this configuration times out. 30 by default; 0 or Infinity: none.
   *
   * @see [D1: 30 seconds unless said otherwise](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d1)
   */
  get timeout(): number | undefined {
    return stateOf(this).timeout
  }
  set timeout(value: number | undefined) {
    if (value === undefined) {
      stateOf(this).timeout = DEFAULT_TIMEOUT
      return
    }
    if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
      throw argError('"timeout" must be a non-negative number', 'ERR_INVALID_ARG_VALUE')
    }
    stateOf(this).timeout = value
  }

  /** A `fetch` replacement for every request this configuration makes (mTLS, proxies, tracing). */
  get [customFetch](): CustomFetch | undefined {
    return stateOf(this).fetch
  }
  set [customFetch](value: CustomFetch | undefined) {
    if (value !== undefined && typeof value !== 'function') {
      throw argError('"customFetch" must be a function')
    }
    stateOf(this).fetch = value
  }
}
Object.freeze(Configuration.prototype)

function cloneJson<T>(value: T, name: string): T {
  try {
    return structuredClone(value)
  } catch (cause) {
    throw argError(`"${name}" must contain only JSON-compatible values`, 'ERR_INVALID_ARG_VALUE', cause)
  }
}

/** The brand check of every API function (contract §2.1), returning the private state. */
export function stateOf(config: unknown): ConfigState {
  const state = config instanceof Configuration ? states.get(config) : undefined
  if (state === undefined) throw argError('"config" must be an instance of Configuration')
  if (Object.getPrototypeOf(config) !== Configuration.prototype) {
    throw argError('subclassing Configuration is not allowed', 'ERR_INVALID_ARG_VALUE')
  }
  return state
}

/**
 * Lifts the HTTPS-only rule for every request this configuration makes. Meant for local development, e.g.
 * against grantline's embedded authorization server on `http://127.0.0.1`; never in production.
 *
 * @example
 * ```ts
 * const config = await client.discovery(new URL('http://127.0.0.1:3000'), 'my-client', 'my-secret', undefined, {
 *   execute: [client.allowInsecureRequests],
 * })
 * // or, on a configuration built by hand:
 * client.allowInsecureRequests(config)
 * ```
 *
 * @param config - The configuration whose requests may use `http:`.
 */
export function allowInsecureRequests(config: Configuration): void {
  stateOf(config).tlsOnly = false
}

/** The transport of one request: the configuration's fetch and its deadline (which starts when it is sent). */
export function transportOf(state: ConfigState): Transport {
  return { fetch: state.fetch, timeout: state.timeout }
}

/** The endpoints that have an mTLS alias (RFC 8705 §5). */
export type AliasableEndpoint =
  | 'token_endpoint'
  | 'revocation_endpoint'
  | 'introspection_endpoint'
  | 'device_authorization_endpoint'
  | 'userinfo_endpoint'
  | 'pushed_authorization_request_endpoint'
  | 'backchannel_authentication_endpoint'

/** What endpoint resolution reads; dynamic registration has it before any Configuration exists. */
export type EndpointContext = Pick<ConfigState, 'as' | 'tlsOnly'> & {
  readonly client: Pick<ClientMetadata, 'use_mtls_endpoint_aliases'>
}

/** The endpoint names {@link resolveEndpoint} accepts. */
export type EndpointName =
  AliasableEndpoint | 'jwks_uri' | 'registration_endpoint' | 'authorization_endpoint' | 'end_session_endpoint'

/**
 * Parsed endpoint URLs per state (or discovery context), by endpoint and alias choice. They depend only on the
 * server and client metadata, which are frozen at construction, so each is parsed once; the HTTPS rule, which
 * `allowInsecureRequests` can lift later, is checked on every call. The URLs are never handed out: callers get
 * a copy or, on the request pipeline's hot path, treat the shared one as read-only.
 */
const endpointCache = new WeakMap<EndpointContext, Map<string, URL>>()

function cachedEndpoint(state: EndpointContext, endpoint: EndpointName, useAlias: boolean): URL {
  let urls = endpointCache.get(state)
  const key = useAlias ? endpoint : `${endpoint}#direct`
  let url = urls?.get(key)
  if (url === undefined) {
    const aliases = state.as.mtls_endpoint_aliases
    const aliased =
      useAlias &&
      state.client.use_mtls_endpoint_aliases &&
      typeof aliases === 'object' &&
      aliases !== null &&
      endpoint in aliases
    const value: unknown = aliased ? aliases[endpoint] : state.as[endpoint]
    const name = aliased ? `as.mtls_endpoint_aliases.${endpoint}` : `as.${endpoint}`
    url = typeof value === 'string' && URL.canParse(value) ? new URL(value) : undefined
    if (url === undefined) {
      throw ope(
        `authorization server metadata does not contain a valid "${name}"`,
        value === undefined ? 'OAUTH_MISSING_SERVER_METADATA' : 'OAUTH_INVALID_SERVER_METADATA',
      )
    }
    if (urls === undefined) endpointCache.set(state, (urls = new Map()))
    urls.set(key, url)
  }
  if (url.protocol !== 'https:' && (url.protocol !== 'http:' || state.tlsOnly)) {
    // The error carries a copy: the cached URL never reaches a caller.
    checkProtocol(new URL(url.href), state.tlsOnly)
  }
  return url
}

/**
 * The URL of a server endpoint, through its mTLS alias when the client asks for aliases and the server has one,
 * checked against the HTTPS rule. A fresh URL the caller may change.
 */
export function resolveEndpoint(state: EndpointContext, endpoint: EndpointName, useAlias = true): URL {
  return new URL(cachedEndpoint(state, endpoint, useAlias).href)
}

/**
 * {@link resolveEndpoint} without the copy, for the request pipeline: the URL is shared by every request of the
 * state and MUST NOT be changed nor handed to code outside grantline.
 */
export function sharedEndpoint(state: EndpointContext, endpoint: EndpointName): URL {
  return cachedEndpoint(state, endpoint, true)
}

/**
 * HTTPS only, unless allowInsecureRequests; anything but HTTP(S) never. The HTTPS rule is checked first, as
 * openid-client does: an `ftp:` endpoint is OAUTH_HTTP_REQUEST_FORBIDDEN without allowInsecureRequests and
 * OAUTH_REQUEST_PROTOCOL_FORBIDDEN with it.
 */
export function checkProtocol(url: URL, tlsOnly: boolean): void {
  if (url.protocol === 'https:') return
  if (tlsOnly) throw ope('only requests to HTTPS are allowed', 'OAUTH_HTTP_REQUEST_FORBIDDEN', url)
  if (url.protocol !== 'http:') {
    throw ope('only HTTP and HTTPS requests are allowed', 'OAUTH_REQUEST_PROTOCOL_FORBIDDEN', url)
  }
}

/** Seconds since the epoch on the client's clock, corrected by the configured clock skew (D23). */
export function epochSeconds(state: ConfigState): number {
  return nowSeconds(state.client)
}

/** Seconds of leeway for `exp`, `nbf` and `auth_time` checks (D23: 30 unless a finite, non-negative number). */
export function clockToleranceOf(state: ConfigState): number {
  return toleranceOf(state.client)
}

/**
 * Returns a copy of the configuration's JWKS cache once it has been filled, so that a stateless worker can hand
 * it to the next one ({@link setJwksCache}). A copy, not the live object (D8).
 *
 * @example
 * ```ts
 * let config!: client.Configuration
 * let kv!: { put(key: string, value: string): Promise<void> }
 *
 * const cache = client.getJwksCache(config)
 * if (cache !== undefined) await kv.put('jwks', JSON.stringify(cache))
 * ```
 *
 * @param config - The configuration whose server's keys were fetched.
 * @returns The cached JWKS and when it was fetched, or `undefined` before the first fetch.
 * @see [D8: a copy](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d8)
 */
export function getJwksCache(config: Configuration): ExportedJWKSCache | undefined {
  const { jwks } = stateOf(config)
  if (jwks.uat === undefined || jwks.jwks === undefined) return undefined
  return structuredClone({ jwks: jwks.jwks, uat: jwks.uat })
}

/**
 * Seeds the configuration's JWKS cache, e.g. from a store shared by stateless workers. The value is copied; a
 * cache older than 300 seconds is accepted here but ignored (re-fetched) when a key is needed. It replaces a
 * JWKS already in memory (D19).
 *
 * @example
 * ```ts
 * let config!: client.Configuration
 * let kv!: { get(key: string): Promise<string | null> }
 *
 * const saved = await kv.get('jwks')
 * if (saved !== null) client.setJwksCache(config, JSON.parse(saved) as client.ExportedJWKSCache)
 * ```
 *
 * @param config - The configuration to seed.
 * @param jwksCache - What {@link getJwksCache} returned, possibly in another process.
 * @see [D19: the imported cache replaces the one in memory](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d19)
 */
export function setJwksCache(config: Configuration, jwksCache: ExportedJWKSCache): void {
  const state = stateOf(config)
  if (typeof jwksCache !== 'object' || jwksCache === null) {
    throw argError('"jwksCache" must be an object')
  }
  const { jwks, uat } = jwksCache
  if (typeof uat !== 'number' || !Number.isFinite(uat)) {
    throw argError('"jwksCache.uat" must be a number')
  }
  if (typeof jwks !== 'object' || jwks === null || !Array.isArray(jwks.keys)) {
    throw argError('"jwksCache.jwks.keys" must be an array')
  }
  if (!jwks.keys.every((key) => typeof key === 'object' && key !== null && !Array.isArray(key))) {
    throw argError('"jwksCache.jwks.keys" members must be JWK objects', 'ERR_INVALID_ARG_VALUE')
  }
  state.jwks = cloneJson({ jwks, uat }, 'jwksCache')
}
