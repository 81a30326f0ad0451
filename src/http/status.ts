import { ResponseBodyError, WWWAuthenticateChallengeError } from '../errors.js'
import { ope } from '../internal/errors.js'
import { isJsonMediaType, mediaType, parseJson, readText } from './body.js'
import { isResponse, signalFor } from './send.js'
import { parseWWWAuthenticate } from './www-authenticate.js'
import { argError } from '../internal/assert.js'
import { redactCause, secretsOfResponse } from '../internal/redact.js'

/**
 * Checks a response's status before its body is processed (contract §2.4 step 2), turning what the server said
 * into the error the caller can act on: a challenge, an OAuth error body, or an unexpected status.
 */
export async function expectStatus(response: unknown, expected: number): Promise<Response> {
  if (!isResponse(response)) throw argError('"response" must be an instance of Response')
  if (response.status === expected) return response

  const challenges = parseWWWAuthenticate(response.headers.get('www-authenticate'))
  if (challenges) {
    throw new WWWAuthenticateChallengeError(
      'server responded with a challenge in the WWW-Authenticate HTTP Header',
      { cause: challenges, response },
    )
  }

  if (response.status >= 400 && response.status < 500) {
    if (response.bodyUsed) throw argError('"response" body has been used already', 'ERR_INVALID_ARG_VALUE')
    if (!isJsonMediaType(mediaType(response))) {
      release(response)
      throw ope('"response" content-type must be application/json', 'OAUTH_RESPONSE_IS_NOT_JSON', response)
    }
    const parsed = await readErrorBody(response)
    if (parsed && typeof parsed.error === 'string' && parsed.error.length !== 0) {
      release(response)
      // A copy without tokens and without the client's secret, should the server echo it (D27); `error` and
      // `error_description` are read from the copy, so they are redacted too.
      throw new ResponseBodyError('server responded with an error in the response body', {
        cause: redactCause(parsed, secretsOfResponse(response)) as ResponseBodyError['cause'],
        response,
      })
    }
  }

  release(response)
  throw ope(
    `"response" is not a conform response (unexpected HTTP status code ${response.status})`,
    'OAUTH_RESPONSE_IS_NOT_CONFORM',
    response,
  )
}

/**
 * Cancels a body the pipeline will not read, so that the connection is released now rather than at the deadline
 * or on garbage collection. The Response still shows status and headers (docs/decisions.md).
 */
export function release(response: Response): void {
  if (response.body !== null && !response.bodyUsed) response.body.cancel().catch(() => {})
}

/** Reads a clone, so that a body which is not an OAuth error stays readable for the caller. */
async function readErrorBody(response: Response): Promise<Record<string, unknown> | undefined> {
  try {
    const parsed = parseJson(await readText(response.clone(), signalFor(response)))
    const value = parsed?.value
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined
  } catch (err) {
    if (err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError')) throw err
    return undefined
  }
}
