/**
 * The responder side of rateless reconciliation (DESIGN §11, docs/reconcile.md): a prefix
 * of L coded symbols of one overlay's synced bundle set, kept up to date as bundles are
 * stored and expire, and answerable statelessly: `symbols(from, count)` is a slice.
 */
import { BloomwalkError } from '../errors.js'
import type { CodedSymbol } from '../wire/packets/types.js'
import { envelopeHeaderBytes } from '../wire/size.js'
import { ID_BYTES, checkId, hashInto } from './hash.js'
import { IndexSequence } from './mapping.js'
import { fitSymbols } from './size.js'
import { ID_WORDS, SymbolTable, checkSymbol } from './table.js'

/**
 * Default sketch length: 2^14 symbols (704 KiB). Decoding d differences takes ≈ 1.36·d
 * symbols for large d, so this decodes up to ≈ 11 000 differences.
 */
export const DEFAULT_SKETCH_LENGTH = 1 << 14

/** Largest sketch length accepted: 2^20 symbols (44 MiB). */
export const MAX_SKETCH_LENGTH = 1 << 20

/** Options of a {@link Sketch}. */
export interface SketchOptions {
  /** Number of coded symbols kept, L (1 ≤ L ≤ {@link MAX_SKETCH_LENGTH}). Default {@link DEFAULT_SKETCH_LENGTH}. */
  length?: number
}

/** The smallest a symbol adds to a response: tag, length, and the 34-byte id_xor field. */
const MIN_SYMBOL_BYTES = 36

const SCRATCH_BYTES = new Uint8Array(ID_BYTES)
const SCRATCH_WORDS = new Uint32Array(SCRATCH_BYTES.buffer)
const HASH = new Uint32Array(2)

/**
 * The first L coded symbols of a set of 32-byte ids. Each id is XORed, with its 64-bit
 * hash, into the symbols its index sequence hits below L (≈ 2·ln L − 0.85 of them: 18.6
 * at L = 2^14) and counted there.
 *
 * The sketch does not know its members: add each id once and remove only ids that were
 * added (the store guarantees both); anything else corrupts the counts. At most
 * 2^31 − 1 items.
 */
export class Sketch {
  /** Number of coded symbols kept (L). */
  readonly length: number
  /** @internal */
  readonly table: SymbolTable
  #size = 0
  readonly #seq = new IndexSequence(0, 0)

  /**
   * An empty sketch.
   * @throws {BloomwalkError} INVALID_ARGUMENT when `length` is not an integer in [1, 2^20]
   */
  constructor(options: SketchOptions = {}) {
    const length = options.length ?? DEFAULT_SKETCH_LENGTH
    if (!Number.isInteger(length) || length < 1 || length > MAX_SKETCH_LENGTH) {
      throw new BloomwalkError('INVALID_ARGUMENT', `sketch length must be an integer in [1, ${MAX_SKETCH_LENGTH}], got ${String(length)}`)
    }
    this.length = length
    this.table = new SymbolTable(length)
  }

  /**
   * A sketch of `ids` (each must be distinct).
   * @throws {BloomwalkError} INVALID_ARGUMENT for a bad length or an id that is not 32 bytes
   */
  static from(ids: Iterable<Uint8Array>, options: SketchOptions = {}): Sketch {
    const sketch = new Sketch(options)
    for (const id of ids) sketch.add(id)
    return sketch
  }

  /** Items added minus items removed. */
  get size(): number {
    return this.#size
  }

  /**
   * Adds an id to the set.
   * @throws {BloomwalkError} INVALID_ARGUMENT when `id` is not a 32-byte Uint8Array
   */
  add(id: Uint8Array): void {
    checkId(id)
    this.#apply(id, 1)
  }

  /**
   * Removes an id that was added (on expiry). XOR is its own inverse; the count drops by 1.
   * @throws {BloomwalkError} INVALID_ARGUMENT when `id` is not a 32-byte Uint8Array
   */
  remove(id: Uint8Array): void {
    checkId(id)
    this.#apply(id, -1)
  }

