import type { clockSkew, clockTolerance, customFetch, modifyAssertion } from './symbols.js'

/** A JSON string, number, boolean or `null`. */
export type JsonPrimitive = string | number | boolean | null
/** A JSON object: what a server's JSON document or a JWT's payload parses to. */
export type JsonObject = { [key: string]: JsonValue | undefined }
/** A JSON array. */
export type JsonArray = JsonValue[]
/** Any JSON value. */
export type JsonValue = JsonPrimitive | JsonObject | JsonArray

/** `T` without its symbol-keyed members (the library's settings on client metadata). */
export type OmitSymbolProperties<T> = { [K in keyof T as K extends symbol ? never : K]: T[K] }

/**
 * The JWS algorithms grantline signs and verifies with (DPoP proofs, client assertions, JAR, ID Tokens). `EdDSA`
 * is the older name of `Ed25519`.
 *
 * @see [RFC 7518 §3](https://www.rfc-editor.org/rfc/rfc7518.html#section-3)
 */
export type JWSAlgorithm =
  | 'PS256'
  | 'ES256'
  | 'RS256'
  | 'Ed25519'
  | 'ES384'
  | 'PS384'
  | 'RS384'
  | 'ES512'
  | 'PS512'
  | 'RS512'
  | 'ML-DSA-44'
  | 'ML-DSA-65'
  | 'ML-DSA-87'
  // deprecated: the older name of Ed25519
  | 'EdDSA'

/**
 * A JSON Web Key (RFC 7517): a public key from a server's JWKS, or a key the caller gives (e.g. the key a
 * request object is encrypted to).
 *
 * @see [RFC 7517](https://www.rfc-editor.org/rfc/rfc7517.html)
 */
export interface JWK {
  /** Key type: `EC`, `RSA`, `OKP`, `oct`, `AKP`. */
  readonly kty?: string
  /** Key ID. */
  readonly kid?: string
  /** The algorithm the key is meant for. */
  readonly alg?: string
  /** Intended use: `sig` or `enc`. */
  readonly use?: string
  /** Permitted operations. */
  readonly key_ops?: string[]
  /** Whether the key is extractable (WebCrypto). */
  readonly ext?: boolean
  /** X.509 certificate chain. */
  readonly x5c?: string[]
  /** X.509 certificate SHA-1 thumbprint. */
  readonly x5t?: string
  /** X.509 certificate SHA-256 thumbprint. */
  readonly 'x5t#S256'?: string
  /** URL of an X.509 certificate chain. */
  readonly x5u?: string
  /** RSA public exponent. */
  readonly e?: string
  /** RSA modulus. */
  readonly n?: string
  /** Curve of an EC or OKP key. */
  readonly crv?: string
  /** Public x coordinate (EC) or public key (OKP). */
  readonly x?: string
  /** Public y coordinate (EC). */
  readonly y?: string
  /** Private key: EC/OKP private value or RSA private exponent. */
  readonly d?: string
  /** RSA first factor CRT exponent (private). */
  readonly dp?: string
  /** RSA second factor CRT exponent (private). */
  readonly dq?: string
  /** Symmetric key value (private). */
  readonly k?: string
  /** RSA first prime factor (private). */
  readonly p?: string
  /** RSA second prime factor (private). */
  readonly q?: string
  /** RSA first CRT coefficient (private). */
  readonly qi?: string
  /** Public key of an AKP (ML-DSA) key. */
  readonly pub?: string
  /** Private key of an AKP (ML-DSA) key. */
  readonly priv?: string
  /** Other RSA primes (private). */
  readonly oth?: Array<{ d?: string; r?: string; t?: string }>
  readonly [parameter: string]: JsonValue | undefined
}

/** A WebCrypto key, as the runtime declares it (openid-client's `CryptoKey` type). */
export type CryptoKey = globalThis.CryptoKey

/** An asymmetric key pair of WebCrypto keys (openid-client's `CryptoKeyPair` type). */
export interface CryptoKeyPair {
  /** The private key. */
  privateKey: CryptoKey
  /** The public key. */
  publicKey: CryptoKey
}

/** A JSON Web Key Set (RFC 7517 §5), as a server's `jwks_uri` serves it. */
export interface JWKS {
  /** The keys. */
  readonly keys: JWK[]
}
/**
 * A snapshot of a configuration's JWKS cache: the key set and when it was fetched (`uat`, seconds since the
 * epoch). See {@link getJwksCache} and {@link setJwksCache}.
 */
