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
import { CandidateTable, type CandidateTableInit, type IntroInfo, type PeerInfo, type Candidate } from '../candidates/index.js'
import type { ConnectionType } from '../nat/index.js'
import type { Rng } from '../env/rng.js'
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
 * What every service reads of an overlay's candidate table. Nothing writes it but its
 * {@link OverlayWalk}: the others call the walk's methods (the walker's handlers its
 * records, intake {@link OverlayWalk.recordUseful}, the node and MVDS
 * {@link OverlayWalk.addTrusted}).
 */
export type CandidateView = Pick<CandidateTable, 'options' | 'size' | 'stats' | 'get' | 'category' | 'list' | 'isUseful' | 'counts' | 'nextWalkTarget'>

/**
 * The walker's state of one overlay: the candidate table, its only writer, and the global
 * times peers reported. The dispatcher hands it to every handler of a packet of the overlay.
 * Its clock is the ledger's on a peer (the walker reports peers' global times to it, the
 * ledger observes what is stored); a tracker's stays at 0.
 */
export class OverlayWalk implements Overlay {
  readonly id: Uint8Array
  readonly key: string
  readonly clock: LamportClock
  readonly #candidates: CandidateTable
  readonly #peerTimes = new Map<string, number>()

  constructor(id: Uint8Array, init: { clock?: LamportClock; candidates?: CandidateTableInit }) {
    this.id = id
    this.key = hex(id)
    this.clock = init.clock ?? new LamportClock({ start: 0 })
    this.#candidates = new CandidateTable(init.candidates ?? {})
  }

  /** The candidate table, to read (every write is one of the methods below). */
  get candidates(): CandidateView {
    return this.#candidates
  }

  /** A configured tracker, trusted peer or private-group member (see {@link CandidateTable.addTrusted}). */
  addTrusted(key: string): Candidate {
    return this.#candidates.addTrusted(key)
  }

  /** We sent an introduction-request to `key`. */
  recordWalk(key: string, now: number): boolean {
    return this.#candidates.recordWalk(key, now)
  }

  /** An introduction-response from `key`: a walk candidate. */
  recordWalkReply(key: string, info: PeerInfo, now: number): Candidate | undefined {
    return this.#candidates.recordWalkReply(key, info, now)
  }

  /** An introduction-request from `key`: a stumble candidate. */
  recordStumble(key: string, info: PeerInfo, now: number): Candidate | undefined {
    return this.#candidates.recordStumble(key, info, now)
  }

  /** `key` was introduced to us, or punctured us: an intro candidate. */
  recordIntro(key: string, info: IntroInfo, now: number): Candidate | undefined {
    return this.#candidates.recordIntro(key, info, now)
  }

  /** `key` sent us a bundle we did not hold (intake): a walk target of its own for a while. */
  recordUseful(key: string, now: number): boolean {
    return this.#candidates.recordUseful(key, now)
  }

  /** Our walk to `key` got no response in time. */
  walkTimedOut(key: string, now: number): boolean {
    return this.#candidates.walkTimedOut(key, now)
  }

  /** Forgets `key` (a validation probe it never answered). */
  removeCandidate(key: string): boolean {
    return this.#candidates.remove(key)
  }

  /** Drops every expired candidate (each walk step). */
  purgeCandidates(now: number): number {
    return this.#candidates.purge(now)
  }

  /** A candidate to introduce to a walker (alternates walk and stumble: a write). */
  pickIntroduction(requesterKey: string, requesterConnType: ConnectionType, requesterWanHost: string | undefined, now: number, rng: Rng): Candidate | undefined {
    return this.#candidates.pickIntroduction(requesterKey, requesterConnType, requesterWanHost, now, rng)
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
