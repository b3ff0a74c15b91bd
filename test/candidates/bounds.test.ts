import { describe, expect, it } from 'vitest'
import { CandidateTable, MAX_CANDIDATES, MAX_PER_NARROW_SUBNET, MAX_PER_WIDE_SUBNET, STUMBLE_LIFETIME_MS } from '../../src/candidates/index.js'
import { subnetKeys } from '../../src/nat/index.js'
import { info, spreadKey } from './helpers.js'

const T0 = 1_000_000

function perSubnet(t: CandidateTable, now: number, which: 'narrow' | 'wide'): Map<string, number> {
  const m = new Map<string, number>()
  for (const c of t.list(now)) {
    if (c.trusted) continue
    const s = subnetKeys(c.wan.host)![which]
    m.set(s, (m.get(s) ?? 0) + 1)
  }
  return m
}

describe('per-subnet caps', () => {
  it('the defaults are 8 per /24 and 32 per /16', () => {
    expect([MAX_PER_NARROW_SUBNET, MAX_PER_WIDE_SUBNET, MAX_CANDIDATES]).toEqual([8, 32, 500])
  })

  it('10 000 stumble candidates from one /24 leave at most 8, the most recent', () => {
    const t = new CandidateTable()
    for (let i = 0; i < 10_000; i++) {
      const k = `10.1.2.${i & 255}:${1_000 + i}`
      expect(t.recordStumble(k, info(k), T0 + i)).toBeDefined()
    }
    expect(t.size).toBe(MAX_PER_NARROW_SUBNET)
    expect(t.counts(T0 + 10_000).stumble).toBe(8)
    expect(t.list(T0 + 10_000).map((c) => c.lastStumble).sort((a, b) => a! - b!)).toEqual(Array.from({ length: 8 }, (_, i) => T0 + 9_992 + i))
    expect(t.stats().evicted).toBe(10_000 - 8)
  })

  it('10 000 intro candidates from one /24 leave at most 8', () => {
    const t = new CandidateTable()
    for (let i = 0; i < 10_000; i++) t.recordIntro(`10.1.2.${i & 255}:${1_000 + i}`, info(`10.1.2.${i & 255}:${1_000 + i}`), T0)
    expect(t.size).toBe(8)
  })

  it('stumble and intro share one cap', () => {
    const t = new CandidateTable()
    for (let i = 0; i < 100; i++) {
      const k = `10.1.2.3:${1_000 + i}`
      if (i % 2 === 0) t.recordIntro(k, info(k), T0 + i)
      else t.recordStumble(k, info(k), T0 + i)
    }
    expect(t.size).toBeLessThanOrEqual(8)
  })

  it('10 000 candidates spread over the /24s of one /16 leave at most 32, at most 8 per /24', () => {
    const t = new CandidateTable()
    for (let i = 0; i < 10_000; i++) {
      const k = `10.1.${i % 256}.${(i >> 8) + 1}:7000`
      t.recordStumble(k, info(k), T0 + i)
    }
    expect(t.size).toBe(MAX_PER_WIDE_SUBNET)
    expect(Math.max(...perSubnet(t, T0 + 10_000, 'narrow').values())).toBeLessThanOrEqual(8)
  })

  it('IPv6: at most 8 per /48 and 32 per /32', () => {
    const t = new CandidateTable()
    for (let i = 0; i < 10_000; i++) {
      const k = `[2001:db8:aaaa:${(i % 4096).toString(16)}::${(i + 1).toString(16)}]:7000`
      t.recordStumble(k, info(k), T0 + i)
    }
    expect(t.size).toBe(8)
    const u = new CandidateTable()
    for (let i = 0; i < 10_000; i++) {
      const k = `[2001:db8:${(i % 65536).toString(16)}::1]:${1_000 + (i >> 4)}`
      u.recordIntro(k, info(k), T0 + i)
    }
    expect(u.size).toBe(32)
  })

  it('an IPv4-mapped IPv6 spelling does not get a second cap', () => {
    const t = new CandidateTable()
    for (let i = 0; i < 100; i++) {
      const k = i % 2 === 0 ? `10.1.2.${i}:7000` : `[::ffff:10.1.2.${i}]:7000`
      t.recordStumble(k, info(k), T0 + i)
    }
    expect(t.size).toBe(8)
  })

  it('honours configured caps', () => {
    const t = new CandidateTable({ maxPerNarrowSubnet: 2, maxPerWideSubnet: 3 })
    for (let i = 0; i < 100; i++) t.recordStumble(`10.1.2.${i}:7000`, info(`10.1.2.${i}:7000`), T0 + i)
    expect(t.size).toBe(2)
    for (let i = 0; i < 100; i++) t.recordStumble(`10.1.${3 + (i % 50)}.1:7000`, info(`10.1.${3 + (i % 50)}.1:7000`), T0 + 100 + i)
    expect(t.size).toBe(3)
  })

  it('walk candidates are not subnet-capped and do not count toward the cap', () => {
    const t = new CandidateTable()
    for (let i = 0; i < 20; i++) t.recordWalkReply(`10.1.2.${i}:7000`, info(`10.1.2.${i}:7000`), T0)
    for (let i = 20; i < 40; i++) t.recordStumble(`10.1.2.${i}:7000`, info(`10.1.2.${i}:7000`), T0)
    expect(t.counts(T0)).toMatchObject({ walk: 20, stumble: 8 })
  })

  it('a new intro entry cannot displace verified stumble entries of its subnet', () => {
    const t = new CandidateTable()
    for (let i = 0; i < 8; i++) t.recordStumble(`10.1.2.${i}:7000`, info(`10.1.2.${i}:7000`), T0)
    expect(t.recordIntro('10.1.2.100:7000', info('10.1.2.100:7000'), T0 + 1)).toBeUndefined()
    expect(t.counts(T0 + 1)).toMatchObject({ stumble: 8, intro: 0 })
    expect(t.stats().refused).toBe(1)
  })

  it('a new stumble entry displaces the subnet’s intro entries before its stumble entries', () => {
    const t = new CandidateTable()
    for (let i = 0; i < 4; i++) t.recordStumble(`10.1.2.${i}:7000`, info(`10.1.2.${i}:7000`), T0)
    for (let i = 4; i < 8; i++) t.recordIntro(`10.1.2.${i}:7000`, info(`10.1.2.${i}:7000`), T0 + 10 + i)
    t.recordStumble('10.1.2.100:7000', info('10.1.2.100:7000'), T0 + 100)
    expect(t.get('10.1.2.4:7000')).toBeUndefined() // the oldest intro went
    expect(t.counts(T0 + 100)).toMatchObject({ stumble: 5, intro: 3 })
  })

  it('expired entries do not count toward a subnet cap', () => {
    const t = new CandidateTable()
    for (let i = 0; i < 8; i++) t.recordStumble(`10.1.2.${i}:7000`, info(`10.1.2.${i}:7000`), T0)
    const later = T0 + STUMBLE_LIFETIME_MS
    for (let i = 8; i < 16; i++) t.recordStumble(`10.1.2.${i}:7000`, info(`10.1.2.${i}:7000`), later)
    expect(t.stats().evicted).toBe(0)
    expect(t.counts(later)).toMatchObject({ stumble: 8, expired: 8 })
  })

  it('a cap of 0 refuses stumble and intro entries but not walk ones', () => {
    const t = new CandidateTable({ maxPerNarrowSubnet: 0 })
    expect(t.recordStumble('1.1.1.1:1', info('1.1.1.1:1'), T0)).toBeUndefined()
    expect(t.recordIntro('1.1.1.1:1', info('1.1.1.1:1'), T0)).toBeUndefined()
    expect(t.recordWalkReply('1.1.1.1:1', info('1.1.1.1:1'), T0)).toBeDefined()
  })
})

