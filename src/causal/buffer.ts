/**
 * Causal delivery (DESIGN §8): a bundle is handed to the application only once every parent
 * has been delivered. Bundles that arrive early wait in a bounded buffer; their missing
 * parents are reported so the node can request them from the peer that sent the child.
 * Used by Bloom sync and MVDS alike (it needs only id, parents and global time).
 */
import { BloomwalkError } from '../errors.js'
import type { Bundle } from '../bundle/types.js'
import { hex } from '../bytes.js'
import { type CausalItem, compareCausal } from './order.js'
import { MinHeap } from '../min-heap.js'

/** Options of a {@link CausalBuffer}. */
export interface CausalBufferInit {
  /**
   * True when a bundle was delivered before (e.g. it is in the store and not waiting). The
   * buffer also remembers the last `maxRemembered` ids it delivered itself.
   */
  isDelivered: (id: Uint8Array) => boolean
  /** Most bundles waiting; at the bound the oldest-arrived is evicted. Default 1024. */
  maxPending?: number
  /** Most ids remembered as requested (FIFO). Default 4096. */
  maxRequested?: number
  /** An id is reported missing again only after this many `offer` calls. Default 256. */
  requestInterval?: number
  /** Most ids of bundles it delivered that the buffer remembers itself. Default 4096. */
  maxRemembered?: number
}

/** What {@link CausalBuffer.offer} returns. */
export interface CausalOfferResult<T> {
  /** Bundles deliverable now, in canonical order (parents first, ties by global time, id). */
  deliver: T[]
  /** Ids of missing parents to request (from the sender), each at most once per `requestInterval` offers. */
  missing: Uint8Array[]
}

/** Counters of a {@link CausalBuffer}; all monotonic. */
export interface CausalStats {
  offered: number
  delivered: number
  /** Offers of a bundle already delivered or already waiting. */
  duplicates: number
  /** Bundles that had to wait for a parent. */
  buffered: number
  /** Waiting bundles evicted by `maxPending`. */
  evicted: number
  /** Waiting bundles released by `expire` without all their parents. */
  expired: number
  /** Parent ids reported in `missing`. */
  requested: number
}

/** A bundle released by {@link CausalBuffer.expire}: `missing` lists the parents it did not get (empty for the ones it released in turn). */
export interface CausalRelease<T> {
  item: T
  missing: Uint8Array[]
}

interface Waiting<T> {
  item: T
  from: string | undefined
  /** When it started waiting (the caller's clock; `offer`'s `at`). */
  at: number
  /** Parents not delivered yet, hex key → id. */
  missing: Map<string, Uint8Array>
}

function bound(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback
  if (!Number.isSafeInteger(v) || v < 1) throw new BloomwalkError('INVALID_ARGUMENT', `${name} must be a positive integer, got ${String(v)}`)
  return v
}

/** A bounded causal-delivery buffer. */
export class CausalBuffer<T extends CausalItem = Bundle> {
  readonly #isDelivered: (id: Uint8Array) => boolean
  readonly #maxPending: number
  readonly #maxRequested: number
  readonly #interval: number
  readonly #maxRemembered: number
  /** Waiting bundles by hex id, oldest-arrived first. */
  readonly #waiting = new Map<string, Waiting<T>>()
  /** Hex parent id → hex ids of waiting bundles that miss it. */
  readonly #children = new Map<string, Set<string>>()
  /** Hex id → offer count when it was last reported missing, oldest first. */
  readonly #requested = new Map<string, number>()
  /** Hex ids this buffer delivered, oldest first. */
  readonly #recent = new Set<string>()
  #offers = 0
  readonly #stats: CausalStats = { offered: 0, delivered: 0, duplicates: 0, buffered: 0, evicted: 0, expired: 0, requested: 0 }

