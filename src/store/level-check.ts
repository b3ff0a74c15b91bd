/**
 * `bloomwalk store check` and `repair` over one LevelStore folder (docs/store.md, "Check and
 * repair"). Check reads every row, id-index entry and meta row and says what is wrong; it
 * never creates a database and opens one only when its CURRENT is valid (LevelDB's recovery
 * then turns logs into tables, as any open does). Repair first copies the whole folder next
 * to it, then runs LevelDB's own repair (RepairDB: rebuilds the manifest and CURRENT from the
 * tables and logs it finds), then rebuilds the store's index and meta rows from the rows that
 * decode. It never deletes a row; it deletes only id-index entries whose row is gone, and the
 * persisted sketches and by-author indexes (the next join rebuilds them).
 */
import { cp } from 'node:fs/promises'
import { Level } from 'level'
import { decodeBundle, MAX_BODY_FIELD, MAX_PARENTS_FIELD } from '../bundle/codec.js'
import { BloomwalkError } from '../errors.js'
import { mapError, type Db } from './level-db.js'
import { inspectFolder, recoveryDrops, truncatedLogs, type TruncatedLog } from './level-files.js'
import { byIdKey, decodeGt, decodeMeta, encodeMeta, FORMAT_KEY, metaKey, rowKey, rowKeyGlobalTime, rowKeyId, ROW_KEY_BYTES, SHORT_INDEXED_KEY, STORE_FORMAT_VERSION, TAG_BY_ID, TAG_META, TAG_ROW } from './level-keys.js'
import { nativeBundleId } from './level.js'
import { SKETCH_KEY_RANGE } from './level-sketch.js'
import { AUTHOR_KEY_RANGE } from './level-authors.js'
import { compareBytes, hexKey } from './range.js'

/** What one overlay of a store holds. */
export interface OverlayCheck {
  overlay: string
  /** Rows that decode and match their key. */
  rows: number
  /** Rows that do not (kept; reads skip them). */
  corrupt: number
  /** The count in the overlay's meta row (−1 when the meta row is missing or malformed). */
  metaCount: number
  /** Rows without an id-index entry (not found by `has`/`get`). */
  unindexed: number
  /** Id-index entries whose row is gone. */
  dangling: number
}

/** The verdict on one store folder. */
export interface StoreCheck {
  location: string
  /** ok: opens and is consistent; damaged: opens, but something is off; unopenable: it does not open. */
  state: 'absent' | 'empty' | 'ok' | 'damaged' | 'unopenable'
  /** Why it does not open, or what is off. */
  problems: string[]
  truncatedLogs: TruncatedLog[]
  /** LevelDB info-log lines of this open that report dropped data. */
  dropped: string[]
  overlays: OverlayCheck[]
}

/** In Node, `level`'s Level is classic-level's ClassicLevel (level/index.js); only the latter types its static `repair`. */
interface RepairableLevel {
  repair(location: string): Promise<void>
}

const DECODE_LIMITS = { maxParents: MAX_PARENTS_FIELD, maxBody: MAX_BODY_FIELD }

/** Checks the store at `location` (see the module comment for what it touches). */
export async function checkLevelStore(location: string): Promise<StoreCheck> {
  const result: StoreCheck = { location, state: 'ok', problems: [], truncatedLogs: [], dropped: [], overlays: [] }
  try {
    const folder = await inspectFolder(location)
    if (folder.kind !== 'database') return { ...result, state: folder.kind }
  } catch (err) {
    return { ...result, state: 'unopenable', problems: [err instanceof Error ? err.message : String(err)] }
  }
  result.truncatedLogs = await truncatedLogs(location)
  const db = await openRaw(location, false).catch((err: unknown) => err as Error)
  if (db instanceof Error) return { ...result, state: 'unopenable', problems: [db.message] }
  try {
    result.dropped = await recoveryDrops(location)
    result.overlays = await scan(db)
  } finally {
    await db.close()
  }
  for (const t of result.truncatedLogs) result.problems.push(`${t.file} ends inside a record: bytes ${t.at}–${t.size} were dropped at open`)
  for (const line of result.dropped) result.problems.push(`LevelDB recovery: ${line}`)
  for (const o of result.overlays) {
    if (o.corrupt > 0) result.problems.push(`overlay ${o.overlay}: ${o.corrupt} corrupt rows`)
    if (o.metaCount !== o.rows + o.corrupt) result.problems.push(`overlay ${o.overlay}: meta count ${o.metaCount}, rows ${o.rows + o.corrupt}`)
    if (o.unindexed > 0) result.problems.push(`overlay ${o.overlay}: ${o.unindexed} rows missing from the id index`)
    if (o.dangling > 0) result.problems.push(`overlay ${o.overlay}: ${o.dangling} id-index entries without a row`)
  }
  if (result.problems.length > 0) result.state = 'damaged'
  return result
}

/** Where {@link repairLevelStore} copied the folder, and the check after the repair. */
export interface StoreRepair {
  backup: string
  after: StoreCheck
}

/**
 * Copies `location` to `backup` (which must not exist), runs LevelDB's repair on `location`,
 * then rebuilds the id index and meta rows from the rows that decode.
 * @throws {BloomwalkError} STORE_IO_ERROR when the copy or LevelDB's repair fails (the folder is then as LevelDB left it; the copy is intact)
 */
