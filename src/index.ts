// The one public barrel: explicit named exports only.

/**
 * The portable core: every grant, client authentication method, DPoP, discovery, ID Token validation,
 * authorization requests and the token manager. Runs on Node.js, Deno, Bun, browsers and workerd; drop-in
 * compatible with openid-client v6 (`import * as client from 'grantline'`).
 *
 * @module grantline
 */

export { Configuration, allowInsecureRequests, getJwksCache, setJwksCache } from './configuration.js'
export {
  ClientError,
  ResponseBodyError,
  WWWAuthenticateChallengeError,
  AuthorizationResponseError,
  isClientError,
  isResponseBodyError,
  isWWWAuthenticateChallengeError,
} from './errors.js'
export type { ClientErrorCode } from './errors.js'
export {
  customFetch,
  clockSkew,
  clockTolerance,
  modifyAssertion,
  skipStateCheck,
  skipSubjectCheck,
} from './symbols.js'

// Client authentication
export { ClientSecretBasic } from './client-auth/client-secret-basic.js'
export { ClientSecretPost } from './client-auth/client-secret-post.js'
export { None } from './client-auth/none.js'
export { TlsClientAuth } from './client-auth/tls-client-auth.js'

// Grants
export { genericGrantRequest } from './grants/generic.js'

// Section: JWT client authentication, DPoP (issue 3)
export { ClientSecretJwt } from './client-auth/client-secret-jwt.js'
export { PrivateKeyJwt } from './client-auth/private-key-jwt.js'
export type { ClientAssertionAudience, ClientAssertionOptions } from './client-auth/assertion.js'
export { getDPoPHandle } from './dpop/handle.js'
export { randomDPoPKeyPair } from './dpop/keys.js'
export type { GenerateKeyPairOptions } from './dpop/keys.js'

// Section: discovery, registration, ID Token trust (issue 4)
export { discovery, dynamicClientRegistration } from './discovery.js'
export type { DiscoveryRequestOptions, DynamicClientRegistrationRequestOptions } from './discovery.js'
export { enableNonRepudiationChecks } from './id-token/signature.js'
export { enableDecryptingResponses } from './id-token/decrypt.js'
export type { DecryptionKey } from './id-token/decrypt.js'

// Section: the grant family and typed helpers (issue 5)
export { clientCredentialsGrant } from './grants/client-credentials.js'
export { refreshTokenGrant } from './grants/refresh-token.js'
export { initiateDeviceAuthorization, pollDeviceAuthorizationGrant } from './grants/device.js'
export type {
  DeviceAuthorizationResponse,
  DeviceAuthorizationGrantPollOptions,
  DeviceAutorizationGrantPollOptions,
} from './grants/device.js'
export { initiateBackchannelAuthentication, pollBackchannelAuthenticationGrant } from './grants/ciba.js'
export type {
  BackchannelAuthenticationResponse,
  BackchannelAuthenticationGrantPollOptions,
} from './grants/ciba.js'
export { tokenIntrospection } from './grants/introspection.js'
export type { IntrospectionResponse } from './grants/introspection.js'
export { tokenRevocation } from './grants/revocation.js'
export { fetchProtectedResource } from './grants/protected-resource.js'
export { tokenExchangeGrant, TokenType } from './grants/token-exchange.js'
export type {
  TokenExchangeParameters,
  TokenExchangeResponse,
  TokenTypeIdentifier,
} from './grants/token-exchange.js'
export { jwtBearerGrant, signJwtBearerAssertion } from './grants/jwt-bearer.js'
export type { JwtBearerAssertionInput, JwtBearerClaims, JwtBearerSignOptions } from './grants/jwt-bearer.js'
export { saml2BearerGrant } from './grants/saml2-bearer.js'
export type { Saml2BearerGrantOptions } from './grants/saml2-bearer.js'

export type { WWWAuthenticateChallenge, WWWAuthenticateChallengeParameters } from './http/www-authenticate.js'
export type {
  AuthorizationDetails,
  ClientAuth,
  ClientMetadata,
  ConfigurationProperties,
  ConfirmationClaims,
  CustomFetch,
  CustomFetchOptions,
  DPoPHandle,
  DPoPOptions,
  ExportedJWKSCache,
  FetchBody,
  GrantParameters,
  IDToken,
  JsonArray,
  JsonObject,
  JsonPrimitive,
  JsonValue,
  JWK,
  JWKS,
  JWSAlgorithm,
  ModifyAssertionFunction,
  ModifyAssertionOptions,
  MTLSEndpointAliases,
  OmitSymbolProperties,
  PrivateKey,
  ServerMetadata,
  ServerMetadataHelpers,
  TokenEndpointResponse,
  TokenEndpointResponseHelpers,
} from './types.js'

// Section: the token manager (issue 11)
export { createTokenManager, memoryTokenStore } from './manager/index.js'
export type {
  ManagedGrantParameters,
  MemoryTokenStoreOptions,
  RetryOptions,
  StoredToken,
  TokenManager,
  TokenManagerEventBase,
  TokenManagerEventError,
  TokenManagerEventName,
  TokenManagerEvents,
  TokenManagerGetOptions,
  TokenManagerListener,
  TokenManagerOptions,
  TokenStore,
  TokenStoreLock,
} from './manager/index.js'

// Section: authorization requests: PKCE, state, nonce, URL builders, PAR, JAR, end session (issue 12)
export {
  calculatePKCECodeChallenge,
  randomNonce,
  randomPKCECodeVerifier,
  randomState,
} from './authorization/random.js'
export { buildAuthorizationUrl } from './authorization/url.js'
export type { AuthorizationParameters } from './authorization/url.js'
export { buildAuthorizationUrlWithPAR } from './authorization/par.js'
export { buildAuthorizationUrlWithJAR } from './authorization/jar.js'
export type { RequestObjectEncryption, RequestObjectOptions } from './authorization/jar.js'
export { buildEndSessionUrl } from './authorization/end-session.js'

// Section: the callback: authorizationCodeGrant, response modes and types, getDecryptedResponses (issue 12)
export { authorizationCodeGrant } from './authorization/code-grant.js'
export type {
  AuthorizationCodeGrantChecks,
  AuthorizationCodeGrantOptions,
} from './authorization/code-grant.js'
export { useJwtResponseMode } from './authorization/jarm.js'
export { useCodeIdTokenResponseType, enableDetachedSignatureResponseChecks } from './authorization/hybrid.js'
export { useIdTokenResponseType, implicitAuthentication } from './authorization/implicit.js'
export type { ImplicitAuthenticationResponseChecks } from './authorization/implicit.js'
export { getDecryptedResponses } from './authorization/decrypted.js'
export type { DecryptedAuthorizationCodeResponses } from './authorization/decrypted.js'

// Section: UserInfo (issue 12)
export { fetchUserInfo } from './authorization/userinfo.js'
export type { UserInfoAddress, UserInfoResponse } from './authorization/userinfo.js'
// The last types of openid-client's surface (test/unit/api-surface.test.ts)
export type { ConfigurationMethods, CryptoKey, CryptoKeyPair } from './types.js'
