/**
 * The protobuf schema, loaded by runtime reflection from the checked-in descriptor
 * (src/wire/schema.generated.ts, generated from proto/*.proto). No file is read at runtime.
 */
import protobuf from 'protobufjs/light.js'
import { SCHEMA_DESCRIPTOR } from './schema.generated.js'

const root = protobuf.Root.fromJSON(SCHEMA_DESCRIPTOR as protobuf.INamespace)

/** `bloomwalk.Envelope`: every datagram. */
export const EnvelopeType: protobuf.Type = root.lookupType('bloomwalk.Envelope')
/** `bloomwalk.IntroductionRequest` (used for exact size computations). */
export const IntroductionRequestType: protobuf.Type = root.lookupType('bloomwalk.IntroductionRequest')
/** `bloomwalk.SyncOffer`. */
export const SyncOfferType: protobuf.Type = root.lookupType('bloomwalk.SyncOffer')
/** `bloomwalk.Bloom`. */
export const BloomType: protobuf.Type = root.lookupType('bloomwalk.Bloom')
/** `mvds.Payload`: vacp2p/mvds `sync.proto` at HEAD (d6b27d3); src/wire/mvds.ts also reads the 2019 form. */
export const MvdsPayloadType: protobuf.Type = root.lookupType('mvds.Payload')
/** `mvds.Ids`: the 2019 schema's Ack / Offer / Request (vacp2p/mvds 1762929). */
export const MvdsIdsType: protobuf.Type = root.lookupType('mvds.Ids')

/** Names of the Envelope's `body` oneof members (camelCase, as protobufjs exposes them). */
export const BODY_FIELDS = [
  'introductionRequest',
  'introductionResponse',
  'punctureRequest',
  'puncture',
  'bundles',
  'mvds',
  'symbolsRequest',
  'symbolsResponse',
  'bundleRequest',
  'push'
] as const

/** One member of the Envelope's `body` oneof. */
export type BodyField = (typeof BODY_FIELDS)[number]

/** A message as protobufjs decodes it: own properties for present fields, defaults on the prototype. */
export type RawMessage = Record<string, unknown>

/**
 * Encodes a plain object with a type and returns a fresh, exactly sized Uint8Array.
 * (protobufjs writes into pooled slabs; the copy keeps callers from sharing them.)
 */
export function encodeWith(type: protobuf.Type, message: RawMessage): Uint8Array {
  const pooled = type.encode(message).finish()
  const out = new Uint8Array(pooled.length)
  out.set(pooled)
  return out
}
