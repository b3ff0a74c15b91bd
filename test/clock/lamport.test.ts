import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { LamportClock, MAX_GLOBAL_TIME, DEFAULT_ACCEPTABLE_RANGE, DEFAULT_AUTHOR_CAP, isValidGlobalTime } from '../../src/clock/index.js'
import { isBloomwalkError } from '../../src/errors.js'
import { SeededRng, int } from '../../src/env/index.js'

function expectCode(f: () => unknown, code: 'INVALID_ARGUMENT' | 'BUNDLE_BAD_GLOBAL_TIME'): void {
  let caught: unknown
  try {
    f()
  } catch (err) {
    caught = err
  }
  expect(isBloomwalkError(caught, code)).toBe(true)
}

/** Reports `times` as the global times of peers p0, p1, … at `now`. */
function report(clock: LamportClock, times: number[], now: number, prefix = 'p'): void {
  times.forEach((t, i) => expect(clock.reportPeer(`${prefix}${i}`, t, now)).toBe(true))
}

describe('LamportClock: claim and observe', () => {
  it('starts at 0 (or the given start) and claims strictly increasing times', () => {
    const c = new LamportClock()
    expect(c.time).toBe(0)
    expect([c.claim(), c.claim(), c.claim()]).toEqual([1, 2, 3])
    expect(c.time).toBe(3)
    expect(new LamportClock({ start: 41 }).claim()).toBe(42)
  })

  it('observe advances to the bundle time and claim continues above it', () => {
    const c = new LamportClock()
    expect(c.observe(500, 'alice')).toBe(true)
    expect(c.time).toBe(500)
    expect(c.claim()).toBe(501)
  })

  it('observe of an older time is accepted and leaves the clock alone', () => {
    const c = new LamportClock({ start: 1000 })
    expect(c.observe(3, 'alice')).toBe(true)
    expect(c.time).toBe(1000)
    expect(c.stats()).toMatchObject({ accepted: 1, capped: 0 })
  })

  it('is monotonic under any mix of claims and observations', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constant<null>(null), fc.tuple(fc.integer({ min: -5, max: 30_000 }), fc.integer({ min: 0, max: 3 }))), { maxLength: 200 }),
        (steps) => {
          const c = new LamportClock()
          let last = c.time
          for (const step of steps) {
            if (step === null) expect(c.claim()).toBe(last + 1)
            else c.observe(step[0], `author${step[1]}`)
            expect(c.time).toBeGreaterThanOrEqual(last)
            last = c.time
          }
        }
      )
    )
  })

  it('treats a Uint8Array author like its hex string', () => {
    const c = new LamportClock()
    const key = new Uint8Array([0xab, 0x01])
    c.observe(DEFAULT_AUTHOR_CAP, key)
    expect(c.authorCeiling('ab01')).toBe(DEFAULT_AUTHOR_CAP)
    expect(c.authorCeiling('someone-else')).toBe(2 * DEFAULT_AUTHOR_CAP)
  })

  it('claim throws BUNDLE_BAD_GLOBAL_TIME once the time space is exhausted', () => {
    const c = new LamportClock({ start: MAX_GLOBAL_TIME - 1 })
    expect(c.claim()).toBe(MAX_GLOBAL_TIME)
    expectCode(() => c.claim(), 'BUNDLE_BAD_GLOBAL_TIME')
    expect(c.time).toBe(MAX_GLOBAL_TIME)
  })
})

describe('LamportClock: invalid and absurd global times', () => {
  it.each([0, -1, 1.5, Number.NaN, Infinity, -Infinity, 2 ** 53, 2 ** 64, Number.MAX_VALUE])('rejects %s as invalid', (gt) => {
    const c = new LamportClock()
    expect(isValidGlobalTime(gt)).toBe(false)
    expect(c.check(gt)).toBe('invalid')
    expect(c.observe(gt, 'mallory')).toBe(false)
    expect(c.time).toBe(0)
    expect(c.stats()).toMatchObject({ accepted: 0, rejectedInvalid: 1 })
  })

  it('rejects the largest valid time as too high for a young clock', () => {
    const c = new LamportClock()
    expect(isValidGlobalTime(MAX_GLOBAL_TIME)).toBe(true)
    expect(c.observe(MAX_GLOBAL_TIME, 'mallory')).toBe(false)
    expect(c.time).toBe(0)
    expect(c.stats().rejectedTooHigh).toBe(1)
  })
})

