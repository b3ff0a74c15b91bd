import { describe, expect, it } from 'vitest'
import { type Address, PunctureTracker, DEFAULT_PUNCTURE_TIMEOUT_MS } from '../../src/nat/index.js'
import { isBloomwalkError } from '../../src/errors.js'

const a = (host: string, port: number): Address => ({ host, port })
const C_LAN = a('192.168.5.5', 7000)
const C_WAN = a('8.8.4.4', 41000)

describe('PunctureTracker', () => {
  it('matches a puncture that echoes the identifier from an expected address', () => {
    const t = new PunctureTracker()
    expect(t.expect(0xdeadbeef, [C_LAN, C_WAN], 1_000)).toBe(true)
    expect(t.size).toBe(1)
    expect(t.match(0xdeadbeef, C_WAN, 2_000)).toBe('matched')
    expect(t.size).toBe(0)
    expect(t.stats()).toMatchObject({ expected: 1, succeeded: 1, failed: 0, unmatched: 0 })
  })

  it('accepts the puncture from either expected address (LAN or WAN), and only once', () => {
    const t = new PunctureTracker()
    t.expect(7, [C_LAN, C_WAN], 0)
    expect(t.match(7, C_LAN, 1)).toBe('matched')
    expect(t.match(7, C_LAN, 2)).toBe('unknown-identifier')
  })

  it('rejects an unknown identifier', () => {
    const t = new PunctureTracker()
    t.expect(7, [C_WAN], 0)
    expect(t.match(8, C_WAN, 1)).toBe('unknown-identifier')
    expect(t.match(-1, C_WAN, 1)).toBe('unknown-identifier')
    expect(t.size).toBe(1)
    expect(t.stats().unmatched).toBe(2)
  })

  it('rejects a puncture from an unexpected address and keeps the expectation open', () => {
    const t = new PunctureTracker()
    t.expect(7, [C_WAN], 0)
    expect(t.match(7, a('8.8.4.4', 41001), 1)).toBe('wrong-address')
    expect(t.match(7, a('6.6.6.6', 41000), 1)).toBe('wrong-address')
    expect(t.match(7, a('bogus', 1), 1)).toBe('wrong-address')
    expect(t.match(7, C_WAN, 2)).toBe('matched')
  })

  it('compares addresses canonically', () => {
    const t = new PunctureTracker()
    t.expect(7, [a('2001:db8::5', 9)], 0)
    expect(t.match(7, a('2001:DB8:0:0:0:0:0:5', 9), 1)).toBe('matched')
  })

  it('expires exactly at now + timeout, counting a failure', () => {
    const t = new PunctureTracker({ timeoutMs: 1000 })
    t.expect(1, [C_WAN], 5_000)
    t.expect(2, [C_WAN], 5_000)
    expect(t.match(1, C_WAN, 5_999)).toBe('matched')
    expect(t.match(2, C_WAN, 6_000)).toBe('expired')
    expect(t.stats()).toMatchObject({ succeeded: 1, failed: 1 })
  })

  it('expire() closes due expectations in order and counts them as failures', () => {
    const t = new PunctureTracker()
    t.expect(1, [C_WAN], 0)
    t.expect(2, [C_WAN], 100)
    t.expect(3, [C_WAN], 200)
    expect(t.expire(DEFAULT_PUNCTURE_TIMEOUT_MS - 1)).toBe(0)
    expect(t.expire(DEFAULT_PUNCTURE_TIMEOUT_MS + 100)).toBe(2)
    expect(t.size).toBe(1)
    expect(t.stats().failed).toBe(2)
    expect(t.match(3, C_WAN, DEFAULT_PUNCTURE_TIMEOUT_MS + 150)).toBe('matched')
  })

  it('settles expired expectations when a new one is recorded', () => {
    const t = new PunctureTracker({ timeoutMs: 10 })
    t.expect(1, [C_WAN], 0)
    t.expect(2, [C_WAN], 10)
    expect(t.size).toBe(1)
    expect(t.stats().failed).toBe(1)
  })

  it('refuses identifiers outside 32 bits and expectations without a usable address', () => {
    const t = new PunctureTracker()
    expect(t.expect(2 ** 32, [C_WAN], 0)).toBe(false)
    expect(t.expect(1.5, [C_WAN], 0)).toBe(false)
    expect(t.expect(1, [], 0)).toBe(false)
    expect(t.expect(1, [a('x', 1), a('1.2.3.4', 0)], 0)).toBe(false)
    expect(t.size).toBe(0)
    expect(t.stats().expected).toBe(0)
  })

  it('a reused identifier replaces the old expectation', () => {
    const t = new PunctureTracker()
    t.expect(7, [C_LAN], 0)
    t.expect(7, [C_WAN], 1)
    expect(t.size).toBe(1)
    expect(t.stats().evicted).toBe(1)
    expect(t.match(7, C_LAN, 2)).toBe('wrong-address')
    expect(t.match(7, C_WAN, 2)).toBe('matched')
  })

  it('holds at most maxOutstanding expectations, dropping the oldest', () => {
    const t = new PunctureTracker({ maxOutstanding: 16 })
    for (let i = 0; i < 10_000; i++) t.expect(i, [C_WAN], 0)
    expect(t.size).toBe(16)
    expect(t.stats()).toMatchObject({ expected: 10_000, evicted: 10_000 - 16 })
    expect(t.match(0, C_WAN, 1)).toBe('unknown-identifier')
    expect(t.match(9_999, C_WAN, 1)).toBe('matched')
  })

  it('throws INVALID_ARGUMENT for bad options or a non-finite now', () => {
    const bad: Array<() => unknown> = [
      () => new PunctureTracker({ timeoutMs: -1 }),
      () => new PunctureTracker({ maxOutstanding: 0 }),
      () => new PunctureTracker().expect(1, [C_WAN], Number.NaN),
      () => new PunctureTracker().match(1, C_WAN, Infinity),
      () => new PunctureTracker().expire(Number.NaN)
    ]
    for (const f of bad) {
      let caught: unknown
      try {
        f()
      } catch (err) {
        caught = err
      }
      expect(isBloomwalkError(caught, 'INVALID_ARGUMENT')).toBe(true)
    }
  })
})
