// introspect, revoke, userinfo, discover: one public API call each.

import { fetchProtectedResource, tokenIntrospection, tokenRevocation } from '../../node/index.js'
import { str } from '../args.js'
import { HttpStatusError, UsageError } from '../exit-codes.js'
import { valueFrom } from './input.js'
import { noPositionals } from './grants.js'
import { dpop, type Invocation } from './types.js'

function hint(values: Invocation['values']): Record<string, string> {
  const hintValue = str(values, 'token-type-hint')
  return hintValue === undefined ? {} : { token_type_hint: hintValue }
}

export async function introspect({ values, positionals, client }: Invocation) {
  const token = valueFrom(values, 'token', positionals[0], 'the token to introspect')!
  return tokenIntrospection(client.config, token, hint(values))
}

export async function revoke({ values, positionals, client }: Invocation) {
  const token = valueFrom(values, 'token', positionals[0], 'the token to revoke')!
  await tokenRevocation(client.config, token, hint(values))
  return { revoked: true }
}

export async function userinfo({ values, positionals, client }: Invocation) {
  const accessToken = valueFrom(values, 'token', positionals[0], 'the access token')!
  const endpoint = client.config.serverMetadata().userinfo_endpoint
  if (endpoint === undefined) {
    throw new UsageError('the server has no userinfo_endpoint', 'pass --userinfo-endpoint <url>')
  }
  const response = await fetchProtectedResource(
    client.config,
    accessToken,
    new URL(endpoint),
    'GET',
    undefined,
    new Headers({ accept: 'application/json, application/jwt' }),
    dpop(client),
  )
  const text = await response.text()
  let body: unknown = text
  if ((response.headers.get('content-type') ?? '').includes('json')) {
    try {
      body = JSON.parse(text)
    } catch {
      body = text
    }
  }
  if (response.status < 200 || response.status > 299) throw new HttpStatusError(response.status, body)
  return typeof body === 'string' ? { jwt: body } : body
}

export async function discover({ positionals, client }: Invocation) {
  noPositionals(positionals)
  return client.config.serverMetadata()
}
