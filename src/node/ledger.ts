/**
 * The ledger of one overlay (DESIGN §12): the only way a bundle enters or leaves it. It owns
 * the overlay's store writes and deletions, its Lamport clock's observations, the coded-symbol
 * sketch of the synced bundles, the stored and expiring counts, the offer builder (whose
 * cached filter learns what was stored), the expiry sweep and the room policy's retention
 * (DESIGN §14). Everything else reads it; nothing writes around it, so the invariant "the
 * sketch, the stored count, the expiring count and the byte count mirror the store" is kept
 * in one place (test/node/ledger.test.ts tries to break it).
 *
 * Deciding whether a bundle may enter (global time, structure, identity cost, budgets,
 * signature) is the intake's job (./intake.ts); the ledger is where it then goes.
 */
import type { Bundle } from '../bundle/types.js'
import type { RoomPolicy } from '../bundle/policy.js'
import { equalBytes, hex } from '../bytes.js'
import { LamportClock } from '../clock/index.js'
import type { Logger } from '../env/logger.js'
import type { Rng } from '../env/rng.js'
import { Sketch } from '../reconcile/index.js'
import { isAuthorIndexStore, isSketchStore, type BundleStore } from '../store/types.js'
import { isSyncable, type SyncConfig } from '../sync/config.js'
import { OfferBuilder } from '../sync/offer.js'
import type { RetainedEntry, RetentionRefusal } from '../sync/retention.js'
import { RecentlyStored } from './recently-stored.js'
import { OverlayRetention } from './retention.js'
import { RetentionState } from './retention-state.js'
import { persistSketch, restoreSketch } from './sketch-persistence.js'
import type { Counters } from './stats.js'

/** Rows the expiry sweep examines per call (one call per walk step). */
export const EXPIRY_ROWS_PER_SWEEP = 256
/** Store rows a pruning sweep deletes at most per call (one call per walk step). */
export const PRUNE_ROWS_PER_SWEEP = 256
/** Store rows the cap reads per batch while deleting the oldest. */
const CAP_BATCH = 64

/** What a ledger uses of the node. */
export interface LedgerComponents {
  readonly store: BundleStore
  readonly sync: SyncConfig
  /** For the offer builder's salts and modulo offsets. */
  readonly rng: Rng
  readonly log: Logger
  readonly counters: Pick<Counters, 'bundlesStored' | 'bundlesPruned'>
  /** An expired bundle was deleted (the node emits `expired`). */
  expired(overlay: Uint8Array, bundle: Bundle): void
}

export interface LedgerInit {
  /** The room's policy (DESIGN §14); default the default policy. */
  policy?: RoomPolicy
  /** Coded symbols of the sketch (see NodeOptions.sketchLength). */
  sketchLength?: number
  sketchJournal?: number
}

/** What became of a bundle given to {@link Ledger.put}. */
export type PutResult = 'stored' | 'duplicate' | 'pruned'

export class Ledger {
  readonly id: Uint8Array
  /** Hex of the id: the key of maps. */
  readonly key: string
  /** The overlay's Lamport clock: every stored bundle is observed (DESIGN §5). */
  readonly clock: LamportClock
  /** Builds the walk's Bloom offers over the store; learns what is stored from the ledger. */
  readonly builder: OfferBuilder
  /** Coded-symbol sketch of the synced bundle ids (DESIGN §11). */
  readonly sketch: Sketch
  readonly #c: LedgerComponents
  readonly #retention: OverlayRetention
  #stored: number
  #expiring = 0
  /** Where the next expiry sweep starts (a global time). */
  #expiryCursor = 0
  /** Ids (hex) of bundles being written right now: a duplicate arriving meanwhile is skipped. */
  readonly #arriving = new Set<string>()
  /** The last bundles stored (by short id and global time), for the push path's look-ups. */
  readonly recent = new RecentlyStored()

  private constructor(c: LedgerComponents, id: Uint8Array, o: { start: number; stored: number; init: LedgerInit }) {
    this.#c = c
    this.id = id
    this.key = hex(id)
    this.clock = new LamportClock({ start: o.start })
    this.#stored = o.stored
    this.builder = new OfferBuilder(id, c.sync, { store: c.store, rng: c.rng })
    this.sketch = new Sketch({ length: o.init.sketchLength, journal: o.init.sketchJournal })
    this.#retention = new OverlayRetention(o.init.policy)
  }

