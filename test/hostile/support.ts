import { expect } from 'vitest'
import { CLIENT_ID, CLIENT_SECRET } from '../support/scripted-server.js'

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

/** A JWT whose signature is junk: token-endpoint ID Tokens are not signature-checked (contract §2.5 step 11). */
export function craftJwt(header: Record<string, unknown>, payload: Record<string, unknown>): string {
  return `${b64url(header)}.${b64url(payload)}.${Buffer.from('not-a-signature').toString('base64url')}`
}

/** Claims that pass every check for `issuer` and {@link CLIENT_ID}, overridable one by one. */
export function goodClaims(issuer: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000)
  return { iss: issuer, sub: 'user-1', aud: CLIENT_ID, iat: now, exp: now + 300, ...overrides }
}

const SECRET_FORMS = [
  CLIENT_SECRET,
  encodeURIComponent(CLIENT_SECRET),
  Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64'),
  Buffer.from(`${formEncode(CLIENT_ID)}:${formEncode(CLIENT_SECRET)}`).toString('base64'),
]

function formEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[-_.!~*'()]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  )
}

function textsOf(value: unknown): string[] {
  const texts: string[] = []
  if (value instanceof Error) texts.push(value.message, String(value))
  try {
    texts.push(JSON.stringify(value) ?? '')
  } catch {
    // circular causes cannot be stringified, so they cannot leak that way either
  }
  return texts
}

/**
 * No form of the client secret may appear in an error's message, `String(err)` or `JSON.stringify(err)`, nor in
 * those of its causes (a logger that prints the chain would print them).
 */
export function expectNoSecret(err: unknown): void {
  let current: unknown = err
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth++) {
    for (const text of textsOf(current)) {
      for (const secret of SECRET_FORMS) expect(text).not.toContain(secret)
    }
    current = current instanceof Error ? current.cause : undefined
  }
}

export { rejection } from '../support/expect.js'
