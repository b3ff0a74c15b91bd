/**
 * Named scenarios (docs/evaluation.md): the seven simulations of the seed
 * p2p-data-sync-mobile (DESIGN §10) and the DBS paper's regime, plus command-line
 * overrides of single fields.
 */
import { BloomwalkError } from '../errors.js'
import type { Strategy } from '../sync/config.js'
import type { AttackSpec } from './scenario.js'
import { PROTOCOLS, checkScenario, type NetworkSpec, type Protocol, type Scenario } from './scenario.js'

const MINUTE = 60_000
const HOUR = 60 * MINUTE

/** A mobile network: 60 ± 20 ms one way, 1 % loss, rare duplicates and reordering. */
const MOBILE: NetworkSpec = { latencyMs: 50, jitterMs: 20, loss: 0.01, duplication: 0.001, reorder: 0.01 }
/** The DAS4 cluster of Dispersy's test bed: a LAN. */
const CLUSTER: NetworkSpec = { latencyMs: 1, jitterMs: 1, loss: 0, duplication: 0, reorder: 0 }
/** A wide-area network without churn-induced loss. */
const WAN: NetworkSpec = { latencyMs: 40, jitterMs: 20, loss: 0.005, duplication: 0, reorder: 0.005 }

const BASE: Scenario = {
  name: 'base',
  description: '',
  protocol: 'bloom',
  peers: 100,
  messages: 500,
  authors: 'each',
  bundleBytes: 196,
  publishStartMs: 0,
  publishWindowMs: HOUR,
  durationMs: 48 * HOUR,
  stopWhenComplete: true,
  sampleMs: MINUTE,
  network: MOBILE,
  churn: { online: 0.1, sessionMs: 5 * MINUTE, sessions: 'fixed', mode: 'restart' },
  nat: { cone: 0, symmetric: 0, timeoutMs: MINUTE },
  mailserver: null,
  multicast: false,
  bloomAck: false,
  heardWithin: null,
  sync: { strategy: 'largest', datagramBudget: 1200, falsePositiveRate: 0.01, responseBudget: 5120 },
  catchUp: true,
  stepIntervalMs: 5000,
  push: {},
  trackers: 1,
  trusted: true,
  trustedPeers: 0,
  attack: null,
  spam: null,
  history: null,
  policy: null,
  store: 'interned',
  quantumMs: 0
}

const MAILSERVER = { reliability: 0.9 }

/**
 * The Sybil attack of the sybil-* presets (./attacker.ts): each attacker host cycles 16
 * ports (twice the per-/24 cap of 8), sends one introduction-request per second (five times
 * an honest peer's walk rate), a quarter of them to the tracker, and answers walks as if in
 * sync with the walker.
 */
const SYBILS: Omit<AttackSpec, 'fraction'> = { ports: 16, requestsPerSecond: 1, trackerShare: 0.25, claimsInSync: true, kind: 'silent', holdMs: 0, leakPerWalk: 0 }

/**
 * The adaptive Sybils of the sybil-*-adaptive presets (issue 23): one port per host (ports
 * are worth nothing since "a host counts once"; it spends on addresses), validated, collects
 * the room and leaks one bundle it has held for 10 minutes per walk, answers idle checks in sync.
 */
const ADAPTIVE_SYBILS: Omit<AttackSpec, 'fraction'> = { ...SYBILS, ports: 1, kind: 'adaptive', holdMs: 10 * MINUTE, leakPerWalk: 1 }

/**
 * 100 honest peers always online on a mobile network, 200 messages in the first 5 minutes,
 * at most 30 minutes; every peer trusts the tracker and 3 honest peers; attackers are `percent`
 * of all nodes.
 */
function sybil(percent: number, kind: AttackSpec['kind'] = 'silent'): Scenario {
  const adaptive = kind === 'adaptive'
  const name = adaptive ? `sybil-${percent}-adaptive` : `sybil-${percent}`
  const who = adaptive ? 'adaptive Sybils (validated, leak old bundles, answer idle checks in sync)' : 'Sybils'
  return preset(name, `${who} attempting an eclipse: ${percent} % of all nodes are attackers (100 honest peers, 200 messages, trusted tracker and 3 trusted peers)`, {
    trustedPeers: 3,
    messages: 200,
    publishWindowMs: 5 * MINUTE,
    durationMs: 30 * MINUTE,
    sampleMs: 10_000,
    churn: { ...BASE.churn, online: 1 },
    attack: { ...(adaptive ? ADAPTIVE_SYBILS : SYBILS), fraction: percent / 100 }
  })
}

/**
 * The room of the spam-* presets: 5 bundles per author per 200 global-time units, the newest
 * 20 per author, not offered after 2 000 units, deleted after 4 000 (the policy
 * `npm run measure:spam` used before these presets existed).
 */
