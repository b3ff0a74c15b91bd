/**
 * Sybil attackers attempting an eclipse (issue 8; docs/security.md, "Sybil and eclipse"): an
 * adversarial role that speaks the real wire (`encodePacket` / `decodePacket`) over the same
 * {@link MemoryNetwork} as the honest nodes, which are unchanged `BloomwalkNode`s.
 *
 * Each attacker host has an IP of its own /24 and /16 (the per-/16 cap never binds; the
 * per-/24 cap binds on its ports), binds `ports` ports, and:
 * - answers every introduction-request, from the port it was sent to, with an introduction
 *   of another attacker (a random port of a random other attacker host), never an honest
 *   peer, claiming the requester's own global time (as if in sync: nothing owed either way;
 *   an answered round with nothing new feeds the walker's skip curve) or, with
 *   `claimsInSync` off, global time 0 (as a tracker does: a round that says nothing);
 * - forwards nothing: ignores bundles, bundle-requests, symbols-requests, punctures and
 *   puncture-requests, and stores nothing;
 * - floods stumbles: `requestsPerSecond` introduction-requests (advice on, no sync offer),
 *   each from the next of its ports in turn, to a tracker with probability `trackerShare`,
 *   else to a uniformly drawn honest peer. It knows every honest address (as a crawler would).
 *
 * It echoes no address-validation token, so its ports stay unvalidated at honest nodes.
 *
 * The `adaptive` kind (issue 23) does what the silent one cannot be bothered to:
 * - echoes the address-validation token an honest response carries, so its ports become
 *   validated (push and full answers reach it, as they reach any honest peer);
 * - collects the room: its flood carries a sync offer over all of history with a filter of
 *   what it holds (so it is sent only what it lacks), it keeps every bundle it is sent and
 *   asks for every bundle a push announces (./hoard.ts);
 * - leaks a trickle to look useful: to each walk that carries a sync offer it answers, after
 *   the introduction, with up to `leakPerWalk` bundles it has held for `holdMs` and the
 *   walker's filter says it lacks: a forwarder in the walker's eyes, never of a fresh bundle;
 * - answers every idle check (a symbols-request with a digest) `inSync`, so it is neither a
 *   silent host nor a peer whose barren rounds stop counting;
 * - spends on addresses, not ports (its presets bind one port per host).
 */
import { type Candidate, categoryOf, resolveOptions } from '../candidates/index.js'
import { chance, int, pick, type SeededRng } from '../env/rng.js'
import type { Cancel } from '../env/clock.js'
import type { MemoryTransport } from '../transport/index.js'
import { addressKey, decodePacket, encodePacket, type Address, type IntroductionRequest, type Packet } from '../wire/index.js'
import type { SimWorld } from './world.js'
import type { AttackSpec } from './scenario.js'
import { Hoard } from './hoard.js'


/** First port of an attacker host. */
export const FIRST_ATTACKER_PORT = 40_000

/** Attacker hosts for `peers` honest peers at attackers' share `fraction` of all nodes. */
export function attackerCount(peers: number, fraction: number): number {
  return Math.round((peers * fraction) / (1 - fraction))
}

/** IPv4 host of attacker `j`: 100–199 first octet, so each of the first 25 600 has its own /24, the first 100 their own /16 (honest hosts are 20–99.x.y.z). */
export function attackerHost(j: number): string {
  return `${100 + (j % 100)}.${Math.floor(j / 100) % 256}.${Math.floor(j / 25_600) % 256}.1`
}

/** What the attackers did, for the report. */
export interface AttackCounters {
  /** Introduction-requests sent (the flood). */
  requestsSent: number
  /** Introduction-responses sent (each introduces an attacker). */
  responsesSent: number
  bytesSent: number
  datagramsReceived: number
  bytesReceived: number
  /** Introduction-requests received from honest hosts: honest walks that reached an attacker. */
  walksReceived: number
  /** Received datagrams ignored (bundles, requests for data, punctures, responses, …), by type. */
  ignored: Record<string, number>
  /** Adaptive: bundles collected, leaked (sent to walkers that lacked them) and idle checks answered `inSync`. */
  hoarded: number
  leaked: number
  idleChecksAnswered: number
}