export interface ExportedJWKSCache {
  /** The server's key set. */
  jwks: JWKS
  /** When it was fetched, in seconds since the epoch. */
  uat: number
}

/**
 * The `mtls_endpoint_aliases` server metadata (RFC 8705 §5): the endpoints to call when the client presents
 * a certificate; used when the client metadata sets `use_mtls_endpoint_aliases`.
 */
export interface MTLSEndpointAliases {
  /** The mTLS alias of `token_endpoint`. */
  readonly token_endpoint?: string
  /** The mTLS alias of `revocation_endpoint`. */
  readonly revocation_endpoint?: string
  /** The mTLS alias of `introspection_endpoint`. */
  readonly introspection_endpoint?: string
  /** The mTLS alias of `device_authorization_endpoint`. */
  readonly device_authorization_endpoint?: string
  /** The mTLS alias of `userinfo_endpoint`. */
  readonly userinfo_endpoint?: string
  /** The mTLS alias of `pushed_authorization_request_endpoint`. */
  readonly pushed_authorization_request_endpoint?: string
  /** The mTLS alias of `backchannel_authentication_endpoint`. */
  readonly backchannel_authentication_endpoint?: string
  readonly [metadata: string]: string | undefined
}

/** Authorization server metadata (RFC 8414, OpenID Connect Discovery 1.0). Wire names throughout. */
export interface ServerMetadata {
  /** The authorization server's issuer identifier (a URL). */
  readonly issuer: string
  /** URL of the server's authorization endpoint. */
  readonly authorization_endpoint?: string
  /** URL of the server's token endpoint. */
  readonly token_endpoint?: string
  /** URL of the server's JSON Web Key Set, for verifying its signatures. */
  readonly jwks_uri?: string
  /** URL of the server's dynamic client registration endpoint. */
  readonly registration_endpoint?: string
  /** `scope` values the server supports. */
  readonly scopes_supported?: string[]
  /** `response_type` values the server supports. */
  readonly response_types_supported?: string[]
  /** `response_mode` values the server supports. */
  readonly response_modes_supported?: string[]
  /** `grant_type` values the server supports. */
  readonly grant_types_supported?: string[]
  /** Client authentication methods the token endpoint accepts. */
  readonly token_endpoint_auth_methods_supported?: string[]
  /** JWS algorithms of client assertions the token endpoint accepts. */
  readonly token_endpoint_auth_signing_alg_values_supported?: string[]
  /** URL of human-readable documentation for developers. */
  readonly service_documentation?: string
  /** Languages of the user interface. */
  readonly ui_locales_supported?: string[]
  /** URL of the server's policy on how clients may use the data it provides. */
  readonly op_policy_uri?: string
  /** URL of the server's terms of service. */
  readonly op_tos_uri?: string
  /** URL of the server's revocation (RFC 7009) endpoint. */
  readonly revocation_endpoint?: string
  /** Client authentication methods the revocation endpoint accepts. */
  readonly revocation_endpoint_auth_methods_supported?: string[]
  /** JWS algorithms of client assertions the revocation endpoint accepts. */
  readonly revocation_endpoint_auth_signing_alg_values_supported?: string[]
  /** URL of the server's introspection (RFC 7662) endpoint. */
  readonly introspection_endpoint?: string
  /** Client authentication methods the introspection endpoint accepts. */
  readonly introspection_endpoint_auth_methods_supported?: string[]
  /** JWS algorithms of client assertions the introspection endpoint accepts. */
  readonly introspection_endpoint_auth_signing_alg_values_supported?: string[]
  /** PKCE code challenge methods (`S256`, ...). */
  readonly code_challenge_methods_supported?: string[]
  /** The metadata as a signed JWT (RFC 8414 §2.1). */
  readonly signed_metadata?: string
  /** URL of the server's device authorization (RFC 8628) endpoint. */
  readonly device_authorization_endpoint?: string
  /** Whether the server binds access tokens to client certificates (RFC 8705). */
  readonly tls_client_certificate_bound_access_tokens?: boolean
  /** Endpoints to call with a client certificate (RFC 8705 §5). */
  readonly mtls_endpoint_aliases?: MTLSEndpointAliases
  /** URL of the server's UserInfo endpoint. */
  readonly userinfo_endpoint?: string
  /** Authentication Context Class References the server supports. */
  readonly acr_values_supported?: string[]
  /** Subject identifier types (`public`, `pairwise`). */
  readonly subject_types_supported?: string[]
  /** JWS algorithms the server signs ID Tokens with. */
  readonly id_token_signing_alg_values_supported?: string[]
  /** JWE `alg` values for encrypted ID Tokens. */
  readonly id_token_encryption_alg_values_supported?: string[]
  /** JWE `enc` values for encrypted ID Tokens. */
  readonly id_token_encryption_enc_values_supported?: string[]
  /** JWS algorithms the server signs UserInfo responses with. */
  readonly userinfo_signing_alg_values_supported?: string[]
  /** JWE `alg` values for encrypted UserInfo responses. */
  readonly userinfo_encryption_alg_values_supported?: string[]
  /** JWE `enc` values for encrypted UserInfo responses. */
  readonly userinfo_encryption_enc_values_supported?: string[]
  /** JWS algorithms the server accepts request objects signed with. */
  readonly request_object_signing_alg_values_supported?: string[]
  /** JWE `alg` values for encrypted request objects. */
  readonly request_object_encryption_alg_values_supported?: string[]
  /** JWE `enc` values for encrypted request objects. */
  readonly request_object_encryption_enc_values_supported?: string[]
  /** `display` values the server supports. */
  readonly display_values_supported?: string[]
  /** Claim types (`normal`, `aggregated`, `distributed`). */
  readonly claim_types_supported?: string[]
  /** Claims the server may provide. */
  readonly claims_supported?: string[]
  /** Languages of the claims. */
  readonly claims_locales_supported?: string[]
  /** Whether the `claims` request parameter is supported. */
  readonly claims_parameter_supported?: boolean
  /** Whether the `request` parameter (a request object) is supported. */
  readonly request_parameter_supported?: boolean
  /** Whether the `request_uri` parameter is supported. */
  readonly request_uri_parameter_supported?: boolean
  /** Whether `request_uri` values must be pre-registered. */
  readonly require_request_uri_registration?: boolean
  /** Whether authorization requests must be signed request objects (JAR, RFC 9101). */
  readonly require_signed_request_object?: boolean
  /** URL of the server's pushed authorization request (RFC 9126) endpoint. */
  readonly pushed_authorization_request_endpoint?: string
  /** Whether authorization requests must be pushed first (PAR, RFC 9126). */
  readonly require_pushed_authorization_requests?: boolean
  /** JWS algorithms the server signs JWT introspection responses with. */
  readonly introspection_signing_alg_values_supported?: string[]
  /** JWE `alg` values for encrypted JWT introspection responses. */
  readonly introspection_encryption_alg_values_supported?: string[]
  /** JWE `enc` values for encrypted JWT introspection responses. */
  readonly introspection_encryption_enc_values_supported?: string[]
  /** Whether authorization responses carry `iss` (RFC 9207). */
  readonly authorization_response_iss_parameter_supported?: boolean
  /** JWS algorithms the server signs JARM responses with. */
  readonly authorization_signing_alg_values_supported?: string[]
  /** JWE `alg` values for encrypted JARM responses. */
  readonly authorization_encryption_alg_values_supported?: string[]
  /** JWE `enc` values for encrypted JARM responses. */
  readonly authorization_encryption_enc_values_supported?: string[]
  /** URL of the server's backchannel authentication (CIBA) endpoint. */
  readonly backchannel_authentication_endpoint?: string
  /** JWS algorithms of signed CIBA requests. */
  readonly backchannel_authentication_request_signing_alg_values_supported?: string[]
  /** CIBA token delivery modes (`poll`, `ping`, `push`). */
  readonly backchannel_token_delivery_modes_supported?: string[]
  /** Whether CIBA requests may carry a `user_code`. */
  readonly backchannel_user_code_parameter_supported?: boolean
  /** URL of the iframe for OpenID Connect Session Management. */
  readonly check_session_iframe?: string
  /** JWS algorithms the server accepts for DPoP proofs (RFC 9449). */
  readonly dpop_signing_alg_values_supported?: string[]
  /** URL of the server's end session (RP-Initiated Logout) endpoint. */
  readonly end_session_endpoint?: string
  /** Whether front-channel logout requests carry `iss` and `sid`. */
  readonly frontchannel_logout_session_supported?: boolean
  /** Whether front-channel logout is supported. */
  readonly frontchannel_logout_supported?: boolean
  /** Whether back-channel logout tokens carry `sid`. */
  readonly backchannel_logout_session_supported?: boolean
  /** Whether back-channel logout is supported. */
  readonly backchannel_logout_supported?: boolean
  /** The resource servers this server issues tokens for. */
  readonly protected_resources?: string[]
  readonly [metadata: string]: JsonValue | undefined
}

