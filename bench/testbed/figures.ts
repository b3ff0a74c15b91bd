/**
 * The figures the fidelity table compares, from a testbed run or a simulator result, in walk
 * steps (so a compressed pace compares with the design's): steps from the publication
 * window's opening until 50, 90, 99 and 100 % of the (message, receiver) pairs were
 * delivered, per-pair latency percentiles (publication → delivery), and the byte
 * multiplier (bytes the peers sent ÷ bytes of the bundle of every pair owed).
 *
 * The testbed's wall time is turned into steps by the pace the nodes actually kept (mean
 * walk steps per node per `stepMs`): on a loaded machine timers fire late and a node takes
 * fewer steps than the wall time allows; counting the steps it took compares like with like.
 */
import type { SimResult } from '../../src/sim/result.js'
import type { TestbedRaw } from './run.js'
import type { FidelityScenario } from './scenario.js'

export interface FidelityFigures {
  pairs: number
  delivered: number
  /** Steps from the window's opening to 50 / 90 / 99 / 100 % of pairs (null: not reached). */
  stepsTo: { p50: number | null; p90: number | null; p99: number | null; p100: number | null }
  /** Per-pair latency in steps (delivered pairs, nearest rank). */
  latency: { p50: number | null; p90: number | null; p99: number | null; max: number | null }
  byteMultiplier: number | null
  /** Walk steps per node per `stepMs` during the measurement (1 in the simulator). */
  pace: number
}

function rank(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!
}

function round(x: number | null, digits = 2): number | null {
  if (x === null) return null
  const f = 10 ** digits
  return Math.round(x * f) / f
}

/** A node's walks and bytes at wall time `t`, linearly between its samples (the last one after the end). */
function at(samples: ReadonlyArray<readonly [number, number, number]>, t: number): [number, number] {
  if (samples.length === 0) return [0, 0]
  let prev = samples[0]!
  if (t <= prev[0]) return [prev[1], prev[2]]
  for (const s of samples) {
    if (s[0] >= t) {
      const f = s[0] === prev[0] ? 1 : (t - prev[0]) / (s[0] - prev[0])
      return [prev[1] + f * (s[1] - prev[1]), prev[2] + f * (s[2] - prev[2])]
    }
    prev = s
  }
  return [prev[1], prev[2]]
}

/** Figures of a testbed run. */
export function summarise(s: FidelityScenario, raw: TestbedRaw): FidelityFigures {
  const times: number[] = []
  const latencies: number[] = []
  for (const m of raw.messages) {
    for (const [node, t] of m.delivered.entries()) {
      if (t === null || node === m.author) continue
      times.push(t - raw.origin)
      if (m.published !== null) latencies.push(t - m.published)
    }
  }
  times.sort((a, b) => a - b)
  latencies.sort((a, b) => a - b)
  const pairs = s.messages * (s.nodes - 1)
  const end = raw.origin + (times.length === pairs ? times[times.length - 1]! : Math.max(...raw.traffic.map((x) => x[x.length - 1]?.[0] ?? raw.origin)) - raw.origin)
  const mean = (t: number, i: 0 | 1): number => raw.traffic.reduce((sum, x) => sum + at(x, t)[i], 0) / Math.max(1, raw.traffic.length)
  const span = (end - raw.origin) / s.stepMs
  const pace = span > 0 ? (mean(end, 0) - mean(raw.origin, 0)) / span : 1
  const steps = (ms: number | null): number | null => (ms === null ? null : round((ms / s.stepMs) * pace))
  const bytes = (mean(end, 1) - mean(raw.origin - s.warmupMs, 1)) * raw.traffic.length
  return {
    pairs,
    delivered: times.length,
    stepsTo: { p50: steps(rank(times, 0.5)), p90: steps(rank(times, 0.9)), p99: steps(rank(times, 0.99)), p100: times.length === pairs ? steps(times[times.length - 1]!) : null },
    latency: { p50: steps(rank(latencies, 0.5)), p90: steps(rank(latencies, 0.9)), p99: steps(rank(latencies, 0.99)), max: steps(latencies[latencies.length - 1] ?? null) },
    byteMultiplier: round(bytes / (pairs * s.bundleBytes)),
    pace: round(pace) ?? 1
  }
}

/** Figures of a simulator run of {@link simScenario}. */
export function simFigures(s: FidelityScenario, r: SimResult): FidelityFigures {
  const steps = (seconds: number | null): number | null => (seconds === null ? null : round((seconds * 1000 - s.warmupMs) / s.stepMs))
  const q = r.latency.quantiles
  const lat = (i: number): number | null => (q.length === 0 ? null : round((q[i]! * 1000) / s.stepMs))
  const d = r.delivery
  const bytes = r.bandwidth.perPeer.sentBytes.mean * s.nodes
  return {
    pairs: d.expectedPairs,
    delivered: d.delivered,
    stepsTo: { p50: steps(d.reached.half), p90: steps(d.reached.p90), p99: steps(d.reached.p99), p100: d.complete ? steps(d.fullDeliverySeconds) : null },
    latency: { p50: lat(50), p90: lat(90), p99: lat(99), max: lat(100) },
    byteMultiplier: round(bytes / (d.expectedPairs * s.bundleBytes)),
    pace: 1
  }
}
