/**
 * A mailserver draws from a stream of its own: seed-2, seed-5 and seed-7 run the churn,
 * publications, addresses and keys of seed-1, seed-4 and seed-6, so the comparison of a
 * scenario with and without a mailserver isolates the mailserver.
 */
import { describe, expect, it } from 'vitest'
import { DeliveryLog } from '../../src/sim/deliveries.js'
import { driverFor } from '../../src/sim/drivers.js'
import { publicHost } from '../../src/sim/nat.js'
import { presetNamed, withOverrides, type Overrides } from '../../src/sim/presets.js'
import { simulate } from '../../src/sim/run.js'
import { owedPairs } from '../../src/sim/scenario.js'
import { SimWorld } from '../../src/sim/world.js'

const SMALL: Overrides = { nodes: 8, messages: 8, online: 0.5, session: 120, duration: 3 * 3600 }

/** The main stream's next draw after the driver set everything up, and which public addresses are bound. */
async function afterSetup(preset: string, seed: number): Promise<{ next: number; bound: boolean[] }> {
  const s = withOverrides(presetNamed(preset), SMALL)
  const world = new SimWorld(s, seed, new DeliveryLog(s.peers, s.messages, owedPairs(s)))
  const driver = driverFor(world)
  await driver.setup()
  // Trackers (bloom), then the peers, then (when there is one) the mailserver: the same addresses for the same hosts.
  const bound = Array.from({ length: s.trackers + s.peers + 2 }, (_, i) => world.net.isBound({ host: publicHost(i), port: 7759 }))
  const next = world.rng.u32()
  await driver.stop()
  return { next, bound }
}

describe('the mailserver stream', () => {
  it.each([
    ['seed-1', 'seed-2'],
    ['seed-4', 'seed-5'],
    ['seed-6', 'seed-7']
  ])('%s and %s leave the main stream in the same state after setup', async (without, withMailserver) => {
    for (const seed of [1, 2]) {
      const a = await afterSetup(without, seed)
      const b = await afterSetup(withMailserver, seed)
      expect(b.next).toBe(a.next)
      const hosts = a.bound.indexOf(false)
      expect(a.bound.slice(hosts).every((x) => !x)).toBe(true)
      expect(b.bound).toEqual(a.bound.map((x, i) => x || i === hosts))
    }
  })

  it('seed-6 and seed-7 publish at the same times (same churn, same authors)', async () => {
    const a = await simulate(withOverrides(presetNamed('seed-6'), SMALL), { seed: 3 })
    const b = await simulate(withOverrides(presetNamed('seed-7'), SMALL), { seed: 3 })
    expect(a.delivery.complete && b.delivery.complete).toBe(true)
    const lastPublication = (r: typeof a) => r.delivery.fullDeliverySeconds! - r.delivery.afterLastPublishSeconds!
    // Both figures are rounded to the millisecond, so the difference of the two may be 1 ms off.
    expect(Math.abs(lastPublication(b) - lastPublication(a))).toBeLessThanOrEqual(0.0011)
  })
})
