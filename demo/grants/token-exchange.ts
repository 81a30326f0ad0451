// OAuth 2.0 Token Exchange (RFC 8693) as an oidc-provider extension grant. The subject (and actor) token must be
// a live access token of this provider. Every `audience` and `resource` value is recorded on the issued token,
// so introspection shows whether a client sent them all.

import { errors, type KoaContext, type Provider, type StoredToken } from 'oidc-provider'
import { senderConstraint } from '../oidc-internals.js'
import { TTL } from '../ttl.js'
import { invalidGrant, issueAccessToken, many, one, required } from './issue.js'

export const TOKEN_TYPE = {
  accessToken: 'urn:ietf:params:oauth:token-type:access_token',
  refreshToken: 'urn:ietf:params:oauth:token-type:refresh_token',
  idToken: 'urn:ietf:params:oauth:token-type:id_token',
  jwt: 'urn:ietf:params:oauth:token-type:jwt',
} as const

export const TOKEN_EXCHANGE_PARAMETERS = [
  'subject_token',
  'subject_token_type',
  'actor_token',
  'actor_token_type',
  'requested_token_type',
  'scope',
  'audience',
  'resource',
]
export const TOKEN_EXCHANGE_DUPLICATES = ['audience', 'resource']

export function tokenExchangeHandler(provider: Provider) {
  return async (ctx: KoaContext): Promise<void> => {
    const constraint = await senderConstraint(provider, ctx)
    const subject = await findToken(
      provider,
      required(ctx, 'subject_token'),
      required(ctx, 'subject_token_type'),
      'subject_token',
    )

    const extra: Record<string, unknown> = {}
    const actorToken = one(ctx, 'actor_token')
    if (actorToken !== undefined) {
      // RFC 8693 §2.1: actor_token_type is required when actor_token is present.
      const actor = await findToken(provider, actorToken, required(ctx, 'actor_token_type'), 'actor_token')
      extra['act'] = { sub: actor.accountId ?? actor.clientId }
    }
    const audience = many(ctx, 'audience')
    const resource = many(ctx, 'resource')
    if (audience.length) extra['requested_audience'] = audience
    if (resource.length) extra['requested_resource'] = resource

    const accountId = subject.accountId ?? subject.clientId
    if (accountId === undefined) throw invalidGrant('subject_token has no subject')
    const scope = one(ctx, 'scope') ?? subject.scope

    const requested = one(ctx, 'requested_token_type') ?? TOKEN_TYPE.accessToken
    if (requested === TOKEN_TYPE.idToken) {
      // RFC 8693 §2.2.1: the issued token is not an access token, so token_type is N_A.
      const idToken = new provider.IdToken({ sub: accountId }, { ctx })
      idToken.scope = 'openid'
      ctx.body = {
        access_token: await idToken.issue({ use: 'idtoken' }),
        issued_token_type: TOKEN_TYPE.idToken,
        token_type: 'N_A',
        expires_in: TTL.IdToken,
      }
      return
    }
    if (requested !== TOKEN_TYPE.accessToken) {
      throw new errors.InvalidRequest('unsupported requested_token_type')
    }

    await issueAccessToken(provider, ctx, constraint, {
      accountId,
      gty: 'token_exchange',
      scope,
      audience: [...audience, ...resource],
      extra,
      issuedTokenType: TOKEN_TYPE.accessToken,
    })
  }
}

async function findToken(
  provider: Provider,
  value: string,
  type: string,
  name: string,
): Promise<StoredToken> {
  if (type !== TOKEN_TYPE.accessToken) {
    throw new errors.InvalidRequest(`unsupported ${name}_type`)
  }
  const token = (await provider.AccessToken.find(value)) ?? (await provider.ClientCredentials.find(value))
  if (!token?.isValid) throw invalidGrant(`${name} is invalid, expired or not an access token`)
  return token
}