  /** @throws {BloomwalkError} INVALID_ARGUMENT when isDelivered is not a function or a bound is not a positive integer */
  constructor(init: CausalBufferInit) {
    if (typeof init.isDelivered !== 'function') throw new BloomwalkError('INVALID_ARGUMENT', 'CausalBuffer needs an isDelivered predicate')
    this.#isDelivered = init.isDelivered
    this.#maxPending = bound('maxPending', init.maxPending, 1024)
    this.#maxRequested = bound('maxRequested', init.maxRequested, 4096)
    this.#interval = bound('requestInterval', init.requestInterval, 256)
    this.#maxRemembered = bound('maxRemembered', init.maxRemembered, 4096)
  }

  /** Bundles waiting for a parent. */
  get pending(): number {
    return this.#waiting.size
  }

  /** The most bundles that wait at once (`maxPending`). */
  get capacity(): number {
    return this.#maxPending
  }

  /** True when this buffer delivered the bundle recently (one of the last `maxRemembered`). */
  deliveredRecently(id: Uint8Array): boolean {
    return this.#recent.has(hex(id))
  }

  /** When the longest-waiting bundle started waiting (`offer`'s `at`); undefined when none waits. */
  oldestWait(): number | undefined {
    return this.#waiting.values().next().value?.at
  }

  /** True when the bundle is waiting in the buffer. */
  has(id: Uint8Array): boolean {
    return this.#waiting.has(hex(id))
  }

