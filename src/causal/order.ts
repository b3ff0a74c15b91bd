/**
 * The canonical causal order: a topological order of the parent DAG in which, among the
 * bundles whose parents all come earlier, the smallest (global time, id) always goes first
 * (Kahn's algorithm with a min-heap). It is a function of the set alone, so every node
 * holding the same bundles computes the same sequence (DESIGN §8, docs/causal.md).
 */
import { compareBytes, hexKey } from '../store/range.js'

/** What causal delivery needs of a bundle (a `Bundle` has all three). */
export interface CausalItem {
  /** 32-byte id. */
  readonly id: Uint8Array
  /** Ids of the bundles this one follows. */
  readonly parents: readonly Uint8Array[]
  /** Lamport global time. */
  readonly globalTime: number
}

/** The tie-break among ready bundles: global time, then id bytes, ascending. */
export function compareCausal(a: CausalItem, b: CausalItem): number {
  return a.globalTime - b.globalTime || compareBytes(a.id, b.id)
}

/** A binary min-heap under a comparison. */
export class MinHeap<T> {
  readonly #items: T[] = []

  constructor(readonly compare: (a: T, b: T) => number) {}

  get size(): number {
    return this.#items.length
  }

  push(item: T): void {
    const a = this.#items
    a.push(item)
    let i = a.length - 1
    while (i > 0) {
      const up = (i - 1) >> 1
      if (this.compare(a[i]!, a[up]!) >= 0) break
      ;[a[i], a[up]] = [a[up]!, a[i]!]
      i = up
    }
  }

  /** The smallest item, removed; undefined when empty. */
  pop(): T | undefined {
    const a = this.#items
    const top = a[0]
    const last = a.pop()
    if (a.length === 0 || last === undefined) return top
    a[0] = last
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < a.length && this.compare(a[l]!, a[m]!) < 0) m = l
      if (r < a.length && this.compare(a[r]!, a[m]!) < 0) m = r
      if (m === i) return top
      ;[a[i], a[m]] = [a[m]!, a[i]!]
      i = m
    }
  }
}

/**
 * The canonical order of a set of bundles: parents before children, ties by (global time,
 * id). Parents outside the set count as already delivered; duplicate ids are kept once; a
 * cycle (impossible with content-hash ids) leaves its members out.
 */
export function causalOrder<T extends CausalItem>(items: readonly T[]): T[] {
  const byKey = new Map<string, T>()
  for (const item of items) byKey.set(hexKey(item.id), item)
  const blocking = new Map<string, number>()
  const children = new Map<string, string[]>()
  const heap = new MinHeap<T>(compareCausal)
  for (const [key, item] of byKey) {
    const parents = new Set(item.parents.map(hexKey).filter((p) => byKey.has(p)))
    blocking.set(key, parents.size)
    for (const p of parents) {
      const list = children.get(p)
      if (list === undefined) children.set(p, [key])
      else list.push(key)
    }
    if (parents.size === 0) heap.push(item)
  }
  const out: T[] = []
  for (let item = heap.pop(); item !== undefined; item = heap.pop()) {
    out.push(item)
    for (const child of children.get(hexKey(item.id)) ?? []) {
      const left = blocking.get(child)! - 1
      blocking.set(child, left)
      if (left === 0) heap.push(byKey.get(child)!)
    }
  }
  return out
}
