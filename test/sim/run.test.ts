/**
 * Simulation runs on small presets: determinism (same preset and seed ⇒ the same JSON, wall
 * time and memory aside), store equivalence, NATs, churn modes, MVDS and the mailserver.
 */
import { describe, expect, it } from 'vitest'
import { presetNamed, withOverrides, type Overrides } from '../../src/sim/presets.js'
import { reproducible, type SimResult } from '../../src/sim/result.js'
import { simulate } from '../../src/sim/run.js'

function run(preset: string, o: Overrides, seed = 1, extra: (s: ReturnType<typeof presetNamed>) => void = () => {}): Promise<SimResult> {
  const s = withOverrides(presetNamed(preset), o)
  extra(s)
  return simulate(s, { seed })
}

const SMALL_BLOOM: Overrides = { nodes: 10, messages: 20, online: 0.5, session: 120, duration: 3 * 3600 }

describe('simulate', () => {
  /** Three (two) whole runs: 30–45 s on an idle 2-core machine, past the 60 s default when CI's parallel files load it. */
  const SLOW_RUNS_MS = 180_000

  it('is deterministic: the same preset and seed give identical JSON', async () => {
    const a = await run('seed-6', SMALL_BLOOM)
    const b = await run('seed-6', SMALL_BLOOM)
    expect(JSON.stringify(reproducible(a))).toBe(JSON.stringify(reproducible(b)))
    expect(a.delivery.complete).toBe(true)
    const c = await run('seed-6', SMALL_BLOOM, 2)
    expect(JSON.stringify(reproducible(c))).not.toBe(JSON.stringify(reproducible(a)))
  }, SLOW_RUNS_MS)

  it('reports consistent figures', async () => {
    const r = await run('seed-6', SMALL_BLOOM)
    expect(r.delivery.pairs).toBe(20 * 9)
    expect(r.delivery.delivered).toBe(r.delivery.pairs)
    expect(r.latency.perPair.count).toBe(r.delivery.pairs)
    expect(r.latency.quantiles).toHaveLength(101)
    expect(r.curve.at(-1)!.ratio).toBe(1)
    const typed = Object.values(r.bandwidth.byType).reduce((n, c) => n + c.datagrams, 0)
    // The nodes' per-type counters match what entered the network.
    expect(typed).toBe(r.bandwidth.datagrams)
    expect(r.network.sent + r.network.duplicated).toBeGreaterThanOrEqual(r.network.delivered)
    expect(r.bandwidth.datagramMultiplier).toBeCloseTo(r.bandwidth.datagrams / r.delivery.pairs, 2)
    expect(r.churn!.onlineShare).toBeGreaterThan(0.3)
  })

  it('the interned store and the memory store give the same run', async () => {
    const a = await run('seed-6', SMALL_BLOOM, 3)
    const b = await run('seed-6', SMALL_BLOOM, 3, (s) => (s.store = 'memory'))
    const strip = (r: SimResult) => JSON.stringify({ ...reproducible(r), scenario: null, driver: { ...r.driver, distinctBundles: null } })
    expect(strip(a)).toBe(strip(b))
  }, SLOW_RUNS_MS)

  it('runs peers behind cone and symmetric NATs (dbs-churn, small)', async () => {
    const r = await run('dbs-churn', { nodes: 24, messages: 10, duration: 1800 })
    expect(r.driver['nat']).toMatchObject({ translated: expect.any(Number) })
    expect((r.driver['nat'] as { translated: number }).translated).toBeGreaterThan(0)
    expect(Object.keys(r.byNatKind)).toEqual(['public', 'cone', 'symmetric'])
    expect(Object.values(r.byNatKind).reduce((n, k) => n + k.receivers, 0)).toBe(24)
    expect(r.byNatKind['cone']!.receivers).toBe(Math.round(0.64 * 24))
    expect(r.delivery.ratio).toBeGreaterThan(0.9)
  })

  it('offline churn mode keeps nodes running and excludes what they sent while offline', async () => {
    const r = await run('seed-6', { ...SMALL_BLOOM, churnMode: 'offline' })
    const typed = Object.values(r.bandwidth.byType).reduce((n, c) => n + c.datagrams, 0)
    expect(typed).toBe(r.bandwidth.datagrams)
    expect(r.delivery.ratio).toBeGreaterThan(0.5)
  })

  it('the bloom mailserver drops a tenth of its answers and is counted as infrastructure', async () => {
    const r = await run('seed-7', SMALL_BLOOM)
    expect(r.bandwidth.infrastructure.map((h) => h.role)).toEqual(['tracker', 'mailserver'])
    expect((r.driver['mailserverDropped'] as { datagrams: number }).datagrams).toBeGreaterThan(0)
    expect(r.delivery.complete).toBe(true)
  })

  it('preloads a history: only the missing bundles are owed', async () => {
    const r = await run('large', { nodes: 8, messages: 4, duration: 1800 }, 1, (s) => (s.history = { bundles: 300, missing: 0.02 }))
    expect(r.delivery.messages).toBe(304)
    expect(r.delivery.pairs).toBe(4 * 7 + 8 * 6)
    expect(r.delivery.complete).toBe(true)
    // A mailserver holds the whole history from the start (stored before its node joins).
    const m = await run('large', { nodes: 8, messages: 4, duration: 1800 }, 1, (s) => {
      s.history = { bundles: 300, missing: 0.02 }
      s.mailserver = { reliability: 0.9 }
    })
    expect(m.delivery.complete).toBe(true)
  })

  it('MVDS batch and interactive deliver 1:1 chat; the mailserver relays', async () => {
    for (const protocol of ['mvds-batch', 'mvds-interactive'] as const) {
      const r = await run('seed-1', { protocol, online: 0.5, session: 300 })
      expect(r.delivery.complete).toBe(true)
      expect(Object.keys(r.bandwidth.byType)).toEqual(['mvds'])
    }
    const m = await run('seed-2', { online: 0.3, session: 300 })
    expect(m.delivery.complete).toBe(true)
    expect(m.bandwidth.infrastructure.map((h) => h.role)).toEqual(['mailserver'])
  })

  it('MVDS over a multicast topic sends fewer datagrams than pairwise', async () => {
    const o: Overrides = { nodes: 8, messages: 16, online: 1, duration: 600 }
    const quick = (s: ReturnType<typeof presetNamed>) => (s.publishWindowMs = 60_000)
    const pairwise = await run('seed-3', o, 1, quick)
    const multicast = await run('seed-4', o, 1, quick)
    expect(pairwise.delivery.complete).toBe(true)
    expect(multicast.delivery.complete).toBe(true)
    expect(multicast.bandwidth.datagrams).toBeLessThan(pairwise.bandwidth.datagrams)
  })
})
