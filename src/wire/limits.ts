/**
 * Decode limits and drop reasons. Every inbound datagram is checked against a
 * {@link DecodeLimits} object; whatever fails is dropped with one {@link DropReason}, which
 * the node counts. Each limit has a test at the limit and one past it (test/wire/limits.test.ts).
 */
import { BloomwalkError } from '../errors.js'

/** The only envelope version this code speaks. */
export const WIRE_VERSION = 1
/** Bytes of an overlay id (and of every bundle id). */
export const OVERLAY_BYTES = 32
/** Bytes of a bundle / message id carried on the wire. */
export const WIRE_ID_BYTES = 32
/**
 * Smallest datagram that can be a valid envelope: version (2) + overlay (34) + the tag and
 * length of an empty body (2). Anything shorter is dropped as `too-short` before decoding.
 */
export const MIN_DATAGRAM_BYTES = 38

/** Structural and policy limits applied while decoding one datagram. */
export interface DecodeLimits {
  /** Largest datagram accepted, bytes of UDP payload. Default 1472 (Ethernet MTU − IPv4 − UDP headers). */
  maxDatagram: number
  /** Largest Bloom filter, bytes of `bits`. Default 1472 (in practice bounded by `maxDatagram`). */
  maxBloomBytes: number
  /** Fewest Bloom index functions accepted. Default 1. */
  minK: number
  /** Most Bloom index functions accepted (bounds the work per offered filter). Default 32. */
  maxK: number
  /** Most bundles in one bundles packet. Default 64. */
  maxBundlesPerDatagram: number
  /** Most parents one bundle may name (passed to `decodeBundle`). Default 16. */
  maxParents: number
  /** Largest bundle body, bytes (passed to `decodeBundle`). Default 1472. */
  maxBody: number
  /** Most ids in a bundle-request, and in each of an MVDS payload's ack / offer / request. Default 32. */
  maxIdsPerRequest: number
  /** Most coded symbols in one symbols-response. Default 64. */
  maxSymbolsPerDatagram: number
  /** Most short-id prefixes (4 bytes each, docs/reconcile.md §15) in a symbols-request's `fetch_prefixes` or a bundle-request's `short_prefixes`. Default 128. */
  maxPrefixesPerRequest: number
  /** Most short symbols (12-byte records, docs/reconcile.md §14) in one symbols-response. Default 128. */
  maxShortSymbolsPerDatagram: number
  /** Most coded symbols one symbols-request may ask for (answered in several datagrams). Default 1024. */
  maxSymbolsPerRequest: number
  /** Most counts alone (`counts_only`) a symbols-request may ask for and a symbols-response carry. Default 512. */
  maxCountsOnly: number
  /** Largest address-validation token, bytes. Default 32. */
  maxTokenBytes: number
  /** Most messages in one MVDS payload. Default 64. */
  maxMvdsMessages: number
  /** Most bundles in one push packet. Default 4 (a push carries what was just published). */
  maxBundlesPerPush: number
  /** Largest hop count a push may carry (bounds how far one datagram can be relayed). Default 16. */
  maxPushHops: number
  /** Most short ids of fresh bundles an introduction-response or puncture-request names (`recent_short`). Default 4. */
  maxRecentIds: number
}

/** The defaults (frozen). Override with {@link decodeLimits}. */
/** Largest address-validation token a request echoes (bytes): the decode limit's default, and what offer sizing reserves room for. */
export const MAX_TOKEN_BYTES = 32

export const DEFAULT_DECODE_LIMITS: Readonly<DecodeLimits> = Object.freeze({
  maxDatagram: 1472,
  maxBloomBytes: 1472,
  minK: 1,
  maxK: 32,
  maxBundlesPerDatagram: 64,
  maxParents: 16,
  maxBody: 1472,
  maxIdsPerRequest: 32,
  maxSymbolsPerDatagram: 64,
  maxPrefixesPerRequest: 128,
  maxShortSymbolsPerDatagram: 128,
  maxSymbolsPerRequest: 1024,
  maxCountsOnly: 512,
  maxTokenBytes: MAX_TOKEN_BYTES,
  maxMvdsMessages: 64,
  maxBundlesPerPush: 4,
  maxPushHops: 16,
  maxRecentIds: 4
})

