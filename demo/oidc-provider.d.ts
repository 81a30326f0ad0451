// oidc-provider 9.13.3 ships no type declarations. These describe only the parts the embedded server uses:
// the public Provider class and errors, plus the private helper modules that demo/oidc-internals.ts imports.

declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http'

  /** A stored artefact (access token, grant, device code...): payload members plus a few methods. */
  export interface StoredToken {
    [member: string]: unknown
    jti: string
    clientId?: string
    accountId?: string
    grantId?: string
    scope?: string
    readonly isValid: boolean
    readonly isExpired: boolean
    readonly expiration: number
    readonly scopes: Set<string>
    readonly tokenType: string
    save(): Promise<string>
    setThumbprint(prop: 'x5t' | 'jkt', input: unknown): void
  }

  export interface GrantModel extends StoredToken {
    addOIDCScope(scope: string | string[] | Set<string>): void
  }

  export interface TokenModel<T extends StoredToken = StoredToken> {
    new (payload: Record<string, unknown>): T
    find(value: string, options?: { ignoreExpiration?: boolean }): Promise<T | undefined>
  }

  export interface DeviceCodeModel extends TokenModel {
    findByUserCode(
      userCode: string,
      options?: { ignoreExpiration?: boolean },
    ): Promise<StoredToken | undefined>
  }

  export interface IdTokenInstance {
    scope: string
    issue(options: {
      use: 'idtoken' | 'logout' | 'userinfo' | 'introspection' | 'authorization'
    }): Promise<string>
  }

  export interface ClientInstance {
    clientId: string
    clientAuthMethod: string
    scope?: string
    tlsClientCertificateBoundAccessTokens?: boolean
    grantTypeAllowed(grantType: string): boolean
  }

  export interface OidcContext {
    provider: Provider
    client: ClientInstance
    params: Record<string, string | string[] | undefined>
    route: string
    entity(name: string, value: unknown): void
    urlFor(name: string, options?: Record<string, unknown>): string
  }

  /** The koa context a grant handler receives. */
  export interface KoaContext {
    oidc: OidcContext
    body: unknown
    method: string
    path: string
    socket: import('node:tls').TLSSocket
    get(header: string): string
    set(header: string, value: string): void
  }

  export type GrantHandler = (ctx: KoaContext) => Promise<void>

  export class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>)
    readonly issuer: string
    callback(): (req: IncomingMessage, res: ServerResponse) => void
    registerGrantType(
      name: string,
      handler: GrantHandler,
      params?: string | readonly string[] | Set<string>,
      dupes?: string | readonly string[] | Set<string>,
    ): void
    on(event: string, listener: (...args: unknown[]) => void): this
    readonly AccessToken: TokenModel
    readonly ClientCredentials: TokenModel
    readonly RefreshToken: TokenModel
    readonly Grant: TokenModel<GrantModel>
    readonly DeviceCode: DeviceCodeModel
    readonly BackchannelAuthenticationRequest: TokenModel
    readonly IdToken: new (claims: Record<string, unknown>, options: { ctx: KoaContext }) => IdTokenInstance
    readonly Client: {
      find(clientId: string): Promise<ClientInstance | undefined>
      /** Clients not in the static configuration are read from here. */
      readonly adapter: {
        upsert(id: string, payload: Record<string, unknown>, expiresIn?: number): Promise<void>
      }
    }
  }

  export class OIDCProviderError extends Error {
    error: string
    error_description?: string
    status: number
  }
  type ErrorClass = new (description?: string, detail?: string) => OIDCProviderError
  export const errors: {
    InvalidGrant: ErrorClass
    InvalidRequest: ErrorClass
    InvalidTarget: ErrorClass
    InvalidScope: new (description: string, scope: string) => OIDCProviderError
    UnsupportedTokenType: ErrorClass
    AccessDenied: ErrorClass
    InvalidBindingMessage: ErrorClass
    CustomOIDCProviderError: new (error: string, description?: string) => OIDCProviderError
  }

  export default Provider
}

declare module 'oidc-provider/lib/helpers/grants.js' {
  import type { KoaContext, Provider, StoredToken } from 'oidc-provider'

  export interface DPoPResult {
    thumbprint: string
    jti: string
    iat: number
  }
  export function validateDpop(provider: Provider, ctx: KoaContext): Promise<DPoPResult | undefined>
  export function checkMtlsCert(provider: Provider, ctx: KoaContext): unknown
  export function checkDpopRequired(provider: Provider, ctx: KoaContext, dPoP: DPoPResult | undefined): void
  export function validateClientScope(provider: Provider, ctx: KoaContext, scopes?: Set<string>): Set<string>
  export function applyRefreshTokenBindings(
    provider: Provider,
    ctx: KoaContext,
    accessToken: StoredToken,
    refreshToken: StoredToken,
  ): Promise<void>
  export function buildTokenResponse(
    provider: Provider,
    response: {
      accessToken: string
      tokenType: string
      expiresIn?: number | undefined
      scope?: string | undefined
      refreshToken?: string | undefined
      idToken?: string | undefined
      issuedTokenType?: string | undefined
      parameters?: Record<string, unknown>
    },
  ): Record<string, unknown>
}

declare module 'oidc-provider/lib/helpers/grant_common.js' {
  import type { KoaContext, Provider, StoredToken } from 'oidc-provider'
  import type { DPoPResult } from 'oidc-provider/lib/helpers/grants.js'

  export function applyDpopBinding(
    provider: Provider,
    ctx: KoaContext,
    dPoP: DPoPResult | undefined,
    token: StoredToken,
  ): Promise<void>
  export function applyMtlsBinding(token: StoredToken, cert: unknown): void
}
