/** Caller mistakes are plain TypeErrors with a Node.js-style code, kept apart from protocol errors. */
export type ArgErrorCode = 'ERR_INVALID_ARG_TYPE' | 'ERR_INVALID_ARG_VALUE'

export function argError(message: string, code: ArgErrorCode = 'ERR_INVALID_ARG_TYPE', cause?: unknown) {
  const err = new TypeError(message, cause === undefined ? undefined : { cause }) as TypeError & {
    code: ArgErrorCode
  }
  err.code = code
  return err
}

export function assertString(
  value: unknown,
  name: string,
  code: ArgErrorCode = 'ERR_INVALID_ARG_TYPE',
): asserts value is string {
  if (typeof value !== 'string') throw argError(`${name} must be a string`, code)
  if (value.length === 0) throw argError(`${name} must not be empty`, 'ERR_INVALID_ARG_VALUE')
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
