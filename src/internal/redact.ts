import type { ClientAuth, ClientMetadata } from '../types.js'

/**
 * Redaction of what a server sent back before it goes into an error's `cause` (DECISIONS D27): a logger that
 * serialises causes must not record a freshly issued token or the client's own secret.
 *
 * - Members whose name says they are secret are replaced by `[redacted: N characters]` (the length is kept, so
 *   that "empty" or "absurdly long" still shows), at any depth.
 * - The client's secret values (the `client_secret` of its metadata and any secret handed to
 *   `ClientSecretBasic/Post/Jwt`) are replaced wherever they appear, whole or inside a longer string.
 *
 * Redaction copies: the object a successful caller receives is never changed.
 */

/** Members of token, registration, device and CIBA responses that grant access by themselves. */
const SECRET_MEMBERS: ReadonlySet<string> = new Set([
  'access_token',
  'refresh_token',
  'id_token',
  'client_secret',
  'registration_access_token',
  'device_code',
  'auth_req_id',
])

export function placeholder(value: string): string {
  return `[redacted: ${value.length} characters]`
}

/** The secrets a client authentication function was made with; a WeakMap, so nothing enumerable holds them. */
const authSecrets = new WeakMap<object, readonly string[]>()

/** Called by the secret-based client authentication factories. */
export function registerAuthSecret<T extends ClientAuth>(auth: T, secret: string | undefined): T {
  if (secret !== undefined && secret.length !== 0) authSecrets.set(auth, [secret])
  return auth
}

/** The secret values of a client: its metadata's `client_secret` and those of its authentication function. */
export function clientSecrets(
  client: Partial<Pick<ClientMetadata, 'client_secret'>> | undefined,
  auth: ClientAuth | undefined,
): readonly string[] {
  const secrets: string[] = []
  const fromMetadata = client?.client_secret
  if (typeof fromMetadata === 'string' && fromMetadata.length !== 0) secrets.push(fromMetadata)
  for (const secret of (auth && authSecrets.get(auth)) ?? []) {
    if (!secrets.includes(secret)) secrets.push(secret)
  }
  return secrets
}

/** Responses of authenticated requests, with the secrets their client could see echoed back. */
const responseSecrets = new WeakMap<Response, readonly string[]>()
/** Bodies parsed from those responses, with the same secrets. */
const bodySecrets = new WeakMap<object, readonly string[]>()

export function registerResponseSecrets(response: Response, secrets: readonly string[]): void {
  if (secrets.length !== 0) responseSecrets.set(response, secrets)
}

export function secretsOfResponse(response: Response): readonly string[] {
  return responseSecrets.get(response) ?? []
}

/** Remembers that `body` was parsed from `response`, so that a cause holding it is redacted with its secrets. */
export function registerBody(body: object, response: Response): void {
  const secrets = responseSecrets.get(response)
  if (secrets !== undefined) bodySecrets.set(body, secrets)
}

/** The forms a secret takes on the wire or in a server's echo of it. */
function formsOf(secrets: readonly string[]): string[] {
  const forms = new Set<string>()
  for (const secret of secrets) {
    forms.add(secret)
    try {
      forms.add(encodeURIComponent(secret))
    } catch {
      // a lone surrogate cannot be URI-encoded, nor sent that way
    }
  }
  // Longest first, so that a secret that contains another is replaced whole.
  return [...forms].sort((a, b) => b.length - a.length)
}

function redactString(value: string, forms: readonly string[]): string {
  let out = value
  for (const form of forms) {
    if (out.includes(form)) out = out.split(form).join(placeholder(form))
  }
  return out
}

function isPlain(value: object): boolean {
  if (Array.isArray(value)) return true
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

function isContainer(value: unknown): value is object {
  return typeof value === 'object' && value !== null && isPlain(value)
}

/**
 * Every secret registered for an object reachable from `root` through plain objects and arrays. Iterative: a
 * hostile body may nest deeper than the call stack allows.
 */
function collectSecrets(root: object, into: Set<string>): void {
  const seen = new Set<object>([root])
  const stack: object[] = [root]
  for (let value = stack.pop(); value !== undefined; value = stack.pop()) {
    for (const secret of bodySecrets.get(value) ?? []) into.add(secret)
    for (const member of Object.values(value)) {
      if (isContainer(member) && !seen.has(member)) {
        seen.add(member)
        stack.push(member)
      }
    }
  }
}

/** Redacted copy of a plain object or array, iteratively; members are defined, so `__proto__` stays data. */
function copy(root: object, forms: readonly string[]): object {
  const copies = new Map<object, object>()
  const stack: object[] = []
  const copyOf = (value: object): object => {
    let out = copies.get(value)
    if (out === undefined) {
      out = Array.isArray(value) ? [] : {}
      copies.set(value, out)
      stack.push(value)
    }
    return out
  }
  const result = copyOf(root)
  for (let value = stack.pop(); value !== undefined; value = stack.pop()) {
    const out = copies.get(value)!
    for (const [name, member] of Object.entries(value)) {
      let redacted: unknown
      if (typeof member === 'string') {
        redacted =
          SECRET_MEMBERS.has(name) && !Array.isArray(value)
            ? placeholder(member)
            : redactString(member, forms)
      } else {
        redacted = isContainer(member) ? copyOf(member) : member
      }
      Object.defineProperty(out, name, {
        value: redacted,
        enumerable: true,
        writable: true,
        configurable: true,
      })
    }
  }
  return result
}

/**
 * A copy of `cause` with secret members and the client's secrets replaced. Only plain objects and arrays are
 * copied; anything else (a Response, an Error, a CryptoKey) is kept as it is.
 */
export function redactCause<T>(cause: T, extraSecrets: readonly string[] = []): T {
  if (typeof cause === 'string') return redactString(cause, formsOf(extraSecrets)) as T
  if (typeof cause !== 'object' || cause === null || !isPlain(cause)) return cause
  const secrets = new Set(extraSecrets)
  collectSecrets(cause, secrets)
  return copy(cause, formsOf([...secrets])) as T
}
