/**
 * Peers that share an address (issue 22): the one-host Sybil rule must not starve honest
 * peers behind one IP. 20 public peers on one IP (a port each, as the demo on 127.0.0.1)
 * against 20 peers on IPs of their own, same seed and schedule. With the rule as it was (a
 * host's ports one walk target per 27.5 s, useful or not) the shared address needed 3.4× the
 * time to 99 % (370 s against 108 s); the Sybil side of the rule is
 * test/candidates/walker.test.ts "a host counts once".
 */
import { describe, expect, it } from 'vitest'
import { presetNamed } from '../../src/sim/presets.js'
import { simulate } from '../../src/sim/run.js'
import type { Scenario } from '../../src/sim/scenario.js'

function scenario(share: number, nat: 'public' | 'cone'): Scenario {
  const base = presetNamed('dbs-500')
  return {
    ...base,
    name: `shared-${nat}-${share}`,
    peers: 20,
    messages: 100,
    publishStartMs: 30_000,
    publishWindowMs: 50_000,
    durationMs: 30 * 60_000,
    sampleMs: 5_000,
    nat: { cone: nat === 'cone' ? 1 : 0, symmetric: 0, timeoutMs: 60_000, share }
  }
}

async function p99(s: Scenario): Promise<number> {
  const r = await simulate(s, { seed: 1 })
  expect(r.delivery.complete).toBe(true)
  return r.delivery.reached.p99!
}

describe('peers sharing an address', () => {
  it('20 public peers on one IP reach 99 % within 1.3× the time of 20 peers on IPs of their own', async () => {
    const own = await p99(scenario(1, 'public'))
    const shared = await p99(scenario(20, 'public'))
    expect(shared / own).toBeLessThan(1.3)
  })

  it('20 peers behind 2 shared cone NATs (10 each) reach 99 % within 1.3× the time of peers behind NATs of their own', async () => {
    const own = await p99(scenario(1, 'cone'))
    const shared = await p99(scenario(10, 'cone'))
    expect(shared / own).toBeLessThan(1.3)
  })
})
