/**
 * The abstract store (STYLE 20, after abstract-level's `put` → `_put`): public methods check
 * the lifecycle and validate their arguments, then call a protected `_method` that a backend
 * implements. Backends therefore only ever see open-state, validated, normalized input.
 */
import type { Bundle } from '../bundle/types.js'
import { ID_BYTES, MAX_GLOBAL_TIME } from '../bundle/codec.js'
import { BloomwalkError } from '../errors.js'
import type { BundleStore, RangeQuery } from './types.js'

/** Bytes of a short id (the 64-bit item hash, big-endian; docs/reconcile.md §14). */
const SHORT_ID_BYTES = 8
/** Bytes of a short-id prefix (docs/reconcile.md §15). */
const SHORT_PREFIX_BYTES = 4

/** Work counters every backend keeps (the conformance suite reads them). */
export interface StoreCounters {
  /** Rows read from storage by range scans since construction, yielded or skipped. */
  readonly rowsRead: number
  /** Rows skipped because they failed to decode or did not match their key. */
  readonly corruptRows: number
}

/** A {@link RangeQuery} after validation: every default filled in. */
export interface NormalizedRange {
  overlay: Uint8Array
  from: number
  to: number
  desc: boolean
  modulo: number
  offset: number
  /** Bundles to yield at most; Infinity when unbounded. */
  limit: number
  /** Rows to read at most; Infinity when unbounded. */
  maxRows: number
  signal: AbortSignal | undefined
}

type Status = 'closed' | 'opening' | 'open' | 'closing'

/** Base class of every backend. Subclasses implement the `_`-prefixed methods. */
export abstract class AbstractBundleStore implements BundleStore, StoreCounters {
  #status: Status = 'closed'
  #lifecycle: Promise<void> = Promise.resolve()
  /** Mutable counters; backends increment them. */
  protected readonly counters = { rowsRead: 0, corruptRows: 0 }

  get rowsRead(): number {
    return this.counters.rowsRead
  }

  get corruptRows(): number {
    return this.counters.corruptRows
  }

  /** 'closed', 'opening', 'open' or 'closing'. */
  get status(): Status {
    return this.#status
  }

