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
 */
import { BloomwalkError } from '../errors.js'
import type { CodedSymbol } from '../wire/packets/types.js'
import { ID_BYTES, hashInto } from './hash.js'
import { IndexSequence } from './mapping.js'
import { PeeledItems } from './peeled.js'
import type { Sketch } from './sketch.js'
import { ID_WORDS, SymbolTable, checkSymbol } from './table.js'

/** Default cap on ids returned by one {@link Decoder.decode} call. */
export const DEFAULT_MAX_IDS_PER_ROUND = 256

/** Options of a {@link Decoder}. */
export interface DecoderOptions {
  /** Most symbols to consume before giving up (≤ the local sketch's length, its default). */
  limit?: number
  /** Most ids (both directions together) one `decode()` call returns. Default {@link DEFAULT_MAX_IDS_PER_ROUND}. */
  maxIdsPerRound?: number
  /**
   * A decoder whose session is over: its buffers (≈ 45 bytes per symbol) are taken over
   * when its limit equals this one's, instead of allocating new ones. `reuse` is retired:
   * its `addSymbols` answers `failed` from then on.
   */
  reuse?: Decoder
}

/**
 * What {@link Decoder.addSymbols} did: `added`, or why the batch was ignored: `overlap`
 * (starts before the next expected index: a duplicate or reordered response), `gap` (starts
 * after it), `empty`, `beyond-limit` (nothing left to consume), `bad-symbol` (a malformed
 * symbol: the whole batch is dropped), `bad-range` (`from` not a safe integer), `failed`
 * (the session already failed).
 */
export type AddSymbolsResult = 'added' | 'overlap' | 'gap' | 'empty' | 'beyond-limit' | 'bad-symbol' | 'bad-range' | 'failed'

/**
 * Why decoding stopped for good: `exhausted` (all `limit` symbols consumed without
 * finishing: fall back to the Bloom walk), `inconsistent` (the peer's symbols contradict
 * each other: garbage, or its set changed during the session).
 */
export type DecodeFailure = 'exhausted' | 'inconsistent'

/** One {@link Decoder.decode} round. */
export interface DecodeResult {
  /** Symbol 0 is empty: every difference has been returned (in this or earlier rounds). */
  done: boolean
  /** Ids the peer has and we lack, new this round (fetch them from the peer). */
  weLack: Uint8Array[]
  /** Ids we have and the peer lacks, new this round (offer them to the peer). */
  theyLack: Uint8Array[]
  /** The round hit `maxIdsPerRound` with pure symbols left: call `decode()` again. */
  more: boolean
  /** Set once decoding cannot finish; sticky. */
  failure: DecodeFailure | null
}

/** Counters for the node's statistics. */
export interface DecoderStats {
  /** Symbols consumed. */
  received: number
  /** Ids peeled (returned). */
  peeled: number
  /** Candidates with count ±1 whose hash did not match (normal: mixtures). */
  impure: number
  /** Candidates whose hash matched but whose index is not on the id's sequence (garbage). */
  misplaced: number
  /** Batches ignored by `addSymbols`. */
  rejected: number
}

const HASH = new Uint32Array(2)
const SCRATCH_BYTES = new Uint8Array(ID_BYTES)
const SCRATCH_WORDS = new Uint32Array(SCRATCH_BYTES.buffer)

