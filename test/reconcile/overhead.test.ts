/**
 * Symbols a session needs per difference. The paper reports ≈ 1.35 · d for large d and more
 * for small d; the assertions are generous bounds, the measured means are printed (and
 * copied into docs/reconcile.md §7).
 */
import { describe, expect, it } from 'vitest'
import { SeededRng } from '../../src/env/rng.js'
import { twoSides } from './helpers.js'
import { Decoder, type Sketch } from '../../src/reconcile/index.js'

/** Symbols consumed when asking one symbol at a time (the exact number needed). */
function needed(ours: Sketch, theirs: Sketch): number {
  const decoder = new Decoder(ours)
  for (let i = 0; ; i++) {
    decoder.addSymbols(i, theirs.symbols(i, 1))
    let r = decoder.decode()
    while (r.more) r = decoder.decode()
    if (r.failure !== null) throw new Error(r.failure)
    if (r.done) return decoder.received
  }
}

const CASES: { d: number; trials: number; maxMean: number }[] = [
  { d: 1, trials: 300, maxMean: 1.01 },
  { d: 5, trials: 300, maxMean: 3 },
  { d: 10, trials: 300, maxMean: 2.5 },
  { d: 50, trials: 200, maxMean: 2 },
  { d: 100, trials: 100, maxMean: 1.8 },
  { d: 300, trials: 40, maxMean: 1.7 },
  { d: 1000, trials: 15, maxMean: 1.6 }
]

describe('symbols needed per difference', () => {
  it('stays within generous bounds of the paper\'s 1.35–1.76 · d (means printed)', () => {
    const rng = new SeededRng(0x0ead)
    const rows: string[] = []
    for (const { d, trials, maxMean } of CASES) {
      let sum = 0
      let worst = 0
      for (let t = 0; t < trials; t++) {
        const sides = twoSides(rng, 0, Math.ceil(d / 2), Math.floor(d / 2), 1 << 13)
        const n = needed(sides.ours, sides.theirs)
        expect(n).toBeGreaterThanOrEqual(d) // each peel empties a distinct symbol
        sum += n
        worst = Math.max(worst, n)
      }
      const mean = sum / trials / d
      rows.push(`d=${d}: mean ${mean.toFixed(3)}·d, worst ${(worst / d).toFixed(2)}·d over ${trials} trials`)
      expect(mean).toBeLessThanOrEqual(maxMean)
    }
    console.log(rows.join('\n'))
  })
})
