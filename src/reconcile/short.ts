/**
 * Short ids (docs/reconcile.md §14 is normative): coded symbols without the 32-byte id XOR.
 *
 * - The **short id** of a bundle is its 64-bit item hash h (§2), 8 bytes big-endian on the
 *   wire: decoding, fetches and pushes name a bundle by it.
 * - A short symbol carries h_xor, a **checksum** XOR and the count. The checksum
 *   `shortCheck(h)` is a fixed non-linear 32-bit function of h, kept per symbol by the sketch;
 *   the wire carries its low 24 bits (§15, {@link SHORT_CHECK_MASK}): a symbol is pure when its
 *   count is ±1 and the low 24 bits of `shortCheck(h_xor)` equal `checksum_xor`'s (a mixture
 *   passes with probability 2^-24, and the index-position test then rejects most of those).
 * - The count travels mod 2^8 (§15), symbol 0's whole: {@link unwrapShortCount} takes the
 *   difference count of symbol i ≥ 1 as the value ≡ (peer's − ours) mod 2^8 nearest its mean
 *   p_i·c_0. Decoding is exact mod 2^8 whatever it picks (a count of ±1 that is not, is a mixture
 *   the checksum rejects); only the estimate of d reads a wrong pick, which needs a symbol's
 *   difference count more than 127 from its mean (about 8 standard deviations at d = 10^4).
 * - h is not salted (the sketch is maintained incrementally, so every session uses the same
 *   h), so a pair of ids with equal h can be ground offline in about 2^32 hashes. Such a pair
 *   on one side never peels (symbol 0 is left with hash 0 and count ±2: the decoder's
 *   `collision`); split between the two sides it cancels out of every short symbol. The
 *   **salted check** finds that case: the requester draws a salt σ per session, the
 *   responder answers with `saltedCheck(σ, id XOR of its symbol 0)`, and the requester
 *   compares it with its own symbol 0 and the full ids of the difference. The check is
 *   GF(2)-linear in the id XOR (so the responder computes it from what it keeps, in O(1)),
 *   and for two different id XORs it agrees with probability at most 4/2^64 over σ, which
 *   the attacker learns only when the session starts.
 *
 * Sans-I/O and allocation-free except {@link saltedCheck} (bigint, a few per session).
 */
import { fmix32 } from '../bloom/hash.js'
import { BloomwalkError } from '../errors.js'
import { ID_BYTES, itemHashHalves } from './hash.js'

/** Bytes of a short id on the wire (the item hash, big-endian). */
export const SHORT_ID_BYTES = 8

/** The checksum bits a short symbol carries on the wire (docs/reconcile.md §15): the low 24. */
export const SHORT_CHECK_MASK = 0xffffff

/**
 * The difference count of short symbol i ≥ 1 from `difference` = (the peer's count as received,
 * mod 2^8 or whole) − ours: the value ≡ it mod 2^8 nearest p_i·c_0 (p_i = 2 / (i + 2); c_0 the
 * difference count of symbol 0, exact). Exact while it lies within 127 of that mean.
 */
export function unwrapShortCount(difference: number, i: number, c0: number): number {
  const r = difference & 0xff
  const mean = (2 / (i + 2)) * c0
  return r - 256 * Math.round((r - mean) / 256)
}

/**
 * Bytes of a short-id prefix (docs/reconcile.md §15): a fetch names a decoded short id by its
 * first 4 bytes, and is answered with every bundle whose short id begins with them (one,
 * but for N / 2^32 per fetch by chance).
 */
export const SHORT_PREFIX_BYTES = 4

/** The 4-byte prefix a fetch names a short id by (a copy). */
export function shortPrefix(short: Uint8Array): Uint8Array {
  return short.slice(0, SHORT_PREFIX_BYTES)
}

/**
 * The 32-bit checksum of a short id (hi, lo): `fmix32(hi ^ fmix32(lo ^ 0x9e3779b9))`, with
 * murmur3's finaliser fmix32 (docs/reconcile.md §14). Not linear over XOR, so the XOR of
 * several ids' checksums matches the checksum of their hashes' XOR only by chance.
 */
