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

/**
 * How a send is charged to the anti-amplification guard (every send is):
 * - 'destination': a reply — at most 3× what the destination sent us until it validates;
 * - 'probe': contact we start (a walk) — 3×, or else the destination's one first-contact probe;
 * - `{ probe: true, also: key }`: a probe that a third party asked for (a puncture): charged
 *   to the destination as a probe and to the asker's 3× budget as well;
 * - 'initiated': a walk to a candidate a validated peer or the operator gave us: counted as
 *   sent to the destination, never refused.
 */
export type Charge = 'destination' | 'probe' | 'initiated' | { probe: true; also: string }

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
  /** Counters of the coded-symbol catch-up path. */
  readonly catchUp: import('./catch-up.js').CatchUpCounters
  /** Whether walk steps start idle checks and catch-up sessions. */
  readonly catchUpEnabled: boolean
  /** Lowest global time the overlay's room policy still offers and answers (DESIGN §14). */
  activeFrom(overlay: OverlayState): number
  /** Verifies and delivers ephemeral bundles (typing, presence) once each, never storing them. */
  acceptEphemeral(overlay: OverlayState, bundles: readonly Bundle[], from: Address): Bundle[]
}