/** Every attacker host of a run. */
export class Attackers {
  readonly hosts: number
  readonly counters: AttackCounters = { requestsSent: 0, responsesSent: 0, bytesSent: 0, datagramsReceived: 0, bytesReceived: 0, walksReceived: 0, ignored: {}, hoarded: 0, leaked: 0, idleChecksAnswered: 0 }
  readonly #world: SimWorld
  readonly #overlay: Uint8Array
  readonly #spec: AttackSpec
  readonly #ports: MemoryTransport[][] = []
  readonly #ips = new Set<string>()
  readonly #timers: Cancel[] = []
  readonly #rng: SeededRng
  /** The highest global time heard from an honest host: claimed in the flood's requests. */
  #heardTime = 0
  /** Adaptive: the room as collected so far; null for the silent kind. */
  readonly #hoard: Hoard | null
  /** Adaptive: the validation token each honest peer gave each attacker port ("attacker>honest" address keys). */
  readonly #tokens = new Map<string, Uint8Array>()

  /** Binds every attacker host; `peers()` and `trackers` are the flood's targets. */
  constructor(world: SimWorld, overlay: Uint8Array, spec: AttackSpec, honestPeers: number, peers: () => readonly Address[], trackers: readonly Address[]) {
    this.#world = world
    this.#overlay = overlay
    this.#spec = spec
    this.#rng = world.rng.fork()
    this.#hoard = spec.kind === 'adaptive' ? new Hoard(spec.holdMs) : null
    this.hosts = attackerCount(honestPeers, spec.fraction)
    for (let j = 0; j < this.hosts; j++) {
      const host = attackerHost(j)
      this.#ips.add(host)
      const bound: MemoryTransport[] = []
      for (let p = 0; p < spec.ports; p++) {
        const t = world.net.bind({ host, port: FIRST_ATTACKER_PORT + p })
        t.onPacket = (from, bytes) => this.#onPacket(j, t, from, bytes)
        bound.push(t)
      }
      this.#ports.push(bound)
    }
    const interval = 1000 / spec.requestsPerSecond
    for (let j = 0; j < this.hosts && spec.requestsPerSecond > 0; j++) {
      const rng = this.#rng.fork()
      let next = 0
      const flood = (): void => {
        const to = chance(rng, spec.trackerShare) && trackers.length > 0 ? pick(rng, trackers) : pick(rng, peers())
        const from = this.#ports[j]![next]!
        next = (next + 1) % spec.ports
        if (to !== undefined) this.#request(from, to, rng.u32())
        this.#timers[j] = world.clock.setTimeout(flood, interval)
      }
      this.#timers[j] = world.clock.setTimeout(flood, rng.u32() % Math.max(1, Math.round(interval)))
    }
  }

  /**
   * The report: the counters, the share of honest walks that reached an attacker (`walks`:
   * the honest peers' walks), and the attackers' share of the honest candidate tables at
   * the end, by category (trusted entries aside), summed over `tables`.
   */
  report(tables: readonly (readonly Candidate[])[], now: number, walks: number): Record<string, unknown> {
    const lifetimes = resolveOptions()
    const byCategory: Record<string, { attackers: number; honest: number; attackerShare: number }> = {}
    // The most entries one attacker host (one /24) held in one honest table: stumble + intro (capped per /24) and walk (not).
    const most = { stumbleIntro: 0, walk: 0 }
    for (const table of tables) {
      const perHost = new Map<string, { stumbleIntro: number; walk: number }>()
      for (const c of table) {
        const category = categoryOf(c, now, lifetimes)
        if (category === undefined || category === 'trusted') continue
        const k = (byCategory[category] ??= { attackers: 0, honest: 0, attackerShare: 0 })
        const host = c.key.slice(0, c.key.lastIndexOf(':'))
        if (!this.#ips.has(host)) {
          k.honest++
          continue
        }
        k.attackers++
        const h = perHost.get(host) ?? { stumbleIntro: 0, walk: 0 }
        if (category === 'walk') h.walk++
        else h.stumbleIntro++
        perHost.set(host, h)
      }
      for (const h of perHost.values()) {
        most.stumbleIntro = Math.max(most.stumbleIntro, h.stumbleIntro)
        most.walk = Math.max(most.walk, h.walk)
      }
    }
    for (const k of Object.values(byCategory)) k.attackerShare = round3(k.attackers / Math.max(1, k.attackers + k.honest))
    return {
      hosts: this.hosts,
      ports: this.hosts * this.#spec.ports,
      ...this.counters,
      ignored: { ...this.counters.ignored },
      shareOfHonestWalks: round3(this.counters.walksReceived / Math.max(1, walks)),
      honestTablesAtEnd: Object.fromEntries(['walk', 'stumble', 'intro'].filter((c) => byCategory[c] !== undefined).map((c) => [c, byCategory[c]])),
      mostEntriesOfOneAttackerHost: most
    }
  }

