// Medians and spreads of repeated measurements, and the one timed loop every benchmark uses.

import { runInNewContext } from 'node:vm'
import { GCProfiler, getHeapStatistics, setFlagsFromString } from 'node:v8'

setFlagsFromString('--expose-gc')
const collectGarbage = runInNewContext('gc') as () => void

export interface Sample {
  /** Operations per second of wall time. */
  rate: number
  /** CPU of this process (user + system, every thread) per operation, in microseconds. */
  cpuUs: number
  /**
   * Bytes allocated on the V8 heap per operation: the growth of the used heap over the round plus what every
   * garbage collection during it freed (v8.GCProfiler). Buffers' backing stores live outside the heap.
   */
  heapBytes: number
}

export interface Summary {
  median: number
  min: number
  max: number
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]! }
}

/**
 * Runs `operation` for `durationMs`, `concurrency` at a time, and reports the rate and the CPU this process spent
 * per operation. Garbage is collected first so that one client's garbage is not charged to the next one.
 */
export async function timed(
  operation: () => Promise<unknown>,
  concurrency: number,
  durationMs: number,
): Promise<Sample> {
  collectGarbage()
  let count = 0
  const gcProfiler = new GCProfiler()
  gcProfiler.start()
  const heapBefore = getHeapStatistics().used_heap_size
  const started = performance.now()
  const deadline = started + durationMs
  const cpuBefore = process.cpuUsage()
  const worker = async () => {
    while (performance.now() < deadline) {
      await operation()
      count++
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  const cpu = process.cpuUsage(cpuBefore)
  const elapsedMs = performance.now() - started
  const heapAfter = getHeapStatistics().used_heap_size
  let freed = 0
  for (const gc of gcProfiler.stop()?.statistics ?? []) {
    freed += gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize
  }
  return {
    rate: (count * 1000) / elapsedMs,
    cpuUs: (cpu.user + cpu.system) / count,
    heapBytes: (heapAfter - heapBefore + freed) / count,
  }
}