describe('total cap', () => {
  it('10 000 candidates from distinct /16s leave at most 500, the most recent', () => {
    const t = new CandidateTable()
    for (let i = 0; i < 10_000; i++) t.recordStumble(spreadKey(i), info(spreadKey(i)), T0 + i)
    expect(t.size).toBe(MAX_CANDIDATES)
    expect(Math.min(...t.list(T0 + 10_000).map((c) => c.lastStumble!))).toBe(T0 + 9_500)
  })

  it('evicts expired entries first, then intro, then stumble, then walk', () => {
    const t = new CandidateTable({ maxCandidates: 4 })
    const [a, b, c, d, e, f] = [0, 1, 2, 3, 4, 5].map(spreadKey) as [string, string, string, string, string, string]
    t.recordWalkReply(a, info(a), T0) // walk, oldest
    t.recordStumble(b, info(b), T0 + 1)
    t.recordIntro(c, info(c), T0 + 2)
    t.recordWalkReply(d, info(d), T0 - 60_000) // already expired at T0 + 10
    t.recordWalkReply(e, info(e), T0 + 10) // evicts d (expired)
    expect(t.get(d)).toBeUndefined()
    t.recordWalkReply(f, info(f), T0 + 11) // evicts c (intro)
    expect(t.get(c)).toBeUndefined()
    t.recordWalkReply(spreadKey(6), info(spreadKey(6)), T0 + 12) // evicts b (stumble)
    expect(t.get(b)).toBeUndefined()
    t.recordWalkReply(spreadKey(7), info(spreadKey(7)), T0 + 13) // evicts a (oldest walk)
    expect(t.get(a)).toBeUndefined()
    expect(t.size).toBe(4)
  })

  it('a newcomer never displaces a more proven entry: hearsay cannot flush peers that answered', () => {
    const t = new CandidateTable({ maxCandidates: 10 })
    for (let i = 0; i < 5; i++) t.recordWalkReply(spreadKey(i), info(spreadKey(i)), T0)
    for (let i = 5; i < 10; i++) t.recordStumble(spreadKey(i), info(spreadKey(i)), T0)
    for (let i = 10; i < 10_010; i++) expect(t.recordIntro(spreadKey(i), info(spreadKey(i)), T0 + 1)).toBeUndefined()
    expect(t.counts(T0 + 1)).toMatchObject({ walk: 5, stumble: 5, intro: 0 })
    for (let i = 10_010; i < 20_010; i++) t.recordStumble(spreadKey(i), info(spreadKey(i)), T0 + 2)
    expect(t.counts(T0 + 2)).toMatchObject({ walk: 5, stumble: 5 })
    expect(t.get(spreadKey(20_009))).toBeDefined()
  })

  it('trusted entries are never evicted and take no room', () => {
    const t = new CandidateTable({ maxCandidates: 2 })
    for (let i = 0; i < 5; i++) t.addTrusted(`9.9.9.${i}:1`)
    for (let i = 0; i < 1_000; i++) t.recordWalkReply(spreadKey(i), info(spreadKey(i)), T0 + i)
    expect(t.size).toBe(7)
    expect(t.counts(T0 + 1_000)).toMatchObject({ trusted: 5, walk: 2 })
  })

  it('a maximum of 0 refuses every non-trusted entry', () => {
    const t = new CandidateTable({ maxCandidates: 0 })
    expect(t.recordWalkReply('1.1.1.1:1', info('1.1.1.1:1'), T0)).toBeUndefined()
    t.addTrusted('9.9.9.9:1')
    expect(t.size).toBe(1)
  })

  it('a flood from one /16 leaves the walker choosing honest peers', () => {
    const t = new CandidateTable()
    for (let i = 0; i < 5; i++) t.recordWalkReply(spreadKey(i), info(spreadKey(i)), T0)
    for (let i = 0; i < 10_000; i++) t.recordStumble(`66.66.${i & 255}.${(i >> 8) + 1}:7000`, info(`66.66.${i & 255}.${(i >> 8) + 1}:7000`), T0)
    expect(t.counts(T0)).toMatchObject({ walk: 5, stumble: 32 })
  })
})
