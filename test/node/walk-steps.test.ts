/**
 * stats().walkSteps counts walk steps (step timers that fired), not introduction-requests:
 * first-contact follow-ups are requests but no steps. The testbed turns wall time into steps
 * with it (issue 22: counting requests made real nodes look up to 1.2× faster than their
 * timers, and their step counts that much larger).
 */
import { describe, expect, it } from 'vitest'
import { testnet } from './harness.js'

describe('walk steps', () => {
  it('one per step interval per walked overlay, fewer than the requests sent', async () => {
    const t = await testnet({ peers: 4, seed: 71, peer: { stepIntervalMs: 1000, candidates: { walkEligibleDelayMs: 2000 } } })
    const before = t.nodes.map((n) => n.stats().walkSteps)
    await t.run(20_000, 100)
    for (const [i, n] of t.nodes.entries()) {
      const s = n.stats()
      // 20 intervals, give or take the one the first step fell into.
      expect(s.walkSteps - before[i]!).toBeGreaterThanOrEqual(19)
      expect(s.walkSteps - before[i]!).toBeLessThanOrEqual(21)
      // First contacts were followed up at once: more requests than steps.
      expect(s.walks).toBeGreaterThan(s.walkSteps)
    }
    await t.stop()
  })
})
