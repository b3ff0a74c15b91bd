/**
 * Exact encoded sizes, so the sync core can give the Bloom filter whatever the real
 * introduction-request leaves in the datagram budget (DESIGN §2) and pack bundles.
 *
 * How the size grows with the filter: with L ≥ 1 filter bytes the request is
 * `overhead + 1 (bits tag) + varint(L) + L` bytes, plus one byte each time one of the
 * enclosing length prefixes (Bloom, SyncOffer, IntroductionRequest inside the envelope)
 * crosses a varint boundary: a length prefix takes 1 byte below 128, 2 below 16 384, 3 below
 * 2 097 152. So for 128 ≤ L < 16 384, size(L) = overhead + L + 3 + g, where g ≤ 3 counts
 * the enclosing prefixes that were under 128 bytes with an empty filter (g = 3 for a typical
 * IPv4 header: size = overhead + L + 6). {@link introductionRequestSize} and
 * {@link maxBloomBytesFor} compute this exactly for any L and header.
 */
import { BloomwalkError } from '../errors.js'
import { OVERLAY_BYTES, WIRE_VERSION } from './limits.js'
import { bloomToRaw, introductionRequestToRaw, syncToRaw } from './packets/encode.js'
import type { IntroductionRequest, SyncOffer, WireBloom } from './packets/types.js'
import { BloomType, EnvelopeType, IntroductionRequestType, SyncOfferType, encodeWith } from './schema.js'

/** A sync offer whose Bloom filter has no bits yet (bits, if present, are ignored). */
export type SyncOfferTemplate = Omit<SyncOffer, 'bloom'> & { bloom: Pick<WireBloom, 'k' | 'salt'> }

/**
 * An introduction-request without its filter bits: every other field as it will be sent
 * (identifier, global time, salt, token… all change the size). A full
 * {@link IntroductionRequest} with a sync offer is accepted too; its bits are ignored.
 */
export type IntroductionRequestTemplate = Omit<IntroductionRequest, 'sync'> & { sync: SyncOfferTemplate }

/** Bytes of a protobuf varint holding `value` (a non-negative safe integer). */
export function varintSize(value: number): number {
  let size = 1
  while (value >= 128) {
    value = Math.floor(value / 128)
    size++
  }
  return size
}

/** Bytes of a field tag (field number < 2^29). */
function tagSize(field: number): number {
  return varintSize(field * 8)
}

/** Bytes of a length-delimited field with `length` bytes of content. */
function delimited(field: number, length: number): number {
  return tagSize(field) + varintSize(length) + length
}

/** A constant, computed once on first use (the schema is loaded by then); never changes after: per process by design. */
let envelopeFixed: number | undefined
/** Bytes of the envelope's version and overlay fields (36). */
export function envelopeHeaderBytes(): number {
  envelopeFixed ??= encodeWith(EnvelopeType, { version: WIRE_VERSION, overlay: new Uint8Array(OVERLAY_BYTES) }).length
  return envelopeFixed
}

/** The sizes of the parts that do not depend on the number of filter bytes. */
interface RequestParts {
  bloom: number
  sync: number
  request: number
}

function requestParts(template: IntroductionRequestTemplate): RequestParts {
  if (template.sync === undefined || template.sync === null) throw new BloomwalkError('INVALID_ARGUMENT', 'the template needs a sync offer (the filter size is what is being computed)')
  return {
    bloom: encodeWith(BloomType, bloomToRaw({ k: template.sync.bloom.k, salt: template.sync.bloom.salt })).length,
    sync: encodeWith(SyncOfferType, syncToRaw(template.sync)).length,
    request: encodeWith(IntroductionRequestType, introductionRequestToRaw(template)).length
  }
}

function sizeWith(parts: RequestParts, bitsLength: number): number {
  const bloom = parts.bloom + (bitsLength > 0 ? delimited(1, bitsLength) : 0)
  const sync = parts.sync + delimited(5, bloom) // SyncOffer.bloom = 5
  const request = parts.request + delimited(8, sync) // IntroductionRequest.sync = 8
  return envelopeHeaderBytes() + delimited(3, request) // Envelope.introduction_request = 3
}

function checkLength(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new BloomwalkError('INVALID_ARGUMENT', `${name} must be a non-negative integer, got ${value}`)
}

/**
 * The exact datagram size of the introduction-request `template` with a filter of
 * `bitsLength` bytes (equal to `encodePacket(overlay, request).length`).
 * @throws {BloomwalkError} INVALID_ARGUMENT for a template that cannot be encoded
 */
export function introductionRequestSize(template: IntroductionRequestTemplate, bitsLength: number): number {
  checkLength('bitsLength', bitsLength)
  return sizeWith(requestParts(template), bitsLength)
}

/**
 * The datagram size of the request with an empty filter (`bits` of length 0, which proto3
 * omits). A filter of L ≥ 1 bytes adds 1 + varint(L) + L, plus any growth of the enclosing
 * length prefixes; see the module doc and {@link maxBloomBytesFor}.
 * @throws {BloomwalkError} INVALID_ARGUMENT for a template that cannot be encoded
 */
export function introductionRequestOverhead(template: IntroductionRequestTemplate): number {
  return sizeWith(requestParts(template), 0)
}

/**
 * The largest filter, in bytes, such that the encoded request fits `budget` bytes; 0 when
 * not even a 1-byte filter fits. Exact, varint growth included. Callers also cap it with the
 * peer's `maxBloomBytes` (1472 by default, never binding for budgets ≤ 1472).
 * @throws {BloomwalkError} INVALID_ARGUMENT for a negative budget or an unencodable template
 */
export function maxBloomBytesFor(budget: number, template: IntroductionRequestTemplate): number {
  checkLength('budget', budget)
  const parts = requestParts(template)
  if (sizeWith(parts, 1) > budget) return 0
  // sizeWith is strictly increasing in L ≥ 1; binary search the last L that fits.
  let lo = 1
  let hi = budget
  while (lo < hi) {
    const mid = lo + Math.ceil((hi - lo) / 2)
    if (sizeWith(parts, mid) <= budget) lo = mid
    else hi = mid - 1
  }
  return lo
}

/**
 * The exact datagram size of a bundles packet holding bundles of these encoded lengths
 * (for one bundle of S bytes, 128 ≤ S < 16 381: S + BUNDLES_HEADER_BYTES = S + 42).
 */
export function bundlesPacketSize(bundleLengths: readonly number[]): number {
  let content = 0
  for (const length of bundleLengths) {
    checkLength('bundle length', length)
    content += delimited(1, length) // Bundles.bundles = 1
  }
  return envelopeHeaderBytes() + delimited(7, content) // Envelope.bundles = 7
}
