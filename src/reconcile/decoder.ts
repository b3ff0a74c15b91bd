/**
 * The requester side of rateless reconciliation (DESIGN §11, docs/reconcile.md §5):
 * subtract our symbols from the peer's as they arrive, peel pure symbols, stop when
 * symbol 0 is empty. Sans-I/O: the node asks for `nextRequest()`, feeds the response to
 * `addSymbols()` and acts on what `decode()` returns.
 *
 * Everything from the peer is untrusted. A symbol is peeled only when its count is ±1,
 * the hash of its id XOR equals its hash XOR, and its index lies on that id's sequence.
 * Honest decoding peels at most one id per received symbol (each peel empties a symbol
 * for good), so more peels than symbols, or one id peeled twice, is `inconsistent`; the ids
 * returned per `decode()` call are capped by `maxIdsPerRound`.
 *
 * A **short** decoder (docs/reconcile.md §14–§15) takes short symbols (hash XOR, checksum XOR,
 * count: no id XOR): a symbol is pure when its count is ±1 and the checksum of its hash XOR
 * equals its checksum XOR in their low 24 bits, and the ids it returns are 8-byte short ids
 * (the item hashes). Counts may arrive mod 2^8 (all but symbol 0's): `unwrapShortCount`.
 * Either kind ends `collision` when symbol 0 is left holding items whose hashes cancel
 * (two ids with one hash, which no symbol can separate).
 */
import { BloomwalkError } from '../errors.js'
import type { CodedSymbol, ShortSymbol } from '../wire/packets/types.js'
import { ID_BYTES, hashInto } from './hash.js'
import type { DecodeFailure, DecodeResult, DecoderStats } from './decode-results.js'
import { estimateDifference } from './estimate.js'
import { IndexSequence } from './mapping.js'
import { PeeledItems } from './peeled.js'
import { SHORT_CHECK_MASK, shortCheck, shortIdBytes, unwrapShortCount } from './short.js'
import type { Sketch } from './sketch.js'
import { type CheckedShortSymbol, type CheckedSymbol, ID_WORDS, SymbolTable, checkShortSymbol, checkSymbol } from './table.js'

export type { DecodeFailure, DecodeResult, DecoderStats }

/** Default cap on ids returned by one {@link Decoder.decode} call. */
export const DEFAULT_MAX_IDS_PER_ROUND = 256

/** Default cap on symbols buffered out of order (≈ 100 B each while held). */
export const DEFAULT_MAX_BUFFERED = 2048

/** Options of a {@link Decoder}. */
export interface DecoderOptions {
  /** Most symbols to consume before giving up (≤ the local sketch's length, its default). */
  limit?: number
  /** Most ids (both directions together) one `decode()` call returns. Default {@link DEFAULT_MAX_IDS_PER_ROUND}. */
  maxIdsPerRound?: number
  /** Most symbols held out of order, waiting for a gap before them to fill. Default {@link DEFAULT_MAX_BUFFERED}. */
  maxBuffered?: number
  /**
   * A decoder whose session is over: its buffers (≈ 45 bytes per symbol) are taken over
   * when its limit equals this one's, instead of allocating new ones. `reuse` is retired:
   * its `addSymbols` answers `failed` from then on.
   */
  reuse?: Decoder
  /** Decode short symbols ({@link Decoder.addShortSymbols}) into 8-byte short ids (docs/reconcile.md §14). Default false. */
  short?: boolean
}

/**
 * What {@link Decoder.addSymbols} did: `added` (consumed, with any buffered batches it made
 * contiguous), `buffered` (starts after the next expected index: kept until the gap before
 * it is filled), or why the batch was ignored: `overlap` (every symbol in it was consumed
 * already: a duplicate), `gap` (starts after the next expected index and the buffer is full
 * or already holds a batch there), `empty`, `beyond-limit` (nothing left to consume),
 * `bad-symbol` (a malformed symbol: the whole batch is dropped), `bad-range` (`from` not a
 * safe integer), `failed` (the session already failed). A batch that starts before the
 * next expected index but reaches past it is consumed from that index on.
 */
