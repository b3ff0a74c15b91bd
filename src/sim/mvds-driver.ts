/**
 * The MVDS drivers (`mvds-batch`, `mvds-interactive`): real {@link BloomwalkNode}s in their
 * MVDS mode (DESIGN §7, src/node/mvds.ts). The group is one overlay id; every peer shares
 * it with every other peer ("MVDS pairwise": each message goes to each peer reliably, and
 * received messages are relayed to the group's other peers, as the reference does). No
 * walking and no trackers: peers address each other directly, so every peer is public.
 *
 * With `multicast`, each node subscribes to the group's topic: a MESSAGE record due for
 * several peers goes out once on the topic (one send reaches every online subscriber);
 * acks, offers and requests stay unicast.
 *
 * Mailserver, MVDS flavour: an always-online peer that shares the group with every peer
 * (and every peer with it). It acknowledges and stores what it gets and relays it to every
 * peer with MVDS retransmission until acknowledged; each datagram it sends that carries
 * MESSAGE records is dropped with probability 1 − reliability.
 *
 * With `bloomAck` (seed-3-bloom, Enhancement 3 of the seed), the members also walk the group
 * among themselves (every member is a trusted candidate of every other; no tracker) with
 * Bloom offers at the scenario's step and sync parameters, and a member's offer acknowledges
 * the MVDS records its filter holds (src/node/mvds-bloom-ack.ts).
 *
 * Churn: going offline stops the node (its MVDS state survives in the node, as a client
 * persists it); coming back starts the same node again, whose epochs resume. In the
 * `offline` churn mode the node keeps running and only its address goes offline.
 */
import { generateKeyPair, roomId } from '../bundle/index.js'
import { pacedWalkEligibleDelayMs } from '../candidates/index.js'
import { stripUndefined } from './bloom-driver.js'
import { createNode, type BloomwalkNode, type TrafficCounters } from '../node/index.js'
import type { SeededRng } from '../env/rng.js'
import { MemoryStore } from '../store/memory.js'
import { hex } from '../bytes.js'
import type { BundleStore } from '../store/types.js'
import type { MemoryTransport, MulticastTransport } from '../transport/index.js'
import { decodePacket } from '../wire/index.js'
import { addCounts, instanceDrops, sortKeys } from './counts.js'
import type { Driver, Preload, Published } from './driver.js'
import { BundleTable, InternedStore } from './interned-store.js'
import { UnreliableTransport } from './unreliable.js'
import { addTraffic, type HostRole, type HostTraffic, type SimWorld } from './world.js'

/** MVDS epoch length, ms (the node's default). */
const EPOCH_MS = 1000

interface Host {
  role: HostRole
  index: number
  bound: MemoryTransport
  node: BloomwalkNode
  store: BundleStore
  /** Sent counters when it went offline (`offline` churn mode), and the total sent while offline. */
  offlineAt: Record<string, TrafficCounters> | null
  sentOffline: Record<string, TrafficCounters>
  running: boolean
  transition: Promise<void>
}

export class MvdsDriver implements Driver {
  readonly overlay = roomId('bloomwalk-sim-mvds')
  readonly #world: SimWorld
  readonly #table = new BundleTable()
  readonly #peers: Host[] = []
  #mailserver: { host: Host; transport: UnreliableTransport } | undefined

  /** @throws {Error} when the scenario puts peers behind NATs (MVDS peers address each other directly) */
  constructor(world: SimWorld) {
    if (world.nat !== null) throw new Error('the MVDS drivers need public peers: MVDS has no NAT traversal (set the NAT shares to 0)')
    this.#world = world
  }

