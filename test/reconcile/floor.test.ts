import { describe, expect, it } from 'vitest'
import { BloomwalkError } from '../../src/errors.js'
import { informationFloor } from '../../src/reconcile/index.js'

/** log2 of a positive bigint, to double precision. */
function log2Big(x: bigint): number {
  const bits = x.toString(2).length
  const shift = Math.max(0, bits - 60)
  return Math.log2(Number(x >> BigInt(shift))) + shift
}

/** (log2 C(2^(8b), d) + d) / (8d), computed exactly with bigints. */
function exactFloor(idBytes: number, d: number): number {
  const universe = 1n << BigInt(8 * idBytes)
  let num = 1n
  let den = 1n
  for (let i = 0n; i < BigInt(d); i++) {
    num *= universe - i
    den *= i + 1n
  }
  return (log2Big(num / den) + d) / (8 * d)
}

describe('informationFloor', () => {
  it('equals (log2 C(2^(8b), D) + D) / 8D computed exactly, for 32-byte and 64-bit ids', () => {
    for (const b of [8, 32]) for (const d of [1, 2, 3, 10, 57, 100]) expect(informationFloor(b, d)).toBeCloseTo(exactFloor(b, d), 6)
  })

  it('falls as D grows (naming a larger set costs fewer bits per member) and is 0 without differences', () => {
    expect(informationFloor(32, 0)).toBe(0)
    let last = Infinity
    for (const d of [1, 10, 100, 1000, 10_000]) {
      const f = informationFloor(8, d)
      expect(f).toBeLessThan(last)
      expect(f).toBeGreaterThan(0)
      last = f
    }
    // A short id is 24 bytes shorter, so is its floor, whatever D.
    for (const d of [1, 100, 1000]) expect(informationFloor(32, d) - informationFloor(8, d)).toBeCloseTo(24, 9)
  })

  it('rejects id sizes and difference counts outside its range', () => {
    for (const [b, d] of [[7, 1], [65, 1], [8.5, 1], [8, -1], [8, 1.5], [8, 2 ** 24 + 1]] as const) expect(() => informationFloor(b, d)).toThrow(BloomwalkError)
  })
})
