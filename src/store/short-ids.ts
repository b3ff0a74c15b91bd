/**
 * The in-memory short-id index of the memory and simulator stores (docs/reconcile.md §14):
 * values by their bundle's 64-bit item hash, keyed by its top 32 bits (a number, no string
 * per bundle), so that a lookup by a 4-byte prefix (docs/reconcile.md §15) is one map read; a
 * lookup by the whole hash compares its low half too.
 */
import { itemHashHalves } from '../reconcile/hash.js'

/** Values (bundles, ordinals) by the item hash of their bundle id. */
export class ShortIdIndex<T> {
  readonly #byHi = new Map<number, Array<{ lo: number; value: T }>>()

  /** Indexes `value` under the item hash of `id`. */
  add(id: Uint8Array, value: T): void {
    const [hi, lo] = itemHashHalves(id)
    const list = this.#byHi.get(hi)
    if (list === undefined) this.#byHi.set(hi, [{ lo, value }])
    else list.push({ lo, value })
  }

  /** Removes `value` from under the item hash of `id`. */
  delete(id: Uint8Array, value: T): void {
    const [hi] = itemHashHalves(id)
    const list = this.#byHi.get(hi)
    if (list === undefined) return
    const at = list.findIndex((e) => e.value === value)
    if (at >= 0) list.splice(at, 1)
    if (list.length === 0) this.#byHi.delete(hi)
  }

  /**
   * The values under the short id `short` (8 bytes, big-endian item hash), or under every
   * short id that begins with `short` when it is a 4-byte prefix; in insertion order.
   */
  get(short: Uint8Array): T[] {
    const view = new DataView(short.buffer, short.byteOffset, short.length)
    const list = this.#byHi.get(view.getUint32(0))
    if (list === undefined) return []
    if (short.length === 4) return list.map((e) => e.value)
    const lo = view.getUint32(4)
    return list.filter((e) => e.lo === lo).map((e) => e.value)
  }
}
