/**
 * Which bundles a room's policy keeps (DESIGN §14), decided on the bundles alone so that
 * peers converge on one retained set whatever order bundles arrive in. Sans-I/O: the node
 * feeds entries in and deletes what this says to evict.
 *
 * The retained set of a union U of bundles, at room time T, is
 *   F(U) = pruned_T(history_H(quota_Q(U)))
 * where quota keeps, per author and window [kW, (k+1)W), the newest Q (by global time, then
 * id); history keeps, per author, the newest H of those; pruning drops what is more than P
 * behind T. Each rule keeps a top-k of a group in one total order, and the quota's groups
 * refine the history's, so a bundle once dropped stays dropped when more arrive:
 * F(F(A) ∪ {b}) = F(A ∪ {b}). The index therefore needs only the retained set, never the
 * ids it dropped, and a dropped bundle offered back is refused by the same test (one
 * comparison, before any signature check). test/sync/retention.test.ts checks convergence
 * over random arrival orders against F computed on the whole union.
 */
import type { RoomPolicy } from '../bundle/policy.js'

/** What the index knows of a retained bundle. */
export interface RetainedEntry {
  globalTime: number
  /** Hex of the id (hex order is byte order). */
  id: string
  /** Hex of the author key. */
  author: string
}

/** Why a bundle is not kept. */
/** `store-cap` is decided by the node (it needs the store's byte count), the others here. */
export type RetentionRefusal = 'pruned' | 'quota' | 'history' | 'body-too-large' | 'store-cap'

/** Bundle order of every policy decision: global time, then id. */
export function compareEntries(a: RetainedEntry, b: RetainedEntry): number {
  if (a.globalTime !== b.globalTime) return a.globalTime - b.globalTime
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

/** First index in sorted `list` whose entry is ≥ `e` (binary search). */
function lowerBound(list: readonly RetainedEntry[], e: RetainedEntry): number {
  let lo = 0
  let hi = list.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (compareEntries(list[mid]!, e) < 0) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** First index in sorted `list` with global time ≥ `gt`. */
function firstAtOrAfter(list: readonly RetainedEntry[], gt: number): number {
  return lowerBound(list, { globalTime: gt, id: '', author: '' })
}

/**
 * The per-author view of one room's retained bundles. It holds entries only when the policy
 * has a quota or a history (memory ≈ 100 bytes per retained bundle, bounded by the history
 * per author); pruning by global time and body size need no state.
 */
export class RetentionIndex {
  readonly policy: RoomPolicy
  readonly #byAuthor = new Map<string, RetainedEntry[]>()
  readonly #tracks: boolean

  constructor(policy: RoomPolicy) {
    this.policy = policy
    this.#tracks = policy.quota.count > 0 || policy.history > 0
  }

  /** Whether the policy needs per-author entries (a quota or a history). */
  get tracks(): boolean {
    return this.#tracks
  }

  /** Lowest global time still kept at room time `time` (0: no pruning). */
  keptFrom(time: number): number {
    const p = this.policy.pruning.pruned
    return p === 0 ? 0 : Math.max(0, time - p)
  }

  /** Lowest global time still offered and answered at room time `time`. */
  activeFrom(time: number): number {
    const i = this.policy.pruning.inactive
    return i === 0 ? this.keptFrom(time) : Math.max(0, time - i)
  }

  /** Retained entries of an author, oldest first. */
  entriesOf(author: string): readonly RetainedEntry[] {
    return this.#byAuthor.get(author) ?? []
  }

  /** Authors with retained entries. */
  get authors(): number {
    return this.#byAuthor.size
  }

  /** Every author with retained entries and the entries, oldest first. */
  allAuthors(): IterableIterator<[string, readonly RetainedEntry[]]> {
    return this.#byAuthor.entries()
  }

  /**
   * Sets an author's entries from a persisted copy (each of that author): sorted here; the
   * policy's quota and history are applied as if they had been inserted one by one, and what
   * they drop is returned (none, for a copy written under the same policy).
   */
  load(author: string, entries: readonly RetainedEntry[]): RetainedEntry[] {
    this.#byAuthor.delete(author)
    const evicted: RetainedEntry[] = []
    for (const e of [...entries].sort(compareEntries)) evicted.push(...this.insert(e))
    return evicted
  }

  /**
   * Would the room keep `e` (body of `bodyBytes`) next to what it keeps now, at room time
   * `time`? A cheap test: no state changes.
   */
  refuses(e: RetainedEntry, bodyBytes: number, time: number): RetentionRefusal | undefined {
    if (bodyBytes > this.policy.maxBodyBytes) return 'body-too-large'
    if (e.globalTime < this.keptFrom(time)) return 'pruned'
    if (!this.#tracks) return undefined
    const list = this.#byAuthor.get(e.author) ?? []
    const { count, window } = this.policy.quota
    if (count > 0) {
      const start = Math.floor(e.globalTime / window) * window
      const from = firstAtOrAfter(list, start)
      const to = firstAtOrAfter(list, start + window)
      if (to - from >= count && compareEntries(e, list[from]!) < 0) return 'quota'
      if (to - from >= count) return undefined // e displaces the window's oldest; the author's count is unchanged
    }
    const h = this.policy.history
    if (h > 0 && list.length >= h && compareEntries(e, list[0]!) < 0) return 'history'
    return undefined
  }

  /**
   * Adds a stored entry and returns what the policy no longer keeps because of it: the
   * window's or the author's oldest, or `e` itself when it lost a race with newer entries.
   */
  insert(e: RetainedEntry): RetainedEntry[] {
    if (!this.#tracks) return []
    let list = this.#byAuthor.get(e.author)
    if (list === undefined) this.#byAuthor.set(e.author, (list = []))
    const at = lowerBound(list, e)
    if (list[at] !== undefined && compareEntries(list[at]!, e) === 0) return []
    list.splice(at, 0, e)
    const evicted: RetainedEntry[] = []
    const { count, window } = this.policy.quota
    if (count > 0) {
      const start = Math.floor(e.globalTime / window) * window
      const from = firstAtOrAfter(list, start)
      const to = firstAtOrAfter(list, start + window)
      if (to - from > count) evicted.push(...list.splice(from, to - from - count))
    }
    const h = this.policy.history
    if (h > 0 && list.length > h) evicted.push(...list.splice(0, list.length - h))
    if (list.length === 0) this.#byAuthor.delete(e.author)
    return evicted
  }

  /** Forgets a deleted entry (pruning, expiry, the store cap). */
  remove(e: RetainedEntry): void {
    const list = this.#byAuthor.get(e.author)
    if (list === undefined) return
    const at = lowerBound(list, e)
    if (list[at] !== undefined && compareEntries(list[at]!, e) === 0) list.splice(at, 1)
    if (list.length === 0) this.#byAuthor.delete(e.author)
  }
}