export async function repairLevelStore(location: string, backup: string): Promise<StoreRepair> {
  try {
    await cp(location, backup, { recursive: true, errorOnExist: true, force: false })
  } catch (err) {
    throw new BloomwalkError('STORE_IO_ERROR', `cannot copy ${location} to ${backup} before repairing; nothing was changed: ${(err as Error).message}`, { cause: err })
  }
  try {
    await (Level as unknown as RepairableLevel).repair(location)
  } catch (err) {
    throw mapError(err, `LevelDB's repair of ${location} failed (the copy at ${backup} is intact)`)
  }
  const db = await openRaw(location, false)
  try {
    await reindex(db)
    // The persisted sketches described the rows before the repair: the next join rebuilds them.
    await db.clear(SKETCH_KEY_RANGE)
    // So did the by-author indexes: the next join under a quota or a history scans and saves them again.
    await db.clear(AUTHOR_KEY_RANGE)
  } finally {
    await db.close()
  }
  return { backup, after: await checkLevelStore(location) }
}

async function openRaw(location: string, createIfMissing: boolean): Promise<Db> {
  const db = new Level<Uint8Array, Uint8Array>(location, { keyEncoding: 'view', valueEncoding: 'view', createIfMissing })
  try {
    await db.open()
  } catch (err) {
    await db.close().catch(() => undefined)
    throw mapError(err, `cannot open the store at ${location}`)
  }
  return db
}

/** Whether a row value is the bundle its key names. */
function rowIsValid(overlay: Uint8Array, key: Uint8Array, value: Uint8Array): boolean {
  const bundle = decodeBundle(new Uint8Array(value.buffer, value.byteOffset, value.byteLength), DECODE_LIMITS, nativeBundleId)
  return bundle !== null && bundle.globalTime === rowKeyGlobalTime(key) && compareBytes(bundle.id, rowKeyId(key)) === 0 && compareBytes(bundle.overlay, overlay) === 0
}

interface Tally extends OverlayCheck {
  id: Uint8Array
  maxGt: number
  metaMaxGt: number
}

function tallyOf(map: Map<string, Tally>, overlay: Uint8Array): Tally {
  const key = hexKey(overlay)
  let t = map.get(key)
  if (t === undefined) {
    t = { overlay: key, id: overlay.slice(), rows: 0, corrupt: 0, metaCount: -1, unindexed: 0, dangling: 0, maxGt: 0, metaMaxGt: 0 }
    map.set(key, t)
  }
  return t
}

async function scan(db: Db): Promise<OverlayCheck[]> {
  const tallies = await tally(db)
  return [...tallies.values()].map(({ overlay, rows, corrupt, metaCount, unindexed, dangling }) => ({ overlay, rows, corrupt, metaCount, unindexed, dangling }))
}

/** Reads every row, id-index entry and meta row. */
async function tally(db: Db, onRow?: (t: Tally, key: Uint8Array, valid: boolean, indexed: boolean) => void, onDangling?: (key: Uint8Array) => void): Promise<Map<string, Tally>> {
  const tallies = new Map<string, Tally>()
  for await (const [key, value] of db.iterator({ gte: Uint8Array.of(TAG_ROW), lt: Uint8Array.of(TAG_ROW + 1) })) {
    if (key.length !== ROW_KEY_BYTES) continue
    const overlay = key.subarray(1, 33)
    const t = tallyOf(tallies, overlay)
    const valid = rowIsValid(overlay, key, value)
    const indexValue = await db.get(byIdKey(overlay, rowKeyId(key)))
    const indexed = indexValue !== undefined && decodeGt(indexValue) === rowKeyGlobalTime(key)
    if (valid) {
      t.rows++
      t.maxGt = Math.max(t.maxGt, rowKeyGlobalTime(key))
    } else t.corrupt++
    if (!indexed) t.unindexed++
    onRow?.(t, key, valid, indexed)
  }
  for await (const [key, value] of db.iterator({ gte: Uint8Array.of(TAG_BY_ID), lt: Uint8Array.of(TAG_BY_ID + 1) })) {
    const overlay = key.subarray(1, 33)
    const gt = decodeGt(value)
    const row = gt === null ? undefined : await db.get(rowKey(overlay, gt, key.subarray(33)))
    if (row === undefined) {
      tallyOf(tallies, overlay).dangling++
      onDangling?.(key)
    }
  }
  for await (const [key, value] of db.iterator({ gte: Uint8Array.of(TAG_META), lt: Uint8Array.of(TAG_META + 1) })) {
    const t = tallyOf(tallies, key.subarray(1, 33))
    const meta = decodeMeta(value)
    t.metaCount = meta?.count ?? -1
    t.metaMaxGt = meta?.maxGt ?? 0
  }
  return tallies
}

/**
 * After LevelDB's repair: every row gets its id-index entry, id-index entries without a row
 * go, and each overlay's meta row is rewritten from the rows (count of all rows, decodable or
 * not, as the store counts them; the maximum global time never goes down).
 */
async function reindex(db: Db): Promise<void> {
  const batch = db.batch()
  const tallies = await tally(
    db,
    (_t, key, _valid, indexed) => {
      if (!indexed) batch.put(byIdKey(key.subarray(1, 33), rowKeyId(key)), key.subarray(33, 41).slice())
    },
    (key) => batch.del(key.slice())
  )
  for (const t of tallies.values()) {
    batch.put(metaKey(t.id), encodeMeta({ count: t.rows + t.corrupt, maxGt: Math.max(t.maxGt, t.metaMaxGt) }))
  }
  if ((await db.get(FORMAT_KEY)) === undefined) batch.put(FORMAT_KEY, Uint8Array.of(STORE_FORMAT_VERSION))
  // The short-id index is rebuilt from the rows at the next open.
  batch.del(SHORT_INDEXED_KEY)
  await batch.write({ sync: true })
}
