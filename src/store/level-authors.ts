/**
 * The by-author index of a LevelDB store (docs/store.md, "The persisted retention index"):
 * one key per stored bundle, ordered by (overlay, author, global time, id), written and
 * deleted **in the same LevelDB batch as the row**, so that whatever moment a crash comes,
 * an author's keys are exactly that author's rows. A room whose policy has a quota or a
 * history (DESIGN §14) applies it per author; a node's join then reads nothing, and the
 * first look at an author reads that author's keys (one short range) instead of scanning
 * every row. LevelDB's own log and tables are the log and the checkpoint: nothing to fold.
 *
 * ```
 * byAuthor := 0x09 overlay(32) author(32) gt(u64 BE) id(32) → empty
 * authors  := 0x0a overlay(32) → the note saved with the index (the node: its policy's bytes)
 * ```
 *
 * An overlay without the `authors` key keeps no by-author keys (its writes add nothing): the
 * first join under a policy that needs the index scans the rows and saves it (every key, then
 * the `authors` key, inside one write of the queue, so no put or delete comes between). A save
 * cut short by a crash leaves no `authors` key: the next join scans and saves again (it clears
 * what the cut save left first). A delete whose row does not decode (its author is unknown)
 * takes the `authors` key away in its batch: the next join scans.
 */
import type { Bundle } from '../bundle/types.js'
import { ID_BYTES } from '../bundle/codec.js'
import type { BatchOp, Db } from './level-db.js'
import { hexKey } from './range.js'
import type { AuthoredRow } from './types.js'

export const TAG_BY_AUTHOR = 0x09
export const TAG_AUTHORS = 0x0a

/** Keys written per batch while saving an overlay's whole index. */
export const SAVE_BATCH = 10_000

const GT_AT = 1 + 2 * ID_BYTES
const ID_AT = GT_AT + 8
/** Bytes of a by-author key. */
export const BY_AUTHOR_KEY_BYTES = ID_AT + ID_BYTES
const EMPTY = new Uint8Array(0)


/** The by-author key of a bundle. */
export function byAuthorKey(overlay: Uint8Array, author: Uint8Array, gt: number, id: Uint8Array): Uint8Array {
  const key = new Uint8Array(BY_AUTHOR_KEY_BYTES)
  key[0] = TAG_BY_AUTHOR
  key.set(overlay, 1)
  key.set(author, 1 + ID_BYTES)
  const view = new DataView(key.buffer)
  view.setUint32(GT_AT, Math.floor(gt / 2 ** 32))
  view.setUint32(GT_AT + 4, gt >>> 0)
  key.set(id, ID_AT)
  return key
}

/** The lowest (`fill` 0x00) or highest (0xff) by-author key of an author, or of an overlay (no author). */
function bound(overlay: Uint8Array, author: Uint8Array | undefined, fill: 0x00 | 0xff): Uint8Array {
  const key = new Uint8Array(BY_AUTHOR_KEY_BYTES).fill(fill)
  key[0] = TAG_BY_AUTHOR
  key.set(overlay, 1)
  if (author !== undefined) key.set(author, 1 + ID_BYTES)
  return key
}

function authorsKey(overlay: Uint8Array): Uint8Array {
  const key = new Uint8Array(1 + ID_BYTES)
  key[0] = TAG_AUTHORS
  key.set(overlay, 1)
  return key
}

/** What an author's keys read as: the rows (global time, id) in key order, or why they cannot be used. */
export type AuthorRead = { rows: Array<{ globalTime: number; id: Uint8Array }> } | { rejected: string }

/**
 * The by-author indexes of one LevelDB store. Like the sketch log (./level-sketch.ts), the
 * methods that write run inside the store's write queue, and the ops of a put or delete join
 * the batch of its row.
 */
export class AuthorIndex {
  /** Per overlay read since the store opened: whether it keeps by-author keys. */
  readonly #indexed = new Map<string, boolean>()

  /** Forgets what was read (after a failed write, at close). */
  forget(): void {
    this.#indexed.clear()
  }

