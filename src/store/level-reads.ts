/**
 * The reads of a {@link LevelStore} (./level.ts), each given the open handle: a row by id
 * (through the id index), the rows under a short id, the state entries under a prefix, and
 * the two scans — a range query by global time with a modulo filter, and the undelivered
 * bundles — which read in `nextv` batches from an iterator they close and map LevelDB's errors
 * to the store's. A row that fails to decode or that an index points at in vain is counted and
 * logged by the row codec, never thrown.
 */
import type { Bundle } from '../bundle/types.js'
import { throwIfAborted, type NormalizedRange } from './abstract.js'
import { type BatchOp, type Db, mapError, openIterator } from './level-db.js'
import { byIdKey, decodeGt, rowBound, rowKey, rowKeyGlobalTime, rowKeyId, shortBound, shortKeyId, stateKey, TAG_STATE, undeliveredBound, undeliveredKey } from './level-keys.js'
import { plainView, type RowCodec } from './level-rows.js'
import { compareBytes, nextPassing, passesModulo, prevPassing } from './range.js'
import type { RecentIds } from './recent-ids.js'
import { MAX_SHORT_ID_MATCHES } from './types.js'

/** From this modulo on, a scan seeks over failing global times instead of reading them. */
export const JUMP_MIN_MODULO = 4
/** Rows per `nextv` call of a sequential scan. */
const SCAN_BATCH = 256
/** Rows per `nextv` call right after a seek (a global time rarely holds more). */
const JUMP_BATCH = 2

/** The bundle stored under `id`, by two synchronous point reads (id index, then row); an index entry without its row is counted corrupt. */
export function readRow(db: Db, overlay: Uint8Array, id: Uint8Array, rows: RowCodec): Bundle | undefined {
  const gtValue = db.getSync(byIdKey(overlay, id))
  if (gtValue === undefined) return undefined
  const gt = decodeGt(gtValue)
  const key = gt === null ? undefined : rowKey(overlay, gt, id)
  const value = key === undefined ? undefined : db.getSync(key)
  if (key === undefined || value === undefined) {
    rows.corrupt(byIdKey(overlay, id), key === undefined ? 'id index holds a malformed global time' : 'id index points at a missing row')
    return undefined
  }
  return rows.decode(overlay, key, value)
}

/**
 * The bundles stored under the 8-byte short id `short` (at most {@link MAX_SHORT_ID_MATCHES}), by
 * global time then id: the index's keys in one `nextv` call (a for-await would make one more
 * for the end), the rows by {@link readRow}'s synchronous point reads. Catch-up asks this for
 * every short id it decodes or checks, tens of thousands of times in a busy room, and each
 * asynchronous LevelDB call costs a round trip through libuv's pool (issue 22: the profile of
 * a 30-peer demo showed this look-up at 12 % of the process's CPU).
 */
export async function readByShortId(db: Db, overlay: Uint8Array, short: Uint8Array, rows: RowCodec): Promise<Bundle[]> {
  const it = db.keys({ gte: shortBound(overlay, short, 0x00), lte: shortBound(overlay, short, 0xff), limit: MAX_SHORT_ID_MATCHES })
  let keys: Uint8Array[]
  try {
    keys = await it.nextv(MAX_SHORT_ID_MATCHES)
  } finally {
    await it.close()
  }
  const out: Bundle[] = []
  for (const key of keys) {
    const bundle = readRow(db, overlay, shortKeyId(key), rows)
    if (bundle !== undefined) out.push(bundle)
  }
  return out.sort((a, b) => a.globalTime - b.globalTime || compareBytes(a.id, b.id))
}

/** The node's state entries whose names start with `prefix`, by name. */
export async function readStateEntries(db: Db, prefix: string): Promise<Array<[string, Uint8Array]>> {
  const low = stateKey(prefix)
  // Every key with this prefix sorts below the prefix followed by 0xff bytes (UTF-8 never holds 0xff).
  const high = new Uint8Array(low.length + 1)
  high.set(low)
  high[low.length] = 0xff
  const out: Array<[string, Uint8Array]> = []
  const decoder = new TextDecoder()
  for await (const [key, value] of db.iterator({ gte: low, lt: high })) {
    if (key[0] !== TAG_STATE) break
    out.push([decoder.decode(key.subarray(1)), plainView(value)])
  }
  return out
}

