/** One challenge of a `WWW-Authenticate` header (RFC 9110 §11.6.1). Scheme and parameter names are lower case. */
export interface WWWAuthenticateChallenge {
  /** The scheme, lower case: `bearer`, `dpop`, ... */
  readonly scheme: Lowercase<string>
  /** The challenge's parameters. */
  readonly parameters: WWWAuthenticateChallengeParameters
  /** The token68 form of the challenge, when it used one. */
  readonly token68?: string
}

/**
 * The parameters of a `WWW-Authenticate` challenge; names are lower case (RFC 6750 §3, RFC 9449 §7.1).
 */
export interface WWWAuthenticateChallengeParameters {
  /** The protection space. */
  readonly realm?: string
  /** The error code, e.g. `invalid_token`, `use_dpop_nonce`. */
  readonly error?: string
  /** A human-readable description of the error. */
  readonly error_description?: string
  /** A page about the error. */
  readonly error_uri?: string
  /** The JWS algorithms the server accepts for DPoP proofs, space-separated. */
  readonly algs?: string
  /** The scope the resource needs. */
  readonly scope?: string
  /** The URL of the resource's metadata (RFC 9728). */
  readonly resource_metadata?: string
  readonly [parameter: Lowercase<string>]: string | undefined
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/
// RFC 9110 §11.2 token68, with at most two "=" of padding as openid-client reads it.
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+={0,2}/
// Any JavaScript white space separates, as in openid-client (which reads the header with `\s`).
const isWs = (c: string | undefined) => c !== undefined && /\s/.test(c)
const isSeparator = (c: string | undefined) => c === ',' || isWs(c)

/**
 * Parses a `WWW-Authenticate` header value into its challenges (RFC 9110 §11.6.1). Returns `undefined` when the
 * header is absent or does not follow the grammar; callers then fall back to the body and status, as if there
 * were no header. The reading matches openid-client 6.8.9 (oauth4webapi 3.8.8) case by case, so that the same
 * header yields the same error and the same DPoP nonce retry decision.
 */
export function parseWWWAuthenticate(
  header: string | null | undefined,
): WWWAuthenticateChallenge[] | undefined {
  if (!header) return undefined
  const challenges = new Parser(header).challenges()
  return challenges?.length ? challenges : undefined
}

class Parser {
  private pos = 0
  constructor(private readonly input: string) {}

  /** `undefined` as soon as something does not parse: one bad challenge spoils the header. */
  challenges(): WWWAuthenticateChallenge[] | undefined {
    const out: WWWAuthenticateChallenge[] = []
    while (!this.atEnd()) {
      this.skip(isSeparator)
      const scheme = this.match(TOKEN)?.toLowerCase() as Lowercase<string> | undefined
      if (scheme === undefined) return undefined
      const next = this.peek()
      if (next !== undefined && !isSeparator(next)) return undefined
      // A comma (or the end) right after the scheme: a challenge without parameters.
      if (!isWs(next)) {
        out.push({ scheme, parameters: {} })
        continue
      }
      this.skip(isWs)
      const challenge = this.parameters(scheme)
      if (challenge === undefined) return undefined
      out.push(challenge)
    }
    return out
  }

  /**
   * Auth-params separated by commas or white space, or a single token68. A token68-shaped word after some
   * parameters is the next challenge's scheme.
   */
  private parameters(scheme: Lowercase<string>): WWWAuthenticateChallenge | undefined {
    const parameters: Record<string, string> = {}
    while (!this.atEnd()) {
      const start = this.pos
      const param = this.param()
      if (param !== undefined) {
        // A plain assignment would drop `__proto__`; say so instead of relying on it.
        if (param.name !== '__proto__') parameters[param.name] = param.value
        continue
      }
      this.pos = start
      const token68 = this.match(TOKEN68)
      if (token68 === undefined || !(this.atEnd() || isSeparator(this.peek()))) return undefined
      if (Object.keys(parameters).length !== 0) {
        this.pos = start
        break
      }
      if (!this.atEnd()) this.pos++
      return { scheme, parameters, token68 }
    }
    return { scheme, parameters }
  }

  /** `name = value` with optional separators before and after; `undefined` (position undefined) if absent. */
  private param(): { name: string; value: string } | undefined {
    this.skip(isSeparator)
    const name = this.match(TOKEN)
    if (name === undefined) return undefined
    this.skip(isWs)
    if (this.peek() !== '=') return undefined
    this.pos++
    this.skip(isWs)
    const value = this.peek() === '"' ? this.quotedString() : this.match(TOKEN)
    if (value === undefined) return undefined
    this.skip(isSeparator)
    return { name: name.toLowerCase(), value }
  }

  /** RFC 9110 §5.6.4: a backslash quotes the next character, whatever it is. */
  private quotedString(): string | undefined {
    let value = ''
    for (let i = this.pos + 1; i < this.input.length; i++) {
      const c = this.input[i]!
      if (c === '"') {
        this.pos = i + 1
        return value
      }
      if (c === '\\') {
        if (i + 1 >= this.input.length) return undefined
        i++
      }
      value += this.input[i]
    }
    return undefined
  }

  private match(re: RegExp): string | undefined {
    const found = re.exec(this.input.slice(this.pos))?.[0]
    if (found !== undefined) this.pos += found.length
    return found
  }

  private skip(predicate: (c: string | undefined) => boolean) {
    while (!this.atEnd() && predicate(this.peek())) this.pos++
  }

  private peek(): string | undefined {
    return this.input[this.pos]
  }

  private atEnd() {
    return this.pos >= this.input.length
  }
}
