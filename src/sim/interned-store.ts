/**
 * A {@link BundleStore} for simulating many nodes in one process: every distinct bundle is
 * kept once, in a {@link BundleTable} shared by all simulated nodes, and each node's store
 * is a bit set over the table (one bit per bundle). A thousand nodes holding 100 000
 * bundles then cost 12.5 MB of bits instead of a hundred million map entries.
 *
 * It honours the whole BundleStore contract (test/sim runs the store conformance suite on
 * it): key order (global time, then id), modulo filter, limit, maxRows (rows this store
 * holds), descending scans, deletes. Bundles are interned by id: the object a node gets
 * back is the first copy any node stored, equal in every field.
 */
import type { Bundle } from '../bundle/types.js'
import { AbstractBundleStore, normalizeRange, throwIfAborted, type NormalizedRange } from '../store/abstract.js'
import { MAX_SHORT_ID_MATCHES, type RangeQuery } from '../store/types.js'
import { ShortIdIndex } from '../store/short-ids.js'
import { compareBytes, hexKey, lastAtMost, lowerBound, nextPassing, passesModulo, prevPassing } from '../store/range.js'
import { equalBytes } from '../bytes.js'

interface OverlayIndex {
  /** Ordinals per global time, sorted by id. */
  readonly byGt: Map<number, number[]>
  /** Distinct global times, ascending. */
  readonly gts: number[]
}

/** Every distinct bundle of a simulation, by ordinal, with a (global time, id) index per overlay. */
export class BundleTable {
  readonly #bundles: Bundle[] = []
  readonly #overlayOf: number[] = []
  /** Ordinal by the id's first 48 bits (ids are uniform SHA-256 output); collisions chain in `#more`. */
  readonly #ordinals = new Map<number, number>()
  readonly #more = new Map<number, number[]>()
  readonly #overlays = new Map<string, number>()
  readonly #indexes: OverlayIndex[] = []
  /** Ordinals by short id (item hash), every overlay together. */
  readonly #byShort = new ShortIdIndex<number>()

  /** Distinct bundles interned. */
  get size(): number {
    return this.#bundles.length
  }

  bundle(ordinal: number): Bundle {
    return this.#bundles[ordinal]!
  }

  /** The overlay number of a bundle (per-node counters are kept by it). */
  overlayOf(ordinal: number): number {
    return this.#overlayOf[ordinal]!
  }

  /** The overlay number of an overlay id, or undefined when no bundle of it was interned. */
  overlay(overlay: Uint8Array): number | undefined {
    return this.#overlays.get(hexKey(overlay))
  }

  index(overlay: number): OverlayIndex {
    return this.#indexes[overlay]!
  }

  /** The ordinals of every interned bundle whose item hash is `short` (8 bytes). */
  byShortId(short: Uint8Array): number[] {
    return this.#byShort.get(short)
  }

