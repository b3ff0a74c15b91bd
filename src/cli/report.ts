/** Turning a node's counters into log fields and human-readable figures. */
import type { NodeStats, TrafficCounters } from '../node/index.js'

/** Sum of datagrams and bytes over packet types. */
export function total(byType: Record<string, TrafficCounters>): TrafficCounters {
  let datagrams = 0
  let bytes = 0
  for (const c of Object.values(byType)) {
    datagrams += c.datagrams
    bytes += c.bytes
  }
  return { datagrams, bytes }
}

/** Adds `from`'s counts into `into` (by key). */
export function addCounts(into: Record<string, number>, from: Record<string, number>, prefix = ''): void {
  for (const [k, v] of Object.entries(from)) if (v !== 0) into[prefix + k] = (into[prefix + k] ?? 0) + v
}

/** Bytes per packet type of a node's `in` or `out` counters. */
export function bytesByType(traffic: Record<string, { bytes: number }>): Record<string, number> {
  return Object.fromEntries(Object.entries(traffic).map(([type, t]) => [type, t.bytes]))
}

/** The fields of a periodic stats log line. */
export function statsFields(s: NodeStats): Record<string, unknown> {
  const inbound = total(s.in)
  const outbound = total(s.out)
  const candidates = { walk: 0, stumble: 0, intro: 0, trusted: 0 }
  for (const o of s.overlays) for (const k of Object.keys(candidates) as (keyof typeof candidates)[]) candidates[k] += o.candidates[k] ?? 0
  const drops: Record<string, number> = {}
  addCounts(drops, s.drops)
  addCounts(drops, s.bundleDrops, 'bundle:')
  return {
    overlays: s.overlays.length,
    bundles: s.overlays.reduce((n, o) => n + o.bundlesStored, 0),
    globalTime: Math.max(0, ...s.overlays.map((o) => o.globalTime)),
    candidates,
    walks: s.walks,
    walkTimeouts: s.walkTimeouts,
    in: `${inbound.datagrams} datagrams, ${bytesText(inbound.bytes)}`,
    out: `${outbound.datagrams} datagrams, ${bytesText(outbound.bytes)}`,
    wan: `${s.wan.host}:${s.wan.port}`,
    connectionType: s.connectionType,
    drops,
    // Offers answered without bundles because enough answers were in progress (a flood).
    ...(s.answersShed > 0 ? { answersShed: s.answersShed } : {})
  }
}

/** `1.2 kB`, `3.4 MB` (decimal units). */
export function bytesText(n: number): string {
  if (n < 1000) return `${n} B`
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`
  if (n < 1e9) return `${(n / 1e6).toFixed(1)} MB`
  return `${(n / 1e9).toFixed(2)} GB`
}

/** Lowercase hex of the first `n` bytes. */
export function shortHex(bytes: Uint8Array, n = 4): string {
  let s = ''
  for (const b of bytes.subarray(0, n)) s += b.toString(16).padStart(2, '0')
  return s
}
