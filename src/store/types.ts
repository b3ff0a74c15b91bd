/**
 * The bundle store: a per-overlay set of bundles keyed by (overlay, big-endian global
 * time, id). Public methods validate, backends implement. Every backend passes the one
 * conformance suite in `test/store/conformance.ts`.
 */
import type { Bundle } from '../bundle/types.js'
import type { Sketch } from '../reconcile/sketch.js'

/** Most bundles {@link BundleStore.byShortId} returns for one short id (or short-id prefix). */
export const MAX_SHORT_ID_MATCHES = 4

/** Which bundles a range scan yields. */
export interface RangeQuery {
  /** 32-byte overlay id. */
  overlay: Uint8Array
  /** Lowest global time, inclusive (≥ 0). */
  from: number
  /** Highest global time, inclusive. */
  to: number
  /** 'asc' (oldest first) or 'desc' (newest first). Default 'asc'. */
  order?: 'asc' | 'desc'
  /** Keep only bundles with (globalTime + offset) % modulo === 0. Default modulo 1, offset 0. */
  modulo?: number
  offset?: number
  /** Stop after this many bundles are yielded. */
  limit?: number
  /** Stop after this many rows are read from storage, yielded or not (bounds the work). */
  maxRows?: number
  /** Abort the scan. */
  signal?: AbortSignal
}

/** A store of verified bundles. */
export interface BundleStore {
  /** Opens the store (idempotent). */
  open(): Promise<void>
  /** Closes the store (idempotent). */
  close(): Promise<void>
  /**
   * Stores a verified bundle. Idempotent by id: returns false when it was already present.
   * Atomic with the overlay's stored maximum global time and with the bundle's
   * *undelivered* mark (see {@link markDelivered}). When the promise resolves the bundle
   * survives a crash.
   */
  put(bundle: Bundle): Promise<boolean>
  /** Stores many bundles in one atomic batch (each new one undelivered); returns how many were new. */
  putMany(bundles: readonly Bundle[]): Promise<number>
  get(overlay: Uint8Array, id: Uint8Array): Promise<Bundle | undefined>
  /**
   * The stored bundles of the overlay whose 64-bit item hash (short id, docs/reconcile.md §14)
   * is `short` (8 bytes, big-endian), at most {@link MAX_SHORT_ID_MATCHES}: catch-up fetches
   * and pushes by short id. More than one only when ids collide on their hash (ground on
   * purpose); each is then served by its full id. `short` may also be a 4-byte prefix of a
   * short id (docs/reconcile.md §15): the bundles whose short id begins with it, at most
   * {@link MAX_SHORT_ID_MATCHES} (more than one when their hashes share 32 bits: rare by chance, N / 2^32
   * per lookup, or ground on purpose).
   */
  byShortId(overlay: Uint8Array, short: Uint8Array): Promise<Bundle[]>
  has(overlay: Uint8Array, id: Uint8Array): Promise<boolean>
  /** Number of bundles stored for the overlay. */
  count(overlay: Uint8Array): Promise<number>
  /** Highest global time ever stored for the overlay (0 when empty; deletes do not lower it). */
  maxGlobalTime(overlay: Uint8Array): Promise<number>
  /** Bundles of one overlay in a global-time range, in key order. */
  range(query: RangeQuery): AsyncIterable<Bundle>
  /** Removes a bundle (expiry), with its undelivered mark. Returns false when it was not present. */
  delete(overlay: Uint8Array, id: Uint8Array): Promise<boolean>
  /**
   * Records that stored bundles were delivered to the application: clears their undelivered
   * marks in one atomic write. Ids not stored, or already delivered, are skipped. Every
   * bundle `put` stores is undelivered until this is called for it, so a node that dies
   * before delivering a bundle delivers it after the restart (docs/causal.md).
   */
  markDelivered(overlay: Uint8Array, ids: readonly Uint8Array[]): Promise<void>
  /** True when the bundle is stored and not marked delivered. */
  isUndelivered(overlay: Uint8Array, id: Uint8Array): Promise<boolean>
  /** The stored bundles not marked delivered, in key order (global time, then id). Lazy. */
  undelivered(overlay: Uint8Array): AsyncIterable<Bundle>
  /**
   * Set while a failed write keeps the store from serving (it then rejects every call until
   * it has re-opened cleanly); undefined when it serves. A backend that cannot fail that way
   * (memory) leaves it out.
   */
  readonly failure?: Error | undefined
}

/**
 * Small named values kept in the same database as the bundles (the node's MVDS state,
 * issue 19). Names are UTF-8 strings; a LevelDB backend keeps them under their own key tag.
 */
