/**
 * The figures of one run (docs/evaluation.md, "Metrics"), as printed by `bloomwalk sim
 * --json`. Everything but `run` is a pure function of (scenario, seed).
 */
import type { MemoryNetworkStats } from '../transport/index.js'
import type { TrafficCounters } from '../node/index.js'
import { percentile, type CurvePoint, type DeliverySummary, type LatencySummary } from './deliveries.js'
import type { Scenario } from './scenario.js'
import type { RetentionFigures, SpamComparison, SpamFigures } from './driver.js'
import type { HostRole, HostTraffic } from './world.js'

/** Distribution of a per-peer figure. */
export interface Spread {
  mean: number
  median: number
  p90: number
  max: number
}

export interface BandwidthSummary {
  /** Datagrams that entered the network, every host (trackers and mailserver included). */
  datagrams: number
  /** UDP payload bytes of those datagrams. */
  bytes: number
  /** datagrams ÷ (message, receiver) pairs owed: the seed's multiplier (×1 is ideal unicast). */
  datagramMultiplier: number
  /** bytes ÷ pairs owed. */
  bytesPerPair: number
  /** bytes ÷ (bytes of the bundle of every owed pair): ×1 = each receiver got each bundle once, with nothing else sent. */
  byteMultiplier: number
  /** Datagrams and bytes sent by packet type (the nodes' counters; sends while offline excluded). */
  byType: Record<string, TrafficCounters>
  /** Bytes sent and received per peer. */
  perPeer: { sentBytes: Spread; receivedBytes: Spread }
  /** Bytes sent and received by each infrastructure host. */
  infrastructure: { role: HostRole; sentBytes: number; receivedBytes: number; datagramsSent: number }[]
}

/** Per-pair latency percentiles. */
export interface Percentiles {
  p50: number
  p90: number
  p99: number
  max: number
}

export interface FreshFigures {
  /** Per (message, receiver) latency, milliseconds (nearest rank). */
  latencyMs: Percentiles
  /** The same in walk steps (latency ÷ the step interval). */
  walkSteps: Percentiles
  /** Bytes of push datagrams (publish, forwarding, announcements) ÷ the bundle bytes owed: what push adds to the walk's traffic. */
  pushByteMultiplier: number
  /**
   * Bytes of `bundles` and `bundle-request` datagrams ÷ the bundle bytes owed: the walk's
   * answers, and the asks and answers that follow announcements (with push off, the walk's
   * answers alone).
   */
  answersByteMultiplier: number
  /** Bundles received that the receiver already held (any path: push, answers, catch-up) ÷ peers. */
  duplicatesPerReceiver: number
}

/** The fresh-message figures from the per-pair latency quantiles (seconds, 0..100 %), push bytes and duplicates. */
export function freshFigures(quantiles: readonly number[], stepIntervalMs: number, pushBytes: number, answerBytes: number, owedBytes: number, duplicates: number, peers: number): FreshFigures {
  const ms = (i: number) => Math.round((quantiles[i] ?? 0) * 1000)
  const latencyMs = { p50: ms(50), p90: ms(90), p99: ms(99), max: ms(100) }
  const steps = (v: number) => Math.round((v / stepIntervalMs) * 100) / 100
  return {
    latencyMs,
    walkSteps: { p50: steps(latencyMs.p50), p90: steps(latencyMs.p90), p99: steps(latencyMs.p99), max: steps(latencyMs.max) },
    pushByteMultiplier: owedBytes === 0 ? 0 : Math.round((pushBytes / owedBytes) * 1000) / 1000,
    answersByteMultiplier: owedBytes === 0 ? 0 : Math.round((answerBytes / owedBytes) * 1000) / 1000,
    duplicatesPerReceiver: Math.round((duplicates / peers) * 100) / 100
  }
}

/** Wall-clock figures: not reproducible, excluded from determinism checks. */
export interface RunFigures {
  wallSeconds: number | null
  /** CPU time of the process during the run (user + system), seconds: wall time on a loaded machine overstates the work. */
  cpuSeconds: number | null
  /** Highest resident set size sampled during the run (process.memoryUsage().rss). */
  peakRssBytes: number | null
}

/** Delivery to the receivers of one NAT kind. */
export interface KindDelivery {
  receivers: number
  /** Receivers that got everything owed to them. */
  complete: number
  /** Delivered ÷ owed pairs of these receivers. */
  ratio: number
}

