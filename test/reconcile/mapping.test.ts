/** The index sequence: matches a bigint reference, hits index i with probability 1/(1 + i/2). */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { SeededRng } from '../../src/env/rng.js'
import { IndexSequence, expectedDegree, firstIndices, indicesBelow, joinHash } from '../../src/reconcile/index.js'
import { referenceIndices } from './helpers.js'

describe('index sequence', () => {
  it('starts at 0 and grows strictly', () => {
    const rng = new SeededRng(7)
    for (let k = 0; k < 200; k++) {
      const seq = firstIndices(rng.u32(), rng.u32(), 30)
      expect(seq[0]).toBe(0)
      for (let i = 1; i < seq.length; i++) expect(seq[i]!).toBeGreaterThan(seq[i - 1]!)
    }
  })

  it('equals the bigint reference of docs/reconcile.md §3 (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }), (hi, lo) => {
        expect(firstIndices(hi, lo, 40)).toEqual(referenceIndices(joinHash(hi, lo), 40))
      }),
      { numRuns: 3000, seed: 0xabc }
    )
  })

  it('edge seeds: 0 maps only to index 0 below 2^32; all-ones and 1 match the reference', () => {
    expect(indicesBelow(0, 0, 1 << 20)).toEqual([0])
    for (const [hi, lo] of [[0xffffffff, 0xffffffff], [0, 1], [0x80000000, 0]] as const) {
      expect(firstIndices(hi, lo, 25)).toEqual(referenceIndices(joinHash(hi, lo), 25))
    }
  })

  it('reset reuses one cursor for many items', () => {
    const seq = new IndexSequence(1, 2)
    seq.next()
    seq.reset(3, 4)
    expect(seq.index).toBe(0)
    expect([0, seq.next(), seq.next()]).toEqual(firstIndices(3, 4, 3))
  })

  it('hits index i with probability ≈ 1/(1 + i/2): exactly the law of its gap formula (100 000 items)', () => {
    const L = 1024
    // The formula gives P(next > j | at i) = ((i + 1.5)/(j + 1.5))², so P(hit j) follows by
    // dynamic programming; it is 1/(1 + j/2) up to 4 % at j = 1..4 and 0.2 % from j = 10 on.
    const law = new Float64Array(L)
    law[0] = 1
    const tail = (i: number, j: number) => ((i + 1.5) / (j + 1.5)) ** 2
    for (let j = 1; j < L; j++) {
      let p = 0
      for (let i = 0; i < j; i++) p += law[i]! * (tail(i, j - 1) - tail(i, j))
      law[j] = p
    }
    for (let j = 0; j < L; j++) {
      const ideal = 1 / (1 + j / 2)
      expect(Math.abs(law[j]! / ideal - 1)).toBeLessThan(j < 10 ? 0.041 : 0.002)
    }
    const rng = new SeededRng(0x1d)
    const hits = new Float64Array(L)
    const n = 100_000
    let total = 0
    for (let k = 0; k < n; k++) {
      const seq = indicesBelow(rng.u32(), rng.u32(), L)
      total += seq.length
      for (const i of seq) hits[i]!++
    }
    for (const i of [0, 1, 2, 3, 4, 10, 50, 200, 1000]) {
      const p = law[i]!
      const sd = Math.sqrt((p * (1 - p)) / n)
      expect(Math.abs(hits[i]! / n - p)).toBeLessThanOrEqual(5 * sd)
    }
    // Mean degree matches Σ 1/(1 + i/2) within 1 %.
    expect(Math.abs(total / n / expectedDegree(L) - 1)).toBeLessThan(0.01)
  })

  it('expected degree ≈ 2·ln L − 0.85', () => {
    const L = 1 << 14
    expect(Math.abs(expectedDegree(L) - (2 * Math.log(L) - 0.85))).toBeLessThan(0.01)
  })
})
