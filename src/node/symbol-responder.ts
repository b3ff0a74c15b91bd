/**
 * The responder side of coded-symbol catch-up (DESIGN §11, docs/reconcile.md §9): answers a
 * peer's symbols-request from the overlay's maintained sketch, each requester's session from
 * a snapshot (a sketch version) taken when it began. The requester side (sessions, retries,
 * idle checks, newest first) is ./catch-up.ts, which owns one of these.
 */
import { fitCountsAlone, fitSymbols, type Sketch } from '../reconcile/index.js'
import type { Clock } from '../env/clock.js'
import type { BundleStore } from '../store/types.js'
import type { SyncConfig } from '../sync/config.js'
import { addressKey, type Address, type DecodeLimits, type Packet, type SymbolsRequest, type SymbolsResponse } from '../wire/index.js'
import type { Charge } from './charge.js'
import type { Ledger } from './ledger.js'
import type { Overlay, OverlayWalk } from './overlay.js'
import type { Counters } from './stats.js'

/** What the responder uses of the node (catch-up's components are a superset). */
export interface SymbolResponderComponents {
  readonly clock: Clock
  readonly counters: Pick<Counters, 'drop'>
  /** The bundle store (absent on a tracker). */
  readonly store: BundleStore | undefined
  readonly sync: SyncConfig
  readonly limits: Readonly<DecodeLimits>
  send(to: Address, overlay: Uint8Array, packet: Packet, charge: Charge): boolean
  /** Answers a request for bundles by id, as a bundle-request is answered (a symbols-request's `fetch`). */
  serveBundles(from: Address, overlay: OverlayWalk, ids: readonly Uint8Array[]): Promise<void>
  /** The overlay's ledger (its sketch, counts, offers; undefined without one). */
  ledger(overlay: Overlay): CatchUpLedger | undefined
  /** Resolves once our Bloom answer in progress to the walker `peerKey` (if any) has left (the responder's, ./responder.ts). */
  answered(overlay: OverlayWalk, peerKey: string): Promise<void>
}

/** What catch-up uses of an overlay's ledger (./ledger.ts). */
export type CatchUpLedger = Pick<Ledger, 'clock' | 'sketch' | 'stored' | 'arriving' | 'builder'>

/** Responder-side snapshots kept per overlay (one per requester, least recent dropped). */
export const MAX_SNAPSHOTS = 8

/** Answers symbols-requests; keeps, per overlay, the sketch version each requester's session is served from (bounded). */
export class SymbolResponder {
  readonly #c: SymbolResponderComponents
  readonly #perRequest: number
  readonly #sessionTimeoutMs: number
  readonly #counters: { snapshotsLost: number }
  readonly #snapshots = new WeakMap<OverlayWalk, Map<string, { version: number; at: number }>>()

  /** `perRequest`: symbols one request gets at most (the response budget's worth); a snapshot is kept `sessionTimeoutMs` after its last request. */
  constructor(components: SymbolResponderComponents, o: { perRequest: number; sessionTimeoutMs: number }, counters: { snapshotsLost: number }) {
    this.#c = components
    this.#perRequest = o.perRequest
    this.#sessionTimeoutMs = o.sessionTimeoutMs
    this.#counters = counters
  }

