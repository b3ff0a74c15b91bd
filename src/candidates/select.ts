/**
 * The table's choices as pure functions over its entries: the walker's next target,
 * who to introduce, and which entry to evict. Each is one pass over at most
 * `maxCandidates` + trusted entries.
 */
import { type Rng, float } from '../env/rng.js'
import { type ConnectionType, sameHost } from '../nat/index.js'
import { type Candidate, type Category, CATEGORIES, categoryOf, isEligibleForWalk, isUseful, lastSeen } from './candidate.js'
import type { CandidateTableOptions, CategoryWeights } from './options.js'

/**
 * A table entry: a mutable candidate plus its creation sequence number (tie-breaker) and
 * the key of its host ({@link hostKey}: the IPv4 address or IPv6 /64; the raw host when it
 * is not an IP literal), under which all its ports count as one walk target.
 */
export type Entry = { -readonly [K in keyof Candidate]: Candidate[K] } & { readonly seq: number; readonly host: string }

/** Sort key and tie-breakers for the walker: never walked first, then oldest walk, then oldest entry. */
function walkedEarlier(a: Entry, aWalk: number, b: Entry, bWalk: number): boolean {
  if (aWalk !== bWalk) return aWalk < bWalk
  const wa = a.lastWalk ?? -Infinity
  const wb = b.lastWalk ?? -Infinity
  return wa !== wb ? wa < wb : a.seq < b.seq
}

/**
 * Per category, the eligible entry walked to longest ago (DESIGN §6: keeps NAT holes open).
 * A host's unproven ports count once (docs/security.md, "Sybil and eclipse"): a non-trusted
 * entry that has not sent us a new bundle within `usefulLifetimeMs` ({@link isUseful}) is
 * eligible only when no other unproven port of its host ({@link Entry.host}) was walked to
 * in the last `walkEligibleDelayMs`, and such entries are ordered by that shared walk, so
 * sixteen ports of one machine that forward nothing are walked to as often as one. A port
 * that proved useful is a walk target of its own (the per-address rule, as trusted
 * entries), so honest peers behind one address (a carrier-grade NAT, a campus, the demo on
 * 127.0.0.1) are walked to as often as their usefulness earns: the host's budget per delay
 * is one walk plus one per useful port. A walk to an unproven port that then delivers
 * frees the shared walk at once. With `prefer`, a category's eligible entries for which it
 * holds come first (the oldest of them), the others only when it holds for none (among
 * trusted entries: a trusted peer that forwarded to us before a tracker). Entries for which
 * `allowed` fails are never taken, though their walks still count for their host. Two
 * passes over `entries`.
 */
export function oldestEligible(entries: readonly Entry[], now: number, o: CandidateTableOptions, prefer?: (key: string) => boolean, allowed?: (e: Entry) => boolean): Map<Category, Entry> {
  const counted = (e: Entry): boolean => !e.trusted && !isUseful(e, now, o)
  const hostWalked = new Map<string, number>()
  for (const e of entries) {
    if (e.lastWalk === undefined || !counted(e)) continue
    const last = hostWalked.get(e.host)
    if (last === undefined || e.lastWalk > last) hostWalked.set(e.host, e.lastWalk)
  }
  const best = new Map<Category, { e: Entry; walk: number; preferred: boolean }>()
  for (const e of entries) {
    if (!isEligibleForWalk(e, now, o, o.walkEligibleDelayMs) || (allowed !== undefined && !allowed(e))) continue
    const shared = counted(e)
    const walk = shared ? (hostWalked.get(e.host) ?? -Infinity) : (e.lastWalk ?? -Infinity)
    if (shared && now < walk + o.walkEligibleDelayMs) continue
    const cat = categoryOf(e, now, o)!
    const preferred = prefer !== undefined && prefer(e.key)
    const current = best.get(cat)
    if (current === undefined || (preferred && !current.preferred) || (preferred === current.preferred && walkedEarlier(e, walk, current.e, current.walk))) best.set(cat, { e, walk, preferred })
  }
  return new Map([...best].map(([cat, { e }]) => [cat, e]))
}

