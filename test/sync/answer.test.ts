import { describe, expect, it } from 'vitest'
import { BloomFilter } from '../../src/bloom/index.js'
import { roomId } from '../../src/bundle/index.js'
import { SeededRng } from '../../src/env/rng.js'
import { MemoryStore } from '../../src/store/memory.js'
import { answerOffer, kindGroups } from '../../src/sync/answer.js'
import { type KindPolicy, syncConfig } from '../../src/sync/config.js'
import { hex, makeBundles } from '../helpers/bundles.js'
import type { Bundle } from '../../src/bundle/types.js'
import type { RangeQuery } from '../../src/store/types.js'

const overlay = roomId('answer-test')
const nothing = { has: () => false }

async function storeOf(bundles: Bundle[]) {
  const store = new MemoryStore()
  await store.open()
  await store.putMany(bundles)
  return store
}

function ctx(store: MemoryStore, globalTime = 1_000_000) {
  return { store, overlay, globalTime, rng: new SeededRng(1) }
}

describe('answering an offer', () => {
  const bundles = makeBundles(400, { overlay, seed: 3, maxGlobalTime: 500 })

  it('returns exactly the bundles in [low, high] with (gt + offset) % modulo == 0 that the filter lacks', async () => {
    const store = await storeOf(bundles)
    const filter = new BloomFilter(512, 7, 99)
    const held = bundles.filter((_, i) => i % 3 === 0)
    for (const b of held) filter.add(b.id)
    const config = syncConfig({ responseBudget: 1_000_000 })
    const offer = { timeLow: 100, timeHigh: 400, modulo: 3, offset: 1, bloom: filter }
    const answer = await answerOffer(offer, ctx(store), config)
    const heldIds = new Set(held.map((b) => hex(b.id)))
    const expected = bundles.filter((b) => b.globalTime >= 100 && b.globalTime <= 400 && (b.globalTime + 1) % 3 === 0 && !heldIds.has(hex(b.id)))
    // A Bloom filter can only hide extra bundles (false positives), never add any.
    const got = new Set(answer.bundles.map((b) => hex(b.id)))
    for (const b of answer.bundles) expect(b.globalTime >= 100 && b.globalTime <= 400 && (b.globalTime + 1) % 3 === 0).toBe(true)
    const missing = expected.filter((b) => !got.has(hex(b.id)))
    expect(missing.length).toBeLessThanOrEqual(Math.ceil(expected.length * 0.05))
    expect(answer.bundles.every((b) => !heldIds.has(hex(b.id)))).toBe(true)
    // Ascending by default.
    for (let i = 1; i < answer.bundles.length; i++) expect(answer.bundles[i]!.globalTime).toBeGreaterThanOrEqual(answer.bundles[i - 1]!.globalTime)
  })

  it('time_high = 0 means up to the responder\'s global time', async () => {
    const store = await storeOf(bundles)
    const config = syncConfig({ responseBudget: 1_000_000 })
    const answer = await answerOffer({ timeLow: 1, timeHigh: 0, modulo: 1, offset: 0, bloom: nothing }, ctx(store, 250), config)
    expect(answer.bundles.length).toBe(bundles.filter((b) => b.globalTime <= 250).length)
  })

  it('stops at the response budget, exceeding it by at most one bundle', async () => {
    const store = await storeOf(bundles)
    const config = syncConfig({ responseBudget: 5120 })
    const answer = await answerOffer({ timeLow: 1, timeHigh: 0, modulo: 1, offset: 0, bloom: nothing }, ctx(store), config)
    const size = bundles[0]!.bytes.length
    expect(answer.bytes).toBeGreaterThanOrEqual(5120)
    expect(answer.bytes).toBeLessThan(5120 + size)
    expect(answer.bytes).toBe(answer.bundles.reduce((n, b) => n + b.bytes.length, 0))
  })

  it('reads at most maxRowsPerOffer store rows, even when the filter holds everything', async () => {
    const store = await storeOf(bundles)
    let rows = 0
    const counting = {
      count: (o: Uint8Array) => store.count(o),
      async *range(q: RangeQuery) {
        for await (const b of store.range(q)) {
          rows++
          yield b
        }
      }
    }
    const config = syncConfig({ maxRowsPerOffer: 50 })
    const everything = { has: () => true }
    const answer = await answerOffer({ timeLow: 1, timeHigh: 0, modulo: 1, offset: 0, bloom: everything }, { ...ctx(store), store: counting }, config)
    expect(answer.bundles).toEqual([])
    expect(answer.filtered).toBe(50)
    expect(rows).toBeLessThanOrEqual(50)
    expect(answer.rowsRead).toBe(50)
  })

  it('answers higher-priority kinds first, each in its direction, and never kinds at or below the threshold', async () => {
    const low = makeBundles(30, { overlay, seed: 4, kind: 10, maxGlobalTime: 100 })
    const newest = makeBundles(30, { overlay, seed: 5, kind: 20, maxGlobalTime: 100 })
    const plain = makeBundles(30, { overlay, seed: 6, kind: 1, maxGlobalTime: 100 })
    const store = await storeOf([...low, ...newest, ...plain])
    const kinds = new Map<number, KindPolicy>([
      [10, { priority: 30, direction: 'ascending' }], // at or below the threshold 32: never synced
      [20, { priority: 200, direction: 'descending' }]
    ])
    const config = syncConfig({ kinds, responseBudget: 1_000_000 })
    const answer = await answerOffer({ timeLow: 1, timeHigh: 0, modulo: 1, offset: 0, bloom: nothing }, ctx(store), config)
    const order = answer.bundles.map((b) => b.kind)
    expect(order).toEqual([...Array(30).fill(20), ...Array(30).fill(1)])
    const k20 = answer.bundles.slice(0, 30).map((b) => b.globalTime)
    expect(k20).toEqual([...k20].sort((a, b) => b - a))
    expect(kindGroups(config).map((g) => g.priority)).toEqual([200, 127])
  })

  it('random direction returns every matching bundle when the budget allows, from a random start', async () => {
    const store = await storeOf(bundles)
    const config = syncConfig({ defaultKind: { priority: 127, direction: 'random' }, responseBudget: 1_000_000 })
    const answer = await answerOffer({ timeLow: 1, timeHigh: 0, modulo: 1, offset: 0, bloom: nothing }, ctx(store), config)
    expect(new Set(answer.bundles.map((b) => hex(b.id))).size).toBe(bundles.length)
  })

  it('does not answer expired bundles', async () => {
    const { signBundle } = await import('../../src/bundle/index.js')
    const { makeAuthors } = await import('../helpers/bundles.js')
    const [author] = makeAuthors(1)
    const expired = signBundle({ overlay, globalTime: 5, kind: 1, body: new Uint8Array(1), expiresAt: 10 }, author!)
    const live = signBundle({ overlay, globalTime: 6, kind: 1, body: new Uint8Array(1), expiresAt: 1000 }, author!)
    const store = await storeOf([expired, live])
    const answer = await answerOffer({ timeLow: 1, timeHigh: 0, modulo: 1, offset: 0, bloom: nothing }, ctx(store, 500), syncConfig())
    expect(answer.bundles.map((b) => hex(b.id))).toEqual([hex(live.id)])
  })

  it('returns nothing for an empty or inverted range', async () => {
    const store = await storeOf(bundles)
    const answer = await answerOffer({ timeLow: 50, timeHigh: 10, modulo: 1, offset: 0, bloom: nothing }, ctx(store), syncConfig())
    expect(answer.bundles).toEqual([])
    expect(answer.rowsRead).toBe(0)
  })
})
