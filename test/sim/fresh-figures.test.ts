/** The fresh-message figures of a run (`fresh` in `sim --json`): percentiles and byte multipliers. */
import { describe, expect, it } from 'vitest'
import { freshFigures } from '../../src/sim/result.js'

describe('freshFigures', () => {
  it('gives latency percentiles in ms and walk steps, push bytes and answer bytes over the bytes owed, duplicates per peer', () => {
    const quantiles = Array.from({ length: 101 }, (_, i) => i / 10) // seconds: p50 = 5 s, max = 10 s
    const f = freshFigures(quantiles, 5_000, 3_000, 1_500, 1_000, 37, 10)
    expect(f.latencyMs).toEqual({ p50: 5_000, p90: 9_000, p99: 9_900, max: 10_000 })
    expect(f.walkSteps).toEqual({ p50: 1, p90: 1.8, p99: 1.98, max: 2 })
    expect(f.pushByteMultiplier).toBe(3)
    expect(f.answersByteMultiplier).toBe(1.5)
    expect(f.duplicatesPerReceiver).toBe(3.7)
  })

  it('nothing owed: multipliers are 0, not NaN', () => {
    const f = freshFigures([], 5_000, 10, 10, 0, 0, 1)
    expect([f.pushByteMultiplier, f.answersByteMultiplier]).toEqual([0, 0])
  })
})
