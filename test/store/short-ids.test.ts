/**
 * The in-memory short-id index (src/store/short-ids.ts, docs/reconcile.md §14–§15): a lookup by
 * the whole 8-byte short id returns only that hash's values; a lookup by its 4-byte prefix
 * returns every value whose hash begins with it. Two ids whose item hashes share their top 32
 * bits are ground here (a birthday search over seeded random ids, about 80 000 hashes).
 */
import { describe, expect, it } from 'vitest'
import { SeededRng } from '../../src/env/rng.js'
import { itemHashHalves } from '../../src/reconcile/index.js'
import { shortIdBytes } from '../../src/reconcile/short.js'
import { ShortIdIndex } from '../../src/store/short-ids.js'

/** Two ids whose item hashes share their top 32 bits (and differ in the rest). */
function groundPrefixPair(): [Uint8Array, Uint8Array] {
  const rng = new SeededRng(25)
  const seen = new Map<number, Uint8Array>()
  for (let i = 0; i < 1_000_000; i++) {
    const id = rng.bytes(32)
    const [hi] = itemHashHalves(id)
    const other = seen.get(hi)
    if (other !== undefined) return [other, id]
    seen.set(hi, id)
  }
  throw new Error('no 32-bit prefix collision in 10^6 ids')
}

describe('ShortIdIndex', () => {
  it('a short id finds its own value only; its 4-byte prefix finds every value whose hash begins with it; delete forgets', () => {
    const [x, y] = groundPrefixPair()
    const sx = shortIdBytes(...itemHashHalves(x))
    const sy = shortIdBytes(...itemHashHalves(y))
    expect(sx.slice(0, 4)).toEqual(sy.slice(0, 4))
    expect(sx).not.toEqual(sy)
    const index = new ShortIdIndex<string>()
    index.add(x, 'x')
    index.add(y, 'y')
    expect(index.get(sx)).toEqual(['x'])
    expect(index.get(sy)).toEqual(['y'])
    expect(index.get(sx.slice(0, 4))).toEqual(['x', 'y'])
    index.delete(x, 'x')
    expect(index.get(sx)).toEqual([])
    expect(index.get(sy.slice(0, 4))).toEqual(['y'])
    index.delete(y, 'y')
    expect(index.get(sy.slice(0, 4))).toEqual([])
  })
})
