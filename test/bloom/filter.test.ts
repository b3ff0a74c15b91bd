import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { BloomFilter, MAX_BLOOM_BYTES, bloomIndexes, fmix32, randomSalt } from '../../src/bloom/index.js'
import { SeededRng } from '../../src/env/rng.js'
import { isBloomwalkError } from '../../src/errors.js'
import { randomIds } from './helpers.js'

function expectInvalid(fn: () => unknown): void {
  let caught: unknown
  try {
    fn()
  } catch (err) {
    caught = err
  }
  expect(isBloomwalkError(caught, 'INVALID_ARGUMENT'), String(caught)).toBe(true)
}

/** Positions of the set bits, read LSB-first as the docs define them. */
function setBits(bits: Uint8Array): number[] {
  const out: number[] = []
  for (let j = 0; j < bits.length * 8; j++) if (((bits[j >> 3]! >> (j & 7)) & 1) === 1) out.push(j)
  return out
}

describe('BloomFilter construction', () => {
  it('derives m from the byte length and keeps k and salt', () => {
    const f = new BloomFilter(1200, 7, 0xdeadbeef)
    expect(f.m).toBe(9600)
    expect(f.bits.length).toBe(1200)
    expect(f.k).toBe(7)
    expect(f.salt).toBe(0xdeadbeef)
    expect(f.count).toBe(0)
    expect(f.bitsSet()).toBe(0)
  })

  it('adopts a given bit array without copying', () => {
    const bits = new Uint8Array(16)
    const f = new BloomFilter(bits, 3, 1)
    f.add(new Uint8Array(32).fill(7))
    expect(f.bits).toBe(bits)
    expect(bits.some((b) => b !== 0)).toBe(true)
  })

  it('rejects bad sizes, k and salts with INVALID_ARGUMENT', () => {
    for (const bytes of [0, -1, 1.5, Number.NaN, MAX_BLOOM_BYTES + 1]) expectInvalid(() => new BloomFilter(bytes, 3, 0))
    expectInvalid(() => new BloomFilter(new Uint8Array(0), 3, 0))
    for (const k of [0, 33, 2.5, -1, Number.NaN]) expectInvalid(() => new BloomFilter(8, k, 0))
    for (const salt of [-1, 2 ** 32, 0.5, Number.NaN]) expectInvalid(() => new BloomFilter(8, 3, salt))
    expect(new BloomFilter(MAX_BLOOM_BYTES, 32, 2 ** 32 - 1).m).toBe(2 ** 21)
    expect(new BloomFilter(1, 1, 0).m).toBe(8)
  })
})

describe('BloomFilter.fromWire', () => {
  it('accepts valid fields and copies the bits', () => {
    const bits = new Uint8Array([1, 2, 3])
    const f = BloomFilter.fromWire({ bits, k: 32, salt: 4294967295 })
    expect(f.m).toBe(24)
    expect(f.bits).toEqual(bits)
    expect(f.bits).not.toBe(bits)
    expect(f.toWire()).toEqual({ bits, k: 32, salt: 4294967295 })
  })

  it('rejects malformed input with INVALID_ARGUMENT', () => {
    const bits = new Uint8Array(8)
    const bad: unknown[] = [
      null,
      undefined,
      'x',
      { bits: new Uint8Array(0), k: 3, salt: 0 },
      { bits: new Uint8Array(MAX_BLOOM_BYTES + 1), k: 3, salt: 0 },
      { bits: [1, 2, 3], k: 3, salt: 0 },
      { bits: new Uint16Array(4), k: 3, salt: 0 },
      { bits, k: 0, salt: 0 },
      { bits, k: 33, salt: 0 },
      { bits, k: 1.5, salt: 0 },
      { bits, k: '3', salt: 0 },
      { bits, k: 3, salt: -1 },
      { bits, k: 3, salt: 2 ** 32 },
      { bits, k: 3, salt: 1.25 },
      { bits, k: 3 }
    ]
    for (const wire of bad) expectInvalid(() => BloomFilter.fromWire(wire as never))
  })

  it('answers like the sender once decoded', () => {
    const rng = new SeededRng(7)
    const ids = randomIds(rng, 200)
    const sender = new BloomFilter(256, 7, randomSalt(rng))
    for (const id of ids) sender.add(id)
    const received = BloomFilter.fromWire({ bits: Uint8Array.from(sender.bits), k: sender.k, salt: sender.salt })
    for (const id of randomIds(rng, 2000).concat(ids)) expect(received.has(id)).toBe(sender.has(id))
  })
})