/** What `config.serverMetadata()` adds to the server's metadata. */
export interface ServerMetadataHelpers {
  /** True when `code_challenge_methods_supported` lists `method` (default `S256`). */
  supportsPKCE(method?: string): boolean
}

/** The metadata accessors of a `Configuration` (openid-client's `ConfigurationMethods`). */
export interface ConfigurationMethods {
  /** The authorization server's metadata, with helpers. */
  serverMetadata(): Readonly<ServerMetadata> & ServerMetadataHelpers
  /** The client's metadata, without the symbol-keyed library settings. */
  clientMetadata(): Readonly<OmitSymbolProperties<ClientMetadata>>
}

/** Client metadata (RFC 7591 / OpenID Connect Registration). Wire names; library knobs are symbols. */
export interface ClientMetadata {
  /** The client's identifier. */
  client_id: string
  /** The client's secret (confidential clients). */
  client_secret?: string
  /** How the client authenticates at the token endpoint, e.g. `client_secret_basic`. */
  token_endpoint_auth_method?: string
  /** The JWS `alg` ID Tokens must be signed with (RS256 by default). */
  id_token_signed_response_alg?: string
  /** The JWS `alg` of JARM responses. */
  authorization_signed_response_alg?: string
  /** Whether ID Tokens must carry `auth_time`. */
  require_auth_time?: boolean
  /** The JWS `alg` of signed UserInfo responses. */
  userinfo_signed_response_alg?: string
  /** The JWS `alg` of JWT introspection responses. */
  introspection_signed_response_alg?: string
  /** The default `max_age` (seconds) checked against `auth_time`. */
  default_max_age?: number
  /** Call the server's `mtls_endpoint_aliases` (with a client certificate, RFC 8705). */
  use_mtls_endpoint_aliases?: boolean
  /** Seconds the local clock is behind (negative: ahead of) the server's. */
  [clockSkew]?: number
  /** Seconds of leeway for `exp`, `nbf` and `auth_time` checks (30 by default, D23). */
  [clockTolerance]?: number
  [metadata: string]: JsonValue | undefined
}

