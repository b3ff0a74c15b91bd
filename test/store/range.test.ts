import { describe, expect, it } from 'vitest'
import { SeededRng, int } from '../../src/env/rng.js'
import { lastAtMost, lowerBound, nextPassing, passesModulo, prevPassing } from '../../src/store/range.js'

describe('store range helpers', () => {
  it('nextPassing / prevPassing find the nearest passing global time (brute force)', () => {
    const rng = new SeededRng(5)
    for (let i = 0; i < 2000; i++) {
      const modulo = 1 + int(rng, 60)
      const offset = int(rng, modulo)
      const gt = int(rng, 10_000)
      let up = gt
      while ((up + offset) % modulo !== 0) up++
      let down = gt
      while (down >= 0 && (down + offset) % modulo !== 0) down--
      expect(nextPassing(gt, modulo, offset)).toBe(up)
      if (down >= 0) expect(prevPassing(gt, modulo, offset)).toBe(down)
      else expect(prevPassing(gt, modulo, offset)).toBeLessThan(0)
      expect(passesModulo(up, modulo, offset)).toBe(true)
    }
  })

  it('stays exact next to 2^53 − 1', () => {
    const max = Number.MAX_SAFE_INTEGER // 9007199254740991 = 7 · 1286742750677284 + 3
    expect(passesModulo(max, 7, 4)).toBe(true)
    expect(prevPassing(max, 7, 3)).toBe(max - 6)
    expect(passesModulo(max - 6, 7, 3)).toBe(true)
  })

  it('binary searches with a hint and ignore a stale one', () => {
    const rng = new SeededRng(9)
    for (let i = 0; i < 500; i++) {
      const arr = [...new Set(Array.from({ length: int(rng, 40) }, () => int(rng, 100)))].sort((a, b) => a - b)
      const x = int(rng, 110)
      const hint = int(rng, arr.length + 2)
      const lb = arr.findIndex((v) => v >= x)
      expect(lowerBound(arr, x, hint)).toBe(lb === -1 ? arr.length : lb)
      let last = -1
      arr.forEach((v, j) => v <= x && (last = j))
      expect(lastAtMost(arr, x, hint)).toBe(last)
    }
  })
})
