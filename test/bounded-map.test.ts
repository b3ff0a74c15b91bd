/** The insertion-ordered bounded map behind the store's, the delivery service's and the ledger's "recent ids" (src/bounded-map.ts). */
import { describe, expect, it } from 'vitest'
import { BoundedMap } from '../src/bounded-map.js'

describe('BoundedMap', () => {
  it('never holds more than its capacity: the entry set longest ago goes first, and set() returns it', () => {
    const m = new BoundedMap<number, string>(3)
    expect(m.set(1, 'a')).toBeUndefined()
    expect(m.set(2, 'b')).toBeUndefined()
    expect(m.set(3, 'c')).toBeUndefined()
    expect(m.set(4, 'd')).toEqual([1, 'a'])
    expect(m.size).toBe(3)
    expect(m.has(1)).toBe(false)
    for (let i = 5; i < 1000; i++) {
      m.set(i, String(i))
      expect(m.size).toBe(3)
    }
    expect([997, 998, 999].map((k) => m.get(k))).toEqual(['997', '998', '999'])
  })

  it('setting a key again makes it the newest; delete and clear forget', () => {
    const m = new BoundedMap<string, number>(2)
    m.set('x', 1)
    m.set('y', 2)
    expect(m.set('x', 3)).toBeUndefined() // no growth: x is replaced, and is now the newest
    expect(m.set('z', 4)).toEqual(['y', 2])
    expect(m.get('x')).toBe(3)
    expect(m.delete('x')).toBe(true)
    expect(m.delete('x')).toBe(false)
    expect(m.size).toBe(1)
    m.clear()
    expect(m.size).toBe(0)
    expect(m.get('z')).toBeUndefined()
  })

  it('rejects a capacity that is not an integer ≥ 1', () => {
    for (const c of [0, -1, 1.5, Number.NaN, Infinity]) expect(() => new BoundedMap(c)).toThrow(RangeError)
  })
})
