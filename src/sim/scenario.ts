/**
 * What one simulation run is made of (docs/evaluation.md): the protocol driver, the
 * population and its churn, NAT kinds, the network, the messages and how long to run.
 * Presets (./presets.ts) are named scenarios; the CLI overrides single fields.
 */
import { BloomwalkError } from '../errors.js'
import { policyError, roomPolicy, type RoomPolicy } from '../bundle/policy.js'
import { MAX_DATAGRAM_BUDGET, MIN_DATAGRAM_BUDGET, type Strategy } from '../sync/config.js'

/** The attack of a scenario. */
export interface AttackSpec {
  /** Attackers' share of all nodes: attackers ÷ (attackers + honest peers), in [0, 1). */
  fraction: number
  /** Ports each attacker host binds and cycles its requests through. */
  ports: number
  /** Introduction-requests each attacker host sends per second. */
  requestsPerSecond: number
  /** Share of those sent to a tracker (the rest to honest peers). */
  trackerShare: number
  /** Answers claim the requester's global time (true) or 0 (false). */
  claimsInSync: boolean
  /**
   * `silent`: forwards nothing, echoes no validation token, ignores idle checks.
   * `adaptive`: echoes validation tokens, collects the room's bundles with sync offers of its
   * own, leaks up to `leakPerWalk` bundles it has held for `holdMs` to each walker that
   * lacks them (to look useful), and answers every idle check `inSync` (./attacker.ts).
   */
  kind: 'silent' | 'adaptive'
  /** Adaptive: how long a collected bundle is withheld before it may be leaked, ms. */
  holdMs: number
  /** Adaptive: bundles leaked to one walk at most. */
  leakPerWalk: number
}

/** Identity bits of the simulator's rooms with spammers: minted for real by every author and checked by every node (2^8 hashes: cheap); the cost a spammer pays is {@link SpamSpec.identityBits} in virtual time (./spammers.ts). */
export const SIM_IDENTITY_BITS = 8

/** The spammers of a scenario (./spammers.ts). */
export interface SpamSpec {
  /** Spammers' share of all nodes: spammers ÷ (spammers + honest peers), in [0, 0.9]; 0 = the same room without spammers. */
  fraction: number
  /** Leading zero bits of the identity cost a spammer pays per identity, in virtual time (20: `OPEN_ROOM_POLICY`). */
  identityBits: number
  /** Virtual microseconds per identity hash on the spammer's machine. */
  hashMicros: number
  /** Body bytes of a spam bundle. */
  bodyBytes: number
}

/** The sync protocol a scenario runs; each has a driver (./driver.ts). */
export type Protocol = 'bloom' | 'mvds-batch' | 'mvds-interactive'
export const PROTOCOLS: readonly Protocol[] = ['bloom', 'mvds-batch', 'mvds-interactive']

/**
 * How a node goes offline:
 * - `restart`: the node is stopped and, when back online, a new node is started on the same
 *   keys, store and address (an app killed and reopened: candidates and filters are lost,
 *   the store is kept);
 * - `offline`: the node keeps running, only its address is offline (a phone in a tunnel:
 *   it walks into the void, its candidates expire).
 */
export type ChurnMode = 'restart' | 'offline'

/** Session lengths: every session exactly `sessionMs`, or exponential with that mean. */
export type SessionDistribution = 'fixed' | 'exponential'

export interface ChurnSpec {
  /** Long-run fraction of time a peer is online, (0, 1]. 1 = no churn. */
  online: number
  /** Session length (fixed) or mean session length (exponential), ms. */
  sessionMs: number
  sessions: SessionDistribution
  mode: ChurnMode
}

export interface NatSpec {
  /** Fraction of peers behind an endpoint-independent (cone) NAT with a stateful filter. */
  cone: number
  /** Fraction of peers behind a symmetric NAT (a new public port per destination). */
  symmetric: number
  /** A mapping's filter entry closes this long after the last outbound datagram, ms. */
  timeoutMs: number
  /**
   * Peers per address (default 1: an address of its own). More: the peers of one kind are
   * grouped in bind order and each group shares one public IP. Behind a NAT (a carrier-grade
   * NAT, a campus, a household) the group also shares one LAN (they reach each other at their
   * private addresses); public peers of a group bind one port each on the shared IP (several
   * processes on one machine, as the demo on 127.0.0.1).
   */
  share?: number
}

