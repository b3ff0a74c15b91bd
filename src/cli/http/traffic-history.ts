/**
 * The status page's traffic chart: the node's cumulative counters sampled at a fixed
 * interval, kept as per-interval differences in a bounded ring (the last minutes only).
 */
import type { NodeStats } from '../../node/index.js'
import { total } from '../report.js'

/** One interval of traffic: what changed between two samples. */
export interface TrafficSample {
  /** End of the interval, ms since 1970. */
  t: number
  /** Length of the interval, ms. */
  ms: number
  inBytes: number
  outBytes: number
  inDatagrams: number
  outDatagrams: number
  /** Inbound datagrams dropped (all reasons). */
  drops: number
}

/** Seconds between samples. */
export const TRAFFIC_SAMPLE_SECONDS = 2
/** Samples kept: 10 minutes at one per 2 s. */
export const TRAFFIC_SAMPLES = 300

interface Totals {
  t: number
  inBytes: number
  outBytes: number
  inDatagrams: number
  outDatagrams: number
  drops: number
}

function totals(t: number, s: NodeStats): Totals {
  const inbound = total(s.in)
  const outbound = total(s.out)
  return { t, inBytes: inbound.bytes, outBytes: outbound.bytes, inDatagrams: inbound.datagrams, outDatagrams: outbound.datagrams, drops: Object.values(s.drops).reduce((a, b) => a + b, 0) }
}

/** Per-interval traffic over the last {@link TRAFFIC_SAMPLES} samples. Fed by the caller's timer. */
export class TrafficHistory {
  readonly #max: number
  readonly #samples: TrafficSample[] = []
  #last: Totals | undefined

  constructor(max = TRAFFIC_SAMPLES) {
    this.#max = max
  }

  /** Records the counters at `t` (ms since 1970); the first call only sets the baseline. */
  sample(t: number, stats: NodeStats): void {
    const now = totals(t, stats)
    const last = this.#last
    this.#last = now
    if (last === undefined) return
    this.#samples.push({
      t,
      ms: Math.max(0, t - last.t),
      inBytes: now.inBytes - last.inBytes,
      outBytes: now.outBytes - last.outBytes,
      inDatagrams: now.inDatagrams - last.inDatagrams,
      outDatagrams: now.outDatagrams - last.outDatagrams,
      drops: now.drops - last.drops
    })
    if (this.#samples.length > this.#max) this.#samples.shift()
  }

  /** The samples kept, oldest first (copies). */
  samples(): TrafficSample[] {
    return this.#samples.map((s) => ({ ...s }))
  }
}
