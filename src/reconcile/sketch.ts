/**
 * The responder side of rateless reconciliation (DESIGN §11, docs/reconcile.md): a prefix
 * of L coded symbols of one overlay's synced bundle set, kept up to date as bundles are
 * stored and expire, and answerable statelessly: `symbols(from, count)` is a slice.
 */
import { BloomwalkError } from '../errors.js'
import type { CodedSymbol, ShortSymbol } from '../wire/packets/types.js'
import { envelopeHeaderBytes } from '../wire/size.js'
import { ID_BYTES, checkId, hashInto } from './hash.js'
import { SketchJournal } from './journal.js'
import { IndexSequence } from './mapping.js'
import { saltedCheck, shortCheck } from './short.js'
import { SHORT_RECORD_BYTES, fitSymbols } from './size.js'
import { ID_WORDS, MAX_SYMBOL_COUNT, SymbolTable, checkSymbol } from './table.js'

/**
 * Default sketch length: 2^14 symbols (704 KiB). Decoding d differences takes ≈ 1.36·d
 * symbols for large d, so this decodes up to ≈ 11 000 differences.
 */
export const DEFAULT_SKETCH_LENGTH = 1 << 14

/** Largest sketch length accepted: 2^20 symbols (44 MiB). */
export const MAX_SKETCH_LENGTH = 1 << 20

/**
 * Default journal bound: the last 4 096 changes (add or remove) are remembered, so a
 * snapshot ({@link Sketch.version}) can be served while up to that many changes happened
 * since. 41 bytes per entry (168 KiB when full), allocated as it fills.
 */
export const DEFAULT_JOURNAL_LENGTH = 4096

/** Largest journal bound accepted. */
export const MAX_JOURNAL_LENGTH = 1 << 20

/** Options of a {@link Sketch}. */
export interface SketchOptions {
  /** Number of coded symbols kept, L (1 ≤ L ≤ {@link MAX_SKETCH_LENGTH}). Default {@link DEFAULT_SKETCH_LENGTH}. */
  length?: number
  /** Most recent changes remembered for snapshots (0 ≤ J ≤ {@link MAX_JOURNAL_LENGTH}). Default {@link DEFAULT_JOURNAL_LENGTH}. */
  journal?: number
}

/** Bytes of one symbol in {@link Sketch.toBytes}: id XOR, hash XOR, count, short-id checksum XOR. */
export const SYMBOL_BYTES = ID_BYTES + 8 + 4 + 4

/** The smallest a symbol adds to a response: its 40-byte record and a 1-byte count. */
const MIN_SYMBOL_BYTES = 41

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
 *
 * Snapshots without copies: every change bumps {@link Sketch.version} and goes into a
 * bounded journal (id, hash, ±1) of the last J changes. A snapshot is a version; the symbols
 * of an older version are the current ones with the journaled changes made since taken
 * back out, on the requested range only ({@link Sketch.symbols} with `at`). Once more than
 * J changes happened since a version, {@link Sketch.reaches} is false for it.
 */
export class Sketch {
  /** Number of coded symbols kept (L). */
  readonly length: number
  /** @internal */
  readonly table: SymbolTable
  /** Most changes the journal keeps (J). */
  readonly journalLength: number
  #size = 0
  readonly #seq = new IndexSequence(0, 0)
  /** Changes applied so far. */
  #version = 0
  /** The last changes, for snapshots (./journal.ts). */
  readonly #journal: SketchJournal

  /**
   * An empty sketch.
   * @throws {BloomwalkError} INVALID_ARGUMENT when `length` is not an integer in [1, 2^20] or `journal` not in [0, 2^20]
   */
  constructor(options: SketchOptions = {}) {
    const length = options.length ?? DEFAULT_SKETCH_LENGTH
    if (!Number.isInteger(length) || length < 1 || length > MAX_SKETCH_LENGTH) {
      throw new BloomwalkError('INVALID_ARGUMENT', `sketch length must be an integer in [1, ${MAX_SKETCH_LENGTH}], got ${String(length)}`)
    }
    const journal = options.journal ?? DEFAULT_JOURNAL_LENGTH
    if (!Number.isInteger(journal) || journal < 0 || journal > MAX_JOURNAL_LENGTH) {
      throw new BloomwalkError('INVALID_ARGUMENT', `journal must be an integer in [0, ${MAX_JOURNAL_LENGTH}], got ${String(journal)}`)
    }
    this.length = length
    this.journalLength = journal
    this.table = new SymbolTable(length)
    this.#journal = new SketchJournal(journal)
  }