  ordinal(id: Uint8Array): number | undefined {
    const key = idKey(id)
    const first = this.#ordinals.get(key)
    if (first === undefined) return undefined
    if (equalBytes(this.#bundles[first]!.id, id)) return first
    return this.#more.get(key)?.find((o) => equalBytes(this.#bundles[o]!.id, id))
  }

  /** The ordinal of `bundle`, interning it when new. */
  intern(bundle: Bundle): number {
    const known = this.ordinal(bundle.id)
    if (known !== undefined) return known
    const key = idKey(bundle.id)
    const ordinal = this.#bundles.length
    let o = this.#overlays.get(hexKey(bundle.overlay))
    if (o === undefined) {
      o = this.#indexes.length
      this.#overlays.set(hexKey(bundle.overlay), o)
      this.#indexes.push({ byGt: new Map(), gts: [] })
    }
    this.#bundles.push(bundle)
    this.#overlayOf.push(o)
    this.#byShort.add(bundle.id, ordinal)
    if (!this.#ordinals.has(key)) this.#ordinals.set(key, ordinal)
    else this.#more.set(key, [...(this.#more.get(key) ?? []), ordinal])
    const index = this.#indexes[o]!
    const gt = bundle.globalTime
    const list = index.byGt.get(gt)
    if (list === undefined) {
      index.byGt.set(gt, [ordinal])
      const last = index.gts[index.gts.length - 1]
      if (last === undefined || last < gt) index.gts.push(gt)
      else index.gts.splice(lowerBound(index.gts, gt), 0, gt)
    } else {
      let at = list.length
      while (at > 0 && compareBytes(this.#bundles[list[at - 1]!]!.id, bundle.id) > 0) at--
      list.splice(at, 0, ordinal)
    }
    return ordinal
  }
}

/** The first 48 bits of an id as a number: a map key without allocating a string. */
function idKey(id: Uint8Array): number {
  return id[0]! + id[1]! * 0x100 + id[2]! * 0x10000 + id[3]! * 0x1000000 + id[4]! * 0x100000000 + id[5]! * 0x10000000000
}

interface Held {
  count: number
  maxGt: number
}

/** One node's store: a bit per bundle of the shared table. */
export class InternedStore extends AbstractBundleStore {
  readonly #table: BundleTable
  #bits = new Uint8Array(1024)
  readonly #held: Held[] = []
  /** Ordinals stored and not yet delivered (`hold` preloads bundles as delivered). */
  readonly #undelivered = new Set<number>()

  constructor(table: BundleTable) {
    super()
    this.#table = table
  }

  /** Marks interned bundles as held (and delivered) without the public checks (preloading a simulation). */
  hold(ordinals: Iterable<number>): void {
    for (const o of ordinals) this.#set(o)
  }

  protected async _open(): Promise<void> {}

  protected async _close(): Promise<void> {}

  protected async _put(bundle: Bundle): Promise<boolean> {
    return this.#add(this.#table.intern(bundle))
  }

  protected async _putMany(bundles: readonly Bundle[]): Promise<number> {
    let added = 0
    for (const b of bundles) if (this.#add(this.#table.intern(b))) added++
    return added
  }

  protected async _markDelivered(overlay: Uint8Array, ids: readonly Uint8Array[]): Promise<void> {
    for (const id of ids) {
      const o = this.#find(overlay, id)
      if (o !== undefined) this.#undelivered.delete(o)
    }
  }

  protected async _isUndelivered(overlay: Uint8Array, id: Uint8Array): Promise<boolean> {
    const o = this.#find(overlay, id)
    return o !== undefined && this.#undelivered.has(o)
  }

  protected async *_undelivered(overlay: Uint8Array): AsyncGenerator<Bundle> {
    const ov = this.#table.overlay(overlay)
    const list = [...this.#undelivered].filter((o) => this.#table.overlayOf(o) === ov).map((o) => this.#table.bundle(o))
    list.sort((a, b) => a.globalTime - b.globalTime || compareBytes(a.id, b.id))
    for (const bundle of list) {
      this.assertOpen()
      const o = this.#table.ordinal(bundle.id)
      if (o !== undefined && this.#undelivered.has(o)) yield bundle
    }
  }

  protected async _get(_overlay: Uint8Array, id: Uint8Array): Promise<Bundle | undefined> {
    const o = this.#find(_overlay, id)
    return o === undefined ? undefined : this.#table.bundle(o)
  }

  protected async _has(overlay: Uint8Array, id: Uint8Array): Promise<boolean> {
    return this.#find(overlay, id) !== undefined
  }

  protected async _byShortId(overlay: Uint8Array, short: Uint8Array): Promise<Bundle[]> {
    const ov = this.#table.overlay(overlay)
    const held = this.#table.byShortId(short).filter((o) => this.#table.overlayOf(o) === ov && this.#isSet(o))
    const found = held.map((o) => this.#table.bundle(o))
    return found.sort((a, b) => a.globalTime - b.globalTime || compareBytes(a.id, b.id)).slice(0, MAX_SHORT_ID_MATCHES)
  }

  protected async _count(overlay: Uint8Array): Promise<number> {
    const o = this.#table.overlay(overlay)
    return o === undefined ? 0 : (this.#held[o]?.count ?? 0)
  }

  protected async _maxGlobalTime(overlay: Uint8Array): Promise<number> {
    const o = this.#table.overlay(overlay)
    return o === undefined ? 0 : (this.#held[o]?.maxGt ?? 0)
  }

  protected async _delete(overlay: Uint8Array, id: Uint8Array): Promise<boolean> {
    const o = this.#find(overlay, id)
    if (o === undefined) return false
    this.#bits[o >> 3]! &= ~(1 << (o & 7))
    this.#undelivered.delete(o)
    this.#held[this.#table.overlayOf(o)]!.count--
    return true
  }

  /**
   * The same contract as every store's `range` (checks on call and when iteration starts),
   * iterated by a plain async iterator over a synchronous scan: one resolved promise per
   * row instead of an async generator's resumption (answering offers reads up to
   * `maxRowsPerOffer` rows each, the simulator's hottest loop).
   */
  override range(query: RangeQuery): AsyncIterable<Bundle> {
    const q = normalizeRange(query)
    this.assertOpen()
    return {
      [Symbol.asyncIterator]: (): AsyncIterator<Bundle> => {
        this.assertOpen()
        throwIfAborted(q.signal)
        const rows = q.limit === 0 || q.maxRows === 0 ? [][Symbol.iterator]() : this.#rows(q)
        return {
          next: () => {
            try {
              return Promise.resolve(rows.next())
            } catch (err) {
              return Promise.reject(err)
            }
          },
          return: () => Promise.resolve(rows.return?.(undefined) ?? { done: true, value: undefined })
        }
      }
    }
  }

  protected async *_range(q: NormalizedRange): AsyncGenerator<Bundle> {
    yield* this.#rows(q)
  }

  *#rows(q: NormalizedRange): Generator<Bundle, undefined> {
    const o = this.#table.overlay(q.overlay)
    if (o === undefined || (this.#held[o]?.count ?? 0) === 0) return
    const { gts, byGt } = this.#table.index(o)
    const { modulo, offset } = q
    let rows = 0
    let yielded = 0
    let want = q.desc ? prevPassing(q.to, modulo, offset) : nextPassing(q.from, modulo, offset)
    let hint = q.desc ? gts.length : 0
    for (;;) {
      if (q.desc ? want < q.from : want > q.to) return
      const i = q.desc ? lastAtMost(gts, want, hint) : lowerBound(gts, want, hint)
      const gt = gts[i]
      if (gt === undefined || (q.desc ? gt < q.from : gt > q.to)) return
      hint = q.desc ? i + 1 : i
      if (!passesModulo(gt, modulo, offset)) {
        want = q.desc ? prevPassing(gt, modulo, offset) : nextPassing(gt, modulo, offset)
        continue
      }
      // A copy of the held ones: the consumer may put or delete between two rows.
      const all = byGt.get(gt)!
      const list = all.length === 1 ? (this.#isSet(all[0]!) ? all.slice() : []) : all.filter((ord) => this.#isSet(ord))
      if (q.desc) list.reverse()
      for (const ord of list) {
        throwIfAborted(q.signal)
        this.assertOpen()
        if (rows >= q.maxRows) return
        rows++
        this.counters.rowsRead++
        yield this.#table.bundle(ord)
        if (++yielded >= q.limit) return
      }
      want = q.desc ? prevPassing(gt - 1, modulo, offset) : nextPassing(gt + 1, modulo, offset)
    }
  }

  #find(overlay: Uint8Array, id: Uint8Array): number | undefined {
    const o = this.#table.ordinal(id)
    if (o === undefined || !this.#isSet(o)) return undefined
    const ov = this.#table.overlay(overlay)
    return ov === this.#table.overlayOf(o) ? o : undefined
  }

  #add(o: number): boolean {
    if (!this.#set(o)) return false
    this.#undelivered.add(o)
    return true
  }

  #isSet(o: number): boolean {
    return o >> 3 < this.#bits.length && (this.#bits[o >> 3]! & (1 << (o & 7))) !== 0
  }

  #set(o: number): boolean {
    if (this.#isSet(o)) return false
    const byte = o >> 3
    if (byte >= this.#bits.length) {
      let n = this.#bits.length
      while (n <= byte) n *= 2
      const next = new Uint8Array(n)
      next.set(this.#bits)
      this.#bits = next
    }
    this.#bits[byte]! |= 1 << (o & 7)
    const overlay = this.#table.overlayOf(o)
    const held = (this.#held[overlay] ??= { count: 0, maxGt: 0 })
    held.count++
    const gt = this.#table.bundle(o).globalTime
    if (gt > held.maxGt) held.maxGt = gt
    return true
  }
}
