// The HTTP layer's units (src/http): reading a body under the 1 MiB cap (exactly at it and one byte over, in one
// chunk or many), JSON media types, the top-level-object rule, the one network call site `send` (headers, abort,
// what counts as a Response) and the status check that turns a response into the caller's error.
import { getEventListeners } from 'node:events'
import { describe, expect, it } from 'vitest'
import { ResponseBodyError, WWWAuthenticateChallengeError } from '../../src/index.js'
import {
  MAX_BODY_BYTES,
  isJsonMediaType,
  mediaType,
  parseJson,
  readJsonObject,
  readText,
  takeBody,
} from '../../src/http/body.js'
import {
  isResponse,
  raceAbort,
  send,
  setDefaultTransport,
  signalFor,
  timeoutSignal,
} from '../../src/http/send.js'
import { expectStatus } from '../../src/http/status.js'
import type { CustomFetchOptions } from '../../src/index.js'
import { rejection, type Failure } from '../support/expect.js'

const encoder = new TextEncoder()

/** A Response whose body arrives in the given chunks; `cancelled` tells whether the reader gave up on it. */
function chunked(
  chunks: Uint8Array[],
  headers: Record<string, string> = { 'content-type': 'application/json' },
) {
  const state = { cancelled: false, pulled: 0 }
  let i = 0
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      state.pulled++
      if (i < chunks.length) controller.enqueue(chunks[i++]!)
      else controller.close()
    },
    cancel() {
      state.cancelled = true
    },
  })
  return { response: new Response(stream, { headers }), state, stream }
}

/** `{"a":"xxx…"}` of exactly `size` bytes. */
function jsonOfSize(size: number): string {
  const text = `{"a":"${'x'.repeat(size - 8)}"}`
  expect(encoder.encode(text).byteLength).toBe(size)
  return text
}

function expectProcessing(err: Failure, code: string, message: string) {
  expect(err.name).toBe('OperationProcessingError')
  expect(err.code).toBe(code)
  expect(err.message).toBe(message)
}

const TOO_LARGE = `"response" body is larger than ${MAX_BODY_BYTES} bytes`

describe('the 1 MiB body cap', () => {
  it('is 1048576 bytes', () => {
    expect(MAX_BODY_BYTES).toBe(1048576)
  })

  it('a body of exactly 1 MiB is read whole', async () => {
    const text = jsonOfSize(MAX_BODY_BYTES)
    expect(await readText(new Response(text))).toBe(text)
    expect((await readJsonObject(new Response(text)))['a']).toHaveLength(MAX_BODY_BYTES - 8)
  })

  it('one byte more is refused with OAUTH_INVALID_RESPONSE', async () => {
    const text = jsonOfSize(MAX_BODY_BYTES + 1)
    expectProcessing(await rejection(readText(new Response(text))), 'OAUTH_INVALID_RESPONSE', TOO_LARGE)
    expectProcessing(await rejection(readJsonObject(new Response(text))), 'OAUTH_INVALID_RESPONSE', TOO_LARGE)
  })

  it('counts across chunks: two halves of 1 MiB pass, a third chunk of one byte does not', async () => {
    const half = new Uint8Array(MAX_BODY_BYTES / 2).fill(0x61)
    const exact = chunked([half, half.slice()])
    const text = await readText(exact.response)
    expect(text).toHaveLength(MAX_BODY_BYTES)
    expect(text).toBe('a'.repeat(MAX_BODY_BYTES))
    expect(exact.state.cancelled).toBe(false)

    const over = chunked([half, half.slice(), new Uint8Array([0x62]), new Uint8Array(10)])
    expectProcessing(await rejection(readText(over.response)), 'OAUTH_INVALID_RESPONSE', TOO_LARGE)
    // Refused as soon as the cap is passed: the rest is not pulled, the stream is cancelled.
    expect(over.state.cancelled).toBe(true)
  })

  it('chunks are joined in order, byte for byte, a multi-byte character split across them included', async () => {
    const bytes = encoder.encode('{"name":"é€😀","n":1}')
    const cut = [0, 3, 11, 12, 14, bytes.byteLength]
    const parts = cut.slice(1).map((end, i) => bytes.slice(cut[i], end))
    const { response, stream } = chunked(parts)
    expect(await readJsonObject(response)).toEqual({ name: 'é€😀', n: 1 })
    // The reader is released once done.
    expect(stream.locked).toBe(false)
  })

  it('an empty and an absent body are the empty string', async () => {
    expect(await readText(new Response(''))).toBe('')
    expect(await readText(new Response(null))).toBe('')
  })

  it('a body that was used already is a TypeError', async () => {
    const response = new Response('{}')
    await response.text()
    for (const read of [readText, readJsonObject]) {
      const err = await rejection(read(response))
      expect(err).toBeInstanceOf(TypeError)
      expect(err.code).toBe('ERR_INVALID_ARG_VALUE')
      expect(err.message).toBe('"response" body has been used already')
    }
  })

  it('an abort while reading rejects with the reason, cancels the stream and releases the reader', async () => {
    const controller = new AbortController()
    const state = { cancelled: false }
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(encoder.encode('{"a":'))
      },
      cancel() {
        state.cancelled = true
      },
    })
    const reading = readText(new Response(stream), controller.signal)
    const reason = new DOMException('late', 'TimeoutError')
    setTimeout(() => controller.abort(reason), 5)
    expect(await rejection(reading)).toBe(reason)
    expect(state.cancelled).toBe(true)
    expect(stream.locked).toBe(false)
  })

  it('an already aborted signal rejects at once with its reason', async () => {
    const reason = new Error('gone')
    const err = await rejection(readText(new Response('{}'), AbortSignal.abort(reason)))
    expect(err).toBe(reason)
  })
})

