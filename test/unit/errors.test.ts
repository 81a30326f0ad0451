import { describe, expect, it } from 'vitest'
import {
  AuthorizationResponseError,
  ClientError,
  ResponseBodyError,
  WWWAuthenticateChallengeError,
  isClientError,
  isResponseBodyError,
  isWWWAuthenticateChallengeError,
} from '../../src/index.js'
import {
  OperationProcessingError,
  UnsupportedOperationError,
  ope,
  toPublicError,
} from '../../src/internal/errors.js'
import { argError } from '../../src/internal/assert.js'

describe('toPublicError passes these through unchanged (contract §2.8)', () => {
  const response = new Response('{}', { status: 400 })
  const passThrough: Array<[string, Error]> = [
    ['an argument TypeError', argError('"x" must be a string')],
    ['a network TypeError', new TypeError('fetch failed')],
    ['a ClientError', new ClientError('x', { code: 'OAUTH_ABORT' })],
    ['a ResponseBodyError', new ResponseBodyError('m', { cause: { error: 'invalid_grant' }, response })],
    ['a WWWAuthenticateChallengeError', new WWWAuthenticateChallengeError('m', { cause: [], response })],
    [
      'an AuthorizationResponseError',
      new AuthorizationResponseError('m', { cause: new URLSearchParams('error=x') }),
    ],
  ]
  for (const [name, err] of passThrough) {
    it(name, () => {
      expect(toPublicError(err)).toBe(err)
    })
  }
})

describe('toPublicError maps processing errors to ClientError with the same code (contract §2.8)', () => {
  const table: Array<[string, string]> = [
    ['OAUTH_HTTP_REQUEST_FORBIDDEN', 'only requests to HTTPS are allowed'],
    ['OAUTH_REQUEST_PROTOCOL_FORBIDDEN', 'only requests to HTTP or HTTPS are allowed'],
    ['OAUTH_PARSE_ERROR', 'parsing error occured'],
    ['OAUTH_INVALID_RESPONSE', 'invalid response encountered'],
    ['OAUTH_JWT_CLAIM_COMPARISON_FAILED', 'unexpected JWT claim value encountered'],
    ['OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED', 'unexpected JSON attribute value encountered'],
    ['OAUTH_JWT_TIMESTAMP_CHECK_FAILED', 'JWT timestamp claim value failed validation'],
  ]
  for (const [code, message] of table) {
    it(`${code} → "${message}", cause the internal error`, () => {
      const internal = ope('internal detail', code, { some: 'cause' })
      const mapped = toPublicError(internal)
      expect(mapped).toBeInstanceOf(ClientError)
      expect(mapped.message).toBe(message)
      expect((mapped as ClientError).code).toBe(code)
      expect(mapped.cause).toBe(internal)
    })
  }

  for (const [code, message] of [
    ['OAUTH_RESPONSE_IS_NOT_CONFORM', 'unexpected HTTP response status code'],
    ['OAUTH_RESPONSE_IS_NOT_JSON', 'unexpected response content-type'],
  ] as const) {
    it(`${code} → "${message}", cause the Response`, () => {
      const response = new Response('x', { status: 502 })
      const mapped = toPublicError(ope('internal detail', code, response))
      expect(mapped).toBeInstanceOf(ClientError)
      expect(mapped.message).toBe(message)
      expect((mapped as ClientError).code).toBe(code)
      expect(mapped.cause).toBe(response)
    })
  }

  for (const code of [
    'OAUTH_KEY_SELECTION_FAILED',
    'OAUTH_MISSING_SERVER_METADATA',
    'OAUTH_INVALID_SERVER_METADATA',
    'OAUTH_JWT_USERINFO_EXPECTED',
    'OAUTH_DECRYPTION_FAILED',
  ]) {
    it(`${code} keeps its own message`, () => {
      const internal = ope('its own message', code)
      const mapped = toPublicError(internal)
      expect(mapped).toBeInstanceOf(ClientError)
      expect(mapped.message).toBe('its own message')
      expect((mapped as ClientError).code).toBe(code)
      expect(mapped.cause).toBe(internal)
    })
  }

  it('a processing error without a code keeps its message and has code undefined', () => {
    const internal = new OperationProcessingError('invalid Retry-After header value')
    const mapped = toPublicError(internal)
    expect(mapped).toBeInstanceOf(ClientError)
    expect(mapped.message).toBe('invalid Retry-After header value')
    expect((mapped as ClientError).code).toBeUndefined()
    expect(mapped.cause).toBe(internal)
  })
})

