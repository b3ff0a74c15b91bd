/**
 * The bounded journal of a sketch (./sketch.ts): the last J changes made to it (id, hash, ±1), so
 * the symbols of an earlier version can be served without a copy of the sketch: the current
 * symbols of the requested range with the changes made since taken back out.
 */
import { IndexSequence } from './mapping.js'
import { shortCheck } from './short.js'
import { ID_WORDS, type SymbolTable } from './table.js'

/** The journal's first allocation (entries); it doubles up to its bound. */
const JOURNAL_INITIAL = 64

/** A ring of the last `bound` changes: the change that made version v + 1 sits in slot v mod capacity. */
export class SketchJournal {
  /** Most changes kept (J). */
  readonly bound: number
  /** Entries kept: those of versions [version − kept, version). */
  #kept = 0
  #words = new Uint32Array(0)
  #hashes = new Uint32Array(0)
  #signs = new Int8Array(0)
  readonly #seq = new IndexSequence(0, 0)

  constructor(bound: number) {
    this.bound = bound
  }

  /** Changes kept, the newest last. */
  get kept(): number {
    return this.#kept
  }

  /** Records the change that made version `v + 1` from version `v`: the id's 8 words, its hash and ±1. */
  record(v: number, words: Uint32Array, hi: number, lo: number, sign: 1 | -1): void {
    if (this.bound === 0) return
    if (this.#kept === this.#signs.length && this.#signs.length < this.bound) this.#grow(v)
    const slot = v % this.#signs.length
    this.#words.set(words, slot * ID_WORDS)
    this.#hashes[2 * slot] = hi
    this.#hashes[2 * slot + 1] = lo
    this.#signs[slot] = sign
    if (this.#kept < this.#signs.length) this.#kept++
  }

  /** Forgets every change and frees the memory. */
  clear(): void {
    this.#kept = 0
    this.#words = new Uint32Array(0)
    this.#hashes = new Uint32Array(0)
    this.#signs = new Int8Array(0)
  }

  /**
   * Takes the changes that made versions (at, version] back out of `range`, a copy of symbols
   * [from, end): each one's index sequence is walked up to `end` (≈ 2·ln(end) steps).
   */
  undo(range: SymbolTable, from: number, end: number, at: number, version: number): void {
    const { words, hashes, checks, counts } = range
    const jw = this.#words
    const capacity = this.#signs.length
    const seq = this.#seq
    for (let v = at; v < version; v++) {
      const slot = v % capacity
      const hi = this.#hashes[2 * slot]!
      const lo = this.#hashes[2 * slot + 1]!
      const check = shortCheck(hi, lo)
      const sign = this.#signs[slot]!
      const q = slot * ID_WORDS
      seq.reset(hi, lo)
      for (let i = 0; i < end; i = seq.next()) {
        if (i < from) continue
        const k = i - from
        for (let w = 0, o = k * ID_WORDS; w < ID_WORDS; w++) words[o + w]! ^= jw[q + w]!
        hashes[2 * k]! ^= hi
        hashes[2 * k + 1]! ^= lo
        checks[k]! ^= check
        counts[k]! -= sign
      }
    }
  }

  /** Doubles the ring (up to the bound), keeping the entries of versions [v − kept, v). */
  #grow(v: number): void {
    const old = this.#signs.length
    const capacity = Math.min(this.bound, Math.max(JOURNAL_INITIAL, 2 * old))
    const words = new Uint32Array(capacity * ID_WORDS)
    const hashes = new Uint32Array(2 * capacity)
    const signs = new Int8Array(capacity)
    for (let u = v - this.#kept; u < v; u++) {
      const from = u % old
      const to = u % capacity
      words.set(this.#words.subarray(from * ID_WORDS, (from + 1) * ID_WORDS), to * ID_WORDS)
      hashes[2 * to] = this.#hashes[2 * from]!
      hashes[2 * to + 1] = this.#hashes[2 * from + 1]!
      signs[to] = this.#signs[from]!
    }
    this.#words = words
    this.#hashes = hashes
    this.#signs = signs
  }
}
