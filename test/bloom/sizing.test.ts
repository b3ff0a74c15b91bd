import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { bloomBitsPerItem, bloomCapacity, bloomFalsePositiveRate, bloomOptimalK, bloomSizeFor } from '../../src/bloom/index.js'
import { isBloomwalkError } from '../../src/errors.js'

function expectInvalid(fn: () => unknown): void {
  let caught: unknown
  try {
    fn()
  } catch (err) {
    caught = err
  }
  expect(isBloomwalkError(caught, 'INVALID_ARGUMENT'), String(caught)).toBe(true)
}

describe('bloom sizing (DESIGN §4 figures)', () => {
  it('needs 9.59 bits per item at 1 %', () => {
    expect(bloomBitsPerItem(0.01)).toBeCloseTo(9.585, 3)
    expect(bloomBitsPerItem(0.01).toFixed(2)).toBe('9.59')
  })

  it('holds 834 ids in 1000 bytes at 1 %', () => {
    expect(bloomCapacity(1000, 0.01)).toBe(834)
    expect(bloomOptimalK(8000, 834)).toBe(7)
    expect(bloomFalsePositiveRate(1000, 7, 834)).toBeCloseTo(0.01, 4)
  })

  it('fits the default datagram filter (1200 bytes) with ~1000 ids', () => {
    expect(bloomCapacity(1200, 0.01)).toBe(1001)
    expect(bloomSizeFor(1000, 0.01)).toEqual({ bytes: 1199, k: 7 })
  })

  it('computes k = round(m/n·ln 2) clamped to [1, 32]', () => {
    expect(bloomOptimalK(8000, 1000)).toBe(6) // 5.545
    expect(bloomOptimalK(8, 100)).toBe(1) // 0.055 → clamped up
    expect(bloomOptimalK(80_000, 10)).toBe(32) // 5545 → clamped down
    expect(bloomOptimalK(100, 0)).toBe(1)
  })

  it('gives the textbook false-positive rates', () => {
    expect(bloomFalsePositiveRate(100, 3, 0)).toBe(0)
    // m/n = 8, k = 3 → 0.0306 (classic table)
    expect(bloomFalsePositiveRate(1000, 3, 1000)).toBeCloseTo(0.0306, 4)
    // m/n = 10, k = 7 → 0.00819
    expect(bloomFalsePositiveRate(1250, 7, 1000)).toBeCloseTo(0.00819, 5)
  })

  it('bloomSizeFor returns a filter whose capacity covers the items at that rate', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200_000 }), fc.double({ min: 1e-6, max: 0.5, noNaN: true }), (items, rate) => {
        const { bytes, k } = bloomSizeFor(items, rate)
        const fp = bloomFalsePositiveRate(bytes, k, items)
        return bloomCapacity(bytes, rate) >= items && bloomCapacity(bytes - 1, rate) <= items && fp <= rate * 1.1 && k >= 1 && k <= 32
      }),
      { numRuns: 500, seed: 7 }
    )
    expect(bloomSizeFor(0, 0.01)).toEqual({ bytes: 1, k: 1 })
  })

  it('rejects bad arguments with INVALID_ARGUMENT', () => {
    for (const rate of [0, 1, -0.1, 1.5, Number.NaN]) expectInvalid(() => bloomBitsPerItem(rate))
    expectInvalid(() => bloomCapacity(-1, 0.01))
    expectInvalid(() => bloomCapacity(1.5, 0.01))
    expectInvalid(() => bloomOptimalK(0, 10))
    expectInvalid(() => bloomOptimalK(10, -1))
    expectInvalid(() => bloomSizeFor(-1, 0.01))
    expectInvalid(() => bloomSizeFor(10, 0))
    expectInvalid(() => bloomFalsePositiveRate(0, 3, 1))
    expectInvalid(() => bloomFalsePositiveRate(10, 0, 1))
    expectInvalid(() => bloomFalsePositiveRate(10, 33, 1))
    expectInvalid(() => bloomFalsePositiveRate(10, 3, -1))
  })
})
