/**
 * MVDS in the node (DESIGN §7): private groups with chosen peers, over the same transport.
 * A group is an overlay id; its bundles ride inside MVDS message bodies. The MVDS state
 * machine (src/mvds) ticks once per epoch; every payload goes to its peer as an mvds packet
 * in an envelope whose overlay is the group of its first message (or {@link MVDS_ENVELOPE}).
 * With a multicast topic, MESSAGE records due for several peers go out once on the topic
 * (one send reaches every listener and counts for all of them); acks, offers and requests
 * stay unicast.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { BloomwalkError } from '../errors.js'
import { decodeBundle, MAX_BODY_FIELD, MAX_PARENTS_FIELD } from '../bundle/codec.js'
import type { Bundle } from '../bundle/types.js'
import { MvdsNode, type MvdsMode, type MvdsStats } from '../mvds/index.js'
import type { MvdsMessage, MvdsPayload, MvdsSchema } from '../wire/mvds.js'
import { encodePacket, type Address, type SyncOffer } from '../wire/index.js'
import { isMulticastTransport, type MulticastTransport, type Transport } from '../transport/types.js'
import type { Counters } from './stats.js'
import { compareBytes } from '../bytes.js'
import { hex } from '../bytes.js'
import { JournaledMvdsStore, MvdsJournal } from './mvds-journal.js'
import { GroupMembers } from './group-members.js'
import { MvdsPeerBook } from './mvds-peers.js'
import { BloomAcks } from './mvds-bloom-ack.js'
import type { StateStore } from '../store/types.js'
import type { Logger } from '../env/logger.js'

/** Envelope overlay of MVDS payloads that carry no message (acks, offers, requests only). */
export const MVDS_ENVELOPE: Uint8Array = sha256(new TextEncoder().encode('bloomwalk/mvds'))

/** MVDS options of a node. */
export interface NodeMvdsOptions {
  mode: MvdsMode
  /** Milliseconds per MVDS epoch. Default 1 000. */
  epochMs?: number
  /** A multicast topic of the transport to publish MESSAGE records on (memory network only). */
  topic?: string
  /** vacp2p/mvds schema to send: `head` (default, today's reference) or `2019`; both are received. */
  schema?: MvdsSchema
  /**
   * Keep the MVDS state (messages, records, shares, epoch) in the bundle store so it survives
   * restarts, when the store can (LevelStore, MemoryStore). Default true. The simulator turns
   * it off: its nodes keep their state in memory across churn.
   */
  persist?: boolean
  /**
   * The Bloom offer as acknowledgement (seed p2p-data-sync-mobile, Enhancement 3; see
   * ./mvds-bloom-ack.ts): members walk their private groups among themselves (members only,
   * as trusted candidates) with Bloom offers, and an offer from a member drops the records
   * its filter says the member holds. Default false: a private group is not walked.
   */
  bloomAck?: boolean
  /**
   * With `bloomAck`: retransmit only to members heard from (an MVDS payload or a walk to us)
   * within this many epochs; first transmissions go as always, and a silent member's
   * records wait for it (src/mvds `heardWithin`). Default: retransmit blindly, as the spec.
   */
  heardWithin?: number
}

export interface NodeMvdsDeps {
  transport: Transport
  counters: Counters
  selfKey: string
  /** Our public key (hex): our own bundles are always accepted in our groups. */
  selfAuthor: string
  /** Where the MVDS state survives restarts (the bundle store, when it keeps state values). */
  state: StateStore | undefined
  log: Logger
  /** Checks a received bundle (signature, size) before MVDS stores and acknowledges it. */
  verify: (bundle: Bundle) => boolean
  /**
   * Hands a verified bundle to the node (store, causal delivery). Resolves true once the
   * bundle store holds it or refused it for good (the room's policy), false when it could
   * not be stored (the store failed, the group is not open yet): then it is not acknowledged.
   */
  deliver: (bundle: Bundle, from: Address) => Promise<boolean>
  /** False while the store cannot make a bundle durable: nothing is acknowledged then. Default always true. */
  canStore?: () => boolean
}

/** Rounds of "wait for storing, flush" before a tick sends with the ACKs still held. */
const MAX_DURABLE_ROUNDS = 4

/**
 * Received messages whose bundles may be in writing at once; beyond, a new message is not
 * accepted (not acknowledged: its sender retransmits it).
 */
export const MAX_MVDS_STORING = 1024

