import { argError } from './assert.js'

/**
 * RFC 6749 Appendix A.12: a token is `1*VSCHAR` (%x20-7E). Leading and trailing spaces are refused as well, since
 * a header value is trimmed (RFC 9110 §5.5) and the server would see another token.
 */
const VSCHAR_TOKEN = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/

/** Whether `value` can be sent, unchanged, as a token in an `Authorization` header. */
export function isHeaderSafeToken(value: string): boolean {
  return VSCHAR_TOKEN.test(value)
}

/**
 * Checks a caller-given token before it becomes part of a header (DECISIONS D26). `Headers.set` would refuse a
 * control character too, but its TypeError quotes the whole value, token included; this one names the argument
 * and never the value.
 */
export function checkHeaderValue(value: string, name: string): void {
  if (!isHeaderSafeToken(value)) {
    throw argError(
      `${name} must consist of visible ASCII characters (RFC 6749 Appendix A.12 VSCHAR) to be sent in a header`,
      'ERR_INVALID_ARG_VALUE',
    )
  }
}

/**
 * Copies caller-given request headers. `new Headers()` quotes an invalid value in its error message, and a
 * caller's header may hold a credential: the error here names the argument only.
 */
export function copyHeaders(init: HeadersInit | undefined, name: string): Headers {
  try {
    return new Headers(init)
  } catch {
    throw argError(`${name} must contain only valid header names and values`, 'ERR_INVALID_ARG_VALUE')
  }
}