  async setup(history?: () => Preload): Promise<void> {
    if (history !== undefined) throw new Error('the MVDS drivers have no overlay history to preload')
    const w = this.#world
    const s = w.scenario
    for (let i = 0; i < s.peers; i++) {
      const bound = w.bindPeer(i)
      w.net.setOnline(bound.address(), false)
      this.#peers.push(this.#host('peer', i, bound, bound))
    }
    if (s.mailserver !== null) {
      const bound = w.bindPublic()
      const carriesMessages = (bytes: Uint8Array) => {
        const p = decodePacket(bytes)?.packet
        return p?.type === 'mvds' && p.payload.messages.length > 0
      }
      // Drawn from its own stream: the peers' keys and schedules are those of the scenario without it.
      const transport = new UnreliableTransport(bound, s.mailserver.reliability, w.mailserverRng.fork(), carriesMessages)
      this.#mailserver = { host: this.#host('mailserver', -1, bound, transport, w.mailserverRng.fork()), transport }
    }
    const all = this.#all()
    for (const h of all) await h.store.open()
    // Every member shares the group with every other member.
    for (const a of all) for (const b of all) if (a !== b) await a.node.share(this.overlay, b.bound.address())
    if (this.#mailserver !== undefined) await this.#run(this.#mailserver.host, true)
  }

  async publish(peer: number, body: Uint8Array): Promise<Published> {
    const bundle = await this.#peers[peer]!.node.sendPrivate(this.overlay, body)
    return { key: hex(bundle.id), bytes: bundle.bytes.length }
  }

  async setOnline(peer: number, online: boolean): Promise<void> {
    const h = this.#peers[peer]!
    if (this.#world.scenario.churn.mode === 'offline' && h.running) {
      this.#world.net.setOnline(h.bound.address(), online)
      if (!online) h.offlineAt = h.node.stats().out
      else if (h.offlineAt !== null) {
        addTraffic(h.sentOffline, h.node.stats().out)
        addTraffic(h.sentOffline, h.offlineAt, -1)
        h.offlineAt = null
      }
      return
    }
    await this.#run(h, online)
  }

  traffic(): Record<string, TrafficCounters> {
    const out: Record<string, TrafficCounters> = {}
    for (const h of this.#all()) {
      addTraffic(out, h.node.stats().out)
      addTraffic(out, h.sentOffline, -1)
      if (h.offlineAt !== null) {
        addTraffic(out, h.node.stats().out, -1)
        addTraffic(out, h.offlineAt)
      }
    }
    if (this.#mailserver !== undefined) addTraffic(out, { mvds: this.#mailserver.transport.dropped }, -1)
    return out
  }

  hosts(): HostTraffic[] {
    return this.#all().map((h) => ({ role: h.role, index: h.index, stats: () => h.bound.stats() }))
  }

  extra(): Record<string, unknown> {
    const drops: Record<string, number> = {}
    let duplicates = 0
    const mvds = { retransmissions: 0, probableAcks: 0, bloomOffers: 0 }
    for (const h of this.#all()) {
      const s = h.node.stats()
      addCounts(drops, instanceDrops(s))
      duplicates += s.bundlesDuplicate
      const m = h.node.mvdsStats()
      mvds.retransmissions += m?.retransmissions ?? 0
      mvds.probableAcks += m?.probableAcks ?? 0
      mvds.bloomOffers += m?.bloomAck?.offers ?? 0
    }
    return {
      mode: this.#world.scenario.protocol === 'mvds-batch' ? 'batch' : 'interactive',
      epochMs: EPOCH_MS,
      multicast: this.#world.scenario.multicast,
      bloomAck: this.#world.scenario.bloomAck,
      mvds,
      bundlesDuplicate: duplicates,
      drops: sortKeys(drops),
      mailserverDropped: this.#mailserver === undefined ? null : { ...this.#mailserver.transport.dropped },
      distinctBundles: this.#table.size
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.#all().map((h) => h.transition.then(() => h.node.stop())))
  }

  #all(): Host[] {
    return this.#mailserver === undefined ? this.#peers : [...this.#peers, this.#mailserver.host]
  }

  #host(role: HostRole, index: number, bound: MemoryTransport, transport: MulticastTransport, rng: SeededRng = this.#world.rng.fork()): Host {
    const w = this.#world
    const s = w.scenario
    const store = s.store === 'interned' ? new InternedStore(this.#table) : new MemoryStore()
    const node = createNode({
      components: { transport, clock: w.clock, rng, keys: generateKeyPair(rng), store, verifyBundle: this.#world.verify },
      settings: {
        overlays: [],
        ...(s.bloomAck && s.catchUp ? {} : { catchUp: false }),
        sync: s.bloomAck ? { ...s.sync } : { datagramBudget: s.sync.datagramBudget },
        ...(s.bloomAck
          ? {
              stepIntervalMs: s.stepIntervalMs,
              candidates: { walkEligibleDelayMs: pacedWalkEligibleDelayMs(s.stepIntervalMs) },
              push: s.push === null ? { fanout: 0 } : stripUndefined(s.push)
            }
          : {}),
        mvds: { mode: s.protocol === 'mvds-interactive' ? 'interactive' : 'batch', epochMs: EPOCH_MS, topic: s.multicast ? `mvds/${hex(this.overlay)}` : undefined, persist: false, bloomAck: s.bloomAck, ...(s.heardWithin === null ? {} : { heardWithin: s.heardWithin }) }
      }
    })
    if (index >= 0) {
      node.events.on('bundle', (d) => {
        if (!d.own) w.log.deliver(index, hex(d.bundle.id), w.elapsed())
      })
    }
    return { role, index, bound, node, store, offlineAt: null, sentOffline: {}, running: false, transition: Promise.resolve() }
  }

  async #run(h: Host, online: boolean): Promise<void> {
    // Online before the node starts; offline once it has stopped.
    const net = this.#world.net
    h.transition = h.transition.then(async () => {
      if (online === h.running) return
      h.running = online
      if (online) {
        net.setOnline(h.bound.address(), true)
        await h.node.start()
      } else {
        await h.node.stop()
        net.setOnline(h.bound.address(), false)
      }
    })
    await h.transition
  }
}