/** A request body, as `fetch` accepts it. */
export type FetchBody =
  ArrayBuffer | null | ReadableStream | string | Uint8Array | undefined | URLSearchParams

/** The options a `customFetch` receives, shaped like `RequestInit`. */
export interface CustomFetchOptions {
  /** The request body. */
  body: FetchBody
  /** `half` when the body is a stream. */
  duplex?: 'half'
  /** The request headers, names in lower case. */
  headers: Record<string, string>
  /** The HTTP method. */
  method: string
  /** Always `manual`: grantline follows no redirect. */
  redirect: 'manual'
  /** Aborts the request (the configuration's deadline, or the caller's signal). */
  signal?: AbortSignal
}

/** A `fetch` replacement: receives the URL as a string and options shaped like `RequestInit`. */
export type CustomFetch = (url: string, options: CustomFetchOptions) => Promise<Response>

/** The settable properties of a {@link Configuration}: `timeout` in seconds (D1) and `[customFetch]`. */
export interface ConfigurationProperties {
  /** A `fetch` replacement for every request of the configuration. */
  [customFetch]?: CustomFetch | undefined
  /** Seconds before a request times out (30 by default; 0 or Infinity: none). */
  timeout?: number | undefined
}

/** Client authentication: adds credentials to the body and/or headers of a request. May be async. */
export type ClientAuth = (
  as: ServerMetadata,
  client: ClientMetadata,
  body: URLSearchParams,
  headers: Headers,
) => void | Promise<void>

/**
 * Changes the header and payload of a JWT right before it is signed (a client assertion, a DPoP proof, a
 * request object, a JWT bearer assertion); set as `[modifyAssertion]` in the options.
 */
export type ModifyAssertionFunction = (
  header: Record<string, JsonValue | undefined>,
  payload: Record<string, JsonValue | undefined>,
) => void

export interface ModifyAssertionOptions {
  /** Called with the JWT's header and payload right before signing; may change them. */
  [modifyAssertion]?: ModifyAssertionFunction
}

/** A private key with the `kid` to put in the JWS header of what it signs. */
export interface PrivateKey {
  /** The private key (a WebCrypto `CryptoKey`). */
  key: CryptoKey
  /** The key's ID, put in the JWS header as `kid`. */
  kid?: string
}

