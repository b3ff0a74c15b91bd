/**
 * The responder side of coded-symbol catch-up (DESIGN §11, docs/reconcile.md §9): answers a
 * peer's symbols-request from the overlay's maintained sketch, each requester's session from
 * a snapshot (a sketch version) taken when it began. The requester side (sessions, retries,
 * idle checks, newest first) is ./catch-up.ts, which owns one of these.
 */
import { CHECK_FIELD_BYTES, SHORT_RECORD_BYTES, SYMBOL_RECORD_BYTES, fitCountsAlone, fitSymbols, type Sketch } from '../reconcile/index.js'
import type { Clock } from '../env/clock.js'
import type { BundleStore } from '../store/types.js'
import type { SyncConfig } from '../sync/config.js'
import { addressKey, type Address, type CodedSymbol, type DecodeLimits, type Packet, type ShortSymbol, type SymbolsRequest, type SymbolsResponse } from '../wire/index.js'
import type { Charge } from './charge.js'
import type { WantedBundles } from './handlers/bundle-request.js'
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
  /** Answers a request for bundles by id, short id or short-id prefix, as a bundle-request is answered (a symbols-request's `fetch`, `fetch_short` and `fetch_prefixes`). */
  serveBundles(from: Address, overlay: OverlayWalk, want: WantedBundles): Promise<void>
  /** The overlay's ledger (its sketch, counts, offers; undefined without one). */
  ledger(overlay: Overlay): CatchUpLedger | undefined
  /** Resolves once our Bloom answer in progress to the walker `peerKey` (if any) has left (the responder's, ./responder.ts). */
  answered(overlay: OverlayWalk, peerKey: string): Promise<void>
}

/** What catch-up uses of an overlay's ledger (./ledger.ts). */
export type CatchUpLedger = Pick<Ledger, 'clock' | 'sketch' | 'stored' | 'arriving' | 'builder' | 'keptAt' | 'recent'>

/** Responder-side snapshots kept per overlay (one per requester, least recent dropped). */
export const MAX_SNAPSHOTS = 8

/** Answers symbols-requests; keeps, per overlay, the sketch version each requester's session is served from (bounded). */
export class SymbolResponder {
  readonly #c: SymbolResponderComponents
  readonly #perRequest: number
  readonly #perRequestShort: number
  readonly #sessionTimeoutMs: number
  readonly #counters: { snapshotsLost: number }
  readonly #snapshots = new WeakMap<OverlayWalk, Map<string, { version: number; at: number }>>()

  /**
   * `perRequest` / `perRequestShort`: symbols / short symbols one request gets at most (the
   * response budget's worth); a snapshot is kept `sessionTimeoutMs` after its last request.
   */
  constructor(components: SymbolResponderComponents, o: { perRequest: number; perRequestShort: number; sessionTimeoutMs: number }, counters: { snapshotsLost: number }) {
    this.#c = components
    this.#perRequest = o.perRequest
    this.#perRequestShort = o.perRequestShort
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
   *
   * Short ids (docs/reconcile.md §14): with `shortIds` the symbols go out as short symbols;
   * with a `salt`, the answer's first datagram (or the `inSync` answer) carries the salted
   * check of symbol 0's id XOR, of the same snapshot; `fetchShort` is served by short id and
   * `fetchPrefixes` by short-id prefix (docs/reconcile.md §15).
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
        const inSync: SymbolsResponse = { type: 'symbols-response', from: 0, symbols: [], inSync: true }
        if (req.salt !== undefined) inSync.check = sketch.saltedCheck(req.salt)
        this.#c.send(from, overlay.id, inSync, 'destination')
        return
      }
    }
    if (req.from >= sketch.length) this.#c.counters.drop('bad-range')
    else {
      const at = this.#snapshotFor(overlay, sketch, addressKey(from), req.from === 0)
      const budget = this.#c.sync.datagramBudget
      // A salt (a short-id session's idle check) asks for short symbols too.
      const short = req.shortIds === true || req.salt !== undefined
      const record = short ? SHORT_RECORD_BYTES : SYMBOL_RECORD_BYTES
      const perDatagram = short ? this.#c.limits.maxShortSymbolsPerDatagram : this.#c.limits.maxSymbolsPerDatagram
      // One request gets at most the response budget's worth of symbols, like a Bloom answer.
      const count = Math.min(req.count, short ? this.#perRequestShort : this.#perRequest)
      const symbols: readonly { count: number }[] = short ? sketch.shortSymbols(req.from, count, at) : sketch.symbols(req.from, count, at)
      let check = req.salt === undefined ? undefined : sketch.saltedCheck(req.salt, at)
      for (let k = 0; k < symbols.length; ) {
        const extra = check === undefined ? 0 : CHECK_FIELD_BYTES
        const rest = symbols.slice(k, k + perDatagram)
        const n = fitSymbols(budget, req.from + k, rest, record, extra)
        if (n === 0) break
        const answer: SymbolsResponse = short
          ? { type: 'symbols-response', from: req.from + k, symbols: [], shortSymbols: rest.slice(0, n) as ShortSymbol[] }
          : { type: 'symbols-response', from: req.from + k, symbols: rest.slice(0, n) as CodedSymbol[] }
        // The first datagram carries the salted check.
        if (check !== undefined) answer.check = check
        check = undefined
        // The last datagram carries the counts alone asked for, as many as fit.
        if (k + n === symbols.length && req.countsOnly !== undefined) this.#countsAlone(answer, sketch, req.countsOnly, budget, at, rest.slice(0, n), record, answer.check === undefined ? 0 : CHECK_FIELD_BYTES)
        if (!this.#c.send(from, overlay.id, answer, 'destination')) break
        k += n
      }
    }
    const ids = req.fetch ?? []
    const shortIds = req.fetchShort ?? []
    const shortPrefixes = req.fetchPrefixes ?? []
    if (ids.length + shortIds.length + shortPrefixes.length > 0 && this.#c.store !== undefined) await this.#c.serveBundles(from, overlay, { ids, shortIds, shortPrefixes })
  }

  /** Adds to `answer` (carrying `symbols`) the counts alone (mod 2^16) of up to `want` symbols after them, as many as fit `budget`. */
  #countsAlone(answer: SymbolsResponse, sketch: Sketch, want: number, budget: number, at: number | undefined, symbols: readonly { count: number }[], record: number, extra: number): void {
    const after = answer.from + symbols.length
    const m = fitCountsAlone(budget, answer.from, symbols, Math.max(0, Math.min(want, sketch.length - after)), record, extra)
    if (m > 0) answer.countsOnly = sketch.shortSymbols(after, m, at).map((s) => s.count & 0xffff)
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