  /**
   * Opens an overlay's ledger over what the store holds: its global time and count; the
   * sketch and the expiring count, restored from the sketch persisted with the store when it
   * has one, else rebuilt by a scan and persisted for the next open; the policy's per-author
   * index, read one author at a time from the store's by-author index when it keeps one for
   * this policy, else scanned and saved there. A policy stricter than what was stored (or a
   * store from before the policy) is applied now.
   */
  static async open(c: LedgerComponents, id: Uint8Array, init: LedgerInit = {}): Promise<Ledger> {
    const store = c.store
    const ledger = new Ledger(c, id, { start: await store.maxGlobalTime(id), stored: await store.count(id), init })
    const retention = ledger.#retention
    // Awaited only with a store that persists sketches: the open's timing is otherwise that of a plain scan.
    const persisted = isSketchStore(store) ? await restoreSketch(store, id, c.sync, ledger.sketch) : undefined
    const restored = persisted !== undefined && 'summary' in persisted ? persisted.summary : undefined
    if (restored !== undefined) ledger.#expiring = restored.expiring
    // The per-author index kept with the store (a key per row, in the row's batch): read one author at a time, after a crash too.
    const state = isSketchStore(store) && isAuthorIndexStore(store) && retention.index.tracks ? new RetentionState(store, id, retention.policy) : undefined
    const kept = state === undefined ? 'none' : await state.kept()
    const lazy = state !== undefined && kept === 'current' && restored !== undefined
    if (lazy) retention.lazy((author) => state.load(author), async (gone) => (c.counters.bundlesPruned += (await ledger.#evict(gone)).length))
    const mark = isSketchStore(store) ? store.sketchMark(id) : 0
    const evict: RetainedEntry[] = []
    if (restored === undefined || (retention.index.tracks && !lazy)) {
      for await (const b of store.range({ overlay: id, from: 0, to: Number.MAX_SAFE_INTEGER })) {
        if (restored === undefined) {
          if (isSyncable(c.sync, b.kind)) ledger.sketch.add(b.id)
          if (b.expiresAt !== undefined) ledger.#expiring++
        }
        evict.push(...retention.stored(b))
      }
    } else retention.restore(restored.bytes)
    // Checkpointed before the evictions below: the store logs those as it logs any delete.
    if (persisted !== undefined && 'mark' in persisted && isSketchStore(store)) {
      await persistSketch(store, id, c.sync, ledger.sketch, { expiring: ledger.#expiring, bytes: retention.bytes }, persisted.mark, c.log)
    }
    // Saved before the evictions too (their deletes then take their keys with them): every row the scan found, kept or not.
    if (state !== undefined && kept !== 'current') {
      const rows = kept === 'none' ? [...retention.index.allAuthors()].flatMap(([, list]) => list).concat(evict) : undefined
      if (!(await state.save(rows, mark))) c.log.debug('per-author index not saved: the overlay changed during the join; the next join scans again', { overlay: ledger.key })
    }
    // Awaited only when there is work: the open's timing is otherwise that of a plain scan.
    if (evict.length > 0) c.counters.bundlesPruned += (await ledger.#evict(evict)).length
    if (retention.overCap) c.counters.bundlesPruned += (await ledger.#enforceCap()).length
    // No session predates the open: the journal only needs the changes from now on.
    ledger.sketch.clearJournal()
    return ledger
  }

  /**
   * Resolves once the policy's entries of `author` (its key) are in memory; undefined (no
   * wait) when they are: call before {@link refuses}.
   */
  ready(author: Uint8Array): Promise<void> | undefined {
    return this.#retention.ready(hex(author))
  }

  /** Bundles stored in this overlay. */
  get stored(): number {
    return this.#stored
  }

  /** Stored bundles that carry an expiry (no sweep while there are none). */
  get expiring(): number {
    return this.#expiring
  }

  /** Bytes of the stored bundles (the store cap's measure). */
  get bytes(): number {
    return this.#retention.bytes
  }

  get policy(): RoomPolicy {
    return this.#retention.policy
  }

  /** Ids (hex) of bundles being written right now (catch-up does not fetch them again). */
  get arriving(): ReadonlySet<string> {
    return this.#arriving
  }

  /** Why the room would not keep `b` at room time `time` (no state changes), or undefined. */
  refuses(b: Bundle, time: number): RetentionRefusal | undefined {
    return this.#retention.refuses(b, time)
  }

  /** Lowest global time the room's policy still offers and answers now (DESIGN §14). */
  activeFrom(): number {
    return this.#retention.activeFrom(this.clock.time)
  }

  /**
   * Lowest global time a peer that reported global time `peerTime` still keeps (0 when it has
   * not reported one): what we send it (answers, catch-up's pushes, bundle-requests; DESIGN §14)
   * starts there. Back from a long absence we still hold bundles the room has pruned until our
   * clock catches up; sent on, each would cost the peer a drop and us the bytes.
   */
  keptAt(peerTime: number | undefined): number {
    return peerTime === undefined ? 0 : this.#retention.keptFrom(peerTime)
  }

  /**
   * Writes a checked bundle (observed at `now`); a store that cannot write rejects and
   * nothing is counted. 'pruned': stored, then at once deleted by the policy (it lost a race
   * with newer ones of its author, or the store cap). A stored bundle may push older ones
   * out of the policy; those are deleted here.
   */
  async put(b: Bundle, now: number): Promise<PutResult> {
    const loading = this.ready(b.author)
    if (loading !== undefined) await loading
    const key = hex(b.id)
    this.#arriving.add(key)
    this.recent.arriving(b.id)
    let added: boolean
    try {
      added = await this.#c.store.put(b)
    } finally {
      this.#arriving.delete(key)
      this.recent.arrived(b.id)
    }
    if (!added) return 'duplicate'
    this.recent.stored(b)
    const evict = this.#retention.stored(b)
    if (b.expiresAt !== undefined) this.#expiring++
    this.clock.observe(b.globalTime, b.author, now)
    if (isSyncable(this.#c.sync, b.kind)) this.sketch.add(b.id)
    this.#stored++
    this.#c.counters.bundlesStored++
    const gone = evict.length > 0 ? await this.#evict(evict) : []
    // No await on the common path (under the cap): timing stays that of the plain intake.
    if (this.#retention.overCap) gone.push(...(await this.#enforceCap()))
    this.#c.counters.bundlesPruned += gone.length
    return gone.some((g) => equalBytes(g.id, b.id)) ? 'pruned' : 'stored'
  }

  /** Ends one intake batch: the bundles that were new (from `fromKey`, or published here) go into the offer builder's cached filter; `pushed`: they came in a push, no answer to our offer. */
  settle(fresh: readonly Bundle[], fromKey: string | undefined, pushed = false): void {
    this.builder.onStored(fresh, fromKey, pushed)
  }

  /**
   * After a walk step: deletes what expired (a bounded window of rows from a cursor that
   * walks the history and wraps around; nothing while no stored bundle expires), then what
   * the policy prunes by global time (bounded rows).
   */
  async maintain(): Promise<void> {
    for (const b of await this.#sweepExpired()) this.#c.expired(this.id, b)
    if (this.#retention.prunes) this.#c.counters.bundlesPruned += (await this.#prune()).length
  }

  /** Deletes a stored bundle and keeps every figure in step; `indexed`: false when the policy's index already dropped it. */
  async #forget(b: Bundle, indexed = true): Promise<boolean> {
    // The author's persisted entries hold this one: loaded first, so that it leaves them too.
    const loading = indexed ? this.ready(b.author) : undefined
    if (loading !== undefined) await loading
    if (!(await this.#c.store.delete(this.id, b.id))) return false
    this.recent.removed(b)
    this.#stored--
    if (b.expiresAt !== undefined) this.#expiring--
    if (isSyncable(this.#c.sync, b.kind)) this.sketch.remove(b.id)
    this.#retention.removed(b, indexed)
    return true
  }

  /** Scans the next window; deletes what expired; returns the deleted bundles. */
  async #sweepExpired(rows = EXPIRY_ROWS_PER_SWEEP): Promise<Bundle[]> {
    if (this.#expiring <= 0) return []
    const now = this.clock.time
    const expired: Bundle[] = []
    let read = 0
    const cursor = this.#expiryCursor
    let last = cursor
    for await (const b of this.#c.store.range({ overlay: this.id, from: cursor, to: Number.MAX_SAFE_INTEGER, maxRows: rows })) {
      read++
      last = b.globalTime
      if (b.expiresAt !== undefined && b.expiresAt < now) expired.push(b)
    }
    // Fewer rows than asked: the end of history was reached, start over next time.
    // A window that ended inside one global time resumes there (or past it if the window never left it).
    this.#expiryCursor = read < rows ? 0 : last > cursor ? last : last + 1
    const gone: Bundle[] = []
    for (const b of expired) if (await this.#forget(b)) gone.push(b)
    return gone
  }

  /** Deletes up to `rows` stored bundles older than the pruning threshold; returns them. */
  async #prune(rows = PRUNE_ROWS_PER_SWEEP): Promise<Bundle[]> {
    const before = this.#retention.keptFrom(this.clock.time)
    if (before <= 0) return []
    const old: Bundle[] = []
    for await (const b of this.#c.store.range({ overlay: this.id, from: 0, to: before - 1, maxRows: rows })) old.push(b)
    const gone: Bundle[] = []
    for (const b of old) if (await this.#forget(b)) gone.push(b)
    return gone
  }

  /** Deletes the bundles the policy's index dropped; returns those deleted. */
  async #evict(entries: readonly RetainedEntry[]): Promise<Bundle[]> {
    const gone: Bundle[] = []
    for (const { id } of entries) {
      const b = await this.#c.store.get(this.id, Uint8Array.from(Buffer.from(id, 'hex')))
      if (b !== undefined && (await this.#forget(b, false))) gone.push(b)
    }
    return gone
  }

  /** Deletes the oldest bundles while the overlay holds more than the store cap; returns them. */
  async #enforceCap(): Promise<Bundle[]> {
    const retention = this.#retention
    const gone: Bundle[] = []
    while (retention.overCap) {
      const oldest: Bundle[] = []
      for await (const b of this.#c.store.range({ overlay: this.id, from: 0, to: Number.MAX_SAFE_INTEGER, limit: CAP_BATCH })) oldest.push(b)
      if (oldest.length === 0) break
      for (const b of oldest) {
        if (!retention.overCap) break
        if (!(await this.#forget(b))) continue
        gone.push(b)
        retention.capped(b)
      }
    }
    return gone
  }
}
