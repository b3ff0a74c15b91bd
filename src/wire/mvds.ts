/**
 * The MVDS payload (DESIGN §7) of vacp2p/mvds `protobuf/sync.proto`, and its message id.
 *
 * Two schemas share the field numbers: HEAD (d6b27d3; flat `repeated bytes acks = 1;
 * offers = 2; requests = 3; repeated Message messages = 4`, `Message.metadata = 4` since
 * 748b611) and 2019 (1762929; `Ack ack = 1; Offer offer = 2; Request request = 3`, each
 * `{repeated bytes ids = 1}`). Decoding accepts both, entry by entry: a 32-byte field-1..3
 * entry is one id (HEAD), any other is a 2019 list (an `Ack {}` is empty; a list of 32-byte
 * ids is 34·n bytes, never 32). Encoding writes HEAD unless the payload says `schema: '2019'`.
 * Fields in number order, proto3 defaults omitted, as the reference's Go encoder does.
 * test/wire/mvds.test.ts checks both against fixtures (`mvds-interop`, `mvds-interop-head`).
 */
import { sha256 } from '@noble/hashes/sha2.js'
import type { DecodeLimits, DropReason } from './limits.js'
import { DEFAULT_DECODE_LIMITS, WIRE_ID_BYTES } from './limits.js'
import { MvdsIdsType, MvdsPayloadType, encodeWith, type RawMessage } from './schema.js'
import { bytesOf, checkBytes, checkSafeInt, listOf, messageOf, plain, safeInt64 } from './values.js'

/** Bytes of an MVDS group id (the reference's `GroupID [32]byte`). */
export const MVDS_GROUP_ID_BYTES = 32

/** The reference's `Metadata` (HEAD): parents and the ephemeral flag. Not part of the message id. */
export interface MvdsMetadata {
  /** 32-byte message ids. */
  parents: readonly Uint8Array[]
  ephemeral: boolean
}

/** One MVDS message. */
export interface MvdsMessage {
  /** 32-byte group id. */
  groupId: Uint8Array
  /** Sender's timestamp (int64 on the wire; must be a safe integer here). */
  timestamp: number
  body: Uint8Array
  /** Present when the sender wrote a `metadata` field (HEAD schema only; never in the 2019 form). */
  metadata?: MvdsMetadata
}

/** Which vacp2p/mvds schema an encoding follows: `head` (d6b27d3, flat lists) or `2019` (1762929, nested). */
export type MvdsSchema = 'head' | '2019'

/** An MVDS payload: ids acknowledged, offered and requested, and whole messages. */
export interface MvdsPayload {
  acks: readonly Uint8Array[]
  offers: readonly Uint8Array[]
  requests: readonly Uint8Array[]
  messages: readonly MvdsMessage[]
  /** The schema to encode with; default `head`. Decoding never sets it. */
  schema?: MvdsSchema
}

/** Bytes of an MVDS message id, and of one flat (HEAD) id entry. */
const ID_BYTES = WIRE_ID_BYTES

const MESSAGE_ID_PREFIX = new TextEncoder().encode('MESSAGE_ID')

/**
 * The MVDS message id: SHA-256("MESSAGE_ID" || group_id || timestamp as 8-byte
 * little-endian two's complement || body), as the reference's `Message.ID()`.
 * @throws {BloomwalkError} INVALID_ARGUMENT for a non-safe-integer timestamp or non-byte arguments
 */
export function mvdsMessageId(groupId: Uint8Array, timestamp: number, body: Uint8Array): Uint8Array {
  checkBytes('groupId', groupId)
  checkSafeInt('timestamp', timestamp)
  checkBytes('body', body)
  const t = new Uint8Array(8)
  new DataView(t.buffer).setBigInt64(0, BigInt(timestamp), true)
  return sha256.create().update(MESSAGE_ID_PREFIX).update(groupId).update(t).update(body).digest()
}

/** The protobufjs object of a payload (proto3 defaults omitted). Throws on unencodable values. */
export function mvdsPayloadToRaw(payload: MvdsPayload): RawMessage {
  const raw: RawMessage = {}
  const legacy = payload.schema === '2019'
  const lists = [
    ['acks', payload.acks],
    ['offers', payload.offers],
    ['requests', payload.requests]
  ] as const
  for (const [name, list] of lists) {
    if (list.length === 0) continue
    const ids = list.map((id, i) => checkBytes(`${name}[${i}]`, id))
    // 2019: the whole list is one `Ids` message in the field; HEAD: one entry per id.
    raw[name] = legacy ? [encodeWith(MvdsIdsType, { ids })] : ids
  }
  if (payload.messages.length > 0) {
    raw['messages'] = payload.messages.map((m, i) => {
      const msg: RawMessage = {}
      if (checkBytes(`messages[${i}].groupId`, m.groupId).length > 0) msg['groupId'] = m.groupId
      if (checkSafeInt(`messages[${i}].timestamp`, m.timestamp) !== 0) msg['timestamp'] = m.timestamp
      if (checkBytes(`messages[${i}].body`, m.body).length > 0) msg['body'] = m.body
      if (m.metadata !== undefined && !legacy) {
        const meta: RawMessage = {}
        if (m.metadata.parents.length > 0) meta['parents'] = m.metadata.parents.map((p, j) => checkBytes(`messages[${i}].metadata.parents[${j}]`, p))
        if (m.metadata.ephemeral) meta['ephemeral'] = true
        msg['metadata'] = meta
      }
      return msg
    })
  }
  return raw
}

