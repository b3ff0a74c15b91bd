/** Items keyed by a due time, on the shared {@link MinHeap} (internal to `transport`). */
import { MinHeap } from '../min-heap.js'

interface Slot<T> {
  at: number
  seq: number
  item: T
}

/** Items keyed by a due time; equal times come out in the order they went in. */
export class TimeQueue<T> {
  readonly #heap = new MinHeap<Slot<T>>((a, b) => a.at - b.at || a.seq - b.seq)
  #seq = 0

  get size(): number {
    return this.#heap.size
  }

  push(at: number, item: T): void {
    this.#heap.push({ at, seq: this.#seq++, item })
  }

  /** Removes and returns the earliest item, or `undefined` when empty. */
  pop(): T | undefined {
    return this.#heap.pop()?.item
  }
}
