/**
 * The coded-symbol sketch persisted with a LevelDB store (docs/store.md, "The persisted
 * sketch"), so that a node's restart does not rebuild it by scanning every row.
 *
 * Per overlay: a **checkpoint** (the sketch's symbols, `Sketch.toBytes`, and the figures a
 * join needs: synced items, all bundles, expiring bundles, bytes) as of log position `seq`,
 * and a **log** of every put and delete since, one entry each, written in the same LevelDB
 * batch as the row it records. Loading restores the checkpoint and replays the log: a restart
 * reads 48·L bytes and at most {@link COMPACT_AT} entries, whatever the store holds. The log
 * is folded into a new checkpoint once it holds {@link COMPACT_AT} entries (in the write
 * queue, so no write interleaves).
 *
 * ```
 * header := 0x06 overlay(32) 0x00 → version(u8 = 2; 1 held no checksums and is rebuilt) length(u32) kinds(32) seq(u64) size(u64)
 *                                   total(u64) expiring(u64) bytes(u64) sha256(symbols)(32)
 * table  := 0x06 overlay(32) 0x01 → the symbols (48·length bytes, with the short-id checksums)
 * entry  := 0x07 overlay(32) seq(u64 BE) → sign(u8: 1 put, 0 delete) kind(u8) expires(u8)
 *                                          bytes(u32) id(32)
 * ```
 *
 * `kinds` is the 256-bit set of kinds the sketch holds (those the node syncs); a node that
 * syncs other kinds, or keeps another length, does not use the checkpoint (it scans and
 * writes a new one). An overlay without a checkpoint logs nothing: its first join scans.
 * Checked at load: the version, the length and kinds, the symbols' SHA-256, and that the
 * replayed count of bundles equals the overlay's meta count; anything else is a rebuild.
 */
import { createHash } from 'node:crypto'
import type { Bundle } from '../bundle/types.js'
import { SYMBOL_BYTES, Sketch } from '../reconcile/index.js'
import type { BatchOp, Db } from './level-db.js'
import { hexKey } from './range.js'
import type { SketchSummary } from './types.js'

export const TAG_SKETCH = 0x06
export const TAG_SKETCH_LOG = 0x07

/** Log entries per overlay that trigger folding them into a new checkpoint. */
export const COMPACT_AT = 8192

/** Log entries read per `nextv` call while replaying. */
const REPLAY_BATCH = 1024
const VERSION = 2
const KINDS_BYTES = 32
const HEADER_BYTES = 1 + 4 + KINDS_BYTES + 5 * 8 + 32
const ENTRY_BYTES = 3 + 4 + 32
const OVERLAY_BYTES = 32

/** A checkpoint's header. */
interface Header {
  length: number
  kinds: Uint8Array
  seq: number
  size: number
  total: number
  expiring: number
  bytes: number
  digest: Uint8Array
}

/** What is known of one overlay's log since the store opened. */
interface OverlayLog {
  /** A checkpoint exists: changes are logged. */
  checkpointed: boolean
  /** Position of the checkpoint (entries up to it are folded in). */
  checkpointSeq: number
  /** Position of the last entry written (or reserved by a batch that failed). */
  lastSeq: number
  /** A fold is queued: {@link SketchLog.due} says no until it ran. */
  folding: boolean
}

function hasKind(kinds: Uint8Array, kind: number): boolean {
  return ((kinds[kind >> 3]! >> (kind & 7)) & 1) === 1
}

function key(tag: number, overlay: Uint8Array, tail: number): Uint8Array {
  const out = new Uint8Array(1 + OVERLAY_BYTES + 1)
  out[0] = tag
  out.set(overlay, 1)
  out[1 + OVERLAY_BYTES] = tail
  return out
}

const headerKey = (overlay: Uint8Array) => key(TAG_SKETCH, overlay, 0)
const tableKey = (overlay: Uint8Array) => key(TAG_SKETCH, overlay, 1)