describe('media types', () => {
  it('mediaType lower-cases, drops parameters and trims', () => {
    const of = (type: string | null) =>
      mediaType(new Response('', type === null ? {} : { headers: { 'content-type': type } }))
    expect(of('Application/JSON; charset=UTF-8')).toBe('application/json')
    expect(of(' application/jwt ;x=y')).toBe('application/jwt')
    expect(of('TEXT/HTML')).toBe('text/html')
    expect(of(null)).toBe('text/plain')
    expect(mediaType(new Response(null))).toBeUndefined()
  })

  it('application/json and application/*+json are JSON, nothing else', () => {
    for (const type of ['application/json', 'application/problem+json', 'application/jwk-set+json']) {
      expect(isJsonMediaType(type)).toBe(true)
    }
    for (const type of [
      undefined,
      '',
      'text/json',
      'application/jsonx',
      'application/+json',
      'application/a/b+json',
      'application/x+json; charset=utf-8',
      'xapplication/x+json',
      'application/x+jsonx',
      'application/x+json/',
    ]) {
      expect(isJsonMediaType(type)).toBe(false)
    }
  })

  it('parseJson marks text that is not JSON with null', () => {
    expect(parseJson('{"a":1}')).toEqual({ value: { a: 1 } })
    expect(parseJson('null')).toEqual({ value: null })
    expect(parseJson('{')).toBeNull()
    expect(parseJson('')).toBeNull()
  })
})

