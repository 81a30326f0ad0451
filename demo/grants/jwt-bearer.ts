// JWT Profile for OAuth 2.0 Authorization Grants (RFC 7523 §2.1, §3) as an oidc-provider extension grant. The
// assertion's signature is really verified: against the trusted assertion issuer's key, or, when the client
// asserts for itself (`iss` = its client_id), against the keys it registered.

import {
  createLocalJWKSet,
  decodeJwt,
  errors as joseErrors,
  jwtVerify,
  type JWK,
  type JWTVerifyGetKey,
} from 'jose'
import type { KoaContext, Provider } from 'oidc-provider'
import { senderConstraint } from '../oidc-internals.js'
import { invalidGrant, issueAccessToken, one, required } from './issue.js'

export const JWT_BEARER_PARAMETERS = ['assertion', 'scope']

export interface TrustedIssuer {
  issuer: string
  publicKey: CryptoKey
}

export function jwtBearerHandler(
  provider: Provider,
  trusted: TrustedIssuer,
  clientKeys: (clientId: string) => JWK[] | undefined,
) {
  return async (ctx: KoaContext): Promise<void> => {
    const constraint = await senderConstraint(provider, ctx)
    const assertion = required(ctx, 'assertion')
    const claimedIssuer = unverifiedIssuer(assertion)
    const clientId = ctx.oidc.client.clientId

    let key: CryptoKey | JWTVerifyGetKey
    if (claimedIssuer === trusted.issuer) {
      key = trusted.publicKey
    } else {
      const keys = claimedIssuer === clientId ? clientKeys(clientId) : undefined
      if (!keys?.length) throw invalidGrant('assertion issuer is not trusted')
      key = createLocalJWKSet({ keys })
    }

    let subject: unknown
    try {
      const { payload } = await jwtVerify(assertion, key as JWTVerifyGetKey, {
        issuer: claimedIssuer,
        // RFC 7523 §3 item 3: the audience identifies the authorization server; its token endpoint URL may be used.
        audience: [provider.issuer, ctx.oidc.urlFor('token')],
        requiredClaims: ['iss', 'sub', 'aud', 'exp'],
        clockTolerance: 30,
      })
      subject = payload.sub
    } catch (cause) {
      throw invalidGrant(describe(cause))
    }
    if (typeof subject !== 'string' || subject.length === 0) {
      throw invalidGrant('assertion "sub" claim must be a non-empty string')
    }

    await issueAccessToken(provider, ctx, constraint, {
      accountId: subject,
      gty: 'jwt_bearer',
      scope: one(ctx, 'scope'),
    })
  }
}

function unverifiedIssuer(assertion: string): string {
  let iss: unknown
  try {
    iss = decodeJwt(assertion).iss
  } catch {
    throw invalidGrant('assertion is not a JWT')
  }
  if (typeof iss !== 'string' || iss.length === 0) throw invalidGrant('assertion has no "iss" claim')
  return iss
}

function describe(cause: unknown): string {
  if (cause instanceof joseErrors.JWTExpired) return 'assertion has expired'
  if (cause instanceof joseErrors.JWSSignatureVerificationFailed) return 'assertion signature is invalid'
  if (cause instanceof joseErrors.JWTClaimValidationFailed)
    return `assertion "${cause.claim}" claim is invalid`
  if (cause instanceof joseErrors.JWKSNoMatchingKey) return 'no registered key matches the assertion'
  return 'assertion is invalid'
}
