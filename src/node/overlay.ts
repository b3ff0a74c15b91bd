/**
 * How the node's services name an overlay, and the walker's state of one (DESIGN §12).
 *
 * There is no shared per-overlay object: each service keeps its own state per overlay,
 * keyed by the overlay's {@link Overlay.key}, and is the only one that writes it — the
 * ledger (./ledger.ts) the store, Lamport clock, sketch, counts and offers; the walker
 * ({@link OverlayWalk}) the candidates and the peers' reported global times, and its step
 * timers (./walker.ts); the responder the answers in progress (./responder.ts); delivery the
 * causal buffer and the ephemeral dedupe (./delivery.ts); catch-up its sessions
 * (./catch-up.ts). The others read it through the narrow interfaces their components name.
 */
import { CandidateTable, type CandidateTableInit } from '../candidates/index.js'
import { hex } from '../bytes.js'
import { LamportClock } from '../clock/index.js'

/** An overlay as every service names it: its id, and the hex of the id that keys their maps. */
export interface Overlay {
  readonly id: Uint8Array
  readonly key: string
}

/** Peers' reported global times remembered per overlay (for the adaptive strategy). */
const MAX_PEER_TIMES = 256

/**
 * The walker's state of one overlay: the candidate table and the global times peers
 * reported. The dispatcher hands it to every handler of a packet of the overlay. Its clock
 * is the ledger's on a peer (the walker reports peers' global times to it, the ledger
 * observes what is stored); a tracker's stays at 0.
 */
export class OverlayWalk implements Overlay {
  readonly id: Uint8Array
  readonly key: string
  readonly clock: LamportClock
  readonly candidates: CandidateTable
  readonly #peerTimes = new Map<string, number>()

  constructor(id: Uint8Array, init: { clock?: LamportClock; candidates?: CandidateTableInit }) {
    this.id = id
    this.key = hex(id)
    this.clock = init.clock ?? new LamportClock({ start: 0 })
    this.candidates = new CandidateTable(init.candidates ?? {})
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
