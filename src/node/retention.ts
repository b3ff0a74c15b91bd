/**
 * A room's retention in the node (DESIGN §14): the policy's per-author index for one
 * overlay, the cheap refusal the intake asks before a signature check, the deletions that a
 * newly stored bundle causes (quota, history), the store cap, and the global-time pruning
 * sweep run after each walk step (bounded rows per call, like the expiry sweep). Every
 * deletion goes through {@link OverlayRetention.forget}, which keeps the count, the expiry
 * count, the byte count and the coded-symbol sketch in step with the store, so the Bloom walk
 * and catch-up never offer what was pruned.
 *
 * The store cap is the last line of defence: past `storeCapBytes` the oldest bundles (global
 * time, then id) are deleted first, and a bundle no newer than the newest one the cap deleted
 * is refused (`store-cap`). Peers with the same cap thus converge on the newest bundles that
 * fit it.
 */
import type { Bundle } from '../bundle/types.js'
import { DEFAULT_ROOM_POLICY, type RoomPolicy } from '../bundle/policy.js'
import type { BundleStore } from '../store/types.js'
import { isSyncable, type SyncConfig } from '../sync/config.js'
import { compareEntries, RetentionIndex, type RetainedEntry, type RetentionRefusal } from '../sync/retention.js'
import { hex } from '../bytes.js'
import type { OverlayState } from './overlay.js'

/** Store rows a pruning sweep deletes at most per walk step. */
export const PRUNE_ROWS_PER_SWEEP = 256

function entryOf(b: Bundle): RetainedEntry {
  return { globalTime: b.globalTime, id: hex(b.id), author: hex(b.author) }
}

/** Store rows the cap reads per batch while deleting the oldest. */
const CAP_BATCH = 64

/** The retention of one overlay under its room policy. */
export class OverlayRetention {
  readonly index: RetentionIndex
  /** Bytes of the overlay's stored bundles (loaded at join, then counted). */
  #bytes = 0
  /** The newest bundle the store cap deleted: nothing at or below it is stored again. */
  #capFloor: RetainedEntry | undefined

  constructor(policy: RoomPolicy = DEFAULT_ROOM_POLICY) {
    this.index = new RetentionIndex(policy)
  }

  get policy(): RoomPolicy {
    return this.index.policy
  }

  /** Bytes of the overlay's stored bundles. */
  get bytes(): number {
    return this.#bytes
  }