/**
 * The defaults with some limits overridden, checked and frozen.
 * @throws {BloomwalkError} INVALID_ARGUMENT when a limit is not a non-negative safe integer,
 *   minK > maxK, minK < 1 or maxDatagram < {@link MIN_DATAGRAM_BYTES}
 */
export function decodeLimits(overrides: Partial<DecodeLimits> = {}): Readonly<DecodeLimits> {
  const limits: DecodeLimits = { ...DEFAULT_DECODE_LIMITS, ...overrides }
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 0) throw new BloomwalkError('INVALID_ARGUMENT', `decode limit ${name} must be a non-negative integer, got ${String(value)}`)
  }
  if (limits.minK < 1 || limits.minK > limits.maxK) throw new BloomwalkError('INVALID_ARGUMENT', `decode limits need 1 <= minK <= maxK, got ${limits.minK}..${limits.maxK}`)
  if (limits.maxDatagram < MIN_DATAGRAM_BYTES) throw new BloomwalkError('INVALID_ARGUMENT', `maxDatagram must be at least ${MIN_DATAGRAM_BYTES}`)
  return Object.freeze(limits)
}

/** Every reason a datagram can be dropped for, in check order (for counters). */
export const DROP_REASONS = [
  /** Shorter than {@link MIN_DATAGRAM_BYTES}. */
  'too-short',
  /** Longer than `maxDatagram`. */
  'too-long',
  /** Not a protobuf Envelope, no body, or a required field missing. */
  'malformed',
  /** Envelope version other than {@link WIRE_VERSION} (the drop carries the version seen). */
  'bad-version',
  /** Overlay not 32 bytes. */
  'bad-overlay',
  /** An address with an ip of neither 4 nor 16 bytes, a port outside 1..65535, or half an introduction. */
  'bad-address',
  /** A global time above 2^53 − 1. */
  'bad-global-time',
  /** Sync offer: modulo 0, offset ≥ modulo, unsafe times, or time_low > time_high ≠ 0. */
  'bad-sync',
  /** Bloom filter missing, empty, over `maxBloomBytes`, or k outside [minK, maxK]. */
  'bad-bloom',
  /** Token over `maxTokenBytes`. */
  'bad-token',
  /** A list that must hold at least one entry (bundles, requested ids) is empty. */
  'empty',
  /** More than `maxBundlesPerDatagram` bundles. */
  'too-many-bundles',
  /** A bundle that does not decode under `maxParents` / `maxBody`. */
  'bad-bundle',
  /** More than `maxIdsPerRequest` ids in one list. */
  'too-many-ids',
  /** An id that is not 32 bytes (packed ids not a multiple of 32 bytes), or packed short ids not a multiple of 8 bytes. */
  'bad-id',
  /** Symbols request with count 0 or over `maxSymbolsPerRequest`, counts_only over `maxCountsOnly`, or an unsafe `from`. */
  'bad-range',
  /** More than `maxSymbolsPerDatagram` coded symbols, more than `maxShortSymbolsPerDatagram` short symbols, or more than `maxCountsOnly` counts alone. */
  'too-many-symbols',
  /** Packed symbols not a multiple of 40 bytes, a count list of another length or with an unsafe count, a digest with an unsafe count, counts alone not a multiple of 2 bytes, in_sync with symbols or counts, short symbols not a multiple of 12 bytes, or both symbols and short symbols. */
  'bad-symbol',
  /** More than `maxMvdsMessages` MVDS messages. */
  'too-many-messages',
  /** An MVDS message whose group id is not 32 bytes or whose timestamp is unsafe. */
  'bad-message',
  /** A push with a hop count over `maxPushHops`. */
  'bad-hops'
] as const

/** Why a datagram was dropped. */
export type DropReason = (typeof DROP_REASONS)[number]
