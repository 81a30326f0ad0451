import { describe, expect, it } from 'vitest'
import {
  ClientSecretBasic,
  Configuration,
  clockSkew,
  clockTolerance,
  customFetch,
  genericGrantRequest,
} from '../../src/index.js'
import { DEFAULT_TIMEOUT, stateOf, transportOf } from '../../src/configuration.js'
import { timeoutSignal } from '../../src/http/send.js'
import type { CustomFetch, ServerMetadata } from '../../src/index.js'

const server: ServerMetadata = {
  issuer: 'https://as.example',
  token_endpoint: 'https://as.example/token',
  code_challenge_methods_supported: ['S256'],
}

function thrown(fn: () => unknown): TypeError & { code?: string } {
  try {
    fn()
  } catch (err) {
    return err as TypeError & { code?: string }
  }
  throw new Error('expected a throw')
}

/** The request a Configuration's client authentication would make, captured through its customFetch. */
async function wire(config: Configuration) {
  let seen: { body: URLSearchParams; headers: Record<string, string> } | undefined
  config[customFetch] = async (_url, options) => {
    seen = { body: options.body as URLSearchParams, headers: options.headers }
    return Response.json({ access_token: 'at', token_type: 'bearer' })
  }
  await genericGrantRequest(config, 'client_credentials', {})
  return seen!
}

describe('new Configuration (contract §4.1)', () => {
  it('requires a non-empty string clientId', () => {
    for (const clientId of [undefined, 42, '']) {
      const err = thrown(() => new Configuration(server, clientId as string))
      expect(err).toBeInstanceOf(TypeError)
      expect(err.code).toBe('ERR_INVALID_ARG_TYPE')
      expect(err.message).toBe('"clientId" must be a non-empty string')
    }
  })

  it('metadata.client_id, when given, must equal clientId', () => {
    const err = thrown(() => new Configuration(server, 'a', { client_id: 'b' }))
    expect(err).toBeInstanceOf(TypeError)
    expect(err.code).toBe('ERR_INVALID_ARG_VALUE')
    expect(new Configuration(server, 'a', { client_id: 'a' }).clientMetadata().client_id).toBe('a')
  })

  it('a string metadata is shorthand for { client_secret }', () => {
    const config = new Configuration(server, 'a', 'secret')
    expect(config.clientMetadata()).toEqual({ client_id: 'a', client_secret: 'secret' })
  })

  it('clientMetadata() is a copy with client_id set and no symbol keys', () => {
    const config = new Configuration(server, 'a', { [clockSkew]: 5, [clockTolerance]: 1, scope: 'x' })
    const metadata = config.clientMetadata()
    expect(metadata).toEqual({ client_id: 'a', scope: 'x' })
    expect(Object.getOwnPropertySymbols(metadata)).toEqual([])
    ;(metadata as Record<string, unknown>)['scope'] = 'changed'
    expect(config.clientMetadata()['scope']).toBe('x')
  })

  it('keeps clockSkew and clockTolerance privately, with defaults 0 and 30', () => {
    const plain = stateOf(new Configuration(server, 'a'))
    expect(plain.client[clockSkew]).toBe(0)
    expect(plain.client[clockTolerance]).toBe(30)
    const tuned = stateOf(new Configuration(server, 'a', { [clockSkew]: -3, [clockTolerance]: 0 }))
    expect(tuned.client[clockSkew]).toBe(-3)
    expect(tuned.client[clockTolerance]).toBe(0)
  })

  it('serverMetadata() is a fresh copy each call with a non-enumerable supportsPKCE()', () => {
    const config = new Configuration(server, 'a')
    const first = config.serverMetadata()
    expect(first).toEqual(server)
    expect(Object.keys(first)).not.toContain('supportsPKCE')
    expect(first.supportsPKCE()).toBe(true)
    expect(first.supportsPKCE('S256')).toBe(true)
    expect(first.supportsPKCE('plain')).toBe(false)
    ;(first as Record<string, unknown>)['issuer'] = 'changed'
    expect(config.serverMetadata().issuer).toBe('https://as.example')
    expect(config.serverMetadata()).not.toBe(config.serverMetadata())
  })

  it('supportsPKCE() is false when the server lists no methods', () => {
    const config = new Configuration({ issuer: 'https://as.example' }, 'a')
    expect(config.serverMetadata().supportsPKCE()).toBe(false)
  })

  it('never mutates its inputs, and later changes to them do not reach it', () => {
    const input = { issuer: 'https://as.example', token_endpoint: 'https://as.example/token' }
    const metadata = { client_secret: 's', extra: { nested: [1] } }
    const inputCopy = structuredClone(input)
    const metadataCopy = structuredClone(metadata)
    const config = new Configuration(input, 'a', metadata)
    expect(input).toEqual(inputCopy)
    expect(metadata).toEqual(metadataCopy)
    expect(Object.isFrozen(input)).toBe(false)
    expect(Object.isFrozen(metadata)).toBe(false)
    input.token_endpoint = 'https://evil.example/token'
    metadata.extra.nested.push(2)
    expect(config.serverMetadata().token_endpoint).toBe('https://as.example/token')
    expect(config.clientMetadata()['extra']).toEqual({ nested: [1] })
  })

  it('rejects metadata that cannot be cloned as JSON', () => {
    const err = thrown(() => new Configuration(server, 'a', { hook: () => {} } as never))
    expect(err).toBeInstanceOf(TypeError)
    expect(err.code).toBe('ERR_INVALID_ARG_VALUE')
  })

  it('rejects a clientAuthentication that is not a function', () => {
    const err = thrown(() => new Configuration(server, 'a', {}, 'basic' as never))
    expect(err).toBeInstanceOf(TypeError)
    expect(err.code).toBe('ERR_INVALID_ARG_TYPE')
  })

  it('defaults to client_secret_post with a secret, none without; token_endpoint_auth_method is ignored', async () => {
    const post = await wire(
      new Configuration(server, 'a', {
        client_secret: 's',
        token_endpoint_auth_method: 'client_secret_basic',
      }),
    )
    expect(post.body.get('client_secret')).toBe('s')
    expect(post.body.get('client_id')).toBe('a')
    expect(post.headers['authorization']).toBeUndefined()
    const none = await wire(new Configuration(server, 'a'))
    expect(none.body.get('client_id')).toBe('a')
    expect(none.body.has('client_secret')).toBe(false)
    const emptySecret = await wire(new Configuration(server, 'a', { client_secret: '' }))
    expect(emptySecret.body.has('client_secret')).toBe(false)
  })

  it('uses the clientAuthentication given', async () => {
    const basic = await wire(new Configuration(server, 'foo', {}, ClientSecretBasic('bar')))
    expect(basic.headers['authorization']).toBe('Basic Zm9vOmJhcg==')
    expect(basic.body.has('client_id')).toBe(false)
  })
})

