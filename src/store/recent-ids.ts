/**
 * The ids a store committed most recently, with their global times: answers `has` for the
 * bundles that arrive again while a room is busy (a walk and a push crossing, two peers
 * answering the same filter) without a disk read, and gives `markDelivered` the global time
 * it needs to find the mark. Bounded; the oldest entry goes first. Only the write queue
 * fills or empties it, after the write committed, so it never says "held" for a row the
 * store does not have.
 */

/** Ids remembered per store: a few seconds of a busy room's intake; ~150 bytes each. */
export const RECENT_IDS = 8192

export class RecentIds {
  readonly #gts = new Map<string, number>()

  constructor(readonly capacity: number = RECENT_IDS) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError('capacity must be an integer ≥ 1')
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
    const k = text(key)
    this.#gts.delete(k)
    this.#gts.set(k, globalTime)
    if (this.#gts.size > this.capacity) this.#gts.delete(this.#gts.keys().next().value!)
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
