/** The state a node keeps per overlay: Lamport clock, offer builder, candidate table. */
import { PendingAnswers } from './pending-answers.js'
import { CandidateTable, type CandidateTableInit } from '../candidates/index.js'
import { Sketch } from '../reconcile/index.js'
import { hex } from '../bytes.js'
import type { OverlayDelivery } from './delivery.js'
import { LamportClock } from '../clock/index.js'
import type { Cancel } from '../env/clock.js'
import type { Rng } from '../env/rng.js'
import { OfferBuilder } from '../sync/offer.js'
import type { SyncConfig } from '../sync/config.js'
import type { SyncStoreView } from '../sync/select.js'

/** Peers' reported global times remembered per overlay (for the adaptive strategy). */
const MAX_PEER_TIMES = 256

export class OverlayState {
  readonly id: Uint8Array
  /** Hex of the id: the key of maps. */
  readonly key: string
  readonly clock: LamportClock
  readonly candidates: CandidateTable
  readonly builder: OfferBuilder | undefined
  /** Bundles stored in this overlay (loaded at join, then counted). */
  stored = 0
  /** Cancels the next scheduled walk step. */
  cancelStep: Cancel | undefined
  stepping = false
  /** Where the next expiry sweep starts (a global time). */
  expiryCursor = 0
  /** Stored bundles that carry an expiry: no sweep while there are none. */
  expiring = 0
  /** Ids of bundles being checked and stored right now (a duplicate arriving meanwhile is skipped). */
  readonly intakeInFlight = new Set<string>()
  /** Ids of recent ephemeral messages, so each is delivered once (bounded). */
  readonly ephemeralSeen = new Set<string>()
  readonly #peerTimes = new Map<string, number>()
  /** Coded-symbol sketch of the synced bundle ids (DESIGN §11); absent on trackers. */
  readonly sketch: Sketch | undefined
  /** Our Bloom answers in progress per walker: its symbols-requests wait for them (bounded). */
  readonly answers = new PendingAnswers()
  /** Causal delivery to the application (DESIGN §8); set by the node when a peer joins the overlay. */
  delivery: OverlayDelivery | undefined

  constructor(id: Uint8Array, init: { start: number; stored: number; candidates?: CandidateTableInit; sync: SyncConfig; store: SyncStoreView | undefined; rng: Rng; sketchLength?: number; sketchJournal?: number }) {
    this.id = id
    this.key = hex(id)
    this.clock = new LamportClock({ start: init.start })
    this.candidates = new CandidateTable(init.candidates ?? {})
    this.stored = init.stored
    this.builder = init.store === undefined ? undefined : new OfferBuilder(id, init.sync, { store: init.store, rng: init.rng })
    this.sketch = init.store === undefined ? undefined : new Sketch({ length: init.sketchLength, journal: init.sketchJournal })
  }

  /** Remembers a peer's reported global time (bounded; oldest report forgotten first). */
  notePeerTime(peerKey: string, globalTime: number): void {
    this.#peerTimes.delete(peerKey)
    this.#peerTimes.set(peerKey, globalTime)
    if (this.#peerTimes.size > MAX_PEER_TIMES) this.#peerTimes.delete(this.#peerTimes.keys().next().value as string)
  }

  peerTime(peerKey: string): number | undefined {
    return this.#peerTimes.get(peerKey)
  }
}
