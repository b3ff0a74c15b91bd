/**
 * The walker's interfaces (./walker.ts): what it is built from, what a peer adds to it, and
 * the view its packet handlers (./handlers) take a narrow part of.
 */
import type { Address, IntroductionRequest, IntroductionResponse, Packet, PunctureRequest } from '../wire/index.js'
import type { Bundle } from '../bundle/types.js'
import type { Clock } from '../env/clock.js'
import type { Logger } from '../env/logger.js'
import type { Rng } from '../env/rng.js'
import type { ConnectionType, PunctureTracker, WanVoter } from '../nat/index.js'
import type { OfferBuilder, OfferSize } from '../sync/offer.js'
import type { AmplificationGuard } from './amplification.js'
import type { Charge } from './charge.js'
import type { TypedEvents, NodeEvents } from './events.js'
import type { OverlayWalk } from './overlay.js'
import type { OutstandingRequest, RequestCache } from './requests.js'
import type { Counters } from './stats.js'

/** What the walker uses of the node. */
export interface WalkerComponents {
  readonly clock: Clock
  readonly rng: Rng
  readonly log: Logger
  readonly counters: Counters
  readonly guard: AmplificationGuard
  readonly events: TypedEvents<NodeEvents>
  /** Encodes and sends; false when blocked (amplification, private group) or unencodable. */
  send(to: Address, overlay: Uint8Array, packet: Packet, charge: Charge): boolean
}

export interface WalkerInit {
  /** Our LAN address (the socket's). */
  lan: Address
  /** Bloom offer sizes per address family. */
  sizes: Record<'ipv4' | 'ipv6', OfferSize>
  stepIntervalMs: number
  /** An introduction-response must arrive within this (ms). */
  requestTimeoutMs: number
  /** Send puncture-requests when introducing peers (hole punching). */
  punctureRequests: boolean
}

/** What the walker uses of an overlay's offer builder (the ledger's, ../sync/offer.ts). */
export type WalkOffers = Pick<OfferBuilder, 'claim' | 'isForwarder'>

/** What a peer adds to its walk (a tracker's walker has none of it). */
export interface WalkerPeer {
  /** The overlay's Bloom offers (the ledger's builder; undefined for an overlay without a ledger). */
  offers(overlay: OverlayWalk): WalkOffers | undefined
  /** An introduction-request from `from` (its offer, if any; `validated`: its address is) — MVDS's Bloom acknowledgement in a private group. */
  walkedBy(from: Address, overlay: OverlayWalk, req: IntroductionRequest, validated: boolean): void
  /**
   * Answers the Bloom offer riding on an introduction-request; `respond(datagrams)` sends the
   * introduction-response (and puncture-request) and says whether the answer must be held
   * back (first contact, DESIGN §13).
   */
  answerOffer(from: Address, overlay: OverlayWalk, req: IntroductionRequest, respond: (datagrams: readonly Bundle[][]) => boolean): Promise<void>
  /** After an accepted introduction-response to `request` (the offers' answered rounds, first-contact follow-ups, catch-up). */
  answered(overlay: OverlayWalk, from: Address, res: IntroductionResponse, request: OutstandingRequest): void
  /**
   * A validated peer introduced a walker to us (its puncture-request): a global time ahead of
   * ours, or fresh bundles it names that we lack, are asked of it (DESIGN §13).
   */
  introducedBy(overlay: OverlayWalk, from: Address, req: PunctureRequest): void
  /** Short ids of our freshest bundles (at a global time up to `upTo`, when given), to name in an introduction-response or puncture-request (`recent_short`). */
  recentIds(overlay: OverlayWalk, upTo?: number): Uint8Array[]
  /** After a matched puncture from `from` (now an intro candidate). */
  punctured(overlay: OverlayWalk, from: Address): void
  /** After each walk step of the overlay (the ledger's expiry and pruning). */
  afterStep(overlay: OverlayWalk): Promise<void>
}

/** Options of one introduction-request (see {@link Walker.request}). */
export interface RequestOptions {
  advice: boolean
  offer: boolean
  /** A request sent at once after a first contact (its response never starts another). */
  followUp: boolean
  /** The offer repeats one that said nothing, so the skip curve does not apply (default `followUp`). */
  retry?: boolean
}

/** The walker as its packet handlers see it (each takes a `Pick` of what it uses). */
export interface WalkerView {
  readonly c: WalkerComponents
  readonly init: Readonly<WalkerInit>
  readonly peer: WalkerPeer | undefined
  readonly requests: RequestCache
  readonly punctures: PunctureTracker
  readonly voter: WanVoter
  /** Our LAN address. */
  lan(): Address
  /** Our WAN address as voted by peers (the LAN address until votes arrive). */
  wan(): Address
  connectionType(): ConnectionType
  /** True when `address` is one of ours. */
  isSelf(address: Address): boolean
  /** Keeps the token a responder issued us (bounded). */
  keepToken(key: string, token: Uint8Array): void
}
