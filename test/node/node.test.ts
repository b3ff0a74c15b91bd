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