describe('readJsonObject', () => {
  const respond = (body: string, type?: string) =>
    new Response(body, type === undefined ? {} : { headers: { 'content-type': type } })

  it('a JSON object is accepted whatever the content-type says', async () => {
    expect(await readJsonObject(respond('{"a":1}', 'text/html'))).toEqual({ a: 1 })
    expect(await readJsonObject(respond('{"a":1}', 'application/json'))).toEqual({ a: 1 })
  })

  it('text that is not JSON: OAUTH_RESPONSE_IS_NOT_JSON unless the content-type is JSON, then OAUTH_PARSE_ERROR', async () => {
    const html = respond('<html>', 'text/html')
    const err = await rejection(readJsonObject(html))
    expectProcessing(err, 'OAUTH_RESPONSE_IS_NOT_JSON', '"response" content-type must be application/json')
    expect(err.cause).toBe(html)
    for (const type of ['application/json', 'Application/Problem+JSON; charset=utf-8']) {
      const parse = await rejection(readJsonObject(respond('{"a":', type)))
      expectProcessing(parse, 'OAUTH_PARSE_ERROR', 'failed to parse "response" body as JSON')
    }
  })

  it('a top level that is not an object is OAUTH_INVALID_RESPONSE', async () => {
    for (const body of ['[]', '[{"a":1}]', 'null', '42', '"text"', 'true']) {
      const err = await rejection(readJsonObject(respond(body, 'application/json')))
      expectProcessing(err, 'OAUTH_INVALID_RESPONSE', '"response" body must be a top level object')
      expect((err.cause as { body: unknown }).body).toEqual(JSON.parse(body))
    }
  })

  it('a stream that fails mid-body is a body that cannot be parsed', async () => {
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(encoder.encode('{"a":'))
        c.error(new TypeError('terminated'))
      },
    })
    const err = await rejection(
      readJsonObject(new Response(stream, { headers: { 'content-type': 'application/json' } })),
    )
    expectProcessing(err, 'OAUTH_PARSE_ERROR', 'failed to parse "response" body as JSON')
    expect((err.cause as Error).message).toBe('terminated')
    const other = new ReadableStream<Uint8Array>({
      start(c) {
        c.error(new TypeError('terminated'))
      },
    })
    const notJson = await rejection(
      readJsonObject(new Response(other, { headers: { 'content-type': 'text/plain' } })),
    )
    expect(notJson.code).toBe('OAUTH_RESPONSE_IS_NOT_JSON')
  })

  it('a deadline while reading keeps its own error (AbortError, TimeoutError)', async () => {
    for (const name of ['AbortError', 'TimeoutError']) {
      const reason = new DOMException('stop', name)
      const stream = new ReadableStream<Uint8Array>({
        start(c) {
          c.error(reason)
        },
      })
      expect(await rejection(readJsonObject(new Response(stream)))).toBe(reason)
    }
    const named = Object.assign(new Error('stop'), { name: 'TimeoutError' })
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.error(named)
      },
    })
    expect(await rejection(readJsonObject(new Response(stream)))).toBe(named)
  })
})

