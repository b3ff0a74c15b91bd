/**
 * Key layout of the LevelDB store (see docs/store.md). One byte of tag, then fixed-width
 * fields, so byte order equals (overlay, global time, id) order:
 *
 * ```
 * format  := 0x00 "bloomwalk/store"              → version(u8 = 1)
 * row     := 0x01 overlay(32) gt(u64 BE) id(32)  → encoded bundle
 * byId    := 0x02 overlay(32) id(32)             → gt(u64 BE)
 * meta    := 0x03 overlay(32)                    → count(u64 BE) max_gt(u64 BE)
 * waiting := 0x04 overlay(32) gt(u64 BE) id(32)  → empty: stored, not yet delivered
 * state   := 0x05 name(UTF-8)                    → value (StateStore: the node's MVDS state)
 * sketch  := 0x06 / log := 0x07                  → the persisted sketch (level-sketch.ts)
 * short   := 0x08 overlay(32) hash(8) id(32)     → empty: the short-id index (docs/reconcile.md §14)
 * shortIndexed := 0x00 "bloomwalk/store/short-ids" → empty: every row has its short key
 * byAuthor := 0x09 overlay(32) author(32) gt(u64 BE) id(32) → empty (level-authors.ts)
 * authors  := 0x0a overlay(32)                 → note: the overlay keeps a by-author key per row
 * ```
 */
import { ID_BYTES } from '../bundle/codec.js'
import { itemHashHalves } from '../reconcile/hash.js'

export const TAG_FORMAT = 0x00
export const TAG_ROW = 0x01
export const TAG_BY_ID = 0x02
export const TAG_META = 0x03
export const TAG_UNDELIVERED = 0x04
export const TAG_STATE = 0x05
export const TAG_SHORT = 0x08

/** Present once every row has its short-id key (written with the format, or by the one-time build at open). */
export const SHORT_INDEXED_KEY = Uint8Array.from([TAG_FORMAT, ...new TextEncoder().encode('bloomwalk/store/short-ids')])

/** Bytes of a short-id key. */
export const SHORT_KEY_BYTES = 1 + ID_BYTES + 8 + ID_BYTES

/** The short-id key of a bundle: its item hash (big-endian), then its id. */
export function shortKey(overlay: Uint8Array, id: Uint8Array): Uint8Array {
  const key = new Uint8Array(SHORT_KEY_BYTES)
  key[0] = TAG_SHORT
  key.set(overlay, 1)
  const [hi, lo] = itemHashHalves(id)
  const view = new DataView(key.buffer)
  view.setUint32(1 + ID_BYTES, hi)
  view.setUint32(1 + ID_BYTES + 4, lo)
  key.set(id, 1 + ID_BYTES + 8)
  return key
}

/** The lowest (`fill` 0x00) or highest (0xff) short-id key of a short id (8 bytes) or of a short-id prefix (4 bytes). */
export function shortBound(overlay: Uint8Array, short: Uint8Array, fill: 0x00 | 0xff): Uint8Array {
  const key = new Uint8Array(SHORT_KEY_BYTES)
  key[0] = TAG_SHORT
  key.set(overlay, 1)
  key.set(short, 1 + ID_BYTES)
  if (fill !== 0) key.fill(fill, 1 + ID_BYTES + short.length)
  return key
}

/** The id part of a short-id key. */
export function shortKeyId(key: Uint8Array): Uint8Array {
  return key.subarray(1 + ID_BYTES + 8, SHORT_KEY_BYTES)
}

/** The key of a named state value. */
export function stateKey(name: string): Uint8Array {
  const utf8 = new TextEncoder().encode(name)
  const key = new Uint8Array(1 + utf8.length)
  key[0] = TAG_STATE
  key.set(utf8, 1)
  return key
}

/** Layout version written under the format key. */
export const STORE_FORMAT_VERSION = 1

/** The format key. */
export const FORMAT_KEY = Uint8Array.from([TAG_FORMAT, ...new TextEncoder().encode('bloomwalk/store')])

/** Bytes of a row key. */
export const ROW_KEY_BYTES = 1 + ID_BYTES + 8 + ID_BYTES
const GT_AT = 1 + ID_BYTES
const ROW_ID_AT = GT_AT + 8

