// Where grantline's CPU goes per request: the V8 sampling profiler (node:inspector, the same profiler as
// `node --cpu-prof`) over a window of requests against the minimal server, summarised by where the code lives and
// by the grantline function that (synchronously) caused it. Only the main JavaScript thread is sampled: WebCrypto
// signing on libuv's thread pool shows up in the CPU-per-request figures but not here (node:crypto signs on the
// main thread, inside its JS caller's sample).

import { Session } from 'node:inspector/promises'
import { fileURLToPath } from 'node:url'
import { activate, makeClient, type GrantlineName, type Mode, type Target } from './clients.js'
import { CONCURRENCY, PROFILE_SECONDS, WARMUP_MS } from './config.js'
import { timed } from './stats.js'

const SRC = fileURLToPath(new URL('../src/', import.meta.url))
const BENCH = fileURLToPath(new URL('./', import.meta.url))

interface CallFrame {
  functionName: string
  url: string
  lineNumber: number
}
interface ProfileNode {
  id: number
  callFrame: CallFrame
  children?: number[]
}
interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

export interface Share {
  name: string
  /** Microseconds per request on the main thread. */
  usPerRequest: number
  /** Share of the sampled, non-idle time. */
  fraction: number
}

export interface ProfileSummary {
  client: GrantlineName
  mode: Mode
  requests: number
  /** Client CPU per request over the profiled window (process.cpuUsage, every thread), microseconds. */
  cpuUsPerRequest: number
  byArea: Share[]
  byGrantlineFrame: Share[]
  topSelf: Share[]
}

/** Which part of the stack a frame belongs to, by the file its code lives in. */
function areaOfUrl(frame: CallFrame): string | undefined {
  const { url, functionName } = frame
  if (functionName === '(garbage collector)') return 'garbage collection'
  if (functionName === '(program)') return 'V8/native (program)'
  if (url === '') return undefined
  if (url === 'node:inspector' || url.includes('inspector/promises')) return PROFILER
  if (url.includes('/node_modules/jose/')) return 'jose'
  if ((url.startsWith('file://') ? fileURLToPath(url) : url).startsWith(SRC)) return GRANTLINE
  if (url.includes(BENCH) || url.includes('/bench/')) return 'bench harness'
  if (url.includes('undici')) return 'fetch (undici, bundled in Node)'
  if (url.includes('internal/webstreams') || url.includes('js_transferable'))
    return 'web streams (Response body)'
  if (url.includes('internal/crypto')) return 'crypto (WebCrypto or node:crypto, JS side)'
  if (url.includes('abort_controller') || url.includes('event_target') || url.includes('internal/timers'))
    return 'AbortSignal, events, timers'
  if (url.includes('internal/url') || url.includes('node:url')) return 'URL'
  if (/node:(net|_http|http|stream|internal\/(net|stream|streams|http))/.test(url))
    return 'sockets and streams'
  if (url.includes('internal/process/task_queues') || url.includes('internal/async_hooks'))
    return 'event loop, promises, microtasks'
  return 'other Node.js internals'
}

const GRANTLINE = 'grantline (src/)'
/** The profiler's own session calls (the last sample carries the whole `Profiler.stop`): left out. */
const PROFILER = 'profiler'

function shorten(frame: CallFrame): string {
  const file = frame.url.replace(/^file:\/\//, '').replace(/^.*\/(src|node_modules|bench)\//, '$1/')
  // Line numbers of src/ are those of tsx's transpiled output, not of the source: leave them out.
  const line = file.startsWith('src/') || file === '' ? '' : `:${frame.lineNumber + 1}`
  return `${frame.functionName || '(anonymous)'}${file ? ` ${file}` : ''}${line}`
}

export function summarise(
  profile: Profile,
  requests: number,
  cpuUsPerRequest: number,
  client: GrantlineName,
  mode: Mode,
): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)
  // V8 builtins have no URL (writev, runMicrotasks...): they count for the code that called them.
  const areas0 = new Map<number, string>()
  const areaOf = (id: number): string => {
    const known = areas0.get(id)
    if (known !== undefined) return known
    const node = byId.get(id)!
    const up = parent.get(id)
    const result =
      areaOfUrl(node.callFrame) ??
      (up === undefined || byId.get(up)!.callFrame.functionName === '(root)'
        ? 'event loop, promises, microtasks'
        : areaOf(up))
    areas0.set(id, result)
    return result
  }
  // The innermost grantline function on the stack: the part of the library that asked for this work.
  const owner = new Map<number, string>()
  const ownerOf = (id: number): string => {
    const known = owner.get(id)
    if (known !== undefined) return known
    const node = byId.get(id)!
    let result: string
    if (areaOfUrl(node.callFrame) === GRANTLINE) result = shorten(node.callFrame)
    else {
      const up = parent.get(id)
      result =
        up === undefined
          ? '(no grantline frame on the stack: event loop, sockets, fetch internals, GC)'
          : ownerOf(up)
    }
    owner.set(id, result)
    return result
  }

  const areas = new Map<string, number>()
  const owners = new Map<string, number>()
  const selfs = new Map<string, number>()
  let total = 0
  profile.samples.forEach((id, i) => {
    const node = byId.get(id)!
    if (node.callFrame.functionName === '(idle)' || areaOf(id) === PROFILER) return
    const dt = profile.timeDeltas[i] ?? 0
    total += dt
    const add = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + dt)
    add(areas, areaOf(id))
    add(owners, ownerOf(id))
    add(selfs, `${shorten(node.callFrame)} [${areaOf(id)}]`)
  })
  const shares = (map: Map<string, number>, limit: number): Share[] =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      // Sampled time is wall time of the main thread, inflated when other processes take the core; the shares
      // are what the profile tells, scaled to the CPU the process was measured to spend.
      .map(([name, us]) => ({ name, usPerRequest: (us / total) * cpuUsPerRequest, fraction: us / total }))
  return {
    client,
    mode,
    requests,
    cpuUsPerRequest,
    byArea: shares(areas, 20),
    byGrantlineFrame: shares(owners, 12),
    topSelf: shares(selfs, 15),
  }
}

/** Profiles grantline alone on one path, 16 in flight, after a warm-up outside the window. */
export async function profileGrantline(
  target: Target,
  client: GrantlineName,
  mode: Mode,
): Promise<ProfileSummary> {
  const operation = await makeClient(client, target, mode)
  activate(client)
  await timed(operation, CONCURRENCY, WARMUP_MS)
  let requests = 0
  const counted = async () => {
    await operation()
    requests++
  }
  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.setSamplingInterval', { interval: 200 })
  await session.post('Profiler.start')
  const { cpuUs } = await timed(counted, CONCURRENCY, PROFILE_SECONDS * 1000)
  const { profile } = (await session.post('Profiler.stop')) as { profile: Profile }
  session.disconnect()
  return summarise(profile, requests, cpuUs, client, mode)
}