  #apply(id: Uint8Array, sign: 1 | -1): void {
    hashInto(id, 0, HASH, 0)
    const hi = HASH[0]!
    const lo = HASH[1]!
    SCRATCH_BYTES.set(id)
    const w0 = SCRATCH_WORDS[0]!, w1 = SCRATCH_WORDS[1]!, w2 = SCRATCH_WORDS[2]!, w3 = SCRATCH_WORDS[3]!
    const w4 = SCRATCH_WORDS[4]!, w5 = SCRATCH_WORDS[5]!, w6 = SCRATCH_WORDS[6]!, w7 = SCRATCH_WORDS[7]!
    const { words, hashes, counts } = this.table
    const length = this.length
    const seq = this.#seq
    seq.reset(hi, lo)
    for (let i = 0; i < length; i = seq.next()) {
      const o = i * ID_WORDS
      words[o]! ^= w0
      words[o + 1]! ^= w1
      words[o + 2]! ^= w2
      words[o + 3]! ^= w3
      words[o + 4]! ^= w4
      words[o + 5]! ^= w5
      words[o + 6]! ^= w6
      words[o + 7]! ^= w7
      hashes[2 * i]! ^= hi
      hashes[2 * i + 1]! ^= lo
      counts[i]! += sign
    }
    this.#size += sign
  }

  /**
   * Coded symbols [from, min(from + count, L)) in wire form (copies), for a
   * symbols-response. Empty when `from` ≥ L: the peer asked past what this node keeps.
   * @throws {BloomwalkError} INVALID_ARGUMENT when `from` or `count` is not a non-negative safe integer
   */
  symbols(from: number, count: number): CodedSymbol[] {
    checkIndex('from', from)
    checkIndex('count', count)
    const end = Math.min(this.length, from + count)
    const out: CodedSymbol[] = []
    for (let i = from; i < end; i++) out.push(this.table.coded(i))
    return out
  }

  /**
   * The symbols-response answer to a request for [from, from + count): as many of those
   * symbols as fit a datagram of `budget` bytes (exact sizes, see `symbolsResponseSize`).
   * Generates at most one symbol per 36 bytes of budget, whatever `count` says.
   * @throws {BloomwalkError} INVALID_ARGUMENT for arguments that are not non-negative safe integers
   */
  symbolsWithin(from: number, count: number, budget: number): CodedSymbol[] {
    checkIndex('budget', budget)
    const most = Math.max(0, Math.floor((budget - envelopeHeaderBytes()) / MIN_SYMBOL_BYTES))
    const symbols = this.symbols(from, Math.min(count, most))
    return symbols.slice(0, fitSymbols(budget, from, symbols))
  }

  /**
   * True when a peer's symbols starting at `from` equal ours: the idle check. Symbol 0 holds
   * every item, so `matches(0, [s0])` alone says "same set" (false agreement needs a 64-bit
   * hash XOR to cancel by chance). False for an empty list, a run past L, or a malformed symbol.
   */
  matches(from: number, symbols: readonly CodedSymbol[]): boolean {
    if (!Number.isSafeInteger(from) || from < 0 || symbols.length === 0 || from + symbols.length > this.length) return false
    const { bytes, hashes, counts } = this.table
    for (let k = 0; k < symbols.length; k++) {
      const s = checkSymbol(symbols[k])
      const i = from + k
      if (s === null || s.count !== counts[i] || s.hashHi !== hashes[2 * i] || s.hashLo !== hashes[2 * i + 1]) return false
      for (let b = 0, o = i * ID_BYTES; b < ID_BYTES; b++) if (s.idXor[b] !== bytes[o + b]) return false
    }
    return true
  }

  /** An independent copy. */
  clone(): Sketch {
    const copy = new Sketch({ length: this.length })
    copy.table.words.set(this.table.words)
    copy.table.hashes.set(this.table.hashes)
    copy.table.counts.set(this.table.counts)
    copy.#size = this.#size
    return copy
  }

  /** True when both sketches have the same length and identical symbols. */
  equals(other: Sketch): boolean {
    return this.length === other.length && this.table.samePrefix(other.table, this.length)
  }
}

function checkIndex(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new BloomwalkError('INVALID_ARGUMENT', `${name} must be a non-negative safe integer, got ${String(value)}`)
}