export interface NetworkSpec {
  /** Base one-way delay, ms. */
  latencyMs: number
  /** Extra uniform delay in [0, jitterMs), ms. */
  jitterMs: number
  loss: number
  duplication: number
  reorder: number
}

/** A preloaded overlay history: `bundles` old bundles every peer holds except a random `missing` fraction each. */
export interface HistorySpec {
  bundles: number
  missing: number
}

export interface Scenario {
  name: string
  /** One line: what it models. */
  description: string
  protocol: Protocol
  /** Peers (mailserver and trackers not counted). */
  peers: number
  /** Messages published during the run. */
  messages: number
  /** `each`: message i is published by peer i mod peers; `random`: by a uniformly random peer. */
  authors: 'each' | 'random'
  /** Encoded size of each published bundle, bytes (the body is sized to match). */
  bundleBytes: number
  /** Messages are published at uniform times in [publishStartMs, publishStartMs + publishWindowMs]; an offline author publishes when next online. */
  publishStartMs: number
  publishWindowMs: number
  /** Virtual time limit, ms. */
  durationMs: number
  /** End the run as soon as every receiver has every message (the costs are then those of full delivery). */
  stopWhenComplete: boolean
  /** Convergence curve sampling interval, ms. */
  sampleMs: number
  network: NetworkSpec
  churn: ChurnSpec
  nat: NatSpec
  /** An always-online relay; `reliability` is the fraction of its answers that leave it. */
  mailserver: { reliability: number } | null
  /** Use a multicast topic (MVDS drivers: one send reaches every online subscriber). */
  multicast: boolean
  /**
   * MVDS drivers: members also walk the group among themselves with Bloom offers, and an
   * offer from a member acknowledges the records it holds (the node's `mvds.bloomAck`; seed
   * p2p-data-sync-mobile, Enhancement 3). The walk uses `stepIntervalMs`, `sync` and `push`.
   */
  bloomAck: boolean
  /** With `bloomAck`: retransmit only to members heard from within this many MVDS epochs (the node's `mvds.heardWithin`); null: blindly, as the spec. */
  heardWithin: number | null
  /** Bloom sync parameters. */
  sync: {
    strategy: Strategy
    datagramBudget: number
    falsePositiveRate: number
    responseBudget: number
    /** A filter that got answers is reused up to this many times (the node's default when absent: 100). */
    reuseLimit?: number
    /** The idle skip curve (the node's default when absent; [0]: never skip). */
    skipCurve?: readonly number[]
    /** Bloom probes per id instead of the optimum (the capacity follows). */
    hashFunctions?: number
  }
  /** Bloom driver: idle checks and catch-up by coded symbols after walk steps (DESIGN §11; the node's default is on). */
  catchUp: boolean
  /** Walk step interval, ms (DESIGN §6: 5 000). */
  stepIntervalMs: number
  /**
   * Bloom driver: push on publish and forwarding of fresh bundles (DESIGN §13), with the
   * node's defaults where a field is absent; `null`: push off (the Bloom walk alone, as Dispersy's pull).
   */
  push: { fanout?: number; forwardFanout?: number; announceFanout?: number; hops?: number; freshWindow?: number; busyFreshPerSecond?: number; busyAuthorsPerSecond?: number } | null
  /** Trackers (bloom driver). */
  trackers: number
  /**
   * Bloom driver: peers trust the trackers (DESIGN §6: walked to on 1 % of steps, and
   * whenever no other candidate is eligible). False: the trackers are a bootstrap only,
   * walked to only when no other candidate is eligible (category weight 10⁻⁹, not 1 %).
   */
  trusted: boolean
  /** Bloom driver: peers 0 … trustedPeers − 1 are configured at every peer beside the trackers (DESIGN §6's trusted peers; otherwise ordinary peers, churning as any peer does). */
  trustedPeers: number
  /** Sybil attackers attempting an eclipse (bloom driver, ./attacker.ts); null: none. */
  attack: AttackSpec | null
  /**
   * Bloom driver: spammers in the room (./spammers.ts; the spam-* presets), with its policy.
   * With a spec (even at fraction 0, the same room without spammers) the room's policy asks
   * for identities of `SIM_IDENTITY_BITS` (./spammers.ts) bits, minted and checked for real.
   */
  spam: SpamSpec | null
  history: HistorySpec | null
  /**
   * Bloom driver: the room's policy (DESIGN §14; quota, history, global-time pruning, store
   * cap), the fields given over the default policy; the room id commits to it. null: the
   * default policy. The simulator does not model the identity cost (`identityBits` 0).
   */
  policy: Partial<Omit<RoomPolicy, 'identityBits'>> | null
  /**
   * The peers' bundle stores: `interned` (one copy of each bundle shared by all simulated
   * nodes, a bit set per node: ./interned-store.ts) or `memory` (a MemoryStore per node).
   * Both implement the same store contract; results are identical.
   */
  store: 'interned' | 'memory'
  /**
   * Handlers' asynchronous continuations run at most this long after the event that caused
   * them, ms. 0 = exact: the simulator lets every promise chain finish before the clock
   * moves on. Larger values batch events (faster, coarser).
   */
  quantumMs: number
}

