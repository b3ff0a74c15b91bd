/** Small helpers for summing the nodes' counters into the report. */
import type { NodeStats } from '../node/index.js'

/** Adds `from` into `into` by key (zeros skipped). */
export function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) if (v !== 0) into[k] = (into[k] ?? 0) + v
}

/** `o` with every key prefixed. */
export function prefixed(o: Record<string, number>, prefix: string): Record<string, number> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [prefix + k, v]))
}

/** `o` with its keys in code-point order (stable JSON). */
export function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}

/** Counters of one node instance that the report sums over instances. */
export function instanceCounts(s: NodeStats): Record<string, number> {
  return {
    walks: s.walks,
    walkTimeouts: s.walkTimeouts,
    bundlesDuplicate: s.bundlesDuplicate,
    amplificationBlocked: s.amplification.blocked,
    amplificationBlockedBytes: s.amplification.blockedBytes,
    answersDeferred: s.answersDeferred,
    pushPublished: s.push.published,
    pushReceived: s.push.received,
    pushFresh: s.push.fresh,
    pushForwarded: s.push.forwarded,
    pushOverBudget: s.push.overBudget,
    pushBusy: s.push.busy,
    pushAnnounced: s.push.announced,
    pushWanted: s.push.wanted,
    pushFetched: s.push.fetched,
    firstContactRetries: s.firstContact.retries,
    firstContactEchoes: s.firstContact.echoes,
    firstContactPunctureWalks: s.firstContact.punctureWalks
  }
}

/** Drops of one node instance: datagram drops by reason, bundle drops prefixed `bundle:`. */
export function instanceDrops(s: NodeStats): Record<string, number> {
  const drops: Record<string, number> = {}
  addCounts(drops, s.drops)
  addCounts(drops, prefixed(s.bundleDrops, 'bundle:'))
  return drops
}
