import {
  Configuration,
  allowInsecureRequests,
  checkProtocol,
  resolveEndpoint,
  stateOf,
} from './configuration.js'
import { withDPoPNonceRetry } from './dpop/retry.js'
import { ClientError } from './errors.js'
import { readJsonObject } from './http/body.js'
import { send, timeoutSignal, type Transport } from './http/send.js'
import { expectStatus, release } from './http/status.js'
import { argError } from './internal/assert.js'
import { ope, toPublicError } from './internal/errors.js'
import { checkHeaderValue } from './internal/header.js'
import { clientSecrets, registerResponseSecrets } from './internal/redact.js'
import { USER_AGENT } from './internal/version.js'
import { clockSkew, clockTolerance, customFetch } from './symbols.js'
import { clockSkewOf, clockToleranceOf } from './internal/time.js'
import { checkDPoP } from './token-endpoint/request.js'
import type { ClientAuth, ClientMetadata, CustomFetch, DPoPOptions, ServerMetadata } from './types.js'

export interface DiscoveryRequestOptions {
  /** A `fetch` replacement, used for the discovery request and then for every request of the configuration. */
  [customFetch]?: CustomFetch
  /**
   * How the metadata URL is derived from the issuer identifier: OpenID Connect Discovery 1.0 §4 (`oidc`,
   * default) or RFC 8414 §3.1 (`oauth2`).
   */
  algorithm?: 'oidc' | 'oauth2'
  /** Functions applied to the new Configuration, in order (e.g. `allowInsecureRequests`). */
  execute?: Array<(config: Configuration) => void>
  /** Seconds before the discovery request times out (default 30); then the configuration's timeout. */
  timeout?: number
}

export interface DynamicClientRegistrationRequestOptions extends DiscoveryRequestOptions, DPoPOptions {
  /** The initial access token the registration endpoint requires (RFC 7591 §3). */
  initialAccessToken?: string
}

const DISCOVERY_TIMEOUT = 30

/**
 * Fetches the authorization server's metadata and returns a Configuration for the client. The metadata URL is
 * derived from the issuer identifier, and the issuer the server declares must be that identifier (OpenID
 * Connect Discovery 1.0 §4.3, RFC 8414 §3.3), so that a server cannot speak for another.
 *
 * @example
 * ```ts
 * const config = await discovery(new URL('https://op.example.com'), 'client-id', 'client-secret')
 * ```
 *
 * @param server - The issuer identifier, or (not recommended: no issuer check) a full `/.well-known/` URL.
 * @param metadata - Client metadata, or the client secret as a shorthand.
 *
 * @param clientId - The client's identifier at the server.
 * @param clientAuthentication - How the client authenticates: by default `client_secret_post` when a secret is
 *   given, `none` otherwise.
 * @param options - `algorithm` (`oidc` or `oauth2`), `execute`, `timeout`, `[customFetch]`.
 * @returns A {@link Configuration} holding the discovered server metadata.
 * @see [OpenID Connect Discovery 1.0](https://openid.net/specs/openid-connect-discovery-1_0.html)
 * @see [RFC 8414](https://www.rfc-editor.org/rfc/rfc8414.html)
 * @see [D18: timeout 0 means no deadline](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d18)
 * @see [D32: an issuer that is not a URL](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d32)
 */
export async function discovery(
  server: URL,
  clientId: string,
  metadata?: Partial<ClientMetadata> | string,
  clientAuthentication?: ClientAuth,
  options?: DiscoveryRequestOptions,
): Promise<Configuration> {
  try {
    const discovered = await discover(server, options)
    const config = new Configuration(discovered.as, clientId, metadata, clientAuthentication)
    return finish(config, discovered, options)
  } catch (err) {
    throw toPublicError(err)
  }
}

/**
 * Registers a client at the authorization server (RFC 7591) and returns a Configuration for it. The server is
 * discovered first, as {@link discovery} does. When the server issues a `client_secret`, the configuration
 * authenticates with `client_secret_post` unless `clientAuthentication` says otherwise.
 *
 * @example
 * ```ts
 * let initialAccessToken!: string
 *
 * const config = await client.dynamicClientRegistration(
 *   new URL('https://op.example.com'),
 *   { redirect_uris: ['https://rp.example.com/cb'], token_endpoint_auth_method: 'client_secret_basic' },
 *   client.ClientSecretBasic(),
 *   { initialAccessToken },
 * )
 * ```
 *
 * @param server - The issuer identifier; its metadata is discovered first.
 * @param metadata - The client metadata to register (`redirect_uris`, `token_endpoint_auth_method`, ...).
 * @param clientAuthentication - How the registered client will authenticate; `client_secret_post` by default.
 * @param options - `initialAccessToken`, `DPoP`, `algorithm`, `execute`, `timeout`, `[customFetch]`.
 * @returns A {@link Configuration} for the newly registered client.
 * @see [RFC 7591](https://www.rfc-editor.org/rfc/rfc7591.html)
 * @see [OpenID Connect Dynamic Client Registration 1.0](https://openid.net/specs/openid-connect-registration-1_0.html)
 * @see [D26: the initial access token must be a valid token](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d26)
 */