/** Decodes the difference between a peer's set and ours from the peer's coded symbols. */
export class Decoder {
  /** Most symbols this session consumes. */
  readonly limit: number
  /** Cap on ids per `decode()` call. */
  readonly maxIdsPerRound: number
  /** Our symbols, then (as the peer's arrive) the difference: peer minus ours. */
  #table: SymbolTable
  #received = 0
  #queue: Int32Array
  #queued = 0
  #inQueue: Uint8Array
  /** The buffers went to a later decoder (see {@link DecoderOptions.reuse}). */
  #retired = false
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
    this.limit = limit
    this.maxIdsPerRound = cap
    const old = options.reuse
    if (old !== undefined && old !== this && !old.#retired && old.limit === limit) {
      old.#retired = true
      this.#table = old.#table
      this.#table.copyFrom(local.table)
      this.#queue = old.#queue
      this.#inQueue = old.#inQueue
      this.#inQueue.fill(0)
    } else {
      this.#table = new SymbolTable(limit, local.table)
      this.#queue = new Int32Array(limit)
      this.#inQueue = new Uint8Array(limit)
    }
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
   * Consumes the peer's symbols [from, from + symbols.length), which must start exactly at
   * {@link Decoder.received}; symbols past `limit` are ignored. Never throws on peer input.
   */
  addSymbols(from: number, symbols: readonly CodedSymbol[]): AddSymbolsResult {
    const result = this.#add(from, symbols)
    if (result !== 'added') this.#rejected++
    return result
  }

  #add(from: number, symbols: readonly CodedSymbol[]): AddSymbolsResult {
    if (this.#failure !== null || this.#retired) return 'failed'
    if (!Array.isArray(symbols) || symbols.length === 0) return 'empty'
    if (!Number.isSafeInteger(from)) return 'bad-range'
    if (from < this.#received) return 'overlap'
    if (from > this.#received) return 'gap'
    if (from >= this.limit) return 'beyond-limit'
    const end = Math.min(this.limit, from + symbols.length)
    const checked = []
    for (let i = from; i < end; i++) {
      const s = checkSymbol(symbols[i - from])
      if (s === null) return 'bad-symbol'
      checked.push(s)
    }
    const { words, hashes, counts } = this.#table
    for (let i = from; i < end; i++) {
      const s = checked[i - from]!
      SCRATCH_BYTES.set(s.idXor)
      for (let w = 0, o = i * ID_WORDS; w < ID_WORDS; w++) words[o + w]! ^= SCRATCH_WORDS[w]!
      hashes[2 * i]! ^= s.hashHi
      hashes[2 * i + 1]! ^= s.hashLo
      counts[i] = s.count - counts[i]!
    }
    // Ids peeled earlier are in these symbols too: take them out.
    const seq = this.#seq
    for (let k = this.#peeled.popBelow(end, seq); k >= 0; k = this.#peeled.popBelow(end, seq)) {
      for (let i = seq.index; i < end; i = seq.next()) this.#xor(i, k)
      this.#peeled.save(k, seq, this.limit)
    }
    this.#received = end
    for (let i = from; i < end; i++) this.#consider(i)
    return 'added'
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
    const done = this.#failure === null && this.#received > 0 && this.#table.isZero(0)
    if (!done && this.#failure === null && this.#queued === 0 && this.#received >= this.limit) this.#failure = 'exhausted'
    return { done, weLack, theyLack, more: !done && this.#failure === null && this.#queued > 0, failure: this.#failure }
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
    const { bytes, words, hashes, counts } = this.#table
    const sign = counts[i]!
    if (sign !== 1 && sign !== -1) return null
    hashInto(bytes, i * ID_BYTES, HASH, 0)
    const hi = HASH[0]!
    const lo = HASH[1]!
    if (hi !== hashes[2 * i] || lo !== hashes[2 * i + 1]) {
      this.#impure++
      return null
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
    const id = bytes.slice(i * ID_BYTES, (i + 1) * ID_BYTES)
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
    const { words, hashes, counts } = this.#table
    const p = this.#peeled
    const pw = p.words
    for (let w = 0, o = j * ID_WORDS, q = k * ID_WORDS; w < ID_WORDS; w++) words[o + w]! ^= pw[q + w]!
    hashes[2 * j]! ^= p.hashes[2 * k]!
    hashes[2 * j + 1]! ^= p.hashes[2 * k + 1]!
    counts[j] = counts[j]! - p.signs[k]!
  }
}