/** A DPoP handle (RFC 9449): owns a key pair and a per-origin nonce cache. Made by `getDPoPHandle`. */
export interface DPoPHandle {
  /** The RFC 7638 SHA-256 thumbprint of the public key, e.g. for `dpop_jkt`. */
  calculateThumbprint(): Promise<string>
}

/**
 * What the pipeline calls on a DPoP handle: ours, and those of other compatible implementations (openid-client's
 * handles have both methods, but its public type does not name them, hence the narrow public type above).
 * Not exported from the package.
 */
export interface DPoPProofHandle extends DPoPHandle {
  /** Adds a `DPoP` proof header for a request. */
  addProof(url: URL, headers: Headers, htm: string, accessToken?: string): Promise<void>
  /** Remembers the `DPoP-Nonce` of a response, keyed by the request URL's origin. */
  cacheNonce(response: Response, url: URL): void
}

export interface DPoPOptions {
  /** Binds the request (and the issued tokens) to this DPoP key. */
  DPoP?: DPoPHandle
}

/** The `cnf` claim (RFC 7800): what a token is bound to (a certificate's or a DPoP key's thumbprint). */
export interface ConfirmationClaims {
  /** The SHA-256 thumbprint of the client certificate the token is bound to (RFC 8705). */
  readonly 'x5t#S256'?: string
  /** The thumbprint of the DPoP key the token is bound to (RFC 9449). */
  readonly jkt?: string
  readonly [claim: string]: JsonValue | undefined
}

/**
 * The claims of a validated ID Token.
 *
 * @see [OpenID Connect Core 1.0 §2](https://openid.net/specs/openid-connect-core-1_0.html#IDToken)
 */
export interface IDToken {
  /** The issuer: the authorization server. */
  readonly iss: string
  /** The end-user's identifier at the issuer. */
  readonly sub: string
  /** The client(s) the ID Token is for. */
  readonly aud: string | string[]
  /** When it was issued (seconds since the epoch). */
  readonly iat: number
  /** When it expires. */
  readonly exp: number
  /** The `nonce` of the authorization request. */
  readonly nonce?: string
  /** When the end-user authenticated. */
  readonly auth_time?: number
  /** The authorized party: the client it was issued to, when `aud` lists several. */
  readonly azp?: string
  /** The ID Token's identifier. */
  readonly jti?: string
  /** Not valid before this time. */
  readonly nbf?: number
  /** What the ID Token is bound to. */
  readonly cnf?: ConfirmationClaims
  readonly [claim: string]: JsonValue | undefined
}

/**
 * One entry of `authorization_details` (Rich Authorization Requests).
 *
 * @see [RFC 9396](https://www.rfc-editor.org/rfc/rfc9396.html)
 */
export interface AuthorizationDetails {
  /** The kind of authorization (the server defines the values). */
  readonly type: string
  /** Where the resources are. */
  readonly locations?: string[]
  /** What may be done. */
  readonly actions?: string[]
  /** Which kinds of data may be accessed. */
  readonly datatypes?: string[]
  /** Which privileges are asked for. */
  readonly privileges?: string[]
  /** A specific resource. */
  readonly identifier?: string
  readonly [parameter: string]: JsonValue | undefined
}

export interface TokenEndpointResponse {
  /** The access token. */
  readonly access_token: string
  /** Seconds the access token lives, from when it was issued. */
  readonly expires_in?: number
  /** The ID Token (validated before the response is returned). */
  readonly id_token?: string
  /** The refresh token, when the server issued one. */
  readonly refresh_token?: string
  /** The granted scope, when it differs from the requested one (or the server always says). */
  readonly scope?: string
  /** The granted authorization details (RFC 9396). */
  readonly authorization_details?: AuthorizationDetails[]
  /** Always lower case: `bearer`, `dpop`, or `n_a` (token exchange only). */
  readonly token_type: Lowercase<string>
  readonly [parameter: string]: JsonValue | undefined
}

/** The helpers every token response grantline resolves to has, beside the response's own members. */
export interface TokenEndpointResponseHelpers {
  /** The validated ID Token claims, or `undefined` when the response had no `id_token`. */
  claims(): IDToken | undefined
  /** Seconds until the access token expires (0 once expired), or `undefined` without `expires_in`. */
  expiresIn(): number | undefined
}

/**
 * Grant parameters. Extension: an array value becomes repeated parameters (several `resource` or `audience`).
 */
export type GrantParameters = URLSearchParams | Record<string, string> | Record<string, string | string[]>
