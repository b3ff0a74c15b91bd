/**
 * Randomness, injected. `CryptoRng` (./crypto-rng.ts) in production, {@link SeededRng} in
 * tests and the simulator so that every run can be reproduced from its seed. Pure: the
 * helpers here pull no `node:` module into the sans-I/O core that uses them.
 */

/** A source of uniform random bits. */
export interface Rng {
  /** A uniform integer in [0, 2^32). */
  u32(): number
  /** `n` uniform random bytes. */
  bytes(n: number): Uint8Array
}

const TWO_POW_32 = 4294967296

/** A uniform float in [0, 1) with 53 random bits. */
export function float(rng: Rng): number {
  const hi = rng.u32() >>> 5 // 27 bits
  const lo = rng.u32() >>> 6 // 26 bits
  return (hi * 67108864 + lo) / 9007199254740992
}

/**
 * A uniform integer in [0, n), without modulo bias (rejection sampling), for
 * 1 ≤ n ≤ 2^32.
 * @throws {RangeError} when n is not an integer in that range
 */
export function int(rng: Rng, n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > TWO_POW_32) throw new RangeError(`int: n must be an integer in [1, 2^32], got ${n}`)
  if (n === 1) return 0
  // Accept only draws below the largest multiple of n that fits in 2^32.
  const limit = TWO_POW_32 - (TWO_POW_32 % n)
  for (;;) {
    const x = rng.u32()
    if (x < limit) return x % n
  }
}

/** A uniform integer in [lo, hi] (inclusive), hi - lo < 2^32. */
export function intBetween(rng: Rng, lo: number, hi: number): number {
  if (hi < lo) throw new RangeError(`intBetween: empty range [${lo}, ${hi}]`)
  return lo + int(rng, hi - lo + 1)
}

/** An exponential variate with the given mean (inverse transform; never Infinity). */
export function exponential(rng: Rng, mean: number): number {
  // 1 - float is in (0, 1], so the log is finite.
  return -Math.log(1 - float(rng)) * mean
}

/** Shuffles `items` in place with an unbiased Fisher–Yates shuffle and returns it. */
export function shuffle<T>(rng: Rng, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = int(rng, i + 1)
    const tmp = items[i]!
    items[i] = items[j]!
    items[j] = tmp
  }
  return items
}

/** Picks one element uniformly; `undefined` for an empty array. */
export function pick<T>(rng: Rng, items: readonly T[]): T | undefined {
  return items.length === 0 ? undefined : items[int(rng, items.length)]
}

/** True with probability p. */
export function chance(rng: Rng, p: number): boolean {
  return float(rng) < p
}

/**
 * A deterministic generator (xoshiro128**, seeded through splitmix32) for tests and the
 * simulator. Not for keys or identifiers that face an adversary.
 */
export class SeededRng implements Rng {
  #s = new Uint32Array(4)

  constructor(seed: number) {
    let x = seed >>> 0
    for (let i = 0; i < 4; i++) {
      // splitmix32
      x = (x + 0x9e3779b9) >>> 0
      let z = x
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
      this.#s[i] = (z ^ (z >>> 16)) >>> 0
    }
  }

  u32(): number {
    const s = this.#s
    const result = Math.imul(rotl(Math.imul(s[1]!, 5) >>> 0, 7), 9) >>> 0
    const t = (s[1]! << 9) >>> 0
    s[2]! ^= s[0]!
    s[3]! ^= s[1]!
    s[1]! ^= s[2]!
    s[0]! ^= s[3]!
    s[2]! ^= t
    s[3] = rotl(s[3]!, 11)
    return result
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n)
    for (let i = 0; i < n; i += 4) {
      const x = this.u32()
      for (let b = 0; b < 4 && i + b < n; b++) out[i + b] = (x >>> (8 * b)) & 0xff
    }
    return out
  }

  /** A new independent generator derived from this one (for per-node streams). */
  fork(): SeededRng {
    return new SeededRng(this.u32())
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0
}