  /** The parents a waiting bundle still misses (empty when it is not waiting). */
  missingOf(id: Uint8Array): Uint8Array[] {
    return [...(this.#waiting.get(hex(id))?.missing.values() ?? [])]
  }

  /** The peer a waiting bundle came from, if given. */
  sourceOf(id: Uint8Array): string | undefined {
    return this.#waiting.get(hex(id))?.from
  }

  /** A snapshot of the counters. */
  stats(): CausalStats {
    return { ...this.#stats }
  }

  /**
   * Offers a (valid, stored) bundle. Returns what is deliverable now — this bundle and every
   * waiting descendant it releases, in canonical order — and the missing parents to request.
   * A bundle already delivered or waiting is a duplicate (its missing parents may be
   * reported again once `requestInterval` offers have passed). `at` is when it arrived on
   * the caller's clock (for {@link expire}); arrivals must not go back in time.
   * `delivered`: parents the caller found delivered just before this offer (an async look-up
   * the constructor's synchronous `isDelivered` cannot make), for this offer only.
   */
  offer(item: T, from?: string, at = 0, delivered?: (id: Uint8Array) => boolean): CausalOfferResult<T> {
    this.#offers++
    this.#stats.offered++
    const key = hex(item.id)
    const existing = this.#waiting.get(key)
    if (existing !== undefined || this.#delivered(key, item.id, delivered)) {
      this.#stats.duplicates++
      if (existing === undefined) return { deliver: [], missing: [] }
      // Parents may have been delivered by other means since (markDelivered not called).
      for (const [p, id] of existing.missing) if (this.#delivered(p, id, delivered)) this.#unblock(existing, key, p)
      if (existing.missing.size === 0) return { deliver: this.#release(existing), missing: [] }
      return { deliver: [], missing: this.#due(existing.missing) }
    }
    const missing = new Map<string, Uint8Array>()
    for (const parent of item.parents) {
      const p = hex(parent)
      if (!this.#delivered(p, parent, delivered)) missing.set(p, parent)
    }
    const waiting: Waiting<T> = { item, from, at, missing }
    if (missing.size === 0) return { deliver: this.#release(waiting), missing: [] }
    if (this.#waiting.size >= this.#maxPending) this.#evictOldest()
    this.#waiting.set(key, waiting)
    for (const p of missing.keys()) {
      let set = this.#children.get(p)
      if (set === undefined) this.#children.set(p, (set = new Set()))
      set.add(key)
    }
    this.#stats.buffered++
    return { deliver: [], missing: this.#due(missing) }
  }

  /**
   * Tells the buffer a bundle was delivered by other means (e.g. authored locally); returns
   * the waiting bundles this releases, in canonical order.
   */
  markDelivered(id: Uint8Array): T[] {
    const key = hex(id)
    this.#remember(key)
    const out: T[] = []
    for (const child of [...(this.#children.get(key) ?? [])]) {
      const w = this.#waiting.get(child)
      if (w === undefined) continue
      this.#unblock(w, child, key)
      if (w.missing.size === 0) out.push(...this.#release(w))
    }
    this.#children.delete(key)
    return out
  }

  /**
   * Ends the wait of every bundle that started waiting at or before `before`: each is
   * delivered without the parents it still misses, oldest first, followed by the waiting
   * bundles this releases in turn (canonical order). The caller's wait policy decides
   * `before` (e.g. now − the longest wait).
   */
  expire(before: number): CausalRelease<T>[] {
    const out: CausalRelease<T>[] = []
    for (let w = this.#waiting.values().next().value; w !== undefined && w.at <= before; w = this.#waiting.values().next().value) {
      const key = hex(w.item.id)
      const missing = [...w.missing.values()]
      for (const p of [...w.missing.keys()]) this.#unblock(w, key, p)
      this.#stats.expired++
      const released = this.#release(w)
      out.push({ item: released[0]!, missing })
      for (const item of released.slice(1)) out.push({ item, missing: [] })
    }
    return out
  }

  #delivered(key: string, id: Uint8Array, known: ((id: Uint8Array) => boolean) | undefined): boolean {
    return this.#recent.has(key) || this.#isDelivered(id) || known?.(id) === true
  }

  /** Removes one missing parent from a waiting bundle and the index. */
  #unblock(w: Waiting<T>, key: string, parent: string): void {
    w.missing.delete(parent)
    const set = this.#children.get(parent)
    set?.delete(key)
    if (set?.size === 0) this.#children.delete(parent)
  }

  /** Delivers a ready bundle and every waiting descendant it releases, smallest (gt, id) first. */
  #release(first: Waiting<T>): T[] {
    const out: T[] = []
    const heap = new MinHeap<Waiting<T>>((a, b) => compareCausal(a.item, b.item))
    this.#waiting.delete(hex(first.item.id))
    heap.push(first)
    for (let w = heap.pop(); w !== undefined; w = heap.pop()) {
      const key = hex(w.item.id)
      out.push(w.item)
      this.#stats.delivered++
      this.#remember(key)
      this.#requested.delete(key)
      const children = this.#children.get(key)
      this.#children.delete(key)
      for (const child of children ?? []) {
        const c = this.#waiting.get(child)
        if (c === undefined) continue
        c.missing.delete(key)
        if (c.missing.size > 0) continue
        this.#waiting.delete(child)
        heap.push(c)
      }
    }
    return out
  }

  /** The missing parents that are neither waiting here nor reported within the interval; marks them reported. */
  #due(missing: Map<string, Uint8Array>): Uint8Array[] {
    const out: Uint8Array[] = []
    for (const [p, id] of missing) {
      if (this.#waiting.has(p)) continue
      const at = this.#requested.get(p)
      if (at !== undefined && this.#offers - at < this.#interval) continue
      this.#requested.delete(p)
      if (this.#requested.size >= this.#maxRequested) {
        const oldest = this.#requested.keys().next().value
        if (oldest !== undefined) this.#requested.delete(oldest)
      }
      this.#requested.set(p, this.#offers)
      this.#stats.requested++
      out.push(id)
    }
    return out
  }

  #remember(key: string): void {
    this.#recent.delete(key)
    if (this.#recent.size >= this.#maxRemembered) {
      const oldest = this.#recent.values().next().value
      if (oldest !== undefined) this.#recent.delete(oldest)
    }
    this.#recent.add(key)
  }

  #evictOldest(): void {
    const oldest = this.#waiting.entries().next().value
    if (oldest === undefined) return
    const [key, w] = oldest
    for (const p of w.missing.keys()) {
      const set = this.#children.get(p)
      set?.delete(key)
      if (set?.size === 0) this.#children.delete(p)
    }
    this.#waiting.delete(key)
    this.#stats.evicted++
  }
}
