/**
 * The node: composes the sans-I/O core over injected components (transport, clock, rng,
 * store). One walk step per overlay every `stepIntervalMs`; one handler per packet type
 * behind the dispatcher (./dispatcher.ts).
 */

import { generateKeyPair, signBundle, type KeyPair } from '../bundle/sign.js'
import { defaultVerifyBundle } from './native-verify.js'
import { maxBundleBytes } from '../bundle/validate.js'
import { policyError } from '../bundle/policy.js'
import type { Bundle } from '../bundle/types.js'
import { BloomwalkError } from '../errors.js'
import { silentLogger, type Logger } from '../env/logger.js'
import { PunctureTracker, WanVoter } from '../nat/index.js'
import { syncConfig, type SyncConfig } from '../sync/config.js'
import { offerSize } from '../sync/capacity.js'
import type { OfferSize } from '../sync/offer.js'
import { addressKey, decodeLimits, encodePacket, parseAddressKey, sameAddress, type Address, type DecodeLimits, type Packet } from '../wire/index.js'
import { AmplificationGuard } from './amplification.js'
import type { Charge } from './charge.js'
import type { NodeContext } from './context.js'
import { dispatch, HANDLERS, type HandlerTable } from './dispatcher.js'
import { onIntroductionResponse } from './handlers/introduction-response.js'
import { onPuncture } from './handlers/puncture.js'
import { onPush } from './handlers/push.js'
import { onBundles } from './handlers/bundles.js'
import { FirstContact, type FirstContactStats } from './first-contact.js'
import { PushService, type PushStats } from './push.js'
import { DeliveryQueue, TypedEvents, type Delivery, type NodeEvents } from './events.js'
import { NODE_DEFAULTS, type NodeOptions, type NodeRole, type ResolvedNodeOptions } from './options.js'
import { OverlayState } from './overlay.js'
import { hex } from '../bytes.js'
import { RequestCache } from './requests.js'
import { Counters, type NodeCounters } from './stats.js'
import { walkStep } from './walker.js'
import { BundleIntake } from './intake.js'
import { OverlayDelivery, type DeliveryCounters } from './delivery.js'
import { IntakeBudgets, type IntakeBudgetStats } from './budgets.js'
import { Ledger, type LedgerComponents } from './ledger.js'
import { IdentityNonces } from './identities.js'
import type { RoomPolicy } from '../bundle/policy.js'
import { NodeMvds } from './mvds.js'
import { isStateStore, type BundleStore } from '../store/types.js'
import { CatchUp, type CatchUpCounters } from './catch-up.js'
import { serveBundles } from './handlers/bundle-request.js'
import type { CategoryCounts } from '../candidates/index.js'
import type { PunctureStats } from '../nat/index.js'
import type { AmplificationStats } from './amplification.js'

/** Peers an ephemeral message is sent to at most. */
const MAX_EPHEMERAL_PEERS = 32

/** Per-overlay figures in {@link NodeStats}. */
export interface OverlayStats {
  overlay: string
  globalTime: number
  bundlesStored: number
  candidates: CategoryCounts
  /** Causal delivery: counters and the bundles waiting in memory for parents (peers only). */
  delivery?: DeliveryCounters & { waiting: number }
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
  #ctx: NodeContext
  #mvdsEpoch = 0
  #cancelMvds: (() => void) | undefined
  readonly #opts: ResolvedNodeOptions
  readonly #overlays = new Map<string, OverlayState>()
  readonly #queues = new Set<DeliveryQueue>()
  readonly #sizes: Record<'ipv4' | 'ipv6', OfferSize>
  #running = false
  #stopping: Promise<void> | undefined
  readonly #inflight = new Set<Promise<void>>()
  readonly #intake: BundleIntake
  readonly #budgets: IntakeBudgets
  readonly #identities: IdentityNonces
  readonly #push: PushService
  readonly #firstContact: FirstContact
  readonly #handlers: HandlerTable

