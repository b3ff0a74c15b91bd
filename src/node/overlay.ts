/**
 * The state a node keeps per overlay besides its ledger: the candidate table, the walk's
 * schedule, the answers in progress, causal delivery and the peers' reported global times.
 * A peer's overlay has a ledger (./ledger.ts: store, clock, sketch, counts, offers); a
 * tracker's has only a Lamport clock, for the global times peers report.
 */
import { answerRatePerWalker, PendingAnswers } from './pending-answers.js'
import { CandidateTable, type CandidateTableInit } from '../candidates/index.js'
import type { Sketch } from '../reconcile/index.js'
import { hex } from '../bytes.js'
import type { OverlayDelivery } from './delivery.js'
import { LamportClock } from '../clock/index.js'
import type { Cancel } from '../env/clock.js'
import type { OfferBuilder } from '../sync/offer.js'
import type { Ledger } from './ledger.js'

/** Peers' reported global times remembered per overlay (for the adaptive strategy). */
const MAX_PEER_TIMES = 256

export class OverlayState {
  readonly id: Uint8Array
  /** Hex of the id: the key of maps. */
  readonly key: string
  readonly clock: LamportClock
  readonly candidates: CandidateTable
  /** The only way bundles enter or leave the overlay; absent on trackers. */
  readonly ledger: Ledger | undefined
  /** Cancels the next scheduled walk step. */
  cancelStep: Cancel | undefined
  stepping = false
  /** Ids of recent ephemeral messages, so each is delivered once (bounded). */
  readonly ephemeralSeen = new Set<string>()
  readonly #peerTimes = new Map<string, number>()
  /** Our Bloom answers in progress per walker: its symbols-requests wait for them (bounded). */
  readonly answers: PendingAnswers
  /** Causal delivery to the application (DESIGN §8); set by the node when a peer joins the overlay. */
  delivery: OverlayDelivery | undefined

  /** A peer's overlay over its `ledger`, or (without one) a tracker's. */
  constructor(id: Uint8Array, init: { ledger?: Ledger; candidates?: CandidateTableInit }) {
    this.id = id
    this.key = hex(id)
    this.ledger = init.ledger
    this.clock = init.ledger?.clock ?? new LamportClock({ start: 0 })
    this.candidates = new CandidateTable(init.candidates ?? {})
    this.answers = new PendingAnswers(undefined, { ratePerWalker: answerRatePerWalker(this.candidates.options.walkEligibleDelayMs) })
  }

  /** The ledger's offer builder (absent on trackers). */
  get builder(): OfferBuilder | undefined {
    return this.ledger?.builder
  }

  /** The ledger's coded-symbol sketch of the synced bundle ids (DESIGN §11); absent on trackers. */
  get sketch(): Sketch | undefined {
    return this.ledger?.sketch
  }

  /** Bundles stored in this overlay. */
  get stored(): number {
    return this.ledger?.stored ?? 0
  }

  /** Ids of bundles being stored right now (catch-up does not fetch them again). */
  get intakeInFlight(): ReadonlySet<string> {
    return this.ledger?.arriving ?? NONE
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

const NONE: ReadonlySet<string> = new Set()
