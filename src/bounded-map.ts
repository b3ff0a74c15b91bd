/**
 * An insertion-ordered map that holds at most `capacity` entries: setting a key beyond the
 * bound forgets the entry set longest ago. Setting a key again makes it the newest. The
 * "recent ids" memories of the store (./store/recent-ids.ts), the delivery service
 * (./node/delivery.ts) and the ledger (./node/recently-stored.ts) are each one of these,
 * with their own owner and bound.
 */
export class BoundedMap<K, V> {
  readonly #map = new Map<K, V>()

  /** @throws {RangeError} when `capacity` is not an integer ≥ 1 */
  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError('capacity must be an integer ≥ 1')
  }

  get size(): number {
    return this.#map.size
  }

  get(key: K): V | undefined {
    return this.#map.get(key)
  }

  has(key: K): boolean {
    return this.#map.has(key)
  }

  /** Sets `key` as the newest entry; returns the oldest entry when the bound pushed it out. */
  set(key: K, value: V): [K, V] | undefined {
    this.#map.delete(key)
    this.#map.set(key, value)
    if (this.#map.size <= this.capacity) return undefined
    const [oldest] = this.#map
    this.#map.delete(oldest![0])
    return oldest
  }

  delete(key: K): boolean {
    return this.#map.delete(key)
  }

  clear(): void {
    this.#map.clear()
  }
}
