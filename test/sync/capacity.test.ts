import { describe, expect, it } from 'vitest'
import { BloomFilter } from '../../src/bloom/index.js'
import { roomId } from '../../src/bundle/index.js'
import { SeededRng, int } from '../../src/env/rng.js'
import { offerSize, worstCaseRequest } from '../../src/sync/capacity.js'
import { packDatagrams } from '../../src/sync/pack.js'
import { encodePacket, type IntroductionRequest } from '../../src/wire/index.js'
import { makeBundles } from '../helpers/bundles.js'

const overlay = roomId('capacity')

describe('offer size from the real datagram budget', () => {
  for (const budget of [576, 1200, 1472]) {
    for (const family of ['ipv4', 'ipv6'] as const) {
      it(`budget ${budget}, ${family}: a full filter never encodes larger than the budget, and fills it to within a few bytes`, () => {
        const size = offerSize(budget, 0.01, family)
        const rng = new SeededRng(budget)
        const worst = worstCaseRequest(family)
        let largest = 0
        for (let i = 0; i < 200; i++) {
          // Random field values, always with a completely full filter.
          const bloom = new BloomFilter(rng.bytes(size.bloomBytes), size.k, rng.u32())
          const request: IntroductionRequest = {
            ...worst,
            identifier: rng.u32(),
            globalTime: 1 + int(rng, 2 ** 31),
            sync: { timeLow: 1 + int(rng, 1000), timeHigh: int(rng, 2 ** 32), modulo: 1 + int(rng, 500), offset: 0, bloom },
            token: i % 2 === 0 ? undefined : rng.bytes(32)
          }
          const bytes = encodePacket(overlay, request)
          expect(bytes.length).toBeLessThanOrEqual(budget)
          largest = Math.max(largest, bytes.length)
        }
        expect(encodePacket(overlay, { ...worst, sync: { ...worst.sync, bloom: new BloomFilter(size.bloomBytes, size.k, 0xffffffff) } }).length).toBe(budget)
        expect(budget - largest).toBeLessThan(60)
      })
    }
  }

  it('gives about 9.6 bits per id at 1 % and more ids at higher rates', () => {
    const s = offerSize(1200, 0.01, 'ipv4')
    expect(s.bloomBytes).toBeGreaterThan(1000)
    expect((s.bloomBytes * 8) / s.capacity).toBeCloseTo(9.59, 1)
    expect(offerSize(1200, 0.05, 'ipv4').capacity).toBeGreaterThan(s.capacity)
    expect(offerSize(1200, 0.01, 'ipv6').bloomBytes).toBeLessThan(s.bloomBytes)
  })

  it('rejects budgets outside 576–1 472 and rates outside (0, 1)', () => {
    expect(() => offerSize(575, 0.01, 'ipv4')).toThrow(/budget/)
    expect(() => offerSize(1473, 0.01, 'ipv4')).toThrow(/budget/)
    expect(() => offerSize(1200, 0, 'ipv4')).toThrow(/rate/)
  })
})

describe('packing answers into datagrams', () => {
  it('packs every bundle, in order, into datagrams that each encode within the budget', () => {
    const bundles = makeBundles(60, { overlay, seed: 1, bodyBytes: 300 })
    for (const budget of [576, 1200, 1472]) {
      const datagrams = packDatagrams(bundles, budget, 64)
      expect(datagrams.flat()).toEqual(bundles)
      for (const d of datagrams) expect(encodePacket(overlay, { type: 'bundles', bundles: d }).length).toBeLessThanOrEqual(budget)
      // Greedy packing: no two neighbours could have been merged.
      for (let i = 1; i < datagrams.length; i++) {
        const merged = [...datagrams[i - 1]!, datagrams[i]![0]!]
        expect(encodePacket(overlay, { type: 'bundles', bundles: merged }).length).toBeGreaterThan(budget)
      }
    }
  })

  it('respects the bundles-per-datagram cap', () => {
    const bundles = makeBundles(20, { overlay, seed: 2, bodyBytes: 4 })
    const datagrams = packDatagrams(bundles, 1472, 8)
    expect(datagrams.map((d) => d.length)).toEqual([8, 8, 4])
  })
})
