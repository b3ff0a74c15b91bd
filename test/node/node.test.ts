import { describe, expect, it } from 'vitest'
import { testnet } from './harness.js'

describe('node over the in-memory network', () => {
  it('peers that only know a tracker find each other and converge on every published bundle', async () => {
    const t = await testnet({ peers: 4, seed: 3 })
    for (const [i, node] of t.nodes.entries()) {
      for (let m = 0; m < 5; m++) await node.publish(t.overlay, new TextEncoder().encode(`node ${i} message ${m}`))
    }
    await t.run(120_000)
    for (const node of t.nodes) {
      const s = node.stats()
      expect(s.overlays[0]!.bundlesStored).toBe(20)
      expect(s.drops).toEqual({})
    }
    await t.stop()
  })
})

describe('stop() and start() again', () => {
  it('a restarted node walks again and syncs what was published while it was stopped', async () => {
    const t = await testnet({ peers: 3, seed: 5 })
    const [a, b] = t.nodes as [typeof t.nodes[number], typeof t.nodes[number]]
    await a.publish(t.overlay, new TextEncoder().encode('before'))
    await t.run(60_000)
    expect(b.stats().overlays[0]!.bundlesStored).toBe(1)
    await b.stop()
    const walksWhileStopped = b.stats().out['introduction-request']?.datagrams ?? 0
    await a.publish(t.overlay, new TextEncoder().encode('while b was stopped'))
    await t.run(30_000)
    expect(b.stats().out['introduction-request']?.datagrams ?? 0).toBe(walksWhileStopped)
    expect(b.stats().overlays[0]!.bundlesStored).toBe(1)
    await b.start()
    await t.run(60_000)
    expect(b.stats().out['introduction-request']!.datagrams).toBeGreaterThan(walksWhileStopped)
    expect(b.stats().overlays[0]!.bundlesStored).toBe(2)
    await t.stop()
  })
})
