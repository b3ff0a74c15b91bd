/**
 * Message ids remembered by content. An id is a SHA-256 over group, timestamp and body; on a
 * multicast topic every subscriber hears each message many times, and hashing every copy was
 * a fifth of a simulated seed-4. A repeat now costs a byte comparison. Entries are found by
 * a cheap fingerprint and count only when the bytes are equal, so a collision (or a forged
 * look-alike) falls back to hashing. Bounded; the oldest entry goes first.
 */
import { mvdsMessageId, type MvdsMessage } from '../wire/mvds.js'
import { compareBytes, hex } from '../bytes.js'

/** A message id and its hex map key. */
export interface MessageId {
  id: Uint8Array
  key: string
}

interface Entry extends MessageId {
  groupId: Uint8Array
  timestamp: number
  body: Uint8Array
}

/** Default bound of {@link MessageIdMemo}: entries kept. */
export const DEFAULT_ID_MEMO_ENTRIES = 4096

export class MessageIdMemo {
  readonly #entries = new Map<number, Entry>()
  readonly #max: number
  #hits = 0

  constructor(maxEntries = DEFAULT_ID_MEMO_ENTRIES) {
    this.#max = maxEntries
  }

  /** The id of a well-formed message, hashed only when no equal message is remembered. */
  idOf(m: MvdsMessage): MessageId {
    const print = fingerprint(m)
    const e = this.#entries.get(print)
    if (e !== undefined && e.timestamp === m.timestamp && compareBytes(e.body, m.body) === 0 && compareBytes(e.groupId, m.groupId) === 0) {
      this.#hits++
      return e
    }
    const id = mvdsMessageId(m.groupId, m.timestamp, m.body)
    const entry: Entry = { id, key: hex(id), groupId: m.groupId, timestamp: m.timestamp, body: m.body }
    this.#entries.delete(print)
    if (this.#entries.size >= this.#max) {
      const oldest = this.#entries.keys().next().value
      if (oldest !== undefined) this.#entries.delete(oldest)
    }
    this.#entries.set(print, entry)
    return entry
  }

  /** Entries held (at most the bound). */
  get size(): number {
    return this.#entries.size
  }

  /** Ids answered without hashing. */
  get hits(): number {
    return this.#hits
  }
}

/** 32 bits (FNV-1a style) from the timestamp, the body's length and its last bytes (a bundle's signature). */
function fingerprint(m: MvdsMessage): number {
  const b = m.body
  let h = Math.imul(0x811c9dc5 ^ b.length, 0x01000193)
  h = Math.imul(h ^ (m.timestamp | 0), 0x01000193)
  for (let i = Math.max(0, b.length - 8); i < b.length; i++) h = Math.imul(h ^ b[i]!, 0x01000193)
  return h >>> 0
}
