// Exit codes of the grantline command line, and how a failure is sorted into one of them. Scripts branch on
// these; README "Command line" and `grantline --help` document them.

import {
  ClientError,
  ResponseBodyError,
  WWWAuthenticateChallengeError,
  AuthorizationResponseError,
} from '../node/index.js'

export const EXIT = Object.freeze({
  /** The command did what it was asked. */
  OK: 0,
  /** Anything else (a bug, an unexpected failure). */
  OTHER: 1,
  /** The command line (or a profile, a key file, a secret source) is wrong; nothing was sent, or it could not be. */
  USAGE: 2,
  /** The server answered with an OAuth error (`error`, `error_description`): ResponseBodyError and friends. */
  OAUTH: 3,
  /** The server could not be reached, or did not answer in time. */
  NETWORK: 4,
  /** The server answered, but the answer fails grantline's checks (not JSON, bad fields, bad signature...). */
  INVALID_RESPONSE: 5,
})

/** A mistake on the command line, found before any request. */
export class UsageError extends Error {
  readonly hint: string | undefined
  constructor(message: string, hint?: string) {
    super(message)
    this.name = 'UsageError'
    this.hint = hint
  }
}

/** ClientError codes that mean "the server's answer is not acceptable". */
const INVALID_RESPONSE_CODES = new Set([
  'OAUTH_RESPONSE_IS_NOT_CONFORM',
  'OAUTH_RESPONSE_IS_NOT_JSON',
  'OAUTH_PARSE_ERROR',
  'OAUTH_INVALID_RESPONSE',
  'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
  'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED',
  'OAUTH_JWT_TIMESTAMP_CHECK_FAILED',
  'OAUTH_KEY_SELECTION_FAILED',
  'OAUTH_INVALID_SERVER_METADATA',
  'OAUTH_JWT_USERINFO_EXPECTED',
  'OAUTH_DECRYPTION_FAILED',
])

/** Caller-side ClientError codes: the command line asked for something the configuration cannot do. */
const USAGE_CODES = new Set([
  'OAUTH_HTTP_REQUEST_FORBIDDEN',
  'OAUTH_REQUEST_PROTOCOL_FORBIDDEN',
  'OAUTH_MISSING_SERVER_METADATA',
  'ERR_INVALID_ARG_TYPE',
  'ERR_INVALID_ARG_VALUE',
])

/** The exit code for a failure. */
export function exitCodeOf(err: unknown): number {
  if (err instanceof UsageError) return EXIT.USAGE
  if (
    err instanceof ResponseBodyError ||
    err instanceof AuthorizationResponseError ||
    err instanceof WWWAuthenticateChallengeError
  ) {
    return EXIT.OAUTH
  }
  if (isNetworkError(err)) return EXIT.NETWORK
  const code = (err as { code?: unknown } | null)?.code
  if (err instanceof ClientError && typeof code === 'string') {
    if (INVALID_RESPONSE_CODES.has(code)) return EXIT.INVALID_RESPONSE
    if (USAGE_CODES.has(code)) return EXIT.USAGE
  }
  if (err instanceof TypeError && typeof code === 'string' && USAGE_CODES.has(code)) return EXIT.USAGE
  return EXIT.OTHER
}

/** `fetch failed` (connection refused, reset, TLS, DNS) or a deadline. */
export function isNetworkError(err: unknown): boolean {
  if (err instanceof ClientError && (err.code === 'OAUTH_TIMEOUT' || err.code === 'OAUTH_ABORT')) return true
  return err instanceof TypeError && err.message === 'fetch failed'
}
