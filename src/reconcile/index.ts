/**
 * Rateless set reconciliation with coded symbols (DESIGN §11; Yang et al., "Practical
 * Rateless Set Reconciliation", SIGCOMM 2024). The normative description, with test vectors
 * and measured figures, is docs/reconcile.md. Sans-I/O: a {@link Sketch} answers
 * symbols-requests, a {@link Decoder} turns a peer's symbols into the ids each side lacks.
 */
export { ID_BYTES, ITEM_HASH_TAG, itemHash, itemHashHalves, joinHash, splitHash } from './hash.js'
export { IndexSequence, expectedDegree, firstIndices, indicesBelow } from './mapping.js'
export { DEFAULT_JOURNAL_LENGTH, DEFAULT_SKETCH_LENGTH, MAX_JOURNAL_LENGTH, MAX_SKETCH_LENGTH, SYMBOL_BYTES, Sketch, type SketchOptions } from './sketch.js'
export {
  type AddSymbolsResult,
  DEFAULT_MAX_BUFFERED,
  DEFAULT_MAX_IDS_PER_ROUND,
  type DecodeFailure,
  type DecodeResult,
  Decoder,
  type DecoderOptions,
  type DecoderStats
} from './decoder.js'
export { MAX_SYMBOL_COUNT } from './table.js'
export { MAX_FLOOR_DIFFERENCES, informationFloor } from './floor.js'
export { MAX_NEWER_SLICES, NEWER_SLICE_BUNDLES, type NewerSlice, newerSlices } from './newest.js'
export { CHECK_FIELD_BYTES, COUNT_ALONE_BYTES, SHORT_RECORD_BYTES, SYMBOL_RECORD_BYTES, codedSymbolBytes, firstAnswer, fitCountsAlone, fitSymbols, symbolsPerDatagram, symbolsPerResponse, symbolsResponseSize } from './size.js'
export {
  DEFAULT_MAX_RETRIES,
  DEFAULT_MAX_SYMBOLS_PER_REQUEST,
  DEFAULT_SYMBOLS_PER_DIFFERENCE,
  type PlannedRequest,
  type ResponseExtras,
  type SessionEnd,
  type SessionStep,
  SymbolSession,
  type SymbolSessionOptions
} from './session.js'
export { SHORT_CHECK_MASK, SHORT_ID_BYTES, SHORT_PREFIX_BYTES, saltedCheck, shortPrefix, unwrapShortCount, shortCheck, shortIdBytes, shortIdHalves, shortIdOf, shortIdKey, xorId } from './short.js'