function entryKey(overlay: Uint8Array, seq: number): Uint8Array {
  const out = new Uint8Array(1 + OVERLAY_BYTES + 8)
  out[0] = TAG_SKETCH_LOG
  out.set(overlay, 1)
  const view = new DataView(out.buffer)
  view.setUint32(1 + OVERLAY_BYTES, Math.floor(seq / 2 ** 32))
  view.setUint32(1 + OVERLAY_BYTES + 4, seq >>> 0)
  return out
}

function entrySeq(k: Uint8Array): number {
  const view = new DataView(k.buffer, k.byteOffset, k.byteLength)
  return view.getUint32(1 + OVERLAY_BYTES) * 2 ** 32 + view.getUint32(1 + OVERLAY_BYTES + 4)
}

function encodeEntry(sign: 1 | -1, b: Bundle): Uint8Array {
  const out = new Uint8Array(ENTRY_BYTES)
  out[0] = sign === 1 ? 1 : 0
  out[1] = b.kind
  out[2] = b.expiresAt === undefined ? 0 : 1
  new DataView(out.buffer).setUint32(3, b.bytes.length)
  out.set(b.id, 7)
  return out
}

function encodeHeader(h: Header): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES)
  const view = new DataView(out.buffer)
  out[0] = VERSION
  view.setUint32(1, h.length)
  out.set(h.kinds, 5)
  let at = 5 + KINDS_BYTES
  for (const n of [h.seq, h.size, h.total, h.expiring, h.bytes]) {
    view.setUint32(at, Math.floor(n / 2 ** 32))
    view.setUint32(at + 4, n >>> 0)
    at += 8
  }
  out.set(h.digest, at)
  return out
}

function decodeHeader(value: Uint8Array | undefined): Header | null {
  if (value === undefined || value.length !== HEADER_BYTES || value[0] !== VERSION) return null
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength)
  const n: number[] = []
  for (let at = 5 + KINDS_BYTES; at < 5 + KINDS_BYTES + 40; at += 8) n.push(view.getUint32(at) * 2 ** 32 + view.getUint32(at + 4))
  if (!n.every(Number.isSafeInteger)) return null
  return {
    length: view.getUint32(1),
    kinds: value.slice(5, 5 + KINDS_BYTES),
    seq: n[0]!,
    size: n[1]!,
    total: n[2]!,
    expiring: n[3]!,
    bytes: n[4]!,
    digest: value.slice(HEADER_BYTES - 32)
  }
}