describe('LamportClock: acceptable range', () => {
  it('accepts up to time + range inclusive, and nothing above', () => {
    const c = new LamportClock({ start: 100 })
    expect(c.acceptableUpper()).toBe(100 + DEFAULT_ACCEPTABLE_RANGE)
    expect(c.check(100 + DEFAULT_ACCEPTABLE_RANGE)).toBe('ok')
    expect(c.check(101 + DEFAULT_ACCEPTABLE_RANGE)).toBe('too-high')
    expect(c.observe(101 + DEFAULT_ACCEPTABLE_RANGE, 'a')).toBe(false)
    expect(c.observe(100 + DEFAULT_ACCEPTABLE_RANGE, 'a')).toBe(true)
  })

  it('honours a configured range', () => {
    const c = new LamportClock({ range: 50 })
    expect(c.acceptableUpper()).toBe(50)
    expect(c.observe(51, 'a')).toBe(false)
  })

  it('moves the clock by at most the acceptable range per bundle', () => {
    // authorCap = range switches the per-author cap off, so only the range guard applies.
    const c = new LamportClock({ range: 10_000, authorCap: 10_000 })
    const rng = new SeededRng(7)
    for (let i = 0; i < 2_000; i++) {
      const before = c.time
      c.observe(before + int(rng, 30_000), `author${i}`)
      expect(c.time - before).toBeLessThanOrEqual(10_000)
    }
  })

  it('clamps the upper bound at 2^53 − 1', () => {
    const c = new LamportClock({ start: MAX_GLOBAL_TIME - 5 })
    expect(c.acceptableUpper()).toBe(MAX_GLOBAL_TIME)
  })
})

describe('LamportClock: peer median', () => {
  it('needs more than 5 verified peers', () => {
    const c = new LamportClock()
    report(c, [50_000, 50_000, 50_000, 50_000, 50_000], 0)
    expect(c.peerMedian()).toBeUndefined()
    expect(c.acceptableUpper()).toBe(DEFAULT_ACCEPTABLE_RANGE)
    c.reportPeer('p5', 50_000, 0)
    expect(c.peerMedian()).toBe(50_000)
    expect(c.acceptableUpper()).toBe(50_000 + DEFAULT_ACCEPTABLE_RANGE)
  })

  it('honours a configured minimum', () => {
    const c = new LamportClock({ minPeers: 2 })
    report(c, [10, 20], 0)
    expect(c.peerMedian()).toBeUndefined()
    c.reportPeer('p2', 30, 0)
    expect(c.peerMedian()).toBe(20)
  })

  it('uses the lower median, so half the peers lying high cannot raise it', () => {
    const c = new LamportClock()
    report(c, [100, 200, 300, MAX_GLOBAL_TIME, MAX_GLOBAL_TIME, MAX_GLOBAL_TIME], 0)
    expect(c.peerMedian()).toBe(300)
    expect(c.acceptableUpper()).toBe(300 + DEFAULT_ACCEPTABLE_RANGE)
  })

  it('never lowers the bound below own time + range', () => {
    const c = new LamportClock({ start: 90_000 })
    report(c, [1, 1, 1, 1, 1, 1], 0)
    expect(c.acceptableUpper()).toBe(90_000 + DEFAULT_ACCEPTABLE_RANGE)
  })

  it('a later report from the same peer replaces the earlier one', () => {
    const c = new LamportClock()
    report(c, [10, 10, 10, 10, 10, 10], 0)
    for (let i = 0; i < 6; i++) c.reportPeer('p0', 1_000 + i, 1)
    expect(c.peerCount).toBe(6)
    expect(c.peerMedian()).toBe(10)
  })

  it('accepts a report of 0 and ignores invalid reports', () => {
    const c = new LamportClock()
    expect(c.reportPeer('fresh', 0, 0)).toBe(true)
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 53]) expect(c.reportPeer('bad', bad, 0)).toBe(false)
    expect(c.peerCount).toBe(1)
  })

  it('reports expire exactly peerMaxAgeMs after they arrive', () => {
    const c = new LamportClock({ peerMaxAgeMs: 57_500 })
    report(c, [40_000, 40_000, 40_000, 40_000, 40_000, 40_000], 1_000)
    expect(c.peerMedian(58_499)).toBe(40_000)
    expect(c.acceptableUpper(58_499)).toBe(40_000 + DEFAULT_ACCEPTABLE_RANGE)
    expect(c.peerMedian(58_500)).toBeUndefined()
    expect(c.acceptableUpper()).toBe(DEFAULT_ACCEPTABLE_RANGE)
    expect(c.peerCount).toBe(0)
  })

  it('only the expired reports drop out; fresher ones keep counting', () => {
    const c = new LamportClock({ peerMaxAgeMs: 1_000 })
    report(c, [5, 5, 5], 0, 'old')
    report(c, [7, 7, 7, 7, 7, 7], 500, 'new')
    expect(c.peerMedian(999)).toBe(7)
    expect(c.peerMedian(1_000)).toBe(7)
    expect(c.peerCount).toBe(6)
  })

  it('remembers at most maxPeers peers, forgetting the least recent reporter', () => {
    const c = new LamportClock({ maxPeers: 256 })
    for (let i = 0; i < 10_000; i++) c.reportPeer(`peer${i}`, i, i)
    expect(c.peerCount).toBe(256)
    // The survivors are the last 256 reporters: 9744..9999, lower median 9871.
    expect(c.peerMedian()).toBe(9_871)
  })

  it('a small peer map evicts old opinions', () => {
    const c = new LamportClock({ maxPeers: 6 })
    report(c, [1_000, 1_000, 1_000, 1_000, 1_000, 1_000], 0, 'a')
    report(c, [5_000, 5_000, 5_000, 5_000, 5_000, 5_000], 1, 'b')
    expect(c.peerCount).toBe(6)
    expect(c.peerMedian()).toBe(5_000)
  })

  it('lets a node far behind accept the network’s recent bundles at once', () => {
    const c = new LamportClock()
    report(c, [80_000, 80_010, 80_020, 80_030, 80_040, 80_050], 0)
    expect(c.observe(80_500, 'alice')).toBe(true)
    expect(c.time).toBe(80_500) // base = median 80 020, ceiling 81 020
  })
})

