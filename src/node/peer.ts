/**
 * A peer's wiring (DESIGN §12): the walker with its peer part, and the services a peer adds
 * — the intake and its budgets, each overlay's ledger and delivery, the responder, catch-up,
 * push, first contact and (when asked for) MVDS. A tracker is a different wiring (a walker
 * alone, ./tracker.ts). Every service owns its state and timers; {@link Peer.stop} stops them.
 */
import type { KeyPair } from '../bundle/sign.js'
import type { Bundle } from '../bundle/types.js'
import { hex } from '../bytes.js'
import type { BundleStore } from '../store/types.js'
import type { SyncConfig } from '../sync/config.js'
import type { Transport } from '../transport/types.js'
import { addressKey, type Address, type DecodeLimits, type IntroductionRequest, type IntroductionResponse, type Packet, type PunctureRequest } from '../wire/index.js'
import type { HandlerTable } from './dispatcher.js'
import { IntakeBudgets } from './budgets.js'
import { DatagramBudget } from './datagram-budget.js'
import { CatchUp } from './catch-up.js'
import type { SendFn } from './send.js'
import { OverlayDelivery } from './delivery.js'
import type { Delivery } from './events.js'
import { FirstContact } from './first-contact.js'
import { onBundles } from './handlers/bundles.js'
import { onPush } from './handlers/push.js'
import { IdentityNonces } from './identities.js'
import { BundleIntake } from './intake.js'
import { Ledger } from './ledger.js'
import type { NodeMvds } from './mvds.js'
import { defaultVerifyBundle } from './native-verify.js'
import type { ResolvedNodeOptions } from './options.js'
import { OverlayWalk, type Overlay } from './overlay.js'
import { PrivateGroups } from './private-groups.js'
import { Publisher } from './publisher.js'
import { PushService } from './push.js'
import type { OutstandingRequest } from './requests.js'
import { Responder } from './responder.js'
import { Walker, type WalkerComponents, type WalkerInit, type WalkerPeer } from './walker.js'
import type { OverlayServiceStats, Wiring, WiringStats } from './wiring.js'
import type { OfferBuilder } from '../sync/offer.js'
import type { RoomPolicy } from '../bundle/policy.js'

/** What a peer's services are built from (the node's components): the walker's and the peer part's. */
export interface PeerComponents extends WalkerComponents {
  readonly store: BundleStore
  /** MVDS sends on it directly (its own framing). */
  readonly transport: Transport
  readonly keys: KeyPair
  readonly sync: SyncConfig
  readonly limits: Readonly<DecodeLimits>
  readonly send: SendFn
  /** The overlays joined (MVDS delivers into them). */
  readonly overlays: ReadonlyMap<string, OverlayWalk>
  deliver(d: Delivery): void
  /** Keeps the node's `stop()` waiting for work started outside a handler (an MVDS delivery). */
  track(p: Promise<void>): void
}

export class Peer implements WalkerPeer, Wiring {
  readonly walker: Walker
  readonly intake: BundleIntake
  readonly budgets: IntakeBudgets
  /** Datagrams and bytes per source before decoding (./datagram-budget.ts). */
  readonly datagrams: DatagramBudget
  readonly identities: IdentityNonces
  readonly responder: Responder
  readonly catchUp: CatchUp
  readonly push: PushService
  readonly firstContact: FirstContact
  /** Publish, relay and ephemeral messages (./publisher.ts). */
  readonly publisher: Publisher
  readonly mvds: NodeMvds | undefined
  /** MVDS and its epochs (./private-groups.ts), when the node runs it. */
  readonly privateGroups: PrivateGroups | undefined
  readonly #c: PeerComponents
  /** Each joined overlay's ledger and delivery, by its key (made by {@link open}). */
  readonly #ledgers = new Map<string, Ledger>()
  readonly #deliveries = new Map<string, OverlayDelivery>()
  readonly #opts: ResolvedNodeOptions
  #running = false