export function shortCheck(hi: number, lo: number): number {
  return fmix32((hi ^ fmix32((lo ^ 0x9e3779b9) >>> 0)) >>> 0)
}

/** The 8 wire bytes of a short id (hi, lo). */
export function shortIdBytes(hi: number, lo: number): Uint8Array {
  const out = new Uint8Array(SHORT_ID_BYTES)
  const view = new DataView(out.buffer)
  view.setUint32(0, hi >>> 0)
  view.setUint32(4, lo >>> 0)
  return out
}

/** The 8-byte short id of a 32-byte bundle id: its item hash (§2), as on the wire and in the store's index. */
export function shortIdOf(id: Uint8Array): Uint8Array {
  return shortIdBytes(...itemHashHalves(id))
}

/** The halves of a short id's wire bytes. @throws {BloomwalkError} INVALID_ARGUMENT when not 8 bytes */
export function shortIdHalves(short: Uint8Array): [hi: number, lo: number] {
  if (!(short instanceof Uint8Array) || short.length !== SHORT_ID_BYTES) throw new BloomwalkError('INVALID_ARGUMENT', `a short id must be a ${SHORT_ID_BYTES}-byte Uint8Array`)
  const view = new DataView(short.buffer, short.byteOffset, SHORT_ID_BYTES)
  return [view.getUint32(0), view.getUint32(4)]
}

/** A short id as a map key (16 hex digits). */
export function shortIdKey(short: Uint8Array): string {
  let s = ''
  for (const b of short) s += b.toString(16).padStart(2, '0')
  return s
}

const MASK64 = (1n << 64n) - 1n
/** t^64 + t^4 + t^3 + t + 1: the low terms of GF(2^64)'s reduction polynomial. */
const REDUCTION = 0x1bn

/** Product in GF(2^64) = GF(2)[t]/(t^64 + t^4 + t^3 + t + 1). */
function gfMul(a: bigint, b: bigint): bigint {
  let out = 0n
  for (let x = a, y = b; y !== 0n; y >>= 1n) {
    if ((y & 1n) === 1n) out ^= x
    const carry = x >> 63n
    x = (x << 1n) & MASK64
    if (carry === 1n) x ^= REDUCTION
  }
  return out
}

/**
 * The salted check of a 32-byte id XOR `x`: Σ_{j<4} w_j · σ^(j+1) in GF(2^64) (reduction
 * polynomial t^64 + t^4 + t^3 + t + 1), w_j the big-endian uint64 of bytes [8j, 8j + 8).
 * Linear: `saltedCheck(σ, a ⊕ b) = saltedCheck(σ, a) ⊕ saltedCheck(σ, b)`. For x ≠ 0 it is a
 * non-zero polynomial of degree ≤ 4 in σ without constant term, so it is 0 for at most 4
 * salts: two different id XORs agree for at most 4 of the 2^64 salts.
 * @throws {BloomwalkError} INVALID_ARGUMENT when `salt` is not in [1, 2^64) or `x` is not 32 bytes
 */
export function saltedCheck(salt: bigint, x: Uint8Array, offset = 0): bigint {
  if (typeof salt !== 'bigint' || salt <= 0n || salt > MASK64) throw new BloomwalkError('INVALID_ARGUMENT', 'salt must be a bigint in [1, 2^64)')
  if (!(x instanceof Uint8Array) || x.length < offset + ID_BYTES) throw new BloomwalkError('INVALID_ARGUMENT', `the id XOR must be ${ID_BYTES} bytes`)
  const view = new DataView(x.buffer, x.byteOffset + offset, ID_BYTES)
  let power = salt
  let out = 0n
  for (let j = 0; j < 4; j++) {
    out ^= gfMul(view.getBigUint64(8 * j), power)
    power = gfMul(power, salt)
  }
  return out
}

/** XORs the 32-byte id `id` into the accumulator `into` (32 bytes). */
export function xorId(into: Uint8Array, id: Uint8Array): void {
  for (let b = 0; b < ID_BYTES; b++) into[b]! ^= id[b]!
}
