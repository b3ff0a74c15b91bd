/**
 * Retention that converges (issue 20, DESIGN §14), on the simulator's real node code: a room
 * whose policy deletes bundles 30 global-time units behind, peers churning in and out while
 * 120 messages are published, then a quiet hour. Every running peer must end with exactly the
 * same retained set, no peer may ever hold more than the pruning window allows, and pruned
 * bundles offered back must stay a small share of the traffic. The full-size run is the
 * `retention` preset (docs/evaluation.md).
 */
import { describe, expect, it } from 'vitest'
import { isBloomwalkError } from '../../src/errors.js'
import { presetNamed } from '../../src/sim/presets.js'
import { simulate } from '../../src/sim/run.js'
import { checkScenario, type Scenario } from '../../src/sim/scenario.js'

const HOUR = 3_600_000
const PRUNED = 30

function small(): Scenario {
  return {
    ...presetNamed('retention'),
    name: 'retention-small',
    peers: 12,
    messages: 120,
    publishWindowMs: 2 * HOUR,
    durationMs: 3 * HOUR,
    sampleMs: 10 * 60_000,
    churn: { online: 0.5, sessionMs: 15 * 60_000, sessions: 'exponential', mode: 'restart' },
    policy: { pruning: { inactive: 25, pruned: PRUNED } }
  }
}

describe('retention (room policy with global-time pruning)', () => {
  it('every running peer ends with the same retained set, all of it within the pruning window, re-sent pruned bundles stay small', async () => {
    const r = await simulate(small(), { seed: 3 })
    const t = r.retention!
    expect(t.peersCompared).toBeGreaterThan(2)
    expect(t.distinctSets).toBe(1)
    expect(t.identical).toBe(true)
    // What a peer keeps lies within the pruning window of its newest bundle (concurrent authors share global times, so it may hold more bundles than units).
    expect(t.retainedMin).toBeGreaterThan(0)
    expect(t.globalTimeSpan).toBeLessThanOrEqual(PRUNED)
    expect(t.peakStored).toBeLessThan(r.scenario.messages)
    // Catch-up once fetched what a returning peer still held but the room had pruned: 1.78 % of
    // all bytes here; served only within the requester's active range, 0.72 % (1.10 % later);
    // since catch-up's pushes and walk answers also skip what the peer's time has pruned, 0.
    // The DESIGN goal is ≤ 1 % of all bytes.
    expect(t.refusedBytes / r.bandwidth.bytes).toBeLessThanOrEqual(0.01)
  }, 180_000) // ~40 s idle; it hit vitest's 60 s default on a loaded machine

  it('a scenario without a policy reports no retention; a policy needs the bloom protocol and must be valid', async () => {
    expect(presetNamed('seed-6').policy).toBeNull()
    const mvds = { ...small(), protocol: 'mvds-batch' as const }
    expect(() => checkScenario(mvds)).toThrow(/policy needs protocol bloom/)
    const bad = { ...small(), policy: { pruning: { inactive: 40, pruned: 30 } } }
    let err: unknown
    try {
      checkScenario(bad)
    } catch (e) {
      err = e
    }
    expect(isBloomwalkError(err) && err.code === 'INVALID_ARGUMENT').toBe(true)
  })
})
