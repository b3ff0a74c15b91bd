/**
 * How bundles from peers (and our own) enter the node: global-time guard, expiry, duplicate
 * check, validation with the signature check, then the overlay's ledger (./ledger.ts: store,
 * clock, sketch, counts, offers, retention), then causal delivery by the overlay's delivery service (DESIGN §3, §8, §9; ./delivery.ts).
 * A bundle arriving again while it is stored but undelivered is offered to delivery again. Ephemeral bundles are checked and delivered once,
 * never stored.
 */
import { DEFAULT_BUNDLE_POLICY, maxBundleBytes, validateStructure, type BundlePolicy } from '../bundle/validate.js'
import { verifyBundleSignature } from '../bundle/sign.js'
import { hasIdentityWork } from '../bundle/identity.js'
import type { Bundle } from '../bundle/types.js'
import { addressKey, type Address, type DecodeLimits, type Packet } from '../wire/index.js'
import type { Clock } from '../env/clock.js'
import type { SyncConfig } from '../sync/config.js'
import type { Charge } from './charge.js'
import type { Counters } from './stats.js'
import type { Delivery } from './events.js'
import { hex } from '../bytes.js'
import type { Overlay, OverlayWalk } from './overlay.js'
import { IntakeBudgets } from './budgets.js'
import type { Ledger, PutResult } from './ledger.js'
import type { OverlayDelivery } from './delivery.js'
import type { BundleStore } from '../store/types.js'
import { DEFAULT_ROOM_POLICY } from '../bundle/policy.js'
import { InFlightBundles, type Claim } from './in-flight.js'

/** What the intake uses of the node. */
export interface IntakeComponents {
  readonly clock: Clock
  readonly counters: Counters
  readonly sync: SyncConfig
  readonly limits: Readonly<DecodeLimits>
  /** Sends a bundle-request for missing parents. */
  send(to: Address, overlay: Uint8Array, packet: Packet, charge: Charge): boolean
  maxParents: number
  /** The signature check; default Ed25519 (see NodeOptions.verifyBundle). */
  verify: ((bundle: Bundle) => boolean) | undefined
  deliver: (delivery: Delivery) => void
  /** Per-host and per-author budgets charged for every bundle a peer brings (DESIGN §14). */
  budgets: IntakeBudgets
  /** Where bundles are looked up (they are written by the overlay's ledger). */
  store: Pick<BundleStore, 'has'>
  /** A drop reason for a peer's bundle refused before any work (a private group's non-member author), else undefined. */
  refuse?: (bundle: Bundle) => string | undefined
  /** The overlay's ledger, where bundles go (undefined: not joined here). */
  ledger(overlay: Overlay): IntakeLedger | undefined
  /** The overlay's delivery, which hands stored bundles to the application in causal order. */
  delivery(overlay: Overlay): IntakeDelivery | undefined
}

/** What the intake uses of an overlay's ledger. */
export type IntakeLedger = Pick<Ledger, 'clock' | 'arriving' | 'ready' | 'refuses' | 'policy' | 'put' | 'settle'>
/** What the intake uses of an overlay's delivery. */
export type IntakeDelivery = Pick<OverlayDelivery, 'stored' | 'again' | 'seenEphemeral' | 'noteEphemeral'>

/** How bundles reach {@link BundleIntake.accept}. */
export interface AcceptedHow {
  /** The signature was already checked (MVDS checks before acknowledging). */
  verified?: boolean
  /** They came in a push, not in answer to our offer (the offer builder's figures). */
  pushed?: boolean
}

export class BundleIntake {
  readonly #deps: IntakeComponents
  readonly #policy: BundlePolicy
  /** Peers' bundles between the duplicate check and the end of their write: an identical copy meanwhile is a duplicate. */
  readonly #inFlight = new InFlightBundles()

  constructor(components: IntakeComponents) {
    this.#deps = components
    this.#policy = { ...DEFAULT_BUNDLE_POLICY, maxBytes: maxBundleBytes(components.sync.datagramBudget), maxParents: components.maxParents }
  }

