import { MAX_BODY_BYTES, MAX_JSON_DEPTH } from '../src/http/body.js'
import { isValidNonce } from '../src/dpop/nonce-cache.js'
import type { Outcome } from './differential.js'
import { bodyBytes, isStream, type Damage, type ResponseSpec } from './generators.js'

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

/** The text a body spec puts on the wire, damage applied, as a reader decodes it (invalid UTF-8 as U+FFFD, no BOM). */
function servedText(body: { text: string; damage?: Damage }): string {
  const served = bodyBytes(body.text, body.damage)
  // through the bytes, as a reader gets them: TextDecoder also drops a leading BOM, as both libraries' readers do
  return decoder.decode(typeof served === 'string' ? encoder.encode(served) : served)
}
const decoder = new TextDecoder()
const encoder = new TextEncoder()

/** The JSON documents of the case's text bodies as served (damage applied), where they parse. */
function documentsIn(c: unknown): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = []
  for (const spec of specsIn(c)) {
    if (!('text' in spec.body)) continue
    try {
      const value = JSON.parse(servedText(spec.body)) as unknown
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

/** How deep a JSON text nests (brackets outside strings), without parsing it: a 100 000-deep text is fine. */
export function nestingOf(text: string): number {
  let depth = 0
  let max = 0
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i)
    if (ch === 0x22 /* " */) {
      // skip the string, escapes included
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++
    } else if (ch === 0x5b /* [ */ || ch === 0x7b /* { */) {
      if (++depth > max) max = depth
    } else if (ch === 0x5d /* ] */ || ch === 0x7d /* } */) depth--
  }
  return max
}

/** Every object in the case (to a small depth) that has all of `keys`: JWT specs, edits. */
function objectsWith(value: unknown, keys: string[], into: Array<Record<string, unknown>> = [], depth = 0) {
  if (typeof value !== 'object' || value === null || depth > 5) return into
  const record = value as Record<string, unknown>
  if (keys.every((key) => key in record)) into.push(record)
  for (const member of Object.values(record)) objectsWith(member, keys, into, depth + 1)
  return into
}

/** A JSON body the client reads on `status`, or a signed JWT's claims, nested deeper than D33 allows. */
function tooDeep(c: unknown, statusMatches: (status: number) => boolean, jwtToo: boolean): boolean {
  return (
    specsIn(c).some(
      (s) =>
        statusMatches(s.status) &&
        'text' in s.body &&
        s.body.text.length > 2 * MAX_JSON_DEPTH &&
        nestingOf(servedText(s.body)) > MAX_JSON_DEPTH,
    ) ||
    (jwtToo &&
      objectsWith(c, ['header', 'claims', 'edits', 'signature']).some((jwt) => {
        const nesting = (jwt['edits'] as { nesting?: number }).nesting
        // the `deep` member sits in the claims object: one level more
        return nesting !== undefined && nesting + 1 > MAX_JSON_DEPTH
      }))
  )
}

/** JWK members only a private or symmetric key has (src/id-token/jwks.ts). */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv']

/** The JWKS documents of the case: text bodies whose JSON has a `keys` array. */
function jwkSetsIn(c: unknown): unknown[][] {
  return documentsIn(c)
    .map((d) => d['keys'])
    .filter((keys): keys is unknown[] => Array.isArray(keys))
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
    decision: 'D32',
    name: 'a metadata issuer that is not a URL is an issuer mismatch (OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED); openid-client throws the TypeError of new URL',
    explains: (target, c, ours, theirs) =>
      ['discovery', 'dynamic registration'].includes(target) &&
      isError(ours, 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED') &&
      isError(theirs, 'ERR_INVALID_URL') &&
      documentsIn(c).some((d) => typeof d['issuer'] === 'string' && !URL.canParse(d['issuer'])),
  },
  {
    decision: 'D33',
    name: 'a JSON document nested deeper than MAX_JSON_DEPTH is refused (OAUTH_INVALID_RESPONSE; on an error status the status error remains); openid-client reads it, or overflows its stack',
    explains: (_t, c, ours) =>
      (isError(ours, 'OAUTH_INVALID_RESPONSE') && tooDeep(c, (status) => status < 400, true)) ||
      (isError(ours, 'OAUTH_RESPONSE_IS_NOT_CONFORM') && tooDeep(c, (status) => status >= 400, false)),
  },
  {
    decision: 'D34',
    name: 'a JWS signature segment that is not base64url fails verification (OAUTH_INVALID_RESPONSE); openid-client throws the TypeError of its base64url decoder',
    explains: (_t, c, ours, theirs) =>
      isError(ours, 'OAUTH_INVALID_RESPONSE') &&
      isError(theirs, 'ERR_INVALID_ARG_VALUE') &&
      theirs.name === 'TypeError' &&
      objectsWith(c, ['header', 'claims', 'edits', 'signature']).some(
        (jwt) => jwt['signature'] === 'garbage',
      ),
  },
  {
    decision: 'D35',
    name: 'a JWK with private members is no candidate (OAUTH_KEY_SELECTION_FAILED), one WebCrypto refuses is OAUTH_INVALID_RESPONSE; openid-client fails with "something went wrong"',
    explains: (_t, c, ours, theirs) =>
      isError(theirs) &&
      theirs.name === 'ClientError' &&
      theirs.code === undefined &&
      ((isError(ours, 'OAUTH_KEY_SELECTION_FAILED') &&
        jwkSetsIn(c).some((keys) =>
          keys.some(
            (key) =>
              typeof key === 'object' &&
              key !== null &&
              PRIVATE_JWK_MEMBERS.some((name) => (key as Record<string, unknown>)[name] !== undefined),
          ),
        )) ||
        (isError(ours, 'OAUTH_INVALID_RESPONSE') && jwkSetsIn(c).length !== 0)),
  },
  {
    decision: 'D37',
    name: 'a JWT introspection body stream that fails is OAUTH_PARSE_ERROR, as on the JSON path; openid-client fails with "something went wrong"',
    explains: (_t, c, ours, theirs) =>
      isError(ours, 'OAUTH_PARSE_ERROR') &&
      isError(theirs) &&
      theirs.name === 'ClientError' &&
      theirs.code === undefined &&
      specsIn(c).some(
        (s) =>
          isStream(s.body) &&
          s.body.stream === 'failing' &&
          s.headers['content-type']?.split(';')[0]?.trim().toLowerCase() ===
            'application/token-introspection+jwt',
      ),
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
