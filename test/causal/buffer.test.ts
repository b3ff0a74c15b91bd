/** CausalBuffer unit tests: delivery, release order, missing parents, bounds. */
import { describe, expect, it } from 'vitest'
import { CausalBuffer, causalOrder } from '../../src/causal/index.js'
import { hexKey } from '../../src/store/range.js'
import { roomId, signBundle, type Bundle } from '../../src/bundle/index.js'
import { makeAuthors } from '../helpers/bundles.js'
import { type Item, drive, item, names } from './helpers.js'

/** a ← b ← c, plus d ← b (two chains over a). */
function chain(): Item[] {
  const a = item(0, [], 1)
  const b = item(1, [a], 2)
  const c = item(2, [b], 3)
  const d = item(3, [b], 3)
  return [a, b, c, d]
}

describe('CausalBuffer', () => {
  it('expire ends the wait of bundles waiting since `before` or earlier: delivered without their missing parents, oldest first, releasing their children', () => {
    const [a, b, c] = chain()
    const x = item(9, [item(8, [], 1)], 4)
    const buffer = new CausalBuffer<Item>({ isDelivered: () => false })
    buffer.offer(b!, 'peer', 100)
    buffer.offer(c!, 'peer', 150)
    buffer.offer(x, 'peer', 300)
    expect(buffer.oldestWait()).toBe(100)
    expect(buffer.expire(99)).toEqual([])
    const released = buffer.expire(200)
    expect(released.map((r) => [r.item.name, r.missing.map(hexKey)])).toEqual([
      [1, [hexKey(a!.id)]],
      [2, []]
    ])
    expect(buffer.pending).toBe(1)
    expect(buffer.oldestWait()).toBe(300)
    expect(buffer.stats().expired).toBe(1)
    expect(buffer.deliveredRecently(b!.id)).toBe(true)
    // The parent arriving late is delivered normally, once; the expired child is not delivered again.
    expect(names(buffer.offer(a!, 'peer', 400).deliver)).toEqual([0])
    expect(buffer.offer(b!, 'peer', 400).deliver).toEqual([])
    expect(buffer.capacity).toBe(1024)
  })

  it('delivers a bundle whose parents are delivered at once, and holds one whose parent is missing', () => {
    const [a, b] = chain()
    const run = drive([a!, b!])
    expect(run.batches.map(names)).toEqual([[0], [1]])
    const early = drive([b!])
    expect(early.batches).toEqual([[]])
    expect(early.buffer.pending).toBe(1)
    expect(early.buffer.has(b!.id)).toBe(true)
    expect(early.buffer.missingOf(b!.id)).toEqual([a!.id])
    expect(early.buffer.sourceOf(b!.id)).toBe('peer')
  })

  it('reports a missing parent (to request from the sender) and delivers the child once the parent arrives', () => {
    const [a, b, c, d] = chain()
    const run = drive([d!, c!, b!, a!])
    expect(run.missing).toEqual([hexKey(b!.id), hexKey(a!.id)]) // b for d (c then finds b reported); a for b
    expect(run.batches.map(names)).toEqual([[], [], [], [0, 1, 2, 3]])
    expect(run.buffer.pending).toBe(0)
  })

  it('releases waiting descendants in topological order with ties broken by (global time, id)', () => {
    const root = item(0, [], 5)
    // Children of root with equal global times: the id decides; a grandchild with a smaller global time still follows its parent.
    const x = item(1, [root], 7, new Uint8Array(30).fill(0xee))
    const y = item(2, [root], 7, new Uint8Array(30).fill(0x11))
    const z = item(3, [root], 6)
    const w = item(4, [y], 1)
    const run = drive([x, w, y, z, root])
    expect(names(run.batches.at(-1)!)).toEqual([0, 3, 2, 4, 1])
    expect(names(causalOrder([x, w, y, z, root]))).toEqual([0, 3, 2, 4, 1])
  })

  it('treats bundles its isDelivered predicate knows (e.g. in the store) as delivered', () => {
    const [a, b] = chain()
    const buffer = new CausalBuffer<Item>({ isDelivered: (id) => hexKey(id) === hexKey(a!.id) })
    expect(names(buffer.offer(b!).deliver)).toEqual([1])
    expect(buffer.offer(a!).deliver).toEqual([]) // a duplicate
    expect(buffer.stats()).toMatchObject({ offered: 2, delivered: 1, duplicates: 1 })
  })

  it("takes the parents an offer's caller found delivered (an async store look-up) for that offer only: no state carries over to the next", () => {
    const [a, b, c] = chain()
    const x = item(9, [a!], 4)
    const buffer = new CausalBuffer<Item>({ isDelivered: () => false })
    const known = (id: Uint8Array): boolean => hexKey(id) === hexKey(a!.id)
    // b's parent a is known delivered for this offer: b is delivered at once.
    expect(names(buffer.offer(b!, 'peer', 0, known).deliver)).toEqual([1])
    // x's parent is the same a, but this offer does not say so: x waits and asks for a.
    const next = buffer.offer(x, 'peer', 0)
    expect(next.deliver).toEqual([])
    expect(next.missing.map(hexKey)).toEqual([hexKey(a!.id)])
    // A waiting bundle offered again with its parent now known delivered is released.
    expect(names(buffer.offer(x, 'peer', 0, known).deliver)).toEqual([9])
    // c's parent b was delivered by the buffer itself: no predicate needed.
    expect(names(buffer.offer(c!).deliver)).toEqual([2])
  })

  it('remembers what it delivered itself, so a forgetful isDelivered does not block children', () => {
    const [a, b, c] = chain()
    const buffer = new CausalBuffer<Item>({ isDelivered: () => false })
    expect(names([...buffer.offer(a!).deliver, ...buffer.offer(b!).deliver, ...buffer.offer(c!).deliver])).toEqual([0, 1, 2])
    expect(buffer.offer(b!).deliver).toEqual([])
  })

  it('asks for each missing id at most once per requestInterval offers, and again on a duplicate after it', () => {
    const [a, b, c] = chain()
    const run = drive([c!, c!, c!, c!], { requestInterval: 3 })
    expect(run.missing).toEqual([hexKey(b!.id), hexKey(b!.id)]) // offers 1 and 4
    expect(run.buffer.stats()).toMatchObject({ requested: 2, duplicates: 3 })
    // A parent that is present but itself waiting is not requested.
    const waiting = drive([b!, c!])
    expect(waiting.missing).toEqual([hexKey(a!.id)])
  })

  it('markDelivered releases children of a bundle delivered by other means (e.g. authored locally)', () => {
    const [a, b, c] = chain()
    const run = drive([c!, b!])
    expect(names(run.buffer.markDelivered(a!.id))).toEqual([1, 2])
    expect(run.buffer.pending).toBe(0)
  })

  it('a duplicate offer of a waiting bundle re-checks parents delivered meanwhile by other means', () => {
    const [a, b] = chain()
    const known = new Set<string>()
    const buffer = new CausalBuffer<Item>({ isDelivered: (id) => known.has(hexKey(id)) })
    buffer.offer(b!)
    known.add(hexKey(a!.id))
    expect(names(buffer.offer(b!).deliver)).toEqual([1])
  })

  it('bounds the waiting bundles: the oldest-arrived is evicted and counted; an evicted bundle comes back later', () => {
    const root = item(0, [], 1)
    const kids = Array.from({ length: 10 }, (_, i) => item(i + 1, [root], 2))
    const run = drive(kids, { maxPending: 4 })
    expect(Math.max(...run.pending)).toBe(4)
    expect(run.buffer.stats().evicted).toBe(6)
    expect(kids.slice(0, 6).some((k) => run.buffer.has(k.id))).toBe(false)
    const back = run.buffer.offer(root).deliver
    expect(names(back)).toEqual([0, 7, 8, 9, 10])
    expect(names(run.buffer.offer(kids[0]!).deliver)).toEqual([1]) // re-synced later, delivered then
  })

  it('a bundle whose parent never arrives stays bounded: it waits until newer arrivals evict it', () => {
    const ghost = item(999, [], 1)
    const orphan = item(0, [ghost], 2)
    const others = Array.from({ length: 50 }, (_, i) => item(i + 1, [item(1000 + i, [], 1)], 2))
    const run = drive([orphan, ...others], { maxPending: 8 })
    expect(run.buffer.has(orphan.id)).toBe(false)
    expect(Math.max(...run.pending)).toBe(8)
    expect(run.buffer.stats().evicted).toBe(51 - 8)
  })

  it('rejects invalid options', () => {
    expect(() => new CausalBuffer({ isDelivered: undefined as never })).toThrow(/isDelivered/)
    expect(() => new CausalBuffer({ isDelivered: () => false, maxPending: 0 })).toThrow(/maxPending/)
    expect(() => new CausalBuffer({ isDelivered: () => false, requestInterval: 1.5 })).toThrow(/requestInterval/)
  })

  it('works on signed bundles (the default type)', () => {
    const [alice, bob] = makeAuthors(2, 5)
    const overlay = roomId('causal')
    const first = signBundle({ overlay, globalTime: 1, kind: 1, body: new Uint8Array([1]) }, alice!)
    const reply = signBundle({ overlay, globalTime: 2, kind: 1, parents: [first.id], body: new Uint8Array([2]) }, bob!)
    const delivered = new Set<string>()
    const buffer = new CausalBuffer({ isDelivered: (id) => delivered.has(hexKey(id)) })
    const r1 = buffer.offer(reply, 'bob')
    expect(r1.missing).toEqual([first.id])
    const r2 = buffer.offer(first, 'alice')
    expect(r2.deliver.map((x: Bundle) => x.id)).toEqual([first.id, reply.id])
  })
})