  /** True when `host` is an attacker's IP. */
  isAttacker(host: string): boolean {
    return this.#ips.has(host)
  }

  /** Stops the flood and unbinds every port. */
  async stop(): Promise<void> {
    for (const cancel of this.#timers) cancel()
    await Promise.all(this.#ports.flat().map((t) => t.close()))
  }

  #onPacket(j: number, at: MemoryTransport, from: Address, bytes: Uint8Array): void {
    this.counters.datagramsReceived++
    this.counters.bytesReceived += bytes.length
    const packet = decodePacket(bytes)?.packet
    const fromAttacker = this.#ips.has(from.host)
    if (packet?.type === 'introduction-response' && !fromAttacker) this.#heardTime = Math.max(this.#heardTime, packet.globalTime)
    if (this.#hoard !== null && packet !== undefined && !fromAttacker && this.#adapt(this.#hoard, at, from, packet)) return
    if (packet?.type !== 'introduction-request') {
      const type = packet?.type ?? 'undecodable'
      this.counters.ignored[type] = (this.counters.ignored[type] ?? 0) + 1
      return
    }
    if (!fromAttacker) {
      this.counters.walksReceived++
      this.#heardTime = Math.max(this.#heardTime, packet.globalTime)
    }
    this.#answer(j, at, from, packet)
    if (this.#hoard !== null && packet.sync !== undefined && !fromAttacker) {
      const leak = this.#hoard.leak(packet.sync, this.#world.clock.now(), this.#spec.leakPerWalk)
      if (leak.length > 0) {
        this.#send(at, from, { type: 'bundles', bundles: leak })
        this.counters.leaked += leak.length
      }
    }
  }

  /** The adaptive kind's handling of an honest peer's datagram other than a walk; true when handled. */
  #adapt(hoard: Hoard, at: MemoryTransport, from: Address, packet: Packet): boolean {
    const now = this.#world.clock.now()
    switch (packet.type) {
      case 'introduction-response':
        if (packet.token !== undefined) this.#tokens.set(`${addressKey(at.address())}>${addressKey(from)}`, packet.token)
        return false
      case 'bundles':
      case 'push': {
        for (const b of packet.bundles) {
          if (!hoard.has(b.id)) this.counters.hoarded++
          hoard.add(b, now)
        }
        const wanted = packet.type === 'push' ? (packet.have ?? []).filter((id) => !hoard.has(id)) : []
        if (wanted.length > 0) this.#send(at, from, { type: 'bundle-request', ids: wanted })
        return true
      }
      case 'symbols-request':
        if (packet.digest === undefined || packet.from !== 0) return false
        this.#send(at, from, { type: 'symbols-response', from: 0, symbols: [], inSync: true })
        this.counters.idleChecksAnswered++
        return true
      default:
        return false
    }
  }

  /** An introduction-response introducing another attacker, from the port that was asked. */
  #answer(j: number, at: MemoryTransport, from: Address, req: IntroductionRequest): void {
    const other = this.hosts > 1 ? (j + 1 + int(this.#rng, this.hosts - 1)) % this.hosts : j
    const introduced = this.#ports[other]![int(this.#rng, this.#spec.ports)]!.address()
    const self = at.address()
    this.#send(at, from, {
      type: 'introduction-response',
      destination: from,
      sourceLan: self,
      sourceWan: self,
      introduced: addressKey(introduced) === addressKey(self) ? undefined : { lan: introduced, wan: introduced },
      connectionType: 'public',
      identifier: req.identifier,
      globalTime: this.#spec.claimsInSync ? req.globalTime : 0
    })
    this.counters.responsesSent++
  }

  #request(from: MemoryTransport, to: Address, identifier: number): void {
    const self = from.address()
    const adaptive = this.#hoard !== null
    this.#send(from, to, {
      type: 'introduction-request',
      destination: to,
      sourceLan: self,
      sourceWan: self,
      advice: true,
      connectionType: 'public',
      identifier,
      globalTime: this.#heardTime,
      // Adaptive: validated by the echoed token, and a filter over what it holds, over all of history, collects the room.
      token: adaptive ? this.#tokens.get(`${addressKey(self)}>${addressKey(to)}`) : undefined,
      sync: this.#hoard === null ? undefined : { timeLow: 1, timeHigh: 0, modulo: 1, offset: 0, bloom: this.#hoard.filter(identifier).toWire() }
    })
    this.counters.requestsSent++
  }

  #send(from: MemoryTransport, to: Address, packet: Packet): void {
    const bytes = encodePacket(this.#overlay, packet)
    this.counters.bytesSent += bytes.length
    from.send(to, bytes)
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000
}
