/**
 * Sync with an honest peer survives a flood of silent stumble candidates. Each attacker
 * address sends one valid introduction-request now and then (so it stays a stumble
 * candidate the victim walks to) and never answers. Before the fix in src/sync/offer.ts
 * every unanswered walk counted as a barren round, the skip curve saturated at p = 0.9, and
 * the victim stopped sending filters to its honest peer too: honest bundles took up to
 * 400 s (virtual) to arrive, some not at all.
 */
import { describe, expect, it } from 'vitest'
import { encodePacket, type Address } from '../../src/wire/index.js'
import { testnet } from '../node/harness.js'

const ATTACKERS = 120
const BUNDLES = 12

describe('sync under a flood of silent stumble candidates', () => {
  it('the victim still pulls every honest bundle within 60 s (virtual)', async () => {
    const t = await testnet({ peers: 2, seed: 81 })
    const [victim, honest] = t.nodes as [(typeof t.nodes)[0], (typeof t.nodes)[0]]
    await t.run(60_000) // they meet through the tracker and sync
    const attackers = Array.from({ length: ATTACKERS }, () => t.net.bind())
    for (const a of attackers) a.onPacket = () => {} // silent: never answers the victim's walks
    const request = (from: Address, identifier: number) =>
      encodePacket(t.overlay, { type: 'introduction-request', destination: victim.address(), sourceLan: from, sourceWan: from, advice: false, connectionType: 'unknown', identifier, globalTime: 1 })
    const published = new Map<string, number>()
    const latency: number[] = []
    victim.events.on('bundle', (d) => {
      const at = published.get(Buffer.from(d.bundle.id).toString('hex'))
      if (at !== undefined) latency.push(t.clock.now() - at)
    })
    for (let round = 0; round < BUNDLES; round++) {
      // Refresh every attacker's stumble status (lifetime 57.5 s).
      attackers.forEach((a, i) => a.send(victim.address(), request(a.address(), round * ATTACKERS + i + 1)))
      const b = await honest.publish(t.overlay, new TextEncoder().encode(`honest ${round}`))
      published.set(Buffer.from(b.id).toString('hex'), t.clock.now())
      await t.run(30_000, 250)
    }
    expect(victim.stats().overlays[0]!.candidates.stumble).toBeGreaterThan(ATTACKERS / 2)
    await t.run(60_000, 250)
    expect(victim.stats().walkTimeouts).toBeGreaterThan(20) // most walks went to silent attackers
    expect(latency.length).toBe(BUNDLES)
    expect(Math.max(...latency)).toBeLessThanOrEqual(60_000)
    await t.stop()
  }, 60_000)
})
