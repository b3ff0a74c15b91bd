/** LevelDB plumbing of the LevelDB store: handle and batch types, row writes, meta reads, errors. */
import type { Level } from 'level'
import type { Bundle } from '../bundle/types.js'
import { BloomwalkError } from '../errors.js'
import { describeCause } from './level-files.js'
import type { NormalizedRange } from './abstract.js'
import { byIdKey, decodeMeta, encodeGt, metaKey, type OverlayMeta, ROW_KEY_BYTES, rowBound, rowKey, rowKeyId, SHORT_INDEXED_KEY, shortKey, TAG_ROW, TAG_SHORT, undeliveredKey } from './level-keys.js'

/** The database handle as the store opens it ('view' keys and values). */
export type Db = Level<Uint8Array, Uint8Array>
/** One operation of an atomic batch. */
export type BatchOp = { type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array }

const EMPTY = new Uint8Array(0)

/** The row, id-index, short-id-index and undelivered-mark puts of a new bundle. */
export function rowOps(b: Bundle): Extract<BatchOp, { type: 'put' }>[] {
  return [
    { type: 'put', key: rowKey(b.overlay, b.globalTime, b.id), value: b.bytes },
    { type: 'put', key: byIdKey(b.overlay, b.id), value: encodeGt(b.globalTime) },
    { type: 'put', key: shortKey(b.overlay, b.id), value: EMPTY },
    { type: 'put', key: undeliveredKey(b.overlay, b.globalTime, b.id), value: EMPTY }
  ]
}

/**
 * The committed meta row of an overlay ({0, 0} when absent).
 * @throws {BloomwalkError} STORE_CORRUPT when it is malformed
 */
export async function readMeta(db: Db, overlay: Uint8Array): Promise<OverlayMeta> {
  const value = await db.get(metaKey(overlay))
  if (value === undefined) return { count: 0, maxGt: 0 }
  const meta = decodeMeta(value)
  if (meta === null) throw new BloomwalkError('STORE_CORRUPT', 'malformed overlay meta row')
  return meta
}

/**
 * Bytes a bounded range iterator (a `limit` or `maxRows`: answers, offers) reads ahead per
 * batch. An answer stops at its response budget (a few kilobytes) and a scan at its row cap,
 * so 64 KiB is a few batches at most; 1 MiB per iterator kept ~230 MB of native memory
 * resident after a flood of offers (docs/security.md, "A datagram flood"). Unbounded scans
 * (sketch build, checks) read ahead {@link FULL_SCAN_READ_AHEAD_BYTES}: half the time of a
 * 100 000-row scan at 64 KiB.
 */
export const RANGE_READ_AHEAD_BYTES = 64 * 1024
export const FULL_SCAN_READ_AHEAD_BYTES = 1 << 20

/** A row iterator over the query's key range (the scan seeks inside it). */
export function openIterator(db: Db, q: NormalizedRange) {
  try {
    return db.iterator({
      gte: rowBound(q.overlay, q.from, 0x00),
      lte: rowBound(q.overlay, q.to, 0xff),
      reverse: q.desc,
      highWaterMarkBytes: Number.isFinite(q.limit) || Number.isFinite(q.maxRows) ? RANGE_READ_AHEAD_BYTES : FULL_SCAN_READ_AHEAD_BYTES,
      ...(q.signal === undefined ? {} : { signal: q.signal })
    })
  } catch (err) {
    throw mapError(err)
  }
}

/**
 * Level errors → BloomwalkError, with the cause's code and message in the message (LevelDB's
 * reason sits in the cause chain). `context` says what was being done ("cannot open the store
 * at …"). LEVEL_CORRUPTION anywhere in the chain → STORE_CORRUPT; an abort → ABORTED; the
 * database or iterator closed under the caller → STORE_NOT_OPEN; everything else (disk full,
 * permissions, locks, I/O) → STORE_IO_ERROR.
 */
export function mapError(err: unknown, context = 'store operation failed'): BloomwalkError {
  if (err instanceof BloomwalkError) return err
  const codes: string[] = []
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string') codes.push(code)
  }
  const why = describeCause(err)
  if (codes.includes('LEVEL_ABORTED')) return new BloomwalkError('ABORTED', 'range scan aborted', { cause: err })
  if (codes.includes('LEVEL_CORRUPTION')) return new BloomwalkError('STORE_CORRUPT', `${context}: ${why}`, { cause: err })
  if (codes.length === 1 && (codes[0] === 'LEVEL_DATABASE_NOT_OPEN' || codes[0] === 'LEVEL_ITERATOR_NOT_OPEN')) {
    return new BloomwalkError('STORE_NOT_OPEN', `store is not open (${why})`, { cause: err })
  }
  return new BloomwalkError('STORE_IO_ERROR', `${context}: ${why}`, { cause: err })
}

/** Short-id keys written per batch while building the index. */
const SHORT_BUILD_BATCH = 4096

/**
 * Builds the short-id index of a store written before it existed, or after a repair (once:
 * then {@link SHORT_INDEXED_KEY} is set): clears every short-id key, writes one per row (keys
 * only are read), and sets the mark last, so an interrupted build starts over at the next open.
 */
export async function buildShortIndex(db: Db, sync: boolean): Promise<void> {
  await db.clear({ gte: Uint8Array.of(TAG_SHORT), lt: Uint8Array.of(TAG_SHORT + 1) })
  let batch = db.batch()
  let queued = 0
  for await (const key of db.keys({ gte: Uint8Array.of(TAG_ROW), lt: Uint8Array.of(TAG_ROW + 1), highWaterMarkBytes: FULL_SCAN_READ_AHEAD_BYTES })) {
    if (key.length !== ROW_KEY_BYTES) continue
    batch.put(shortKey(key.subarray(1, 33), rowKeyId(key)), EMPTY)
    if (++queued === SHORT_BUILD_BATCH) {
      await batch.write()
      batch = db.batch()
      queued = 0
    }
  }
  batch.put(SHORT_INDEXED_KEY, EMPTY)
  await batch.write({ sync })
}
