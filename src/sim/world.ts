/**
 * The simulated world a driver builds on: virtual clock, seeded randomness, the in-memory
 * network (with NATs when the scenario has any), the delivery log, and address planning
 * (public hosts, and private hosts behind their own NAT).
 */
import { ManualClock } from '../env/clock.js'
import { SeededRng, shuffle } from '../env/rng.js'
import { MemoryNetwork, type MemoryTransport, type TransportStats } from '../transport/index.js'
import type { TrafficCounters } from '../node/index.js'
import type { Bundle } from '../bundle/types.js'
import { DeliveryLog } from './deliveries.js'
import { sharedVerifier } from './verify.js'
import { NatLayer, privateHost, publicHost, type NatKind } from './nat.js'
import type { Scenario } from './scenario.js'

/** What a host is in the run. */
export type HostRole = 'peer' | 'tracker' | 'mailserver' | 'spammer'

/** One bound endpoint, for traffic totals. */
export interface HostTraffic {
  role: HostRole
  /** Peer index (peers only). */
  index: number
  stats(): TransportStats
}

/** Mixed into the seed for {@link SimWorld.mailserverRng} ("mail"). */
const MAILSERVER_STREAM = 0x6d61696c
/** Mixed into the seed for {@link SimWorld.spamRng} ("spam"). */
const SPAM_STREAM = 0x7370616d

/** Virtual start time: large enough that "time 0" never means "never" in node code. */
export const SIM_EPOCH_MS = 1_000_000

export class SimWorld {
  readonly scenario: Scenario
  readonly clock: ManualClock
  readonly rng: SeededRng
  /**
   * The mailserver's own stream (its keys, its node, its drops), apart from {@link SimWorld.rng}:
   * adding a mailserver leaves every draw of the main stream as it was, so seed-2, seed-5 and
   * seed-7 run the same churn, publications and peer keys as seed-1, seed-4 and seed-6.
   */
  readonly mailserverRng: SeededRng
  /** The spammers' own stream (their keys, nodes and bundles), for the same reason: a spam preset's honest peers are those of its run without spammers. */
  readonly spamRng: SeededRng
  readonly net: MemoryNetwork
  readonly nat: NatLayer | null
  readonly log: DeliveryLog
  /** NAT kind of each peer. */
  readonly natKinds: NatKind[]
  /** The signature check every node uses (memoised across nodes, ./verify.ts). */
  readonly verify: (bundle: Bundle) => boolean
  #nextPublic = 0
  #nextPrivate = 0
  /** Per NAT kind: peers bound behind it so far, and the public IP of its current NAT (scenario `nat.share`). */
  readonly #sharing = new Map<NatKind, { bound: number; publicIp: string }>()

  /** Ed25519 signing for bundles the simulator makes (preloaded history, spam); undefined: @noble/curves. */
  readonly sign: ((message: Uint8Array, secretKey: Uint8Array) => Uint8Array) | undefined

  constructor(scenario: Scenario, seed: number, log: DeliveryLog, options: { verify?: (bundle: Bundle) => boolean; sign?: (message: Uint8Array, secretKey: Uint8Array) => Uint8Array } = {}) {
    this.scenario = scenario
    this.sign = options.sign
    this.verify = sharedVerifier(options.verify)
    this.clock = new ManualClock(SIM_EPOCH_MS)
    this.rng = new SeededRng(seed)
    this.mailserverRng = new SeededRng((seed ^ MAILSERVER_STREAM) >>> 0)
    this.spamRng = new SeededRng((seed ^ SPAM_STREAM) >>> 0)
    const n = scenario.network
    this.net = new MemoryNetwork({
      clock: this.clock,
      rng: this.rng.fork(),
      latencyMs: n.latencyMs,
      jitterMs: n.jitterMs,
      loss: n.loss,
      duplication: n.duplication,
      reorder: n.reorder,
      maxDatagram: 1472
    })
    this.log = log
    this.natKinds = assignNatKinds(scenario, this.rng.fork())
    const natted = this.natKinds.some((k) => k !== 'public')
    this.nat = natted ? new NatLayer(this.clock, scenario.nat.timeoutMs) : null
    if (this.nat !== null) this.net.interceptor = this.nat.interceptor
  }

  /** Virtual ms since the start of the run. */
  elapsed(): number {
    return this.clock.now() - SIM_EPOCH_MS
  }

  /** Binds a host with a public address (trackers, mailservers, public peers). */
  bindPublic(): MemoryTransport {
    return this.net.bind({ host: publicHost(this.#nextPublic++), port: 7759 })
  }

  /** Binds peer `index` by its NAT kind: public (on an IP of its own, or one port of an IP shared by `nat.share` peers), or private behind a NAT (of its own, or shared by `nat.share` peers). */
  bindPeer(index: number): MemoryTransport {
    const kind = this.natKinds[index]!
    const share = this.scenario.nat.share ?? 1
    if (kind === 'public' || this.nat === null) {
      if (share === 1) return this.bindPublic()
      // Public peers sharing an address: one IP, a port each (one machine, or a household's forwarded ports).
      const group = this.#group('public', share)
      return this.net.bind({ host: group.publicIp, port: 7759 + group.bound - 1 })
    }
    const transport = this.net.bind({ host: privateHost(this.#nextPrivate++), port: 7759 })
    this.nat.add(kind, transport.address(), this.#group(kind, share).publicIp)
    return transport
  }

  /** The address group the next peer of `kind` joins: a new public IP every `share` peers. */
  #group(kind: NatKind, share: number): { bound: number; publicIp: string } {
    let group = this.#sharing.get(kind)
    if (group === undefined || group.bound % share === 0) {
      group = { bound: 0, publicIp: publicHost(this.#nextPublic++) }
      this.#sharing.set(kind, group)
    }
    group.bound++
    return group
  }
}

/** A deterministic NAT kind per peer: a shuffled share `cone`, then `symmetric`, the rest public. */
function assignNatKinds(s: Scenario, rng: SeededRng): NatKind[] {
  const order = shuffle(rng, Array.from({ length: s.peers }, (_, i) => i))
  const kinds: NatKind[] = new Array<NatKind>(s.peers).fill('public')
  const cone = Math.round(s.nat.cone * s.peers)
  const symmetric = Math.round(s.nat.symmetric * s.peers)
  order.forEach((peer, i) => {
    if (i < cone) kinds[peer] = 'cone'
    else if (i < cone + symmetric) kinds[peer] = 'symmetric'
  })
  return kinds
}

/** Adds per-type counters into `into`. */
export function addTraffic(into: Record<string, TrafficCounters>, from: Record<string, TrafficCounters>, sign = 1): void {
  for (const [type, c] of Object.entries(from)) {
    const t = (into[type] ??= { datagrams: 0, bytes: 0 })
    t.datagrams += sign * c.datagrams
    t.bytes += sign * c.bytes
  }
}
