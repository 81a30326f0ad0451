// introspect, revoke, userinfo, discover: one public API call each.

import { fetchUserInfo, skipSubjectCheck, tokenIntrospection, tokenRevocation } from '../../node/index.js'
import { str } from '../args.js'
import { requiredValue } from './input.js'
import { noPositionals } from './grants.js'
import { dpop, type Invocation } from './types.js'

function hint(values: Invocation['values']): Record<string, string> {
  const hintValue = str(values, 'token-type-hint')
  return hintValue === undefined ? {} : { token_type_hint: hintValue }
}

export async function introspect({ values, positionals, client }: Invocation) {
  const token = await requiredValue(values, 'token', positionals[0], 'the token to introspect')
  return tokenIntrospection(client.config, token, hint(values))
}

export async function revoke({ values, positionals, client }: Invocation) {
  const token = await requiredValue(values, 'token', positionals[0], 'the token to revoke')
  await tokenRevocation(client.config, token, hint(values))
  return { revoked: true }
}

export async function userinfo({ values, positionals, client }: Invocation) {
  const accessToken = await requiredValue(values, 'token', positionals[0], 'the access token')
  // The subject is checked when --sub names the one the access token is expected to be for.
  return fetchUserInfo(client.config, accessToken, str(values, 'sub') ?? skipSubjectCheck, dpop(client))
}

export async function discover({ positionals, client }: Invocation) {
  noPositionals(positionals)
  return client.config.serverMetadata()
}