export interface SimResult {
  preset: string
  description: string
  protocol: string
  seed: number
  scenario: Scenario
  /** Virtual seconds simulated (the run stops at full delivery when the scenario says so). */
  virtualSeconds: number
  /** The run was ended early by its abort signal (Ctrl-C). */
  aborted: boolean
  /** Event batches the loop ran (a measure of simulation work). */
  events: number
  delivery: Omit<DeliverySummary, 'curve' | 'latency' | 'messageLatency' | 'latencyQuantiles'>
  /** Per pair and per message (publication → last receiver), seconds; `quantiles`: per-pair latency at 0..100 %. */
  latency: { perPair: LatencySummary; perMessage: LatencySummary; quantiles: number[] }
  /** Delivery by the receiver's NAT kind (public, cone, symmetric). */
  byNatKind: Record<string, KindDelivery>
  bandwidth: BandwidthSummary
  churn: { onlineShare: number; sessions: number } | null
  network: MemoryNetworkStats
  /** Scenarios with a room policy: what the running peers retain at the end; null otherwise. */
  retention: RetentionFigures | null
  /** Scenarios with spammers: what they did and cost the honest peers; null otherwise. */
  spam: SpamFigures | null
  driver: Record<string, unknown>
  /** How fast and at what cost fresh messages spread (DESIGN §13; the `spread` preset). */
  fresh: FreshFigures
  curve: CurvePoint[]
  run: RunFigures
}

export function spread(values: number[]): Spread {
  const sorted = values.slice().sort((a, b) => a - b)
  const sum = sorted.reduce((a, b) => a + b, 0)
  return {
    mean: sorted.length === 0 ? 0 : Math.round(sum / sorted.length),
    median: percentile(sorted, 50) ?? 0,
    p90: percentile(sorted, 90) ?? 0,
    max: percentile(sorted, 100) ?? 0
  }
}

/** Bandwidth figures from every host's transport counters and the nodes' per-type counters. */
export function bandwidth(hosts: HostTraffic[], byType: Record<string, TrafficCounters>, pairs: number, owedBytes: number): BandwidthSummary {
  let datagrams = 0
  let bytes = 0
  const sent: number[] = []
  const received: number[] = []
  const infrastructure: BandwidthSummary['infrastructure'] = []
  for (const h of hosts) {
    const s = h.stats()
    datagrams += s.datagramsSent
    bytes += s.bytesSent
    if (h.role === 'peer') {
      sent.push(s.bytesSent)
      received.push(s.bytesReceived)
    } else infrastructure.push({ role: h.role, sentBytes: s.bytesSent, receivedBytes: s.bytesReceived, datagramsSent: s.datagramsSent })
  }
  const ratio = (a: number, b: number) => (b === 0 ? 0 : Math.round((a / b) * 1000) / 1000)
  const types = Object.keys(byType).sort()
  return {
    datagrams,
    bytes,
    datagramMultiplier: ratio(datagrams, pairs),
    bytesPerPair: ratio(bytes, pairs),
    byteMultiplier: ratio(bytes, owedBytes),
    byType: Object.fromEntries(types.filter((t) => byType[t]!.datagrams !== 0).map((t) => [t, { ...byType[t]! }])),
    perPeer: { sentBytes: spread(sent), receivedBytes: spread(received) },
    infrastructure
  }
}

/** The result without its wall-clock figures (what must be identical for a seed). */
export function reproducible(r: SimResult): Omit<SimResult, 'run'> {
  const { run: _run, ...rest } = r
  return rest
}

/** Delivery per NAT kind of the receivers. */
export function byNatKind(kinds: readonly string[], owed: Uint32Array, delivered: Uint32Array): Record<string, KindDelivery> {
  const out: Record<string, { receivers: number; complete: number; owed: number; delivered: number }> = {}
  kinds.forEach((kind, r) => {
    const k = (out[kind] ??= { receivers: 0, complete: 0, owed: 0, delivered: 0 })
    k.receivers++
    if (delivered[r] === owed[r]) k.complete++
    k.owed += owed[r]!
    k.delivered += delivered[r]!
  })
  return Object.fromEntries(
    ['public', 'cone', 'symmetric'].filter((k) => out[k] !== undefined).map((k) => {
      const x = out[k]!
      return [k, { receivers: x.receivers, complete: x.complete, ratio: x.owed === 0 ? 1 : Math.round((x.delivered / x.owed) * 1e6) / 1e6 }]
    })
  )
}

/** A spam run beside the run of the same scenario and seed without spammers (`--spammers 0`). */
export function compareSpam(spam: SimResult, noSpam: SimResult): SpamComparison {
  const ratio = (a: number, b: number) => (b === 0 ? (a === 0 ? 1 : Infinity) : Math.round((a / b) * 1000) / 1000)
  const pair = (a: number, b: number) => ({ spam: a, noSpam: b, ratio: ratio(a, b) })
  return {
    delivery: { spam: spam.delivery.ratio, noSpam: noSpam.delivery.ratio },
    p90Ms: pair(spam.fresh.latencyMs.p90, noSpam.fresh.latencyMs.p90),
    sentBytesPerHonestPeer: pair(spam.spam?.sentBytesPerHonestPeer ?? 0, noSpam.spam?.sentBytesPerHonestPeer ?? 0),
    storedBytesPerHonestPeer: pair(spam.spam?.storedBytesPerHonestPeer ?? 0, noSpam.spam?.storedBytesPerHonestPeer ?? 0)
  }
}
