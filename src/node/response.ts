import { takeBody, type PrereadResponse } from '../http/body.js'

const EMPTY = new Uint8Array(0)

/**
 * A WHATWG `Response` whose body the transport has already read in full. Building a `Response` around a byte
 * body costs a web stream (~15 µs); this one is made with a null body and keeps the bytes beside it: the
 * pipeline takes them through its `[takeBody]()` method (src/http/body.ts) without a stream, while anyone else reading the
 * body (`text()`, `json()`, `body`, `clone()`, e.g. on `err.response`) gets a real stream made on first use.
 */
export class BufferedResponse extends Response implements PrereadResponse {
  /** The body; null for a response without one (HEAD, 204, 205, 304). */
  readonly #bytes: Uint8Array | null
  readonly #url: string
  /** `IncomingMessage.rawHeaders`, until someone reads `headers` (a successful token request never does). */
  #raw: string[] | undefined
  #used = false
  /** A full Response over the same bytes, made the first time someone reads the body other than the pipeline. */
  #full: Response | undefined

  constructor(
    bytes: Uint8Array | null,
    status: number,
    statusText: string,
    url: string,
    rawHeaders: string[] | undefined,
  ) {
    super(null, { status, statusText })
    this.#bytes = bytes
    this.#url = url
    this.#raw = rawHeaders
  }

  override get headers(): Headers {
    const headers = super.headers
    const raw = this.#raw
    if (raw !== undefined) {
      this.#raw = undefined
      for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!)
    }
    return headers
  }

  override get url(): string {
    return this.#url
  }

  override get type(): ResponseType {
    return 'basic'
  }

  override get body(): Response['body'] {
    return this.#bytes === null ? null : this.#materialize().body
  }

  override get bodyUsed(): boolean {
    return this.#used || (this.#full?.bodyUsed ?? false)
  }

  override arrayBuffer(): Promise<ArrayBuffer> {
    return this.#materialize().arrayBuffer()
  }

  override blob(): Promise<Blob> {
    return this.#materialize().blob()
  }

  override formData(): Promise<FormData> {
    return this.#materialize().formData()
  }

  override json(): Promise<any> {
    return this.#materialize().json()
  }

  override text(): Promise<string> {
    return this.#materialize().text()
  }

  /** Newer runtimes' `Response.prototype.bytes()` (Node.js 22+). */
  override bytes(): ReturnType<Response['bytes']> {
    const full = this.#materialize() as Partial<Pick<Response, 'bytes'>> & Response
    return typeof full.bytes === 'function'
      ? full.bytes()
      : full.arrayBuffer().then((buffer) => new Uint8Array(buffer))
  }

  override clone(): Response {
    if (this.bodyUsed) throw new TypeError('Response.clone: Body has already been consumed.')
    if (this.#raw !== undefined) {
      return new BufferedResponse(this.#bytes, this.status, this.statusText, this.#url, this.#raw)
    }
    const copy = new BufferedResponse(this.#bytes, this.status, this.statusText, this.#url, undefined)
    this.headers.forEach((value, name) => {
      if (name !== 'set-cookie') copy.headers.append(name, value)
    })
    for (const cookie of this.headers.getSetCookie()) copy.headers.append('set-cookie', cookie)
    return copy
  }

  /** The bytes, for the pipeline (src/http/body.ts readText), once; the body counts as used afterwards. */
  [takeBody](): Uint8Array {
    if (this.#bytes === null) return EMPTY
    if (this.bodyUsed) throw new TypeError('Body is unusable: Body has already been read')
    this.#used = true
    return this.#bytes
  }

  #materialize(): Response {
    if (this.#full === undefined) {
      // With the headers, so that blob() and formData() see the content-type.
      this.#full = new Response(this.#bytes as Uint8Array<ArrayBuffer> | null, {
        status: this.status,
        statusText: this.statusText,
        headers: this.headers,
      })
      // Read by the pipeline already: the full body is a used one too.
      if (this.#used) this.#full.arrayBuffer().catch(() => {})
    }
    return this.#full
  }
}
