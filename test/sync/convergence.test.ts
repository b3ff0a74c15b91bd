/**
 * Property tests of the sync core: two stores with random overlapping sets (thousands of
 * bundles, many duplicate global times, several authors) converge by repeated offer/answer
 * exchanges in both directions, for every strategy, within a stated bound of rounds.
 */
import { describe, expect, it } from 'vitest'
import { roomId } from '../../src/bundle/index.js'
import { SeededRng, shuffle } from '../../src/env/rng.js'
import { makeBundles } from '../helpers/bundles.js'
import { converge, party, sizeFor, step, syncConfig } from './exchange.js'

const overlay = roomId('sync-test')
const size = sizeFor(1090)
// Signing is the slow part: make the pool once.
const pool = makeBundles(3000, { overlay, seed: 21, authors: 5, maxGlobalTime: 1200 })

function split(seed: number, shared: number, onlyA: number, onlyB: number) {
  const all = shuffle(new SeededRng(seed), pool.slice())
  const common = all.slice(0, shared)
  return {
    a: common.concat(all.slice(shared, shared + onlyA)),
    b: common.concat(all.slice(shared + onlyA, shared + onlyA + onlyB)),
    union: shared + onlyA + onlyB
  }
}

describe('convergence of two stores by offer/answer', () => {
  // Each round moves up to ~5 120 bytes (~30 bundles of 175 bytes) each way, so 300
  // differences each way need ≥ 10 rounds; the bounds leave room for the heuristics' misses.
  const bounds = { largest: 120, modulo: 30, adaptive: 30 } as const
  for (const strategy of ['largest', 'modulo', 'adaptive'] as const) {
    it(`${strategy}: 2 000 shared + 300 / 300 scattered differences converge within ${bounds[strategy]} rounds (3 seeds)`, async () => {
      const config = syncConfig({ strategy })
      for (const seed of [1, 2, 3]) {
        const { a, b, union } = split(seed, 2000, 300, 300)
        const A = await party('A', overlay, a, config, seed * 10)
        const B = await party('B', overlay, b, config, seed * 10 + 1)
        const rounds = await converge(A, B, overlay, config, size, union, bounds[strategy])
        expect(rounds, `seed ${seed}`).toBeLessThanOrEqual(bounds[strategy])
      }
    })
  }

  it('an empty store receives everything through the "send me everything" filter', async () => {
    const config = syncConfig()
    const A = await party('A', overlay, [], config, 5)
    const B = await party('B', overlay, pool.slice(0, 100), config, 6)
    const first = await step(A, B, overlay, config, size)
    expect(first.received).toBeGreaterThan(20)
    const rounds = await converge(A, B, overlay, config, size, 100, 10)
    expect(rounds).toBeLessThanOrEqual(10)
  })

  it('largest: a recent difference (newest bundles) converges within 3 rounds in ≥ 90 % of 40 seeded trials, and always within 15', async () => {
    const config = syncConfig({ strategy: 'largest' })
    // A chat: 1 500 shared bundles at global times 1..1 500, then 10 new ones on each side.
    const history = makeBundles(1520, { overlay, seed: 77, authors: 4, sequential: true })
    const shared = history.slice(0, 1500)
    const a = shared.concat(history.slice(1500, 1510))
    const b = shared.concat(history.slice(1510, 1520))
    let within3 = 0
    const trials = 40
    for (let t = 0; t < trials; t++) {
      const A = await party('A', overlay, a, config, 1000 + t)
      const B = await party('B', overlay, b, config, 2000 + t)
      const rounds = await converge(A, B, overlay, config, size, 1520, 15)
      expect(rounds).toBeLessThanOrEqual(15)
      if (rounds <= 3) within3++
    }
    expect(within3 / trials).toBeGreaterThanOrEqual(0.9)
  })
})