/**
 * A payload from its protobufjs object, checked against the limits: each id list holds at
 * most `maxIdsPerRequest` ids of 32 bytes, at most `maxMvdsMessages` messages, each with a
 * 32-byte group id and a safe-integer timestamp.
 */
export function mvdsPayloadFromRaw(raw: RawMessage, limits: Readonly<DecodeLimits>): MvdsPayload | DropReason {
  const acks = idsOf(raw['acks'], limits)
  if (typeof acks === 'string') return acks
  const offers = idsOf(raw['offers'], limits)
  if (typeof offers === 'string') return offers
  const requests = idsOf(raw['requests'], limits)
  if (typeof requests === 'string') return requests
  const list = listOf(raw['messages'])
  if (list === null) return 'malformed'
  if (list.length > limits.maxMvdsMessages) return 'too-many-messages'
  const messages: MvdsMessage[] = []
  for (const item of list) {
    const m = messageOf(item)
    if (m === null) return 'malformed'
    const groupId = bytesOf(m['groupId'])
    const timestamp = safeInt64(m['timestamp'])
    const body = bytesOf(m['body'])
    if (groupId === null || body === null) return 'malformed'
    if (groupId.length !== MVDS_GROUP_ID_BYTES || timestamp === null) return 'bad-message'
    if (m['metadata'] === undefined || m['metadata'] === null) {
      messages.push({ groupId, timestamp, body })
      continue
    }
    const meta = messageOf(m['metadata'])
    if (meta === null) return 'malformed'
    const parents = idList(listOf(meta['parents']), limits)
    if (typeof parents === 'string') return parents
    const ephemeral = meta['ephemeral']
    if (ephemeral !== undefined && typeof ephemeral !== 'boolean') return 'malformed'
    messages.push({ groupId, timestamp, body, metadata: { parents, ephemeral: ephemeral === true } })
  }
  return { acks, offers, requests, messages }
}

/**
 * One of fields 1..3, each entry either one 32-byte id (HEAD) or a 2019 `Ids` list; at most
 * `maxIdsPerRequest` ids in all. The work is bounded before any nested decode: a datagram
 * holds at most `maxDatagram` / 2 entries.
 */
function idsOf(field: unknown, limits: Readonly<DecodeLimits>): Uint8Array[] | DropReason {
  const entries = listOf(field)
  if (entries === null) return 'malformed'
  const out: Uint8Array[] = []
  for (const item of entries) {
    const entry = bytesOf(item)
    if (entry === null) return 'malformed'
    if (entry.length === ID_BYTES) {
      out.push(entry)
    } else {
      // Neither one id nor a 2019 list of ids: a wrong-sized id.
      let nested: RawMessage
      try {
        nested = MvdsIdsType.decode(entry) as unknown as RawMessage
      } catch {
        return 'bad-id'
      }
      const ids = idList(listOf(nested['ids']), limits)
      if (typeof ids === 'string') return ids
      out.push(...ids)
    }
    if (out.length > limits.maxIdsPerRequest) return 'too-many-ids'
  }
  return out
}

/** A list of 32-byte ids of at most `maxIdsPerRequest`. */
function idList(list: readonly unknown[] | null, limits: Readonly<DecodeLimits>): Uint8Array[] | DropReason {
  if (list === null) return 'malformed'
  if (list.length > limits.maxIdsPerRequest) return 'too-many-ids'
  const out: Uint8Array[] = []
  for (const item of list) {
    const id = bytesOf(item)
    if (id === null) return 'malformed'
    if (id.length !== ID_BYTES) return 'bad-id'
    out.push(id)
  }
  return out
}

/**
 * A standalone MVDS `Payload` encoding (what the reference puts in a transport message,
 * and exactly what the bloomwalk envelope carries in its field 8).
 * @throws {BloomwalkError} INVALID_ARGUMENT for unencodable values
 */
export function encodeMvdsPayload(payload: MvdsPayload): Uint8Array {
  return encodeWith(MvdsPayloadType, mvdsPayloadToRaw(payload))
}

/** Decodes a standalone MVDS `Payload` under the limits; null when malformed or over a limit. Never throws. */
export function decodeMvdsPayload(bytes: Uint8Array, limits: Readonly<DecodeLimits> = DEFAULT_DECODE_LIMITS): MvdsPayload | null {
  if (!(bytes instanceof Uint8Array) || bytes.length > limits.maxDatagram) return null
  let raw: RawMessage
  try {
    raw = MvdsPayloadType.decode(plain(bytes)) as unknown as RawMessage
  } catch {
    return null
  }
  const result = mvdsPayloadFromRaw(raw, limits)
  return typeof result === 'string' ? null : result
}

