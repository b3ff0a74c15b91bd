/** A binary min-heap ordered by (time, insertion order) (internal to `transport`). */

interface Slot<T> {
  at: number
  seq: number
  item: T
}

/** Items keyed by a due time; equal times come out in the order they went in. */
export class TimeQueue<T> {
  #heap: Slot<T>[] = []
  #seq = 0

  get size(): number {
    return this.#heap.length
  }

  push(at: number, item: T): void {
    const heap = this.#heap
    heap.push({ at, seq: this.#seq++, item })
    let i = heap.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(heap[i]!, heap[parent]!)) break
      swap(heap, i, parent)
      i = parent
    }
  }

  /** Removes and returns the earliest item, or `undefined` when empty. */
  pop(): T | undefined {
    const heap = this.#heap
    const top = heap[0]
    if (top === undefined) return undefined
    const last = heap.pop()!
    if (heap.length > 0) {
      heap[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < heap.length && before(heap[l]!, heap[m]!)) m = l
        if (r < heap.length && before(heap[r]!, heap[m]!)) m = r
        if (m === i) break
        swap(heap, i, m)
        i = m
      }
    }
    return top.item
  }
}

function before<T>(a: Slot<T>, b: Slot<T>): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq)
}

function swap<T>(heap: Slot<T>[], i: number, j: number): void {
  const t = heap[i]!
  heap[i] = heap[j]!
  heap[j] = t
}
