import { ope } from '../internal/errors.js'

/**
 * Field checks for the JSON bodies of the non-token endpoints (device authorization, backchannel
 * authentication, introspection). Failures are `OAUTH_INVALID_RESPONSE` with the body as cause, worded like the
 * token response checks: `"response" body "<name>" property must be ...`.
 */
export class ResponseFields {
  constructor(readonly body: Record<string, unknown>) {}

  invalid(name: string, rule: string): Error {
    return ope(`"response" body "${name}" property ${rule}`, 'OAUTH_INVALID_RESPONSE', { body: this.body })
  }

  nonEmptyString(name: string, optional = false): void {
    const value = this.body[name]
    if (optional && value === undefined) return
    if (typeof value !== 'string') throw this.invalid(name, 'must be a string')
    if (value.length === 0) throw this.invalid(name, 'must not be empty')
  }

  string(name: string, optional = false): void {
    const value = this.body[name]
    if (optional && value === undefined) return
    if (typeof value !== 'string') throw this.invalid(name, 'must be a string')
  }

  boolean(name: string): void {
    if (typeof this.body[name] !== 'boolean') throw this.invalid(name, 'must be a boolean')
  }

  /** `expires_in`: read leniently with parseFloat like the token response, then written back as a number. */
  lifetime(name: string): void {
    const raw = this.body[name]
    const seconds = typeof raw === 'number' ? raw : parseFloat(raw as string)
    if (!Number.isFinite(seconds)) throw this.invalid(name, 'must be a number')
    if (seconds < 0) throw this.invalid(name, 'must be a non-negative number')
    this.body[name] = seconds
  }

  /** `interval` (RFC 8628 §3.2): a positive number of seconds when present; fractions are allowed. */
  positiveNumber(name: string): void {
    const value = this.body[name]
    if (value === undefined) return
    if (typeof value !== 'number' || !Number.isFinite(value)) throw this.invalid(name, 'must be a number')
    if (value <= 0) throw this.invalid(name, 'must be a positive number')
  }
}
