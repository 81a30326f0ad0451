import { handOverBody } from '../http/body.js'

const EMPTY = new Uint8Array(0)

/**
 * A WHATWG `Response` whose body the transport has already read in full. Building a `Response` around a byte
 * body costs a web stream (~15 µs); this one is made with a null body and keeps the bytes beside it: the
 * pipeline takes them through `handOverBody` (src/http/body.ts) without a stream, while anyone else reading the
 * body (`text()`, `json()`, `body`, `clone()`, e.g. on `err.response`) gets a real stream made on first use.
 */
export class BufferedResponse extends Response {
  /** The body; null for a response without one (HEAD, 204, 205, 304). */
  readonly #bytes: Uint8Array | null
  readonly #url: string
  #used = false
  /** A full Response over the same bytes, made the first time someone reads the body other than the pipeline. */
  #full: Response | undefined

  constructor(bytes: Uint8Array | null, status: number, statusText: string, url: string) {
    super(null, { status, statusText })
    this.#bytes = bytes
    this.#url = url
    handOverBody(this, take)
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
    const copy = new BufferedResponse(this.#bytes, this.status, this.statusText, this.#url)
    this.headers.forEach((value, name) => {
      if (name !== 'set-cookie') copy.headers.append(name, value)
    })
    for (const cookie of this.headers.getSetCookie()) copy.headers.append('set-cookie', cookie)
    return copy
  }

  /** The bytes, once; the body counts as used afterwards. */
  static take(response: BufferedResponse): Uint8Array {
    if (response.#bytes === null) return EMPTY
    if (response.bodyUsed) throw new TypeError('Body is unusable: Body has already been read')
    response.#used = true
    return response.#bytes
  }

  #materialize(): Response {
    if (this.#full === undefined) {
      this.#full = new Response(this.#bytes as Uint8Array<ArrayBuffer> | null, {
        status: this.status,
        statusText: this.statusText,
      })
      // Read by the pipeline already: the full body is a used one too.
      if (this.#used) this.#full.arrayBuffer().catch(() => {})
    }
    return this.#full
  }
}

function take(response: Response): Uint8Array {
  return BufferedResponse.take(response as BufferedResponse)
}