export async function dynamicClientRegistration(
  server: URL,
  metadata: Partial<ClientMetadata>,
  clientAuthentication?: ClientAuth,
  options?: DynamicClientRegistrationRequestOptions,
): Promise<Configuration> {
  try {
    if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
      throw argError('"metadata" must be an object')
    }
    const token = options?.initialAccessToken
    if (token !== undefined && typeof token !== 'string') {
      throw argError('"options.initialAccessToken" must be a string')
    }
    // Checked before it is put in a header, whose own error would quote it (D26).
    if (token) checkHeaderValue(token, '"options.initialAccessToken"')
    const DPoP = checkDPoP(options?.DPoP)
    const discovered = await discover(server, options)
    // DECISIONS D23: the same reading as every other clock reader.
    const skew = clockSkewOf(metadata)
    const tolerance = clockToleranceOf(metadata)
    // The submitted metadata decides whether the registration endpoint's mTLS alias is used (RFC 8705 §5).
    const context = {
      as: discovered.as,
      tlsOnly: discovered.tlsOnly,
      client: { use_mtls_endpoint_aliases: metadata.use_mtls_endpoint_aliases === true },
    }
    const body = JSON.stringify(metadata)
    const registered = await withDPoPNonceRetry(DPoP, async () => {
      const url = resolveEndpoint(context, 'registration_endpoint')
      const headers = new Headers()
      if (USER_AGENT) headers.set('user-agent', USER_AGENT)
      headers.set('accept', 'application/json')
      headers.set('content-type', 'application/json')
      await DPoP?.addProof(url, headers, 'POST', token)
      // RFC 9449 §7.1: a DPoP-bound initial access token is presented with the DPoP scheme.
      if (token) headers.set('authorization', `${headers.has('dpop') ? 'DPoP' : 'Bearer'} ${token}`)
      const transport = { fetch: discovered.transport.fetch, signal: requestSignal(options) }
      const response = await send(transport, { url, method: 'POST', headers, body })
      // A secret the caller submitted, or set up for the new client, is redacted from any echo of it (D27).
      registerResponseSecrets(response, clientSecrets(metadata, clientAuthentication))
      DPoP?.cacheNonce(response, url)
      return checkRegistration(await readJsonObject(await expectStatus(response, 201)))
    })
    const client = { ...registered, [clockSkew]: skew, [clockTolerance]: tolerance } as ClientMetadata
    const config = new Configuration(discovered.as, registered.client_id, client, clientAuthentication)
    return finish(config, discovered, options)
  } catch (err) {
    throw toPublicError(err)
  }
}

/** RFC 7591 §3.2.1: the fields of a registration response the client relies on. */
function checkRegistration(body: Record<string, unknown>): ClientMetadata {
  const invalid = (name: string, rule: string) =>
    ope(`"response" body "${name}" property ${rule}`, 'OAUTH_INVALID_RESPONSE', { body })
  const { client_id, client_secret, client_secret_expires_at } = body
  if (typeof client_id !== 'string') throw invalid('client_id', 'must be a string')
  if (client_id.length === 0) throw invalid('client_id', 'must not be empty')
  if (client_secret !== undefined) {
    if (typeof client_secret !== 'string') throw invalid('client_secret', 'must be a string')
    if (client_secret.length === 0) throw invalid('client_secret', 'must not be empty')
    // Required with a secret; 0 means it never expires.
    if (typeof client_secret_expires_at !== 'number' || !Number.isFinite(client_secret_expires_at)) {
      throw invalid('client_secret_expires_at', 'must be a number')
    }
    if (client_secret_expires_at < 0)
      throw invalid('client_secret_expires_at', 'must be a non-negative number')
  }
  return body as ClientMetadata
}

interface Discovered {
  as: ServerMetadata
  tlsOnly: boolean
  transport: Transport
  /** Entra ID multi-tenant metadata: its issuer with a `{tenantid}` placeholder. */
  issuerTemplate: string | undefined
}

function requestSignal(options: DiscoveryRequestOptions | undefined): AbortSignal | undefined {
  return timeoutSignal(options?.timeout ?? DISCOVERY_TIMEOUT)
}

function checkOptions(options: DiscoveryRequestOptions | undefined): void {
  if (options === undefined) return
  if (typeof options !== 'object' || options === null) throw argError('"options" must be an object')
  const { execute, timeout } = options
  if (
    execute !== undefined &&
    (!Array.isArray(execute) || !execute.every((fn) => typeof fn === 'function'))
  ) {
    throw argError('"options.execute" must be an array of functions')
  }
  if (options[customFetch] !== undefined && typeof options[customFetch] !== 'function') {
    throw argError('"options[customFetch]" must be a function')
  }
  if (timeout !== undefined && (typeof timeout !== 'number' || Number.isNaN(timeout) || timeout < 0)) {
    throw argError('"options.timeout" must be a non-negative number', 'ERR_INVALID_ARG_VALUE')
  }
}

