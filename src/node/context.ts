/**
 * What packet handlers see of the node: its components and a few operations. Handlers get
 * this narrow view, not the node itself.
 */
import type { AmplificationGuard } from './amplification.js'
import type { Counters } from './stats.js'
import type { OverlayState } from './overlay.js'
import type { RequestCache } from './requests.js'
import type { Bundle } from '../bundle/types.js'
import type { Clock } from '../env/clock.js'
import type { Logger } from '../env/logger.js'
import type { Rng } from '../env/rng.js'
import type { ConnectionType, PunctureTracker, WanVoter } from '../nat/index.js'
import type { BundleStore } from '../store/types.js'
import type { SyncConfig } from '../sync/config.js'
import type { Address, DecodeLimits, Packet } from '../wire/index.js'
import type { NodeRole } from './options.js'
import type { Charge } from './charge.js'
import type { CatchUp } from './catch-up.js'


export interface NodeContext {
  readonly role: NodeRole
  readonly clock: Clock
  readonly rng: Rng
  readonly log: Logger
  readonly counters: Counters
  readonly voter: WanVoter
  readonly punctures: PunctureTracker
  readonly requests: RequestCache
  readonly guard: AmplificationGuard
  readonly store: BundleStore | undefined
  readonly sync: SyncConfig
  readonly limits: Readonly<DecodeLimits>
  readonly punctureRequests: boolean
  /** Tokens peers issued to us, by their address key (echoed in our next request). */
  readonly tokens: Map<string, Uint8Array>
  /** Our LAN address. */
  lan(): Address
  /** Our WAN address as voted by peers (the LAN address until votes arrive). */
  wan(): Address
  connectionType(): ConnectionType
  /** True when `address` is one of ours. */
  isSelf(address: Address): boolean
  /** Encodes and sends; false when blocked (amplification) or unencodable. */
  send(to: Address, overlay: Uint8Array, packet: Packet, charge: Charge): boolean
  /** Verifies, stores and delivers bundles that arrived from `from` (or were published locally when undefined). */
  accept(overlay: OverlayState, bundles: readonly Bundle[], from: Address | undefined): Promise<Bundle[]>
  /** The MVDS layer when the node runs it (private groups), with its current epoch. */
  readonly mvds: { layer: import('./mvds.js').NodeMvds; epoch: () => number } | undefined
  /** The coded-symbol catch-up of the node (its sessions, timers and counters). */
  readonly catchUp: CatchUp
  /** Whether walk steps start idle checks and catch-up sessions. */
  readonly catchUpEnabled: boolean
  /** Lowest global time the overlay's room policy still offers and answers (DESIGN §14). */
  activeFrom(overlay: OverlayState): number
  /** Verifies and delivers ephemeral bundles (typing, presence) once each, never storing them. */
  acceptEphemeral(overlay: OverlayState, bundles: readonly Bundle[], from: Address): Bundle[]
}
