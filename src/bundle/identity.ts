/**
 * The cost of a new author identity in a room (DESIGN §14): a proof of work bound to the
 * room and the key,
 *
 *   work(room, key, nonce) = leading zero bits of SHA-256("bloomwalk/identity/v1" || room || key || nonce)
 *
 * with an 8-byte nonce. A room's policy asks for `identityBits`; an author finds a nonce once
 * per room (≈ 2^bits hashes: about a second at 20 bits) and carries it in each bundle's
 * header (8 bytes, so every bundle proves its author on its own, in any arrival order).
 * Checking is one SHA-256 of 97 bytes: about a microsecond, done before the signature check.
 *
 * Why per identity and not per message (Whisper, Nostr NIP-13): a per-message cost is paid
 * again and again by every honest phone for every line typed, while a spammer with a server
 * pays it at the same rate and only chats slower. Paid once per key, an honest user pays it
 * once; a spammer must pay it again for every Q bundles the room's quota lets one key send
 * per window, which is where a flood of fresh keys becomes expensive.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { IDENTITY_NONCE_BYTES } from './codec.js'
import type { Bundle } from './types.js'

const DOMAIN = new TextEncoder().encode('bloomwalk/identity/v1')

/** Leading zero bits of a hash. */
function leadingZeroBits(h: Uint8Array): number {
  let bits = 0
  for (const byte of h) {
    if (byte === 0) {
      bits += 8
      continue
    }
    return bits + Math.clz32(byte) - 24
  }
  return bits
}

/** The work a nonce proves for (room, author): leading zero bits of its hash. */
export function identityWork(room: Uint8Array, author: Uint8Array, nonce: Uint8Array): number {
  if (nonce.length !== IDENTITY_NONCE_BYTES) return 0
  return leadingZeroBits(sha256.create().update(DOMAIN).update(room).update(author).update(nonce).digest())
}

/**
 * Finds a nonce proving `bits` of work for (room, author): tries nonces 0, 1, 2, … from
 * `start` (deterministic; about 2^bits hashes). `maxTries` bounds the loop.
 * @throws {RangeError} when bits is outside 0..64 or no nonce was found within maxTries
 */
export function mintIdentity(room: Uint8Array, author: Uint8Array, bits: number, options: { start?: number; maxTries?: number } = {}): Uint8Array {
  if (!Number.isInteger(bits) || bits < 0 || bits > 64) throw new RangeError('bits must be 0..64')
  // One buffer, the nonce written in place at its end: a single hash call per try.
  const input = new Uint8Array(DOMAIN.length + room.length + author.length + IDENTITY_NONCE_BYTES)
  input.set(DOMAIN, 0)
  input.set(room, DOMAIN.length)
  input.set(author, DOMAIN.length + room.length)
  const at = input.length - IDENTITY_NONCE_BYTES
  const view = new DataView(input.buffer)
  const start = options.start ?? 0
  const maxTries = options.maxTries ?? 2 ** 40
  for (let i = 0; i < maxTries; i++) {
    const n = start + i
    view.setUint32(at, Math.floor(n / 4294967296))
    view.setUint32(at + 4, n >>> 0)
    if (leadingZeroBits(sha256(input)) >= bits) return input.slice(at)
  }
  throw new RangeError(`no nonce with ${bits} bits of work in ${maxTries} tries`)
}

/** True when the bundle carries an identity nonce with at least `bits` of work for its room and author. */
export function hasIdentityWork(bundle: Bundle, bits: number): boolean {
  if (bits <= 0) return true
  return bundle.identityNonce !== undefined && identityWork(bundle.overlay, bundle.author, bundle.identityNonce) >= bits
}
