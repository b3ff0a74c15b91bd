/**
 * What a LevelDB store's row batches carry besides the rows (./level.ts): the persisted
 * sketches' log entries (./level-sketch.ts) and the by-author keys (./level-authors.ts), for
 * the overlays that keep them, and the operations of both that the store serves
 * (`SketchStore`, `AuthorIndexStore`). Each put or delete asks it for its extra ops, written
 * in the same batch as the row, so that whatever moment a crash comes both describe the rows.
 */
import type { Bundle } from '../bundle/types.js'
import type { Logger } from '../env/logger.js'
import { BloomwalkError } from '../errors.js'
import type { Sketch } from '../reconcile/sketch.js'
import { AuthorIndex } from './level-authors.js'
import type { BatchOp, Db } from './level-db.js'
import { rowKey } from './level-keys.js'
import { plainView, type RowCodec } from './level-rows.js'
import { SketchLog } from './level-sketch.js'
import { hexKey } from './range.js'
import type { AuthoredRow, SketchSummary } from './types.js'

/** What the indexes use of their store. */
export interface RowIndexesComponents {
  /** Runs `fn` in the store's write queue. */
  write<T>(fn: (db: Db) => Promise<T>): Promise<T>
  /** Runs `fn` on the open handle, outside the queue. */
  read<T>(fn: (db: Db) => Promise<T>): Promise<T>
  /** The overlay's committed bundle count (call from the write queue). */
  count(db: Db, overlay: Uint8Array): Promise<number>
  readonly rows: RowCodec
  readonly log: Logger | undefined
  readonly location: string
  readonly sync: boolean
}

/** The sketch log and the by-author index of one LevelDB store. */
export class RowIndexes {
  readonly #c: RowIndexesComponents
  readonly #sketches = new SketchLog()
  readonly #authors = new AuthorIndex()

  constructor(c: RowIndexesComponents) {
    this.#c = c
  }

  /** Forgets what was read (after a failed write). Change counts stay, so a save prepared before is refused. */
  forget(): void {
    this.#sketches.forget()
    this.#authors.forget()
  }

  /** Forgets everything (close). */
  reset(): void {
    this.#sketches.reset()
    this.#authors.forget()
  }

  /** Reads what the overlay keeps (once per open); call before {@link putOps}. */
  async prepare(db: Db, overlay: Uint8Array): Promise<void> {
    await this.#sketches.prepare(db, overlay)
    await this.#authors.prepare(db, overlay)
  }

  /** The extra puts of a new row, to write in its batch. */
  putOps(b: Bundle): Extract<BatchOp, { type: 'put' }>[] {
    const out: Extract<BatchOp, { type: 'put' }>[] = []
    for (const op of [this.#sketches.entry(1, b), this.#authors.put(b)]) if (op?.type === 'put') out.push(op)
    return out
  }

  /** The extra ops of deleting a row (read here for its kind, size and author, when the overlay keeps either index). */
  async deleteOps(db: Db, overlay: Uint8Array, gt: number, id: Uint8Array): Promise<BatchOp[]> {
    await this.prepare(db, overlay)
    const key = rowKey(overlay, gt, id)
    const value = this.#sketches.logs(overlay) || this.#authors.indexes(overlay) ? await db.get(key) : undefined
    const bundle = value === undefined ? undefined : this.#c.rows.decode(overlay, key, value)
    const logged = bundle === undefined ? undefined : this.#sketches.entry(-1, bundle)
    if (bundle === undefined) this.#sketches.unlogged(overlay)
    if (bundle === undefined && this.#authors.indexes(overlay)) this.#c.log?.warn('a deleted row does not decode: its author is unknown, so the by-author index is dropped; the next join scans', { location: this.#c.location, overlay: hexKey(overlay) })
    return [...(logged === undefined ? [] : [logged]), ...this.#authors.delete(overlay, bundle)]
  }

  /** After a batch of the overlay's rows committed: queues folding its sketch log when due, as a write of its own. */
  committed(overlay: Uint8Array): void {
    if (!this.#sketches.due(overlay)) return
    this.#c.write((db) => this.#sketches.compact(db, overlay, this.#c.sync)).catch((err: unknown) =>
      this.#c.log?.warn('folding the sketch log failed; it is folded at a later write', { location: this.#c.location, overlay: hexKey(overlay), error: err instanceof Error ? err.message : String(err) })
    )
  }

  loadSketch(overlay: Uint8Array, kinds: Uint8Array, into: Sketch): Promise<SketchSummary | undefined> {
    return this.#c.write(async (db) => {
      const loaded = await this.#sketches.load(db, overlay, kinds, into, await this.#c.count(db, overlay))
      if ('summary' in loaded) return loaded.summary
      if (loaded.rejected !== 'no checkpoint') this.#c.log?.warn('persisted sketch not used; the node rebuilds it', { location: this.#c.location, overlay: hexKey(overlay), reason: loaded.rejected })
      return undefined
    })
  }

  sketchMark(overlay: Uint8Array): number {
    return this.#sketches.mark(overlay)
  }

  saveSketch(overlay: Uint8Array, kinds: Uint8Array, sketch: Sketch, summary: SketchSummary, mark: number): Promise<boolean> {
    return this.#c.write(async (db) => this.#sketches.save(db, overlay, kinds, sketch, { ...summary, total: await this.#c.count(db, overlay) }, mark, this.#c.sync))
  }

  authorIndexNote(overlay: Uint8Array): Promise<Uint8Array | undefined> {
    return this.#c.write(async (db) => {
      const note = await this.#authors.note(db, overlay)
      return note === undefined ? undefined : plainView(note)
    })
  }

  async authorRows(overlay: Uint8Array, author: Uint8Array): Promise<Array<{ globalTime: number; id: Uint8Array }>> {
    const read = await this.#c.read((db) => this.#authors.rows(db, overlay, author))
    if ('rows' in read) return read.rows
    this.#c.log?.warn('by-author index damaged: dropped; the next join scans the rows', { location: this.#c.location, overlay: hexKey(overlay), reason: read.rejected })
    await this.#c.write((db) => this.#authors.drop(db, overlay, this.#c.sync))
    throw new BloomwalkError('STORE_CORRUPT', `by-author index of overlay ${hexKey(overlay)} in the store at ${this.#c.location}: ${read.rejected}`)
  }

  saveAuthorIndex(overlay: Uint8Array, rows: Iterable<AuthoredRow> | undefined, note: Uint8Array, mark: number): Promise<boolean> {
    return this.#c.write(async (db) => this.#sketches.mark(overlay) === mark && (await this.#authors.save(db, overlay, rows, note, this.#c.sync)))
  }
}