  /** Opens the store; idempotent, and serialized with {@link close}. */
  open(): Promise<void> {
    return this.#serialize(async () => {
      if (this.#status === 'open') return
      this.#status = 'opening'
      try {
        await this._open()
        this.#status = 'open'
      } catch (err) {
        this.#status = 'closed'
        throw err
      }
    })
  }

  /** Closes the store after pending writes finish; idempotent. */
  close(): Promise<void> {
    return this.#serialize(async () => {
      if (this.#status !== 'open') return
      this.#status = 'closing'
      try {
        await this._close()
      } finally {
        this.#status = 'closed'
      }
    })
  }

  /**
   * @throws {BloomwalkError} STORE_NOT_OPEN, INVALID_ARGUMENT (malformed bundle object)
   */
  async put(bundle: Bundle): Promise<boolean> {
    this.assertOpen()
    assertBundle(bundle, 'bundle')
    return this._put(bundle)
  }

  /**
   * @throws {BloomwalkError} STORE_NOT_OPEN, INVALID_ARGUMENT (nothing is written then)
   */
  async putMany(bundles: readonly Bundle[]): Promise<number> {
    this.assertOpen()
    if (!Array.isArray(bundles)) throw invalid('bundles must be an array')
    bundles.forEach((b, i) => assertBundle(b, `bundles[${i}]`))
    if (bundles.length === 0) return 0
    return this._putMany(bundles)
  }

  /** @throws {BloomwalkError} STORE_NOT_OPEN, INVALID_ARGUMENT */
  async get(overlay: Uint8Array, id: Uint8Array): Promise<Bundle | undefined> {
    this.assertOpen()
    assertId(overlay, 'overlay')
    assertId(id, 'id')
    return this._get(overlay, id)
  }

  /** @throws {BloomwalkError} STORE_NOT_OPEN, INVALID_ARGUMENT (an overlay that is not 32 bytes, a short id that is neither 8 bytes nor a 4-byte prefix) */
  async byShortId(overlay: Uint8Array, short: Uint8Array): Promise<Bundle[]> {
    this.assertOpen()
    assertId(overlay, 'overlay')
    if (!(short instanceof Uint8Array) || (short.length !== SHORT_ID_BYTES && short.length !== SHORT_PREFIX_BYTES)) throw invalid(`short id must be a ${SHORT_ID_BYTES}-byte Uint8Array (or its ${SHORT_PREFIX_BYTES}-byte prefix)`)
    return this._byShortId(overlay, short)
  }

  /** @throws {BloomwalkError} STORE_NOT_OPEN, INVALID_ARGUMENT */
  async has(overlay: Uint8Array, id: Uint8Array): Promise<boolean> {
    this.assertOpen()
    assertId(overlay, 'overlay')
    assertId(id, 'id')
    return this._has(overlay, id)
  }

  /** @throws {BloomwalkError} STORE_NOT_OPEN, INVALID_ARGUMENT */
  async count(overlay: Uint8Array): Promise<number> {
    this.assertOpen()
    assertId(overlay, 'overlay')
    return this._count(overlay)
  }

  /** @throws {BloomwalkError} STORE_NOT_OPEN, INVALID_ARGUMENT */
  async maxGlobalTime(overlay: Uint8Array): Promise<number> {
    this.assertOpen()
    assertId(overlay, 'overlay')
    return this._maxGlobalTime(overlay)
  }

  /** @throws {BloomwalkError} STORE_NOT_OPEN, INVALID_ARGUMENT */
  async delete(overlay: Uint8Array, id: Uint8Array): Promise<boolean> {
    this.assertOpen()
    assertId(overlay, 'overlay')
    assertId(id, 'id')
    return this._delete(overlay, id)
  }

  /** @throws {BloomwalkError} STORE_NOT_OPEN, INVALID_ARGUMENT (nothing is written then) */
  async markDelivered(overlay: Uint8Array, ids: readonly Uint8Array[]): Promise<void> {
    this.assertOpen()
    assertId(overlay, 'overlay')
    if (!Array.isArray(ids)) throw invalid('ids must be an array')
    ids.forEach((id, i) => assertId(id, `ids[${i}]`))
    if (ids.length === 0) return
    return this._markDelivered(overlay, ids)
  }

  /** @throws {BloomwalkError} STORE_NOT_OPEN, INVALID_ARGUMENT */
  async isUndelivered(overlay: Uint8Array, id: Uint8Array): Promise<boolean> {
    this.assertOpen()
    assertId(overlay, 'overlay')
    assertId(id, 'id')
    return this._isUndelivered(overlay, id)
  }

  /**
   * Checked like `range`: arguments and the open state when called, the open state again
   * when iteration starts.
   * @throws {BloomwalkError} STORE_NOT_OPEN, INVALID_ARGUMENT
   */
  undelivered(overlay: Uint8Array): AsyncIterable<Bundle> {
    assertId(overlay, 'overlay')
    this.assertOpen()
    return {
      [Symbol.asyncIterator]: () => {
        this.assertOpen()
        return this._undelivered(overlay)
      }
    }
  }

  /**
   * Arguments and the open state are checked when `range` is called (it throws
   * synchronously), and the open state and signal again when iteration starts; the scan is
   * lazy. An aborted signal makes the iteration throw ABORTED.
   * @throws {BloomwalkError} STORE_NOT_OPEN, INVALID_ARGUMENT; while iterating ABORTED or STORE_NOT_OPEN
   */
  range(query: RangeQuery): AsyncIterable<Bundle> {
    const q = normalizeRange(query)
    this.assertOpen()
    // The backend's generator is handed out directly (no delegating generator per item).
    return {
      [Symbol.asyncIterator]: () => {
        this.assertOpen()
        throwIfAborted(q.signal)
        return q.limit === 0 || q.maxRows === 0 ? emptyScan() : this._range(q)
      }
    }
  }

  /** @throws {BloomwalkError} STORE_NOT_OPEN unless the store is open */
  protected assertOpen(): void {
    if (this.#status !== 'open') throw new BloomwalkError('STORE_NOT_OPEN', `store is ${this.#status}`)
  }

  #serialize(fn: () => Promise<void>): Promise<void> {
    const run = this.#lifecycle.then(fn)
    this.#lifecycle = run.catch(() => undefined)
    return run
  }

  protected abstract _open(): Promise<void>
  protected abstract _close(): Promise<void>
  protected abstract _put(bundle: Bundle): Promise<boolean>
  protected abstract _putMany(bundles: readonly Bundle[]): Promise<number>
  protected abstract _get(overlay: Uint8Array, id: Uint8Array): Promise<Bundle | undefined>
  protected abstract _has(overlay: Uint8Array, id: Uint8Array): Promise<boolean>
  /** At most MAX_SHORT_ID_MATCHES bundles, in (global time, id) order. */
  protected abstract _byShortId(overlay: Uint8Array, short: Uint8Array): Promise<Bundle[]>
  protected abstract _count(overlay: Uint8Array): Promise<number>
  protected abstract _maxGlobalTime(overlay: Uint8Array): Promise<number>
  protected abstract _delete(overlay: Uint8Array, id: Uint8Array): Promise<boolean>
  protected abstract _markDelivered(overlay: Uint8Array, ids: readonly Uint8Array[]): Promise<void>
  protected abstract _isUndelivered(overlay: Uint8Array, id: Uint8Array): Promise<boolean>
  /** Yields the undelivered bundles of an overlay in key order (global time, id). */
  protected abstract _undelivered(overlay: Uint8Array): AsyncGenerator<Bundle>
  /** Yields in key order; must honour every field of the query (see `range.ts` helpers). */
  protected abstract _range(q: NormalizedRange): AsyncGenerator<Bundle>
}

