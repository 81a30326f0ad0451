import { MAX_BODY_BYTES } from '../src/http/body.js'
import { isValidNonce } from '../src/dpop/nonce-cache.js'
import type { Outcome } from './differential.js'
import { isStream, type ResponseSpec } from './generators.js'

// The differences docs/decisions.md explains, as named classifiers. A difference between grantline and
// openid-client is explained when one of these recognises both the case (what the server sent) and our outcome
// (what the decision says we do); anything else is printed and fails the run.

export interface Classifier {
  /** The decision that explains it, e.g. `D9`. */
  decision: string
  name: string
  explains(target: string, c: unknown, ours: Outcome, theirs: Outcome): boolean
}

/** Every response spec a case holds (a case may describe several answers: metadata, JWKS, token). */
export function specsIn(value: unknown, into: ResponseSpec[] = [], depth = 0): ResponseSpec[] {
  if (typeof value !== 'object' || value === null || depth > 4) return into
  const record = value as Record<string, unknown>
  if (
    typeof record['status'] === 'number' &&
    typeof record['headers'] === 'object' &&
    typeof record['body'] === 'object'
  ) {
    into.push(value as ResponseSpec)
    return into
  }
  for (const member of Object.values(record)) specsIn(member, into, depth + 1)
  return into
}

/** The JSON documents of the case's text bodies, where they parse. */
function documentsIn(c: unknown): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = []
  for (const spec of specsIn(c)) {
    if (!('text' in spec.body)) continue
    try {
      const value = JSON.parse(spec.body.text) as unknown
      if (typeof value === 'object' && value !== null) out.push(value as Record<string, unknown>)
    } catch {
      // not JSON: nothing to read
    }
  }
  return out
}

/** The content-types of every answer in the case (a JWT introspection case names its one directly). */
function contentTypesIn(c: unknown): Array<{ status: number | undefined; type: string | undefined }> {
  const out: Array<{ status: number | undefined; type: string | undefined }> = specsIn(c).map((s) => ({
    status: s.status,
    type: s.headers['content-type'],
  }))
  const direct = c as { contentType?: string; status?: number }
  if (typeof direct.contentType === 'string') out.push({ status: direct.status, type: direct.contentType })
  return out
}

const isError = (o: Outcome, code?: string): o is Extract<Outcome, { kind: 'error' }> =>
  o.kind === 'error' && (code === undefined || o.code === code)

/** A media type D2 accepts as JSON that openid-client does not (it wants exactly `application/json`). */
function isD2MediaType(header: string | undefined): boolean {
  if (header === undefined) return false
  if (header === 'application/json') return false
  const type = header.split(';')[0]?.trim().toLowerCase()
  return type === 'application/json' || (type !== undefined && /^application\/[^/]+\+json$/.test(type))
}

export const CLASSIFIERS: Classifier[] = [
  {
    decision: 'D9',
    name: 'a body over 1 MiB is refused (OAUTH_INVALID_RESPONSE; on an error status the status error remains); openid-client reads it',
    explains: (_t, c, ours) =>
      specsIn(c).some(
        (s) =>
          (isError(ours, 'OAUTH_INVALID_RESPONSE') ||
            (s.status >= 400 && isError(ours, 'OAUTH_RESPONSE_IS_NOT_CONFORM'))) &&
          'text' in s.body &&
          s.body.damage?.kind === 'oversize' &&
          s.body.damage.bytes > MAX_BODY_BYTES,
      ),
  },
  {
    decision: 'D10, D22',
    name: 'a body that never ends is cut off by our deadline (OAUTH_TIMEOUT); openid-client waits or reports a parse error',
    explains: (_t, c, ours) =>
      (isError(ours, 'OAUTH_TIMEOUT') || isError(ours, 'OAUTH_ABORT')) &&
      specsIn(c).some((s) => isStream(s.body) && s.body.stream === 'endless'),
  },
  {
    decision: 'D22',
    name: 'a body stream that fails with an abort or timeout stays OAUTH_ABORT / OAUTH_TIMEOUT; openid-client reports a parse error',
    explains: (_t, c, ours) =>
      (isError(ours, 'OAUTH_TIMEOUT') || isError(ours, 'OAUTH_ABORT')) &&
      specsIn(c).some(
        (s) =>
          isStream(s.body) &&
          s.body.error instanceof Error &&
          ['AbortError', 'TimeoutError'].includes(s.body.error.name),
      ),
  },
  {
    decision: 'D2',
    name: 'an error body with a JSON media type other than exactly application/json is still an OAuth error',
    explains: (_t, c, ours, theirs) =>
      ((isError(ours) && ours.name === 'ResponseBodyError') ||
        // read as JSON, the body held no OAuth error: a status error, where openid-client did not read it at all
        (isError(ours, 'OAUTH_RESPONSE_IS_NOT_CONFORM') && isError(theirs, 'OAUTH_RESPONSE_IS_NOT_JSON'))) &&
      contentTypesIn(c).some(
        ({ status, type }) => status !== undefined && status >= 400 && isD2MediaType(type),
      ),
  },
  {
    decision: 'D21',
    name: 'a body that does not parse under a D2 media type is OAUTH_PARSE_ERROR, not OAUTH_RESPONSE_IS_NOT_JSON',
    explains: (_t, c, ours, theirs) =>
      isError(ours, 'OAUTH_PARSE_ERROR') &&
      isError(theirs, 'OAUTH_RESPONSE_IS_NOT_JSON') &&
      contentTypesIn(c).some(({ type }) => isD2MediaType(type)),
  },
  {
    decision: 'D3',
    name: 'token_type "constructor" or "__proto__" is no recognised token type for token exchange',
    explains: (_t, c, ours) =>
      (c as { grant?: unknown }).grant === 'token_exchange' &&
      isError(ours, 'OAUTH_UNSUPPORTED_OPERATION') &&
      documentsIn(c).some((d) => {
        const type = d['token_type']
        return typeof type === 'string' && ['constructor', '__proto__'].includes(type.toLowerCase())
      }),
  },
  {
    decision: 'D13',
    name: 'an empty, over-long (over 1024) or control-bearing DPoP-Nonce value is not echoed',
    explains: (target, c) =>
      target.startsWith('DPoP-Nonce') && !isValidNonce((c as { nonce?: string }).nonce),
  },
  {
    decision: 'D26',
    name: 'an access_token that is not 1*VSCHAR (control characters, outer spaces, non-ASCII) is refused',
    explains: (_t, c, ours) =>
      isError(ours, 'OAUTH_INVALID_RESPONSE') &&
      [...documentsIn(c).map((d) => d['access_token']), (c as { accessToken?: unknown }).accessToken].some(
        (token) =>
          typeof token === 'string' &&
          token !== '' &&
          !/^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/.test(token),
      ),
  },
]

export function classify(target: string, c: unknown, ours: Outcome, theirs: Outcome): Classifier | undefined {
  return CLASSIFIERS.find((classifier) => classifier.explains(target, c, ours, theirs))
}