/** Where the metadata of an issuer lives: OIDC Discovery 1.0 §4 appends, RFC 8414 §3.1 inserts. */
function wellKnownUrl(issuer: URL, algorithm: unknown): URL {
  const url = new URL(issuer.href)
  switch (algorithm) {
    case undefined:
    case 'oidc':
      url.pathname = `${url.pathname}/.well-known/openid-configuration`.replace('//', '/')
      return url
    case 'oauth2':
      // Since openid-client 6.6.2 a trailing slash of the issuer path is dropped: `/tenant/` and `/tenant`
      // share `/.well-known/oauth-authorization-server/tenant`.
      url.pathname =
        url.pathname === '/'
          ? '/.well-known/oauth-authorization-server'
          : `/.well-known/oauth-authorization-server/${url.pathname.replace(/\/$/, '')}`.replace('//', '/')
      return url
    default:
      throw argError('"options.algorithm" must be "oidc" (default), or "oauth2"', 'ERR_INVALID_ARG_VALUE')
  }
}

async function discover(server: URL, options: DiscoveryRequestOptions | undefined): Promise<Discovered> {
  if (!(server instanceof URL)) throw argError('"server" must be an instance of URL')
  checkOptions(options)
  // Identity, as openid-client does: the switch also covers the discovery request itself.
  const tlsOnly = !(options?.execute?.includes(allowInsecureRequests) ?? false)
  // A `/.well-known/` URL given directly is fetched as is, and cannot be checked against an issuer.
  const direct = server.href.includes('/.well-known/')
  checkProtocol(server, tlsOnly)
  const url = direct ? new URL(server.href) : wellKnownUrl(server, options?.algorithm)
  const transport: Transport = { fetch: options?.[customFetch], signal: requestSignal(options) }

  const headers = new Headers()
  if (USER_AGENT) headers.set('user-agent', USER_AGENT)
  headers.set('accept', 'application/json')
  const response = await send(transport, { url, method: 'GET', headers })
  if (response.status !== 200) {
    release(response)
    throw ope(
      `"response" is not a conform Authorization Server Metadata response (unexpected HTTP status code ${response.status})`,
      'OAUTH_RESPONSE_IS_NOT_CONFORM',
      response,
    )
  }
  const body = await readJsonObject(response)
  const { issuer } = body
  if (typeof issuer !== 'string') {
    throw ope('"response" body "issuer" property must be a string', 'OAUTH_INVALID_RESPONSE', { body })
  }
  if (issuer.length === 0) {
    throw ope('"response" body "issuer" property must not be empty', 'OAUTH_INVALID_RESPONSE', { body })
  }
  const as = body as unknown as ServerMetadata
  let issuerTemplate: string | undefined
  const mismatch = () =>
    new ClientError('discovered metadata issuer does not match the expected issuer', {
      code: 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED',
      cause: { expected: server.href, body, attribute: 'issuer' },
    })
  // DECISIONS D32: an issuer that is not a URL matches no issuer identifier (openid-client throws URL's TypeError).
  const declared = direct ? undefined : parseUrl(issuer)
  if (!direct && declared === null) throw mismatch()
  if (declared && declared.href !== server.href) {
    const oidc = options?.algorithm === undefined || options.algorithm === 'oidc'
    if (oidc && server.origin === 'https://login.microsoftonline.com') {
      // Entra ID's common/organizations metadata names its issuer with a `{tenantid}` placeholder; ID Tokens
      // are then checked against it with their own `tid` filled in.
      issuerTemplate = issuer
    } else if (!(oidc && server.hostname.endsWith('.b2clogin.com'))) {
      throw mismatch()
    }
  }
  return { as, tlsOnly, transport, issuerTemplate }
}

/** `new URL(text)`, or `null` for text that is not a URL (URL.parse is not in every runtime grantline supports). */
function parseUrl(text: string): URL | null {
  try {
    return new URL(text)
  } catch {
    return null
  }
}

/** Applies the options to a new Configuration: fetch, timeout, then the `execute` functions in order. */
function finish(
  config: Configuration,
  discovered: Discovered,
  options: DiscoveryRequestOptions | undefined,
): Configuration {
  const state = stateOf(config)
  state.issuerTemplate = discovered.issuerTemplate
  if (options?.[customFetch]) config[customFetch] = options[customFetch]
  if (options?.timeout !== undefined) config.timeout = options.timeout
  for (const extension of options?.execute ?? []) extension(config)
  return config
}
