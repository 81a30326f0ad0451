import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { createServer, type Server } from 'node:http'
import { connect, type AddressInfo, type Socket } from 'node:net'
import { EnvHttpProxyAgent, MockAgent, ProxyAgent, setGlobalDispatcher, type Dispatcher } from 'undici'
import { clientCredentialsGrant, customFetch, type Configuration } from '../../src/index.js'
import { setTransport } from '../../src/node/index.js'
import { configurationFor, startScriptedServer, type ScriptedServer } from '../support/scripted-server.js'
import { expectTypeError } from '../support/expect.js'

/**
 * Issue 10 item 2: which path a request without a customFetch takes on Node.js. The two paths tell themselves
 * apart on the wire: the node:http transport asks for `accept-encoding: identity` (DECISIONS D30), Node's fetch
 * for `gzip, deflate` (and adds `sec-fetch-mode`).
 */

const V1 = Symbol.for('undici.globalDispatcher.1')
const V2 = Symbol.for('undici.globalDispatcher.2')
type Slots = { [V1]?: unknown; [V2]?: unknown }
const slots = globalThis as typeof globalThis & Slots

let server: ScriptedServer
let config: Configuration
let previousMode: ReturnType<typeof setTransport>
const runtimeFetch = globalThis.fetch
const runtimeDispatchers = [slots[V1], slots[V2]] as const

beforeAll(async () => {
  server = await startScriptedServer()
  previousMode = setTransport('auto')
})
afterAll(async () => {
  setTransport(previousMode)
  await server.close()
})
beforeEach(() => {
  config = configurationFor(server)
})
afterEach(() => {
  globalThis.fetch = runtimeFetch
  // undici's setGlobalDispatcher defines both slots; put back exactly what the runtime had.
  slots[V1] = runtimeDispatchers[0]
  slots[V2] = runtimeDispatchers[1]
  setTransport('auto')
})

/** The path the last request took, read off its accept-encoding. */
async function pathOfOneRequest(cfg: Configuration = config): Promise<'node' | 'fetch'> {
  const before = server.requests.length
  await expect(clientCredentialsGrant(cfg)).resolves.toMatchObject({ access_token: 'at' })
  expect(server.requests.length).toBe(before + 1)
  const headers = server.requests.at(-1)!.headers
  if (headers['accept-encoding'] === 'identity') {
    expect(headers['sec-fetch-mode']).toBeUndefined()
    return 'node'
  }
  expect(headers['accept-encoding']).toMatch(/gzip/)
  expect(headers['sec-fetch-mode']).toBe('cors')
  return 'fetch'
}

describe('the test projects', () => {
  it('GRANTLINE_TRANSPORT of the vitest project set the initial mode, so every suite runs once per path', () => {
    expect(previousMode).toBe(process.env['GRANTLINE_TRANSPORT'] ?? 'auto')
  })
})

