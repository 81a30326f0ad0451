/** One challenge of a `WWW-Authenticate` header (RFC 9110 §11.6.1). Scheme and parameter names are lower case. */
export interface WWWAuthenticateChallenge {
  readonly scheme: Lowercase<string>
  readonly parameters: WWWAuthenticateChallengeParameters
  readonly token68?: string
}

export interface WWWAuthenticateChallengeParameters {
  readonly realm?: string
  readonly error?: string
  readonly error_description?: string
  readonly error_uri?: string
  readonly algs?: string
  readonly scope?: string
  readonly resource_metadata?: string
  readonly [parameter: Lowercase<string>]: string | undefined
}

const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*/
const isWs = (c: string | undefined) => c === ' ' || c === '\t'

class Unparseable extends Error {}

/**
 * Parses a `WWW-Authenticate` header value into its challenges. Returns `undefined` when the header is absent
 * or does not follow the grammar; callers then fall back to the body and status, as if there were no header.
 */
export function parseWWWAuthenticate(
  header: string | null | undefined,
): WWWAuthenticateChallenge[] | undefined {
  if (!header) return undefined
  try {
    const challenges = new Parser(header).challenges()
    return challenges.length ? challenges : undefined
  } catch (err) {
    if (err instanceof Unparseable) return undefined
    throw err
  }
}

class Parser {
  private pos = 0
  constructor(private readonly input: string) {}

  challenges(): WWWAuthenticateChallenge[] {
    const out: WWWAuthenticateChallenge[] = []
    this.skipSeparators()
    while (!this.atEnd()) {
      out.push(this.challenge())
      this.skipSeparators()
    }
    return out
  }

  private challenge(): WWWAuthenticateChallenge {
    const scheme = this.token().toLowerCase() as Lowercase<string>
    const parameters: Record<string, string> = {}
    const next = this.peek()
    // A scheme ends at white space, a comma (the next challenge) or the end of the header.
    if (next === undefined || next === ',') return { scheme, parameters }
    if (!isWs(next)) throw new Unparseable()
    this.skipWs()
    const token68 = this.token68()
    if (token68 !== undefined) return { scheme, parameters, token68 }
    this.authParams(parameters)
    return { scheme, parameters }
  }

  /** A token68 stands alone after the scheme; only a new challenge may follow it. */
  private token68(): string | undefined {
    const match = TOKEN68.exec(this.input.slice(this.pos))
    if (!match) return undefined
    let end = this.pos + match[0].length
    while (isWs(this.input[end])) end++
    if (end !== this.input.length && this.input[end] !== ',') return undefined
    this.pos = end
    if (this.peek() === ',') {
      this.skipSeparators()
      if (this.atEnd()) return match[0]
      const start = this.pos
      this.token()
      const after = this.peek()
      if (after !== undefined && after !== ',' && !isWs(after)) throw new Unparseable()
      if (isWs(after)) {
        this.skipWs()
        if (this.peek() === '=') throw new Unparseable()
      }
      this.pos = start
    }
    return match[0]
  }

  private authParams(parameters: Record<string, string>) {
    for (;;) {
      this.skipSeparators()
      if (this.atEnd()) return
      const start = this.pos
      const name = this.token()
      this.skipWs()
      if (this.peek() !== '=') {
        // Not a parameter: the next challenge's scheme begins here.
        this.pos = start
        return
      }
      this.pos++
      this.skipWs()
      const value = this.peek() === '"' ? this.quotedString() : this.token()
      Object.defineProperty(parameters, name.toLowerCase(), {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      })
      this.skipWs()
      if (!this.atEnd() && this.peek() !== ',') throw new Unparseable()
    }
  }

  private quotedString(): string {
    let i = this.pos + 1
    while (i < this.input.length && this.input[i] !== '"') i += this.input[i] === '\\' ? 2 : 1
    if (i >= this.input.length) throw new Unparseable()
    const raw = this.input.slice(this.pos + 1, i)
    this.pos = i + 1
    try {
      return JSON.parse(`"${raw}"`) as string
    } catch {
      return raw.replace(/\\(.)/g, '$1') // RFC 9110 §5.6.4 quoted-pair
    }
  }

  private token(): string {
    const start = this.pos
    while (this.pos < this.input.length && TCHAR.test(this.input[this.pos]!)) this.pos++
    if (this.pos === start) throw new Unparseable()
    return this.input.slice(start, this.pos)
  }

  private skipWs() {
    while (isWs(this.peek())) this.pos++
  }

  private skipSeparators() {
    while (isWs(this.peek()) || this.peek() === ',') this.pos++
  }

  private peek(): string | undefined {
    return this.input[this.pos]
  }

  private atEnd() {
    return this.pos >= this.input.length
  }
}
