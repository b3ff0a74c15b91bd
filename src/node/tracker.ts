/**
 * A tracker's wiring (DESIGN §6, §12): a walker without a peer part — it answers
 * introduction-requests for any overlay (introducing walkers to each other, with
 * puncture-requests), never walks, stores nothing and answers no offer. Bundles, pushes,
 * bundle- and symbols-requests sent to it are counted drops (`tracker-ignores`).
 */
import type { Packet } from '../wire/index.js'
import type { CandidateTableInit } from '../candidates/index.js'
import { newCatchUpCounters } from './catch-up-policy.js'
import type { HandlerTable } from './dispatcher.js'
import { OverlayWalk } from './overlay.js'
import { emptyPushStats } from './push.js'
import type { Counters } from './stats.js'
import { Walker, type WalkerComponents, type WalkerInit } from './walker.js'
import type { OverlayServiceStats, Wiring, WiringStats } from './wiring.js'

/** A tracker: a walker alone, serving the overlays walkers ask about. */
export class Tracker implements Wiring {
  readonly walker: Walker
  readonly privateGroups = undefined
  readonly #counters: Pick<Counters, 'drop'>
  readonly #tracked: TrackedOverlays
  readonly #candidates: CandidateTableInit | undefined

  constructor(c: WalkerComponents, walker: WalkerInit, o: { overlays: Map<string, OverlayWalk>; maxTrackedOverlays: number; candidates?: CandidateTableInit }) {
    this.walker = new Walker(c, walker)
    this.#counters = c.counters
    this.#candidates = o.candidates
    this.#tracked = new TrackedOverlays(o.overlays, { max: o.maxTrackedOverlays, candidates: o.candidates })
  }

  handlers(): HandlerTable {
    return trackerHandlers(this.walker, this.#counters)
  }

  admits(): boolean {
    return true
  }

  /** A tracker verifies no bundles, so no source is ever in debt to it; its answers are bounded per walker (the amplification guard). */
  admitsSource(): undefined {
    return undefined
  }

  async start(): Promise<void> {}

  started(): void {}

  async halt(): Promise<void> {}

  stop(): Promise<void> {
    return this.walker.stop()
  }

  async resume(): Promise<void> {}

  /** A tracker stores and delivers nothing. */
  overlayStats(): OverlayServiceStats {
    return { bundlesStored: 0 }
  }

  /** An overlay joined explicitly: served like any other (never walked). */
  async open(id: Uint8Array): Promise<OverlayWalk> {
    return new OverlayWalk(id, { candidates: this.#candidates })
  }

  walks(): boolean {
    return false
  }

  lookup(overlay: Uint8Array, packet: Packet, key: string): OverlayWalk | undefined {
    return this.#tracked.lookup(overlay, packet, key)
  }

  /** A tracker has no catch-up, budgets, push or first contact: their figures are 0. */
  stats(): WiringStats {
    return { catchUp: newCatchUpCounters(), budgets: { hosts: 0, authors: 0 }, push: emptyPushStats(), firstContact: { retries: 0, afterProbe: 0, echoes: 0, punctureWalks: 0 }, identities: { mintedAtPublish: 0, mintedAhead: 0, usedAhead: 0, finishedAtPublish: 0, hashesAhead: 0 } }
  }

  identityNonce(): undefined {
    return undefined
  }
}

/**
 * The overlays a tracker keeps state for: any overlay a walker asks about, the most recently
 * used ones: a hit moves the overlay to the end, so the least recently used is the one
 * dropped past `max`.
 */
export class TrackedOverlays {
  readonly #overlays: Map<string, OverlayWalk>
  readonly #max: number
  readonly #candidates: CandidateTableInit | undefined

  constructor(overlays: Map<string, OverlayWalk>, o: { max: number; candidates?: CandidateTableInit }) {
    this.#overlays = overlays
    this.#max = o.max
    this.#candidates = o.candidates
  }

  /** The state of an inbound packet's overlay; an introduction-request creates it. */
  lookup(overlay: Uint8Array, packet: Packet, key: string): OverlayWalk | undefined {
    const found = this.#overlays.get(key)
    if (found !== undefined) {
      this.#overlays.delete(key)
      this.#overlays.set(key, found)
      return found
    }
    if (packet.type !== 'introduction-request') return undefined
    const state = new OverlayWalk(overlay.slice(), { candidates: this.#candidates })
    this.#overlays.set(state.key, state)
    if (this.#overlays.size > this.#max) this.#overlays.delete(this.#overlays.keys().next().value as string)
    return state
  }
}

/** The packet types a tracker handles: the walker's, and counted drops for what only a peer takes. */
export function trackerHandlers(walker: Walker, counters: Pick<Counters, 'drop'>): HandlerTable {
  const ignore = (): void => counters.drop('tracker-ignores')
  // No session of ours asked for symbols: unexpected, as on a peer without one.
  const unexpected = (): void => counters.drop('unexpected-symbols')
  return { ...walker.handlers(), bundles: ignore, push: ignore, 'bundle-request': ignore, 'symbols-request': ignore, 'symbols-response': unexpected }
}
