/** Churn: the long-run online share and session lengths match the specification. */
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../src/env/clock.js'
import { SeededRng } from '../../src/env/rng.js'
import { Churn } from '../../src/sim/churn.js'

describe('Churn', () => {
  for (const sessions of ['fixed', 'exponential'] as const) {
    it(`online share ≈ online (${sessions} sessions)`, () => {
      const clock = new ManualClock(0)
      const lengths: number[] = []
      const since = new Map<number, number>()
      const churn = new Churn(clock, new SeededRng(7), { online: 0.1, sessionMs: 60_000, sessions, mode: 'restart' }, 200, 5000, (peer, online) => {
        if (online) since.set(peer, clock.now())
        else lengths.push(clock.now() - since.get(peer)!)
      })
      clock.advance(48 * 3600_000)
      const share = churn.onlineMs() / (200 * clock.now())
      expect(share).toBeGreaterThan(0.09)
      expect(share).toBeLessThan(0.11)
      const mean = lengths.reduce((a, b) => a + b, 0) / lengths.length
      expect(mean).toBeGreaterThan(55_000)
      expect(mean).toBeLessThan(65_000)
      // Fixed: every session but the initial partial ones lasts exactly sessionMs.
      if (sessions === 'fixed') {
        expect(lengths.every((l) => l <= 60_000 + 1e-6)).toBe(true)
        expect(lengths.filter((l) => Math.abs(l - 60_000) < 1e-6).length).toBeGreaterThan(0.95 * lengths.length)
      }
    })
  }

  it('online 1: every peer comes up within the first step and stays', () => {
    const clock = new ManualClock(0)
    const ups: number[] = []
    const churn = new Churn(clock, new SeededRng(1), { online: 1, sessionMs: 1000, sessions: 'fixed', mode: 'restart' }, 50, 5000, (_p, online) => ups.push(online ? clock.now() : -1))
    clock.advance(3600_000)
    expect(ups).toHaveLength(50)
    expect(Math.max(...ups)).toBeLessThan(5000)
    expect(churn.online.every(Boolean)).toBe(true)
  })
})