export interface StateStore {
  /** The value stored under `name`, or undefined. */
  getState(name: string): Promise<Uint8Array | undefined>
  /**
   * Puts (or, for an undefined value, deletes) named values in ONE atomic batch, ordered
   * after every earlier write of the store. When the promise resolves the batch survives a
   * process crash (as `BundleStore.put`).
   */
  putState(entries: ReadonlyArray<readonly [name: string, value: Uint8Array | undefined]>): Promise<void>
  /** Every name starting with `prefix` and its value, in name (byte) order. */
  stateEntries(prefix: string): Promise<Array<[string, Uint8Array]>>
}

/** True when a store also keeps named state values. */
export function isStateStore(store: unknown): store is StateStore {
  const s = store as Partial<StateStore> | null
  return typeof s === 'object' && s !== null && typeof s.getState === 'function' && typeof s.putState === 'function' && typeof s.stateEntries === 'function'
}

/** What a join needs besides the sketch, kept with a persisted sketch. */
export interface SketchSummary {
  /** Stored bundles of the overlay that carry an expiry. */
  expiring: number
  /** Bytes of the overlay's stored bundles. */
  bytes: number
}

/**
 * A store that keeps each overlay's coded-symbol sketch with its bundles (the LevelDB
 * backend; docs/store.md, "The persisted sketch"): every put and delete after a checkpoint
 * is logged in the same batch as its row, so a restart restores the sketch instead of
 * scanning the overlay.
 */
export interface SketchStore {
  /**
   * Fills `into` (an empty sketch) with the overlay's persisted sketch of the kinds in
   * `kinds` (a 256-bit map, see `kindSet`) and returns the figures kept with it; undefined
   * (and `into` left empty) when there is no usable checkpoint: scan, then {@link saveSketch}.
   */
  loadSketch(overlay: Uint8Array, kinds: Uint8Array, into: Sketch): Promise<SketchSummary | undefined>
  /** The overlay's change count now: take it before building a sketch by a scan. */
  sketchMark(overlay: Uint8Array): number
  /**
   * Checkpoints `sketch` (every stored bundle of `kinds`, as of `mark`) with its figures;
   * false, writing nothing, when the overlay changed since `mark`.
   */
  saveSketch(overlay: Uint8Array, kinds: Uint8Array, sketch: Sketch, summary: SketchSummary, mark: number): Promise<boolean>
}

/** True when a store keeps sketches. */
export function isSketchStore(store: unknown): store is SketchStore {
  const s = store as Partial<SketchStore> | null
  return typeof s === 'object' && s !== null && typeof s.loadSketch === 'function' && typeof s.saveSketch === 'function' && typeof s.sketchMark === 'function'
}

/**
 * A store that keeps, per overlay, an index of its rows by author, written in the same atomic
 * batch as each row (the LevelDB backend; docs/store.md, "The persisted retention index"): a
 * room policy with a quota or a history reads an author's rows from it when it first needs
 * them, instead of scanning every row at the join, even after a crash.
 */
export interface AuthorIndexStore {
  /** The note saved with the overlay's by-author index; undefined when the overlay keeps none (scan, then {@link saveAuthorIndex}). */
  authorIndexNote(overlay: Uint8Array): Promise<Uint8Array | undefined>
  /**
   * The stored bundles of `author` in the overlay, (global time, id) in that order. Rejects
   * with STORE_CORRUPT when its keys are damaged (the store then keeps no index for the
   * overlay: the next join scans).
   */
  authorRows(overlay: Uint8Array, author: Uint8Array): Promise<Array<{ globalTime: number; id: Uint8Array }>>
  /**
   * Saves the overlay's by-author index: the key of every row in `rows` (a scan's, as of
   * `mark`, see `SketchStore.sketchMark`), then `note`; false, writing nothing, when the
   * overlay changed since `mark`. Without `rows`, only the note (false when there is no index).
   */
  saveAuthorIndex(overlay: Uint8Array, rows: Iterable<AuthoredRow> | undefined, note: Uint8Array, mark: number): Promise<boolean>
}

/** A stored bundle as a by-author index knows it. */
export interface AuthoredRow {
  author: Uint8Array
  globalTime: number
  id: Uint8Array
}

/** True when a store keeps a by-author index. */
export function isAuthorIndexStore(store: unknown): store is AuthorIndexStore {
  const s = store as Partial<AuthorIndexStore> | null
  return typeof s === 'object' && s !== null && typeof s.authorIndexNote === 'function' && typeof s.authorRows === 'function' && typeof s.saveAuthorIndex === 'function'
}
