/**
 * Retention converges (issue 20, DESIGN §14): whatever order a peer sees bundles in, and
 * however it interleaves pruning sweeps, it ends holding exactly F(union) — computed here
 * from scratch by a separate brute-force definition — and every bundle it refused on the way
 * is outside F(union). A refused bundle offered back is refused again (one comparison).
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { roomPolicy, type RoomPolicy } from '../../src/bundle/index.js'
import { compareEntries, RetentionIndex, type RetainedEntry } from '../../src/sync/retention.js'

/** F(U) by definition: newest Q per (author, window), newest H per author of those, then pruning by T. */
function bruteForce(all: readonly RetainedEntry[], p: RoomPolicy, time: number): string[] {
  const byKey = (key: (e: RetainedEntry) => string, es: RetainedEntry[], keep: number) => {
    if (keep === 0) return es
    const groups = new Map<string, RetainedEntry[]>()
    for (const e of es) groups.set(key(e), [...(groups.get(key(e)) ?? []), e])
    return [...groups.values()].flatMap((g) => g.sort(compareEntries).slice(-keep))
  }
  let kept = [...new Map(all.map((e) => [e.id, e])).values()]
  if (p.quota.count > 0) kept = byKey((e) => `${e.author}/${Math.floor(e.globalTime / p.quota.window)}`, kept, p.quota.count)
  kept = byKey((e) => e.author, kept, p.history)
  const from = p.pruning.pruned === 0 ? 0 : time - p.pruning.pruned
  return kept.filter((e) => e.globalTime >= from).sort(compareEntries).map((e) => e.id)
}

/** A peer: the index plus the set it stores, fed one arrival at a time. */
function peer(p: RoomPolicy): { arrive(e: RetainedEntry, time: number): boolean; sweep(time: number): void; held(): string[]; index: RetentionIndex } {
  const index = new RetentionIndex(p)
  const held = new Map<string, RetainedEntry>()
  return {
    index,
    arrive(e, time) {
      if (held.has(e.id)) return true
      if (index.refuses(e, 0, time) !== undefined) return false
      held.set(e.id, e)
      for (const x of index.insert(e)) held.delete(x.id)
      return true
    },
    sweep(time) {
      const from = index.keptFrom(time)
      for (const e of [...held.values()]) {
        if (e.globalTime >= from) continue
        held.delete(e.id)
        index.remove(e)
      }
    },
    held: () => [...held.values()].sort(compareEntries).map((e) => e.id)
  }
}

const entryArb = fc.record({ globalTime: fc.integer({ min: 1, max: 60 }), author: fc.constantFrom('a', 'b', 'c'), salt: fc.integer({ min: 0, max: 3 }) })
const policyArb = fc.record({
  quota: fc.oneof(fc.constant({ count: 0, window: 0 }), fc.record({ count: fc.integer({ min: 1, max: 3 }), window: fc.integer({ min: 1, max: 15 }) })),
  history: fc.integer({ min: 0, max: 6 }),
  pruned: fc.oneof(fc.constant(0), fc.integer({ min: 5, max: 50 }))
})

describe('retention', () => {
  it('converges on F(union) in any arrival order, with pruning sweeps interleaved', () => {
    fc.assert(
      fc.property(fc.array(entryArb, { minLength: 1, maxLength: 60 }), policyArb, fc.integer({ min: 0, max: 2 ** 31 - 1 }), (raw, pol, seed) => {
        const p = roomPolicy({ quota: pol.quota, history: pol.history, pruning: { inactive: 0, pruned: pol.pruned } })
        const entries = [...new Map(raw.map((r) => { const id = `${r.author}${String(r.globalTime).padStart(3, '0')}${r.salt}`; return [id, { globalTime: r.globalTime, id, author: r.author }] })).values()]
        const expected = (time: number) => bruteForce(entries, p, time)
        // Two peers, two orders (one the reverse of a shuffle), each with its own clock: the max global time it saw.
        const orders = [shuffle(entries, seed), shuffle(entries, seed).reverse()]
        const finalTime = Math.max(...entries.map((e) => e.globalTime))
        const results = orders.map((order, k) => {
          const q = peer(p)
          let time = 0
          for (const [i, e] of order.entries()) {
            time = Math.max(time, e.globalTime)
            const kept = q.arrive(e, time)
            if (!kept) expect(expected(finalTime)).not.toContain(e.id) // refused ⇒ outside F(union)
            if ((i + k) % 7 === 0) q.sweep(time)
            // A peer that has not pruned yet offers everything back: refused again, or already held.
            if (i % 5 === 0) for (const back of order.slice(0, i)) q.arrive(back, time)
          }
          q.sweep(finalTime)
          return q.held()
        })
        expect(results[0]).toEqual(expected(finalTime))
        expect(results[1]).toEqual(expected(finalTime))
      }),
      { numRuns: 400, seed: 20 }
    )
  })

  it('refuses a bundle outside the policy before storing it, by reason', () => {
    const index = new RetentionIndex(roomPolicy({ quota: { count: 2, window: 10 }, history: 3, pruning: { inactive: 50, pruned: 100 }, maxBodyBytes: 16 }))
    const e = (globalTime: number, id = 'x') => ({ globalTime, id: `${id}${globalTime}`, author: 'a' })
    expect(index.refuses(e(1), 17, 1)).toBe('body-too-large')
    expect(index.refuses(e(5), 0, 106)).toBe('pruned')
    expect(index.activeFrom(106)).toBe(56)
    index.insert(e(11))
    index.insert(e(12))
    expect(index.refuses(e(10), 0, 20)).toBe('quota') // window [10, 20) holds 2 newer
    expect(index.insert(e(13))).toEqual([e(11)]) // a newer one displaces the window's oldest
    index.insert(e(25))
    index.insert(e(31))
    expect(index.entriesOf('a').map((x) => x.globalTime)).toEqual([13, 25, 31]) // history 3
    expect(index.refuses(e(12, 'y'), 0, 40)).toBe('history')
  })

  it('holds no entries when the policy has no quota and no history', () => {
    const index = new RetentionIndex(roomPolicy({ pruning: { inactive: 0, pruned: 10 } }))
    for (let i = 0; i < 1000; i++) expect(index.insert({ globalTime: i, id: `${i}`, author: `${i % 7}` })).toEqual([])
    expect(index.authors).toBe(0)
  })
})

function shuffle<T>(xs: readonly T[], seed: number): T[] {
  const out = [...xs]
  let s = seed >>> 0 || 1
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    const j = s % (i + 1)
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}