/**
 * Validates a range query and fills in defaults.
 * @throws {BloomwalkError} INVALID_ARGUMENT
 */
export function normalizeRange(query: RangeQuery): NormalizedRange {
  if (typeof query !== 'object' || query === null) throw invalid('query must be an object')
  assertId(query.overlay, 'overlay')
  const { from, to } = query
  if (!isGlobalTimeBound(from)) throw invalid(`from must be an integer in [0, 2^53-1], got ${String(from)}`)
  if (!isGlobalTimeBound(to)) throw invalid(`to must be an integer in [0, 2^53-1], got ${String(to)}`)
  if (from > to) throw invalid(`from (${from}) > to (${to})`)
  const order = query.order ?? 'asc'
  if (order !== 'asc' && order !== 'desc') throw invalid(`order must be 'asc' or 'desc'`)
  const modulo = query.modulo ?? 1
  const offset = query.offset ?? 0
  if (!Number.isSafeInteger(modulo) || modulo < 1) throw invalid(`modulo must be an integer ≥ 1, got ${String(modulo)}`)
  if (!Number.isSafeInteger(offset) || offset < 0 || offset >= modulo) throw invalid(`offset must be an integer in [0, modulo), got ${String(offset)}`)
  const limit = query.limit ?? Infinity
  const maxRows = query.maxRows ?? Infinity
  if (!isCount(limit)) throw invalid(`limit must be an integer ≥ 0, got ${String(limit)}`)
  if (!isCount(maxRows)) throw invalid(`maxRows must be an integer ≥ 0, got ${String(maxRows)}`)
  const signal = query.signal
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw invalid('signal must be an AbortSignal')
  return { overlay: query.overlay, from, to, desc: order === 'desc', modulo, offset, limit, maxRows, signal }
}

/** @throws {BloomwalkError} ABORTED when the signal is aborted */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new BloomwalkError('ABORTED', 'range scan aborted', { cause: signal.reason })
}

/** A BloomwalkError INVALID_ARGUMENT. */
export function invalid(message: string): BloomwalkError {
  return new BloomwalkError('INVALID_ARGUMENT', message)
}

async function* emptyScan(): AsyncGenerator<Bundle> {}

function assertId(value: unknown, name: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array) || value.length !== ID_BYTES) throw invalid(`${name} must be a ${ID_BYTES}-byte Uint8Array`)
}

function assertBundle(b: Bundle, name: string): void {
  if (typeof b !== 'object' || b === null) throw invalid(`${name} must be a bundle`)
  assertId(b.overlay, `${name}.overlay`)
  assertId(b.id, `${name}.id`)
  if (!Number.isSafeInteger(b.globalTime) || b.globalTime < 1 || b.globalTime > MAX_GLOBAL_TIME) throw invalid(`${name}.globalTime must be an integer in [1, 2^53-1]`)
  if (!(b.bytes instanceof Uint8Array) || b.bytes.length === 0) throw invalid(`${name}.bytes must be the encoded bundle`)
}

function isGlobalTimeBound(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0
}

function isCount(x: number): boolean {
  return x === Infinity || (Number.isSafeInteger(x) && x >= 0)
}
