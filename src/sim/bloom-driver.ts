/**
 * The bloom driver: real {@link BloomwalkNode}s (Dispersy-style walking with Bloom offers)
 * on the simulated network. Trackers are public and always online; every peer trusts them.
 *
 * Mailserver (seed simulations 2, 5, 7), bloom flavour: an always-online, public peer node
 * with a store. It is a trusted peer of every peer (walked to at the start of each session,
 * when the candidate table is empty, and on 1 % of steps later), walks like any peer (so it
 * collects every bundle), and answers offers — but each `bundles` datagram it sends is
 * dropped with probability 1 − reliability (90 % reliability: a tenth never leaves).
 */
import { generateKeyPair, roomId, roomPolicy, type KeyPair, type RoomPolicy } from '../bundle/index.js'
import { pacedWalkEligibleDelayMs } from '../candidates/index.js'
import type { SeededRng } from '../env/rng.js'
import { createNode, type BloomwalkNode, type NodeOptions, type TrafficCounters } from '../node/index.js'
import { MemoryStore } from '../store/memory.js'
import { hex } from '../bytes.js'
import type { BundleStore } from '../store/types.js'
import type { MemoryTransport, Transport } from '../transport/index.js'
import { addressKey, decodePacket, type Address } from '../wire/index.js'
import { Attackers } from './attacker.js'
import { addCounts, instanceCounts, instanceDrops, sortKeys } from './counts.js'
import type { Driver, Preload, Published, RetentionFigures, SpamFigures } from './driver.js'
import { SpamRun } from './spam-run.js'
import { BundleTable, InternedStore } from './interned-store.js'
import { UnreliableTransport } from './unreliable.js'
import { SIM_IDENTITY_BITS, SpamCountingTransport } from './spammers.js'
import { addTraffic, type HostRole, type HostTraffic, type SimWorld } from './world.js'

interface Host {
  role: HostRole
  /** Peer index; −1 for infrastructure. */
  index: number
  bound: MemoryTransport
  transport: Transport
  keys: KeyPair
  rng: SeededRng
  store: BundleStore | undefined
  node: BloomwalkNode | null
  /** Traffic of stopped node instances, minus what was sent while offline. */
  ledger: Record<string, TrafficCounters>
  drops: Record<string, number>
  /** Walks, walk timeouts and anti-amplification figures of stopped node instances. */
  counts: Record<string, number>
  /** `offline` churn mode: the node's sent counters when it went offline. */
  offlineAt: Record<string, TrafficCounters> | null
  started: boolean
  /** Serialises start/stop of this host's nodes. */
  transition: Promise<void>
}

/**
 * The trusted category's walk weight when the scenario does not trust the trackers: drawn
 * once in 10⁹ steps beside other eligible candidates (never, in practice), and still
 * walked to when it is the only eligible one (DESIGN §6's fallback), as a bootstrap is.
 * Rule 6 (a larger trusted share while behind, a recheck every 2 minutes) is off with it.
 */
const BOOTSTRAP_ONLY_WEIGHT = 1e-9

/** The driver of protocol `bloom`. */
export class BloomDriver implements Driver {
  readonly overlay: Uint8Array
  /** The room's policy when the scenario names one (the default policy otherwise). */
  readonly #policy: RoomPolicy | undefined
  /** Most bundles any running peer held when a message was published (retention scenarios). */
  #peakStored = 0
  readonly #world: SimWorld
  readonly #table = new BundleTable()
  readonly #peers: Host[] = []
  readonly #infra: Host[] = []
  /** Spammer nodes (scenarios with spam): not trusted, not counted as peers. */
  readonly #spammers: Host[] = []
  #trusted: Address[] = []
  #mailserver: UnreliableTransport | undefined
  #attackers: Attackers | null = null
  /** The spammers and their nodes (scenarios with spam). */
  #spam: SpamRun | null = null

