/** What a `Decoder` (./decoder.ts) reports: per batch of symbols, per decode round, why it stopped, its counters. */

/**
 * What `Decoder.addSymbols` did: `added` (consumed, with any buffered batches it made
 * contiguous), `buffered` (starts after the next expected index: kept until the gap before
 * it is filled), or why the batch was ignored: `overlap` (every symbol in it was consumed
 * already: a duplicate), `gap` (starts after the next expected index and the buffer is full
 * or already holds a batch there), `empty`, `beyond-limit` (nothing left to consume),
 * `bad-symbol` (a malformed symbol: the whole batch is dropped), `bad-range` (`from` not a
 * safe integer), `failed` (the session already failed). A batch that starts before the
 * next expected index but reaches past it is consumed from that index on.
 */
export type AddSymbolsResult = 'added' | 'buffered' | 'overlap' | 'gap' | 'empty' | 'beyond-limit' | 'bad-symbol' | 'bad-range' | 'failed'

/**
 * Why decoding stopped for good: `exhausted` (all `limit` symbols consumed without
 * finishing: fall back to the Bloom walk), `inconsistent` (the peer's symbols contradict
 * each other: garbage, or its set changed during the session), `collision` (nothing is left
 * to peel and symbol 0 still holds items whose hashes XOR to 0: ids that share a 64-bit hash,
 * which no coded symbol separates; fall back to full ids).
 */
export type DecodeFailure = 'exhausted' | 'inconsistent' | 'collision'

/** One `Decoder.decode` round. */
export interface DecodeResult {
  /** Symbol 0 is empty: every difference has been returned (in this or earlier rounds). */
  done: boolean
  /** Ids the peer has and we lack, new this round (fetch them from the peer); 8-byte short ids from a short decoder. */
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