describe('LamportClock: per-author cap', () => {
  it('one author cannot ratchet the clock beyond its cap, however many bundles it sends', () => {
    const c = new LamportClock({ start: 5_000 })
    for (let i = 0; i < 10_000; i++) expect(c.observe(c.acceptableUpper(), 'mallory')).toBe(true)
    expect(c.time).toBe(5_000 + DEFAULT_AUTHOR_CAP)
    expect(c.authorCeiling('mallory')).toBe(5_000 + DEFAULT_AUTHOR_CAP)
    expect(c.stats()).toMatchObject({ accepted: 10_000, capped: 10_000 })
  })

  it('honours a configured cap, including 0 (authors cannot move the clock past base)', () => {
    const c = new LamportClock({ start: 10, authorCap: 0 })
    c.observe(500, 'a')
    expect(c.time).toBe(10)
    const d = new LamportClock({ authorCap: 7 })
    d.observe(500, 'a')
    expect(d.time).toBe(7)
  })

  it('another author’s move opens the cap by one step only (leapfrog is authorCap per bundle)', () => {
    const c = new LamportClock()
    c.observe(9_000, 'a')
    expect(c.time).toBe(1_000)
    c.observe(9_000, 'b') // base(b) = level reached by a = 1000
    expect(c.time).toBe(2_000)
    c.observe(9_000, 'b') // b cannot build on its own move
    expect(c.time).toBe(2_000)
    c.observe(9_000, 'a') // base(a) = 2000
    expect(c.time).toBe(3_000)
  })

  it('the base is the highest level reached by any other author, not just the last one', () => {
    const c = new LamportClock()
    c.observe(1_000, 'a') // a: 1000
    c.observe(2_000, 'b') // b: 2000
    c.observe(10_000, 'b') // b stuck: base(b) = 1000 → ceiling 2000
    expect(c.time).toBe(2_000)
    c.observe(10_000, 'c') // base(c) = 2000 (b's level)
    expect(c.time).toBe(3_000)
    expect(c.authorCeiling('c')).toBe(3_000) // base(c) = b's 2000
    expect(c.authorCeiling('b')).toBe(4_000) // base(b) = c's 3000
  })

  it('our own claims raise the base', () => {
    const c = new LamportClock()
    c.observe(5_000, 'a')
    expect(c.time).toBe(1_000)
    c.claim() // 1001
    c.observe(5_000, 'a')
    expect(c.time).toBe(2_001)
  })

  it('honest traffic close to the clock is never capped', () => {
    const c = new LamportClock()
    const rng = new SeededRng(3)
    for (let i = 0; i < 5_000; i++) {
      const author = `a${int(rng, 20)}`
      c.observe(c.time + 1 + int(rng, 3), author)
      if (int(rng, 4) === 0) c.claim()
    }
    expect(c.stats().capped).toBe(0)
  })
})

describe('LamportClock: arguments', () => {
  it.each([{ start: -1 }, { start: 2 ** 53 }, { range: 0 }, { range: 1.5 }, { authorCap: -1 }, { minPeers: -1 }, { maxPeers: 0 }, { peerMaxAgeMs: -1 }])(
    'rejects options %j',
    (init) => {
      expectCode(() => new LamportClock(init), 'INVALID_ARGUMENT')
    }
  )

  it('rejects a non-finite now', () => {
    const c = new LamportClock()
    expectCode(() => c.reportPeer('p', 1, Number.NaN), 'INVALID_ARGUMENT')
    expectCode(() => c.acceptableUpper(Infinity), 'INVALID_ARGUMENT')
    expectCode(() => c.observe(1, 'a', Number.NaN), 'INVALID_ARGUMENT')
  })
})