  constructor(world: SimWorld) {
    this.#world = world
    const policy = world.scenario.policy
    // A room with spammers (even none, the comparison run) asks for identities minted and checked for real.
    this.#policy = policy === null ? undefined : roomPolicy({ ...policy, ...(world.scenario.spam === null ? {} : { identityBits: SIM_IDENTITY_BITS }) })
    this.overlay = roomId('bloomwalk-sim', this.#policy)
  }

  async setup(history?: () => Preload): Promise<void> {
    const w = this.#world
    const s = w.scenario
    for (let t = 0; t < s.trackers; t++) this.#infra.push(this.#host('tracker', -1, w.bindPublic()))
    this.#trusted = this.#infra.map((h) => h.bound.address())
    for (let i = 0; i < s.peers; i++) {
      const bound = w.bindPeer(i)
      w.net.setOnline(bound.address(), false)
      this.#peers.push(this.#host('peer', i, bound))
    }
    if (s.attack !== null && s.attack.fraction > 0) {
      const targets = this.#peers.filter((h) => w.natKinds[h.index] === 'public').map((h) => h.bound.address())
      this.#attackers = new Attackers(w, this.overlay, s.attack, s.peers, () => targets, this.#trusted.slice(0, s.trackers))
    }
    if (s.mailserver !== null) {
      // Bound last and drawn from its own stream: the peers' addresses, keys and schedules are those of the scenario without it.
      const bound = w.bindPublic()
      const host = this.#host('mailserver', -1, bound, w.mailserverRng.fork())
      const isBundles = (bytes: Uint8Array) => decodePacket(bytes)?.packet.type === 'bundles'
      this.#mailserver = new UnreliableTransport(bound, s.mailserver.reliability, w.mailserverRng.fork(), isBundles)
      host.transport = this.#mailserver
      this.#infra.push(host)
    }
    if (history !== undefined) this.#preload(history())
    // Infrastructure is always online; the mailserver trusts the trackers only.
    for (const h of this.#infra) await this.#start(h, h.role === 'mailserver' ? this.#trusted.slice(0, s.trackers) : [])
    if (s.spam !== null) {
      // Bound after everything else, keys and nodes from their own stream: the honest part is that of the run without spammers.
      const spam = (this.#spam = new SpamRun(w, this.overlay, this.#policy!, s.spam))
      for (const h of this.#peers) h.transport = spam.count(h.bound)
      for (let i = 0; i < spam.spammers; i++) {
        const host = this.#host('spammer', -1, w.bindPublic(), w.spamRng.fork())
        await this.#start(host, this.#trusted.slice(0, s.trackers))
        spam.add(host.node!)
        this.#spammers.push(host)
      }
      spam.start()
    }
    this.#trusted = [...this.#infra.map((h) => h.bound.address()), ...this.#peers.slice(0, s.trustedPeers).map((h) => h.bound.address())]
  }

  /** Fills the stores before any node starts (a node loads its clock, count and sketch from its store at join). */
  #preload({ bundles, missing }: Preload): void {
    const ordinals = bundles.map((b) => this.#table.intern(b))
    for (const h of this.#peers) {
      const lacks = missing(h.index)
      const held = ordinals.filter((_, i) => !lacks.has(i))
      if (h.store instanceof InternedStore) h.store.hold(held)
      else throw new Error('preloading a history needs the interned store')
    }
    const ms = this.#infra.find((h) => h.role === 'mailserver')
    if (ms?.store instanceof InternedStore) ms.store.hold(ordinals)
  }

  async publish(peer: number, body: Uint8Array): Promise<Published> {
    const node = this.#peers[peer]!.node
    if (node === null) throw new Error(`peer ${peer} is not running`)
    const bundle = await node.publish(this.overlay, body)
    if (this.#policy !== undefined) for (const h of this.#peers) if (h.node !== null) this.#peakStored = Math.max(this.#peakStored, h.node.stats().overlays[0]?.bundlesStored ?? 0)
    return { key: hex(bundle.id), bytes: bundle.bytes.length }
  }

  async setOnline(peer: number, online: boolean): Promise<void> {
    const h = this.#peers[peer]!
    const net = this.#world.net
    const s = this.#world.scenario
    const mode = s.churn.mode
    if (mode === 'offline' && h.started) {
      net.setOnline(h.bound.address(), online)
      if (!online) h.offlineAt = h.node!.stats().out
      else if (h.offlineAt !== null) {
        // Everything sent while offline was dropped by the transport: not traffic.
        const sent: Record<string, TrafficCounters> = {}
        addTraffic(sent, h.node!.stats().out)
        addTraffic(sent, h.offlineAt, -1)
        addTraffic(h.ledger, sent, -1)
        h.offlineAt = null
      }
      return
    }
    // Online before the node starts; offline once it has stopped (what its last handlers
    // send still leaves), so the nodes' counters and the network agree exactly.
    h.transition = h.transition.then(async () => {
      if (online) {
        net.setOnline(h.bound.address(), true)
        await this.#start(h, h.index < s.trustedPeers ? this.#trusted.filter((a) => addressKey(a) !== addressKey(h.bound.address())) : this.#trusted)
      } else {
        await this.#halt(h)
        net.setOnline(h.bound.address(), false)
      }
    })
    await h.transition
  }

  traffic(): Record<string, TrafficCounters> {
    const out: Record<string, TrafficCounters> = {}
    for (const h of [...this.#infra, ...this.#peers, ...this.#spammers]) {
      addTraffic(out, h.ledger)
      if (h.node !== null) addTraffic(out, h.node.stats().out)
      if (h.offlineAt !== null && h.node !== null) {
        addTraffic(out, h.node.stats().out, -1)
        addTraffic(out, h.offlineAt)
      }
    }
    if (this.#mailserver !== undefined) addTraffic(out, { bundles: this.#mailserver.dropped }, -1)
    return out
  }

  hosts(): HostTraffic[] {
    return [...this.#infra, ...this.#peers, ...this.#spammers].map((h) => ({ role: h.role, index: h.index, stats: () => h.bound.stats() }))
  }

  /** Drops by reason of `hosts`: their stopped instances' and their running one's. */
  #drops(hosts: readonly Host[]): Record<string, number> {
    const drops: Record<string, number> = {}
    for (const h of hosts) {
      addCounts(drops, h.drops)
      if (h.node !== null) addCounts(drops, instanceDrops(h.node.stats()))
    }
    return drops
  }

  extra(): Record<string, unknown> {
    const hosts = [...this.#infra, ...this.#peers]
    const drops = this.#drops(hosts)
    const connectionTypes: Record<string, number> = {}
    const counts: Record<string, number> = {}
    for (const h of hosts) {
      addCounts(counts, h.counts)
      if (h.node === null) continue
      const s = h.node.stats()
      addCounts(counts, instanceCounts(s))
      if (h.role === 'peer') connectionTypes[s.connectionType] = (connectionTypes[s.connectionType] ?? 0) + 1
    }
    return {
      ...sortKeys(counts),
      drops: sortKeys(drops),
      connectionTypesOfRunningPeers: sortKeys(connectionTypes),
      nat: this.#world.nat === null ? null : { ...this.#world.nat.stats },
      mailserverDropped: this.#mailserver === undefined ? null : { ...this.#mailserver.dropped },
      distinctBundles: this.#table.size,
      ...(this.#attackers === null ? {} : { attack: this.#attackReport(counts['walks'] ?? 0) })
    }
  }

  /**
   * What the running peers retain at the end of a scenario with a policy: whether they all
   * hold exactly the same bundles, how many, the most any peer held when a message was
   * published, and the bundles peers sent that the receiver refused by the policy (pruned
   * ones offered back: bytes ≈ count × the scenario's bundle size, all bundles being that size).
   */
  async retention(): Promise<RetentionFigures> {
    const sets = new Map<string, number>()
    let least = Infinity
    let most = 0
    let compared = 0
    let span = 0
    for (const h of this.#peers) {
      if (h.node === null || h.store === undefined) continue
      const ids: string[] = []
      let low = Infinity
      let high = 0
      for await (const b of h.store.range({ overlay: this.overlay, from: 0, to: Number.MAX_SAFE_INTEGER })) {
        ids.push(hex(b.id))
        low = Math.min(low, b.globalTime)
        high = Math.max(high, b.globalTime)
      }
      if (ids.length > 0) span = Math.max(span, high - low)
      ids.sort()
      const key = ids.join()
      sets.set(key, (sets.get(key) ?? 0) + 1)
      least = Math.min(least, ids.length)
      most = Math.max(most, ids.length)
      compared++
    }
    const refused = Object.entries(this.#drops(this.#peers))
      .filter(([k]) => k.startsWith('bundle:retention-'))
      .reduce((n, [, v]) => n + v, 0)
    return {
      peersCompared: compared,
      identical: sets.size <= 1,
      distinctSets: sets.size,
      retainedMin: compared === 0 ? 0 : least,
      retainedMax: most,
      globalTimeSpan: span,
      peakStored: this.#peakStored,
      refusedByPolicy: refused,
      refusedBytes: refused * this.#world.scenario.bundleBytes
    }
  }

  /** What the spammers did and what it cost the running honest peers (scenarios with spam). */
  async spam(): Promise<SpamFigures> {
    const honest = this.#peers.filter((h) => h.node !== null && h.store !== undefined).map((h) => ({ store: h.store!, sentBytes: h.bound.stats().bytesSent, transport: h.transport }))
    return this.#spam!.report(honest, this.#peers.reduce((t, h) => Math.max(t, h.node?.stats().overlays[0]?.globalTime ?? 0), 0))
  }

  async stop(): Promise<void> {
    this.#spam?.stop()
    await Promise.all([...this.#infra, ...this.#peers, ...this.#spammers].map((h) => h.transition.then(() => h.node?.stop())))
    await this.#attackers?.stop()
  }

  /** What the attackers did and their share of the running honest peers' candidate tables. */
  #attackReport(walks: number): Record<string, unknown> {
    const tables = this.#peers.flatMap((h) => (h.node === null ? [] : [h.node.candidates(this.overlay)]))
    return this.#attackers!.report(tables, this.#world.clock.now(), walks)
  }

  #host(role: HostRole, index: number, bound: MemoryTransport, rng: SeededRng = this.#world.rng.fork()): Host {
    const store = role === 'tracker' ? undefined : this.#world.scenario.store === 'interned' ? new InternedStore(this.#table) : new MemoryStore()
    return { role, index, bound, transport: bound, keys: generateKeyPair(rng), rng, store, node: null, ledger: {}, drops: {}, counts: {}, offlineAt: null, started: false, transition: Promise.resolve() }
  }

  async #start(h: Host, trusted: Address[]): Promise<void> {
    if (h.node !== null) return
    const s = this.#world.scenario
    const options: NodeOptions = {
      components: { transport: h.transport, clock: this.#world.clock, rng: h.rng, keys: h.keys, store: h.store, verifyBundle: this.#world.verify },
      settings: {
        role: h.role === 'tracker' ? 'tracker' : 'peer',
        overlays: h.role === 'tracker' ? [] : [this.overlay],
        trusted,
        // The walk eligibility delay follows the step as on a UDP node (`--step`); without trust the trackers are a bootstrap: walked to only when nothing else is eligible.
        candidates: { walkEligibleDelayMs: pacedWalkEligibleDelayMs(s.stepIntervalMs), ...(h.role === 'peer' && !s.trusted ? { categoryWeights: { trusted: BOOTSTRAP_ONLY_WEIGHT }, behindTrustedShare: 0, trustedRecheckMs: 0 } : {}) },
        stepIntervalMs: s.stepIntervalMs,
        sync: { ...s.sync },
        ...(s.catchUp ? {} : { catchUp: false }),
        push: s.push === null ? { fanout: 0 } : stripUndefined(s.push),
        ...(this.#policy === undefined || h.role === 'tracker' ? {} : { policies: new Map([[hex(this.overlay), this.#policy]]) })
      }
    }
    const node = createNode(options)
    if (h.index >= 0) {
      const log = this.#world.log
      const world = this.#world
      node.events.on('bundle', (d) => {
        if (!d.own) log.deliver(h.index, hex(d.bundle.id), world.elapsed())
      })
    }
    h.node = node
    h.started = true
    await node.start()
  }

  async #halt(h: Host): Promise<void> {
    const node = h.node
    if (node === null) return
    h.node = null
    await node.stop()
    const s = node.stats()
    addTraffic(h.ledger, s.out)
    addCounts(h.drops, instanceDrops(s))
    addCounts(h.counts, instanceCounts(s))
  }
}

/** The object without its undefined fields (node options take absent, not undefined). */
export function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T
}
