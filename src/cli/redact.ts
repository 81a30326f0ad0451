// What `--verbose` may show of a value that is a credential: a short prefix and the length, never the value.

/** Form parameters and JSON members whose values are credentials. */
const SENSITIVE_NAMES = new Set([
  'client_secret',
  'client_assertion',
  'assertion',
  'subject_token',
  'actor_token',
  'refresh_token',
  'access_token',
  'id_token',
  'token',
  'code',
  'code_verifier',
  'device_code',
  'auth_req_id',
  'password',
  'registration_access_token',
  'logout_token',
  'request',
  'response',
])

/** A credential as `--verbose` shows it: `eyJh…[812 chars]`. Values of 16 characters or fewer show no prefix. */
export function redact(value: string): string {
  const prefix = value.length > 16 ? value.slice(0, 4) : ''
  return `${prefix}…[${value.length} chars]`
}

export function isSensitiveName(name: string): boolean {
  return SENSITIVE_NAMES.has(name.toLowerCase())
}

/** A request header for the trace: credentials keep their scheme, the rest is redacted. */
export function redactHeader(name: string, value: string): string {
  const lower = name.toLowerCase()
  if (lower === 'authorization' || lower === 'proxy-authorization') {
    const space = value.indexOf(' ')
    return space > 0 ? `${value.slice(0, space)} ${redact(value.slice(space + 1))}` : redact(value)
  }
  if (lower === 'dpop' || lower === 'cookie' || lower === 'set-cookie') return redact(value)
  return value
}

/** A form body for the trace, credentials redacted, in the order it was sent. */
export function redactForm(body: URLSearchParams): string {
  const parts: string[] = []
  for (const [name, value] of body) {
    parts.push(`${name}=${isSensitiveName(name) ? redact(value) : encodeURIComponent(value)}`)
  }
  return parts.join('&')
}

/** A JSON value with credential members (at any depth) redacted. */
export function redactJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactJson)
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [name, member] of Object.entries(value)) {
      out[name] = typeof member === 'string' && isSensitiveName(name) ? redact(member) : redactJson(member)
    }
    return out
  }
  return value
}

/** A response body for the trace: JSON with credentials redacted; a JWT or anything else not JSON, redacted whole. */
export function redactBody(text: string, contentType: string | null): string {
  if (text.length === 0) return ''
  const type = (contentType ?? '').toLowerCase()
  if (type.includes('json')) {
    try {
      return JSON.stringify(redactJson(JSON.parse(text)))
    } catch {
      return redact(text)
    }
  }
  if (type.startsWith('text/html') || type.startsWith('text/plain')) {
    return text.length > 200 ? `${text.slice(0, 200)}…[${text.length} chars]` : text
  }
  return redact(text)
}

/** Replaces every occurrence of the given secrets in a text (the last line of defence for stderr). */
export function scrub(text: string, secrets: Iterable<string>): string {
  let out = text
  for (const secret of secrets) {
    if (secret.length >= 8) out = out.split(secret).join(redact(secret))
  }
  return out
}
