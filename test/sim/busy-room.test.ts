/**
 * A busy room is left to the walk (push's `busyFreshPerSecond`, DESIGN §13): in a bulk load
 * nodes stop spreading others' bundles, which costs fewer bytes than a push and an
 * announcement per bundle and receiver, and every pair is still delivered.
 */
import { describe, expect, it } from 'vitest'
import { presetNamed, withOverrides } from '../../src/sim/presets.js'
import { simulate } from '../../src/sim/run.js'

/** dbs-500 scaled down: 20 peers, 200 messages in its first minute (over 3 a second), LAN. */
function bulk(pushBusy: number) {
  return simulate(withOverrides(presetNamed('dbs-500'), { nodes: 20, messages: 200, pushBusy }), { seed: 3 })
}

describe('a busy room', () => {
  it('spreads fewer bundles further than with the rule off, for fewer push bytes, and delivers every pair', { timeout: 180_000 }, async () => {
    const [on, off] = await Promise.all([bulk(2), bulk(1_000)])
    for (const r of [on, off]) expect(r.delivery.complete).toBe(true)
    expect(on.driver.pushBusy).toBeGreaterThan(0)
    expect(off.driver.pushBusy ?? 0).toBe(0)
    const pushBytes = (r: typeof on) => r.bandwidth.byType['push']?.bytes ?? 0
    expect(pushBytes(on)).toBeLessThan(pushBytes(off))
    expect(on.bandwidth.bytes).toBeLessThan(off.bandwidth.bytes)
  })
})
