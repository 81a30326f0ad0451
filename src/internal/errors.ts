import {
  AuthorizationResponseError,
  ClientError,
  ResponseBodyError,
  WWWAuthenticateChallengeError,
} from '../errors.js'
import { redactCause } from './redact.js'

/**
 * A protocol processing failure raised inside the pipeline. It never reaches callers as is:
 * {@link toPublicError} turns it into a {@link ClientError} with the same `code`. Its cause is a redacted copy
 * (DECISIONS D27): tokens and the client's secrets a response carried never ride along.
 */
export class OperationProcessingError extends Error {
  code: string | undefined
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: redactCause(options.cause) })
    this.name = 'OperationProcessingError'
    this.code = options?.code
  }
}

/** An operation the library (or this configuration) does not support. */
export class UnsupportedOperationError extends Error {
  /** As oauth4webapi's class: the public ClientError's cause carries the code too. */
  code: string
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: redactCause(options.cause) })
    this.name = 'UnsupportedOperationError'
    this.code = 'OAUTH_UNSUPPORTED_OPERATION'
  }
}

export const ope = (message: string, code: string, cause?: unknown) =>
  new OperationProcessingError(message, cause === undefined ? { code } : { code, cause })

const MESSAGES: Record<string, string> = {
  OAUTH_HTTP_REQUEST_FORBIDDEN: 'only requests to HTTPS are allowed',
  OAUTH_REQUEST_PROTOCOL_FORBIDDEN: 'only requests to HTTP or HTTPS are allowed',
  OAUTH_RESPONSE_IS_NOT_CONFORM: 'unexpected HTTP response status code',
  OAUTH_RESPONSE_IS_NOT_JSON: 'unexpected response content-type',
  OAUTH_PARSE_ERROR: 'parsing error occured',
  OAUTH_INVALID_RESPONSE: 'invalid response encountered',
  OAUTH_JWT_CLAIM_COMPARISON_FAILED: 'unexpected JWT claim value encountered',
  OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED: 'unexpected JSON attribute value encountered',
  OAUTH_JWT_TIMESTAMP_CHECK_FAILED: 'JWT timestamp claim value failed validation',
}

/** These two codes carry the offending Response as the public error's cause (contract §2.8). */
const CAUSE_IS_RESPONSE = new Set(['OAUTH_RESPONSE_IS_NOT_CONFORM', 'OAUTH_RESPONSE_IS_NOT_JSON'])

/**
 * Maps anything thrown inside the pipeline to what callers see (contract §2.8): argument and network
 * TypeErrors and the public error classes pass through; everything else becomes a ClientError with a code.
 */
export function toPublicError(err: unknown): Error {
  if (
    err instanceof TypeError ||
    err instanceof ClientError ||
    err instanceof ResponseBodyError ||
    err instanceof WWWAuthenticateChallengeError ||
    err instanceof AuthorizationResponseError
  ) {
    return err
  }
  if (err instanceof OperationProcessingError) {
    const message = (err.code && MESSAGES[err.code]) || err.message
    const cause = err.code && CAUSE_IS_RESPONSE.has(err.code) && err.cause !== undefined ? err.cause : err
    return new ClientError(message, { cause, code: err.code })
  }
  if (err instanceof UnsupportedOperationError) {
    return new ClientError('unsupported operation', { cause: err, code: 'OAUTH_UNSUPPORTED_OPERATION' })
  }
  if (isDOMException(err)) {
    switch (err.name) {
      case 'OperationError':
        return new ClientError('runtime operation error', { cause: err, code: 'OAUTH_UNSUPPORTED_OPERATION' })
      case 'NotSupportedError':
        return new ClientError('runtime unsupported operation', {
          cause: err,
          code: 'OAUTH_UNSUPPORTED_OPERATION',
        })
      case 'TimeoutError':
        return new ClientError('operation timed out', { cause: err, code: 'OAUTH_TIMEOUT' })
      case 'AbortError':
        return new ClientError('operation aborted', { cause: err, code: 'OAUTH_ABORT' })
    }
  }
  return new ClientError('something went wrong', { cause: err })
}

function isDOMException(err: unknown): err is DOMException {
  return (
    (typeof DOMException !== 'undefined' && err instanceof DOMException) ||
    (err instanceof Error &&
      ['OperationError', 'NotSupportedError', 'TimeoutError', 'AbortError'].includes(err.name))
  )
}
