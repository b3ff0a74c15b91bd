import { describe, expect, it } from 'vitest'
import { DecodedRows, DECODED_ROW_OVERHEAD } from '../../src/store/level-rows.js'
import { fixture } from './helpers.js'

describe('DecodedRows (the LevelStore cache of checked rows)', () => {
  const bundles = fixture(40, { name: 'main', seed: 3, maxGlobalTime: 10 })
  const cost = (i: number) => bundles[i]!.bytes.length + DECODED_ROW_OVERHEAD

  it('serves a row only when its bytes equal the cached bundle, byte for byte', () => {
    const rows = new DecodedRows(1 << 20)
    const b = bundles[0]!
    rows.set('k', b)
    expect(rows.get('k', Uint8Array.from(b.bytes))).toBe(b)
    const changed = Uint8Array.from(b.bytes)
    changed[10]! ^= 0x80
    expect(rows.get('k', changed)).toBeUndefined()
    expect(rows.get('k', b.bytes.subarray(1))).toBeUndefined()
    expect(rows.get('other', b.bytes)).toBeUndefined()
    expect(rows.hits).toBe(1)
  })

  it('holds at most its bound, counting each row with its overhead, and forgets the least recently used first', () => {
    const bound = cost(0) + cost(1) + cost(2)
    const rows = new DecodedRows(bound)
    rows.set('0', bundles[0]!)
    rows.set('1', bundles[1]!)
    rows.set('2', bundles[2]!)
    expect(rows.size).toBe(3)
    expect(rows.get('0', bundles[0]!.bytes)).toBe(bundles[0]) // now the most recently used
    rows.set('3', bundles[3]!)
    expect(rows.bytes).toBeLessThanOrEqual(bound)
    expect(rows.get('1', bundles[1]!.bytes)).toBeUndefined()
    expect(rows.get('0', bundles[0]!.bytes)).toBe(bundles[0])
    for (let i = 0; i < bundles.length; i++) rows.set(String(i), bundles[i]!)
    expect(rows.bytes).toBeLessThanOrEqual(bound)
    expect(rows.size).toBeGreaterThan(0)
  })

  it('keeps nothing larger than its bound, and re-setting a key does not count it twice', () => {
    const rows = new DecodedRows(cost(0) - 1)
    rows.set('0', bundles[0]!)
    expect(rows.size).toBe(0)
    const roomy = new DecodedRows(1 << 20)
    roomy.set('0', bundles[0]!)
    roomy.set('0', bundles[0]!)
    expect(roomy.bytes).toBe(cost(0))
  })
})