describe('BloomFilter ids', () => {
  it('rejects ids shorter than 16 bytes in add and never finds them', () => {
    const f = new BloomFilter(64, 4, 9)
    expectInvalid(() => f.add(new Uint8Array(15)))
    expectInvalid(() => f.add('0123456789abcdef0123' as never))
    f.bits.fill(0xff)
    expect(f.has(new Uint8Array(15))).toBe(false)
    expect(f.has('0123456789abcdef' as never)).toBe(false)
    expect(f.has(new Uint8Array(16))).toBe(true)
  })

  it('reads only the first 16 bytes', () => {
    const a = new Uint8Array(32).fill(1)
    const b = a.slice()
    b.fill(2, 16)
    for (const salt of [0, 1, 0xffffffff]) expect(bloomIndexes(a, 4096, 8, salt)).toEqual(bloomIndexes(b, 4096, 8, salt))
    const c = a.slice()
    c[15] = 0
    expect(bloomIndexes(a, 4096, 8, 5)).not.toEqual(bloomIndexes(c, 4096, 8, 5))
  })

  it('counts adds that changed the filter', () => {
    const f = new BloomFilter(1000, 7, 3)
    const [x, y] = randomIds(new SeededRng(1), 2) as [Uint8Array, Uint8Array]
    expect(f.add(x)).toBe(true)
    expect(f.add(x)).toBe(false)
    expect(f.add(y)).toBe(true)
    expect(f.count).toBe(2)
  })

  it('randomSalt draws a uint32 from the injected rng', () => {
    const a = new SeededRng(42)
    const b = new SeededRng(42)
    const salt = randomSalt(a)
    expect(salt).toBe(b.u32())
    expect(Number.isInteger(salt) && salt >= 0 && salt < 2 ** 32).toBe(true)
  })
})

describe('bit layout', () => {
  it('a single id sets at most k bits, exactly at its documented LSB-first indexes', () => {
    const rng = new SeededRng(11)
    for (const [bytes, k] of [[1, 1], [5, 3], [128, 7], [1200, 32]] as const) {
      for (const id of randomIds(rng, 20)) {
        const salt = rng.u32()
        const f = new BloomFilter(bytes, k, salt)
        f.add(id)
        const expected = [...new Set(bloomIndexes(id, 8 * bytes, k, salt))].sort((x, y) => x - y)
        expect(setBits(f.bits)).toEqual(expected)
        expect(f.bitsSet()).toBeLessThanOrEqual(k)
        expect(f.bitsSet()).toBe(expected.length)
      }
    }
  })

  it('maps indexes with multiply-shift: index = floor(g·m / 2^32)', () => {
    // With k = 1 the only probe is lane a; a zero id under salt 0 gives a = 0 → index 0.
    expect(bloomIndexes(new Uint8Array(16), 800, 1, 0)).toEqual([0])
    // fmix32 is murmur3's finalizer (known values).
    expect(fmix32(0)).toBe(0)
    expect(fmix32(1)).toBe(0x514e28b7)
  })

  it('spreads single-probe indexes uniformly over m (chi-square)', () => {
    const m = 1000
    const counts = new Array<number>(m).fill(0)
    const n = 200_000
    const ids = randomIds(new SeededRng(5), n)
    for (const id of ids) counts[bloomIndexes(id, m, 1, 0x1234)[0]!]!++
    const e = n / m
    const chi2 = counts.reduce((s, c) => s + (c - e) ** 2 / e, 0)
    // 999 degrees of freedom: mean 999, sd ≈ 44.7; 5 sd either side.
    expect(chi2).toBeGreaterThan(999 - 5 * 44.7)
    expect(chi2).toBeLessThan(999 + 5 * 44.7)
  })
})

describe('properties', () => {
  const params = fc.record({
    bytes: fc.integer({ min: 1, max: 2048 }),
    k: fc.integer({ min: 1, max: 32 }),
    salt: fc.integer({ min: 0, max: 0xffffffff }),
    ids: fc.array(fc.uint8Array({ minLength: 16, maxLength: 40 }), { minLength: 1, maxLength: 60 })
  })

  it('has no false negatives', () => {
    fc.assert(
      fc.property(params, ({ bytes, k, salt, ids }) => {
        const f = new BloomFilter(bytes, k, salt)
        for (const id of ids) f.add(id)
        return ids.every((id) => f.has(id))
      }),
      { numRuns: 300, seed: 20240501 }
    )
  })

  it('the fast path agrees with the reference bloomIndexes', () => {
    fc.assert(
      fc.property(params, ({ bytes, k, salt, ids }) => {
        const f = new BloomFilter(bytes, k, salt)
        const ref = new Uint8Array(bytes)
        for (const id of ids) {
          f.add(id)
          for (const j of bloomIndexes(id, 8 * bytes, k, salt)) ref[j >> 3]! |= 1 << (j & 7)
        }
        return Buffer.from(f.bits).equals(Buffer.from(ref))
      }),
      { numRuns: 300, seed: 20240502 }
    )
  })
})
