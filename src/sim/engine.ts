/**
 * The discrete-event loop: virtual time on src/env's {@link ManualClock}. Every timer due at the
 * next event time runs (network deliveries, walk steps, timeouts, churn, publications),
 * then the loop yields one macrotask turn so every promise chain those callbacks started
 * (node handlers are async, the in-memory store resolves in microtasks) finishes before the
 * clock moves on. Nothing leaves the process, so the run is a pure function of its seed.
 */
import type { ManualClock } from '../env/clock.js'

/** Lets every pending promise chain finish (all microtasks drain before a macrotask runs). */
export function settle(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve))
}

export interface RunOptions {
  /** Run until this virtual time (ms). */
  until: number
  /** Checked after each event time; true ends the run there. */
  stop?: () => boolean
  /** Called every `progressEvery` event times with the virtual time (progress bars, memory samples). */
  onProgress?: (now: number) => void
  progressEvery?: number
}

/**
 * Runs events up to `until` (or until `stop()`), batching events within `quantumMs` of the
 * earliest one. Returns the number of event batches run.
 */
export async function runEvents(clock: ManualClock, quantumMs: number, options: RunOptions): Promise<number> {
  const every = options.progressEvery ?? 4096
  let batches = 0
  await settle()
  for (;;) {
    const next = clock.nextAt()
    if (next === undefined || next > options.until) break
    clock.runUntil(Math.min(options.until, next + quantumMs))
    await settle()
    batches++
    if (options.onProgress !== undefined && batches % every === 0) options.onProgress(clock.now())
    if (options.stop?.() === true) return batches
  }
  clock.runUntil(options.until)
  await settle()
  return batches
}
