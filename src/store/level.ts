/**
 * The LevelDB {@link BundleStore} (classic-level, via `level`). Key layout in
 * `level-keys.ts` and docs/store.md. Every write is ONE atomic batch of bundle row, id index
 * and overlay meta (count, max global time); writes are serialized per store by a promise
 * queue, so the meta counters never race. A write resolves once LevelDB has appended the
 * batch to its log (`sync: false`: survives a process crash, not a power loss); with
 * `{ sync: true }` it resolves after fsync (survives a power loss, much slower).
 *
 * Range scans read in `nextv` batches; with modulo ≥ {@link JUMP_MIN_MODULO} they `seek`
 * to the next global time that passes the filter, so a scan reads about
 * 2·(span/modulo) + yielded rows instead of every row in the range (./level-reads.ts).
 * A row that fails to decode or does not match its key is skipped, counted in `corruptRows`
 * and logged (rate-limited) with its key.
 *
 * Durability contract (docs/store.md): a write that resolves is in LevelDB's log and survives
 * kill -9 and a restart. A write that LevelDB reports failed (disk full, I/O error) rejects
 * with STORE_IO_ERROR, and the store then closes its handle at once — LevelDB's log writer is
 * out of step with its file after a failed append, so anything appended to that log later
 * would be lost at the next open — and refuses reads and writes until it has re-opened the
 * database (LevelDB re-reads and checks its log and manifest), at most once per `retryMs`.
 * Opening never creates a database over a folder that holds LevelDB files.
 *
 * The ids committed last ({@link RecentIds}) answer `has` for bundles that arrive again
 * without a disk read: in a busy room most arrivals are such duplicates.
 *
 * Point reads on the intake and delivery paths (`has`, `get`, `isUndelivered`, the
 * presence check of a small put) are synchronous (`getSync`): LevelDB answers them from its
 * block cache or the page cache in a few µs, while an asynchronous read costs ~50 µs of CPU in
 * thread hand-offs (measured: 56 µs vs 6 µs per awaited read), the largest cost of a busy
 * room's intake. Scans and large look-ups stay asynchronous.
 *
 * Its parts: the handle, its write queue and failure state (./level-handle.ts), the row codec
 * (./level-rows.ts), group commit (./level-put.ts), the reads and scans (./level-reads.ts), the
 * persisted sketches and the by-author index carried in the row batches (./level-indexes.ts,
 * ./level-sketch.ts, ./level-authors.ts), the key layout (./level-keys.ts).
 */
import type { Bundle } from '../bundle/types.js'
import type { Logger } from '../env/logger.js'
import { BloomwalkError } from '../errors.js'
import { LevelHandle, type OpenReport } from './level-handle.js'
import { GroupCommit, MAX_PUT_GROUP } from './level-put.js'
import { nativeBundleId, plainView, RowCodec } from './level-rows.js'
import { RecentIds } from './recent-ids.js'
import { clearUndelivered, JUMP_MIN_MODULO, readByShortId, readRow, readStateEntries, readUndelivered, scanRange, scanUndelivered } from './level-reads.js'
import { AbstractBundleStore, invalid, type NormalizedRange } from './abstract.js'
import { type BatchOp, type Db, readMeta, rowOps } from './level-db.js'
import { byIdKey, decodeGt, encodeMeta, metaKey, type OverlayMeta, rowKey, shortKey, undeliveredKey, stateKey } from './level-keys.js'
import type { AuthoredRow, AuthorIndexStore, SketchStore, SketchSummary, StateStore } from './types.js'
import { RowIndexes } from './level-indexes.js'
import type { Sketch } from '../reconcile/sketch.js'
import { hexKey } from './range.js'

export { JUMP_MIN_MODULO, MAX_PUT_GROUP, nativeBundleId, type OpenReport }

/** Options of {@link LevelStore}. */
export interface LevelStoreOptions {
  /** fsync every write before it resolves (power-loss durability). Default false. */
  sync?: boolean
  /**
   * LevelDB write buffer (memtable) in bytes; up to two are held in memory. Default 32 MiB
   * (LevelDB's 4 MiB slows bulk sync with frequent level-0 compactions).
   */
  writeBufferSize?: number
  /**
   * Snappy block compression. Default false: bundles are mostly ids, keys and signatures,
   * which do not compress; trying costs CPU on every write.
   */
  compression?: boolean
  /** Where corrupt rows, recovery reports and I/O failures are logged. Default: nowhere. */
  logger?: Logger
  /** After a failed write, the least time between two attempts to re-open (ms). Default 1 000. */
  retryMs?: number
  /** Milliseconds clock for `retryMs` (injected in tests). Default `Date.now`. */
  now?: () => number
}

