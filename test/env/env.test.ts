import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../src/env/clock.js'
import { SeededRng, chance, exponential, float, int, intBetween, pick, shuffle } from '../../src/env/rng.js'
import { createLogger } from '../../src/env/logger.js'

describe('ManualClock', () => {
  it('runs timers in time order, then scheduling order, only when advanced', () => {
    const clock = new ManualClock(100)
    const seen: string[] = []
    clock.setTimeout(() => seen.push('b@20'), 20)
    clock.setTimeout(() => seen.push('a@10'), 10)
    clock.setTimeout(() => seen.push('c@20'), 20)
    expect(seen).toEqual([])
    clock.advance(15)
    expect(seen).toEqual(['a@10'])
    expect(clock.now()).toBe(115)
    clock.advance(5)
    expect(seen).toEqual(['a@10', 'b@20', 'c@20'])
  })

  it('runs timers scheduled by timers within the same advance, and honours cancel', () => {
    const clock = new ManualClock()
    const seen: number[] = []
    const cancel = clock.setTimeout(() => seen.push(-1), 5)
    clock.setTimeout(() => {
      seen.push(clock.now())
      clock.setTimeout(() => seen.push(clock.now()), 3)
    }, 2)
    cancel()
    expect(clock.pending).toBe(1)
    clock.advance(10)
    expect(seen).toEqual([2, 5])
    expect(clock.nextAt()).toBeUndefined()
  })
})

describe('SeededRng', () => {
  it('is reproducible from its seed and differs across seeds', () => {
    const a = new SeededRng(42)
    const b = new SeededRng(42)
    const c = new SeededRng(43)
    const xs = Array.from({ length: 8 }, () => a.u32())
    expect(Array.from({ length: 8 }, () => b.u32())).toEqual(xs)
    expect(Array.from({ length: 8 }, () => c.u32())).not.toEqual(xs)
    expect(new SeededRng(1).bytes(7)).toHaveLength(7)
  })

  it('draws unbiased integers in range', () => {
    const rng = new SeededRng(5)
    const counts = new Array<number>(6).fill(0)
    for (let i = 0; i < 60_000; i++) counts[int(rng, 6)]!++
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(400)
    for (let i = 0; i < 1000; i++) {
      const x = intBetween(rng, -3, 3)
      expect(x).toBeGreaterThanOrEqual(-3)
      expect(x).toBeLessThanOrEqual(3)
      const f = float(rng)
      expect(f).toBeGreaterThanOrEqual(0)
      expect(f).toBeLessThan(1)
    }
    expect(() => int(rng, 0)).toThrow(RangeError)
    expect(() => int(rng, 2 ** 32 + 1)).toThrow(RangeError)
  })

  it('shuffles without bias (Fisher–Yates): every permutation of 3 about equally often', () => {
    const rng = new SeededRng(9)
    const counts = new Map<string, number>()
    for (let i = 0; i < 60_000; i++) {
      const key = shuffle(rng, ['a', 'b', 'c']).join('')
      counts.set(key, (counts.get(key) ?? 0) + 1)
    }
    expect(counts.size).toBe(6)
    for (const c of counts.values()) expect(Math.abs(c - 10_000)).toBeLessThan(400)
  })

  it('draws exponential variates with the requested mean', () => {
    const rng = new SeededRng(11)
    let sum = 0
    const n = 100_000
    for (let i = 0; i < n; i++) {
      const x = exponential(rng, 50)
      expect(Number.isFinite(x) && x >= 0).toBe(true)
      sum += x
    }
    expect(Math.abs(sum / n - 50)).toBeLessThan(1)
  })

  it('picks and flips coins', () => {
    const rng = new SeededRng(3)
    expect(pick(rng, [])).toBeUndefined()
    expect(['x', 'y']).toContain(pick(rng, ['x', 'y']))
    let heads = 0
    for (let i = 0; i < 10_000; i++) if (chance(rng, 0.25)) heads++
    expect(Math.abs(heads - 2500)).toBeLessThan(200)
  })
})

describe('logger', () => {
  it('drops lines below its level and prefixes child names', () => {
    const lines: string[] = []
    const log = createLogger('node', { level: 'info', sink: (level, name, message) => lines.push(`${level} ${name} ${message}`) })
    log.debug('hidden')
    log.info('shown')
    log.child('walker').warn('careful')
    expect(lines).toEqual(['info node shown', 'warn node:walker careful'])
  })
})