/** The undelivered bundles of `overlay` (their marks, then their rows), in key order. A mark without its row is counted corrupt and skipped. */
export async function* scanUndelivered(db: Db, overlay: Uint8Array, rows: RowCodec, location: string): AsyncGenerator<Bundle> {
  const it = db.keys({ gte: undeliveredBound(overlay, 0x00), lte: undeliveredBound(overlay, 0xff) })
  try {
    for (;;) {
      const keys = await it.nextv(SCAN_BATCH)
      if (keys.length === 0) return
      for (const mark of keys) {
        const key = rowKey(overlay, rowKeyGlobalTime(mark), rowKeyId(mark))
        const value = await db.get(key)
        if (value === undefined) {
          rows.corrupt(mark, 'undelivered mark without its row')
          continue
        }
        const bundle = rows.decode(overlay, key, value)
        if (bundle !== undefined) yield bundle
      }
    }
  } catch (err) {
    throw mapError(err, `reading the store at ${location} failed`)
  } finally {
    await it.close().catch(() => undefined)
  }
}

/**
 * The rows of a normalized range query, in `nextv` batches; with modulo ≥ {@link JUMP_MIN_MODULO}
 * it seeks to the next global time that passes the filter, so it reads about
 * 2·(span/modulo) + yielded rows instead of every row in the range. Counts every row read.
 */
export async function* scanRange(db: Db, q: NormalizedRange, codec: RowCodec, counters: { rowsRead: number }, location: string): AsyncGenerator<Bundle> {
  const { overlay, modulo, offset, desc } = q
  const jump = modulo >= JUMP_MIN_MODULO
  // Seek target of the first key of global time `gt` in scan direction.
  const target = (gt: number) => rowBound(overlay, gt, desc ? 0xff : 0x00)
  const outside = (gt: number) => (desc ? gt < q.from : gt > q.to)
  const it = openIterator(db, q)
  let rows = 0
  let yielded = 0
  let batch = jump ? JUMP_BATCH : SCAN_BATCH
  try {
    if (jump) {
      const first = desc ? prevPassing(q.to, modulo, offset) : nextPassing(q.from, modulo, offset)
      if (outside(first)) return
      it.seek(target(first))
    }
    for (;;) {
      throwIfAborted(q.signal)
      let size = Math.min(batch, q.maxRows - rows)
      if (!jump) size = Math.min(size, (q.limit - yielded) * modulo)
      const entries = await it.nextv(size)
      if (entries.length === 0) return
      let allPass = true
      let lastGt = 0
      for (const [key, value] of entries) {
        rows++
        counters.rowsRead++
        lastGt = rowKeyGlobalTime(key)
        if (!passesModulo(lastGt, modulo, offset)) {
          allPass = false
          continue
        }
        const bundle = codec.decode(overlay, key, value)
        if (bundle === undefined) continue
        throwIfAborted(q.signal)
        yield bundle
        if (++yielded >= q.limit) return
      }
      if (rows >= q.maxRows) return
      if (!jump) continue
      if (passesModulo(lastGt, modulo, offset)) {
        // Inside a passing global time: read on, more rows per call while all pass.
        batch = allPass ? Math.min(batch * 2, SCAN_BATCH) : JUMP_BATCH
        continue
      }
      const next = desc ? prevPassing(lastGt, modulo, offset) : nextPassing(lastGt, modulo, offset)
      if (outside(next)) return
      it.seek(target(next))
      batch = JUMP_BATCH
    }
  } catch (err) {
    throw mapError(err, `reading the store at ${location} failed`)
  } finally {
    await it.close().catch(() => undefined)
  }
}

/** Whether a stored bundle is marked undelivered (its global time from the ids committed lately, else the id index). */
export function readUndelivered(db: Db, overlay: Uint8Array, id: Uint8Array, recent: RecentIds): boolean {
  const idKey = byIdKey(overlay, id)
  const known = recent.globalTime(idKey)
  const gtValue = known === undefined ? db.getSync(idKey) : undefined
  const gt = known ?? (gtValue === undefined ? null : decodeGt(gtValue))
  return gt !== null && db.getSync(undeliveredKey(overlay, gt, id)) !== undefined
}

/** Clears the undelivered marks of stored bundles in one batch (ids not stored are skipped); run in the write queue. */
export async function clearUndelivered(db: Db, overlay: Uint8Array, ids: readonly Uint8Array[], recent: RecentIds, sync: boolean): Promise<void> {
  const idKeys = ids.map((id) => byIdKey(overlay, id))
  const gts: (number | null)[] = idKeys.map((k) => recent.globalTime(k) ?? null)
  const unknown = idKeys.flatMap((k, i) => (gts[i] === null ? [i] : []))
  if (unknown.length > 0) {
    const values = await db.getMany(unknown.map((i) => idKeys[i]!))
    unknown.forEach((i, j) => (gts[i] = values[j] === undefined ? null : decodeGt(values[j]!)))
  }
  const ops: BatchOp[] = []
  for (let i = 0; i < ids.length; i++) {
    const gt = gts[i]
    if (gt !== null && gt !== undefined) ops.push({ type: 'del', key: undeliveredKey(overlay, gt, ids[i]!) })
  }
  if (ops.length > 0) await db.batch(ops, { sync })
}