/** Default {@link LevelStoreOptions.writeBufferSize}. */
export const DEFAULT_WRITE_BUFFER_SIZE = 32 * 1024 * 1024

/** Most keys a put checks for presence with synchronous reads; more go in one asynchronous getMany. */
const MAX_SYNC_LOOKUPS = 64
/** The LevelDB backend. `new LevelStore(path)`, then `open()` (creates the directory). */
export class LevelStore extends AbstractBundleStore implements StateStore, SketchStore, AuthorIndexStore {
  /** The database directory. */
  readonly location: string
  readonly #sync: boolean
  readonly #log: Logger | undefined
  /** The LevelDB handle, the write queue and the failure state. */
  readonly #db: LevelHandle
  readonly #rows: RowCodec
  readonly #puts: GroupCommit
  /** Meta rows as committed; only the write queue fills it (so it never goes stale). */
  readonly #meta = new Map<string, OverlayMeta>()
  /** Ids committed lately with their global times; only the write queue fills it. */
  readonly #recent = new RecentIds()
  /** The persisted sketches and by-author indexes: their entries and keys join the row batches (level-indexes.ts). */
  readonly #indexes: RowIndexes

  /** @throws {BloomwalkError} INVALID_ARGUMENT for an empty location or a bad writeBufferSize */
  constructor(location: string, options: LevelStoreOptions = {}) {
    super()
    if (typeof location !== 'string' || location === '') throw invalid('location must be a non-empty path')
    const writeBufferSize = options.writeBufferSize ?? DEFAULT_WRITE_BUFFER_SIZE
    if (!Number.isSafeInteger(writeBufferSize) || writeBufferSize < 64 * 1024) throw invalid('writeBufferSize must be an integer ≥ 64 KiB')
    const retryMs = options.retryMs ?? 1000
    if (!Number.isFinite(retryMs) || retryMs < 0) throw invalid('retryMs must be a number ≥ 0')
    this.location = location
    this.#sync = options.sync === true
    this.#log = options.logger
    this.#db = new LevelHandle({
      location,
      sync: this.#sync,
      writeBufferSize,
      compression: options.compression === true,
      log: options.logger,
      retryMs,
      now: options.now ?? Date.now,
      onFail: () => {
        this.#meta.clear()
        this.#recent.clear()
        this.#indexes.forget()
      }
    })
    this.#rows = new RowCodec(this.counters, options.logger, location)
    this.#puts = new GroupCommit((fn) => this.#write(fn), (db, bundles) => this.#putRows(db, bundles))
    this.#indexes = new RowIndexes({
      write: (fn) => this.#write(fn),
      read: (fn) => this.#read(fn),
      count: async (db, overlay) => (await this.#loadMeta(db, overlay)).count,
      rows: this.#rows,
      log: options.logger,
      location,
      sync: this.#sync
    })
  }

  /** The failed write that keeps the store from serving, until a re-open succeeds; else undefined. */
  get failure(): BloomwalkError | undefined {
    return this.#db.failure
  }

  /** What the last successful open found in LevelDB's recovery (truncated logs, dropped bytes). */
  get openReport(): OpenReport {
    return this.#db.openReport
  }

  protected async _open(): Promise<void> {
    await this.#db.open()
  }

  protected async _close(): Promise<void> {
    await this.#db.close(() => {
      this.#meta.clear()
      this.#recent.clear()
      this.#indexes.reset()
    })
  }

  /** Committed with the puts waiting meanwhile, in one batch of at most {@link MAX_PUT_GROUP} (./level-put.ts). */
  protected _put(bundle: Bundle): Promise<boolean> {
    return this.#puts.put(bundle)
  }

  protected async _putMany(bundles: readonly Bundle[]): Promise<number> {
    const added = await this.#write((db) => this.#putRows(db, bundles))
    return added.filter(Boolean).length
  }

  /** Writes the rows of `bundles` not held yet in one batch; per bundle, whether it was added (a repeat within `bundles` is not). */
  async #putRows(db: Db, bundles: readonly Bundle[]): Promise<boolean[]> {
    const added = bundles.map(() => false)
    // First occurrence of each (overlay, id) only, and not one committed lately; the id-index key is that pair.
    const seen = new Set<string>()
    const candidates: number[] = []
    const idKeys: Uint8Array[] = []
    for (let i = 0; i < bundles.length; i++) {
      const b = bundles[i]!
      const idKey = byIdKey(b.overlay, b.id)
      const text = Buffer.from(idKey.buffer, idKey.byteOffset, idKey.byteLength).toString('latin1')
      if (seen.has(text)) continue
      seen.add(text)
      if (this.#recent.globalTime(idKey) !== undefined) continue
      candidates.push(i)
      idKeys.push(idKey)
    }
    if (candidates.length === 0) return added
    const present = idKeys.length <= MAX_SYNC_LOOKUPS ? idKeys.map((k) => db.getSync(k)) : await db.getMany(idKeys)
    const metas = new Map<string, { overlay: Uint8Array; meta: OverlayMeta }>()
    const fresh: number[] = []
    for (let j = 0; j < candidates.length; j++) {
      if (present[j] !== undefined) continue
      const b = bundles[candidates[j]!]!
      const overlayKey = hexKey(b.overlay)
      let entry = metas.get(overlayKey)
      if (entry === undefined) {
        entry = { overlay: b.overlay, meta: { ...(await this.#loadMeta(db, b.overlay)) } }
        metas.set(overlayKey, entry)
        await this.#indexes.prepare(db, b.overlay)
      }
      entry.meta.count++
      if (b.globalTime > entry.meta.maxGt) entry.meta.maxGt = b.globalTime
      fresh.push(j)
    }
    if (fresh.length === 0) return added
    // Filled synchronously, so nothing can fail between creating and writing it.
    const batch = db.batch()
    for (const j of fresh) {
      const b = bundles[candidates[j]!]!
      for (const op of rowOps(b)) batch.put(op.key, op.value)
      for (const op of this.#indexes.putOps(b)) batch.put(op.key, op.value)
    }
    for (const { overlay, meta } of metas.values()) batch.put(metaKey(overlay), encodeMeta(meta))
    await batch.write({ sync: this.#sync })
    for (const { overlay } of metas.values()) this.#indexes.committed(overlay)
    for (const [overlayKey, { meta }] of metas) this.#meta.set(overlayKey, meta)
    for (const j of fresh) {
      const i = candidates[j]!
      added[i] = true
      this.#recent.add(idKeys[j]!, bundles[i]!.globalTime)
    }
    return added
  }

  protected _get(overlay: Uint8Array, id: Uint8Array): Promise<Bundle | undefined> {
    return this.#read(async (db) => readRow(db, overlay, id, this.#rows))
  }

  protected _byShortId(overlay: Uint8Array, short: Uint8Array): Promise<Bundle[]> {
    return this.#read((db) => readByShortId(db, overlay, short, this.#rows))
  }

  protected _has(overlay: Uint8Array, id: Uint8Array): Promise<boolean> {
    const idKey = byIdKey(overlay, id)
    // Cleared when a write fails, so a hit never bypasses a store that does not serve.
    if (this.#recent.globalTime(idKey) !== undefined) return Promise.resolve(true)
    return this.#read(async (db) => db.getSync(idKey) !== undefined)
  }

  protected async _count(overlay: Uint8Array): Promise<number> {
    return (await this.#peekMeta(overlay)).count
  }

  protected async _maxGlobalTime(overlay: Uint8Array): Promise<number> {
    return (await this.#peekMeta(overlay)).maxGt
  }

  protected _delete(overlay: Uint8Array, id: Uint8Array): Promise<boolean> {
    return this.#write(async (db) => {
      const idKey = byIdKey(overlay, id)
      const gtValue = await db.get(idKey)
      if (gtValue === undefined) return false
      const gt = decodeGt(gtValue)
      if (gt === null) throw new BloomwalkError('STORE_CORRUPT', `malformed id index entry ${hexKey(idKey)} in the store at ${this.location}`)
      const meta = await this.#loadMeta(db, overlay)
      const next = { count: Math.max(0, meta.count - 1), maxGt: meta.maxGt }
      const ops: BatchOp[] = [
        { type: 'del', key: rowKey(overlay, gt, id) },
        { type: 'del', key: idKey },
        { type: 'del', key: shortKey(overlay, id) },
        { type: 'del', key: undeliveredKey(overlay, gt, id) },
        { type: 'put', key: metaKey(overlay), value: encodeMeta(next) }
      ]
      ops.push(...(await this.#indexes.deleteOps(db, overlay, gt, id)))
      await db.batch(ops, { sync: this.#sync })
      this.#indexes.committed(overlay)
      this.#meta.set(hexKey(overlay), next)
      this.#recent.delete(idKey)
      return true
    })
  }

  loadSketch(overlay: Uint8Array, kinds: Uint8Array, into: Sketch): Promise<SketchSummary | undefined> {
    this.assertOpen()
    return this.#indexes.loadSketch(overlay, kinds, into)
  }

  sketchMark(overlay: Uint8Array): number {
    return this.#indexes.sketchMark(overlay)
  }

  saveSketch(overlay: Uint8Array, kinds: Uint8Array, sketch: Sketch, summary: SketchSummary, mark: number): Promise<boolean> {
    this.assertOpen()
    return this.#indexes.saveSketch(overlay, kinds, sketch, summary, mark)
  }

  authorIndexNote(overlay: Uint8Array): Promise<Uint8Array | undefined> {
    this.assertOpen()
    return this.#indexes.authorIndexNote(overlay)
  }

  authorRows(overlay: Uint8Array, author: Uint8Array): Promise<Array<{ globalTime: number; id: Uint8Array }>> {
    return this.#indexes.authorRows(overlay, author)
  }

  saveAuthorIndex(overlay: Uint8Array, rows: Iterable<AuthoredRow> | undefined, note: Uint8Array, mark: number): Promise<boolean> {
    this.assertOpen()
    return this.#indexes.saveAuthorIndex(overlay, rows, note, mark)
  }

  protected _markDelivered(overlay: Uint8Array, ids: readonly Uint8Array[]): Promise<void> {
    // Through the write queue: a mark is never cleared before the put that set it commits.
    return this.#write((db) => clearUndelivered(db, overlay, ids, this.#recent, this.#sync))
  }

  protected _isUndelivered(overlay: Uint8Array, id: Uint8Array): Promise<boolean> {
    return this.#read(async (db) => readUndelivered(db, overlay, id, this.#recent))
  }

  protected async *_undelivered(overlay: Uint8Array): AsyncGenerator<Bundle> {
    await this.#healthy()
    yield* scanUndelivered(this.#handle(), overlay, this.#rows, this.location)
  }

  protected async *_range(q: NormalizedRange): AsyncGenerator<Bundle> {
    await this.#healthy()
    yield* scanRange(this.#handle(), q, this.#rows, this.counters, this.location)
  }

  /** The committed meta row; caches it (call only from the write queue). */
  async #loadMeta(db: Db, overlay: Uint8Array): Promise<OverlayMeta> {
    const key = hexKey(overlay)
    const cached = this.#meta.get(key)
    if (cached !== undefined) return cached
    const meta = await readMeta(db, overlay)
    this.#meta.set(key, meta)
    return meta
  }

  /** The meta row for a reader: from the cache, else from disk without caching. */
  #peekMeta(overlay: Uint8Array): Promise<OverlayMeta> {
    const cached = this.#meta.get(hexKey(overlay))
    if (cached !== undefined) return Promise.resolve(cached)
    return this.#read((db) => readMeta(db, overlay))
  }

  getState(name: string): Promise<Uint8Array | undefined> {
    return this.#read(async (db) => {
      const value = await db.get(stateKey(name))
      return value === undefined ? undefined : plainView(value)
    })
  }

  putState(entries: ReadonlyArray<readonly [name: string, value: Uint8Array | undefined]>): Promise<void> {
    return this.#write(async (db) => {
      const ops: BatchOp[] = entries.map(([name, value]) => (value === undefined ? { type: 'del', key: stateKey(name) } : { type: 'put', key: stateKey(name), value }))
      if (ops.length > 0) await db.batch(ops, { sync: this.#sync })
    })
  }

  stateEntries(prefix: string): Promise<Array<[string, Uint8Array]>> {
    return this.#read((db) => readStateEntries(db, prefix))
  }

  #write<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    return this.#db.write(fn)
  }

  #read<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    return this.#db.read(fn)
  }

  #healthy(): Promise<void> {
    return this.#db.healthy()
  }

  #handle(): Db {
    return this.#db.handle()
  }
}
