/**
 * The bloomwalk wire (DESIGN §2, docs/protocol.md): protobuf envelope, packets, decode
 * limits and drop reasons, addresses, exact sizes, and the MVDS payload.
 */
export {
  type Address,
  addressKey,
  canonicalHost,
  formatIp,
  isIPv4Mapped,
  isIPv6,
  isValidPort,
  makeAddress,
  parseAddressKey,
  parseIPv4,
  parseIPv6,
  parseIp,
  sameAddress
} from './address.js'
export {
  type DecodeLimits,
  type DropReason,
  DEFAULT_DECODE_LIMITS,
  DROP_REASONS,
  MAX_TOKEN_BYTES,
  MIN_DATAGRAM_BYTES,
  OVERLAY_BYTES,
  WIRE_ID_BYTES,
  WIRE_VERSION,
  decodeLimits
} from './limits.js'
export type {
  BundleRequest,
  BundlesPacket,
  PushPacket,
  CodedSymbol,
  ShortSymbol,
  ConnectionType,
  DecodedPacket,
  IntroducedPeer,
  IntroductionRequest,
  IntroductionResponse,
  MvdsPacket,
  Packet,
  PacketType,
  Puncture,
  PunctureRequest,
  SymbolsRequest,
  SymbolsResponse,
  SyncOffer,
  WireBloom
} from './packets/types.js'
export { type DecodeResult, type DroppedDatagram, decodePacket, decodePacketWithReason, encodePacket } from './codec.js'
export {
  type IntroductionRequestTemplate,
  type SyncOfferTemplate,
  bundlesPacketSize,
  envelopeHeaderBytes,
  introductionRequestOverhead,
  introductionRequestSize,
  maxBloomBytesFor,
  varintSize
} from './size.js'
export { type MvdsMessage, type MvdsPayload, MVDS_GROUP_ID_BYTES, decodeMvdsPayload, encodeMvdsPayload, mvdsMessageId } from './mvds.js'
