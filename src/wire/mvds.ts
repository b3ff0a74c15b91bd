/**
 * The MVDS payload (DESIGN §7), wire-compatible with vacp2p/mvds `sync.proto`
 * (commit 1762929: `Payload {Ack ack = 1; Offer offer = 2; Request request = 3;
 * repeated Message messages = 4}`, `Ack/Offer/Request {repeated bytes ids = 1}`,
 * `Message {bytes group_id = 1; int64 timestamp = 2; bytes body = 3}`), and its message id.
 *
 * Encoding follows proto3 / the reference: fields in number order, default values
 * omitted, `ack` / `offer` / `request` only when they carry ids. Decoding accepts an
 * empty `Ack {}` (the reference can send one) as no acks.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import type { DecodeLimits, DropReason } from './limits.js'
import { DEFAULT_DECODE_LIMITS, WIRE_ID_BYTES } from './limits.js'
import { MvdsPayloadType, encodeWith, type RawMessage } from './schema.js'
import { bytesOf, checkBytes, checkSafeInt, listOf, messageOf, plain, safeInt64 } from './values.js'

/** Bytes of an MVDS group id (the reference's `GroupID [32]byte`). */
export const MVDS_GROUP_ID_BYTES = 32

/** One MVDS message. */
export interface MvdsMessage {
  /** 32-byte group id. */
  groupId: Uint8Array
  /** Sender's timestamp (int64 on the wire; must be a safe integer here). */
  timestamp: number
  body: Uint8Array
}

/** An MVDS payload: ids acknowledged, offered and requested, and whole messages. */
export interface MvdsPayload {
  acks: readonly Uint8Array[]
  offers: readonly Uint8Array[]
  requests: readonly Uint8Array[]
  messages: readonly MvdsMessage[]
}

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
  const ids = (name: string, list: readonly Uint8Array[]): RawMessage => ({ ids: list.map((id, i) => checkBytes(`${name}[${i}]`, id)) })
  if (payload.acks.length > 0) raw['ack'] = ids('acks', payload.acks)
  if (payload.offers.length > 0) raw['offer'] = ids('offers', payload.offers)
  if (payload.requests.length > 0) raw['request'] = ids('requests', payload.requests)
  if (payload.messages.length > 0) {
    raw['messages'] = payload.messages.map((m, i) => {
      const msg: RawMessage = {}
      if (checkBytes(`messages[${i}].groupId`, m.groupId).length > 0) msg['groupId'] = m.groupId
      if (checkSafeInt(`messages[${i}].timestamp`, m.timestamp) !== 0) msg['timestamp'] = m.timestamp
      if (checkBytes(`messages[${i}].body`, m.body).length > 0) msg['body'] = m.body
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
  const acks = idsOf(raw['ack'], limits)
  if (typeof acks === 'string') return acks
  const offers = idsOf(raw['offer'], limits)
  if (typeof offers === 'string') return offers
  const requests = idsOf(raw['request'], limits)
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
    messages.push({ groupId, timestamp, body })
  }
  return { acks, offers, requests, messages }
}

function idsOf(field: unknown, limits: Readonly<DecodeLimits>): Uint8Array[] | DropReason {
  if (field === null || field === undefined) return []
  const m = messageOf(field)
  if (m === null) return 'malformed'
  const list = listOf(m['ids'])
  if (list === null) return 'malformed'
  if (list.length > limits.maxIdsPerRequest) return 'too-many-ids'
  const out: Uint8Array[] = []
  for (const item of list) {
    const id = bytesOf(item)
    if (id === null) return 'malformed'
    if (id.length !== WIRE_ID_BYTES) return 'bad-id'
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

