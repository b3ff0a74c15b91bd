/**
 * The in-memory short-id index of the memory and simulator stores (docs/reconcile.md §14):
 * values by their bundle's 64-bit item hash, keyed by its top 53 bits (a number, no string
 * per bundle); a lookup compares the whole hash, so 53-bit coincidences are harmless.
 */
import { itemHashHalves } from '../reconcile/hash.js'

const TWO_POW_21 = 2097152

/** Values (bundles, ordinals) by the item hash of their bundle id. */
export class ShortIdIndex<T> {
  readonly #byKey = new Map<number, Array<{ hi: number; lo: number; value: T }>>()

  /** Indexes `value` under the item hash of `id`. */
  add(id: Uint8Array, value: T): void {
    const [hi, lo] = itemHashHalves(id)
    const key = hi * TWO_POW_21 + (lo >>> 11)
    const list = this.#byKey.get(key)
    if (list === undefined) this.#byKey.set(key, [{ hi, lo, value }])
    else list.push({ hi, lo, value })
  }

  /** Removes `value` from under the item hash of `id`. */
  delete(id: Uint8Array, value: T): void {
    const [hi, lo] = itemHashHalves(id)
    const key = hi * TWO_POW_21 + (lo >>> 11)
    const list = this.#byKey.get(key)
    if (list === undefined) return
    const at = list.findIndex((e) => e.value === value)
    if (at >= 0) list.splice(at, 1)
    if (list.length === 0) this.#byKey.delete(key)
  }

  /** The values under the short id (8 bytes, big-endian item hash), in insertion order. */
  get(short: Uint8Array): T[] {
    const view = new DataView(short.buffer, short.byteOffset, 8)
    const hi = view.getUint32(0)
    const lo = view.getUint32(4)
    const list = this.#byKey.get(hi * TWO_POW_21 + (lo >>> 11))
    if (list === undefined) return []
    return list.filter((e) => e.hi === hi && e.lo === lo).map((e) => e.value)
  }
}
