/**
 * Exact encoded sizes of an MVDS payload (the reference layout in src/wire/mvds.ts), so a
 * payload can be filled up to its byte budget without re-encoding after every record.
 * test/mvds/size.test.ts checks every figure against `encodeMvdsPayload(p).length`.
 */
import type { MvdsMessage, MvdsPayload, MvdsSchema } from '../wire/mvds.js'
import { varintSize } from '../wire/size.js'

/**
 * Bytes the bloomwalk envelope adds around an MVDS payload: version (2) + overlay (34) +
 * the mvds field tag (1) + its length prefix (2 bytes for payloads of 128..16 383 bytes).
 */
export const MVDS_ENVELOPE_OVERHEAD = 39

/** Default payload budget: a 1200-byte datagram (DESIGN §2) minus {@link MVDS_ENVELOPE_OVERHEAD}. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 1200 - MVDS_ENVELOPE_OVERHEAD

/** Bytes of an int64 varint (negative values take 10). */
function int64Size(value: number): number {
  return value < 0 ? 10 : varintSize(value)
}

/** Bytes of one length-delimited entry (tag < 16) holding `length` bytes. */
function entry(length: number): number {
  return 1 + varintSize(length) + length
}

/** Bytes of a `Message` inside its enclosing entry of the payload's `messages` field (metadata is not written in the 2019 form). */
export function messageEntrySize(m: MvdsMessage, schema: MvdsSchema = 'head'): number {
  let inner = 0
  if (m.groupId.length > 0) inner += entry(m.groupId.length)
  if (m.timestamp !== 0) inner += 1 + int64Size(m.timestamp)
  if (m.body.length > 0) inner += entry(m.body.length)
  if (m.metadata !== undefined && schema === 'head') {
    let meta = m.metadata.parents.reduce((n, p) => n + entry(p.length), 0)
    if (m.metadata.ephemeral) meta += 2
    inner += entry(meta)
  }
  return entry(inner)
}

/** Bytes of one id inside a list (HEAD: a payload field entry; 2019: an entry of the nested `Ids`). */
function idEntrySize(id: Uint8Array): number {
  return entry(id.length)
}

/**
 * Bytes of an id list field with `inner` bytes of id entries: HEAD writes the entries
 * straight into the payload, 2019 wraps them in one nested message (omitted when empty).
 */
function listSize(inner: number, schema: MvdsSchema): number {
  return inner === 0 || schema === 'head' ? inner : entry(inner)
}

/** The encoded size of a whole payload, computed (equals `encodeMvdsPayload(p).length`). */
export function mvdsPayloadSize(p: MvdsPayload): number {
  const schema = p.schema ?? 'head'
  let size = 0
  for (const list of [p.acks, p.offers, p.requests]) size += listSize(list.reduce((n, id) => n + idEntrySize(id), 0), schema)
  for (const m of p.messages) size += messageEntrySize(m, schema)
  return size
}

/** The id lists of a payload. */
export type MvdsIdList = 'acks' | 'offers' | 'requests'

/** Fills one payload under a byte budget, an id-list cap and a message cap. */
export class PayloadBuilder {
  readonly acks: Uint8Array[] = []
  readonly offers: Uint8Array[] = []
  readonly requests: Uint8Array[] = []
  readonly messages: MvdsMessage[] = []
  readonly #inner: Record<MvdsIdList, number> = { acks: 0, offers: 0, requests: 0 }
  #size = 0

  constructor(
    readonly maxBytes: number,
    readonly maxIdsPerList: number,
    readonly maxMessages: number,
    readonly schema: MvdsSchema = 'head'
  ) {}

  /** Encoded size so far. */
  get size(): number {
    return this.#size
  }

  /** True when nothing has been added. */
  get empty(): boolean {
    return this.#size === 0
  }

  /** Adds an id to a list if the caps and the budget allow; false (and no change) otherwise. */
  addId(list: MvdsIdList, id: Uint8Array): boolean {
    const ids = this[list]
    if (ids.length >= this.maxIdsPerList) return false
    const before = this.#inner[list]
    const after = before + idEntrySize(id)
    const size = this.#size - listSize(before, this.schema) + listSize(after, this.schema)
    if (size > this.maxBytes) return false
    ids.push(id)
    this.#inner[list] = after
    this.#size = size
    return true
  }

  /** Adds a message if the cap and the budget allow; false (and no change) otherwise. */
  addMessage(m: MvdsMessage): boolean {
    if (this.messages.length >= this.maxMessages) return false
    const size = this.#size + messageEntrySize(m, this.schema)
    if (size > this.maxBytes) return false
    this.messages.push(m)
    this.#size = size
    return true
  }

  /** The payload built. */
  payload(): MvdsPayload {
    const payload: MvdsPayload = { acks: this.acks, offers: this.offers, requests: this.requests, messages: this.messages }
    return this.schema === 'head' ? payload : { ...payload, schema: this.schema }
  }
}
