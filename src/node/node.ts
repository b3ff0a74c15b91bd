/**
 * The node: wires services over injected components (transport, clock, rng, store). A peer
 * is the walker with its peer part and the services of ./peer.ts; a tracker is a walker
 * alone (./tracker.ts). Every inbound datagram goes through the dispatcher
 * (./dispatcher.ts) to the service that registered its packet type; every outbound one
 * through ./send.ts. `stop()` stops every service.
 */
import { generateKeyPair, type KeyPair } from '../bundle/sign.js'
import { policyError, type RoomPolicy } from '../bundle/policy.js'
import type { Bundle } from '../bundle/types.js'
import { BloomwalkError } from '../errors.js'
import { silentLogger, type Logger } from '../env/logger.js'
import { syncConfig, type SyncConfig } from '../sync/config.js'
import { offerSize } from '../sync/capacity.js'
import type { OfferStats } from '../sync/offer.js'
import { addressKey, decodeLimits, type Address, type DecodeLimits } from '../wire/index.js'
import { hex } from '../bytes.js'
import type { CategoryCounts } from '../candidates/index.js'
import type { PunctureStats } from '../nat/index.js'
import { AmplificationGuard, type AmplificationStats } from './amplification.js'
import type { CatchUpCounters } from './catch-up-policy.js'
import type { DeliveryCounters } from './delivery.js'
import { dispatch, type DispatchComponents, type HandlerTable } from './dispatcher.js'
import { DeliveryQueue, TypedEvents, type Delivery, type NodeEvents } from './events.js'
import type { FirstContactStats } from './first-contact.js'
import type { IdentityStats } from './identities.js'
import type { IntakeBudgetStats } from './budgets.js'
import { resolveNodeOptions, type NodeOptions, type NodeRole, type ResolvedNodeOptions } from './options.js'
import type { OverlayWalk } from './overlay.js'
import { Peer } from './peer.js'
import type { PushStats } from './push.js'
import { sender } from './send.js'
import { Counters, type NodeCounters } from './stats.js'
import { Tracker } from './tracker.js'
import type { Wiring } from './wiring.js'
import type { NodeMvds } from './mvds.js'
import { Walker, type WalkerInit } from './walker.js'

/** Per-overlay figures in {@link NodeStats}. */
export interface OverlayStats {
  overlay: string
  globalTime: number
  bundlesStored: number
  candidates: CategoryCounts
  /** Causal delivery: counters and the bundles waiting in memory for parents (peers only). */
  delivery?: DeliveryCounters & { waiting: number }
  /** The walk's offer decisions: fresh, reused, skipped filters, late answers (peers only). */
  offers?: OfferStats
}

/** Everything `stats()` reports. */
export interface NodeStats extends NodeCounters {
  address: Address
  wan: Address
  connectionType: string
  overlays: OverlayStats[]
  punctures: PunctureStats
  amplification: AmplificationStats
  outstandingRequests: number
  catchUp: CatchUpCounters
  /** Hosts and authors the intake budgets remember. */
  budgets: IntakeBudgetStats
  push: PushStats
  firstContact: FirstContactStats
  /** Identity nonces minted at a publish and ahead of an epoch. */
  identities: IdentityStats
}

/** Options of {@link BloomwalkNode.publish}. */
export interface PublishOptions {
  parents?: Uint8Array[]
  /** Application kind 0–255 (priority and direction per kind come from the sync config). Default 1. */
  kind?: number
  /** Global time after which the bundle is neither synced nor kept. */
  expiresAt?: number
}

/** A bloomwalk node. Create with {@link createNode}. */
export class BloomwalkNode {
  readonly role: NodeRole
  readonly keys: KeyPair
  readonly #events = new TypedEvents<NodeEvents>()
  readonly #opts: ResolvedNodeOptions
  readonly #counters = new Counters()
  readonly #guard: AmplificationGuard
  readonly #walker: Walker
  /** A peer's services, or a tracker's (a walker alone). */
  readonly #wiring: Wiring
  readonly #handlers: HandlerTable
  readonly #dispatch: DispatchComponents
  readonly #overlays = new Map<string, OverlayWalk>()
  readonly #queues = new Set<DeliveryQueue>()
  readonly #inflight = new Set<Promise<void>>()
  #running = false
  #stopping: Promise<void> | undefined