  /**
   * Checks, stores and delivers bundles from `from` (`undefined`: published here, trusted).
   * Returns the bundles that were new.
   */
  async accept(state: OverlayWalk, bundles: readonly Bundle[], from: Address | undefined, how: AcceptedHow = {}): Promise<Bundle[]> {
    const { verified = false, pushed = false } = how
    const ctx = this.#deps
    const { counters, clock } = ctx
    const budgets = this.#deps.budgets
    const host = from === undefined ? '' : sourceOf(state, from, clock.now())
    const ledger = this.#deps.ledger(state)
    if (ledger === undefined) return []
    const delivery = this.#deps.delivery(state)
    const now = clock.now()
    const fresh: Bundle[] = []
    for (const b of bundles) {
      let claim: Claim = 'unclaimed'
      try {
        if (from !== undefined) {
          const verdict = ledger.clock.check(b.globalTime, now)
          if (verdict !== 'ok') {
            counters.bundleDrop(`global-time-${verdict}`)
            continue
          }
          if (b.expiresAt !== undefined && b.expiresAt < ledger.clock.time) {
            counters.bundleDrop('expired')
            continue
          }
          // The same bundle can arrive in two datagrams at once: one of them does the work. An
          // identical copy (id and signature) in flight here, or one the ledger is writing.
          claim = ledger.arriving.has(hex(b.id)) ? 'duplicate' : this.#inFlight.claim(b)
          if (claim === 'duplicate') {
            counters.bundlesDuplicate++
            continue
          }
          if (await this.#deps.store.has(state.id, b.id)) {
            counters.bundlesDuplicate++
            // Stored but maybe not delivered yet (waiting, or evicted from the causal buffer).
            this.#request(ctx, state, from, (await delivery?.again(b, from)) ?? [])
            continue
          }
          const check = validateStructure(b, { policy: this.#policy, overlay: state.id })
          if (!check.ok) {
            counters.bundleDrop(check.code)
            continue
          }
          // After a restart an author's entries are read from the store when first needed.
          const loading = ledger.ready(b.author)
          if (loading !== undefined) {
            try {
              await loading
            } catch {
              counters.bundleDrop('store-unavailable')
              break
            }
          }
          const drop = this.#refusal(ledger, b, host, now, verified)
          if (drop !== undefined) {
            counters.bundleDrop(drop)
            continue
          }
        }
        let put: PutResult
        try {
          put = await ledger.put(b, now)
        } catch (err) {
          // Not durable, so not stored: our own publication rejects; a peer's bundle is dropped
          // (it is still the peer's, and the walk brings it again once the store serves).
          if (from === undefined) throw err
          counters.bundleDrop('store-unavailable')
          break
        }
        if (put === 'duplicate') {
          counters.bundlesDuplicate++
          continue
        }
        if (from !== undefined) budgets.stored(host, hex(b.author), b.bytes.length, now)
        // Stored, then at once pushed out by the policy (a newer one of its author, the cap): not fresh.
        if (put === 'pruned') continue
        fresh.push(b)
      } finally {
        if (claim === 'mine') this.#inFlight.release(b)
      }
    }
    ledger.settle(fresh, from === undefined ? undefined : addressKey(from), pushed)
    // A peer that gave us something new is a walk target of its own, not one more port of its host.
    if (from !== undefined && fresh.length > 0) state.recordUseful(addressKey(from), ctx.clock.now())
    for (const bundle of fresh) this.#request(ctx, state, from, (await delivery?.stored(bundle, from)) ?? [])
    return fresh
  }

  /**
   * Why a peer's well-formed bundle not held yet is refused (a drop reason), or undefined: the
   * room's policy, the group's members, the identity cost, then (unless `verified`) the
   * budgets and the signature check.
   */
  #refusal(ledger: IntakeLedger, b: Bundle, host: string, now: number, verified: boolean): string | undefined {
    // Outside the room's policy (pruned, over quota, beyond the history): one comparison, no signature check.
    const refused = ledger.refuses(b, ledger.clock.time)
    if (refused !== undefined) return `retention-${refused}`
    const outsider = this.#deps.refuse?.(b)
    if (outsider !== undefined) return outsider
    // The room's identity cost: one SHA-256, before the signature check.
    if (!hasIdentityWork(b, ledger.policy.identityBits, ledger.policy.identityEpoch)) return 'identity-work'
    if (verified) return undefined
    // Budgets before the signature check: over budget costs a look-up, not a verification.
    const budgets = this.#deps.budgets
    const over = budgets.admit(host, hex(b.author), b.bytes.length, now)
    if (over !== undefined) return over
    const ok = (this.#deps.verify ?? verifyBundleSignature)(b)
    budgets.checked(host, hex(b.author), ok, now)
    return ok ? undefined : 'BUNDLE_BAD_SIGNATURE'
  }

  /** Verifies and delivers ephemeral bundles once each; never stores them. Returns those delivered now. */
  acceptEphemeral(state: OverlayWalk, bundles: readonly Bundle[], from: Address): Bundle[] {
    const ctx = this.#deps
    const policy = this.#policy
    const budgets = this.#deps.budgets
    const host = sourceOf(state, from, ctx.clock.now())
    const now = ctx.clock.now()
    const delivered: Bundle[] = []
    const delivery = this.#deps.delivery(state)
    if (delivery === undefined) return delivered
    for (const b of bundles) {
      const key = hex(b.id)
      if (delivery.seenEphemeral(key)) continue
      const check = validateStructure(b, { policy, overlay: state.id })
      if (!check.ok) {
        ctx.counters.bundleDrop(check.code)
        continue
      }
      const outsider = this.#deps.refuse?.(b)
      if (outsider !== undefined) {
        ctx.counters.bundleDrop(outsider)
        continue
      }
      const room = this.#deps.ledger(state)?.policy ?? DEFAULT_ROOM_POLICY
      if (!hasIdentityWork(b, room.identityBits, room.identityEpoch)) {
        ctx.counters.bundleDrop('identity-work')
        continue
      }
      const refused = budgets.admit(host, hex(b.author), b.bytes.length, now)
      if (refused !== undefined) {
        ctx.counters.bundleDrop(refused)
        continue
      }
      const ok = (this.#deps.verify ?? verifyBundleSignature)(b)
      budgets.checked(host, hex(b.author), ok, now)
      if (!ok) {
        ctx.counters.bundleDrop('BUNDLE_BAD_SIGNATURE')
        continue
      }
      delivery.noteEphemeral(key)
      this.#deps.deliver({ overlay: state.id, bundle: b, from, own: false, ephemeral: true })
      delivered.push(b)
    }
    return delivered
  }

  /** Asks the peer that sent a child for its missing parents, by id. */
  #request(ctx: IntakeComponents, state: OverlayWalk, from: Address | undefined, missing: readonly Uint8Array[]): void {
    if (missing.length === 0 || from === undefined) return
    ctx.send(from, state.id, { type: 'bundle-request', ids: missing.slice(0, ctx.limits.maxIdsPerRequest) }, 'destination')
  }
}

/**
 * Whose source budget a datagram from `from` spends: its host's (an IPv4 address, an IPv6
 * /64), shared by every port there, unless this port recently sent us a bundle we did not
 * hold (the walk's notion of a useful port, {@link CandidateTable.isUseful}); then its own.
 * Honest peers behind one address (a carrier-grade NAT, a campus, the demo on 127.0.0.1)
 * each earn a budget by being useful, while ports that forward nothing new share one.
 */
export function sourceOf(state: OverlayWalk, from: Address, now: number): string {
  const key = addressKey(from)
  return state.candidates.isUseful(key, now) ? key : IntakeBudgets.hostOf(from.host)
}