describe('send: the one network call site', () => {
  const url = new URL('https://as.example.test/token?x=1')

  function recorder(response: unknown = new Response('{}')) {
    const calls: Array<{ url: string; options: CustomFetchOptions }> = []
    const fetch = async (u: string, options: CustomFetchOptions) => {
      calls.push({ url: u, options })
      return response as Response
    }
    return { calls, fetch }
  }

  it('hands fetch the URL string, a plain header record, the method, the body and redirect: manual', async () => {
    const { calls, fetch } = recorder()
    const headers = new Headers({ Accept: 'application/json', 'X-Two': 'b' })
    const body = new URLSearchParams({ a: '1' })
    const signal = new AbortController().signal
    const response = await send({ fetch, signal }, { url, method: 'POST', headers, body })
    expect(calls).toHaveLength(1)
    expect(calls[0]!.url).toBe('https://as.example.test/token?x=1')
    expect(calls[0]!.options).toEqual({
      body,
      headers: { accept: 'application/json', 'x-two': 'b' },
      method: 'POST',
      redirect: 'manual',
      signal,
    })
    expect(signalFor(response)).toBe(signal)
  })

  it('without a signal: no signal option, and none attached to the response', async () => {
    const { calls, fetch } = recorder()
    const response = await send({ fetch }, { url, method: 'GET', headers: new Headers() })
    expect('signal' in calls[0]!.options).toBe(false)
    expect(calls[0]!.options.body).toBeUndefined()
    expect(signalFor(response)).toBeUndefined()
  })

  it('an aborted signal stops the request before fetch is called', async () => {
    const { calls, fetch } = recorder()
    const reason = new DOMException('late', 'TimeoutError')
    const err = await rejection(
      send({ fetch, signal: AbortSignal.abort(reason) }, { url, method: 'GET', headers: new Headers() }),
    )
    expect(err).toBe(reason)
    expect(calls).toHaveLength(0)
  })

  it('a fetch that ignores the signal is abandoned when it aborts', async () => {
    const controller = new AbortController()
    const never = () => new Promise<Response>(() => {})
    const pending = send(
      { fetch: never, signal: controller.signal },
      { url, method: 'GET', headers: new Headers() },
    )
    const reason = new Error('deadline')
    controller.abort(reason)
    expect(await rejection(pending)).toBe(reason)
  })

  it('what fetch returns must be a Response (or look like one from another realm)', async () => {
    for (const value of [null, {}, 'text', { status: 200 }]) {
      const err = await rejection(
        send({ fetch: recorder(value).fetch }, { url, method: 'GET', headers: new Headers() }),
      )
      expect(err).toBeInstanceOf(TypeError)
      expect(err.code).toBe('ERR_INVALID_ARG_TYPE')
      expect(err.message).toBe('"response" must be an instance of Response')
    }
    class ForeignResponse {
      get [Symbol.toStringTag]() {
        return 'Response'
      }
    }
    const foreign = new ForeignResponse()
    expect(
      await send({ fetch: recorder(foreign).fetch }, { url, method: 'GET', headers: new Headers() }),
    ).toBe(foreign)
  })

  it('isResponse', () => {
    expect(isResponse(new Response(''))).toBe(true)
    expect(isResponse(Object.create(null))).toBe(false)
    expect(isResponse({ [Symbol.toStringTag]: 'Response' })).toBe(false)
    expect(isResponse(Object.create({ [Symbol.toStringTag]: 'Request' }))).toBe(false)
    expect(isResponse(Object.create({ [Symbol.toStringTag]: 'Response' }))).toBe(true)
    expect(isResponse(null)).toBe(false)
    expect(isResponse('Response')).toBe(false)
  })
})

describe('send: deadline and runtime transport', () => {
  const url = new URL('https://as.example.test/token')
  const capture = () => {
    const signals: Array<AbortSignal | undefined> = []
    const fetch = async (_u: string, options: CustomFetchOptions) => {
      signals.push(options.signal)
      return new Response('{}')
    }
    return { signals, fetch }
  }

  it('a timeout alone becomes a signal; with a caller signal both bound the request', async () => {
    const { signals, fetch } = capture()
    await send({ fetch, timeout: 30 }, { url, method: 'GET', headers: new Headers() })
    expect(signals[0]).toBeInstanceOf(AbortSignal)
    expect(signals[0]!.aborted).toBe(false)

    const caller = new AbortController()
    await send({ fetch, signal: caller.signal }, { url, method: 'GET', headers: new Headers() })
    expect(signals[1]).toBe(caller.signal)

    await send({ fetch, signal: caller.signal, timeout: 30 }, { url, method: 'GET', headers: new Headers() })
    const combined = signals[2]!
    expect(combined).not.toBe(caller.signal)
    expect(combined.aborted).toBe(false)
    caller.abort(new Error('caller'))
    expect(combined.aborted).toBe(true)
    expect((combined.reason as Error).message).toBe('caller')

    for (const timeout of [0, Infinity, undefined]) {
      await send({ fetch, timeout }, { url, method: 'GET', headers: new Headers() })
      expect(signals.at(-1)).toBeUndefined()
    }
  })

  it('a runtime transport answers first; undefined from it leaves the request to fetch', async () => {
    const { signals, fetch } = capture()
    const seen: unknown[] = []
    const own = new Response('own')
    try {
      setDefaultTransport((request, transport) => {
        seen.push([request.url.href, transport.timeout])
        return request.method === 'POST' ? Promise.resolve(own) : undefined
      })
      const transport = { fetch, timeout: 5 }
      expect(await send(transport, { url, method: 'POST', headers: new Headers() })).toBe(own)
      expect(signals).toHaveLength(0)
      const viaFetch = await send(transport, { url, method: 'GET', headers: new Headers() })
      expect(await viaFetch.text()).toBe('{}')
      expect(signals).toHaveLength(1)
      expect(seen).toEqual([
        [url.href, 5],
        [url.href, 5],
      ])
      // An aborted caller signal stops the request before the runtime transport is asked.
      const err = await rejection(
        send({ fetch, signal: AbortSignal.abort('stop') }, { url, method: 'POST', headers: new Headers() }),
      )
      expect(err).toBe('stop')
      expect(seen).toHaveLength(2)
    } finally {
      setDefaultTransport(undefined)
    }
    await send({ fetch }, { url, method: 'POST', headers: new Headers() })
    expect(signals).toHaveLength(2)
  })
})