function sha256(bytes: Uint8Array): Uint8Array {
  return createHash('sha256').update(bytes).digest()
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

/** The outcome of {@link SketchLog.load}: the figures, or why the checkpoint was not used. */
export type SketchLoad = { summary: SketchSummary } | { rejected: string }

/**
 * The persisted sketches of one LevelDB store. Every method that reads or writes the log runs
 * inside the store's write queue (the store calls them there), so entries are appended in
 * commit order and a load or a compaction never sees half a write.
 */
export class SketchLog {
  readonly #logs = new Map<string, OverlayLog>()
  /** Changes (puts and deletes) per overlay since the store opened: a save is refused if any came after its mark. */
  readonly #changes = new Map<string, number>()

  /** Forgets what was read (after a failed write or at close). Change counts stay, so a save prepared before is refused. */
  forget(): void {
    this.#logs.clear()
  }

  /** Forgets everything (close). */
  reset(): void {
    this.#logs.clear()
    this.#changes.clear()
  }

  /** The overlay's change count now: pass it to {@link SketchLog.save}. */
  mark(overlay: Uint8Array): number {
    return this.#changes.get(hexKey(overlay)) ?? 0
  }

  /** Reads what the log of an overlay needs (once per open). */
  async prepare(db: Db, overlay: Uint8Array): Promise<void> {
    const k = hexKey(overlay)
    if (this.#logs.has(k)) return
    const header = decodeHeader(await db.get(headerKey(overlay)))
    let lastSeq = header?.seq ?? 0
    for await (const entry of db.keys({ gt: entryKey(overlay, 0), lte: entryKey(overlay, Number.MAX_SAFE_INTEGER), reverse: true, limit: 1 })) lastSeq = Math.max(lastSeq, entrySeq(entry))
    this.#logs.set(k, { checkpointed: header !== null, checkpointSeq: header?.seq ?? 0, lastSeq, folding: false })
  }

  /**
   * The log entry recording a put (+1) or delete (−1) of `b`, to write in the same batch as
   * its row; undefined when the overlay has no checkpoint. Call {@link SketchLog.prepare} first.
   */
  entry(sign: 1 | -1, b: Bundle): BatchOp | undefined {
    this.#count(b.overlay)
    const log = this.#logs.get(hexKey(b.overlay))
    if (log === undefined || !log.checkpointed) return undefined
    return { type: 'put', key: entryKey(b.overlay, ++log.lastSeq), value: encodeEntry(sign, b) }
  }

  /** True when changes of the overlay are logged (it has a checkpoint). Call {@link SketchLog.prepare} first. */
  logs(overlay: Uint8Array): boolean {
    return this.#logs.get(hexKey(overlay))?.checkpointed === true
  }

  /**
   * A change that cannot be logged (a delete whose row does not decode): counted, so that a
   * pending save is refused; the checkpoint no longer matches the store's count, so the next
   * load rejects it and the node rebuilds the sketch.
   */
  unlogged(overlay: Uint8Array): void {
    this.#count(overlay)
  }

  #count(overlay: Uint8Array): void {
    const k = hexKey(overlay)
    this.#changes.set(k, (this.#changes.get(k) ?? 0) + 1)
  }

  /**
   * True (once) when the overlay's log should be folded into a new checkpoint: the caller
   * queues {@link SketchLog.compact} as a write of its own, so the puts of the batch that
   * reached the bound do not wait for it.
   */
  due(overlay: Uint8Array): boolean {
    const log = this.#logs.get(hexKey(overlay))
    if (log === undefined || log.folding || !log.checkpointed || log.lastSeq - log.checkpointSeq < COMPACT_AT) return false
    log.folding = true
    return true
  }

  /**
   * Fills `into` (an empty sketch) from the overlay's checkpoint and log, when the checkpoint
   * holds `kinds` at `into.length` and checks out; `metaCount` is the overlay's bundle count.
   */
  async load(db: Db, overlay: Uint8Array, kinds: Uint8Array, into: Sketch, metaCount: number): Promise<SketchLoad> {
    await this.prepare(db, overlay)
    const header = decodeHeader(await db.get(headerKey(overlay)))
    if (header === null) return { rejected: 'no checkpoint' }
    if (header.length !== into.length || !equal(header.kinds, kinds)) return { rejected: 'checkpoint of another sketch length or set of synced kinds' }
    const state = await this.#replay(db, overlay, header, into)
    const rejected = typeof state === 'string' ? state : state.total !== metaCount ? `checkpoint and log count ${state.total} bundles, the store ${metaCount}` : undefined
    if (rejected === undefined && typeof state !== 'string') return { summary: { expiring: state.expiring, bytes: state.bytes } }
    // Back to empty: the caller builds it by a scan.
    into.restore(new Uint8Array(SYMBOL_BYTES * into.length), 0)
    return { rejected: rejected ?? 'unreachable' }
  }

  /**
   * Writes a checkpoint of `sketch` (holding `kinds`) with the figures in `summary`, unless
   * the overlay changed since `mark`; folds the log into it. Returns whether it was written.
   */
  async save(db: Db, overlay: Uint8Array, kinds: Uint8Array, sketch: Sketch, summary: SketchSummary & { total: number }, mark: number, sync: boolean): Promise<boolean> {
    if (kinds.length !== KINDS_BYTES) return false
    if (this.mark(overlay) !== mark) return false
    await this.prepare(db, overlay)
    await this.#write(db, overlay, { length: sketch.length, kinds, size: sketch.size, ...summary }, sketch.toBytes(), sync)
    return true
  }

  /** Folds the log into a new checkpoint (the sketch of the old one, replayed). */
  async compact(db: Db, overlay: Uint8Array, sync: boolean): Promise<void> {
    await this.prepare(db, overlay)
    this.#logs.get(hexKey(overlay))!.folding = false
    const header = decodeHeader(await db.get(headerKey(overlay)))
    if (header === null) return
    const sketch = new Sketch({ length: header.length, journal: 0 })
    const state = await this.#replay(db, overlay, header, sketch)
    // A checkpoint that does not check out is dropped: the next join scans and writes a new one.
    if (typeof state === 'string') return this.#drop(db, overlay, sync)
    await this.#write(db, overlay, { length: header.length, kinds: header.kinds, size: sketch.size, ...state }, sketch.toBytes(), sync)
  }

  /** Restores the checkpoint into `into` and applies the log after it; the replayed figures, or why not. */
  async #replay(db: Db, overlay: Uint8Array, header: Header, into: Sketch): Promise<{ total: number; expiring: number; bytes: number } | string> {
    const table = await db.get(tableKey(overlay))
    if (table === undefined || !equal(sha256(table), header.digest)) return 'checkpoint symbols missing or damaged'
    if (!into.restore(table, header.size)) return 'checkpoint symbols of another length'
    let { total, expiring, bytes } = header
    const it = db.iterator({ gt: entryKey(overlay, header.seq), lte: entryKey(overlay, Number.MAX_SAFE_INTEGER) })
    try {
      for (let entries = await it.nextv(REPLAY_BATCH); entries.length > 0; entries = await it.nextv(REPLAY_BATCH)) {
        for (const [k, value] of entries) {
          if (value.length !== ENTRY_BYTES || value[0]! > 1) return `malformed log entry ${entrySeq(k)}`
          const sign = value[0] === 1 ? 1 : -1
          const length = new DataView(value.buffer, value.byteOffset, value.byteLength).getUint32(3)
          total += sign
          bytes += sign * length
          if (value[2] === 1) expiring += sign
          if (hasKind(header.kinds, value[1]!)) {
            const id = value.subarray(7)
            if (sign === 1) into.add(id)
            else into.remove(id)
          }
          if (total < 0 || expiring < 0 || bytes < 0 || into.size < 0) return 'log removes more than the checkpoint holds'
        }
      }
    } finally {
      await it.close()
    }
    return { total, expiring, bytes }
  }

  /** Writes header and symbols at the log's last position, then deletes the entries folded in. */
  async #write(db: Db, overlay: Uint8Array, h: Omit<Header, 'seq' | 'digest'>, table: Uint8Array, sync: boolean): Promise<void> {
    const log = this.#logs.get(hexKey(overlay))!
    const seq = log.lastSeq
    await db.batch(
      [
        { type: 'put', key: tableKey(overlay), value: table },
        { type: 'put', key: headerKey(overlay), value: encodeHeader({ ...h, seq, digest: sha256(table) }) }
      ],
      { sync }
    )
    log.checkpointed = true
    log.checkpointSeq = seq
    // Entries up to seq are ignored from now on; deleting them only frees space.
    await db.clear({ gte: entryKey(overlay, 0), lte: entryKey(overlay, seq) })
  }

  async #drop(db: Db, overlay: Uint8Array, sync: boolean): Promise<void> {
    const log = this.#logs.get(hexKey(overlay))!
    await db.batch(
      [
        { type: 'del', key: headerKey(overlay) },
        { type: 'del', key: tableKey(overlay) }
      ],
      { sync }
    )
    log.checkpointed = false
    await db.clear({ gte: entryKey(overlay, 0), lte: entryKey(overlay, log.lastSeq) })
  }
}

/** Every key of the persisted sketches (a repair deletes them: the rows they describe may have changed). */
export const SKETCH_KEY_RANGE = { gte: Uint8Array.of(TAG_SKETCH), lt: Uint8Array.of(TAG_SKETCH_LOG + 1) }

/** Bytes of a log entry's key and value (for docs and tests). */
export const LOG_ENTRY_BYTES = 1 + OVERLAY_BYTES + 8 + ENTRY_BYTES