export type AddSymbolsResult = 'added' | 'buffered' | 'overlap' | 'gap' | 'empty' | 'beyond-limit' | 'bad-symbol' | 'bad-range' | 'failed'

const HASH = new Uint32Array(2)
const SCRATCH_BYTES = new Uint8Array(ID_BYTES)
const SCRATCH_WORDS = new Uint32Array(SCRATCH_BYTES.buffer)

/** Decodes the difference between a peer's set and ours from the peer's coded symbols. */
export class Decoder {
  /** Most symbols this session consumes. */
  readonly limit: number
  /** Cap on ids per `decode()` call. */
  readonly maxIdsPerRound: number
  /** Short symbols in, short ids out (docs/reconcile.md §14). */
  readonly short: boolean
  /** Our symbols, then (as the peer's arrive) the difference: peer minus ours. */
  #table: SymbolTable
  #received = 0
  #queue: Int32Array
  #queued = 0
  #inQueue: Uint8Array
  /** The buffers went to a later decoder (see {@link DecoderOptions.reuse}). */
  #retired = false
  /** Most symbols held in `#pending`. */
  readonly maxBuffered: number
  /** Validated batches that start after `#received`, by start index. */
  readonly #pending = new Map<number, CheckedSymbol[] | CheckedShortSymbol[]>()
  #buffered = 0
  /** Difference counts as received (before peeling), for {@link Decoder.estimate}; [#countsFrom, #countsEnd) from counts alone. */
  #raw: Int32Array
  #countsFrom = 0
  #countsEnd = 0
  readonly #peeled = new PeeledItems()
  readonly #seq = new IndexSequence(0, 0)
  #failure: DecodeFailure | null = null
  #impure = 0
  #misplaced = 0
  #rejected = 0

