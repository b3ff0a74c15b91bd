/** Exact symbols-response sizes, checked against the wire encoder. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { SeededRng } from '../../src/env/rng.js'
import { CHECK_FIELD_BYTES, MAX_SYMBOL_COUNT, SHORT_RECORD_BYTES, Sketch, firstAnswer, fitCountsAlone, fitSymbols, symbolsPerDatagram, symbolsResponseSize } from '../../src/reconcile/index.js'
import { type CodedSymbol, type ShortSymbol, encodePacket } from '../../src/wire/index.js'
import { randomIds } from './helpers.js'

const overlay = new Uint8Array(32).fill(9)
const encoded = (from: number, symbols: readonly CodedSymbol[]) => encodePacket(overlay, { type: 'symbols-response', from, symbols }).length

const arbSymbol = fc.record({
  idXor: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  hashXor: fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })),
  count: fc.oneof(fc.constant(0), fc.integer({ min: -(2 ** 31), max: MAX_SYMBOL_COUNT }), fc.integer({ min: -5, max: 300 }))
})

describe('symbols-response size', () => {
  it('short symbols (12-byte records, count_zero from 0, docs/reconcile.md §15), with or without the check: equals encodePacket(...).length (property); fitSymbols and symbolsPerDatagram agree', () => {
    const arbShort = fc.record({
      hashXor: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      check: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      count: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: MAX_SYMBOL_COUNT }), fc.integer({ min: 0, max: 300 }))
    })
    const encodedShort = (from: number, shortSymbols: readonly ShortSymbol[], check: boolean) =>
      encodePacket(overlay, { type: 'symbols-response', from, symbols: [], shortSymbols, ...(check ? { check: 0xfedcba9876543210n } : {}) }).length
    fc.assert(
      fc.property(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 ** 40 })), fc.array(arbShort, { minLength: 1, maxLength: 128 }), fc.boolean(), (from, symbols, check) => {
        expect(symbolsResponseSize(from, symbols, 0, SHORT_RECORD_BYTES, check ? CHECK_FIELD_BYTES : 0)).toBe(encodedShort(from, symbols, check))
      }),
      { numRuns: 300, seed: 0x5407 }
    )
    const sketch = Sketch.from(randomIds(new SeededRng(4), 100_000), { length: 512 })
    for (const budget of [576, 1200, 1472]) {
      for (const from of [0, 300]) {
        const symbols = sketch.shortSymbols(from, 200)
        const n = fitSymbols(budget, from, symbols, SHORT_RECORD_BYTES, CHECK_FIELD_BYTES)
        expect(encodedShort(from, symbols.slice(0, n), true)).toBeLessThanOrEqual(budget)
        expect(encodedShort(from, symbols.slice(0, n + 1), true)).toBeGreaterThan(budget)
        expect(n).toBeGreaterThanOrEqual(symbolsPerDatagram(budget, { record: SHORT_RECORD_BYTES, extra: CHECK_FIELD_BYTES }))
      }
    }
  })

  it('equals encodePacket(...).length (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 ** 40 })), fc.array(arbSymbol, { maxLength: 40 }), (from, symbols) => {
        expect(symbolsResponseSize(from, symbols)).toBe(encoded(from, symbols))
      }),
      { numRuns: 500, seed: 0x512e }
    )
  })

  it('with counts alone: equals encodePacket(...).length (property); fitCountsAlone adds the most that fit', () => {
    const withCounts = (from: number, symbols: readonly CodedSymbol[], m: number) =>
      encodePacket(overlay, { type: 'symbols-response', from, symbols, countsOnly: Array.from({ length: m }, (_, i) => (i * 4099) & 0xffff) }).length
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 30 }), fc.array(arbSymbol, { maxLength: 30 }), fc.integer({ min: 0, max: 600 }), (from, symbols, m) => {
        expect(symbolsResponseSize(from, symbols, m)).toBe(withCounts(from, symbols, m))
      }),
      { numRuns: 300, seed: 0xc0a1 }
    )
    const sketch = Sketch.from(randomIds(new SeededRng(3), 100_000), { length: 512 })
    for (const budget of [576, 1200, 1472]) {
      for (const k of [0, 5, 18]) {
        const symbols = sketch.symbols(0, k)
        const m = fitCountsAlone(budget, 0, symbols, 512)
        if (symbolsResponseSize(0, symbols) > budget) {
          expect(m).toBe(0)
          continue
        }
        expect(withCounts(0, symbols, m)).toBeLessThanOrEqual(budget)
        if (m < 512) expect(withCounts(0, symbols, m + 1)).toBeGreaterThan(budget)
      }
    }
    expect(fitCountsAlone(1200, 0, sketch.symbols(0, 18), 7)).toBe(7)
  })

  it('the first answer (a share of the symbols, counts alone in the rest) is one datagram for sets below 2^20: 18 symbols and 189 counts at 1 200 B', () => {
    expect(firstAnswer(1200, 0.7)).toEqual({ window: 18, countsAlone: 189 })
    const worst = (n: number) => Array.from({ length: n }, () => ({ idXor: new Uint8Array(32).fill(255), hashXor: (1n << 64n) - 1n, count: (1 << 20) - 1 }))
    for (const budget of [576, 1200, 1472]) {
      for (const share of [0.5, 0.7, 1]) {
        const { window, countsAlone } = firstAnswer(budget, share)
        expect(symbolsResponseSize(0, worst(window), countsAlone)).toBeLessThanOrEqual(budget)
        expect(symbolsResponseSize(0, worst(window), countsAlone + 1)).toBeGreaterThan(budget)
      }
    }
    expect(() => firstAnswer(1200, 0)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
  })

  it('fitSymbols packs the longest prefix that fits', () => {
    const sketch = Sketch.from(randomIds(new SeededRng(1), 100_000), { length: 256 })
    for (const budget of [100, 576, 1200, 1472]) {
      for (const from of [0, 1, 200]) {
        const symbols = sketch.symbols(from, 64)
        const n = fitSymbols(budget, from, symbols)
        if (n > 0) expect(encoded(from, symbols.slice(0, n))).toBeLessThanOrEqual(budget)
        if (n < symbols.length) expect(encoded(from, symbols.slice(0, n + 1))).toBeGreaterThan(budget)
      }
    }
  })

  it('symbols per datagram at 576 / 1200 / 1472 bytes: 11 / 25 / 31 in the worst case (packed: 45 B a symbol)', () => {
    const worst: CodedSymbol = { idXor: new Uint8Array(32).fill(0xff), hashXor: (1n << 64n) - 1n, count: MAX_SYMBOL_COUNT }
    const from = (1 << 20) - 1
    const table = [576, 1200, 1472].map((budget) => {
      const n = symbolsPerDatagram(budget)
      expect(encoded(from, Array(n).fill(worst))).toBeLessThanOrEqual(budget)
      expect(encoded(from, Array(n + 1).fill(worst))).toBeGreaterThan(budget)
      return n
    })
    expect(table).toEqual([11, 25, 31])
    // The example in docs/reconcile.md §6.
    expect(encoded(from, Array(25).fill(worst))).toBe(1173)
  })
})

describe('Sketch.symbolsWithin', () => {
  it('answers with the longest run that fits the budget, never more than asked', () => {
    const sketch = Sketch.from(randomIds(new SeededRng(2), 50_000), { length: 1024 })
    for (const budget of [0, 40, 100, 576, 1200, 1472, 5120]) {
      for (const from of [0, 3, 1000]) {
        const got = sketch.symbolsWithin(from, 1000, budget)
        const all = sketch.symbols(from, 1000)
        expect(got).toEqual(all.slice(0, got.length))
        if (got.length > 0) expect(encoded(from, got)).toBeLessThanOrEqual(budget)
        if (got.length < all.length) expect(encoded(from, all.slice(0, got.length + 1))).toBeGreaterThan(budget)
      }
    }
    expect(sketch.symbolsWithin(0, 3, 1472)).toHaveLength(3)
  })
})
