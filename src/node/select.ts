/**
 * Which transport a request without a `customFetch` takes on Node.js (README "Which transport runs where"):
 * grantline's own `node:http` transport, unless the application has taken control of `fetch`, in which case
 * the request goes through `fetch` so that the application's mocks, proxies and tracing see it.
 */

import { argError } from '../internal/assert.js'

/** `'auto'` decides per request; `'fetch'` and `'node'` force a path. */
export type TransportMode = 'auto' | 'fetch' | 'node'

const MODES: ReadonlySet<string> = new Set(['auto', 'fetch', 'node'])

/** Where undici (Node's bundled copy and the npm package) keeps the global dispatcher. */
const DISPATCHER_V1 = Symbol.for('undici.globalDispatcher.1')
const DISPATCHER_V2 = Symbol.for('undici.globalDispatcher.2')

type Globals = typeof globalThis & { [DISPATCHER_V1]?: unknown; [DISPATCHER_V2]?: unknown }
const globals = globalThis as Globals

/** A value no dispatcher is equal to: the application had installed its own before grantline loaded. */
const TAKEN = Object.freeze({})

let mode: TransportMode = modeFromEnvironment(readEnvironment('GRANTLINE_TRANSPORT'))

/**
 * Bun's own fetch costs less than its node:http (measured: 41 against 99 µs of client CPU per token request),
 * so `auto` keeps Bun on fetch; a client certificate still goes out on node:https.
 */
const fetchIsFaster = typeof process.versions['bun'] === 'string'

/** The runtime's own `fetch`: the global one when grantline/node is first imported. */
const runtimeFetch = globalThis.fetch
const runtimeDispatchers = captureDispatchers()
/** `NODE_USE_ENV_PROXY=1` or `--use-env-proxy`: Node's fetch routes through HTTP(S)_PROXY, so we stay on it. */
const envProxy = asksForEnvironmentProxies()

/**
 * Forces the transport of every request that has no `customFetch`: `'node'` (grantline's `node:http`
 * transport), `'fetch'` (the global `fetch`, as on every other runtime) or `'auto'` (the default: `node`
 * unless the application has replaced `fetch`, installed an undici global dispatcher, or asked Node for
 * environment proxies). The environment variable `GRANTLINE_TRANSPORT` sets the initial mode. Returns the
 * previous mode.
 *
 * @example
 * ```ts
 * import { setTransport } from 'grantline/node'
 *
 * // every request without a customFetch goes through the global fetch (e.g. to record it with undici's MockAgent)
 * const previous = setTransport('fetch')
 * // ...
 * setTransport(previous)
 * ```
 *
 * @param next - `'node'`, `'fetch'` or `'auto'`.
 * @returns The mode before this call.
 */
export function setTransport(next: TransportMode): TransportMode {
  if (typeof next !== 'string' || !MODES.has(next)) {
    throw argError('"mode" must be "auto", "fetch" or "node"', 'ERR_INVALID_ARG_VALUE')
  }
  const previous = mode
  mode = next
  return previous
}

/** Whether a request without a `customFetch` goes out on `node:http` now. Cheap: three identity checks. */
export function nodeTransportApplies(): boolean {
  if (mode !== 'auto') return mode === 'node'
  return (
    !fetchIsFaster &&
    !envProxy &&
    globalThis.fetch === runtimeFetch &&
    globals[DISPATCHER_V1] === runtimeDispatchers[0] &&
    globals[DISPATCHER_V2] === runtimeDispatchers[1]
  )
}

function modeFromEnvironment(value: string | undefined): TransportMode {
  if (value === undefined || value === '') return 'auto'
  if (MODES.has(value)) return value as TransportMode
  process.emitWarning(`GRANTLINE_TRANSPORT must be "auto", "fetch" or "node"; ignoring it`, {
    code: 'GRANTLINE_TRANSPORT',
  })
  return 'auto'
}

/**
 * The dispatchers undici installs by itself. Node's bundled undici installs a plain `Agent` when it loads, which
 * reading `globalThis.Headers` makes it do now; a dispatcher found before that is the runtime's only when it is a
 * plain `Agent` (the npm `undici` package installs one too when it loads), otherwise the application's.
 */
function captureDispatchers(): [unknown, unknown] {
  const before = [globals[DISPATCHER_V1], globals[DISPATCHER_V2]] as const
  if (before[0] === undefined && before[1] === undefined) {
    void globalThis.Headers
    return [globals[DISPATCHER_V1], globals[DISPATCHER_V2]]
  }
  return [
    plainAgent(before[0]) ? before[0] : TAKEN,
    before[1] === undefined || plainAgent(before[1]) ? before[1] : TAKEN,
  ]
}

function plainAgent(value: unknown): boolean {
  return typeof value === 'object' && value !== null && value.constructor?.name === 'Agent'
}

function asksForEnvironmentProxies(): boolean {
  const flag = readEnvironment('NODE_USE_ENV_PROXY')
  if (flag !== undefined && flag !== '' && flag !== '0') return true
  const options = `${process.execArgv.join(' ')} ${readEnvironment('NODE_OPTIONS') ?? ''}`
  return /(^|\s)--use-env-proxy(\s|=|$)/.test(options)
}

/**
 * An environment variable, or undefined where reading it is not allowed: Deno (which loads this entry point
 * too) throws without `--allow-env`, and would prompt for it in a terminal, so its permission is asked first.
 */
function readEnvironment(name: string): string | undefined {
  const deno = (globalThis as { Deno?: DenoPermissions }).Deno
  try {
    if (deno?.permissions?.querySync?.({ name: 'env', variable: name }).state === 'prompt') return undefined
    return process.env[name]
  } catch {
    return undefined
  }
}

interface DenoPermissions {
  permissions?: { querySync?: (descriptor: { name: 'env'; variable: string }) => { state: string } }
}