describe('bodies a runtime transport has read already', () => {
  /** What grantline/node's buffered Response carries: the `takeBody` method, which hands over the read bytes. */
  const handOverBody = (response: Response, take: (response: Response) => Uint8Array) =>
    Object.defineProperty(response, takeBody, { value: () => take(response) })

  it('are taken once from the transport, under the same cap', async () => {
    const taken: Response[] = []
    const exact = new Response(null)
    const text = jsonOfSize(MAX_BODY_BYTES)
    handOverBody(exact, (response) => {
      taken.push(response)
      return encoder.encode(text)
    })
    expect(await readText(exact)).toBe(text)
    expect(taken).toEqual([exact])

    const over = new Response(null)
    handOverBody(over, () => encoder.encode(jsonOfSize(MAX_BODY_BYTES + 1)))
    expectProcessing(await rejection(readText(over)), 'OAUTH_INVALID_RESPONSE', TOO_LARGE)

    const json = new Response(null, { headers: { 'content-type': 'text/plain' } })
    handOverBody(json, () => encoder.encode('{"a":"é"}'))
    expect(await readJsonObject(json)).toEqual({ a: 'é' })
  })
})

describe('raceAbort', () => {
  it('settles with the promise and leaves no listener behind on a long-lived signal', async () => {
    const controller = new AbortController()
    expect(await raceAbort(Promise.resolve(1), controller.signal)).toBe(1)
    const failure = new Error('no')
    expect(await rejection(raceAbort(Promise.reject(failure), controller.signal))).toBe(failure)
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
  })

  it('rejects with the reason when the signal aborts first, and swallows the late rejection', async () => {
    const controller = new AbortController()
    let reject!: (err: unknown) => void
    const slow = new Promise((_, r) => (reject = r))
    const racing = raceAbort(slow, controller.signal)
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1)
    controller.abort('stop')
    expect(await rejection(racing)).toBe('stop')
    reject(new Error('late'))
    await new Promise((resolve) => setTimeout(resolve, 1))
  })

  it('an already aborted signal rejects without waiting', async () => {
    expect(await rejection(raceAbort(new Promise(() => {}), AbortSignal.abort('gone')))).toBe('gone')
  })
})

describe('timeoutSignal', () => {
  it('none for 0, Infinity, NaN or undefined', () => {
    for (const seconds of [0, Infinity, -Infinity, NaN, undefined])
      expect(timeoutSignal(seconds)).toBeUndefined()
  })

  it('seconds, not milliseconds: 30 s is not over after 20 ms; 0.01 s is over with a TimeoutError', async () => {
    const long = timeoutSignal(30)!
    const short = timeoutSignal(0.01)!
    await new Promise((resolve) => setTimeout(resolve, 60))
    expect(long.aborted).toBe(false)
    expect(short.aborted).toBe(true)
    expect((short.reason as Error).name).toBe('TimeoutError')
  })
})