/** The row key of a bundle. */
export function rowKey(overlay: Uint8Array, gt: number, id: Uint8Array): Uint8Array {
  const key = new Uint8Array(ROW_KEY_BYTES)
  key[0] = TAG_ROW
  key.set(overlay, 1)
  writeU64(key, GT_AT, gt)
  key.set(id, ROW_ID_AT)
  return key
}

/** The undelivered mark of a bundle: laid out as its row key under another tag. */
export function undeliveredKey(overlay: Uint8Array, gt: number, id: Uint8Array): Uint8Array {
  const key = rowKey(overlay, gt, id)
  key[0] = TAG_UNDELIVERED
  return key
}

/** The lowest (`fill` 0x00) or highest (0xff) undelivered-mark key of an overlay. */
export function undeliveredBound(overlay: Uint8Array, fill: 0x00 | 0xff): Uint8Array {
  const key = new Uint8Array(ROW_KEY_BYTES)
  key[0] = TAG_UNDELIVERED
  key.set(overlay, 1)
  if (fill !== 0) key.fill(fill, GT_AT)
  return key
}

/**
 * The lowest key of a global time (`fill` 0x00: before every id) or the highest (`fill`
 * 0xff: after every id). Used for range bounds and seek targets.
 */
export function rowBound(overlay: Uint8Array, gt: number, fill: 0x00 | 0xff): Uint8Array {
  const key = new Uint8Array(ROW_KEY_BYTES)
  key[0] = TAG_ROW
  key.set(overlay, 1)
  writeU64(key, GT_AT, gt)
  if (fill !== 0) key.fill(fill, ROW_ID_AT)
  return key
}

/** The global time of a row key. */
export function rowKeyGlobalTime(key: Uint8Array): number {
  return readU64(key, GT_AT)
}

/** The id part of a row key. */
export function rowKeyId(key: Uint8Array): Uint8Array {
  return key.subarray(ROW_ID_AT, ROW_ID_AT + ID_BYTES)
}

/** The id-index key of a bundle. */
export function byIdKey(overlay: Uint8Array, id: Uint8Array): Uint8Array {
  const key = new Uint8Array(1 + 2 * ID_BYTES)
  key[0] = TAG_BY_ID
  key.set(overlay, 1)
  key.set(id, 1 + ID_BYTES)
  return key
}

/** The meta key of an overlay. */
export function metaKey(overlay: Uint8Array): Uint8Array {
  const key = new Uint8Array(1 + ID_BYTES)
  key[0] = TAG_META
  key.set(overlay, 1)
  return key
}

/** Per-overlay meta row. */
export interface OverlayMeta {
  count: number
  maxGt: number
}

export function encodeMeta(meta: OverlayMeta): Uint8Array {
  const out = new Uint8Array(16)
  writeU64(out, 0, meta.count)
  writeU64(out, 8, meta.maxGt)
  return out
}

/** The meta row, or null when it is not 16 bytes. */
export function decodeMeta(value: Uint8Array): OverlayMeta | null {
  if (value.length !== 16) return null
  const meta = { count: readU64(value, 0), maxGt: readU64(value, 8) }
  return Number.isSafeInteger(meta.count) && Number.isSafeInteger(meta.maxGt) ? meta : null
}

/** A big-endian u64 of a global time. */
export function encodeGt(gt: number): Uint8Array {
  const out = new Uint8Array(8)
  writeU64(out, 0, gt)
  return out
}

/** The global time of an id-index value, or null when it is not 8 bytes. */
export function decodeGt(value: Uint8Array): number | null {
  if (value.length !== 8) return null
  const gt = readU64(value, 0)
  return Number.isSafeInteger(gt) ? gt : null
}

function writeU64(out: Uint8Array, at: number, value: number): void {
  const hi = Math.floor(value / 4294967296)
  const lo = value >>> 0
  out[at] = hi >>> 24
  out[at + 1] = hi >>> 16
  out[at + 2] = hi >>> 8
  out[at + 3] = hi
  out[at + 4] = lo >>> 24
  out[at + 5] = lo >>> 16
  out[at + 6] = lo >>> 8
  out[at + 7] = lo
}

function readU64(b: Uint8Array, at: number): number {
  const hi = ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0
  const lo = ((b[at + 4]! << 24) | (b[at + 5]! << 16) | (b[at + 6]! << 8) | b[at + 7]!) >>> 0
  return hi * 4294967296 + lo
}
