// A failure as stderr shows it: what happened (the OAuth error, its description and the HTTP status), and a
// one-line hint for the common causes.

import {
  ClientError,
  ResponseBodyError,
  WWWAuthenticateChallengeError,
  AuthorizationResponseError,
} from '../node/index.js'
import { EXIT, UsageError } from './exit-codes.js'

const OAUTH_HINTS: Record<string, string> = {
  invalid_client:
    'the server did not accept the client credentials: check the secret (--client-secret-file, GRANTLINE_CLIENT_SECRET), the key, and --auth (the method the client is registered with)',
  unauthorized_client: 'this client is not allowed this grant type (check its registration)',
  unsupported_grant_type:
    'the server does not know this grant type, or does not enable it: check the spelling or the URI',
  invalid_grant:
    'the grant (code, refresh token, assertion, device code) is invalid, expired, used, or for another client',
  invalid_scope: 'a requested scope is unknown or not allowed for this client',
  invalid_target: 'a --resource or --audience is not accepted by the server',
  invalid_dpop_proof: 'the server refused the DPoP proof (check --dpop-key and the clock)',
  use_dpop_nonce:
    'the server asks for a DPoP nonce; grantline retries once, so the server may be rotating nonces too fast',
  access_denied: 'the user or the server denied the request',
  expired_token: 'the device code expired before the user approved; start again',
  invalid_token: 'the access token is invalid, expired, or not accepted here',
}

/** Lines for stderr, each prefixed; nothing secret is in them (the library's errors carry none). */
export function describeError(err: unknown, code: number): string[] {
  const lines: string[] = []
  const hint = (text: string | undefined) => {
    if (text) lines.push(`hint: ${text}`)
  }
  if (err instanceof UsageError) {
    lines.push(`grantline: ${err.message}`)
    hint(err.hint)
    return lines
  }
  if (err instanceof ResponseBodyError) {
    lines.push(
      `grantline: OAuth error from the server: ${err.error}${err.error_description ? `: ${err.error_description}` : ''} (HTTP ${err.status})`,
    )
    hint(OAUTH_HINTS[err.error])
    return lines
  }
  if (err instanceof WWWAuthenticateChallengeError) {
    const challenge = err.cause[0]
    const error = challenge?.parameters.error
    const description = challenge?.parameters.error_description
    lines.push(
      `grantline: the server refused with a ${challenge?.scheme ?? ''} challenge${error ? `: ${error}` : ''}${description ? `: ${description}` : ''} (HTTP ${err.response.status})`,
    )
    hint(error ? OAUTH_HINTS[error] : 'the access token was not accepted')
    return lines
  }
  if (err instanceof AuthorizationResponseError) {
    lines.push(
      `grantline: authorization error: ${err.error}${err.error_description ? `: ${err.error_description}` : ''}`,
    )
    hint(OAUTH_HINTS[err.error])
    return lines
  }
  if (code === EXIT.NETWORK) {
    if (err instanceof ClientError) {
      lines.push(`grantline: ${err.message} (${err.code})`)
      hint(
        err.code === 'OAUTH_TIMEOUT'
          ? 'the server did not answer in time; raise --timeout, or check the URL'
          : undefined,
      )
      return lines
    }
    const cause = (err as Error).cause as { code?: string; message?: string } | undefined
    lines.push(
      `grantline: network error: ${cause?.code ?? ''}${cause?.message ? ` ${cause.message}` : ''}`.trimEnd(),
    )
    if (cause?.code === 'ECONNREFUSED')
      hint('nothing listens at that address: check --issuer / the endpoint URL')
    else if (typeof cause?.code === 'string' && /CERT|SELF_SIGNED|TLS|SSL/.test(cause.code)) {
      hint(
        'the server certificate is not trusted: --ca <pem> (with --cert/--key) or NODE_EXTRA_CA_CERTS=<pem>',
      )
    } else if (cause?.code === 'ENOTFOUND') hint('the host name does not resolve')
    return lines
  }
  if (err instanceof ClientError || err instanceof TypeError) {
    const errCode = (err as { code?: string }).code
    lines.push(`grantline: ${err.message}${errCode ? ` (${errCode})` : ''}`)
    if (errCode === 'OAUTH_HTTP_REQUEST_FORBIDDEN')
      hint('the URL is http://; add --insecure for a local development server')
    else if (errCode === 'OAUTH_MISSING_SERVER_METADATA')
      hint('the server metadata lacks this endpoint; give it explicitly (e.g. --introspection-endpoint)')
    else if (errCode === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED')
      hint('the issuer in the metadata differs from --issuer (a trailing slash?)')
    else if (code === EXIT.INVALID_RESPONSE)
      hint('the server answered, but not as OAuth requires; --verbose shows the response')
    return lines
  }
  lines.push(`grantline: ${(err as Error)?.message ?? String(err)}`)
  return lines
}