describe('toPublicError maps the rest (contract §2.8)', () => {
  it('UnsupportedOperationError → "unsupported operation", OAUTH_UNSUPPORTED_OPERATION', () => {
    const internal = new UnsupportedOperationError('unsupported `token_type` value')
    const mapped = toPublicError(internal) as ClientError
    expect(mapped).toBeInstanceOf(ClientError)
    expect(mapped.message).toBe('unsupported operation')
    expect(mapped.code).toBe('OAUTH_UNSUPPORTED_OPERATION')
    expect(mapped.cause).toBe(internal)
  })

  const domExceptions: Array<[string, string, string]> = [
    ['OperationError', 'runtime operation error', 'OAUTH_UNSUPPORTED_OPERATION'],
    ['NotSupportedError', 'runtime unsupported operation', 'OAUTH_UNSUPPORTED_OPERATION'],
    ['TimeoutError', 'operation timed out', 'OAUTH_TIMEOUT'],
    ['AbortError', 'operation aborted', 'OAUTH_ABORT'],
  ]
  for (const [name, message, code] of domExceptions) {
    it(`DOMException ${name} → "${message}", ${code}`, () => {
      const internal = new DOMException('x', name)
      const mapped = toPublicError(internal) as ClientError
      expect(mapped).toBeInstanceOf(ClientError)
      expect(mapped.message).toBe(message)
      expect(mapped.code).toBe(code)
      expect(mapped.cause).toBe(internal)
    })
  }

  it('the reason of AbortSignal.timeout() is OAUTH_TIMEOUT', async () => {
    const signal = AbortSignal.timeout(1)
    await new Promise((resolve) => signal.addEventListener('abort', resolve))
    expect((toPublicError(signal.reason) as ClientError).code).toBe('OAUTH_TIMEOUT')
  })

  it('anything else → "something went wrong", code undefined, cause the original', () => {
    for (const original of [
      new Error('boom'),
      new RangeError('r'),
      new DOMException('x', 'DataCloneError'),
      'text',
      42,
      null,
    ]) {
      const mapped = toPublicError(original) as ClientError
      expect(mapped).toBeInstanceOf(ClientError)
      expect(mapped.message).toBe('something went wrong')
      expect(mapped.code).toBeUndefined()
      expect('code' in mapped).toBe(false)
    }
    const original = new Error('boom')
    expect(toPublicError(original).cause).toBe(original)
  })
})

describe('the public error classes', () => {
  const response = new Response('{}', { status: 401 })

  it('ClientError has name, code and cause', () => {
    const err = new ClientError('m', { code: 'OAUTH_TIMEOUT', cause: 'c' })
    expect(err).toBeInstanceOf(Error)
    expect(err.name).toBe('ClientError')
    expect(err.code).toBe('OAUTH_TIMEOUT')
    expect(err.cause).toBe('c')
    expect(String(err)).toBe('ClientError: m')
  })

  it('ResponseBodyError carries error, error_description, status, the body as cause and a hidden response', () => {
    const body = { error: 'invalid_grant', error_description: 'd', error_uri: 'https://e' }
    const err = new ResponseBodyError('server responded with an error in the response body', {
      cause: body,
      response,
    })
    expect(err.name).toBe('ResponseBodyError')
    expect(err.code).toBe('OAUTH_RESPONSE_BODY_ERROR')
    expect(err.error).toBe('invalid_grant')
    expect(err.error_description).toBe('d')
    expect(err.status).toBe(401)
    expect(err.cause).toBe(body)
    expect(err.response).toBe(response)
    expect(Object.keys(err)).not.toContain('response')
    expect(JSON.parse(JSON.stringify(err))).not.toHaveProperty('response')
  })

  it('ResponseBodyError without a string error_description leaves it out', () => {
    const err = new ResponseBodyError('m', { cause: { error: 'x', error_description: 5 }, response })
    expect(err.error_description).toBeUndefined()
  })

  it('WWWAuthenticateChallengeError carries the challenges, the status and a hidden response', () => {
    const challenges = [{ scheme: 'bearer' as const, parameters: { error: 'invalid_token' } }]
    const err = new WWWAuthenticateChallengeError('m', { cause: challenges, response })
    expect(err.name).toBe('WWWAuthenticateChallengeError')
    expect(err.code).toBe('OAUTH_WWW_AUTHENTICATE_CHALLENGE')
    expect(err.cause).toBe(challenges)
    expect(err.status).toBe(401)
    expect(Object.keys(err)).not.toContain('response')
  })

  it('AuthorizationResponseError reads error and error_description from the parameters', () => {
    const err = new AuthorizationResponseError('m', {
      cause: new URLSearchParams('error=access_denied&error_description=no'),
    })
    expect(err.code).toBe('OAUTH_AUTHORIZATION_RESPONSE_ERROR')
    expect(err.error).toBe('access_denied')
    expect(err.error_description).toBe('no')
  })

  it('the type guards recognise their classes and look-alikes from another copy', () => {
    const clientError = new ClientError('m')
    const lookAlike = Object.assign(new Error('m'), { name: 'ClientError' })
    expect(isClientError(clientError)).toBe(true)
    expect(isClientError(lookAlike)).toBe(true)
    expect(isClientError(new Error('m'))).toBe(false)
    const rbe = new ResponseBodyError('m', { cause: { error: 'x' }, response })
    expect(isResponseBodyError(rbe)).toBe(true)
    expect(isResponseBodyError(clientError)).toBe(false)
    const www = new WWWAuthenticateChallengeError('m', { cause: [], response })
    expect(isWWWAuthenticateChallengeError(www)).toBe(true)
    expect(isWWWAuthenticateChallengeError(rbe)).toBe(false)
  })
})
