/**
 * Index derivation of the bloomwalk Bloom filter (docs/bloom.md §2 is the normative text).
 *
 * An id's first 16 bytes are read as four little-endian 32-bit words w0..w3. Two lanes are
 * seeded from the 32-bit salt and absorb the words through the murmur3 `fmix32` finalizer:
 *
 *   a = salt;                 for w in (w0, w1, w2, w3): a = fmix32(a ^ w)
 *   b = salt ^ 0x9e3779b9;    for w in (w3, w2, w1, w0): b = fmix32(b ^ w)
 *
 *   c = fmix32(a ^ b ^ 0x7f4a7c15)
 *
 * Then Kirsch–Mitzenmacher double hashing extended by a quadratic term (triple hashing,
 * Dillinger & Manolios 2004) on 32-bit words: g_i = (a + i·b + i(i−1)/2·c) mod 2^32, and
 * index_i = floor(g_i · m / 2^32) (multiply-shift, exact because m ≤ 2^21 keeps g_i · m
 * below 2^53). Plain double hashing makes each id's probes an arithmetic progression; when
 * the step lands near m/q for a small q the probes revisit q bits only, which measurably
 * inflates the false-positive rate at large k (×1.2 at k = 13, ×15 at k = 16; docs/bloom.md).
 *
 * fmix32 is a bijection, so for a fixed id each lane is a permutation of the salt, and the
 * salt passes through four rounds of full avalanche before it reaches an index: which ids
 * are false positives under one salt says nothing about another salt.
 */

/** Golden-ratio constant that separates the second lane's seed from the first. */
export const LANE2_SEED_XOR = 0x9e3779b9

/** Constant mixed into the third (quadratic) lane: the low word of splitmix64's gamma. */
export const LANE3_XOR = 0x7f4a7c15

/** Bytes of the id the index derivation reads (128 bits). */
export const ID_BYTES_USED = 16

/** murmur3's 32-bit finalizer: a bijection on uint32 with full avalanche. */
export function fmix32(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/**
 * The k bit indexes of `id` in a filter of `m` bits under `salt`, in probe order (they may
 * repeat). A slow, allocating reference for docs, tests and other implementations; the
 * filter itself inlines the same arithmetic.
 * The caller validates: id.length ≥ 16, 8 ≤ m ≤ 2^21, 1 ≤ k ≤ 32, salt a uint32.
 */
export function bloomIndexes(id: Uint8Array, m: number, k: number, salt: number): number[] {
  const w = [0, 1, 2, 3].map((i) => (id[4 * i]! | (id[4 * i + 1]! << 8) | (id[4 * i + 2]! << 16) | (id[4 * i + 3]! << 24)) >>> 0)
  let a = salt >>> 0
  for (const x of w) a = fmix32(a ^ x)
  let b = (salt ^ LANE2_SEED_XOR) >>> 0
  for (const x of [...w].reverse()) b = fmix32(b ^ x)
  const c = fmix32((a ^ b ^ LANE3_XOR) >>> 0)
  const out: number[] = []
  for (let i = 0; i < k; i++) {
    const g = (a + Math.imul(i, b) + Math.imul((i * (i - 1)) / 2, c)) >>> 0
    out.push(Math.floor((g * m) / 4294967296))
  }
  return out
}