  /**
   * symbols-request: answer from the maintained sketch. With a digest equal to our symbol 0,
   * answer `inSync` alone. Otherwise send symbols [from, from + count) in as many datagrams as
   * they take (count ≤ maxSymbolsPerRequest, checked by the decoder; every datagram is charged
   * to the anti-amplification budget of an unvalidated requester). A request from index 0
   * opens a session: its symbols, and the later ones for the same requester, come from a
   * snapshot taken then, so bundles stored meanwhile do not make the requester's decoding
   * inconsistent. Bundles named in `fetch` are served as a bundle-request's would be.
   */
  async answer(from: Address, overlay: OverlayWalk, req: SymbolsRequest): Promise<void> {
    const sketch = this.#c.ledger(overlay)?.sketch
    if (sketch === undefined) {
      this.#c.counters.drop('tracker-ignores')
      return
    }
    if (overlay.candidates.get(addressKey(from)) === undefined) {
      this.#c.counters.drop('unknown-source')
      return
    }
    // Our answer to this walker's offer leaves first, or the symbols would show it lacking what that answer carries.
    await this.#c.answered(overlay, addressKey(from))
    if (req.digest !== undefined && req.from === 0) {
      const s0 = sketch.symbols(0, 1)[0]!
      if (s0.hashXor === req.digest.hashXor && s0.count === req.digest.count) {
        this.#c.send(from, overlay.id, { type: 'symbols-response', from: 0, symbols: [], inSync: true }, 'destination')
        return
      }
    }
    if (req.from >= sketch.length) this.#c.counters.drop('bad-range')
    else {
      const at = this.#snapshotFor(overlay, sketch, addressKey(from), req.from === 0)
      const budget = this.#c.sync.datagramBudget
      // One request gets at most the response budget's worth of symbols, like a Bloom answer.
      const symbols = sketch.symbols(req.from, Math.min(req.count, this.#perRequest), at)
      for (let k = 0; k < symbols.length; ) {
        const rest = symbols.slice(k, k + this.#c.limits.maxSymbolsPerDatagram)
        const n = fitSymbols(budget, req.from + k, rest)
        if (n === 0) break
        const answer: SymbolsResponse = { type: 'symbols-response', from: req.from + k, symbols: rest.slice(0, n) }
        // The last datagram carries the counts alone asked for, as many as fit.
        if (k + n === symbols.length && req.countsOnly !== undefined) this.#countsAlone(answer, sketch, req.countsOnly, budget, at)
        if (!this.#c.send(from, overlay.id, answer, 'destination')) break
        k += n
      }
    }
    if (req.fetch !== undefined && req.fetch.length > 0 && this.#c.store !== undefined) await this.#c.serveBundles(from, overlay, req.fetch)
  }

  /** Adds to `answer` the counts alone (mod 2^16) of up to `want` symbols after its own, as many as fit `budget`. */
  #countsAlone(answer: SymbolsResponse, sketch: Sketch, want: number, budget: number, at: number | undefined): void {
    const after = answer.from + answer.symbols.length
    const m = fitCountsAlone(budget, answer.from, answer.symbols, Math.max(0, Math.min(want, sketch.length - after)))
    if (m > 0) answer.countsOnly = sketch.symbols(after, m, at).map((s) => s.count & 0xffff)
  }

  /**
   * The sketch version a requester's session is served from (undefined: the current
   * contents). A snapshot is only a version number: the sketch's bounded journal takes the
   * changes made since back out of each requested range. When more changes than the journal
   * holds happened since, the session is served from the current sketch (it may then end
   * inconsistent and be retried later), counted in `snapshotsLost`.
   */
  #snapshotFor(overlay: OverlayWalk, sketch: Sketch, key: string, start: boolean): number | undefined {
    const now = this.#c.clock.now()
    let snapshots = this.#snapshots.get(overlay)
    if (snapshots === undefined) {
      snapshots = new Map()
      this.#snapshots.set(overlay, snapshots)
    }
    if (start) {
      snapshots.delete(key)
      snapshots.set(key, { version: sketch.version, at: now })
      if (snapshots.size > MAX_SNAPSHOTS) snapshots.delete(snapshots.keys().next().value as string)
    }
    const snap = snapshots.get(key)
    if (snap === undefined || now - snap.at > this.#sessionTimeoutMs) {
      snapshots.delete(key)
      return undefined
    }
    if (!sketch.reaches(snap.version)) {
      this.#counters.snapshotsLost++
      snapshots.delete(key)
      return undefined
    }
    snap.at = now
    return snap.version
  }
}