/** Most (message, receiver) pairs a run tracks: a delivery time of 8 bytes each, 800 MB at the bound. */
export const MAX_PAIRS = 100_000_000

/** The (message, receiver) pairs a scenario owes: every published message to every other peer, each history bundle to the peers that lack it. */
export function owedPairs(s: Scenario): number {
  const history = s.history === null ? 0 : s.peers * Math.min(s.history.bundles, Math.round(s.history.missing * s.history.bundles))
  return s.messages * (s.peers - 1) + history
}

/** @throws {BloomwalkError} INVALID_ARGUMENT naming the first field out of range */
export function checkScenario(s: Scenario): Scenario {
  const bad = (field: string, why: string): never => {
    throw new BloomwalkError('INVALID_ARGUMENT', `scenario ${s.name}: ${field} ${why}`)
  }
  const int = (field: string, v: number, min: number, max = Number.MAX_SAFE_INTEGER) => {
    if (!Number.isInteger(v) || v < min || v > max) bad(field, `must be an integer in [${min}, ${max}], got ${v}`)
  }
  const prob = (field: string, v: number) => {
    if (!(v >= 0 && v <= 1)) bad(field, `must be in [0, 1], got ${v}`)
  }
  if (!PROTOCOLS.includes(s.protocol)) bad('protocol', `must be one of ${PROTOCOLS.join(', ')}`)
  int('peers', s.peers, 2, 100_000)
  int('messages', s.messages, 1, 10_000_000)
  int('bundleBytes', s.bundleBytes, 142, MAX_DATAGRAM_BUDGET - 16)
  int('durationMs', s.durationMs, 1)
  int('sampleMs', s.sampleMs, 1)
  int('stepIntervalMs', s.stepIntervalMs, 1)
  int('trackers', s.trackers, 1, 16)
  if (!(s.publishStartMs >= 0) || !(s.publishWindowMs >= 0)) bad('publish window', 'must be ≥ 0')
  if (!(s.quantumMs >= 0)) bad('quantumMs', 'must be ≥ 0')
  if (!(s.churn.online > 0 && s.churn.online <= 1)) bad('churn.online', `must be in (0, 1], got ${s.churn.online}`)
  if (!(s.churn.sessionMs > 0)) bad('churn.sessionMs', 'must be > 0')
  prob('nat.cone', s.nat.cone)
  prob('nat.symmetric', s.nat.symmetric)
  if (s.nat.cone + s.nat.symmetric > 1) bad('nat', 'cone + symmetric must be ≤ 1')
  if (s.nat.share !== undefined) int('nat.share', s.nat.share, 1, 65_536)
  prob('network.loss', s.network.loss)
  prob('network.duplication', s.network.duplication)
  prob('network.reorder', s.network.reorder)
  if (s.mailserver !== null) prob('mailserver.reliability', s.mailserver.reliability)
  int('sync.datagramBudget', s.sync.datagramBudget, MIN_DATAGRAM_BUDGET, MAX_DATAGRAM_BUDGET)
  if (!(s.sync.falsePositiveRate > 0 && s.sync.falsePositiveRate < 1)) bad('sync.falsePositiveRate', 'must be in (0, 1)')
  int('sync.responseBudget', s.sync.responseBudget, 1)
  if (s.sync.reuseLimit !== undefined) int('sync.reuseLimit', s.sync.reuseLimit, 0, 1_000_000)
  if (s.sync.hashFunctions !== undefined) int('sync.hashFunctions', s.sync.hashFunctions, 1, 32)
  for (const p of s.sync.skipCurve ?? []) prob('sync.skipCurve', p)
  if (s.bundleBytes > s.sync.datagramBudget - 16) bad('bundleBytes', `must fit one datagram of ${s.sync.datagramBudget} bytes`)
  int('trustedPeers', s.trustedPeers, 0, s.peers)
  if (s.push !== null) for (const [k, v] of Object.entries(s.push)) if (v !== undefined) int(`push.${k}`, v, 0, 1000)
  if (s.attack !== null) {
    if (!(s.attack.fraction >= 0 && s.attack.fraction <= 0.9)) bad('attack.fraction', `must be in [0, 0.9], got ${s.attack.fraction}`)
    int('attack.ports', s.attack.ports, 1, 1024)
    if (!(s.attack.requestsPerSecond >= 0 && s.attack.requestsPerSecond <= 1000)) bad('attack.requestsPerSecond', `must be in [0, 1000], got ${s.attack.requestsPerSecond}`)
    prob('attack.trackerShare', s.attack.trackerShare)
    if (s.protocol !== 'bloom') bad('attack', 'needs protocol bloom')
  }
  if (s.spam !== null) {
    if (!(s.spam.fraction >= 0 && s.spam.fraction <= 0.9)) bad('spam.fraction', `must be in [0, 0.9], got ${s.spam.fraction}`)
    int('spam.identityBits', s.spam.identityBits, 0, 40)
    if (!(s.spam.hashMicros > 0 && s.spam.hashMicros <= 1e6)) bad('spam.hashMicros', `must be in (0, 1e6], got ${s.spam.hashMicros}`)
    int('spam.bodyBytes', s.spam.bodyBytes, 0, s.sync.datagramBudget - 200)
    if (s.protocol !== 'bloom') bad('spam', 'needs protocol bloom')
  }
  if (s.history !== null) {
    int('history.bundles', s.history.bundles, 0, 10_000_000)
    prob('history.missing', s.history.missing)
  }
  if (s.protocol !== 'bloom') {
    // MVDS peers address each other directly and have no overlay to preload.
    if (s.nat.cone + s.nat.symmetric > 0) bad('protocol', `${s.protocol} needs public peers (MVDS has no NAT traversal): this scenario puts peers behind NATs`)
    if (s.history !== null && s.history.bundles > 0) bad('protocol', `${s.protocol} has no overlay history to preload: this scenario has one`)
  }
  if (s.policy !== null) {
    if (s.protocol !== 'bloom') bad('policy', 'needs protocol bloom')
    // The simulator's rooms ask for identity work only with spammers (./spammers.ts); an identity epoch needs it.
    const problem = policyError(roomPolicy({ ...s.policy, ...(s.spam === null ? {} : { identityBits: SIM_IDENTITY_BITS }) }))
    if (problem !== undefined) bad('policy', problem)
  }
  if (s.bloomAck && s.protocol === 'bloom') bad('bloomAck', 'needs an MVDS protocol (mvds-batch, mvds-interactive)')
  if (s.heardWithin !== null) {
    int('heardWithin', s.heardWithin, 1)
    if (!s.bloomAck) bad('heardWithin', 'needs bloomAck (the Bloom walk brings a silent member what it lacks)')
  }
  const pairs = owedPairs(s)
  if (pairs > MAX_PAIRS) bad('size', `owes ${pairs} (message, receiver) pairs; at most ${MAX_PAIRS} are tracked (8 bytes each): fewer peers or messages`)
  return s
}
