/** What a `Decoder` (./decoder.ts) reports: per decode round, why it stopped, its counters. */

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