describe('auto mode', () => {
  it('takes the node:http transport while the application has not touched fetch', async () => {
    expect(await pathOfOneRequest()).toBe('node')
  })

  it('stays on fetch when globalThis.fetch is replaced (msw, a test double, a polyfill), decided per request', async () => {
    const seen: string[] = []
    globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit) => {
      seen.push(String(input))
      return runtimeFetch(input, init)
    }) as typeof fetch
    expect(await pathOfOneRequest()).toBe('fetch')
    expect(seen).toEqual([`${server.origin}/token`])
    globalThis.fetch = runtimeFetch
    expect(await pathOfOneRequest()).toBe('node')
  })

  it('stays on fetch when an undici MockAgent is the global dispatcher, so its interceptors answer', async () => {
    const mock = new MockAgent()
    mock.disableNetConnect()
    mock
      .get(server.origin)
      .intercept({ path: '/token', method: 'POST' })
      .reply(
        200,
        { access_token: 'mocked', token_type: 'bearer' },
        { headers: { 'content-type': 'application/json' } },
      )
    setGlobalDispatcher(mock)
    const before = server.requests.length
    await expect(clientCredentialsGrant(config)).resolves.toMatchObject({ access_token: 'mocked' })
    expect(server.requests.length).toBe(before)
    mock.assertNoPendingInterceptors()
    await mock.close()
  })

  describe('proxies', () => {
    let proxy: Server
    let proxyUrl: string
    let tunnels: string[]
    const sockets = new Set<Socket>()

    beforeAll(async () => {
      // A CONNECT proxy that records the tunnels it opens.
      proxy = createServer()
      proxy.on('connect', (req, client: Socket) => {
        tunnels.push(req.url ?? '')
        const [host, port] = (req.url ?? '').split(':')
        const upstream = connect(Number(port), host, () => {
          client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
          upstream.pipe(client)
          client.pipe(upstream)
        })
        for (const s of [client, upstream]) {
          sockets.add(s)
          s.on('error', () => {})
          s.on('close', () => sockets.delete(s))
        }
      })
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
      proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`
    })
    afterAll(async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => proxy.close(() => resolve()))
    })
    beforeEach(() => {
      tunnels = []
    })

    const host = () => new URL(server.origin).host

    it.each([
      ['ProxyAgent', () => new ProxyAgent(proxyUrl)],
      ['EnvHttpProxyAgent', () => new EnvHttpProxyAgent({ httpProxy: proxyUrl, noProxy: '' })],
    ] as Array<[string, () => Dispatcher]>)('stays on fetch when a %s routes it', async (_name, make) => {
      const dispatcher = make()
      setGlobalDispatcher(dispatcher)
      expect(await pathOfOneRequest()).toBe('fetch')
      expect(tunnels).toEqual([host()])
      await dispatcher.close()
    })
  })
})

describe('the switch', () => {
  it('setTransport("fetch") and ("node") force a path, whatever the application did; it returns the previous mode', async () => {
    expect(setTransport('fetch')).toBe('auto')
    expect(await pathOfOneRequest()).toBe('fetch')
    globalThis.fetch = ((input: string, init?: RequestInit) => runtimeFetch(input, init)) as typeof fetch
    expect(setTransport('node')).toBe('fetch')
    expect(await pathOfOneRequest()).toBe('node')
  })

  it('a customFetch always wins, in every mode', async () => {
    for (const mode of ['auto', 'node', 'fetch'] as const) {
      setTransport(mode)
      const cfg = configurationFor(server)
      const calls: string[] = []
      cfg[customFetch] = (url, options) => {
        calls.push(url)
        return runtimeFetch(url, options as RequestInit)
      }
      expect(await pathOfOneRequest(cfg), mode).toBe('fetch')
      expect(calls).toEqual([`${server.origin}/token`])
    }
  })

  it('anything but "auto", "fetch" or "node" is a TypeError', () => {
    for (const bad of ['NODE', '', undefined, 1]) {
      expectTypeError(() => setTransport(bad as never), 'ERR_INVALID_ARG_VALUE', /"mode"/)
    }
  })
})

describe('what is read once, when grantline/node loads', () => {
  const env = { ...process.env }
  const execArgv = [...process.execArgv]
  afterEach(() => {
    for (const name of Object.keys(process.env)) if (!(name in env)) delete process.env[name]
    Object.assign(process.env, env)
    process.execArgv.splice(0, process.execArgv.length, ...execArgv)
    vi.resetModules()
  })

  /** A fresh copy of the selection module, loaded under the current environment. */
  async function freshSelect(vars: Record<string, string | undefined>) {
    for (const [name, value] of Object.entries(vars)) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
    vi.resetModules()
    return import('../../src/node/select.js')
  }

  it('GRANTLINE_TRANSPORT=fetch|node|auto sets the initial mode', async () => {
    expect((await freshSelect({ GRANTLINE_TRANSPORT: 'fetch' })).nodeTransportApplies()).toBe(false)
    expect((await freshSelect({ GRANTLINE_TRANSPORT: 'node' })).nodeTransportApplies()).toBe(true)
    expect((await freshSelect({ GRANTLINE_TRANSPORT: 'auto' })).nodeTransportApplies()).toBe(true)
    expect((await freshSelect({ GRANTLINE_TRANSPORT: undefined })).nodeTransportApplies()).toBe(true)
  })

  it('an unknown GRANTLINE_TRANSPORT warns and means auto', async () => {
    const warnings: Array<string | Error> = []
    const spy = vi.spyOn(process, 'emitWarning').mockImplementation((warning: string | Error) => {
      warnings.push(warning)
    })
    try {
      const select = await freshSelect({ GRANTLINE_TRANSPORT: 'undici' })
      expect(select.nodeTransportApplies()).toBe(true)
      expect(String(warnings[0])).toMatch(/GRANTLINE_TRANSPORT/)
    } finally {
      spy.mockRestore()
    }
  })

  it('NODE_USE_ENV_PROXY or --use-env-proxy (Node routes fetch through HTTP(S)_PROXY) keeps auto on fetch', async () => {
    expect(
      (await freshSelect({ GRANTLINE_TRANSPORT: 'auto', NODE_USE_ENV_PROXY: '1' })).nodeTransportApplies(),
    ).toBe(false)
    expect((await freshSelect({ NODE_USE_ENV_PROXY: '0' })).nodeTransportApplies()).toBe(true)
    expect(
      (
        await freshSelect({ NODE_USE_ENV_PROXY: undefined, NODE_OPTIONS: '--use-env-proxy' })
      ).nodeTransportApplies(),
    ).toBe(false)
    process.execArgv.push('--use-env-proxy')
    expect((await freshSelect({ NODE_OPTIONS: undefined })).nodeTransportApplies()).toBe(false)
    // A forced mode is a forced mode.
    expect((await freshSelect({ GRANTLINE_TRANSPORT: 'node' })).nodeTransportApplies()).toBe(true)
  })

  it('a global dispatcher installed before grantline/node loads counts as the application’s, unless a plain Agent', async () => {
    const mock = new MockAgent()
    setGlobalDispatcher(mock)
    try {
      expect((await freshSelect({ GRANTLINE_TRANSPORT: 'auto' })).nodeTransportApplies()).toBe(false)
    } finally {
      slots[V1] = runtimeDispatchers[0]
      slots[V2] = runtimeDispatchers[1]
      await mock.close()
    }
    expect((await freshSelect({ GRANTLINE_TRANSPORT: 'auto' })).nodeTransportApplies()).toBe(true)
  })
})