export class NodeMvds {
  readonly node: MvdsNode
  readonly epochMs: number
  readonly #deps: NodeMvdsDeps
  readonly #topic: string | undefined
  /** Bundles decoded by `accept` during one receive, by message body: delivered without decoding twice. */
  readonly #accepted = new Map<Uint8Array, Bundle>()
  /** Hex ids of the private groups: once shared, a group stays private (across restarts too). */
  readonly #private = new Set<string>()
  /** Member keys per group: who may author its bundles. */
  readonly #members: GroupMembers
  /** MVDS peer ids (member key, else address) and where they are. */
  readonly #peers = new MvdsPeerBook()
  readonly #journal: MvdsJournal | undefined
  /** With `bloomAck`: the bridge from MVDS message ids to the bundles a Bloom filter lists. */
  readonly #bloomAcks: BloomAcks | undefined
  /** Bundle intakes of delivered messages not finished yet: their ACKs are held until then. */
  readonly #storing = new Set<Promise<void>>()
  readonly #messages: JournaledMvdsStore
  /** Tail of the tick queue (ticks run one at a time). */
  #ticks: Promise<void> = Promise.resolve()
  #loaded = false
  #stopped = false

  constructor(options: NodeMvdsOptions, deps: NodeMvdsDeps) {
    this.#deps = deps
    this.epochMs = options.epochMs ?? 1000
    this.#topic = options.topic !== undefined && isMulticastTransport(deps.transport) ? options.topic : undefined
    if (this.#topic !== undefined && isMulticastTransport(deps.transport)) deps.transport.subscribe(this.#topic)
    this.#members = new GroupMembers(deps.selfAuthor)
    const store = new JournaledMvdsStore({ journaled: deps.state !== undefined })
    this.#messages = store
    // Holding a silent member's retransmissions is sound only with the members' walk (bloomAck).
    if (options.heardWithin !== undefined && options.bloomAck !== true) throw new BloomwalkError('INVALID_ARGUMENT', 'mvds.heardWithin needs mvds.bloomAck: the members\' walk brings a silent member what it lacks')
    const heardWithin = options.heardWithin
    this.node = new MvdsNode({ id: deps.selfKey, mode: options.mode, schema: options.schema, store, accept: (message) => this.#accept(message), ...(heardWithin === undefined ? {} : { heardWithin }) })
    this.#journal = deps.state === undefined ? undefined : new MvdsJournal(deps.state, this.node, store, this.#members, this.#peers)
    this.#bloomAcks = options.bloomAck === true ? new BloomAcks(store) : undefined
  }

  /** The MVDS counters, and with `bloomAck` the Bloom offers looked at. */
  stats(): MvdsStats & { bloomAck: BloomAcks['counts'] | undefined } {
    return { ...this.node.stats(), bloomAck: this.#bloomAcks === undefined ? undefined : { ...this.#bloomAcks.counts } }
  }

  /** True when the overlay is walked: every public overlay, and private groups with `bloomAck` (among members only). */
  walks(overlay: Uint8Array): boolean {
    return !this.isPrivate(overlay) || this.#bloomAcks !== undefined
  }

  /** Where the members a group is shared with are (walk candidates of the group with `bloomAck`). */
  memberAddresses(group: Uint8Array): Address[] {
    const out: Address[] = []
    for (const peer of this.node.peersOf(group)) {
      const at = this.#peers.addressOf(peer)
      if (at !== null) out.push(at)
    }
    return out
  }

  /**
   * An introduction-request of `overlay` from `from`: with `bloomAck`, when the overlay is a
   * private group shared with the sender, the sender is heard from (`heardWithin`) and, when
   * the request carries a Bloom offer and the sender's address is validated (a spoofed offer
   * must not silence what we owe a member), the records kept for the sender whose bundles
   * the filter holds are acknowledged.
   * @returns the records acknowledged
   */
  walkedBy(from: Address, overlay: Uint8Array, offer: SyncOffer | undefined, validated: boolean): number {
    if (this.#bloomAcks === undefined || !this.isPrivate(overlay)) return 0
    const peer = this.#peers.peerAt(from)
    if (!this.node.shares(overlay, peer)) return 0
    this.node.heard(peer)
    if (offer === undefined || !validated) return 0
    const holds = this.#bloomAcks.holds(hex(overlay), offer)
    if (holds === null) return 0
    const acknowledged = this.node.acknowledge(peer, holds)
    if (acknowledged > 0) this.#journal?.markDirty()
    return acknowledged
  }

  /**
   * The drop reason for a bundle of a private group brought by the walk, a push or catch-up
   * (walked with `bloomAck`) whose author is not a member; undefined when it may be taken.
   */
  refuse(bundle: Bundle): string | undefined {
    if (this.#private.size === 0) return undefined
    const group = hex(bundle.overlay)
    return this.#private.has(group) && !this.#members.allows(group, hex(bundle.author)) ? 'mvds-not-member' : undefined
  }

  /**
   * Loads the persisted MVDS state once (messages, records, shares, epoch). Returns the
   * private groups found, for the node to join.
   */
  async load(): Promise<Uint8Array[]> {
    if (this.#loaded || this.#journal === undefined) return []
    this.#loaded = true
    const found = await this.#journal.load()
    if (found.corrupt > 0) this.#deps.log.warn('mvds state entries skipped', { corrupt: found.corrupt })
    for (const g of found.groups) this.#private.add(g)
    return found.groups.map((g) => Uint8Array.from(Buffer.from(g, 'hex')))
  }

  /** Writes the MVDS state that changed (a no-op without a state store). */
  flush(): Promise<void> {
    return this.#journal?.flush() ?? Promise.resolve()
  }

  /** The node stopped: ticks still queued send nothing. The caller flushes. */
  stop(): void {
    this.#stopped = true
  }

  /** The node (re)started. */
  resume(): void {
    this.#stopped = false
  }

  /**
   * Shares a group with a peer (both directions must share for messages to flow). The group
   * becomes private: {@link admits} lets only the peers it is shared with exchange its overlay.
   */
  share(group: Uint8Array, peer: Address, key?: Uint8Array): void {
    this.#private.add(hex(group))
    if (key !== undefined) this.#members.add(hex(group), hex(key))
    this.node.share(group, this.#peers.place(peer, key === undefined ? undefined : hex(key)))
    this.#journal?.markDirty()
  }

  /** True when the overlay is a private group of this node. */
  isPrivate(overlay: Uint8Array): boolean {
    return this.#private.has(hex(overlay))
  }

  /**
   * Whether a non-MVDS packet of `overlay` may be exchanged with `peer`: always for a public
   * overlay, only with a member (a peer the group is shared with) for a private group.
   */
  admits(overlay: Uint8Array, peer: Address): boolean {
    return !this.isPrivate(overlay) || this.node.shares(overlay, this.#peers.peerAt(peer))
  }

  /** Sends a bundle to the group's peers reliably. */
  send(bundle: Bundle, timestamp: number): void {
    const id = this.node.send(bundle.overlay, bundle.bytes, timestamp)
    this.#bloomAcks?.remember(hex(id), bundle)
    this.#journal?.markDirty()
  }

  /** Handles an inbound MVDS payload. */
  receive(from: Address, payload: MvdsPayload, epoch: number): void {
    try {
      const result = this.node.receive(this.#peers.peerAt(from), payload, epoch)
      this.#journal?.markDirty()
      for (const [i, message] of result.deliver.entries()) {
        const bundle = this.#accepted.get(message.body) ?? this.#acceptable(message)
        if (bundle === null) continue
        this.#bloomAcks?.remember(hex(result.ids[i]!), bundle)
        this.#store(result.ids[i]!, bundle, from)
      }
    } finally {
      this.#accepted.clear()
    }
  }

  /**
   * A delivered message's bundle goes to the bundle store. Until it is there, the message is
   * neither acknowledged (MvdsNode.hold) nor journaled (JournaledMvdsStore.unsettled): a crash
   * meanwhile leaves its sender's record, and the retransmission is received as new after the
   * restart. Not stored (the store failed): forgotten, so that the retransmission is taken again.
   */
  #store(id: Uint8Array, bundle: Bundle, from: Address): void {
    this.node.hold(id)
    this.#messages.unsettled(id)
    const storing = this.#deps.deliver(bundle, from).then(
      (stored) => this.#settle(id, stored),
      () => this.#settle(id, false)
    )
    this.#storing.add(storing)
    void storing.finally(() => this.#storing.delete(storing))
  }

  /** A delivered message's write is done (not stored: the intake counted why). */
  #settle(id: Uint8Array, stored: boolean): void {
    if (stored) this.#messages.settled(id)
    this.node.settle(id, stored)
  }

  /**
   * One epoch: sends what is due. Ticks run one at a time; each first waits for the bundles
   * being stored (so that their ACKs go out in this epoch) and flushes the journal, a few
   * rounds at most. A message still being stored then keeps its ACKs held (see {@link #store}):
   * nothing is acknowledged before the bundle store holds it (docs/mvds.md, "Persistence").
   */
  tick(epoch: number): Promise<void> {
    const run = this.#ticks.then(() => this.#tick(epoch))
    this.#ticks = run.catch((err: unknown) => this.#deps.log.warn('mvds tick failed', { error: err instanceof Error ? err.message : String(err) }))
    return this.#ticks
  }

  async #tick(epoch: number): Promise<void> {
    for (let round = 0; round < MAX_DURABLE_ROUNDS && (this.#storing.size > 0 || this.#journal?.dirty === true); round++) {
      await Promise.allSettled([...this.#storing])
      await this.flush()
    }
    if (this.#stopped) return
    const outgoing = this.node.tick(epoch)
    if (outgoing.length > 0) this.#journal?.markDirty()
    const topic = this.#topic
    const transport = this.#deps.transport
    if (topic !== undefined && isMulticastTransport(transport) && outgoing.length > 1) {
      // Each distinct message goes once on the topic; the rest of each payload stays unicast.
      // The payloads hold the store's message objects, so identity is enough to dedupe them.
      const published = new Set<MvdsMessage>()
      for (const o of outgoing) for (const m of o.payload.messages) published.add(m)
      // Packed into payloads within the MVDS budget: the union over peers can exceed one datagram.
      let b = this.node.payloadBuilder()
      for (const m of published) {
        if (b.addMessage(m)) continue
        this.#publish(transport, topic, b.payload())
        b = this.node.payloadBuilder()
        b.addMessage(m) // every stored message fits an empty payload (send() refuses larger ones)
      }
      if (!b.empty) this.#publish(transport, topic, b.payload())
      for (const o of outgoing) this.#unicast(o.peer, { ...o.payload, messages: [] })
      return
    }
    for (const o of outgoing) this.#unicast(o.peer, o.payload)
  }

  #publish(transport: MulticastTransport, topic: string, payload: MvdsPayload): void {
    transport.publish(topic, this.#encode(payload))
  }

  /** The datagram of a payload, counted as sent. */
  #encode(payload: MvdsPayload): Uint8Array {
    const bytes = encodePacket(envelopeOf(payload), { type: 'mvds', payload })
    this.#deps.counters.sent('mvds', bytes.length)
    return bytes
  }

  #unicast(peer: string, payload: MvdsPayload): void {
    if (payload.acks.length + payload.offers.length + payload.requests.length + payload.messages.length === 0) return
    const to = this.#peers.addressOf(peer)
    if (to === null) return
    this.#deps.transport.send(to, this.#encode(payload))
  }

  #accept(message: MvdsMessage): boolean {
    if (this.#deps.canStore?.() === false) {
      // Not acknowledged: the sender keeps it and retransmits once the store serves again.
      this.#deps.counters.bundleDrop('store-unavailable')
      return false
    }
    if (this.#storing.size + this.#accepted.size >= MAX_MVDS_STORING) {
      // As many writes in flight as we allow: the sender retransmits it later.
      this.#deps.counters.bundleDrop('mvds-storing-full')
      return false
    }
    const bundle = this.#acceptable(message)
    if (bundle !== null) this.#accepted.set(message.body, bundle)
    return bundle !== null
  }

  /** The bundle in a message body when it is one, of the message's group, and verifies. */
  #acceptable(message: MvdsMessage): Bundle | null {
    const bundle = decodeBundle(message.body, { maxParents: MAX_PARENTS_FIELD, maxBody: MAX_BODY_FIELD })
    if (bundle === null || compareBytes(bundle.overlay, message.groupId) !== 0 || !this.#deps.verify(bundle)) {
      this.#deps.counters.bundleDrop('mvds-bad-body')
      return null
    }
    if (!this.#members.allows(hex(bundle.overlay), hex(bundle.author))) {
      this.#deps.counters.bundleDrop('mvds-not-member')
      return null
    }
    return bundle
  }
}

function envelopeOf(payload: MvdsPayload): Uint8Array {
  return payload.messages[0]?.groupId ?? MVDS_ENVELOPE
}
