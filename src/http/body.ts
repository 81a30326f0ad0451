import { OperationProcessingError, ope } from '../internal/errors.js'
import { raceAbort, signalFor } from './send.js'
import { argError } from '../internal/assert.js'
import { registerBody } from '../internal/redact.js'

/** Response bodies larger than this are refused before parsing: no token response comes near it. */
export const MAX_BODY_BYTES = 1024 * 1024

/**
 * The method by which a Response whose body a runtime transport has already read in full (grantline/node's
 * BufferedResponse) hands the bytes to {@link readText}, instead of a stream: it returns them once and marks the
 * body used. A method on the class's prototype rather than a WeakMap entry per Response: nothing to register per
 * request. The symbol is private to grantline.
 */
export const takeBody: unique symbol = Symbol('takeBody')

/** A Response with an already-read body. */
export interface PrereadResponse extends Response {
  [takeBody](): Uint8Array
}

/**
 * Reads a response body as text, refusing more than {@link MAX_BODY_BYTES} and giving up when the request's
 * deadline passes (a server that trickles its body cannot hold the caller).
 */
export async function readText(
  response: Response,
  signal: AbortSignal | undefined = signalFor(response),
): Promise<string> {
  if (response.bodyUsed) throw argError('"response" body has been used already', 'ERR_INVALID_ARG_VALUE')
  if (takeBody in response) return prereadText(response as PrereadResponse)
  const stream = response.body
  if (stream === null) return ''
  const reader = stream.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  try {
    for (;;) {
      const read = reader.read()
      const { done, value } = await (signal ? raceAbort(read, signal) : read)
      if (done) break
      size += value.byteLength
      if (size > MAX_BODY_BYTES) {
        throw ope(`"response" body is larger than ${MAX_BODY_BYTES} bytes`, 'OAUTH_INVALID_RESPONSE')
      }
      chunks.push(value)
    }
  } catch (err) {
    reader.cancel().catch(() => {})
    throw err
  } finally {
    try {
      reader.releaseLock()
    } catch {
      // a read may still be pending after an abort; the stream is cancelled either way
    }
  }
  return decoder.decode(concat(chunks, size))
}

const decoder = new TextDecoder()

/** The text of an already-read body, synchronously (the caller has checked `bodyUsed`). */
function prereadText(response: PrereadResponse): string {
  const bytes = response[takeBody]()
  if (bytes.byteLength > MAX_BODY_BYTES) {
    throw ope(`"response" body is larger than ${MAX_BODY_BYTES} bytes`, 'OAUTH_INVALID_RESPONSE')
  }
  return decoder.decode(bytes)
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!
  const out = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  return out
}

/** Parses JSON text; `null` marks a body that is not JSON at all. */
export function parseJson(text: string): { value: unknown } | null {
  const value = parseOrFail(text)
  return value === NOT_JSON ? null : { value }
}

/** What {@link parseOrFail} returns for text that is not JSON; no JSON value is this object. */
const NOT_JSON: unique symbol = Symbol('not JSON')

function parseOrFail(text: string): unknown {
  let value: unknown
  try {
    value = JSON.parse(text) as unknown
  } catch {
    return NOT_JSON
  }
  checkNesting(value, text)
  return value
}

/**
 * How deep a JSON document from a server may nest (DECISIONS D33). No OAuth or OIDC response comes near it; a
 * deeper one would overflow the stack of whoever walks it later (structuredClone, JSON.stringify of an error).
 */
export const MAX_JSON_DEPTH = 100

/**
 * Refuses a parsed document nested deeper than {@link MAX_JSON_DEPTH} with `OAUTH_INVALID_RESPONSE`, as an
 * oversized body is (D9). Text shorter than `2 * MAX_JSON_DEPTH + 2` cannot be that deep and is not walked; the
 * walk visits each container once and stops at the limit, so its recursion is bounded.
 */
export function checkNesting(value: unknown, text: string): void {
  if (text.length < 2 * MAX_JSON_DEPTH + 2 || typeof value !== 'object' || value === null) return
  if (deeperThan(value as object, MAX_JSON_DEPTH)) {
    throw ope(`"response" body is nested deeper than ${MAX_JSON_DEPTH} levels`, 'OAUTH_INVALID_RESPONSE')
  }
}

/** Whether a container holds containers more than `levels` deep (itself counting as one level). */
function deeperThan(container: object, levels: number): boolean {
  if (levels === 0) return true
  if (Array.isArray(container)) {
    for (const member of container) {
      if (typeof member === 'object' && member !== null && deeperThan(member as object, levels - 1))
        return true
    }
    return false
  }
  const record = container as Record<string, unknown>
  for (const name in record) {
    const member = record[name]
    if (typeof member === 'object' && member !== null && deeperThan(member, levels - 1)) return true
  }
  return false
}

/** Media type of a response, lower-cased, without parameters (RFC 9110 §8.3.1). */
export function mediaType(response: Response): string | undefined {
  const header = response.headers.get('content-type')
  return header?.split(';')[0]?.trim().toLowerCase()
}

/** `application/json` or any `application/*+json` (DECISIONS D2). */
export function isJsonMediaType(type: string | undefined): boolean {
  return type === 'application/json' || (type !== undefined && /^application\/[^/]+\+json$/.test(type))
}

/**
 * Reads a successful response as a JSON object (contract §2.4 step 3): the content-type is consulted only when
 * the body does not parse, so a JSON body with a wrong content-type is accepted as openid-client does.
 */
export async function readJsonObject(response: Response): Promise<Record<string, unknown>> {
  if (response.bodyUsed) throw argError('"response" body has been used already', 'ERR_INVALID_ARG_VALUE')
  let value: unknown
  let cause: unknown
  try {
    // A body a runtime transport has read already is taken without awaiting: one promise fewer.
    value = parseOrFail(
      takeBody in response ? prereadText(response as PrereadResponse) : await readText(response),
    )
  } catch (err) {
    // A connection that dies mid-body is a body that cannot be parsed; size and deadline errors keep their own.
    if (err instanceof OperationProcessingError || isAbort(err)) throw err
    value = NOT_JSON
    cause = err
  }
  if (value === NOT_JSON) {
    if (!isJsonMediaType(mediaType(response))) {
      throw ope('"response" content-type must be application/json', 'OAUTH_RESPONSE_IS_NOT_JSON', response)
    }
    throw ope('failed to parse "response" body as JSON', 'OAUTH_PARSE_ERROR', cause)
  }
  // An error that carries this body (or part of it) as its cause redacts the client's secrets in it (D27).
  if (typeof value === 'object' && value !== null) registerBody(value, response)
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw ope('"response" body must be a top level object', 'OAUTH_INVALID_RESPONSE', { body: value })
  }
  return value as Record<string, unknown>
}

function isAbort(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError')
}
