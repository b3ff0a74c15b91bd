/**
 * Faults (issue 8, item 7): 30 % loss, 10 % duplication, 10 % reordering and 30-second
 * sessions still reach full delivery. A small version of the `faults` preset (the full-size
 * figures are in docs/security.md).
 */
import { describe, expect, it } from 'vitest'
import { presetNamed, withOverrides } from '../../src/sim/presets.js'
import { simulate } from '../../src/sim/run.js'

describe('faults preset', () => {
  it('has the faults of the issue', () => {
    const s = presetNamed('faults')
    expect(s.network).toMatchObject({ loss: 0.3, duplication: 0.1, reorder: 0.1 })
    expect(s.churn).toMatchObject({ sessionMs: 30_000, online: 0.5, mode: 'restart' })
  })

  it('12 peers, 12 messages: every peer gets every message despite loss, duplicates, reordering and churn', async () => {
    const r = await simulate(withOverrides(presetNamed('faults'), { nodes: 12, messages: 12 }), { seed: 1 })
    expect(r.delivery.complete).toBe(true)
    expect(r.delivery.delivered).toBe(12 * 11)
    // The faults happened: about 30 % of copies lost, 10 % duplicated and reordered.
    const copies = r.network.sent + r.network.duplicated
    expect(r.network.lost / copies).toBeGreaterThan(0.25)
    expect(r.network.lost / copies).toBeLessThan(0.35)
    expect(r.network.duplicated / r.network.sent).toBeGreaterThan(0.07)
    expect(r.network.reordered / copies).toBeGreaterThan(0.07)
    // 30-second sessions at 50 % online: many sessions per peer.
    expect(r.churn!.sessions).toBeGreaterThan(12 * 10)
    // Duplicated bundles were seen and dropped as duplicates, never delivered twice.
    expect(r.latency.perPair.count).toBe(r.delivery.pairs)
  })
})