/**
 * `weights` with the trusted category raised to `share` of the total (the others keep their
 * proportions); unchanged when `share` is not above what trusted already has, or when
 * trusted's weight is 0 (never drawn stays never drawn).
 */
export function withTrustedShare(weights: CategoryWeights, share: number): CategoryWeights {
  if (weights.trusted === 0) return weights
  const others = weights.walk + weights.stumble + weights.intro
  const trusted = (share * others) / (1 - share)
  return trusted > weights.trusted ? { ...weights, trusted } : weights
}

/**
 * Draws one of `available` with probability proportional to its weight. Drawing among
 * the non-empty categories only is the same as drawing among all four and falling back
 * proportionally when the drawn one is empty. Zero-weight categories are never drawn;
 * `undefined` when nothing has positive weight.
 */
export function drawCategory(available: readonly Category[], weights: CategoryWeights, rng: Rng): Category | undefined {
  const live = CATEGORIES.filter((c) => available.includes(c) && weights[c] > 0)
  if (live.length <= 1) return live[0]
  const total = live.reduce((sum, c) => sum + weights[c], 0)
  let x = float(rng) * total
  for (const c of live) {
    x -= weights[c]
    if (x < 0) return c
  }
  return live[live.length - 1] // rounding: x landed exactly on the total
}

/** The requester of an introduction, as {@link introductionPools} needs it. */
export interface Requester {
  /** Canonical key of the requester's address, or its raw key when unparseable. */
  readonly key: string
  readonly connectionType: ConnectionType
  /** The requester's WAN IP, if known. */
  readonly wanHost: string | undefined
}

/**
 * True when `c` may be introduced to `r`: never the requester itself, and never a
 * symmetric-NAT peer to a symmetric-NAT requester on another WAN IP (neither could
 * predict the other's mapping, so the puncture cannot work).
 */
export function introducible(c: Candidate, r: Requester): boolean {
  if (c.key === r.key) return false
  if (r.connectionType === 'symmetric-NAT' && c.connectionType === 'symmetric-NAT') {
    return r.wanHost !== undefined && sameHost(c.wan.host, r.wanHost)
  }
  return true
}

/**
 * The verified walk and stumble candidates that may be introduced to `r` (intro and
 * trusted candidates never are: hearsay is not passed on, trackers are known anyway).
 */
export function introductionPools(entries: Iterable<Entry>, r: Requester, now: number, o: CandidateTableOptions): { walk: Entry[]; stumble: Entry[] } {
  const walk: Entry[] = []
  const stumble: Entry[] = []
  for (const e of entries) {
    if (!e.verified || e.trusted || !introducible(e, r)) continue
    const cat = categoryOf(e, now, o)
    if (cat === 'walk') walk.push(e)
    else if (cat === 'stumble') stumble.push(e)
  }
  return { walk, stumble }
}

/**
 * Eviction rank of an entry's category: expired 0, intro 1, stumble 2, walk 3 (least
 * proven first). Trusted entries are never evicted.
 */
export const EVICTION_RANK: Readonly<Record<Category | 'expired', number>> = { expired: 0, intro: 1, stumble: 2, walk: 3, trusted: Infinity }

/**
 * The entry to evict among `entries` that pass `filter` and rank at most `maxRank`: the
 * lowest eviction rank, then the oldest last sign of life, then the oldest entry.
 * Trusted entries are never chosen.
 */
export function evictionVictim(entries: Iterable<Entry>, now: number, o: CandidateTableOptions, maxRank: number, filter?: (e: Entry) => boolean): Entry | undefined {
  let victim: Entry | undefined
  let victimRank = Infinity
  let victimSeen = Infinity
  for (const e of entries) {
    if (e.trusted || (filter !== undefined && !filter(e))) continue
    const rank = EVICTION_RANK[categoryOf(e, now, o) ?? 'expired']
    if (rank > maxRank) continue
    const seen = lastSeen(e)
    if (victim === undefined || rank < victimRank || (rank === victimRank && (seen < victimSeen || (seen === victimSeen && e.seq < victim.seq)))) {
      victim = e
      victimRank = rank
      victimSeen = seen
    }
  }
  return victim
}
