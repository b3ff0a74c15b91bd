/**
 * The ids a decoder has peeled, as parallel typed arrays (internal to src/reconcile): their
 * words and hashes (to take them out of symbols that arrive later), the sign they were
 * peeled with, and where each one's index sequence continues. No object per id.
 *
 * Ids whose sequence continues below the decoder's limit wait in a binary min-heap keyed by
 * their next index, so a batch of new symbols visits only the ids that map into it: the work
 * per batch is the number of (id, symbol) updates it needs, not the number of ids peeled.
 */
import type { IndexSequence } from './mapping.js'
import { ID_WORDS } from './table.js'

const INITIAL_CAPACITY = 64
const TWO_POW_21 = 2097152

/** Peeled ids, append-only. @internal */
export class PeeledItems {
  /** Number of ids. */
  count = 0
  /** Id words, {@link ID_WORDS} per id. */
  words: Uint32Array
  /** Hashes, hi and lo per id. */
  hashes: Uint32Array
  /** +1: the peer's (we lack it); −1: ours (the peer lacks it). */
  signs: Int8Array
  /** Index-sequence generator state, hi and lo per id. */
  #states: Uint32Array
  /** The next index of each id's sequence not yet applied. */
  #next: Float64Array
  /** 53 bits of each hash; an exact comparison settles a hit. */
  readonly #keys = new Set<number>()
  /** Slots ordered by `#next` (a binary min-heap). */
  #heap: Int32Array
  #heapSize = 0

  constructor() {
    this.words = new Uint32Array(INITIAL_CAPACITY * ID_WORDS)
    this.hashes = new Uint32Array(2 * INITIAL_CAPACITY)
    this.signs = new Int8Array(INITIAL_CAPACITY)
    this.#states = new Uint32Array(2 * INITIAL_CAPACITY)
    this.#next = new Float64Array(INITIAL_CAPACITY)
    this.#heap = new Int32Array(INITIAL_CAPACITY)
  }

  /** True when an id with hash (hi, lo) was peeled before. */
  has(hi: number, lo: number): boolean {
    if (!this.#keys.has(hi * TWO_POW_21 + (lo >>> 11))) return false
    for (let k = 0; k < this.count; k++) if (this.hashes[2 * k] === hi && this.hashes[2 * k + 1] === lo) return true
    return false
  }

  /** Appends an id whose words are `source[offset .. offset + 8)`; returns its slot. */
  push(source: Uint32Array, offset: number, hi: number, lo: number, sign: number): number {
    if (this.count === this.signs.length) this.#grow()
    const k = this.count++
    this.words.set(source.subarray(offset, offset + ID_WORDS), k * ID_WORDS)
    this.hashes[2 * k] = hi
    this.hashes[2 * k + 1] = lo
    this.signs[k] = sign
    this.#keys.add(hi * TWO_POW_21 + (lo >>> 11))
    return k
  }

  /**
   * Records where slot `k`'s sequence continues and, when that is below `limit`, queues it
   * for {@link PeeledItems.popBelow}.
   */
  save(k: number, seq: IndexSequence, limit: number): void {
    this.#states[2 * k] = seq.stateHi
    this.#states[2 * k + 1] = seq.stateLo
    this.#next[k] = seq.index
    if (seq.index < limit) this.#heapPush(k)
  }

  /**
   * Takes the queued slot with the smallest next index if that index is below `end`, points
   * `seq` at it and returns the slot; −1 when none is due. Call {@link PeeledItems.save} after.
   */
  popBelow(end: number, seq: IndexSequence): number {
    if (this.#heapSize === 0) return -1
    const k = this.#heap[0]!
    if (this.#next[k]! >= end) return -1
    const last = this.#heap[--this.#heapSize]!
    if (this.#heapSize > 0) this.#siftDown(last)
    seq.restore(this.#states[2 * k]!, this.#states[2 * k + 1]!, this.#next[k]!)
    return k
  }

  #heapPush(k: number): void {
    const heap = this.#heap
    const next = this.#next
    let at = this.#heapSize++
    while (at > 0) {
      const parent = (at - 1) >> 1
      const p = heap[parent]!
      if (next[p]! <= next[k]!) break
      heap[at] = p
      at = parent
    }
    heap[at] = k
  }

  /** Puts `k` at the root and restores the heap order below it. */
  #siftDown(k: number): void {
    const heap = this.#heap
    const next = this.#next
    const size = this.#heapSize
    const key = next[k]!
    let at = 0
    for (;;) {
      let child = 2 * at + 1
      if (child >= size) break
      const right = child + 1
      if (right < size && next[heap[right]!]! < next[heap[child]!]!) child = right
      const c = heap[child]!
      if (next[c]! >= key) break
      heap[at] = c
      at = child
    }
    heap[at] = k
  }

  #grow(): void {
    const capacity = 2 * this.signs.length
    const grow = <T extends Uint32Array | Int32Array | Int8Array | Float64Array>(old: T, make: (n: number) => T, per: number): T => {
      const next = make(capacity * per)
      next.set(old as ArrayLike<number>)
      return next
    }
    this.words = grow(this.words, (n) => new Uint32Array(n), ID_WORDS)
    this.hashes = grow(this.hashes, (n) => new Uint32Array(n), 2)
    this.signs = grow(this.signs, (n) => new Int8Array(n), 1)
    this.#states = grow(this.#states, (n) => new Uint32Array(n), 2)
    this.#next = grow(this.#next, (n) => new Float64Array(n), 1)
    this.#heap = grow(this.#heap, (n) => new Int32Array(n), 1)
  }
}
