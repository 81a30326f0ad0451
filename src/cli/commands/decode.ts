// `decode`: a JWT's header and claims, and whether its signature verifies against the issuer's JWKS (found by
// discovery through grantline's public API, or given with --jwks-uri).

import { createLocalJWKSet, compactVerify, type JSONWebKeySet } from 'jose'
import { allowInsecureRequests, discovery } from '../../node/index.js'
import { flag, str } from '../args.js'
import { UsageError } from '../exit-codes.js'
import { urlOf } from '../config.js'
import { decodeJwt } from '../output.js'
import { requiredValue } from './input.js'
import type { Invocation } from './types.js'

export interface DecodeResult {
  header: Record<string, unknown>
  payload: Record<string, unknown>
  /** true: the signature verifies with a key of the JWKS; false: it does not; null: not checked. */
  verified: boolean | null
  jwks_uri?: string
  reason?: string
  expired?: boolean
}

export async function decode({ values, positionals }: Invocation): Promise<DecodeResult> {
  const token = await requiredValue(values, 'token', positionals[0], 'the JWT')
  const decoded = decodeJwt(token)
  if (!decoded) throw new UsageError('the value is not a JWT (three base64url JSON segments)')
  const { header, payload } = decoded
  const result: DecodeResult = { header, payload, verified: null }
  if (typeof payload['exp'] === 'number') result.expired = payload['exp'] <= Date.now() / 1000

  if (flag(values, 'no-verify')) {
    result.reason = 'not checked (--no-verify)'
    return result
  }
  const insecure = flag(values, 'insecure')
  const timeout = Number(str(values, 'timeout') ?? 30)
  let jwksUri = str(values, 'jwks-uri')
  if (jwksUri === undefined) {
    const issuer = str(values, 'issuer') ?? (typeof payload['iss'] === 'string' ? payload['iss'] : undefined)
    if (issuer === undefined) {
      result.reason = 'not checked: no --issuer, --jwks-uri or "iss" claim'
      return result
    }
    const config = await discovery(urlOf(issuer, '--issuer'), 'grantline-decode', undefined, undefined, {
      execute: insecure ? [allowInsecureRequests] : [],
      timeout,
    })
    jwksUri = config.serverMetadata().jwks_uri
    if (jwksUri === undefined) {
      result.reason = `not checked: the metadata of ${issuer} has no jwks_uri`
      return result
    }
  }
  const url = urlOf(jwksUri, '--jwks-uri')
  if (url.protocol !== 'https:' && !insecure) {
    throw new UsageError(
      `the JWKS URI ${url.href} is not https`,
      'add --insecure for a local development server',
    )
  }
  result.jwks_uri = url.href
  const response = await fetch(url, { signal: AbortSignal.timeout(timeout * 1000), redirect: 'error' })
  if (response.status !== 200) {
    result.verified = false
    result.reason = `the JWKS request answered HTTP ${response.status}`
    return result
  }
  const jwks = (await response.json()) as JSONWebKeySet
  try {
    await compactVerify(token, createLocalJWKSet(jwks))
    result.verified = true
  } catch (err) {
    result.verified = false
    result.reason = (err as Error).message
  }
  return result
}