  /** Why the room would not keep `b` at room time `time` (no state changes), or undefined. */
  refuses(b: Bundle, time: number): RetentionRefusal | undefined {
    const e = entryOf(b)
    const refused = this.index.refuses(e, b.body.length, time)
    if (refused !== undefined) return refused
    const cap = this.policy.storeCapBytes
    if (cap > 0 && (b.bytes.length > cap || (this.#capFloor !== undefined && compareEntries(e, this.#capFloor) <= 0))) return 'store-cap'
    return undefined
  }

  /** Lowest global time offered and answered at room time `time`. */
  activeFrom(time: number): number {
    return this.index.activeFrom(time)
  }

  /** Records a stored bundle; returns the ids (hex) the policy no longer keeps because of it. */
  stored(b: Bundle): string[] {
    this.#bytes += b.bytes.length
    // No quota and no history: no per-author entries (and no hex ids to make, at join time too).
    if (!this.index.tracks) return []
    return this.index.insert(entryOf(b)).map((e) => e.id)
  }

  /** Takes the byte count kept with a persisted sketch instead of counting each bundle at join (no per-author index to load). */
  restore(bytes: number): void {
    this.#bytes = bytes
  }

  /** Forgets a bundle deleted for another reason (expiry). */
  removed(b: Bundle): void {
    this.#bytes -= b.bytes.length
    if (this.index.tracks) this.index.remove(entryOf(b))
  }

  /** Deletes a stored bundle and keeps the overlay's counts, byte count, index and sketch in step. */
  async forget(store: BundleStore, state: OverlayState, sync: SyncConfig, b: Bundle): Promise<boolean> {
    if (!(await forgetStored(store, state, sync, b))) return false
    this.removed(b)
    return true
  }

  /** Whether the policy prunes by global time (the sweep is skipped, not awaited, otherwise). */
  get prunes(): boolean {
    return this.policy.pruning.pruned > 0
  }

  /** Whether the overlay holds more than the store cap (checked before awaiting {@link enforceCap}). */
  get overCap(): boolean {
    const cap = this.policy.storeCapBytes
    return cap > 0 && this.#bytes > cap
  }

  /** Deletes the oldest bundles while the overlay holds more than the store cap; returns them. */
  async enforceCap(store: BundleStore, state: OverlayState, sync: SyncConfig): Promise<Bundle[]> {
    const cap = this.policy.storeCapBytes
    const gone: Bundle[] = []
    while (cap > 0 && this.#bytes > cap) {
      const oldest: Bundle[] = []
      for await (const b of store.range({ overlay: state.id, from: 0, to: Number.MAX_SAFE_INTEGER, limit: CAP_BATCH })) oldest.push(b)
      if (oldest.length === 0) break
      for (const b of oldest) {
        if (this.#bytes <= cap) break
        if (!(await this.forget(store, state, sync, b))) continue
        gone.push(b)
        const e = entryOf(b)
        if (this.#capFloor === undefined || compareEntries(e, this.#capFloor) > 0) this.#capFloor = e
      }
    }
    return gone
  }

  /**
   * Deletes up to `rows` stored bundles older than the pruning threshold; returns them
   * (the caller has already updated nothing: {@link forgetStored} does the bookkeeping).
   */
  async sweep(store: BundleStore, state: OverlayState, sync: SyncConfig, rows = PRUNE_ROWS_PER_SWEEP): Promise<Bundle[]> {
    const before = this.index.keptFrom(state.clock.time)
    if (before <= 0) return []
    const old: Bundle[] = []
    for await (const b of store.range({ overlay: state.id, from: 0, to: before - 1, maxRows: rows })) old.push(b)
    const gone: Bundle[] = []
    for (const b of old) if (await this.forget(store, state, sync, b)) gone.push(b)
    return gone
  }

  /** Deletes the bundles `stored` said to drop; returns those that were deleted. */
  async evict(store: BundleStore, state: OverlayState, sync: SyncConfig, ids: readonly string[]): Promise<Bundle[]> {
    const gone: Bundle[] = []
    for (const id of ids) {
      const b = await store.get(state.id, Uint8Array.from(Buffer.from(id, 'hex')))
      // The index already dropped it (insert returned it): only the bytes and the store are left.
      if (b !== undefined && (await forgetStored(store, state, sync, b))) {
        this.#bytes -= b.bytes.length
        gone.push(b)
      }
    }
    return gone
  }
}

/** Deletes a stored bundle and keeps the overlay's count, expiry count and sketch in step (not the retention's own figures). */
async function forgetStored(store: BundleStore, state: OverlayState, sync: SyncConfig, b: Bundle): Promise<boolean> {
  if (!(await store.delete(state.id, b.id))) return false
  state.stored--
  if (b.expiresAt !== undefined) state.expiring--
  if (isSyncable(sync, b.kind)) state.sketch?.remove(b.id)
  return true
}

/** The retention of every overlay a node joined (bounded by the overlays joined). */
export class RetentionBook {
  readonly #rooms = new Map<string, OverlayRetention>()

  /** The overlay's retention (the default policy's when none was set). */
  of(state: OverlayState): OverlayRetention {
    let r = this.#rooms.get(state.key)
    if (r === undefined) this.#rooms.set(state.key, (r = new OverlayRetention()))
    return r
  }

  set(state: OverlayState, policy: RoomPolicy): OverlayRetention {
    const r = new OverlayRetention(policy)
    this.#rooms.set(state.key, r)
    return r
  }

  get size(): number {
    return this.#rooms.size
  }
}
