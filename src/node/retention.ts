/**
 * A room's retention in the node (DESIGN §14): the policy's per-author index for one
 * overlay, the cheap refusal the intake asks before a signature check, the ids a newly
 * stored bundle pushes out of the policy (quota, history), the byte count for the store cap,
 * and the cap's floor. It decides; the overlay's ledger (./ledger.ts) deletes, and tells it
 * what went, so the count, the expiry count, the byte count and the coded-symbol sketch stay
 * in step with the store and the Bloom walk and catch-up never offer what was pruned.
 *
 * The store cap is the last line of defence: past `storeCapBytes` the oldest bundles (global
 * time, then id) are deleted first, and a bundle no newer than the newest one the cap deleted
 * is refused (`store-cap`). Peers with the same cap thus converge on the newest bundles that
 * fit it.
 */
import type { Bundle } from '../bundle/types.js'
import { DEFAULT_ROOM_POLICY, type RoomPolicy } from '../bundle/policy.js'
import { compareEntries, RetentionIndex, type RetainedEntry, type RetentionRefusal } from '../sync/retention.js'
import { hex } from '../bytes.js'

/** Authors remembered as having nothing stored (./retention-state.ts), least recently read forgotten first. */
export const MAX_ABSENT = 4096

function entryOf(b: Bundle): RetainedEntry {
  return { globalTime: b.globalTime, id: hex(b.id), author: hex(b.author) }
}

/** The retention of one overlay under its room policy. */
export class OverlayRetention {
  readonly index: RetentionIndex
  /** Bytes of the overlay's stored bundles (loaded at join, then counted). */
  #bytes = 0
  /** The newest bundle the store cap deleted: nothing at or below it is stored again. */
  #capFloor: RetainedEntry | undefined
  /** Set when the index is loaded one author at a time (./retention-state.ts): reads an author's stored bundles. */
  #load: ((author: string) => Promise<RetainedEntry[]>) | undefined
  /** Deletes what the policy drops of an author's stored bundles when they are loaded. */
  #drop: (gone: RetainedEntry[]) => Promise<unknown> = async () => undefined
  /** Authors whose stored bundles were loaded (those that had some: bounded by the store). */
  readonly #loaded = new Set<string>()
  /** Authors read with nothing stored (strangers, most refused): the latest {@link MAX_ABSENT}, so a flood of keys costs no memory beyond it. */
  readonly #absent = new Set<string>()
  readonly #loading = new Map<string, Promise<void>>()

  constructor(policy: RoomPolicy = DEFAULT_ROOM_POLICY) {
    this.index = new RetentionIndex(policy)
  }

  /**
   * From now on the index holds only the authors loaded so far; `load` reads the others'
   * stored bundles when first needed, and `drop` deletes what the policy does not keep of them
   * (what a crash left between a put and the deletions it caused).
   */
  lazy(load: (author: string) => Promise<RetainedEntry[]>, drop: (gone: RetainedEntry[]) => Promise<unknown>): void {
    this.#load = load
    this.#drop = drop
  }

  /**
   * Resolves once the author's entries are in the index; undefined when they already are (or
   * the policy keeps none): the common path awaits nothing. `author` is the key's hex.
   */
  ready(author: string): Promise<void> | undefined {
    const load = this.#load
    if (load === undefined || !this.index.tracks || this.#loaded.has(author) || this.#absent.has(author)) return undefined
    // Entries in the index came from a load or a store since: never read (and replaced) again.
    if (this.index.entriesOf(author).length > 0) return undefined
    let pending = this.#loading.get(author)
    if (pending === undefined) {
      pending = load(author)
        .then(async (entries) => {
          if (entries.length === 0) {
            // Nothing stored: what the index holds (nothing) is what a later read would give.
            this.#absent.add(author)
            if (this.#absent.size > MAX_ABSENT) this.#absent.delete(this.#absent.values().next().value as string)
            return
          }
          // The author's rows, under the policy: it drops nothing unless a crash cut a put's deletions short.
          const gone = this.index.load(author, entries)
          this.#loaded.add(author)
          if (gone.length > 0) await this.#drop(gone)
        })
        .finally(() => this.#loading.delete(author))
      this.#loading.set(author, pending)
    }
    return pending
  }

  /** Authors remembered as loaded or as having nothing stored (for the bound's test). */
  get remembered(): number {
    return this.#loaded.size + this.#absent.size
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

  /** Lowest global time kept at room time `time` (older is pruned). */
  keptFrom(time: number): number {
    return this.index.keptFrom(time)
  }

  /** Records a stored bundle; returns the entries the policy no longer keeps because of it. */
  stored(b: Bundle): RetainedEntry[] {
    this.#bytes += b.bytes.length
    // No quota and no history: no per-author entries (and no hex ids to make, at join time too).
    if (!this.index.tracks) return []
    return this.index.insert(entryOf(b))
  }

  /** Takes the byte count kept with a persisted sketch instead of counting each bundle at join (no per-author index to load). */
  restore(bytes: number): void {
    this.#bytes = bytes
  }

  /** Forgets a deleted bundle; `indexed`: false for one {@link stored} already dropped from the index. */
  removed(b: Bundle, indexed = true): void {
    this.#bytes -= b.bytes.length
    if (indexed && this.index.tracks) this.index.remove(entryOf(b))
  }

  /** The store cap deleted `b`: nothing at or below it is stored again. */
  capped(b: Bundle): void {
    const e = entryOf(b)
    if (this.#capFloor === undefined || compareEntries(e, this.#capFloor) > 0) this.#capFloor = e
  }

  /** Whether the policy prunes by global time (the sweep is skipped, not awaited, otherwise). */
  get prunes(): boolean {
    return this.policy.pruning.pruned > 0
  }

  /** The store cap in bytes (0: none). */
  get cap(): number {
    return this.policy.storeCapBytes
  }

  /** Whether the overlay holds more than the store cap (checked before awaiting the cap's deletions). */
  get overCap(): boolean {
    const cap = this.policy.storeCapBytes
    return cap > 0 && this.#bytes > cap
  }
}
