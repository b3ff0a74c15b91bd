/**
 * A binary min-heap under a comparison: the one heap of the code base (the virtual clock's
 * timers, the memory network's datagrams in flight, causal order's ready bundles). Push and
 * pop cost O(log n). Items that compare equal come out in no promised order: callers that
 * need one (first in, first out) compare a sequence number last.
 */
export class MinHeap<T> {
  readonly #items: T[] = []
  readonly #compare: (a: T, b: T) => number

  /** `compare` < 0 when `a` comes out first. */
  constructor(compare: (a: T, b: T) => number) {
    this.#compare = compare
  }

  get size(): number {
    return this.#items.length
  }

  /** The smallest item, left in place; undefined when empty. */
  peek(): T | undefined {
    return this.#items[0]
  }

  push(item: T): void {
    const a = this.#items
    let i = a.length
    a.push(item)
    while (i > 0) {
      const up = (i - 1) >> 1
      const parent = a[up]!
      if (this.#compare(item, parent) >= 0) break
      a[i] = parent
      i = up
    }
    a[i] = item
  }

  /** The smallest item, removed; undefined when empty. */
  pop(): T | undefined {
    const a = this.#items
    const top = a[0]
    const last = a.pop()
    if (a.length === 0 || last === undefined) return top
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      if (l >= a.length) break
      const r = l + 1
      const c = r < a.length && this.#compare(a[r]!, a[l]!) < 0 ? r : l
      if (this.#compare(a[c]!, last) >= 0) break
      a[i] = a[c]!
      i = c
    }
    a[i] = last
    return top
  }
}