describe('expectStatus', () => {
  const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
    new Response(typeof body === 'string' ? body : JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json', ...headers },
    })

  it('the expected status returns the very response, body unread', async () => {
    const response = json(201, { a: 1 })
    expect(await expectStatus(response, 201)).toBe(response)
    expect(response.bodyUsed).toBe(false)
  })

  it('not a Response is a TypeError', async () => {
    const err = await rejection(expectStatus({ status: 200 }, 200))
    expect(err).toBeInstanceOf(TypeError)
    expect(err.message).toBe('"response" must be an instance of Response')
  })

  it('an OAuth error body on 400 and on 499 is a ResponseBodyError', async () => {
    for (const status of [400, 401, 499]) {
      const response = json(status, { error: 'invalid_grant', error_description: 'expired' })
      const err = await rejection(expectStatus(response, 200))
      expect(err).toBeInstanceOf(ResponseBodyError)
      expect(err.message).toBe('server responded with an error in the response body')
      expect(err['error']).toBe('invalid_grant')
      expect(err['error_description']).toBe('expired')
      expect(err['status']).toBe(status)
      expect(err['response']).toBe(response)
    }
  })

  it('the same body on 399, 500 or 200 (when 201 was expected) is OAUTH_RESPONSE_IS_NOT_CONFORM', async () => {
    for (const status of [200, 399, 500, 503]) {
      const response = json(status, { error: 'invalid_grant' })
      const err = await rejection(expectStatus(response, 201))
      expectProcessing(
        err,
        'OAUTH_RESPONSE_IS_NOT_CONFORM',
        `"response" is not a conform response (unexpected HTTP status code ${status})`,
      )
      expect(err.cause).toBe(response)
    }
  })

  it('a 4xx whose error is missing, empty or not a string is OAUTH_RESPONSE_IS_NOT_CONFORM', async () => {
    for (const body of [
      {},
      { error: '' },
      { error: 42 },
      { error: ['x'] },
      [{ error: 'x' }],
      '{"error":',
      'null',
    ]) {
      const err = await rejection(expectStatus(json(400, body), 200))
      expect(err.code).toBe('OAUTH_RESPONSE_IS_NOT_CONFORM')
    }
  })

  it('a 4xx that is not JSON is OAUTH_RESPONSE_IS_NOT_JSON, with the Response as cause', async () => {
    for (const headers of [{ 'content-type': 'text/html' }, {}] as Array<Record<string, string>>) {
      const response = new Response('{"error":"invalid_grant"}', { status: 400, headers })
      const err = await rejection(expectStatus(response, 200))
      expectProcessing(err, 'OAUTH_RESPONSE_IS_NOT_JSON', '"response" content-type must be application/json')
      expect(err.cause).toBe(response)
    }
    // A 5xx is not looked at for its content-type.
    const err = await rejection(expectStatus(new Response('x', { status: 500 }), 200))
    expect(err.code).toBe('OAUTH_RESPONSE_IS_NOT_CONFORM')
  })

  it('a 4xx whose body was used already is a TypeError', async () => {
    const response = json(400, { error: 'x' })
    await response.text()
    const err = await rejection(expectStatus(response, 200))
    expect(err).toBeInstanceOf(TypeError)
    expect(err.code).toBe('ERR_INVALID_ARG_VALUE')
  })

  it('a parseable WWW-Authenticate wins over the body, on any unexpected status', async () => {
    for (const status of [401, 403, 500]) {
      const response = json(
        status,
        { error: 'invalid_grant' },
        {
          'www-authenticate': 'DPoP error="use_dpop_nonce", Bearer realm="r"',
        },
      )
      const err = await rejection(expectStatus(response, 200))
      expect(err).toBeInstanceOf(WWWAuthenticateChallengeError)
      expect(err.message).toBe('server responded with a challenge in the WWW-Authenticate HTTP Header')
      expect(err.cause).toEqual([
        { scheme: 'dpop', parameters: { error: 'use_dpop_nonce' } },
        { scheme: 'bearer', parameters: { realm: 'r' } },
      ])
      expect(err['response']).toBe(response)
    }
  })

  it('an unparseable WWW-Authenticate falls through to the body', async () => {
    const response = json(400, { error: 'invalid_client' }, { 'www-authenticate': '"broken' })
    const err = await rejection(expectStatus(response, 200))
    expect(err).toBeInstanceOf(ResponseBodyError)
    expect(err['error']).toBe('invalid_client')
  })
})
