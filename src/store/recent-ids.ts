/**
 * The ids a store committed most recently, with their global times: answers `has` for the
 * bundles that arrive again while a room is busy (a walk and a push crossing, two peers
 * answering the same filter) without a disk read, and gives `markDelivered` the global time
 * it needs to find the mark. Bounded; the oldest entry goes first. Only the write queue
 * fills or empties it, after the write committed, so it never says "held" for a row the
 * store does not have.
 */

import { BoundedMap } from '../bounded-map.js'

/** Ids remembered per store: a few seconds of a busy room's intake; ~150 bytes each. */
export const RECENT_IDS = 8192

export class RecentIds {
  readonly #gts: BoundedMap<string, number>

  /** @throws {RangeError} when `capacity` is not an integer ≥ 1 */
  constructor(readonly capacity: number = RECENT_IDS) {
    this.#gts = new BoundedMap(capacity)
  }

  get size(): number {
    return this.#gts.size
  }

  /** The global time of `key` (an id-index key) if it was committed recently, else undefined. */
  globalTime(key: Uint8Array): number | undefined {
    return this.#gts.get(text(key))
  }

  /** Records a committed row; evicts the oldest entry beyond the bound. */
  add(key: Uint8Array, globalTime: number): void {
    this.#gts.set(text(key), globalTime)
  }

  /** Forgets a deleted row. */
  delete(key: Uint8Array): void {
    this.#gts.delete(text(key))
  }

  /** Forgets everything (the store closed, or a write failed and it will re-open). */
  clear(): void {
    this.#gts.clear()
  }
}

function text(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1')
}