  constructor(c: PeerComponents, opts: ResolvedNodeOptions, walker: WalkerInit) {
    this.#c = c
    this.#opts = opts
    const { clock, rng, log, counters, guard, store, sync, limits, send } = c
    const verify = opts.verifyBundle ?? defaultVerifyBundle
    this.walker = new Walker({ clock, rng, log, counters, guard, events: c.events, send }, walker, this)
    this.budgets = new IntakeBudgets(opts.intakeBudgets)
    this.datagrams = new DatagramBudget(opts.intakeBudgets?.datagrams, opts.intakeBudgets?.burstSeconds)
    this.identities = new IdentityNonces(c.keys.publicKey, opts.identityNonces, clock)
    const ledger = (o: Overlay): Ledger | undefined => this.#ledgers.get(o.key)
    const delivery = (o: Overlay): OverlayDelivery | undefined => this.#deliveries.get(o.key)
    this.intake = new BundleIntake({ clock, counters, sync, limits, send, maxParents: opts.maxParents, verify, deliver: (d) => c.deliver(d), budgets: this.budgets, store, refuse: (b) => this.mvds?.refuse(b), ledger, delivery })
    this.responder = new Responder({ clock, store, sync, limits, rng, counters, send, ledger })
    this.catchUp = new CatchUp(
      { clock, rng, log, counters, store, sync, limits, send, ledger, serveBundles: (from, overlay, want) => this.responder.serveBundles(from, overlay, want), answered: (overlay, peerKey) => this.responder.settled(overlay, peerKey) },
      { shortIds: opts.sketch.shortIds }
    )
    this.push = new PushService(opts.push, {
      clock,
      rng,
      guard,
      send,
      stepIntervalMs: walker.stepIntervalMs,
      accept: (overlay, bundles, from) => this.intake.accept(overlay, bundles, from, { pushed: true }),
      acceptEphemeral: (overlay, bundles, from) => this.intake.acceptEphemeral(overlay, bundles, from),
      // Held or being written: a bundle still being written is not asked for again (issue 22).
      has: async (overlay, id) => ledger(overlay)?.arriving.has(hex(id)) === true || (await store.has(overlay.id, id)) === true,
      // Announced ids are fresh: held, they were stored lately or are being written (src/node/recently-stored.ts).
      hasShort: async (overlay, short) => ledger(overlay)?.recent.holds(short) === true,
      pushed: (overlay) => ledger(overlay)?.builder.onPushed(),
      holdsAt: async (overlay, globalTime) => {
        if (ledger(overlay)?.recent.holdsAt(globalTime) === true) return true
        for await (const _ of store.range({ overlay: overlay.id, from: globalTime, to: globalTime, maxRows: 1 })) return true
        return false
      }
    })
    this.firstContact = new FirstContact({ walker: this.walker, validated: (overlay) => this.push.targets(overlay, Number.MAX_SAFE_INTEGER).length, wanted: this.push.options.fanout })
    this.publisher = new Publisher({ clock, keys: c.keys, sync, send, identities: this.identities, intake: this.intake, push: this.push, verify, maxParents: opts.maxParents, ledger, delivery, running: () => this.#running })
    const { transport, keys, overlays } = c
    this.privateGroups = opts.mvds === undefined ? undefined : new PrivateGroups(opts.mvds, { clock, log, counters, transport, keys, store, sync, overlays, intake: this.intake, verify, track: (p) => c.track(p) }, addressKey(walker.lan))
    this.mvds = this.privateGroups?.layer
  }

  admitsSource(from: Address, bytes: number): string | undefined {
    const now = this.#c.clock.now()
    if (this.budgets.inDebt(from, now)) return 'source-in-debt'
    return this.datagrams.admit(this.#sourceOf(from, now), bytes, now)
  }

  /**
   * Whose datagram budget a datagram from `from` spends: its port's when the port recently
   * brought us bundles we did not hold in any room (the walk's useful port, as `sourceOf` in
   * ./intake.ts), else its host's, shared by every port there.
   */
  #sourceOf(from: Address, now: number): string {
    const key = addressKey(from)
    for (const overlay of this.#c.overlays.values()) if (overlay.candidates.isUseful(key, now)) return key
    return IntakeBudgets.hostOf(from.host)
  }

  admits(overlay: Uint8Array, to: Address): boolean {
    return this.mvds?.admits(overlay, to) ?? true
  }

  lookup(_overlay: Uint8Array, _packet: Packet, key: string): OverlayWalk | undefined {
    return this.#c.overlays.get(key)
  }

  stats(): WiringStats {
    return { catchUp: this.catchUp.stats(), budgets: this.budgets.stats(), push: this.push.stats(), firstContact: this.firstContact.stats(), identities: this.identities.stats() }
  }

  identityNonce(key: string): Uint8Array | undefined {
    return this.identities.get(key)
  }

  /** The packet types a peer handles, by the service that handles each. */
  handlers(): HandlerTable {
    const { counters } = this.#c
    const bundles = { counters, intake: this.intake, fresh: (overlay: OverlayWalk, fresh: readonly Bundle[], from: Address) => this.push.fetched(overlay, fresh, from) }
    return {
      ...this.walker.handlers(),
      ...this.responder.handlers(),
      'symbols-request': (from, overlay, packet) => this.catchUp.onSymbolsRequest(from, overlay, packet),
      'symbols-response': (from, overlay, packet) => this.catchUp.onSymbolsResponse(from, overlay, packet),
      bundles: (from, overlay, packet) => onBundles(bundles, from, overlay, packet),
      push: (from, overlay, packet) => onPush(counters, this.push, from, overlay, packet)
    }
  }

  // The walker's peer part (WalkerPeer).

  offers(overlay: OverlayWalk): OfferBuilder | undefined {
    return this.#ledgers.get(overlay.key)?.builder
  }

  answerOffer(from: Address, overlay: OverlayWalk, req: IntroductionRequest, respond: (datagrams: readonly Bundle[][]) => boolean): Promise<void> {
    return this.responder.answerOffer(from, overlay, req, respond)
  }

  walkedBy(from: Address, overlay: OverlayWalk, req: IntroductionRequest, validated: boolean): void {
    // A member's Bloom offer in a private group acknowledges the MVDS records it holds (mvds.bloomAck).
    this.mvds?.walkedBy(from, overlay.id, req.sync, validated)
    // A walker whose global time is ahead of ours holds what we lack at the newest end (a fresh
    // bundle push did not bring us): ask it now rather than at our own next walk to someone who
    // has it. Only a validated walker: a spoofed request must not aim our requests.
    if (this.#opts.catchUp && validated) this.catchUp.peerAhead(overlay, from, req.globalTime)
  }

  answered(overlay: OverlayWalk, from: Address, res: IntroductionResponse, request: OutstandingRequest): void {
    // An answered round counts toward the skip curve; a silent address's does not (issue 8).
    // A responder at global time 0 (a tracker, or a peer with an empty store) holds nothing to
    // answer a filter with: its round says nothing about being in sync and is not counted.
    // A held-back answer (first contact) is not an answered round either: the retry asks again.
    // Nor is the answer to a validation probe, which carried no offer (./walker.ts).
    if (res.globalTime > 0 && res.answerDeferred !== true && request.probe !== true) this.offers(overlay)?.onAnswered(addressKey(from), res.answerBundles ?? 0)
    this.firstContact.onResponse(overlay, from, res, request)
    // The responder's freshest bundles: those push did not bring us are asked of it now.
    if (res.recentShort !== undefined) this.#background(this.push.heardRecent(overlay, res.recentShort, from), 'asking for named fresh bundles')
    // Global time 0: an empty peer (or a tracker), with no sketch worth checking. After a
    // validation probe the check waits for the response to the offer that follows it.
    if (this.#opts.catchUp && res.globalTime > 0 && request.probe !== true) this.catchUp.maybeIdleCheck(overlay, from, res.globalTime)
  }

  introducedBy(overlay: OverlayWalk, from: Address, req: PunctureRequest): void {
    // Behind the introducer: what is newer than our newest comes by `newer_than`, the named
    // ones with it. Not behind: a named bundle we lack is one at a global time we already
    // reached (published concurrently with one we hold), which only its name can tell us of.
    if (this.#opts.catchUp && req.globalTime !== undefined && req.globalTime > overlay.clock.time) this.catchUp.peerAhead(overlay, from, req.globalTime)
    else if (req.recentShort !== undefined) this.#background(this.push.heardRecent(overlay, req.recentShort, from), 'asking for named fresh bundles')
  }

  recentIds(overlay: OverlayWalk, upTo?: number): Uint8Array[] {
    return this.push.recentIds(overlay, upTo)
  }

  punctured(overlay: OverlayWalk, from: Address): void {
    this.firstContact.onPunctured(overlay, from)
  }

  async afterStep(overlay: OverlayWalk): Promise<void> {
    await this.#ledgers.get(overlay.key)?.maintain()
  }

  /** Opens the store, loads MVDS state (its private groups are joined through `join`) and starts the services. */
  async start(join: (group: Uint8Array) => Promise<void>): Promise<void> {
    this.#running = true
    this.privateGroups?.start()
    this.push.start()
    this.identities.start()
    await this.#c.store.open()
    // MVDS state from before a restart: its private groups are joined (never walked).
    if (this.privateGroups !== undefined) await this.privateGroups.restore(join, (group) => this.walkMembers(group))
    this.firstContact.start()
    this.catchUp.start()
  }

  /** Starts the MVDS epochs (after the overlays walk again). */
  started(): void {
    this.privateGroups?.started()
  }

  /** Cancels the timers and stops the services; waits for catch-up's steps. The walker is stopped by the node, after its handlers. */
  async halt(): Promise<void> {
    this.#running = false
    this.privateGroups?.halt()
    this.firstContact.stop()
    this.push.stop()
    this.identities.stop()
    await this.catchUp.stop()
  }

  /** After the handlers in flight: the walker's requests, each overlay's delivery, MVDS's last records. */
  async stop(): Promise<void> {
    await this.walker.stop()
    for (const d of this.#deliveries.values()) await d.stop()
    await this.mvds?.flush().catch((err: unknown) => this.#c.log.warn('mvds flush at stop failed', { error: err instanceof Error ? err.message : String(err) }))
  }

  /** Whether the overlay is walked: a public one, and a private group only with `mvds.bloomAck` (among its members). */
  walks(overlay: OverlayWalk): boolean {
    return this.mvds === undefined || this.mvds.walks(overlay.id)
  }

  /** With `mvds.bloomAck`: the group's members are its (trusted) walk candidates. False when the group is not walked. */
  walkMembers(group: Uint8Array): boolean {
    const state = this.#c.overlays.get(hex(group))
    if (this.mvds === undefined || state === undefined || !this.mvds.walks(group)) return false
    for (const at of this.mvds.memberAddresses(group)) state.addTrusted(addressKey(at))
    return true
  }

  /** Opens the overlay's ledger (store, policy) and its causal delivery; returns the walker's state of it over the ledger's clock. */
  async open(id: Uint8Array, policy: RoomPolicy | undefined): Promise<OverlayWalk> {
    const { store, sync, rng, log, counters, clock, events } = this.#c
    const opts = this.#opts
    const ledger = await Ledger.open({ store, sync, rng, log, counters, expired: (overlay, bundle) => events.emit('expired', { overlay, bundle }) }, id, { policy, sketchLength: opts.sketch.sketchLength, sketchJournal: opts.sketch.journal })
    const state = new OverlayWalk(id, { clock: ledger.clock, candidates: opts.candidates })
    this.#ledgers.set(state.key, ledger)
    this.#deliveries.set(state.key, new OverlayDelivery({ overlay: id, store, clock, log, self: this.#c.keys.publicKey, maxPending: opts.causalBuffer, waitMs: opts.causalWaitMs, emit: (d) => this.#c.deliver(d) }))
    return state
  }

  /** The overlay's ledger (for inspection, tests and the reconcile benchmark); undefined when not joined. */
  ledger(overlay: Overlay): Ledger | undefined {
    return this.#ledgers.get(overlay.key)
  }

  /** Delivers what the store holds undelivered in the overlay (after a join, or a restart). */
  async resume(overlay: Overlay): Promise<void> {
    await this.#deliveries.get(overlay.key)?.resume()
  }

  overlayStats(overlay: Overlay): OverlayServiceStats {
    const d = this.#deliveries.get(overlay.key)
    const ledger = this.#ledgers.get(overlay.key)
    return {
      bundlesStored: ledger?.stored ?? 0,
      ...(d === undefined ? {} : { delivery: { ...d.counters(), waiting: d.pending } }),
      ...(ledger === undefined ? {} : { offers: { ...ledger.builder.stats } })
    }
  }

  /** Runs `p` without waiting for it; a failure is logged (what it was doing, and why). */
  #background(p: Promise<void>, what: string): void {
    p.catch((err: unknown) => this.#c.log.warn(`${what} failed`, { error: err instanceof Error ? err.message : String(err) }))
  }
}