  /**
   * A session against our sketch `local`, snapshotted now: ids added to or removed from
   * `local` later (e.g. the bundles this session fetches) do not disturb it.
   * @throws {BloomwalkError} INVALID_ARGUMENT when `limit` is outside [1, local.length] or `maxIdsPerRound` < 1
   */
  constructor(local: Sketch, options: DecoderOptions = {}) {
    const limit = options.limit ?? local.length
    const cap = options.maxIdsPerRound ?? DEFAULT_MAX_IDS_PER_ROUND
    if (!Number.isInteger(limit) || limit < 1 || limit > local.length) throw new BloomwalkError('INVALID_ARGUMENT', `limit must be an integer in [1, ${local.length}], got ${String(limit)}`)
    if (!Number.isInteger(cap) || cap < 1) throw new BloomwalkError('INVALID_ARGUMENT', `maxIdsPerRound must be a positive integer, got ${String(cap)}`)
    const buffered = options.maxBuffered ?? DEFAULT_MAX_BUFFERED
    if (!Number.isInteger(buffered) || buffered < 0) throw new BloomwalkError('INVALID_ARGUMENT', `maxBuffered must be a non-negative integer, got ${String(buffered)}`)
    this.limit = limit
    this.maxIdsPerRound = cap
    this.maxBuffered = buffered
    this.short = options.short === true
    const old = options.reuse
    if (old !== undefined && old !== this && !old.#retired && old.limit === limit) {
      old.#retired = true
      this.#table = old.#table
      this.#table.copyFrom(local.table)
      this.#queue = old.#queue
      this.#inQueue = old.#inQueue
      this.#inQueue.fill(0)
      this.#raw = old.#raw
    } else {
      this.#table = new SymbolTable(limit, local.table)
      this.#queue = new Int32Array(limit)
      this.#inQueue = new Uint8Array(limit)
      this.#raw = new Int32Array(limit)
    }
    // Short: our checksums as the wire carries the peer's, their low 24 bits.
    if (this.short) for (let i = 0, checks = this.#table.checks; i < limit; i++) checks[i]! &= SHORT_CHECK_MASK
  }

  /** The index of the next symbol this session needs. */
  get received(): number {
    return this.#received
  }

  /** The sticky failure, if any. */
  get failure(): DecodeFailure | null {
    return this.#failure
  }

  /** Counters so far. */
  get stats(): DecoderStats {
    return { received: this.#received, peeled: this.#peeled.count, impure: this.#impure, misplaced: this.#misplaced, rejected: this.#rejected }
  }

  /**
   * The next symbols-request: up to `count` symbols from {@link Decoder.received} (ask for
   * `symbolsPerDatagram(budget)`); null once the limit is reached or the session failed.
   * @throws {BloomwalkError} INVALID_ARGUMENT when `count` is not a positive integer
   */
  nextRequest(count: number): { from: number; count: number } | null {
    if (!Number.isSafeInteger(count) || count < 1) throw new BloomwalkError('INVALID_ARGUMENT', `count must be a positive integer, got ${String(count)}`)
    const left = this.limit - this.#received
    if (left <= 0 || this.#failure !== null || this.#retired) return null
    return { from: this.#received, count: Math.min(count, left) }
  }

  /**
   * Takes the peer's counts alone (mod 2^16) of symbols [from, from + counts.length) as
   * samples for {@link Decoder.estimate} only: each becomes the difference count (peer's
   * minus ours, read as a signed 16-bit number, exact while |difference| < 2^15). Indices
   * already received or past `limit` are skipped; a later call replaces the samples. Returns
   * false (and keeps nothing) for malformed input. Garbage counts can only skew the
   * estimate, that is how many symbols the session asks for, within `limit`.
   */
  addCountsAlone(from: number, counts: readonly number[]): boolean {
    if (this.#failure !== null || this.#retired) return false
    if (!Number.isSafeInteger(from) || from < 1 || !Array.isArray(counts)) return false
    for (const c of counts) if (!Number.isInteger(c) || c < 0 || c > 0xffff) return false
    const start = Math.max(from, this.#received)
    const end = Math.min(this.limit, from + counts.length)
    if (end <= start) return false
    const ours = this.#table.counts
    for (let i = start; i < end; i++) this.#raw[i] = (((counts[i - from]! - ours[i]!) & 0xffff) << 16) >> 16
    this.#countsFrom = start
    this.#countsEnd = end
    return true
  }

  /**
   * Consumes the peer's symbols [from, from + symbols.length), which must start exactly at
   * {@link Decoder.received}; symbols past `limit` are ignored. Never throws on peer input.
   */
  addSymbols(from: number, symbols: readonly CodedSymbol[]): AddSymbolsResult {
    const result = this.short ? (this.#failure !== null || this.#retired ? 'failed' : 'bad-symbol') : this.#add(from, symbols, checkSymbol)
    if (result !== 'added') this.#rejected++
    return result
  }

  /**
   * As {@link Decoder.addSymbols}, for a short decoder's short symbols (a full decoder answers
   * `bad-symbol`). Never throws on peer input.
   */
  addShortSymbols(from: number, symbols: readonly ShortSymbol[]): AddSymbolsResult {
    const result = !this.short ? (this.#failure !== null || this.#retired ? 'failed' : 'bad-symbol') : this.#add(from, symbols, checkShortSymbol)
    if (result !== 'added') this.#rejected++
    return result
  }

  #add<T extends CheckedSymbol | CheckedShortSymbol>(from: number, symbols: readonly unknown[], check: (s: unknown) => T | null): AddSymbolsResult {
    if (this.#failure !== null || this.#retired) return 'failed'
    if (!Array.isArray(symbols) || symbols.length === 0) return 'empty'
    if (!Number.isSafeInteger(from) || from < 0) return 'bad-range'
    if (from >= this.limit) return 'beyond-limit'
    const end = Math.min(this.limit, from + symbols.length)
    if (end <= this.#received) return 'overlap'
    const checked: T[] = []
    for (let i = from; i < end; i++) {
      const s = check(symbols[i - from])
      if (s === null) return 'bad-symbol'
      checked.push(s)
    }
    if (from > this.#received) {
      if (this.#pending.has(from) || this.#buffered + checked.length > this.maxBuffered) return 'gap'
      this.#pending.set(from, checked as CheckedSymbol[] | CheckedShortSymbol[])
      this.#buffered += checked.length
      return 'buffered'
    }
    this.#apply(from, checked)
    // Buffered batches this made contiguous (or now fully consumed).
    for (let progress = true; progress && this.#pending.size > 0; ) {
      progress = false
      for (const [start, batch] of this.#pending) {
        if (start > this.#received) continue
        this.#pending.delete(start)
        this.#buffered -= batch.length
        if (start + batch.length > this.#received) this.#apply(start, batch)
        progress = true
      }
    }
    return 'added'
  }

  /** Consumes checked symbols [from, from + batch.length) from index `#received` on (from ≤ #received). */
  #apply(from: number, batch: readonly (CheckedSymbol | CheckedShortSymbol)[]): void {
    const start = this.#received
    const end = Math.min(this.limit, from + batch.length)
    const { words, hashes, checks, counts } = this.#table
    const raw = this.#raw
    for (let i = start; i < end; i++) {
      const s = batch[i - from]!
      if ('idXor' in s) {
        SCRATCH_BYTES.set(s.idXor)
        for (let w = 0, o = i * ID_WORDS; w < ID_WORDS; w++) words[o + w]! ^= SCRATCH_WORDS[w]!
      } else checks[i]! ^= s.check & SHORT_CHECK_MASK
      hashes[2 * i]! ^= s.hashHi
      hashes[2 * i + 1]! ^= s.hashLo
      const difference = s.count - counts[i]!
      counts[i] = this.short && i > 0 ? unwrapShortCount(difference, i, raw[0]!) : difference
      raw[i] = counts[i]!
    }
    // Ids peeled earlier are in these symbols too: take them out.
    const seq = this.#seq
    for (let k = this.#peeled.popBelow(end, seq); k >= 0; k = this.#peeled.popBelow(end, seq)) {
      for (let i = seq.index; i < end; i = seq.next()) if (i >= start) this.#xor(i, k)
      this.#peeled.save(k, seq, this.limit)
    }
    this.#received = end
    for (let i = start; i < end; i++) this.#consider(i)
  }

  /** Symbols held out of order. */
  get buffered(): number {
    return this.#buffered
  }

  /**
   * An estimate of the size of the difference from the difference counts received so far
   * (never less than the ids peeled, nor than |c_0|): ./estimate.ts. 0 before any symbol.
   */
  estimate(): number {
    const n = this.#received
    if (n === 0) return 0
    // Counts alone beyond what was received: [gapTo, end) (none when they were all overtaken).
    const samples = { raw: this.#raw, received: n, gapTo: Math.max(n, this.#countsFrom), end: Math.max(n, this.#countsEnd) }
    return estimateDifference(samples, Math.max(this.#peeled.count, this.#table.isZero(0, this.short) ? 0 : 1))
  }

  /**
   * Peels what the symbols received so far allow, up to `maxIdsPerRound` ids, and reports
   * them. Call again while `more` is true; ask for more symbols while neither `done` nor
   * `failure` is set.
   */
  decode(): DecodeResult {
    const weLack: Uint8Array[] = []
    const theyLack: Uint8Array[] = []
    if (this.#retired) return { done: false, weLack, theyLack, more: false, failure: this.#failure ?? 'inconsistent' }
    while (this.#queued > 0 && this.#failure === null && weLack.length + theyLack.length < this.maxIdsPerRound) {
      const i = this.#queue[--this.#queued]!
      this.#inQueue[i] = 0
      const sign = this.#table.counts[i]
      const id = this.#peel(i)
      if (id !== null) (sign === 1 ? weLack : theyLack).push(id)
    }
    const done = this.#failure === null && this.#received > 0 && this.#table.isZero(0, this.short)
    if (!done && this.#failure === null && this.#queued === 0 && this.#received > 0 && this.#stuck()) this.#failure = 'collision'
    if (!done && this.#failure === null && this.#queued === 0 && this.#received >= this.limit) this.#failure = 'exhausted'
    return { done, weLack, theyLack, more: !done && this.#failure === null && this.#queued > 0, failure: this.#failure }
  }

  /**
   * Symbol 0 (every item) is not empty but its hash XOR is 0 (and, short, its checksum XOR):
   * what is left are ids whose hashes cancel, two with one hash (or a forgery). Honest
   * distinct hashes leave this with probability about 2^-64.
   */
  #stuck(): boolean {
    const { hashes, checks } = this.#table
    if (hashes[0] !== 0 || hashes[1] !== 0) return false
    if (this.short && checks[0] !== 0) return false
    return !this.#table.isZero(0, this.short)
  }

  /** Queues symbol `i` if it may be pure (count ±1). */
  #consider(i: number): void {
    const c = this.#table.counts[i]!
    if ((c === 1 || c === -1) && this.#inQueue[i] === 0) {
      this.#inQueue[i] = 1
      this.#queue[this.#queued++] = i
    }
  }

  /** Peels symbol `i` if it is pure; returns the id or null. */
  #peel(i: number): Uint8Array | null {
    const { bytes, words, hashes, checks, counts } = this.#table
    const sign = counts[i]!
    if (sign !== 1 && sign !== -1) return null
    let hi: number
    let lo: number
    if (this.short) {
      hi = hashes[2 * i]!
      lo = hashes[2 * i + 1]!
      if ((shortCheck(hi, lo) & SHORT_CHECK_MASK) !== checks[i]) {
        this.#impure++
        return null
      }
    } else {
      hashInto(bytes, i * ID_BYTES, HASH, 0)
      hi = HASH[0]!
      lo = HASH[1]!
      if (hi !== hashes[2 * i] || lo !== hashes[2 * i + 1]) {
        this.#impure++
        return null
      }
    }
    const seq = this.#seq
    seq.reset(hi, lo)
    while (seq.index < i) seq.next()
    if (seq.index !== i) {
      this.#misplaced++
      return null
    }
    if (this.#peeled.count >= this.#received || this.#peeled.has(hi, lo)) {
      this.#failure = 'inconsistent'
      return null
    }
    const id = this.short ? shortIdBytes(hi, lo) : bytes.slice(i * ID_BYTES, (i + 1) * ID_BYTES)
    const k = this.#peeled.push(words, i * ID_WORDS, hi, lo, sign)
    seq.reset(hi, lo)
    for (let j = 0; j < this.#received; j = seq.next()) {
      this.#xor(j, k)
      this.#consider(j)
    }
    this.#peeled.save(k, seq, this.limit)
    return id
  }

  /** Takes peeled id `k` out of difference symbol `j`. */
  #xor(j: number, k: number): void {
    const { words, hashes, checks, counts } = this.#table
    const p = this.#peeled
    const hi = p.hashes[2 * k]!
    const lo = p.hashes[2 * k + 1]!
    if (this.short) checks[j]! ^= shortCheck(hi, lo) & SHORT_CHECK_MASK
    else {
      const pw = p.words
      for (let w = 0, o = j * ID_WORDS, q = k * ID_WORDS; w < ID_WORDS; w++) words[o + w]! ^= pw[q + w]!
    }
    hashes[2 * j]! ^= hi
    hashes[2 * j + 1]! ^= lo
    counts[j] = counts[j]! - p.signs[k]!
  }
}
