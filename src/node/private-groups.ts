/**
 * A peer's private groups (DESIGN §7, §12; docs/mvds.md "Private groups in the node"): the
 * MVDS layer (./mvds.ts) built over the peer's store and intake, and its epochs. It owns the
 * epoch timer and the epoch count, which goes on after a restart from the persisted one so
 * that persisted send epochs keep their meaning. The dispatcher hands it MVDS payloads.
 */
import type { KeyPair } from '../bundle/sign.js'
import { maxBundleBytes } from '../bundle/validate.js'
import type { Bundle } from '../bundle/types.js'
import { hex } from '../bytes.js'
import type { Cancel, Clock } from '../env/clock.js'
import type { Logger } from '../env/logger.js'
import { isStateStore, type BundleStore } from '../store/types.js'
import type { SyncConfig } from '../sync/config.js'
import type { Transport } from '../transport/types.js'
import type { Address } from '../wire/index.js'
import type { DispatchMvds } from './dispatcher.js'
import type { BundleIntake } from './intake.js'
import { NodeMvds, type NodeMvdsOptions } from './mvds.js'
import type { OverlayWalk } from './overlay.js'
import type { Counters } from './stats.js'

/** What a peer's private groups use of it. */
export interface PrivateGroupsComponents {
  readonly clock: Clock
  readonly log: Logger
  readonly counters: Counters
  /** MVDS sends on it directly (its own framing). */
  readonly transport: Transport
  readonly keys: KeyPair
  readonly store: BundleStore
  readonly sync: SyncConfig
  /** The overlays joined (MVDS delivers into them). */
  readonly overlays: ReadonlyMap<string, OverlayWalk>
  readonly intake: BundleIntake
  /** Checks a received bundle's signature. */
  readonly verify: (bundle: Bundle) => boolean
  /** Keeps the node's `stop()` waiting for work started outside a handler (an MVDS delivery, an epoch's tick). */
  track(p: Promise<void>): void
}

export class PrivateGroups implements DispatchMvds {
  /** The MVDS layer: records, epochs' sends, group membership. */
  readonly layer: NodeMvds
  readonly #c: PrivateGroupsComponents
  #epoch = 0
  #cancel: Cancel | undefined
  #running = false

  /** `selfKey`: our LAN address's key. */
  constructor(options: NodeMvdsOptions, c: PrivateGroupsComponents, selfKey: string) {
    this.#c = c
    const { transport, counters, store, log, sync, verify } = c
    this.layer = new NodeMvds(options, {
      transport,
      counters,
      selfKey,
      selfAuthor: hex(c.keys.publicKey),
      state: options.persist !== false && isStateStore(store) ? store : undefined,
      log,
      verify: (b) => verify(b) && b.bytes.length <= maxBundleBytes(sync.datagramBudget),
      canStore: () => store.failure === undefined,
      // Stored (or refused for good by the room's policy) unless the store failed meanwhile.
      deliver: (b, from) => {
        const state = c.overlays.get(hex(b.overlay))
        if (state === undefined) return Promise.resolve(false)
        const stored = c.intake.accept(state, [b], from, { verified: true }).then(() => store.failure === undefined)
        c.track(stored.then(() => undefined))
        return stored
      }
    })
  }

  admits(overlay: Uint8Array, from: Address): boolean {
    return this.layer.admits(overlay, from)
  }

  /** An MVDS payload from `from`, at the current epoch. */
  receive(from: Address, payload: Parameters<DispatchMvds['receive']>[1]): void {
    this.layer.receive(from, payload, this.#epoch)
  }

  /** The peer starts: epochs may run from now until {@link halt}. */
  start(): void {
    this.#running = true
  }

  /**
   * Loads the MVDS state from before a restart: each of its private groups is joined (never
   * walked; `walkMembers` walks it among its members with `mvds.bloomAck`), and the epoch
   * goes on from where it stopped.
   */
  async restore(join: (group: Uint8Array) => Promise<void>, walkMembers: (group: Uint8Array) => void): Promise<void> {
    for (const group of await this.layer.load()) {
      await join(group)
      walkMembers(group)
    }
    this.#epoch = Math.max(this.#epoch, this.layer.node.epoch)
    this.layer.resume()
  }

  /** Starts the epochs (after the overlays walk again). */
  started(): void {
    this.#schedule()
  }

  /** Cancels the epochs' timer; ticks still queued send nothing. */
  halt(): void {
    this.#running = false
    this.#cancel?.()
    this.layer.stop()
  }

  #schedule(): void {
    this.#cancel = this.#c.clock.setTimeout(() => {
      if (!this.#running) return
      this.#c.track(this.layer.tick(++this.#epoch))
      this.#schedule()
    }, this.layer.epochMs)
  }
}
