/**
 * Anti-amplification under spoofing (issue 8, DESIGN §9): a node holding 10 000 bundles,
 * 500 spoofed unvalidated addresses per attack (full filters, tiny requests,
 * puncture-requests, IPv6 claims that lengthen every reply). The node sends at most 3× the
 * bytes it received, overall and to each address. test/node/rules.test.ts covers one
 * address with full filters; `npm run measure:amplification` prints the same figures.
 */
import { describe, expect, it } from 'vitest'
import { ATTACKS, measureAmplification, measureWalkingAmplification } from '../../bench/amplification.js'
import { AmplificationGuard } from '../../src/node/amplification.js'

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
    // Answers the limit would cut are held back whole (answer_deferred), the rest of a reply blocked.
    expect(full.blocked + full.deferred).toBeGreaterThan(500)
    // Answers that fit are sent, those the limit would cut are held back whole: well under 3×, far from nothing.
    expect(full.ratio).toBeGreaterThan(1.5)
    const puncture = results.find((r) => r.attack === 'puncture')!
    expect(puncture.out['puncture']).toBeGreaterThan(0) // punctures toward the third party happen, within the requester's budget
  }, 60_000)

  it('a WALKING node at 10× the default pace sends each spoofed stumble candidate ≤ 3× what it sent, every packet type together, and walks to it only with a small probe', async () => {
    const r = await measureWalkingAmplification({ bundles: 1000, addresses: 60, stepMs: 500, walkMs: 90_000, seed: 4 })
    console.log(`walking node, 60 spoofed stumble candidates: worst address ${r.worst.toFixed(3)}, by type ${JSON.stringify(r.worstByType)}; ${r.walksToSpoofed} walks to them, ${r.offersToSpoofed} with an offer`)
    for (const [type, ratio] of Object.entries(r.worstByType)) if (type !== 'introduction-request') expect(ratio, type).toBeLessThanOrEqual(3)
    // The walk too (issue 21): every type together, per address.
    expect(r.worst).toBeLessThanOrEqual(3)
    for (const [type, ratio] of Object.entries(r.worstByType)) expect(ratio, type).toBeLessThanOrEqual(3)
    // It did walk to them (probes), never with a Bloom filter, and dropped them when they did not answer.
    expect(r.walksToSpoofed).toBeGreaterThan(0)
    expect(r.offersToSpoofed).toBe(0)
    expect(r.leftInTable).toBe(0)
  }, 120_000)
})

describe('AmplificationGuard', () => {
  const secret = new Uint8Array(32)
  it('allow: at most 3× the bytes received until validated', () => {
    const g = new AmplificationGuard({ secret })
    g.received('a', 100)
    expect(g.allow('a', 300)).toBe(true)
    expect(g.allow('a', 1)).toBe(false)
    expect(g.account('a')).toEqual({ sent: 300, received: 100, validated: false })
    g.validate('a')
    expect(g.allow('a', 10_000)).toBe(true)
  })

  it('allowProbe: one datagram of at most probeBytes per interval to an address that never sent anything; none beyond 3× to one that did', () => {
    const g = new AmplificationGuard({ secret, probeBytes: 200, probeIntervalMs: 20_000 })
    expect(g.allowProbe('never', 201, 0)).toBe(false)
    expect(g.allowProbe('never', 150, 0)).toBe(true)
    expect(g.allowProbe('never', 10, 19_999)).toBe(false)
    expect(g.allowProbe('never', 150, 20_000)).toBe(true) // a lost probe is retried after the interval
    expect(g.stats().probes).toBe(2)
    g.received('stumbled', 50)
    expect(g.allowProbe('stumbled', 150, 0)).toBe(true) // within 3 × 50
    expect(g.allowProbe('stumbled', 10, 0)).toBe(false) // no probe on top of 3×
    expect(g.allowProbe('stumbled', 10, 60_000)).toBe(false)
    g.validate('stumbled')
    expect(g.allowProbe('stumbled', 5000, 0)).toBe(true)
  })

  it('allowProbe: our walk and an asked-for puncture each have one probe per interval, so a puncture does not hold back the walk', () => {
    const g = new AmplificationGuard({ secret: new Uint8Array(32) })
    expect(g.allowProbe('introduced', 150, 0, false, 'puncture')).toBe(true)
    expect(g.allowProbe('introduced', 150, 1_000, true, 'walk')).toBe(true) // the walk right after our puncture
    expect(g.allowProbe('introduced', 150, 2_000, true, 'walk')).toBe(false)
    expect(g.allowProbe('introduced', 150, 2_000, false, 'puncture')).toBe(false)
    expect(g.allowProbe('introduced', 150, 20_000, false, 'puncture')).toBe(true)
    expect(g.allowProbe('introduced', 150, 21_000, true, 'walk')).toBe(true)
    // Two probes of at most probeBytes per interval, whatever the order.
    expect(g.stats().probes).toBe(4)
  })

  it('allowProbe, vouched (an introduced address): its probe per interval survives what it sent us; a matched puncture restarts the interval', () => {
    const g = new AmplificationGuard({ secret, probeBytes: 200, probeIntervalMs: 20_000 })
    for (const t of [0, 20_000, 40_000]) expect(g.allowProbe('nat', 150, t, true)).toBe(true) // dropped by its NAT, say
    g.received('nat', 70) // its puncture: 3 × 70 < the 450 already sent
    expect(g.allowProbe('nat', 150, 45_000)).toBe(false) // not vouched: 3× only
    expect(g.allowProbe('nat', 150, 45_000, true)).toBe(false) // vouched: within the interval
    g.punctured('nat')
    expect(g.allowProbe('nat', 150, 45_000, true)).toBe(true)
    expect(g.allowProbe('nat', 150, 46_000, true)).toBe(false)
    expect(g.allowProbe('nat', 201, 80_000, true)).toBe(false) // never more than probeBytes
    expect(g.stats().probes).toBe(4)
  })
})
