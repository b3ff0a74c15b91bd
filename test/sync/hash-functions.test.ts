/**
 * `SyncConfig.hashFunctions` (the sweep's `k`): the offered filters carry that k, and the
 * capacity follows the standard formula for a fixed k, never above the optimum's.
 */
import { describe, expect, it } from 'vitest'
import { capacityWithK, offerSize } from '../../src/sync/capacity.js'
import { syncConfig } from '../../src/sync/config.js'
import { decodePacket } from '../../src/wire/codec.js'
import { testnet } from '../node/harness.js'

describe('hash functions override', () => {
  it('offerSize keeps the bytes, uses k, and holds fewer ids than the optimum at the same rate', () => {
    const best = offerSize(1200, 0.01, 'ipv4')
    for (const k of [1, 3, best.k, 12, 32]) {
      const s = offerSize(1200, 0.01, 'ipv4', k)
      expect(s.bloomBytes).toBe(best.bloomBytes)
      expect(s.k).toBe(k)
      expect(s.capacity).toBe(capacityWithK(best.bloomBytes * 8, 0.01, k))
      expect(s.capacity).toBeLessThanOrEqual(best.capacity + 1)
      // At that capacity the theoretical rate is at most the target.
      expect(Math.pow(1 - Math.exp((-k * s.capacity) / (best.bloomBytes * 8)), k)).toBeLessThanOrEqual(0.01 + 1e-12)
    }
    expect(offerSize(1200, 0.01, 'ipv4', best.k).capacity).toBeGreaterThan(offerSize(1200, 0.01, 'ipv4', 1).capacity * 5)
    expect(() => offerSize(1200, 0.01, 'ipv4', 0)).toThrow(/k must be an integer in \[1, 32\]/)
    expect(() => offerSize(1200, 0.01, 'ipv4', 33)).toThrow(/k must be/)
    expect(() => syncConfig({ hashFunctions: 2.5 })).toThrow(/hashFunctions/)
  })

  it('a node told hashFunctions: 3 offers filters with k = 3', async () => {
    const t = await testnet({ peers: 0, seed: 7 })
    const ks = new Set<number>()
    t.net.interceptor = ({ from, to, bytes }) => {
      const p = decodePacket(bytes)?.packet
      // An empty range is offered as a 1-byte filter with k = 1 (nothing to tell apart); the rest use the configured k.
      if (p?.type === 'introduction-request' && p.sync !== undefined && p.sync.bloom.bits.length > 1) ks.add(p.sync.bloom.k)
      return { from, to }
    }
    const a = await t.addPeer({ sync: { hashFunctions: 3 } })
    await t.addPeer({ sync: { hashFunctions: 3 } })
    await a.publish(t.overlay, new TextEncoder().encode('x'))
    await t.run(30_000)
    expect([...ks]).toEqual([3])
    await t.stop()
  })
})