describe('Configuration.timeout (DECISIONS D1)', () => {
  it('defaults to 30 seconds, and a request gets a deadline', () => {
    const config = new Configuration(server, 'a')
    expect(DEFAULT_TIMEOUT).toBe(30)
    expect(config.timeout).toBe(30)
    // The deadline travels as a number; send() makes it a signal on the fetch path, one timer on Node's.
    expect(transportOf(stateOf(config)).timeout).toBe(30)
    expect(timeoutSignal(transportOf(stateOf(config)).timeout)).toBeInstanceOf(AbortSignal)
  })

  it('0 and Infinity disable the deadline', () => {
    const config = new Configuration(server, 'a')
    config.timeout = 0
    expect(config.timeout).toBe(0)
    expect(timeoutSignal(transportOf(stateOf(config)).timeout)).toBeUndefined()
    config.timeout = Infinity
    expect(timeoutSignal(transportOf(stateOf(config)).timeout)).toBeUndefined()
  })

  it('setting undefined restores the default; a negative or NaN timeout is refused', () => {
    const config = new Configuration(server, 'a')
    config.timeout = 5
    expect(config.timeout).toBe(5)
    config.timeout = undefined
    expect(config.timeout).toBe(30)
    for (const bad of [-1, NaN, '5']) {
      const err = thrown(() => {
        config.timeout = bad as number
      })
      expect(err).toBeInstanceOf(TypeError)
      expect(err.code).toBe('ERR_INVALID_ARG_VALUE')
    }
    expect(config.timeout).toBe(30)
  })

  it('the deadline reaches the fetch as its signal', async () => {
    const config = new Configuration(server, 'a')
    let signal: AbortSignal | undefined
    config[customFetch] = async (_url, options) => {
      signal = options.signal
      return Response.json({ access_token: 'at', token_type: 'bearer' })
    }
    await genericGrantRequest(config, 'client_credentials', {})
    expect(signal).toBeInstanceOf(AbortSignal)
    expect(signal!.aborted).toBe(false)
  })
})

describe('Configuration[customFetch]', () => {
  it('is a get/set accessor; a non-function is refused', () => {
    const config = new Configuration(server, 'a')
    expect(config[customFetch]).toBeUndefined()
    const impl: CustomFetch = async () => new Response()
    config[customFetch] = impl
    expect(config[customFetch]).toBe(impl)
    const err = thrown(() => {
      config[customFetch] = 'fetch' as never
    })
    expect(err).toBeInstanceOf(TypeError)
    config[customFetch] = undefined
    expect(config[customFetch]).toBeUndefined()
  })
})

describe('the Configuration brand', () => {
  it('has a frozen prototype', () => {
    expect(Object.isFrozen(Configuration.prototype)).toBe(true)
    expect(() => {
      ;(Configuration.prototype as unknown as Record<string, unknown>)['serverMetadata'] = () => ({})
    }).toThrow(TypeError)
  })

  it('rejects subclasses in every API function', async () => {
    class Sub extends Configuration {}
    const sub = new Sub(server, 'a')
    const err = thrown(() => stateOf(sub))
    expect(err.code).toBe('ERR_INVALID_ARG_VALUE')
    expect(err.message).toBe('subclassing Configuration is not allowed')
    const fromGrant = await genericGrantRequest(sub, 'x', {}).catch((e: unknown) => e)
    expect(fromGrant).toBeInstanceOf(TypeError)
    expect((fromGrant as { code?: string }).code).toBe('ERR_INVALID_ARG_VALUE')
  })

  it('rejects look-alikes', () => {
    const fake = Object.create(Configuration.prototype) as Configuration
    const err = thrown(() => stateOf(fake))
    expect(err.code).toBe('ERR_INVALID_ARG_TYPE')
    expect(err.message).toBe('"config" must be an instance of Configuration')
    expect(thrown(() => stateOf({ serverMetadata() {} })).code).toBe('ERR_INVALID_ARG_TYPE')
  })

  it('methods called on a look-alike throw the brand TypeError', () => {
    const fake = Object.create(Configuration.prototype) as Configuration
    expect(() => fake.serverMetadata()).toThrow(TypeError)
    expect(() => fake.timeout).toThrow(TypeError)
  })
})