const SPAM_ROOM: Scenario['policy'] = { quota: { count: 5, window: 200 }, history: 20, pruning: { inactive: 2000, pruned: 4000 } }

/**
 * 20 honest peers always online on a mobile network, 3 messages each in the first 5
 * minutes, 8 minutes in all (the spam makes larger runs slow: 30 peers over 9 minutes took
 * 200 s of CPU at 10 %); spammers are `percent` of all nodes and pay `OPEN_ROOM_POLICY`'s
 * identity cost (20 bits) at 1.5 µs a hash: 1.57 s per identity.
 */
function spam(percent: number): Scenario {
  return preset(`spam-${percent}`, `an open room under spam: ${percent} % of all nodes are spammers minting an identity every 1.57 s (20 bits at 1.5 µs a hash) and filling every identity's quota (20 honest peers, 60 messages)`, {
    peers: 20,
    messages: 60,
    publishWindowMs: 5 * MINUTE,
    durationMs: 8 * MINUTE,
    stopWhenComplete: false,
    sampleMs: 10_000,
    churn: { ...BASE.churn, online: 1 },
    policy: SPAM_ROOM,
    spam: { fraction: percent / 100, identityBits: 20, hashMicros: 1.5, bodyBytes: 100 }
  })
}

function preset(name: string, description: string, fields: Partial<Scenario>): Scenario {
  return { ...BASE, ...fields, name, description }
}

/** Every preset by name. */
export const PRESETS: Readonly<Record<string, Scenario>> = Object.freeze({
  'seed-1': preset('seed-1', '1:1 chat, 2 peers online 10 % in 5-minute sessions, 5 messages each, MVDS', { protocol: 'mvds-batch', peers: 2, messages: 10 }),
  'seed-2': preset('seed-2', 'seed-1 with a mailserver relaying at 90 % reliability, MVDS', { protocol: 'mvds-batch', peers: 2, messages: 10, mailserver: MAILSERVER }),
  'seed-3': preset('seed-3', 'public chat, 100 peers online 10 %, 5 messages each, MVDS pairwise', { protocol: 'mvds-batch' }),
  'seed-4': preset('seed-4', 'seed-3 over a multicast topic, MVDS', { protocol: 'mvds-batch', multicast: true }),
  'seed-3-bloom': preset('seed-3-bloom', 'seed-3 with Bloom offers as acknowledgements: members also walk the group with Bloom offers (no push, no catch-up), retransmit only to members heard from within 60 epochs, MVDS batch', {
    protocol: 'mvds-batch',
    bloomAck: true,
    heardWithin: 60,
    push: null,
    catchUp: false
  }),
  'seed-3-bloom-interactive': preset('seed-3-bloom-interactive', 'seed-3-bloom in MVDS interactive mode (OFFER → REQUEST → MESSAGE)', {
    protocol: 'mvds-interactive',
    bloomAck: true,
    heardWithin: 60,
    push: null,
    catchUp: false
  }),
  'seed-5': preset('seed-5', 'seed-4 with a mailserver at 90 %, MVDS', { protocol: 'mvds-batch', multicast: true, mailserver: MAILSERVER }),
  'seed-6': preset('seed-6', 'public chat, 100 peers online 10 %, 5 messages each, Dispersy bloom sync', {}),
  'seed-7': preset('seed-7', 'seed-6 with a mailserver at 90 %', { mailserver: MAILSERVER }),
  'dbs-500': preset('dbs-500', "Dispersy's DAS4 test: 500 peers, 3 000 messages of 196 bytes, 5 120-byte responses, 15 minutes, no churn", {
    peers: 500,
    messages: 3000,
    authors: 'random',
    publishWindowMs: MINUTE,
    durationMs: 15 * MINUTE,
    sampleMs: 10_000,
    network: CLUSTER,
    churn: { ...BASE.churn, online: 1 }
  }),
  'dbs-churn': preset('dbs-churn', '1 000 peers online 50 % in 30-second sessions, 64 % behind cone NATs, 10 % symmetric, 500 messages', {
    peers: 1000,
    messages: 500,
    authors: 'random',
    publishWindowMs: 5 * MINUTE,
    durationMs: HOUR,
    sampleMs: 10_000,
    network: MOBILE,
    churn: { online: 0.5, sessionMs: 30_000, sessions: 'exponential', mode: 'restart' },
    nat: { cone: 0.64, symmetric: 0.1, timeoutMs: MINUTE }
  }),
  large: preset('large', '1 000 peers over a 100 000-bundle history (each lacks 100 old bundles) plus 1 000 new messages', {
    peers: 1000,
    messages: 1000,
    authors: 'random',
    publishWindowMs: 5 * MINUTE,
    durationMs: 30 * MINUTE,
    sampleMs: 10_000,
    network: WAN,
    churn: { ...BASE.churn, online: 1 },
    history: { bundles: 100_000, missing: 0.001 }
  }),
  spread: preset('spread', 'a fresh message everywhere: 1 000 peers all online, settled 2 minutes, then 50 messages at random moments over 10 minutes; 50 ± 20 ms, 1 % loss', {
    peers: 1000,
    messages: 50,
    authors: 'random',
    publishStartMs: 2 * MINUTE,
    publishWindowMs: 10 * MINUTE,
    durationMs: 13 * MINUTE,
    sampleMs: 10_000,
    network: { latencyMs: 50, jitterMs: 20, loss: 0.01, duplication: 0, reorder: 0 },
    churn: { ...BASE.churn, online: 1 }
  }),
  retention: preset('retention', 'a room for a virtual day: 60 peers online 50 % in 30-minute sessions, 2 000 messages over 23 hours, bundles deleted 300 global-time units behind (about 3.5 hours), then an hour to settle', {
    peers: 60,
    messages: 2000,
    authors: 'random',
    publishWindowMs: 23 * HOUR,
    durationMs: 24 * HOUR,
    stopWhenComplete: false,
    sampleMs: 10 * MINUTE,
    churn: { online: 0.5, sessionMs: 30 * MINUTE, sessions: 'exponential', mode: 'restart' },
    policy: { pruning: { inactive: 250, pruned: 300 } }
  }),
  'spam-10': spam(10),
  'spam-30': spam(30),
  'sybil-10': sybil(10),
  'sybil-30': sybil(30),
  'sybil-50': sybil(50),
  'sybil-10-adaptive': sybil(10, 'adaptive'),
  'sybil-30-adaptive': sybil(30, 'adaptive'),
  'sybil-50-adaptive': sybil(50, 'adaptive'),
  faults: preset('faults', '100 peers online 50 % in 30-second sessions, 30 % loss, 10 % duplication, 10 % reordered, 200 messages', {
    messages: 200,
    publishWindowMs: 5 * MINUTE,
    durationMs: 4 * HOUR,
    sampleMs: 10_000,
    network: { ...MOBILE, loss: 0.3, duplication: 0.1, reorder: 0.1 },
    churn: { online: 0.5, sessionMs: 30_000, sessions: 'exponential', mode: 'restart' }
  })
})

