/**
 * Anti-amplification under spoofing (issue 8, DESIGN §9): a node holding 10 000 bundles,
 * 500 spoofed unvalidated addresses per attack (full filters, tiny requests,
 * puncture-requests, IPv6 claims that lengthen every reply). The node sends at most 3× the
 * bytes it received, overall and to each address. test/node/rules.test.ts covers one
 * address with full filters; `npm run measure:amplification` prints the same figures.
 */
import { describe, expect, it } from 'vitest'
import { ATTACKS, measureAmplification } from '../../bench/amplification.js'

describe('anti-amplification against many spoofed addresses', () => {
  it('bytes sent ÷ bytes received ≤ 3 for every attack, overall and per address', async () => {
    const results = await measureAmplification({ bundles: 10_000, addresses: 500, rounds: 3, seed: 3 })
    expect(results.map((r) => r.attack)).toEqual([...ATTACKS])
    for (const r of results) {
      expect(r.datagramsIn, r.attack).toBe(1500)
      expect(r.bytesOut, r.attack).toBeGreaterThan(0)
      expect(r.ratio, r.attack).toBeLessThanOrEqual(3)
      expect(r.maxPerAddress, r.attack).toBeLessThanOrEqual(3)
    }
    const full = results.find((r) => r.attack === 'full')!
    // Full filters ask for 5 120 bytes of bundles each: the limit, not a lack of bundles, stops them.
    expect(full.out['bundles']).toBeGreaterThan(0)
    expect(full.blocked).toBeGreaterThan(500)
    expect(full.ratio).toBeGreaterThan(2.5)
    const puncture = results.find((r) => r.attack === 'puncture')!
    expect(puncture.out['puncture']).toBeGreaterThan(0) // punctures toward the third party happen, within the requester's budget
  }, 60_000)
})
