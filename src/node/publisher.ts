/**
 * The local way in for a bundle (BloomwalkNode.publish, relay, sendEphemeral): signs one at
 * the overlay's next global time (or checks one another key signed as a peer's bundle is
 * checked), stores and delivers it through the intake, and pushes it as fresh (DESIGN §13).
 * An ephemeral message is signed and pushed, never stored.
 */
import { signBundle, type KeyPair } from '../bundle/sign.js'
import { DEFAULT_BUNDLE_POLICY, maxBundleBytes, validateStructure } from '../bundle/validate.js'
import { hasIdentityWork } from '../bundle/identity.js'
import type { Bundle } from '../bundle/types.js'
import { hex } from '../bytes.js'
import type { Clock } from '../env/clock.js'
import { BloomwalkError } from '../errors.js'
import type { SyncConfig } from '../sync/config.js'
import { parseAddressKey } from '../wire/index.js'
import type { OverlayDelivery } from './delivery.js'
import type { IdentityNonces } from './identities.js'
import type { BundleIntake } from './intake.js'
import type { Ledger } from './ledger.js'
import { defaultSign } from './native-sign.js'
import type { Overlay, OverlayWalk } from './overlay.js'
import type { PushService } from './push.js'
import type { SendFn } from './send.js'

/** Peers an ephemeral message is sent to at most (push off). */
const MAX_EPHEMERAL_PEERS = 32

/** What publishing uses of a peer. */
export interface PublisherComponents {
  readonly clock: Clock
  readonly keys: KeyPair
  readonly sync: SyncConfig
  readonly send: SendFn
  readonly identities: IdentityNonces
  readonly intake: BundleIntake
  readonly push: PushService
  /** Checks a relayed bundle's signature. */
  readonly verify: (bundle: Bundle) => boolean
  readonly maxParents: number
  /** The joined overlay's ledger and its causal delivery. */
  ledger(overlay: Overlay): Ledger | undefined
  delivery(overlay: Overlay): OverlayDelivery | undefined
  /** Whether the peer runs (between its `start` and `halt`): only then is a bundle pushed. */
  running(): boolean
}

export class Publisher {
  readonly #c: PublisherComponents

  constructor(components: PublisherComponents) {
    this.#c = components
  }

  /** Signs, stores, delivers and pushes a bundle (see BloomwalkNode.publish). */
  async publish(state: OverlayWalk, body: Uint8Array, options: { parents?: Uint8Array[]; kind?: number; expiresAt?: number }): Promise<Bundle> {
    const ledger = this.#c.ledger(state)!
    const maxParents = this.#c.maxParents
    if ((options.parents?.length ?? 0) > maxParents) throw new BloomwalkError('INVALID_ARGUMENT', `at most ${maxParents} parents`)
    const identityNonce = this.#c.identities.for(state.id, state.key, ledger.policy, state.clock.time + 1)
    const bundle = this.#fits(signBundle({ overlay: state.id, globalTime: state.clock.time + 1, kind: options.kind ?? 1, parents: options.parents, body, expiresAt: options.expiresAt, identityNonce }, this.#c.keys, defaultSign))
    await ledger.ready(bundle.author)
    const refused = ledger.refuses(bundle, state.clock.time + 1)
    if (refused !== undefined) throw new BloomwalkError('BUNDLE_REFUSED_BY_POLICY', `the room's policy refuses this bundle (${refused})`)
    state.clock.claim()
    await this.#c.intake.accept(state, [bundle], undefined)
    if (this.#c.running()) this.#c.push.publish(state, bundle)
    return bundle
  }

  /**
   * Stores a bundle another key signed as if it were published here (see BloomwalkNode.relay):
   * checked as a peer's bundle is (structure, room policy, identity work, signature), then
   * stored, delivered and pushed as fresh. Returns false when it was already stored.
   */
  async relay(state: OverlayWalk, bundle: Bundle): Promise<boolean> {
    const { verify } = this.#c
    const ledger = this.#c.ledger(state)!
    const check = validateStructure(bundle, { policy: { ...DEFAULT_BUNDLE_POLICY, maxBytes: maxBundleBytes(this.#c.sync.datagramBudget), maxParents: this.#c.maxParents }, overlay: state.id })
    if (!check.ok) throw new BloomwalkError('INVALID_ARGUMENT', `not a bundle of this room: ${check.code}`)
    await ledger.ready(bundle.author)
    const refused = ledger.refuses(bundle, state.clock.time)
    if (refused !== undefined) throw new BloomwalkError('BUNDLE_REFUSED_BY_POLICY', `the room's policy refuses this bundle (${refused})`)
    if (!hasIdentityWork(bundle, ledger.policy.identityBits, ledger.policy.identityEpoch)) throw new BloomwalkError('BUNDLE_REFUSED_BY_POLICY', "the bundle's identity nonce lacks the room's proof of work")
    if (!verify(bundle)) throw new BloomwalkError('INVALID_ARGUMENT', 'the bundle\'s signature does not verify')
    const fresh = await this.#c.intake.accept(state, [bundle], undefined)
    if (fresh.length === 0) return false
    if (this.#c.running()) this.#c.push.publish(state, bundle)
    return true
  }

  /** Signs and sends an ephemeral message (see BloomwalkNode.sendEphemeral). */
  sendEphemeral(state: OverlayWalk, body: Uint8Array, kind: number): number {
    const { push } = this.#c
    const globalTime = Math.max(1, state.clock.time)
    const identityNonce = this.#c.identities.for(state.id, state.key, this.#c.ledger(state)!.policy, globalTime)
    const bundle = this.#fits(signBundle({ overlay: state.id, globalTime, kind, body, identityNonce }, this.#c.keys, defaultSign))
    this.#c.delivery(state)!.noteEphemeral(hex(bundle.id))
    if (push.options.fanout > 0) return this.#c.running() ? push.publish(state, bundle, true) : 0
    // Push off: once to the current walk and stumble peers, as before push existed.
    const now = this.#c.clock.now()
    let sent = 0
    for (const c of state.candidates.list(now)) {
      const category = state.candidates.category(c.key, now)
      if (category !== 'walk' && category !== 'stumble') continue
      const to = parseAddressKey(c.key)
      if (to === null || sent >= MAX_EPHEMERAL_PEERS) continue
      if (this.#c.send(to, state.id, { type: 'bundles', bundles: [bundle], ephemeral: true }, 'destination')) sent++
    }
    return sent
  }

  #fits(bundle: Bundle): Bundle {
    const max = maxBundleBytes(this.#c.sync.datagramBudget)
    if (bundle.bytes.length > max) throw new BloomwalkError('BUNDLE_TOO_LARGE', `bundle is ${bundle.bytes.length} bytes; at most ${max} fit one datagram`)
    return bundle
  }
}
