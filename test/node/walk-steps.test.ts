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

describe('a walk step taken again when its request is lost', () => {
  const key = (a: { host: string; port: number }) => `${a.host}:${a.port}`

  /** Settles ten peers (every one validated by every other, so another is always eligible), takes peer 9 offline, and records 60 s of three others' walks. */
  async function walksAround(settings: { stepIntervalMs: number; walkRetryMs: number }) {
    const t = await testnet({ peers: 10, seed: 72, peer: settings })
    await t.run(60_000, 100)
    const gone = key(t.nodes[9]!.address())
    t.net.setOnline(t.nodes[9]!.address(), false)
    const walks = t.nodes.slice(0, 3).map((n) => {
      const log: { at: number; to: string }[] = []
      n.events.on('walk', (e) => log.push({ at: t.clock.now(), to: key(e.to) }))
      return log
    })
    const before = t.nodes.map((n) => n.stats())
    await t.run(60_000, 50)
    const after = t.nodes.map((n) => n.stats())
    await t.stop()
    return { gone, walks, retries: after.slice(0, 3).map((s, i) => s.walkRetries - before[i]!.walkRetries), steps: after.slice(0, 3).map((s, i) => s.walkSteps - before[i]!.walkSteps) }
  }

  it('after walkRetryMs without an answer from a validated peer, one more step at once, to another candidate; at most one a step', async () => {
    const { gone, walks, retries, steps } = await walksAround({ stepIntervalMs: 5_000, walkRetryMs: 1_000 })
    let unanswered = 0
    for (const [i, log] of walks.entries()) {
      for (const [j, w] of log.entries()) {
        if (w.to !== gone) continue
        unanswered++
        // The next walk is the retry, walkRetryMs later, to someone else (unless the step timer came first).
        const next = log[j + 1]
        expect(next).toBeDefined()
        expect(next!.to).not.toBe(gone)
        expect(next!.at - w.at).toBeLessThanOrEqual(1_000)
      }
      expect(retries[i]!).toBeLessThanOrEqual(steps[i]!)
    }
    expect(unanswered).toBeGreaterThan(0)
    expect(retries.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(unanswered - walks.length)
  })

  it('never with walkRetryMs 0 (Dispersy), nor when the retry would not come well before the next step', async () => {
    for (const settings of [{ stepIntervalMs: 5_000, walkRetryMs: 0 }, { stepIntervalMs: 1_500, walkRetryMs: 1_000 }]) {
      const { gone, walks, retries } = await walksAround(settings)
      expect(walks.some((log) => log.some((w) => w.to === gone))).toBe(true)
      expect(retries).toEqual([0, 0, 0])
    }
  })
})
