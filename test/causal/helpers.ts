/**
 * Bundle-shaped DAGs for causal-delivery tests (signatures are irrelevant to causal order,
 * so items carry only id, parents and global time), and a driver that offers them to a
 * CausalBuffer the way a node would.
 */
import fc from 'fast-check'
import { SeededRng, shuffle } from '../../src/env/rng.js'
import { CausalBuffer, type CausalBufferInit, type CausalItem } from '../../src/causal/index.js'
import { hexKey } from '../../src/store/range.js'

export interface Item extends CausalItem {
  readonly name: number
}

/** An item with a readable id: random leading bytes (so id order is unrelated to the name), the name at the end. */
export function item(name: number, parents: readonly Item[], globalTime: number, salt: Uint8Array = new Uint8Array(30)): Item {
  const id = new Uint8Array(32)
  id.set(salt.subarray(0, 30))
  id[30] = name >> 8
  id[31] = name & 0xff
  return { name, id, parents: parents.map((p) => p.id), globalTime }
}

/**
 * A random DAG of 1..maxSize items in creation order: each picks up to 3 parents among the
 * earlier ones. Global times are either Lamport-like (1 + the largest parent's, plus jitter)
 * or arbitrary small numbers (many ties, children possibly "older" than parents).
 */
export function arbDag(maxSize = 40): fc.Arbitrary<Item[]> {
  const node = fc.record({
    picks: fc.array(fc.nat(), { maxLength: 3 }),
    jitter: fc.nat({ max: 3 }),
    salt: fc.uint8Array({ minLength: 30, maxLength: 30 })
  })
  return fc.tuple(fc.array(node, { minLength: 1, maxLength: maxSize }), fc.boolean()).map(([nodes, lamport]) => {
    const items: Item[] = []
    nodes.forEach((n, i) => {
      const parents = i === 0 ? [] : [...new Set(n.picks.map((p) => p % i))].map((p) => items[p]!)
      const gt = lamport ? 1 + Math.max(0, ...parents.map((p) => p.globalTime)) + n.jitter : 1 + n.jitter
      items.push(item(i, parents, gt, n.salt))
    })
    return items
  })
}

/** A shuffled copy, from a seed. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  return shuffle(new SeededRng(seed), [...items])
}

/** What one buffer did with an arrival sequence. */
export interface Run {
  buffer: CausalBuffer<Item>
  /** Delivery stream, in order. */
  stream: Item[]
  /** The `deliver` list of every offer. */
  batches: Item[][]
  /** Every id reported missing, in order, as hex. */
  missing: string[]
  /** Pending count after every offer. */
  pending: number[]
}

/** Offers `arrivals` in order to a fresh buffer whose isDelivered is backed by the delivered set (as a node's store would be). */
export function drive(arrivals: readonly Item[], init: Partial<CausalBufferInit> = {}): Run {
  const delivered = new Set<string>()
  const buffer = new CausalBuffer<Item>({ isDelivered: (id) => delivered.has(hexKey(id)), ...init })
  const run: Run = { buffer, stream: [], batches: [], missing: [], pending: [] }
  for (const x of arrivals) offerTo(run, delivered, x)
  return run
}

function offerTo(run: Run, delivered: Set<string>, x: Item): void {
  const { deliver, missing } = run.buffer.offer(x, 'peer')
  for (const d of deliver) delivered.add(hexKey(d.id))
  run.stream.push(...deliver)
  run.batches.push(deliver)
  run.missing.push(...missing.map(hexKey))
  run.pending.push(run.buffer.pending)
}

/** Names of items. */
export const names = (items: readonly Item[]) => items.map((x) => x.name)

/** True when every item's in-set parents come before it. */
export function parentsFirst(stream: readonly Item[]): boolean {
  const seen = new Set<string>()
  const inSet = new Set(stream.map((x) => hexKey(x.id)))
  for (const x of stream) {
    if (x.parents.some((p) => inSet.has(hexKey(p)) && !seen.has(hexKey(p)))) return false
    seen.add(hexKey(x.id))
  }
  return true
}