  constructor(options: NodeOptions) {
    const opts: ResolvedNodeOptions = resolveNodeOptions(options)
    this.#opts = opts
    this.role = opts.role
    this.keys = opts.keys ?? generateKeyPair(opts.rng)
    const sync: SyncConfig = syncConfig(opts.sync)
    const limits: Readonly<DecodeLimits> = decodeLimits(opts.limits)
    const { clock, rng, transport } = opts
    const log: Logger = opts.logger ?? silentLogger
    const counters = this.#counters
    const guard = (this.#guard = new AmplificationGuard({ secret: rng.bytes(32), factor: opts.amplificationFactor }))
    const sizes = { ipv4: offerSize(sync.datagramBudget, sync.falsePositiveRate, 'ipv4', sync.hashFunctions), ipv6: offerSize(sync.datagramBudget, sync.falsePositiveRate, 'ipv6', sync.hashFunctions) }
    const walk: WalkerInit = { lan: opts.lan ?? transport.address(), sizes, stepIntervalMs: opts.stepIntervalMs, requestTimeoutMs: opts.requestTimeoutMs, punctureRequests: opts.punctureRequests }
    const send = sender({ transport, guard, counters, clock, log, admits: (overlay, to) => this.#wiring.admits(overlay, to) })
    const walkerComponents = { clock, rng, log, counters, guard, events: this.#events, send }
    this.#wiring =
      opts.role === 'peer'
        ? new Peer({ ...walkerComponents, store: opts.store!, transport, keys: this.keys, sync, limits, overlays: this.#overlays, deliver: (d) => this.#deliver(d), track: (p) => this.#track(p) }, opts, walk)
        : new Tracker(walkerComponents, walk, { overlays: this.#overlays, maxTrackedOverlays: opts.maxTrackedOverlays, candidates: opts.candidates })
    this.#walker = this.#wiring.walker
    this.#handlers = this.#wiring.handlers()
    const mvds = this.#wiring.privateGroups
    this.#dispatch = { guard, counters, limits, log, lan: () => this.#walker.lan(), lookup: (overlay, packet) => this.#wiring.lookup(overlay, packet, hex(overlay)), admitsSource: (from, bytes) => this.#wiring.admitsSource(from, bytes), ...(mvds === undefined ? {} : { mvds }) }
  }

  /**
   * Typed events: `bundle` (a delivery), `walk`, `expired`. Listen before `start()`: joining
   * an overlay delivers what an earlier run stored but had not delivered yet.
   */
  get events(): TypedEvents<NodeEvents> {
    return this.#events
  }

  /** The transport's local address. */
  address(): Address {
    return this.#opts.transport.address()
  }

  /**
   * Opens the store, joins the configured overlays and starts walking. Idempotent.
   * Aborting `signal` stops the node.
   */
  async start(options: { signal?: AbortSignal } = {}): Promise<void> {
    options.signal?.addEventListener('abort', () => void this.stop(), { once: true })
    if (this.#running) return
    this.#running = true
    this.#stopping = undefined
    this.#walker.start()
    const { transport, trusted } = this.#opts
    await this.#wiring.start((group) => this.join(group))
    transport.onPacket = (from, bytes) => this.#track(dispatch(this.#dispatch, this.#handlers, from, bytes))
    // Overlays joined before a stop(): deliver what is undelivered again (join() does it for new ones).
    for (const state of this.#overlays.values()) await this.#wiring.resume(state)
    for (const overlay of this.#opts.overlays ?? []) await this.join(overlay)
    // After a stop(), overlays joined before walk again (join() returns early for them).
    for (const state of this.#overlays.values()) if (!this.#walker.isWalking(state)) this.#walk(state)
    this.#wiring.started()
    for (const t of trusted ?? []) for (const o of this.#overlays.values()) o.addTrusted(addressKey(t))
  }

  /** Stops walking and detaches from the transport; waits for handlers in flight. Idempotent. The caller closes the transport and store it supplied. */
  stop(): Promise<void> {
    if (this.#stopping !== undefined) return this.#stopping
    this.#stopping = (async () => {
      this.#running = false
      this.#opts.transport.onPacket = null
      this.#walker.halt()
      await this.#wiring.halt()
      // Handlers in flight finish first: one mid-await may still start a request and its timeout.
      while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight])
      await this.#wiring.stop()
      for (const q of this.#queues) q.close()
    })()
    return this.#stopping
  }

  /**
   * Joins an overlay: loads its global time and count, applies the room's policy to what is
   * stored, delivers what the store holds undelivered (see docs/causal.md), adds trusted
   * peers, starts its walk. `policy`: the room's (DESIGN §14; the overlay id should be
   * `roomId(name, policy)`), default {@link DEFAULT_ROOM_POLICY}.
   */
  async join(overlay: Uint8Array, options: { policy?: RoomPolicy } = {}): Promise<void> {
    if (!(overlay instanceof Uint8Array) || overlay.length !== 32) throw new BloomwalkError('INVALID_ARGUMENT', 'overlay must be 32 bytes')
    const policy = options.policy ?? this.#opts.policies?.get(hex(overlay))
    const problem = policy === undefined ? undefined : policyError(policy)
    if (problem !== undefined) throw new BloomwalkError('INVALID_ARGUMENT', `invalid room policy: ${problem}`)
    if (this.#overlays.has(hex(overlay))) return
    const state = await this.#wiring.open(overlay.slice(), policy)
    this.#overlays.set(state.key, state)
    await this.#wiring.resume(state)
    for (const t of this.#opts.trusted ?? []) state.addTrusted(addressKey(t))
    if (this.#running) this.#walk(state)
  }

  /**
   * Signs and stores a bundle at the next global time of the overlay, delivers it locally,
   * pushes it to a few validated candidates (DESIGN §13) and lets the walk spread the rest.
   * @throws {BloomwalkError} INVALID_ARGUMENT when the overlay was not joined or the node is a tracker; BUNDLE_TOO_LARGE when it would not fit one datagram
   */
  async publish(overlay: Uint8Array, body: Uint8Array, options: PublishOptions = {}): Promise<Bundle> {
    const { peer, state } = this.#joined(overlay, 'publish')
    return peer.publisher.publish(state, body, options)
  }

  /**
   * Stores a bundle signed by another key as if it had been published here — a bridge from
   * another transport, or the simulator's spammers (src/sim/spammers.ts), which publish as
   * many identities — checked as a peer's bundle is (structure, room policy, identity work,
   * signature), then stored, delivered and pushed as fresh. Returns false when already stored.
   * @throws {BloomwalkError} INVALID_ARGUMENT when the overlay was not joined, the bundle is not of it or its signature fails; BUNDLE_REFUSED_BY_POLICY when the room's policy refuses it
   */
  async relay(overlay: Uint8Array, bundle: Bundle): Promise<boolean> {
    const { peer, state } = this.#joined(overlay, 'relay')
    return peer.publisher.relay(state, bundle)
  }

  /**
   * Sends an ephemeral message (typing, presence): signed, pushed to a few validated
   * candidates and forwarded like a fresh bundle (hop-limited), delivered by each peer once,
   * never stored nor synced. With push off, sent once to up to 32 current walk and stumble
   * peers. Returns the number of peers it was sent to directly.
   * @throws {BloomwalkError} INVALID_ARGUMENT when the overlay was not joined; BUNDLE_TOO_LARGE when it would not fit one datagram
   */
  sendEphemeral(overlay: Uint8Array, body: Uint8Array, options: { kind?: number } = {}): number {
    const { peer, state } = this.#joined(overlay, 'sendEphemeral')
    return peer.publisher.sendEphemeral(state, body, options.kind ?? 0)
  }

  /**
   * Shares a private group with a peer for MVDS (both sides share for messages to flow).
   * Joins the group as an overlay if needed. From then on the group is private: it is not
   * walked, and no datagram of its overlay other than MVDS is answered or sent to a peer it
   * is not shared with (docs/mvds.md, "Private groups in the node"). With `key` (the peer's
   * public key) the group lists its members: MVDS then accepts only bundles authored by a
   * listed member or by us.
   * @throws {BloomwalkError} INVALID_ARGUMENT when the node runs without MVDS
   */
  async share(group: Uint8Array, peer: Address, options: { key?: Uint8Array } = {}): Promise<void> {
    const { peer: wiring, mvds } = this.#mvds('share')
    if (options.key !== undefined && (!(options.key instanceof Uint8Array) || options.key.length !== 32)) throw new BloomwalkError('INVALID_ARGUMENT', 'a member key is a 32-byte Ed25519 public key')
    await this.join(group)
    mvds.share(group, peer, options.key)
    await mvds.flush()
    // A private group is not walked (its messages travel by MVDS among members only), or with
    // `mvds.bloomAck` walked among its members only, so that their Bloom offers acknowledge.
    if (wiring.walkMembers(group)) return
    const state = this.#overlays.get(hex(group))
    if (state !== undefined) this.#walker.unwalk(state)
  }

  /** The MVDS counters (records acknowledged by Bloom offers among them); undefined without MVDS. */
  mvdsStats(): ReturnType<NodeMvds['stats']> | undefined {
    return this.#wiring instanceof Peer ? this.#wiring.mvds?.stats() : undefined
  }

  /**
   * Publishes a bundle to a private group through MVDS (reliable delivery to the peers it is
   * shared with) instead of the Bloom walk.
   * @throws {BloomwalkError} INVALID_ARGUMENT without MVDS or before `share`; BUNDLE_TOO_LARGE as `publish`
   */
  async sendPrivate(group: Uint8Array, body: Uint8Array, options: PublishOptions = {}): Promise<Bundle> {
    const { mvds } = this.#mvds('sendPrivate')
    const bundle = await this.publish(group, body, options)
    mvds.send(bundle, Math.floor(this.#opts.clock.now() / 1000))
    // Resolves once the MESSAGE / OFFER records are on disk (with a state store): a crash
    // after this cannot lose the message.
    await mvds.flush()
    return bundle
  }

  /** Delivered bundles as an async iterator (bounded queue; `return()` or `signal` ends it). */
  bundles(options: { signal?: AbortSignal } = {}): AsyncIterableIterator<Delivery> {
    const queue: DeliveryQueue = new DeliveryQueue(this.#opts.deliveryQueue, () => this.#queues.delete(queue))
    this.#queues.add(queue)
    options.signal?.addEventListener('abort', () => queue.close(), { once: true })
    return queue
  }

  /** Counters, candidates per category, global time and stored bundles per overlay. */
  stats(): NodeStats {
    const now = this.#opts.clock.now()
    return {
      ...this.#counters.snapshot(),
      address: this.address(),
      wan: this.#walker.wan(),
      connectionType: this.#walker.connectionType(),
      overlays: [...this.#overlays.values()].map((o) => {
        const { bundlesStored, delivery, offers } = this.#wiring.overlayStats(o)
        return { overlay: o.key, globalTime: o.clock.time, bundlesStored, candidates: o.candidates.counts(now), ...(delivery === undefined ? {} : { delivery }), ...(offers === undefined ? {} : { offers }) }
      }),
      punctures: this.#walker.punctures.stats(),
      amplification: this.#guard.stats(),
      outstandingRequests: this.#walker.requests.size,
      ...this.#wiring.stats()
    }
  }

  /**
   * This node's identity nonce for a room whose policy asks for one (minted at the first
   * publish there), for the application to keep with its key (see `NodeOptions.identityNonces`).
   */
  identityNonce(overlay: Uint8Array): Uint8Array | undefined {
    return this.#wiring.identityNonce(hex(overlay))
  }

  /** The candidates of an overlay (for inspection and tests). */
  candidates(overlay: Uint8Array): ReturnType<OverlayWalk['candidates']['list']> {
    return this.#overlays.get(hex(overlay))?.candidates.list(this.#opts.clock.now()) ?? []
  }

  /** The peer's services and the overlay's state, or INVALID_ARGUMENT naming the operation. */
  #joined(overlay: Uint8Array, what: string): { peer: Peer; state: OverlayWalk } {
    const state = this.#overlays.get(hex(overlay))
    if (state === undefined || !(this.#wiring instanceof Peer)) throw new BloomwalkError('INVALID_ARGUMENT', `${what} needs a peer node that joined the overlay`)
    return { peer: this.#wiring, state }
  }

  /** The peer and its MVDS layer, or INVALID_ARGUMENT naming the operation. */
  #mvds(what: string): { peer: Peer; mvds: NodeMvds } {
    const mvds = this.#wiring instanceof Peer ? this.#wiring.mvds : undefined
    if (mvds === undefined) throw new BloomwalkError('INVALID_ARGUMENT', `${what} needs a node created with the mvds option`)
    return { peer: this.#wiring as Peer, mvds }
  }

  /** A peer walks the overlays it joined (not its private groups); a tracker never walks. */
  #walk(state: OverlayWalk): void {
    if (this.#wiring.walks(state)) this.#walker.walk(state)
  }

  #deliver(d: Delivery): void {
    this.#events.emit('bundle', d)
    for (const q of this.#queues) q.push(d)
  }

  #track(p: Promise<void>): void {
    this.#inflight.add(p)
    void p.finally(() => this.#inflight.delete(p))
  }
}

/**
 * Creates a node from injected components and its settings. Call `start()` to begin.
 * @throws {BloomwalkError} INVALID_ARGUMENT naming the first bad option
 */
export function createNode(options: NodeOptions): BloomwalkNode {
  return new BloomwalkNode(options)
}