  /** Reads whether the overlay keeps by-author keys (once per open). */
  async prepare(db: Db, overlay: Uint8Array): Promise<void> {
    const k = hexKey(overlay)
    if (!this.#indexed.has(k)) this.#indexed.set(k, (await db.get(authorsKey(overlay))) !== undefined)
  }

  /** Whether the overlay keeps by-author keys. Call {@link prepare} first. */
  indexes(overlay: Uint8Array): boolean {
    return this.#indexed.get(hexKey(overlay)) === true
  }

  /** The by-author key of a new row, to write in its batch; undefined when the overlay keeps none. Call {@link prepare} first. */
  put(b: Bundle): BatchOp | undefined {
    return this.indexes(b.overlay) ? { type: 'put', key: byAuthorKey(b.overlay, b.author, b.globalTime, b.id), value: EMPTY } : undefined
  }

  /**
   * The ops of deleting a row, to write in its batch: its by-author key, or, when the row did
   * not decode (`b` undefined: its author is unknown), the `authors` key, so that the next
   * join scans and saves the index again. Call {@link prepare} first.
   */
  delete(overlay: Uint8Array, b: Bundle | undefined): BatchOp[] {
    if (!this.indexes(overlay)) return []
    if (b !== undefined) return [{ type: 'del', key: byAuthorKey(overlay, b.author, b.globalTime, b.id) }]
    this.#indexed.set(hexKey(overlay), false)
    return [{ type: 'del', key: authorsKey(overlay) }]
  }

  /** The note saved with the overlay's index, or undefined when it keeps none. */
  async note(db: Db, overlay: Uint8Array): Promise<Uint8Array | undefined> {
    await this.prepare(db, overlay)
    return this.indexes(overlay) ? db.get(authorsKey(overlay)) : undefined
  }

  /** The rows of `author` in the overlay, read from its by-author keys (a snapshot). */
  async rows(db: Db, overlay: Uint8Array, author: Uint8Array): Promise<AuthorRead> {
    const rows: Array<{ globalTime: number; id: Uint8Array }> = []
    for await (const key of db.keys({ gte: bound(overlay, author, 0x00), lte: bound(overlay, author, 0xff) })) {
      if (key.length !== BY_AUTHOR_KEY_BYTES) return { rejected: `malformed by-author key ${hexKey(key)}` }
      const view = new DataView(key.buffer, key.byteOffset, key.byteLength)
      const globalTime = view.getUint32(GT_AT) * 2 ** 32 + view.getUint32(GT_AT + 4)
      if (!Number.isSafeInteger(globalTime) || globalTime < 1) return { rejected: `by-author key ${hexKey(key)} names global time ${globalTime}` }
      rows.push({ globalTime, id: key.slice(ID_AT) })
    }
    return { rows }
  }

  /**
   * Saves the overlay's index: with `rows` (every row of the overlay), clears what an earlier
   * save left and writes a key per row, in batches of {@link SAVE_BATCH}; then the `authors`
   * key with `note`, last. Without `rows`, only the note: false (nothing written) when the
   * overlay keeps no index.
   */
  async save(db: Db, overlay: Uint8Array, rows: Iterable<AuthoredRow> | undefined, note: Uint8Array, sync: boolean): Promise<boolean> {
    await this.prepare(db, overlay)
    if (rows === undefined && !this.indexes(overlay)) return false
    if (rows !== undefined) {
      await this.drop(db, overlay, sync)
      let batch = db.batch()
      for (const r of rows) {
        batch.put(byAuthorKey(overlay, r.author, r.globalTime, r.id), EMPTY)
        if (batch.length >= SAVE_BATCH) {
          await batch.write({ sync })
          batch = db.batch()
        }
      }
      if (batch.length > 0) await batch.write({ sync })
      else await batch.close()
    }
    await db.batch([{ type: 'put', key: authorsKey(overlay), value: note }], { sync })
    this.#indexed.set(hexKey(overlay), true)
    return true
  }

  /** Takes the overlay's index away (the `authors` key first, then every by-author key). */
  async drop(db: Db, overlay: Uint8Array, sync: boolean): Promise<void> {
    await db.batch([{ type: 'del', key: authorsKey(overlay) }], { sync })
    this.#indexed.set(hexKey(overlay), false)
    await db.clear({ gte: bound(overlay, undefined, 0x00), lte: bound(overlay, undefined, 0xff) })
  }
}

/** Every key of the by-author indexes (a repair deletes them: the rows they describe may have changed). */
export const AUTHOR_KEY_RANGE = { gte: Uint8Array.of(TAG_BY_AUTHOR), lt: Uint8Array.of(TAG_AUTHORS + 1) }
