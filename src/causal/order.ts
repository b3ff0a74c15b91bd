/**
 * The canonical causal order: a topological order of the parent DAG in which, among the
 * bundles whose parents all come earlier, the smallest (global time, id) always goes first
 * (Kahn's algorithm with a min-heap). It is a function of the set alone, so every node
 * holding the same bundles computes the same sequence (DESIGN §8, docs/causal.md).
 */
import { compareBytes, hex } from '../bytes.js'
import { MinHeap } from '../min-heap.js'

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

/**
 * The canonical order of a set of bundles: parents before children, ties by (global time,
 * id). Parents outside the set count as already delivered; duplicate ids are kept once; a
 * cycle (impossible with content-hash ids) leaves its members out.
 */
export function causalOrder<T extends CausalItem>(items: readonly T[]): T[] {
  const byKey = new Map<string, T>()
  for (const item of items) byKey.set(hex(item.id), item)
  const blocking = new Map<string, number>()
  const children = new Map<string, string[]>()
  const heap = new MinHeap<T>(compareCausal)
  for (const [key, item] of byKey) {
    const parents = new Set(item.parents.map(hex).filter((p) => byKey.has(p)))
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
    for (const child of children.get(hex(item.id)) ?? []) {
      const left = blocking.get(child)! - 1
      blocking.set(child, left)
      if (left === 0) heap.push(byKey.get(child)!)
    }
  }
  return out
}
