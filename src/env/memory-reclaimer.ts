/**
 * Gives back the memory a burst of traffic left behind, once the process has gone quiet
 * (docs/security.md, "A datagram flood"; docs/operations.md, "Memory").
 *
 * A flood grows V8's young generation (up to 2 × 16 MiB of semi-spaces on Node 20) and
 * leaves garbage in it. V8 shrinks the young generation only at a collection that finds the
 * allocation rate low, and a node that is quiet after the burst allocates too little to cause
 * one: RSS stayed ~20 MB above its baseline for as long as we watched, though after a full
 * collection the live heap was back within 1 MB of where it was. So: every `checkMs` the
 * reclaimer looks at the event loop's utilization over the last interval and at the young
 * generation's committed size; after an interval that was busy, at the first interval that
 * was quiet while the young generation is larger than `grownBytes`, it runs one full
 * collection (V8 then shrinks the young generation, the allocation rate being low) and logs
 * RSS before and after. At most one collection per busy-then-quiet transition, so a burst
 * costs one full collection of a small heap (60–98 ms of wall time after a flood, measured on a
 * loaded 2-core machine) and a steady load costs none.
 *
 * Process-wide: the long-running commands (`node`, `chat`, `tracker`) start one; a library
 * user may start one too. `gc` is reached without `--expose-gc` on the command line: the flag
 * set at run time exposes `gc` to contexts created afterwards (V8 reads it when it builds a
 * context's globals), so a fresh `vm` context gets it.
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks'
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import type { Cancel, Clock } from './clock.js'
import type { Logger } from './logger.js'

const MB = 1024 * 1024

/** What the reclaimer reads and does (the process's own by default; a fake in tests). */
export interface HeapProbe {
  /** Bytes V8 has committed to its young generation now. */
  youngBytes(): number
  /** Resident set size now, bytes. */
  rssBytes(): number
  /** Share (0..1) of wall time the event loop was busy since the previous call. */
  busyShare(): number
  /** One full collection. */
  collect(): void
}

/** Options of {@link MemoryReclaimer}. */
export interface MemoryReclaimerOptions {
  /** Milliseconds between two checks. Default 10 000. */
  checkMs?: number
  /** An interval whose event-loop utilization is below this is quiet. Default 0.05. */
  quietShare?: number
  /** A young generation committed beyond this many bytes is worth collecting. Default 8 MiB (Node 20 starts a node with 1–4 MiB). */
  grownBytes?: number
  logger?: Logger
}

/** What a reclaimer did so far. */
export interface ReclaimerStats {
  checks: number
  collections: number
  /** RSS given back by the collections, in total (bytes; a collection that grew RSS counts 0). */
  reclaimedBytes: number
  /** Milliseconds the collections took, in total (by the clock the reclaimer was given). */
  collectMs: number
}

/** Watches for a burst to end and then runs one full collection (see the file comment). */
export class MemoryReclaimer {
  readonly #clock: Clock
  readonly #probe: HeapProbe
  readonly #checkMs: number
  readonly #quietShare: number
  readonly #grownBytes: number
  readonly #log: Logger | undefined
  /** An interval was busy since the last collection (the process's start counts as one). */
  #afterBurst = true
  #cancel: Cancel | undefined
  readonly #stats: ReclaimerStats = { checks: 0, collections: 0, reclaimedBytes: 0, collectMs: 0 }

  /** @throws {RangeError} for a checkMs ≤ 0, a quietShare outside (0, 1] or a negative grownBytes */
  constructor(clock: Clock, probe: HeapProbe = processHeap(), options: MemoryReclaimerOptions = {}) {
    this.#checkMs = options.checkMs ?? 10_000
    this.#quietShare = options.quietShare ?? 0.05
    this.#grownBytes = options.grownBytes ?? 8 * MB
    if (!(this.#checkMs > 0) || !(this.#quietShare > 0 && this.#quietShare <= 1) || !(this.#grownBytes >= 0)) throw new RangeError('checkMs must be > 0, quietShare in (0, 1], grownBytes ≥ 0')
    this.#clock = clock
    this.#probe = probe
    this.#log = options.logger
  }

  /** Starts the checks (idempotent). Its timer never keeps the process alive (the system clock's timers are unref'd). */
  start(): void {
    if (this.#cancel !== undefined) return
    this.#probe.busyShare() // the first interval starts now
    this.#schedule()
  }

  stop(): void {
    this.#cancel?.()
    this.#cancel = undefined
  }

  stats(): ReclaimerStats {
    return { ...this.#stats }
  }

  /** One check (the timer runs it every `checkMs`); true when it collected. */
  check(): boolean {
    this.#stats.checks++
    if (this.#probe.busyShare() >= this.#quietShare) {
      this.#afterBurst = true
      return false
    }
    if (!this.#afterBurst || this.#probe.youngBytes() <= this.#grownBytes) return false
    this.#afterBurst = false
    const before = { rss: this.#probe.rssBytes(), young: this.#probe.youngBytes() }
    const start = this.#clock.now()
    this.#probe.collect()
    const ms = this.#clock.now() - start
    const after = { rss: this.#probe.rssBytes(), young: this.#probe.youngBytes() }
    this.#stats.collections++
    this.#stats.reclaimedBytes += Math.max(0, before.rss - after.rss)
    this.#stats.collectMs += ms
    const round = (x: number): number => Math.round(x * 10) / 10
    this.#log?.info('quiet after a burst: collected garbage', { rssMB: round(before.rss / MB), rssAfterMB: round(after.rss / MB), youngMB: round(before.young / MB), youngAfterMB: round(after.young / MB), ms: round(ms) })
    return true
  }

  #schedule(): void {
    this.#cancel = this.#clock.setTimeout(() => {
      this.check()
      if (this.#cancel !== undefined) this.#schedule()
    }, this.#checkMs)
  }
}

/** This process: V8's new space, `process.memoryUsage.rss()`, the event loop's utilization and `gc()`. */
export function processHeap(): HeapProbe {
  let last: EventLoopUtilization = performance.eventLoopUtilization()
  let gc: (() => void) | undefined
  return {
    youngBytes: () => getHeapSpaceStatistics().reduce((sum, s) => (s.space_name === 'new_space' || s.space_name === 'new_large_object_space' ? sum + s.space_size : sum), 0),
    rssBytes: () => process.memoryUsage.rss(),
    busyShare: () => {
      const now = performance.eventLoopUtilization()
      const share = performance.eventLoopUtilization(now, last).utilization
      last = now
      return share
    },
    collect: () => {
      if (gc === undefined) {
        setFlagsFromString('--expose-gc')
        gc = runInNewContext('gc') as () => void
      }
      gc()
    }
  }
}
