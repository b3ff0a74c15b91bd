/**
 * The 64-bit item hash of the coded-symbol sketch (docs/reconcile.md §2 is normative):
 *
 *   hash(id) = the first 8 bytes of SHA-256("bloomwalk/riblt/v1" || id), read big-endian
 *
 * Why a cryptographic hash, when ids are already SHA-256 outputs: the hash is what makes
 * a coded symbol "pure" (one id, hash(idXor) == hashXor). Any hash that is linear in the id
 * bytes (say, the id's own first 8 bytes) passes that check for every XOR of ids, so it
 * must be non-linear; and ids are chosen by whoever writes bundles (grinding a body is
 * cheap), so a mixer that can be inverted would let anyone make two ids share a hash, and
 * two such ids never separate in any symbol. With SHA-256 a 64-bit collision costs about
 * 2^32 hashes (a birthday search) and its only effect is that the pair makes the sketch
 * fail to decode, so the node falls back to the Bloom walk. The domain tag keeps these
 * hashes unrelated to every other SHA-256 use in bloomwalk.
 *
 * Cost: the 18-byte tag and the 32-byte id make one 50-byte message, a single SHA-256
 * block, so this module runs exactly one compression (FIPS 180-4) on a pre-filled block,
 * with the four rounds that only see the tag done once at load time. No allocation per
 * call. Internally a hash is two uint32 halves (hi = bytes 0..3, lo = bytes 4..7); it is a
 * bigint only at the wire boundary ({@link itemHash}, {@link joinHash}).
 */
import { BloomwalkError } from '../errors.js'

/** The domain tag hashed before every id (ASCII, 18 bytes). */
export const ITEM_HASH_TAG = 'bloomwalk/riblt/v1'

/** Bytes of an id (a bundle id). */
export const ID_BYTES = 32

// FIPS 180-4 §4.2.2: the first 32 bits of the fractional parts of the cube roots of the
// first 64 primes.
const K = Int32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
])
// FIPS 180-4 §5.3.3: the initial hash value (only H0 and H1 are output, all eight are used).
const IV = Int32Array.from([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19])

const TAG_BYTES = ITEM_HASH_TAG.length // 18
const MESSAGE_BITS = 8 * (TAG_BYTES + ID_BYTES) // 400

/** The padded block: tag, id (written per call), 0x80, zeros, the 64-bit bit length. */
const BLOCK = new Uint8Array(64)
for (let i = 0; i < TAG_BYTES; i++) BLOCK[i] = ITEM_HASH_TAG.charCodeAt(i)
BLOCK[TAG_BYTES + ID_BYTES] = 0x80
BLOCK[62] = MESSAGE_BITS >>> 8
BLOCK[63] = MESSAGE_BITS & 0xff

const W = new Int32Array(64)
for (let t = 0; t < 16; t++) W[t] = (BLOCK[4 * t]! << 24) | (BLOCK[4 * t + 1]! << 16) | (BLOCK[4 * t + 2]! << 8) | BLOCK[4 * t + 3]!

/** Words W0..W3 hold only tag bytes: the state after rounds 0..3 is a constant. */
const PRE_ROUNDS = 4
const PRE = Int32Array.from(IV)
rounds(PRE, 0, PRE_ROUNDS)
/** The tag's last two bytes in the high half of W4. */
const W4_TAG = W[4]! & ~0xffff

function rotr(x: number, n: number): number {
  return (x >>> n) | (x << (32 - n))
}

/** Runs rounds [from, to) of the compression on `state` (a..h) with the schedule in W. */
function rounds(state: Int32Array, from: number, to: number): void {
  let a = state[0]!, b = state[1]!, c = state[2]!, d = state[3]!
  let e = state[4]!, f = state[5]!, g = state[6]!, h = state[7]!
  for (let t = from; t < to; t++) {
    const s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
    const ch = (e & f) ^ (~e & g)
    const t1 = (h + s1 + ch + K[t]! + W[t]!) | 0
    const s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
    const maj = (a & b) ^ (a & c) ^ (b & c)
    h = g
    g = f
    f = e
    e = (d + t1) | 0
    d = c
    c = b
    b = a
    a = (t1 + s0 + maj) | 0
  }
  state[0] = a
  state[1] = b
  state[2] = c
  state[3] = d
  state[4] = e
  state[5] = f
  state[6] = g
  state[7] = h
}

const STATE = new Int32Array(8)

/**
 * Writes hash(id) into `out[at]` (hi) and `out[at + 1]` (lo), reading the id from
 * `bytes[offset .. offset + 32)`. Unchecked: callers validate lengths.
 * @internal
 */
export function hashInto(bytes: Uint8Array, offset: number, out: Uint32Array, at: number): void {
  // W4..W12 carry the id: W4 starts with the tag's last two bytes, W12 ends with 0x80, 0.
  const o = offset
  W[4] = W4_TAG | (bytes[o]! << 8) | bytes[o + 1]!
  for (let t = 5, p = o + 2; t < 12; t++, p += 4) W[t] = (bytes[p]! << 24) | (bytes[p + 1]! << 16) | (bytes[p + 2]! << 8) | bytes[p + 3]!
  W[12] = (bytes[o + 30]! << 24) | (bytes[o + 31]! << 16) | 0x8000
  for (let t = 16; t < 64; t++) {
    const x = W[t - 15]!
    const y = W[t - 2]!
    const s0 = rotr(x, 7) ^ rotr(x, 18) ^ (x >>> 3)
    const s1 = rotr(y, 17) ^ rotr(y, 19) ^ (y >>> 10)
    W[t] = (W[t - 16]! + s0 + W[t - 7]! + s1) | 0
  }
  STATE.set(PRE)
  rounds(STATE, PRE_ROUNDS, 64)
  out[at] = (IV[0]! + STATE[0]!) >>> 0
  out[at + 1] = (IV[1]! + STATE[1]!) >>> 0
}

/**
 * Throws unless `id` is a 32-byte Uint8Array.
 * @throws {BloomwalkError} INVALID_ARGUMENT
 * @internal
 */
export function checkId(id: unknown, what = 'id'): asserts id is Uint8Array {
  if (!(id instanceof Uint8Array) || id.length !== ID_BYTES) {
    throw new BloomwalkError('INVALID_ARGUMENT', `${what} must be a ${ID_BYTES}-byte Uint8Array`)
  }
}

const OUT = new Uint32Array(2)

/**
 * The item hash of a 32-byte id as two uint32 halves `[hi, lo]`
 * (hash = hi · 2^32 + lo).
 * @throws {BloomwalkError} INVALID_ARGUMENT when `id` is not 32 bytes
 */
export function itemHashHalves(id: Uint8Array): [hi: number, lo: number] {
  checkId(id)
  hashInto(id, 0, OUT, 0)
  return [OUT[0]!, OUT[1]!]
}

/**
 * The item hash of a 32-byte id as an unsigned 64-bit bigint (its wire form).
 * @throws {BloomwalkError} INVALID_ARGUMENT when `id` is not 32 bytes
 */
export function itemHash(id: Uint8Array): bigint {
  const [hi, lo] = itemHashHalves(id)
  return joinHash(hi, lo)
}

const MASK32 = 0xffffffffn

/** Two uint32 halves as one unsigned 64-bit bigint. */
export function joinHash(hi: number, lo: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)
}

/** An unsigned 64-bit bigint as two uint32 halves `[hi, lo]` (bits above 64 are ignored). */
export function splitHash(hash: bigint): [hi: number, lo: number] {
  return [Number((hash >> 32n) & MASK32), Number(hash & MASK32)]
}