  /** Changes applied so far: a snapshot of the current contents (see {@link Sketch.symbols}). */
  get version(): number {
    return this.#version
  }

  /** True when the symbols of `version` can still be served: it is not in the future and at most J changes old. */
  reaches(version: number): boolean {
    return Number.isSafeInteger(version) && version <= this.#version && this.#version - version <= this.#journal.kept
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
    const { words, hashes, checks, counts } = this.table
    const check = shortCheck(hi, lo)
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
      checks[i]! ^= check
      counts[i]! += sign
    }
    this.#size += sign
    this.#journal.record(this.#version++, SCRATCH_WORDS, hi, lo, sign)
  }

  /**
   * Forgets the journal and frees its memory (e.g. after the bulk build at start, which no
   * snapshot needs): only the current version stays reachable.
   */
  clearJournal(): void {
    this.#journal.clear()
  }

  /**
   * Coded symbols [from, min(from + count, L)) in wire form (copies), for a
   * symbols-response: of the current contents, or of the snapshot `at` (an earlier
   * {@link Sketch.version} that {@link Sketch.reaches}). Empty when `from` ≥ L: the peer
   * asked past what this node keeps.
   *
   * For a snapshot, each journaled change made since `at` is taken back out of the copied
   * range: its index sequence is walked up to the end of the range (≈ 2·ln(end) steps each).
   * @throws {BloomwalkError} INVALID_ARGUMENT when `from` or `count` is not a non-negative safe integer, or `at` is not reachable
   */
  symbols(from: number, count: number, at?: number): CodedSymbol[] {
    const { table, offset, n } = this.#range(from, count, at)
    const out: CodedSymbol[] = []
    for (let k = 0; k < n; k++) out.push(table.coded(offset + k))
    return out
  }

  /**
   * Short symbols [from, min(from + count, L)) (docs/reconcile.md §14: hash XOR, checksum XOR
   * and count, no id XOR), of the current contents or of the snapshot `at`, as {@link Sketch.symbols}.
   * @throws {BloomwalkError} INVALID_ARGUMENT as {@link Sketch.symbols}
   */
  shortSymbols(from: number, count: number, at?: number): ShortSymbol[] {
    const { table, offset, n } = this.#range(from, count, at)
    const out: ShortSymbol[] = []
    for (let k = 0; k < n; k++) out.push(table.short(offset + k))
    return out
  }

  /**
   * The salted check of symbol 0's id XOR (`saltedCheck`, docs/reconcile.md §14), of the
   * current contents or of the snapshot `at`: what a responder adds to its answer to a
   * short-id session's salt. O(changes since `at`).
   * @throws {BloomwalkError} INVALID_ARGUMENT for a salt outside [1, 2^64) or an unreachable `at`
   */
  saltedCheck(salt: bigint, at?: number): bigint {
    const { table, offset } = this.#range(0, 1, at)
    return saltedCheck(salt, table.bytes, offset * ID_BYTES)
  }

  /**
   * Symbols [from, min(from + count, L)) of the version `at`: the table itself when `at` is the
   * current version (symbol k at `offset + k`), else a copy of the range with each journaled
   * change made since taken back out: its index sequence walked up to the end of the range.
   */
  #range(from: number, count: number, at: number | undefined): { table: SymbolTable; offset: number; n: number } {
    checkIndex('from', from)
    checkIndex('count', count)
    const end = Math.min(this.length, from + count)
    if (at !== undefined && !this.reaches(at)) throw new BloomwalkError('INVALID_ARGUMENT', `version ${String(at)} is not reachable from ${this.#version}`)
    if (at === undefined || at === this.#version || end <= from) return { table: this.table, offset: from, n: Math.max(0, end - from) }
    const range = new SymbolTable(end - from)
    range.words.set(this.table.words.subarray(from * ID_WORDS, end * ID_WORDS))
    range.hashes.set(this.table.hashes.subarray(2 * from, 2 * end))
    range.checks.set(this.table.checks.subarray(from, end))
    range.counts.set(this.table.counts.subarray(from, end))
    this.#journal.undo(range, from, end, at, this.#version)
    return { table: range, offset: 0, n: end - from }
  }

  /**
   * The symbols-response answer to a request for [from, from + count): as many of those
   * symbols as fit a datagram of `budget` bytes (exact sizes, see `symbolsResponseSize`).
   * Generates at most one symbol per 41 bytes of budget, whatever `count` says. `at` as in
   * {@link Sketch.symbols}.
   * @throws {BloomwalkError} INVALID_ARGUMENT for arguments that are not non-negative safe integers
   */
  symbolsWithin(from: number, count: number, budget: number, at?: number): CodedSymbol[] {
    checkIndex('budget', budget)
    const most = Math.max(0, Math.floor((budget - envelopeHeaderBytes()) / MIN_SYMBOL_BYTES))
    const symbols = this.symbols(from, Math.min(count, most), at)
    return symbols.slice(0, fitSymbols(budget, from, symbols))
  }

  /**
   * As {@link Sketch.symbolsWithin}, for short symbols: as many as fit a datagram of `budget`
   * bytes (at most one per 13 bytes of budget is generated).
   * @throws {BloomwalkError} INVALID_ARGUMENT for arguments that are not non-negative safe integers
   */
  shortSymbolsWithin(from: number, count: number, budget: number, at?: number): ShortSymbol[] {
    checkIndex('budget', budget)
    const most = Math.max(0, Math.floor((budget - envelopeHeaderBytes()) / (SHORT_RECORD_BYTES + 1)))
    const symbols = this.shortSymbols(from, Math.min(count, most), at)
    return symbols.slice(0, fitSymbols(budget, from, symbols, SHORT_RECORD_BYTES))
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

  /**
   * The symbols as bytes, to persist them: the id XORs (32·L bytes, as the ids' bytes), then
   * the hash XORs (8·L, big-endian), then the counts (4·L, big-endian int32), then the
   * short-id checksum XORs (4·L, big-endian): 48·L bytes.
   * {@link Sketch.restore} reads them back.
   */
  toBytes(): Uint8Array {
    const L = this.length
    const out = new Uint8Array(SYMBOL_BYTES * L)
    out.set(this.table.bytes)
    const view = new DataView(out.buffer)
    const { hashes, counts } = this.table
    for (let i = 0, at = ID_BYTES * L; i < 2 * L; i++, at += 4) view.setUint32(at, hashes[i]!)
    for (let i = 0, at = (ID_BYTES + 8) * L; i < L; i++, at += 4) view.setInt32(at, counts[i]!)
    const checks = this.table.checks
    for (let i = 0, at = (ID_BYTES + 12) * L; i < L; i++, at += 4) view.setUint32(at, checks[i]!)
    return out
  }

  /**
   * Replaces the symbols with `bytes` ({@link Sketch.toBytes} of a sketch of the same length
   * holding `size` items), as a new version whose journal is empty: no earlier snapshot is
   * reachable. Returns false, changing nothing, when the byte length does not fit this
   * sketch's length or `size` is not a count in [0, 2^31 − 1].
   */
  restore(bytes: Uint8Array, size: number): boolean {
    const L = this.length
    if (!(bytes instanceof Uint8Array) || bytes.length !== SYMBOL_BYTES * L || !Number.isInteger(size) || size < 0 || size > MAX_SYMBOL_COUNT) return false
    this.table.bytes.set(bytes.subarray(0, ID_BYTES * L))
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    const { hashes, counts } = this.table
    for (let i = 0, at = ID_BYTES * L; i < 2 * L; i++, at += 4) hashes[i] = view.getUint32(at)
    for (let i = 0, at = (ID_BYTES + 8) * L; i < L; i++, at += 4) counts[i] = view.getInt32(at)
    const checks = this.table.checks
    for (let i = 0, at = (ID_BYTES + 12) * L; i < L; i++, at += 4) checks[i] = view.getUint32(at)
    this.#size = size
    this.#version++
    this.clearJournal()
    return true
  }

  /** An independent copy of the symbols (not of the journal: the copy starts at version 0). */
  clone(): Sketch {
    const copy = new Sketch({ length: this.length, journal: this.journalLength })
    copy.table.words.set(this.table.words)
    copy.table.hashes.set(this.table.hashes)
    copy.table.checks.set(this.table.checks)
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
