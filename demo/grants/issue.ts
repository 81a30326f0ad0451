// Token issuance shared by the extension grants: a real access token of this provider (so introspection,
// revocation and token exchange recognise it), bound to the DPoP key or client certificate when one was
// presented, plus a refresh token when `offline_access` was granted.

import { errors, type KoaContext, type Provider } from 'oidc-provider'
import {
  bindRefreshToken,
  bindToken,
  buildTokenResponse,
  validateClientScope,
  type SenderConstraint,
} from '../oidc-internals.js'

export interface Issuance {
  /** The end-user (or client) the token is about. */
  accountId: string
  /** `gty` recorded on the token, shown by introspection tooling. */
  gty: string
  /** Space-separated scope; defaults to none. */
  scope?: string | undefined
  /** The token's `aud`: every audience and resource value, in request order (RFC 8693 §2.1 allows several). */
  audience?: string[]
  /** Extra members returned by introspection (e.g. `requested_resource`, `act`). */
  extra?: Record<string, unknown>
  issuedTokenType?: string
}

/**
 * Members an access token carries into introspection. oidc-provider fills a token's `extra` from its
 * `extraTokenClaims` hook when the token is saved, so the grant leaves them here and the hook reads them back.
 */
export const tokenExtras = new WeakMap<object, Record<string, unknown>>()

/**
 * An `invalid_grant` whose description says what was wrong. oidc-provider's own InvalidGrant always describes
 * itself as "grant request is invalid", which leaves a developer trying the demo guessing.
 */
export function invalidGrant(description: string): Error {
  return new errors.CustomOIDCProviderError('invalid_grant', description)
}

/** Reads a parameter that may repeat as an array, in request order. */
export function many(ctx: KoaContext, name: string): string[] {
  const value = ctx.oidc.params[name]
  if (value === undefined) return []
  return Array.isArray(value) ? value : [value]
}

export function one(ctx: KoaContext, name: string): string | undefined {
  const value = ctx.oidc.params[name]
  return Array.isArray(value) ? value[0] : value
}

export function required(ctx: KoaContext, name: string): string {
  const value = one(ctx, name)
  if (value === undefined || value === '') {
    throw new errors.InvalidRequest(`missing required parameter '${name}'`)
  }
  return value
}

export async function issueAccessToken(
  provider: Provider,
  ctx: KoaContext,
  constraint: SenderConstraint,
  issuance: Issuance,
): Promise<void> {
  const { client } = ctx.oidc
  const scopes = validateClientScope(provider, ctx, new Set(issuance.scope?.split(' ').filter(Boolean)))
  const scope = [...scopes].join(' ') || undefined

  const at = new provider.AccessToken({
    accountId: issuance.accountId,
    client,
    gty: issuance.gty,
    scope,
    ...(issuance.audience?.length ? { aud: issuance.audience } : {}),
  })
  if (issuance.extra && Object.keys(issuance.extra).length) tokenExtras.set(at, issuance.extra)
  await bindToken(provider, ctx, at, constraint)

  let refreshToken: string | undefined
  if (scopes.has('offline_access') && client.grantTypeAllowed('refresh_token')) {
    // The refresh_token grant needs a Grant recording what the account allowed this client.
    const grant = new provider.Grant({ accountId: issuance.accountId, clientId: client.clientId })
    grant.addOIDCScope(scopes)
    const grantId = await grant.save()
    at.grantId = grantId
    const rt = new provider.RefreshToken({
      accountId: issuance.accountId,
      client,
      grantId,
      gty: issuance.gty,
      scope,
      rotations: 0,
    })
    await bindRefreshToken(provider, ctx, at, rt)
    ctx.oidc.entity('RefreshToken', rt)
    refreshToken = await rt.save()
  }

  ctx.oidc.entity('AccessToken', at)
  const accessToken = await at.save()
  ctx.body = buildTokenResponse(provider, {
    accessToken,
    tokenType: at.tokenType,
    expiresIn: at.expiration,
    scope,
    refreshToken,
    issuedTokenType: issuance.issuedTokenType,
  })
}
