// The token endpoint commands: `token <grant-type>` (any grant) and the typed shortcuts. Each is a thin call
// into grantline's public API.

import {
  clientCredentialsGrant,
  genericGrantRequest,
  jwtBearerGrant,
  refreshTokenGrant,
  saml2BearerGrant,
  tokenExchangeGrant,
  TokenType,
  type JsonValue,
  type JwtBearerClaims,
  type TokenExchangeParameters,
} from '../../node/index.js'
import { list, pairs, str, type Values } from '../args.js'
import { UsageError } from '../exit-codes.js'
import { loadPrivateKey } from '../keys.js'
import { dpop, type Invocation } from './types.js'
import { requiredValue, valueFrom } from './input.js'

/** Short names for the grant types people type most. */
export const GRANT_ALIASES: Record<string, string> = {
  'token-exchange': 'urn:ietf:params:oauth:grant-type:token-exchange',
  'jwt-bearer': 'urn:ietf:params:oauth:grant-type:jwt-bearer',
  'saml2-bearer': 'urn:ietf:params:oauth:grant-type:saml2-bearer',
  'device-code': 'urn:ietf:params:oauth:grant-type:device_code',
  device_code: 'urn:ietf:params:oauth:grant-type:device_code',
  ciba: 'urn:openid:params:grant-type:ciba',
}

/** Short names for RFC 8693 token types. */
export const TOKEN_TYPE_ALIASES: Record<string, string> = {
  access_token: TokenType.AccessToken,
  refresh_token: TokenType.RefreshToken,
  id_token: TokenType.IdToken,
  jwt: TokenType.Jwt,
  saml1: TokenType.Saml1,
  saml2: TokenType.Saml2,
}

function tokenType(value: string | undefined, flagName: string): string | undefined {
  if (value === undefined) return undefined
  if (TOKEN_TYPE_ALIASES[value]) return TOKEN_TYPE_ALIASES[value]
  if (value.includes(':')) return value
  throw new UsageError(
    `${flagName}: unknown token type "${value}"`,
    `a URI, or one of ${Object.keys(TOKEN_TYPE_ALIASES).join(', ')}`,
  )
}

/** `-p name=value`, `--scope`, `--audience`, `--resource` as grant parameters. */
export function grantParameters(values: Values): Record<string, string | string[]> {
  const params = pairs(list(values, 'param'), '-p/--param')
  const scopes = list(values, 'scope')
  if (scopes.length) params['scope'] = scopes.join(' ')
  for (const name of ['audience', 'resource']) {
    const given = list(values, name)
    if (given.length) {
      const current = params[name]
      params[name] = [
        ...(current === undefined ? [] : Array.isArray(current) ? current : [current]),
        ...given,
      ]
    }
  }
  for (const [name, value] of Object.entries(params))
    if (Array.isArray(value) && value.length === 1) params[name] = value[0]!
  return params
}

export async function token({ values, positionals, client }: Invocation) {
  const given = positionals[0]
  if (given === undefined)
    throw new UsageError(
      'the grant type is required: grantline token <grant-type>',
      'e.g. client_credentials, or any URI',
    )
  if (positionals.length > 1)
    throw new UsageError(`unexpected argument "${positionals[1]}"`, 'parameters go with -p name=value')
  const grantType = GRANT_ALIASES[given] ?? given
  return genericGrantRequest(client.config, grantType, grantParameters(values), dpop(client))
}

export async function clientCredentials({ values, positionals, client }: Invocation) {
  noPositionals(positionals)
  return clientCredentialsGrant(client.config, grantParameters(values), dpop(client))
}

export async function refresh({ values, positionals, client }: Invocation) {
  const refreshToken = await requiredValue(values, 'refresh-token', positionals[0], 'the refresh token')
  return refreshTokenGrant(client.config, refreshToken, grantParameters(values), dpop(client))
}

export async function exchange({ values, positionals, client }: Invocation) {
  noPositionals(positionals)
  const subjectToken = await requiredValue(
    values,
    'subject-token',
    undefined,
    '--subject-token (or --subject-token-file)',
  )
  const actorToken = await valueFrom(values, 'actor-token', undefined, 'the actor token', false)
  const params = grantParameters(values)
  const parameters: Record<string, unknown> = {
    ...params,
    subject_token: subjectToken,
    subject_token_type: tokenType(
      str(values, 'subject-token-type') ?? 'access_token',
      '--subject-token-type',
    ),
  }
  if (actorToken !== undefined) {
    parameters['actor_token'] = actorToken
    parameters['actor_token_type'] = tokenType(
      str(values, 'actor-token-type') ?? 'access_token',
      '--actor-token-type',
    )
  } else if (str(values, 'actor-token-type') !== undefined) {
    throw new UsageError('--actor-token-type needs --actor-token or --actor-token-file')
  }
  const requested = tokenType(str(values, 'requested-token-type'), '--requested-token-type')
  if (requested !== undefined) parameters['requested_token_type'] = requested
  return tokenExchangeGrant(client.config, parameters as unknown as TokenExchangeParameters, dpop(client))
}

export async function jwtBearer({ values, positionals, client }: Invocation) {
  noPositionals(positionals)
  const params = grantParameters(values)
  const signKey = str(values, 'sign-key')
  const assertion = await valueFrom(values, 'assertion', undefined, '--assertion', false)
  if ((signKey === undefined) === (assertion === undefined)) {
    throw new UsageError(
      'jwt-bearer needs either --assertion/--assertion-file or --sign-key (with --sub, --claim)',
    )
  }
  if (assertion !== undefined) {
    for (const name of ['sub', 'iss', 'aud', 'claim', 'sign-kid']) {
      if (values[name] !== undefined)
        throw new UsageError(`--${name} is for an assertion built with --sign-key`)
    }
    return jwtBearerGrant(client.config, assertion, params, dpop(client))
  }
  const loaded = await loadPrivateKey(signKey!, '--sign-key', str(values, 'sign-alg'))
  const claims: JwtBearerClaims = {}
  for (const [name, value] of Object.entries(pairs(list(values, 'claim'), '--claim'))) {
    claims[name] = Array.isArray(value) ? value.map(claimValue) : claimValue(value)
  }
  for (const name of ['sub', 'iss'] as const) {
    const value = str(values, name)
    if (value !== undefined) claims[name] = value
  }
  const aud = list(values, 'aud')
  if (aud.length) claims.aud = aud.length === 1 ? aud[0]! : aud
  const kid = str(values, 'sign-kid') ?? loaded.kid
  return jwtBearerGrant(
    client.config,
    { privateKey: kid === undefined ? { key: loaded.privateKey } : { key: loaded.privateKey, kid }, claims },
    params,
    dpop(client),
  )
}

/** A `--claim` value: JSON when it parses as JSON (numbers, booleans, objects), else the text. */
function claimValue(text: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue
  } catch {
    return text
  }
}

export async function saml2Bearer({ values, positionals, client }: Invocation) {
  noPositionals(positionals)
  const assertion = await requiredValue(values, 'assertion', undefined, '--assertion-file (or --assertion)')
  const encoded = values['encoded'] === true
  return saml2BearerGrant(client.config, assertion, grantParameters(values), { ...dpop(client), encoded })
}

export function noPositionals(positionals: string[]): void {
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`)
}
