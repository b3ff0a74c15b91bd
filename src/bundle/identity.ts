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
 * A room whose policy sets `identityEpoch` (E global-time units) binds each proof to an epoch
 * as well,
 *
 *   work(room, key, epoch, nonce) = leading zero bits of SHA-256("bloomwalk/identity-epoch/v1" || room || key || epoch(u64) || nonce)
 *
 * where a bundle's epoch is ⌊global time ÷ E⌋: a key pays again in every epoch it publishes
 * in. Without it a proof is paid once and the key then has its quota (Q per window W) in every
 * window after, and in every earlier window it can still stamp a bundle in: identities a
 * spammer minted earlier keep publishing, and one proof buys up to min(history, Q × pruned ÷ W)
 * bundles at once. With it, one proof buys at most Q × E ÷ W, whatever global times the
 * bundles claim — the cost per Q bundles the room meant (docs/security.md, "the arithmetic").
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
const EPOCH_DOMAIN = new TextEncoder().encode('bloomwalk/identity-epoch/v1')

/** The identity epoch of global time `globalTime` under epochs of `epochLength` units; undefined when the room has none (0). */
export function identityEpochOf(globalTime: number, epochLength: number): number | undefined {
  return epochLength > 0 ? Math.floor(globalTime / epochLength) : undefined
}

/** The bytes hashed before the nonce: domain, room, key and, for an epoch-bound proof, the epoch (u64). */
function prefix(room: Uint8Array, author: Uint8Array, epoch: number | undefined): Uint8Array {
  const domain = epoch === undefined ? DOMAIN : EPOCH_DOMAIN
  const out = new Uint8Array(domain.length + room.length + author.length + (epoch === undefined ? 0 : 8))
  out.set(domain, 0)
  out.set(room, domain.length)
  out.set(author, domain.length + room.length)
  if (epoch !== undefined) new DataView(out.buffer).setBigUint64(out.length - 8, BigInt(epoch))
  return out
}

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

/** The work a nonce proves for (room, author), or for (room, author, epoch) when `epoch` is given: leading zero bits of its hash. */
export function identityWork(room: Uint8Array, author: Uint8Array, nonce: Uint8Array, epoch?: number): number {
  if (nonce.length !== IDENTITY_NONCE_BYTES) return 0
  if (epoch === undefined) return leadingZeroBits(sha256.create().update(DOMAIN).update(room).update(author).update(nonce).digest())
  return leadingZeroBits(sha256.create().update(prefix(room, author, epoch)).update(nonce).digest())
}

/**
 * Finds a nonce proving `bits` of work for (room, author), or (room, author, epoch) with
 * `options.epoch`: tries nonces 0, 1, 2, … from `start` (deterministic; about 2^bits hashes).
 * `maxTries` bounds the loop.
 * @throws {RangeError} when bits is outside 0..64 or no nonce was found within maxTries
 */
export function mintIdentity(room: Uint8Array, author: Uint8Array, bits: number, options: { start?: number; maxTries?: number; epoch?: number } = {}): Uint8Array {
  const maxTries = options.maxTries ?? 2 ** 40
  const found = searchIdentity(room, author, bits, { start: options.start ?? 0, tries: maxTries, epoch: options.epoch })
  if (found === undefined) throw new RangeError(`no nonce with ${bits} bits of work in ${maxTries} tries`)
  return found
}

/**
 * One stretch of {@link mintIdentity}'s search: tries the `tries` nonces from `start` and
 * returns the first with `bits` of work, or undefined (the next stretch starts at
 * `start + tries`). A background minter calls it chunk by chunk, yielding between them; the
 * nonce found is the one `mintIdentity` would find.
 * @throws {RangeError} when bits is outside 0..64 or the epoch is not a non-negative safe integer
 */
export function searchIdentity(room: Uint8Array, author: Uint8Array, bits: number, options: { start: number; tries: number; epoch?: number | undefined }): Uint8Array | undefined {
  if (!Number.isInteger(bits) || bits < 0 || bits > 64) throw new RangeError('bits must be 0..64')
  if (options.epoch !== undefined && !(Number.isSafeInteger(options.epoch) && options.epoch >= 0)) throw new RangeError('epoch must be a non-negative safe integer')
  // One buffer, the nonce written in place at its end: a single hash call per try.
  const head = prefix(room, author, options.epoch)
  const input = new Uint8Array(head.length + IDENTITY_NONCE_BYTES)
  input.set(head, 0)
  const at = input.length - IDENTITY_NONCE_BYTES
  const view = new DataView(input.buffer)
  for (let i = 0; i < options.tries; i++) {
    const n = options.start + i
    view.setUint32(at, Math.floor(n / 4294967296))
    view.setUint32(at + 4, n >>> 0)
    if (leadingZeroBits(sha256(input)) >= bits) return input.slice(at)
  }
  return undefined
}

/**
 * True when the bundle carries an identity nonce with at least `bits` of work for its room and
 * author, and, when the room has identity epochs of `epochLength` units, for the epoch of the
 * bundle's own global time.
 */
export function hasIdentityWork(bundle: Bundle, bits: number, epochLength = 0): boolean {
  if (bits <= 0) return true
  return bundle.identityNonce !== undefined && identityWork(bundle.overlay, bundle.author, bundle.identityNonce, identityEpochOf(bundle.globalTime, epochLength)) >= bits
}