/** Command-line overrides of a preset (undefined fields keep the preset's value). */
export interface Overrides {
  nodes?: number
  messages?: number
  protocol?: Protocol
  strategy?: Strategy
  online?: number
  /** Session length in seconds. */
  session?: number
  loss?: number
  budget?: number
  fpr?: number
  /** Virtual time limit in seconds. */
  duration?: number
  churnMode?: Scenario['churn']['mode']
  catchUp?: boolean
  /** Attackers' share of all nodes (a preset without an attack gets the sybil presets' attack). */
  attackers?: number
  /** MVDS: members walk the group and a member's Bloom offer acknowledges (Enhancement 3). */
  bloomAck?: boolean
  /** MVDS with bloomAck: retransmit only to members heard from within this many epochs (0: blindly). */
  heardWithin?: number
  /** Peers trust the trackers (false: the trackers are a bootstrap only). */
  trusted?: boolean
  /** Honest peers every peer trusts beside the trackers. */
  trustedPeers?: number
  /** Spammers' share of all nodes (a preset without spammers gets the spam presets' spammers and room). */
  spammers?: number
  /** Leading zero bits of the identity cost a spammer pays per identity (a preset without spammers gets the spam presets' room, as {@link Overrides.spammers}). */
  spamBits?: number
  /** The room's identity epoch (global-time units; 0: a proof lasts for good); a preset without spammers gets the spam presets' room, as {@link Overrides.spammers}. */
  identityEpoch?: number
  /** Ports per attacker host. */
  attackPorts?: number
  /** Introduction-requests per second per attacker host. */
  attackRate?: number
  /** Attackers answer as if in sync (true) or with global time 0. */
  attackClaimsInSync?: boolean
  /** The attacker's kind (the adaptive one's defaults: one port, 10-minute hold, one bundle leaked per walk). */
  attackKind?: AttackSpec['kind']
  /** Push on publish and forwarding (false: the Bloom walk alone). */
  push?: boolean
  pushFanout?: number
  pushForward?: number
  pushAnnounce?: number
  pushHops?: number
  pushFresh?: number
  pushBusy?: number
  pushBusyAuthors?: number
  /** Bytes of bundles answered per offer. */
  responseBudget?: number
  /** Walk step interval, ms. */
  stepIntervalMs?: number
  /** Reuses of a filter that got answers. */
  reuseLimit?: number
  /** The idle skip curve on (the node's default) or off (an offer on every step). */
  skipCurve?: boolean
  /** Bloom probes per id instead of the optimum. */
  hashFunctions?: number
}

