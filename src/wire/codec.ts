/**
 * Datagram ↔ packet. Decoding follows DESIGN §1: cheap size and version checks, decode
 * under named limits (null on anything malformed), semantic validation. It never throws.
 */
import { BloomwalkError } from '../errors.js'
import { type DecodeLimits, type DropReason, DEFAULT_DECODE_LIMITS, MIN_DATAGRAM_BYTES, OVERLAY_BYTES, WIRE_VERSION } from './limits.js'
import { rawToPacket } from './packets/decode.js'
import { packetToRaw } from './packets/encode.js'
import type { DecodedPacket, Packet } from './packets/types.js'
import { BODY_FIELDS, type BodyField, EnvelopeType, type RawMessage, encodeWith } from './schema.js'
import { bytesOf, checkBytes, messageOf, plain, uint32 } from './values.js'

/** A datagram that was dropped, and why. `version` is set for `bad-version` (for negotiation). */
export interface DroppedDatagram {
  drop: DropReason
  version?: number
}

/** What {@link decodePacketWithReason} returns: the packet, or the drop reason. */
export type DecodeResult = DecodedPacket | DroppedDatagram

/**
 * Encodes one datagram: envelope version 1, the overlay and the packet.
 * The result is exact (no padding) and a fresh buffer.
 * @throws {BloomwalkError} INVALID_ARGUMENT when the overlay is not 32 bytes or a field does
 *   not fit its wire type (decode limits are not applied here)
 */
export function encodePacket(overlay: Uint8Array, packet: Packet): Uint8Array {
  checkBytes('overlay', overlay, OVERLAY_BYTES)
  if (typeof packet !== 'object' || packet === null) throw new BloomwalkError('INVALID_ARGUMENT', 'packet must be an object')
  const { field, raw } = packetToRaw(packet)
  return encodeWith(EnvelopeType, { version: WIRE_VERSION, overlay, [field]: raw })
}

/**
 * Decodes one datagram, or says why it is dropped. Never throws.
 * Order: length ≥ {@link MIN_DATAGRAM_BYTES} and ≤ `maxDatagram`; a leading version field
 * other than 1 (checked before parsing the rest, so a newer layout is still reported as
 * `bad-version`); protobuf decode; version, overlay, exactly one body; the body's checks.
 */
export function decodePacketWithReason(bytes: Uint8Array, limits: Readonly<DecodeLimits> = DEFAULT_DECODE_LIMITS): DecodeResult {
  if (!(bytes instanceof Uint8Array)) return { drop: 'malformed' }
  if (bytes.length < MIN_DATAGRAM_BYTES) return { drop: 'too-short' }
  if (bytes.length > limits.maxDatagram) return { drop: 'too-long' }
  const early = leadingVersion(bytes)
  if (early !== null && early !== WIRE_VERSION) return { drop: 'bad-version', version: early }
  let raw: RawMessage
  try {
    raw = EnvelopeType.decode(plain(bytes)) as unknown as RawMessage
  } catch {
    return { drop: 'malformed' }
  }
  try {
    return checkEnvelope(raw, limits)
  } catch {
    // Unreachable by construction; kept so that no input can make decoding throw.
    return { drop: 'malformed' }
  }
}

/** Decodes one datagram; null when it is dropped (see {@link decodePacketWithReason}). Never throws. */
export function decodePacket(bytes: Uint8Array, limits: Readonly<DecodeLimits> = DEFAULT_DECODE_LIMITS): DecodedPacket | null {
  const result = decodePacketWithReason(bytes, limits)
  return 'drop' in result ? null : result
}

function checkEnvelope(raw: RawMessage, limits: Readonly<DecodeLimits>): DecodeResult {
  const version = uint32(raw['version'])
  if (version === null) return { drop: 'malformed' }
  if (version !== WIRE_VERSION) return { drop: 'bad-version', version }
  const overlay = bytesOf(raw['overlay'])
  if (overlay === null) return { drop: 'malformed' }
  if (overlay.length !== OVERLAY_BYTES) return { drop: 'bad-overlay' }
  // protobufjs keeps only the last oneof member seen (proto3 semantics).
  let field: BodyField | undefined
  for (const name of BODY_FIELDS) {
    if (Object.prototype.hasOwnProperty.call(raw, name) && raw[name] != null) field = name
  }
  if (field === undefined) return { drop: 'malformed' }
  const body = messageOf(raw[field])
  if (body === null) return { drop: 'malformed' }
  const packet = rawToPacket(field, body, limits)
  return typeof packet === 'string' ? { drop: packet } : { overlay, packet }
}

/**
 * The value of a leading `version` field (tag 0x08, a varint of at most 5 bytes), or null
 * when the datagram does not start with one.
 */
function leadingVersion(bytes: Uint8Array): number | null {
  if (bytes[0] !== 0x08) return null
  let value = 0
  for (let i = 1; i <= 5 && i < bytes.length; i++) {
    const b = bytes[i]!
    value += (b & 0x7f) * 2 ** (7 * (i - 1))
    if ((b & 0x80) === 0) return value <= 0xffffffff ? value : null
  }
  return null
}