  constructor(options: NodeOptions) {
    const opts: ResolvedNodeOptions = { ...NODE_DEFAULTS, ...stripUndefined(options) }
    this.#opts = opts
    this.role = opts.role
    this.keys = opts.keys ?? generateKeyPair(opts.rng)
    const sync: SyncConfig = syncConfig(opts.sync)
    const limits: Readonly<DecodeLimits> = decodeLimits(opts.limits)
    this.#sizes = { ipv4: offerSize(sync.datagramBudget, sync.falsePositiveRate, 'ipv4', sync.hashFunctions), ipv6: offerSize(sync.datagramBudget, sync.falsePositiveRate, 'ipv6', sync.hashFunctions) }
    const lan = opts.lan ?? opts.transport.address()
    const voter = new WanVoter({ lan })
    const log: Logger = opts.logger ?? silentLogger
    const counters = new Counters()
    const guard = new AmplificationGuard({ secret: opts.rng.bytes(32), factor: opts.amplificationFactor })
    const node = this
    this.#budgets = new IntakeBudgets(opts.intakeBudgets)
    this.#identities = new IdentityNonces(this.keys.publicKey, opts.identityNonces)
    this.#intake = new BundleIntake({ context: () => this.#ctx, maxParents: opts.maxParents, verify: opts.verifyBundle ?? defaultVerifyBundle, deliver: (d) => this.#deliver(d), budgets: this.#budgets, store: { has: (o, id) => opts.store!.has(o, id) }, refuse: (b) => this.#ctx.mvds?.layer.refuse(b) })
    this.#ctx = {
      role: opts.role,
      clock: opts.clock,
      rng: opts.rng,
      log,
      counters,
      voter,
      punctures: new PunctureTracker({ timeoutMs: opts.requestTimeoutMs }),
      requests: new RequestCache(),
      guard,
      store: opts.role === 'peer' ? opts.store : undefined,
      sync,
      limits,
      punctureRequests: opts.punctureRequests,
      tokens: new Map(),
      lan: () => voter.lan,
      wan: () => voter.wan ?? voter.lan,
      connectionType: () => voter.connectionType(),
      isSelf: (a) => sameAddress(a, voter.lan) || (voter.wan !== undefined && sameAddress(a, voter.wan)),
      send: (to, overlay, packet, charge) => node.#send(to, overlay, packet, charge),
      accept: (overlay, bundles, from) => node.#intake.accept(overlay, bundles, from),
      acceptEphemeral: (overlay, bundles, from) => node.#intake.acceptEphemeral(overlay, bundles, from),
      activeFrom: (overlay) => overlay.ledger?.activeFrom() ?? 0,
      mvds: undefined,
      catchUp: new CatchUp({
        clock: opts.clock,
        log,
        counters,
        store: opts.role === 'peer' ? opts.store : undefined,
        sync,
        limits,
        send: (to, overlay, packet, charge) => node.#send(to, overlay, packet, charge),
        serveBundles: (from, overlay, ids) => serveBundles(node.#ctx, from, overlay, ids)
      }),
      catchUpEnabled: opts.catchUp ?? true
    }
    if (opts.mvds !== undefined && opts.role === 'peer') {
      const layer = new NodeMvds(opts.mvds, {
        transport: opts.transport,
        counters,
        selfKey: addressKey(lan),
        selfAuthor: hex(this.keys.publicKey),
        state: opts.mvds.persist !== false && isStateStore(opts.store) ? opts.store : undefined,
        log,
        verify: (b) => (opts.verifyBundle ?? defaultVerifyBundle)(b) && b.bytes.length <= maxBundleBytes(sync.datagramBudget),
        canStore: () => opts.store?.failure === undefined,
        deliver: (b, from) => {
          const state = this.#overlays.get(hex(b.overlay))
          if (state === undefined) return Promise.resolve()
          const stored = this.#intake.accept(state, [b], from, true).then(() => undefined)
          this.#track(stored)
          return stored
        }
      })
      this.#ctx = { ...this.#ctx, mvds: { layer, epoch: () => this.#mvdsEpoch } }
    }
    this.#push = new PushService(opts.push, {
      clock: opts.clock,
      rng: opts.rng,
      guard,
      send: (to, overlay, packet, charge) => this.#send(to, overlay, packet, charge),
      accept: (overlay, bundles, from) => this.#intake.accept(overlay, bundles, from),
      acceptEphemeral: (overlay, bundles, from) => this.#intake.acceptEphemeral(overlay, bundles, from),
      has: async (overlay, id) => (await this.#ctx.store?.has(overlay.id, id)) === true
    })
    this.#firstContact = new FirstContact({
      walk: { sizes: this.#sizes, requestTimeoutMs: opts.requestTimeoutMs, events: this.#events },
      validated: (overlay) => this.#push.targets(overlay, Number.MAX_SAFE_INTEGER, undefined).length,
      wanted: this.#push.options.fanout,
      track: (p) => this.#track(p)
    })
    this.#handlers = {
      ...HANDLERS,
      'introduction-response': (ctx, from, overlay, res) => onIntroductionResponse(ctx, from, overlay, res, (request) => this.#firstContact.onResponse(ctx, overlay, from, res, request)),
      puncture: (ctx, from, overlay, p) => onPuncture(ctx, from, overlay, p, () => this.#firstContact.onPunctured(ctx, overlay, from)),
      push: (ctx, from, overlay, p) => onPush(ctx, from, overlay, p, this.#push),
      bundles: (ctx, from, overlay, p) => onBundles(ctx, from, overlay, p, (fresh) => this.#push.fetched(overlay, fresh, from))
    }
    if (opts.role === 'peer' && opts.store === undefined) throw new BloomwalkError('INVALID_ARGUMENT', 'a peer node needs a store')
    if (!Number.isSafeInteger(opts.causalBuffer) || opts.causalBuffer < 1) throw new BloomwalkError('INVALID_ARGUMENT', `causalBuffer must be a positive integer, got ${String(opts.causalBuffer)}`)
    if (!Number.isSafeInteger(opts.causalWaitMs) || opts.causalWaitMs < 0) throw new BloomwalkError('INVALID_ARGUMENT', `causalWaitMs must be an integer ≥ 0, got ${String(opts.causalWaitMs)}`)
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
    const { transport, trusted } = this.#opts
    await this.#ctx.store?.open()
    const mvds = this.#ctx.mvds
    if (mvds !== undefined) {
      // MVDS state from before a restart: its private groups are joined (never walked) and
      // the epoch goes on from where it stopped, so persisted send epochs keep their meaning.
      for (const group of await mvds.layer.load()) {
        await this.join(group)
        this.#walkMembers(group)
      }
      this.#mvdsEpoch = Math.max(this.#mvdsEpoch, mvds.layer.node.epoch)
      mvds.layer.resume()
    }
    this.#firstContact.start()
    this.#ctx.catchUp.start()
    transport.onPacket = (from, bytes) => this.#track(dispatch(this.#ctx, (o, p) => this.#lookup(o, p), from, bytes, this.#handlers))
    // Overlays joined before a stop(): deliver what is undelivered again (join() does it for new ones).
    for (const state of this.#overlays.values()) await state.delivery?.resume()
    for (const overlay of this.#opts.overlays ?? []) await this.join(overlay)
    // After a stop(), overlays joined before walk again (join() returns early for them).
    if (this.role === 'peer') for (const state of this.#overlays.values()) if (state.cancelStep === undefined) this.#schedule(state, 0)
    if (this.#ctx.mvds !== undefined) this.#scheduleMvds(this.#ctx.mvds.layer)
    for (const t of trusted ?? []) for (const o of this.#overlays.values()) o.candidates.addTrusted(addressKey(t))
  }

  /** Stops walking and detaches from the transport; waits for handlers in flight. Idempotent. The caller closes the transport and store it supplied. */
  stop(): Promise<void> {
    if (this.#stopping !== undefined) return this.#stopping
    this.#stopping = (async () => {
      this.#running = false
      this.#opts.transport.onPacket = null
      for (const o of this.#overlays.values()) {
        o.cancelStep?.()
        o.cancelStep = undefined
      }
      this.#cancelMvds?.()
      this.#ctx.mvds?.layer.stop()
      this.#firstContact.stop()
      this.#push.stop()
      await this.#ctx.catchUp.stop()
      // Steps and handlers in flight finish first: one mid-await may still add a request and its timeout.
      while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight])
      this.#ctx.requests.clear()
      for (const o of this.#overlays.values()) await o.delivery?.stop()
      await this.#ctx.mvds?.layer.flush().catch((err: unknown) => this.#ctx.log.warn('mvds flush at stop failed', { error: err instanceof Error ? err.message : String(err) }))
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
    const store = this.#ctx.store
    const ledger = store === undefined ? undefined : await Ledger.open(this.#ledgerComponents(store), overlay.slice(), { policy, sketchLength: this.#opts.sketchLength, sketchJournal: this.#opts.sketchJournal })
    const state = new OverlayState(ledger?.id ?? overlay.slice(), { ledger, candidates: this.#opts.candidates })
    if (store !== undefined && this.role === 'peer') {
      state.delivery = new OverlayDelivery({
        overlay: state.id,
        store,
        clock: this.#ctx.clock,
        log: this.#ctx.log,
        self: this.keys.publicKey,
        maxPending: this.#opts.causalBuffer,
        waitMs: this.#opts.causalWaitMs,
        emit: (d) => this.#deliver(d)
      })
    }
    this.#overlays.set(state.key, state)
    await state.delivery?.resume()
    for (const t of this.#opts.trusted ?? []) state.candidates.addTrusted(addressKey(t))
    if (this.#running && this.role === 'peer') this.#schedule(state, 0)
  }

  /**
   * Signs and stores a bundle at the next global time of the overlay, delivers it locally,
   * pushes it to a few validated candidates (DESIGN §13) and lets the walk spread the rest.
   * @throws {BloomwalkError} INVALID_ARGUMENT when the overlay was not joined or the node is a tracker; BUNDLE_TOO_LARGE when it would not fit one datagram
   */
  async publish(overlay: Uint8Array, body: Uint8Array, options: PublishOptions = {}): Promise<Bundle> {
    const state = this.#overlays.get(hex(overlay))
    if (state === undefined || this.role !== 'peer') throw new BloomwalkError('INVALID_ARGUMENT', 'publish needs a peer node that joined the overlay')
    if ((options.parents?.length ?? 0) > this.#opts.maxParents) throw new BloomwalkError('INVALID_ARGUMENT', `at most ${this.#opts.maxParents} parents`)
    const identityNonce = this.#identities.for(state.id, state.key, state.ledger!.policy.identityBits)
    const bundle = signBundle({ overlay, globalTime: state.clock.time + 1, kind: options.kind ?? 1, parents: options.parents, body, expiresAt: options.expiresAt, identityNonce }, this.keys)
    const max = maxBundleBytes(this.#ctx.sync.datagramBudget)
    if (bundle.bytes.length > max) throw new BloomwalkError('BUNDLE_TOO_LARGE', `bundle is ${bundle.bytes.length} bytes; at most ${max} fit one datagram`)
    const refused = state.ledger!.refuses(bundle, state.clock.time + 1)
    if (refused !== undefined) throw new BloomwalkError('BUNDLE_REFUSED_BY_POLICY', `the room's policy refuses this bundle (${refused})`)
    state.clock.claim()
    await this.#intake.accept(state, [bundle], undefined)
    if (this.#running) this.#push.publish(state, bundle)
    return bundle
  }

  /**
   * Sends an ephemeral message (typing, presence): signed, pushed to a few validated
   * candidates and forwarded like a fresh bundle (hop-limited), delivered by each peer once,
   * never stored nor synced. With push off, sent once to up to 32 current walk and stumble
   * peers. Returns the number of peers it was sent to directly.
   * @throws {BloomwalkError} INVALID_ARGUMENT when the overlay was not joined; BUNDLE_TOO_LARGE when it would not fit one datagram
   */
  sendEphemeral(overlay: Uint8Array, body: Uint8Array, options: { kind?: number } = {}): number {
    const state = this.#overlays.get(hex(overlay))
    if (state === undefined || this.role !== 'peer') throw new BloomwalkError('INVALID_ARGUMENT', 'sendEphemeral needs a peer node that joined the overlay')
    const identityNonce = this.#identities.for(state.id, state.key, state.ledger!.policy.identityBits)
    const bundle = signBundle({ overlay, globalTime: Math.max(1, state.clock.time), kind: options.kind ?? 0, body, identityNonce }, this.keys)
    const max = maxBundleBytes(this.#ctx.sync.datagramBudget)
    if (bundle.bytes.length > max) throw new BloomwalkError('BUNDLE_TOO_LARGE', `bundle is ${bundle.bytes.length} bytes; at most ${max} fit one datagram`)
    state.ephemeralSeen.add(hex(bundle.id))
    if (this.#push.options.fanout > 0) return this.#running ? this.#push.publish(state, bundle, true) : 0
    // Push off: once to the current walk and stumble peers, as before push existed.
    const now = this.#ctx.clock.now()
    let sent = 0
    for (const c of state.candidates.list(now)) {
      const category = state.candidates.category(c.key, now)
      if (category !== 'walk' && category !== 'stumble') continue
      const to = parseAddressKey(c.key)
      if (to === null || sent >= MAX_EPHEMERAL_PEERS) continue
      if (this.#send(to, overlay, { type: 'bundles', bundles: [bundle], ephemeral: true }, 'destination')) sent++
    }
    return sent
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
    const mvds = this.#ctx.mvds
    if (mvds === undefined) throw new BloomwalkError('INVALID_ARGUMENT', 'share needs a node created with the mvds option')
    if (options.key !== undefined && (!(options.key instanceof Uint8Array) || options.key.length !== 32)) throw new BloomwalkError('INVALID_ARGUMENT', 'a member key is a 32-byte Ed25519 public key')
    await this.join(group)
    mvds.layer.share(group, peer, options.key)
    await mvds.layer.flush()
    // A private group is not walked (its messages travel by MVDS among members only), or with
    // `mvds.bloomAck` walked among its members only, so that their Bloom offers acknowledge.
    if (this.#walkMembers(group)) return
    const state = this.#overlays.get(hex(group))
    state?.cancelStep?.()
    if (state !== undefined) state.cancelStep = undefined
  }

  /** With `mvds.bloomAck`: the group's members are its (trusted) walk candidates. False when the group is not walked. */
  #walkMembers(group: Uint8Array): boolean {
    const layer = this.#ctx.mvds?.layer
    const state = this.#overlays.get(hex(group))
    if (layer === undefined || state === undefined || !layer.walks(group)) return false
    for (const at of layer.memberAddresses(group)) state.candidates.addTrusted(addressKey(at))
    return true
  }

  /** The MVDS counters (records acknowledged by Bloom offers among them); undefined without MVDS. */
  mvdsStats(): ReturnType<NodeMvds['stats']> | undefined {
    return this.#ctx.mvds?.layer.stats()
  }

  /**
   * Publishes a bundle to a private group through MVDS (reliable delivery to the peers it is
   * shared with) instead of the Bloom walk.
   * @throws {BloomwalkError} INVALID_ARGUMENT without MVDS or before `share`; BUNDLE_TOO_LARGE as `publish`
   */
  async sendPrivate(group: Uint8Array, body: Uint8Array, options: PublishOptions = {}): Promise<Bundle> {
    const mvds = this.#ctx.mvds
    if (mvds === undefined) throw new BloomwalkError('INVALID_ARGUMENT', 'sendPrivate needs a node created with the mvds option')
    const bundle = await this.publish(group, body, options)
    mvds.layer.send(bundle, Math.floor(this.#ctx.clock.now() / 1000))
    // Resolves once the MESSAGE / OFFER records are on disk (with a state store): a crash
    // after this cannot lose the message.
    await mvds.layer.flush()
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
    const now = this.#ctx.clock.now()
    return {
      ...this.#ctx.counters.snapshot(),
      address: this.address(),
      wan: this.#ctx.wan(),
      connectionType: this.#ctx.connectionType(),
      overlays: [...this.#overlays.values()].map((o) => ({
        overlay: o.key,
        globalTime: o.clock.time,
        bundlesStored: o.stored,
        candidates: o.candidates.counts(now),
        ...(o.delivery === undefined ? {} : { delivery: { ...o.delivery.counters(), waiting: o.delivery.pending } })
      })),
      punctures: this.#ctx.punctures.stats(),
      amplification: this.#ctx.guard.stats(),
      outstandingRequests: this.#ctx.requests.size,
      catchUp: this.#ctx.catchUp.stats(),
      budgets: this.#budgets.stats(),
      push: this.#push.stats(),
      firstContact: this.#firstContact.stats()
    }
  }

  /**
   * This node's identity nonce for a room whose policy asks for one (minted at the first
   * publish there), for the application to keep with its key (see `NodeOptions.identityNonces`).
   */
  identityNonce(overlay: Uint8Array): Uint8Array | undefined {
    return this.#identities.get(hex(overlay))
  }

  /** The candidates of an overlay (for inspection and tests). */
  candidates(overlay: Uint8Array): ReturnType<OverlayState['candidates']['list']> {
    return this.#overlays.get(hex(overlay))?.candidates.list(this.#ctx.clock.now()) ?? []
  }

  #lookup(overlay: Uint8Array, packet: Packet): OverlayState | undefined {
    const key = hex(overlay)
    const found = this.#overlays.get(key)
    if (this.role !== 'tracker') return found
    // A tracker serves any overlay, keeping state for the most recently used ones: a hit
    // moves the overlay to the end, so the least recently used is the one dropped.
    if (found !== undefined) {
      this.#overlays.delete(key)
      this.#overlays.set(key, found)
      return found
    }
    if (packet.type !== 'introduction-request') return undefined
    const state = new OverlayState(overlay.slice(), { candidates: this.#opts.candidates })
    this.#overlays.set(state.key, state)
    if (this.#overlays.size > this.#opts.maxTrackedOverlays) this.#overlays.delete(this.#overlays.keys().next().value as string)
    return state
  }

  #schedule(state: OverlayState, delay: number): void {
    state.cancelStep?.()
    state.cancelStep = undefined
    if (this.#ctx.mvds !== undefined && !this.#ctx.mvds.layer.walks(state.id)) return
    state.cancelStep = this.#ctx.clock.setTimeout(() => {
      if (!this.#running) return
      this.#schedule(state, this.#opts.stepIntervalMs)
      if (state.stepping) return
      state.stepping = true
      this.#track(
        walkStep(this.#ctx, state, { sizes: this.#sizes, requestTimeoutMs: this.#opts.requestTimeoutMs, events: this.#events })
          .then(() => state.ledger?.maintain())
          .catch((err: unknown) => {
            // A store that stopped serving (a failed write) makes the step fail; it re-opens
            // itself on a later step. Nothing here may reject into the timer.
            this.#ctx.counters.walkErrors++
            if (this.#ctx.counters.walkErrors <= 10 || this.#ctx.counters.walkErrors % 1000 === 0) {
              this.#ctx.log.warn('walk step failed', { overlay: state.key, walkErrors: this.#ctx.counters.walkErrors, error: err instanceof Error ? err.message : String(err) })
            }
          })
          .finally(() => {
            state.stepping = false
          })
      )
    }, delay)
  }

  #scheduleMvds(layer: NodeMvds): void {
    this.#cancelMvds = this.#ctx.clock.setTimeout(() => {
      if (!this.#running) return
      this.#track(layer.tick(++this.#mvdsEpoch))
      this.#scheduleMvds(layer)
    }, layer.epochMs)
  }

  #send(to: Address, overlay: Uint8Array, packet: Packet, charge: Charge): boolean {
    // Whatever path asks, a private group's overlay goes to its members only.
    if (this.#ctx.mvds !== undefined && !this.#ctx.mvds.layer.admits(overlay, to)) {
      this.#ctx.counters.privateRefused++
      return false
    }
    let bytes: Uint8Array
    try {
      bytes = encodePacket(overlay, packet)
    } catch (err) {
      this.#ctx.log.warn('unencodable packet', { type: packet.type, error: err instanceof Error ? err.message : String(err) })
      return false
    }
    const guard = this.#ctx.guard
    const key = addressKey(to)
    const validated = guard.isValidated(key)
    if (charge === 'destination') {
      if (!guard.allow(key, bytes.length)) return false
    } else if (charge === 'initiated') {
      guard.count(key, bytes.length)
    } else {
      const also = typeof charge === 'string' ? undefined : charge.also
      // The asker pays too: checked before anything is charged (a refused send charges nobody).
      if (also !== undefined && !guard.isValidated(also) && guard.remaining(also) < bytes.length) {
        guard.allow(also, bytes.length) // counts the refusal
        return false
      }
      if (!guard.allowProbe(key, bytes.length, this.#ctx.clock.now(), charge === 'vouched-probe', also === undefined ? 'walk' : 'puncture')) return false
      if (also !== undefined) guard.allow(also, bytes.length)
    }
    this.#ctx.counters.sent(packet.type, bytes.length)
    if (!validated) this.#ctx.counters.sentUnvalidated(packet.type, bytes.length)
    this.#opts.transport.send(to, bytes)
    return true
  }

  #ledgerComponents(store: BundleStore): LedgerComponents {
    const { sync, rng, log, counters } = this.#ctx
    return { store, sync, rng, log, counters, expired: (overlay, bundle) => this.#events.emit('expired', { overlay, bundle }) }
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

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T
}

/** Creates a node from injected components. Call `start()` to begin. */
export function createNode(options: NodeOptions): BloomwalkNode {
  return new BloomwalkNode(options)
}