/** The preset `name`. @throws {BloomwalkError} INVALID_ARGUMENT for an unknown name */
export function presetNamed(name: string): Scenario {
  const p = PRESETS[name]
  if (p === undefined) throw new BloomwalkError('INVALID_ARGUMENT', `unknown preset "${name}"; presets: ${Object.keys(PRESETS).join(', ')}`)
  return structuredClone(p)
}

/** A preset with overrides applied and checked. @throws {BloomwalkError} INVALID_ARGUMENT */
export function withOverrides(base: Scenario, o: Overrides): Scenario {
  const s: Scenario = structuredClone(base)
  if (o.nodes !== undefined) s.peers = o.nodes
  if (o.messages !== undefined) s.messages = o.messages
  if (o.protocol !== undefined) {
    if (!PROTOCOLS.includes(o.protocol)) throw new BloomwalkError('INVALID_ARGUMENT', `unknown protocol ${o.protocol}`)
    s.protocol = o.protocol
  }
  if (o.strategy !== undefined) s.sync.strategy = o.strategy
  if (o.online !== undefined) s.churn.online = o.online
  if (o.session !== undefined) s.churn.sessionMs = Math.round(o.session * 1000)
  if (o.loss !== undefined) s.network.loss = o.loss
  if (o.budget !== undefined) s.sync.datagramBudget = o.budget
  if (o.fpr !== undefined) s.sync.falsePositiveRate = o.fpr
  if (o.duration !== undefined) s.durationMs = Math.max(1, Math.round(o.duration * 1000))
  if (o.churnMode !== undefined) s.churn.mode = o.churnMode
  if (o.catchUp !== undefined) s.catchUp = o.catchUp
  if (o.attackers !== undefined) s.attack = { ...(s.attack ?? SYBILS), fraction: o.attackers }
  if (o.spammers !== undefined) {
    s.spam = { ...(s.spam ?? PRESETS['spam-10']!.spam!), fraction: o.spammers }
    s.policy ??= structuredClone(SPAM_ROOM)
  }
  if (o.spamBits !== undefined) {
    s.spam = { ...(s.spam ?? { ...PRESETS['spam-10']!.spam!, fraction: 0 }), identityBits: o.spamBits }
    s.policy ??= structuredClone(SPAM_ROOM)
  }
  if (o.identityEpoch !== undefined) {
    s.spam ??= { ...PRESETS['spam-10']!.spam!, fraction: 0 }
    s.policy = { ...(s.policy ?? structuredClone(SPAM_ROOM)), identityEpoch: o.identityEpoch }
  }
  if (o.trusted !== undefined) s.trusted = o.trusted
  if (o.bloomAck !== undefined) s.bloomAck = o.bloomAck
  if (o.heardWithin !== undefined) s.heardWithin = o.heardWithin === 0 ? null : o.heardWithin
  if (o.trustedPeers !== undefined) s.trustedPeers = o.trustedPeers
  const attack = (): AttackSpec => (s.attack ??= { ...SYBILS, fraction: 0 })
  if (o.attackKind !== undefined && attack().kind !== o.attackKind) Object.assign(attack(), o.attackKind === 'adaptive' ? ADAPTIVE_SYBILS : SYBILS, { fraction: attack().fraction })
  if (o.attackPorts !== undefined) attack().ports = o.attackPorts
  if (o.attackRate !== undefined) attack().requestsPerSecond = o.attackRate
  if (o.attackClaimsInSync !== undefined) attack().claimsInSync = o.attackClaimsInSync
  if (o.push === false) s.push = null
  else if (o.push === true) s.push ??= {}
  const push = () => (s.push ??= {})
  if (o.pushFanout !== undefined) push().fanout = o.pushFanout
  if (o.pushForward !== undefined) push().forwardFanout = o.pushForward
  if (o.pushAnnounce !== undefined) push().announceFanout = o.pushAnnounce
  if (o.pushHops !== undefined) push().hops = o.pushHops
  if (o.pushFresh !== undefined) push().freshWindow = o.pushFresh
  if (o.pushBusy !== undefined) push().busyFreshPerSecond = o.pushBusy
  if (o.pushBusyAuthors !== undefined) push().busyAuthorsPerSecond = o.pushBusyAuthors
  if (o.responseBudget !== undefined) s.sync.responseBudget = o.responseBudget
  if (o.stepIntervalMs !== undefined) s.stepIntervalMs = o.stepIntervalMs
  if (o.reuseLimit !== undefined) s.sync.reuseLimit = o.reuseLimit
  if (o.skipCurve === false) s.sync.skipCurve = [0]
  else if (o.skipCurve === true) delete s.sync.skipCurve
  if (o.hashFunctions !== undefined) s.sync.hashFunctions = o.hashFunctions
  return checkScenario(s)
}
