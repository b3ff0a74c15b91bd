/**
 * The bundles an overlay stored last, kept by its ledger (the only writer), so the push path
 * answers its two questions without a store scan: which bundle an announced short id names
 * (an item hash, docs/reconcile.md §14) and whether anything is held at a global time (a gap
 * below a pushed bundle, ./gap-fetch.ts). A LevelDB store answers both only with an
 * iterator — about 0.2 ms of CPU each, measured as most of a busy room's intake when every
 * announcement of a bundle not yet held asked it. Fresh bundles, the only ones announced, are
 * among the last stored; what is older is the store's to answer.
 *
 * It also knows the bundles being written right now (between the ledger's put and its
 * completion): an announcement of one of them is not asked for again. On a busy node that
 * write takes long enough for announcements of the same bundle to arrive meanwhile, and each
 * asked for it and got it again (issue 22; in the simulator the window is empty).
 *
 * Bounded: the last {@link RECENTLY_STORED} bundles (oldest forgotten first); the bundles
 * being written, by the ledger's writes in flight.
 */
import type { Bundle } from '../bundle/types.js'
import { BoundedMap } from '../bounded-map.js'
import { equalBytes, hex } from '../bytes.js'
import { SHORT_ID_BYTES, shortIdOf } from '../reconcile/index.js'
import type { BundleStore } from '../store/types.js'

/** Bundles remembered per overlay. */
export const RECENTLY_STORED = 4096

export class RecentlyStored {
  /** By short id (hex): the id, oldest stored first; `shared`: another bundle stored lately has this short id too. */
  readonly #byShort: BoundedMap<string, { id: Uint8Array; globalTime: number; shared?: true }>
  /** Bundles remembered at each global time. */
  readonly #atTime = new Map<number, number>()
  /** Short ids (hex) of bundles being written now, with how many writes of each are in flight. */
  readonly #arriving = new Map<string, number>()

  /** An id's short id (tests pass one that collides at will). */
  readonly #shortOf: (id: Uint8Array) => Uint8Array

  /** @throws {RangeError} when `capacity` is not an integer ≥ 1 */
  constructor(capacity = RECENTLY_STORED, shortOf: (id: Uint8Array) => Uint8Array = shortIdOf) {
    this.#byShort = new BoundedMap(capacity)
    this.#shortOf = shortOf
  }

  get size(): number {
    return this.#byShort.size
  }

  stored(b: Bundle): void {
    const key = hex(this.#shortOf(b.id))
    const known = this.#byShort.get(key)
    if (known !== undefined) {
      // Ids that collide on their item hash (ground on purpose): not answered from here.
      if (!equalBytes(known.id, b.id)) known.shared = true
      return
    }
    const forgotten = this.#byShort.set(key, { id: b.id, globalTime: b.globalTime })
    this.#atTime.set(b.globalTime, (this.#atTime.get(b.globalTime) ?? 0) + 1)
    if (forgotten !== undefined) this.#uncount(forgotten[1].globalTime)
  }

  /** A bundle's write started (the ledger calls {@link arrived} when it ends, however it ends). */
  arriving(id: Uint8Array): void {
    const key = hex(this.#shortOf(id))
    this.#arriving.set(key, (this.#arriving.get(key) ?? 0) + 1)
  }

  arrived(id: Uint8Array): void {
    const key = hex(this.#shortOf(id))
    const n = (this.#arriving.get(key) ?? 0) - 1
    if (n > 0) this.#arriving.set(key, n)
    else this.#arriving.delete(key)
  }

  /** Bundles being written now. */
  get writing(): number {
    return this.#arriving.size
  }

  /** Whether a bundle under the 8-byte short id `short` was stored lately or is being written now. */
  holds(short: Uint8Array): boolean {
    const key = hex(short)
    return this.#byShort.has(key) || this.#arriving.has(key)
  }

  removed(b: Bundle): void {
    const key = hex(this.#shortOf(b.id))
    const entry = this.#byShort.get(key)
    if (entry === undefined) return
    this.#byShort.delete(key)
    this.#uncount(entry.globalTime)
  }

  /** The id of a bundle stored lately under the 8-byte short id `short`, or undefined. */
  idOf(short: Uint8Array): Uint8Array | undefined {
    return this.#byShort.get(hex(short))?.id
  }

  /** Like {@link idOf}, but undefined when two bundles stored lately share the short id. */
  soleIdOf(short: Uint8Array): Uint8Array | undefined {
    const entry = this.#byShort.get(hex(short))
    return entry === undefined || entry.shared === true ? undefined : entry.id
  }

  /** Whether a bundle stored lately is at `globalTime` (false says nothing about older ones). */
  holdsAt(globalTime: number): boolean {
    return (this.#atTime.get(globalTime) ?? 0) > 0
  }

  #uncount(globalTime: number): void {
    const n = (this.#atTime.get(globalTime) ?? 0) - 1
    if (n > 0) this.#atTime.set(globalTime, n)
    else this.#atTime.delete(globalTime)
  }
}

/**
 * The bundles held under the 8-byte short id `short` (or short-id prefix): one stored lately
 * read by its id (two point reads), else the store's short-id index (a LevelDB iterator:
 * an asynchronous call through libuv's pool, which catch-up made tens of thousands of times
 * in a busy room, most for the fresh bundles remembered here; issue 22). Ids that collide on
 * their short id lately are read from the index; a collision with a bundle stored before
 * {@link RECENTLY_STORED} others is not seen here: catch-up's salted check then fails as a
 * collision and the Bloom walk's full ids take over (docs/reconcile.md §14).
 */
export async function heldUnder(store: Pick<BundleStore, 'get' | 'byShortId'>, recent: RecentlyStored | undefined, overlay: Uint8Array, short: Uint8Array): Promise<Bundle[]> {
  const id = short.length === SHORT_ID_BYTES ? recent?.soleIdOf(short) : undefined
  const lately = id === undefined ? undefined : await store.get(overlay, id)
  return lately !== undefined ? [lately] : store.byShortId(overlay, short)
}
