/**
 * What the node asks of its wiring (DESIGN §12): a peer (./peer.ts) and a tracker
 * (./tracker.ts) are two wirings of services behind one interface, so the node itself has no
 * role checks. Each wiring owns its services; its `halt()` and `stop()` stop them.
 */
import type { IdentityStats } from './identities.js'
import type { RoomPolicy } from '../bundle/policy.js'
import type { Address, Packet } from '../wire/index.js'
import type { CatchUpCounters } from './catch-up-policy.js'
import type { DispatchMvds, HandlerTable } from './dispatcher.js'
import type { FirstContactStats } from './first-contact.js'
import type { IntakeBudgetStats } from './budgets.js'
import type { Overlay, OverlayWalk } from './overlay.js'
import type { DeliveryCounters } from './delivery.js'
import type { OfferStats } from '../sync/offer.js'
import type { PushStats } from './push.js'
import type { Walker } from './walker.js'

/** The figures of a wiring's own services in `stats()` (0 where a tracker has none). */
export interface WiringStats {
  catchUp: CatchUpCounters
  budgets: IntakeBudgetStats
  push: PushStats
  firstContact: FirstContactStats
  /** Identity nonces minted at a publish and ahead of an epoch (./identities.ts). */
  identities: IdentityStats
}

/** The figures of one overlay's services in `stats()` (a tracker stores and delivers nothing). */
export interface OverlayServiceStats {
  bundlesStored: number
  /** Causal delivery: counters and the bundles waiting in memory for parents (peers only). */
  delivery?: DeliveryCounters & { waiting: number }
  /** The walk's offer decisions: fresh, reused, skipped filters, late answers (peers only). */
  offers?: OfferStats
}

export interface Wiring {
  readonly walker: Walker
  /** MVDS as the dispatcher sees it, when the wiring runs it (private groups). */
  readonly privateGroups: DispatchMvds | undefined
  /** The packet types it handles, by the service that handles each. */
  handlers(): HandlerTable
  /** Why a datagram of `bytes` bytes from `from` may not be decoded (a peer refuses sources in debt to its intake budgets, or over their datagram budget), or undefined. */
  admitsSource(from: Address, bytes: number): string | undefined
  /** Whether a packet of `overlay` may go to `to` (a private group's go to its members only). */
  admits(overlay: Uint8Array, to: Address): boolean
  /** Opens what it was given (the store) and starts its services; `join` joins an overlay (MVDS groups from before a restart). */
  start(join: (overlay: Uint8Array) => Promise<void>): Promise<void>
  /** After `start` joined and walked the overlays (MVDS epochs begin). */
  started(): void
  /** Cancels its timers; nothing new starts. */
  halt(): Promise<void>
  /** After the handlers in flight: waits for its own work and cancels what is left. */
  stop(): Promise<void>
  /** Opens a joined overlay's services; returns the walker's state of it. */
  open(id: Uint8Array, policy: RoomPolicy | undefined): Promise<OverlayWalk>
  /** Delivers what the store holds undelivered in the overlay (after a join, or a restart). */
  resume(overlay: Overlay): Promise<void>
  overlayStats(overlay: Overlay): OverlayServiceStats
  /** Whether the overlay is walked. */
  walks(overlay: OverlayWalk): boolean
  /** The state of an inbound packet's overlay (`key`: its hex), if it is served. */
  lookup(overlay: Uint8Array, packet: Packet, key: string): OverlayWalk | undefined
  stats(): WiringStats
  /** This node's identity nonce for the overlay (hex), when minted. */
  identityNonce(key: string): Uint8Array | undefined
}
