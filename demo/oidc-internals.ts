// The one file that reaches into oidc-provider's private modules. Extension grants registered with
// `provider.registerGrantType` receive only `ctx`; binding their tokens to a DPoP key or a client certificate the
// way the built-in grants do needs the provider's own helpers, which are not public API. They are pinned to the
// exact version read here; a different version fails loudly instead of binding tokens wrongly.

import { createRequire } from 'node:module'
import type { KoaContext, Provider, StoredToken } from 'oidc-provider'
import * as grants from 'oidc-provider/lib/helpers/grants.js'
import * as common from 'oidc-provider/lib/helpers/grant_common.js'
import type { DPoPResult } from 'oidc-provider/lib/helpers/grants.js'

export const PINNED_OIDC_PROVIDER_VERSION = '9.13.3'

const installed = (createRequire(import.meta.url)('oidc-provider/package.json') as { version: string })
  .version
if (installed !== PINNED_OIDC_PROVIDER_VERSION) {
  throw new Error(
    `demo/oidc-internals.ts uses private oidc-provider ${PINNED_OIDC_PROVIDER_VERSION} helpers, found ${installed}`,
  )
}

export type { DPoPResult }

/** Proof of possession presented with a token request: a verified DPoP proof and/or a client certificate. */
export interface SenderConstraint {
  dPoP: DPoPResult | undefined
  cert: unknown
}

/**
 * Verifies the request's DPoP proof (RFC 9449 §4.3, nonce rules included) and picks up the client certificate
 * when the client asked for certificate-bound tokens (RFC 8705 §3), as the built-in grants do first.
 */
export async function senderConstraint(provider: Provider, ctx: KoaContext): Promise<SenderConstraint> {
  const dPoP = await grants.validateDpop(provider, ctx)
  const cert = grants.checkMtlsCert(provider, ctx)
  grants.checkDpopRequired(provider, ctx, dPoP)
  return { dPoP, cert }
}

/** Binds a new access token to the presented certificate (`x5t#S256`) or DPoP key (`jkt`), with replay check. */
export async function bindToken(
  provider: Provider,
  ctx: KoaContext,
  token: StoredToken,
  constraint: SenderConstraint,
): Promise<void> {
  common.applyMtlsBinding(token, constraint.cert)
  await common.applyDpopBinding(provider, ctx, constraint.dPoP, token)
}

/** A public client's refresh token inherits its access token's binding (RFC 9449 §5). */
export function bindRefreshToken(
  provider: Provider,
  ctx: KoaContext,
  accessToken: StoredToken,
  refreshToken: StoredToken,
): Promise<void> {
  return grants.applyRefreshTokenBindings(provider, ctx, accessToken, refreshToken)
}

/** Rejects scopes the client is not registered for. */
export function validateClientScope(provider: Provider, ctx: KoaContext, scopes: Set<string>): Set<string> {
  return grants.validateClientScope(provider, ctx, scopes)
}

export const buildTokenResponse = grants.buildTokenResponse
