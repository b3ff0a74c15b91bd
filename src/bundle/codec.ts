/**
 * The bundle's fixed binary layout. Canonical by construction: one encoding per bundle,
 * every field at a fixed place or behind an explicit length, no optional padding.
 *
 * ```
 * bundle     := canonical signature(64)
 * canonical  := version(u8 = 1) overlay(32) global_time(u64 BE) author(32) kind(u8)
 *               flags(u8: bit 0 = expires_at present, bit 1 = identity nonce present, other bits 0)
 *               [expires_at(u64 BE)] [identity_nonce(8)] parent_count(u8) parent(32)*
 *               body_length(u16 BE) body
 * id         := SHA-256("bloomwalk/bundle/v1" || canonical)
 * ```
 */
import { sha256 } from '@noble/hashes/sha2.js'
import type { Bundle } from './types.js'

/** Layout version byte. */
export const BUNDLE_VERSION = 1
/** Bytes of every id, overlay, author key and parent reference. */
export const ID_BYTES = 32
/** Bytes of an Ed25519 signature. */
export const SIGNATURE_BYTES = 64
/** Largest global time (and expiry) a bundle may carry: JavaScript's safe-integer limit. */
export const MAX_GLOBAL_TIME = Number.MAX_SAFE_INTEGER
/** Structural maximum of parents (the count is one byte); policy limits are lower. */
export const MAX_PARENTS_FIELD = 255
/** Structural maximum of the body (the length is two bytes); policy limits are lower. */
export const MAX_BODY_FIELD = 0xffff

const FLAG_EXPIRES = 0x01
const FLAG_IDENTITY = 0x02
/** Bytes of an identity nonce (the proof of work of a new author in a room, DESIGN §14). */
export const IDENTITY_NONCE_BYTES = 8
/** The domain-separation prefix hashed before the canonical bytes. */
export const BUNDLE_ID_DOMAIN: Uint8Array = new TextEncoder().encode('bloomwalk/bundle/v1')
const DOMAIN = BUNDLE_ID_DOMAIN
/** Bytes of a bundle without parents, body or expiry, signature included. */
export const BUNDLE_FIXED_BYTES = 1 + ID_BYTES + 8 + ID_BYTES + 1 + 1 + 1 + 2 + SIGNATURE_BYTES

/** Structural limits applied while decoding. */
export interface BundleDecodeLimits {
  maxParents: number
  maxBody: number
}

/** The fields that make up the canonical bytes. */
export interface CanonicalFields {
  overlay: Uint8Array
  globalTime: number
  author: Uint8Array
  kind: number
  parents: readonly Uint8Array[]
  body: Uint8Array
  expiresAt: number | undefined
  /** The author's identity nonce for this room, when the room asks for one. */
  identityNonce?: Uint8Array | undefined
}

/** Encoded size of a bundle with these fields, signature included. */
export function encodedBundleSize(parents: number, bodyBytes: number, hasExpiry: boolean, hasIdentity = false): number {
  return BUNDLE_FIXED_BYTES + parents * ID_BYTES + bodyBytes + (hasExpiry ? 8 : 0) + (hasIdentity ? IDENTITY_NONCE_BYTES : 0)
}

/**
 * Writes the canonical bytes into a buffer sized for the whole bundle (signature space left
 * zero at the end). Fields must already be validated by the caller.
 */
export function encodeCanonical(f: CanonicalFields): Uint8Array {
  const hasExpiry = f.expiresAt !== undefined
  const hasIdentity = f.identityNonce !== undefined
  const out = new Uint8Array(encodedBundleSize(f.parents.length, f.body.length, hasExpiry, hasIdentity))
  const view = new DataView(out.buffer)
  let at = 0
  out[at++] = BUNDLE_VERSION
  out.set(f.overlay, at)
  at += ID_BYTES
  writeU64(view, at, f.globalTime)
  at += 8
  out.set(f.author, at)
  at += ID_BYTES
  out[at++] = f.kind
  out[at++] = (hasExpiry ? FLAG_EXPIRES : 0) | (hasIdentity ? FLAG_IDENTITY : 0)
  if (hasExpiry) {
    writeU64(view, at, f.expiresAt!)
    at += 8
  }
  if (hasIdentity) {
    out.set(f.identityNonce!, at)
    at += IDENTITY_NONCE_BYTES
  }
  out[at++] = f.parents.length
  for (const p of f.parents) {
    out.set(p, at)
    at += ID_BYTES
  }
  view.setUint16(at, f.body.length)
  at += 2
  out.set(f.body, at)
  return out
}

/** The bundle id of a canonical byte string. */
export function bundleIdOf(canonical: Uint8Array): Uint8Array {
  return sha256.create().update(DOMAIN).update(canonical).digest()
}

/**
 * Parses a whole encoded bundle. Returns `null` for anything malformed or over the limits;
 * never throws. The id is computed here (with `idOf`, which must compute {@link bundleIdOf};
 * a native SHA-256 may be passed); the signature is NOT verified (see `verifyBundle`).
 */
export function decodeBundle(bytes: Uint8Array, limits: BundleDecodeLimits, idOf: (canonical: Uint8Array) => Uint8Array = bundleIdOf): Bundle | null {
  if (bytes.length < BUNDLE_FIXED_BYTES) return null
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let at = 0
  if (bytes[at++] !== BUNDLE_VERSION) return null
  const overlay = bytes.subarray(at, at + ID_BYTES)
  at += ID_BYTES
  const globalTime = readU64(view, at)
  at += 8
  if (globalTime === null || globalTime < 1) return null
  const author = bytes.subarray(at, at + ID_BYTES)
  at += ID_BYTES
  const kind = bytes[at++]!
  const flags = bytes[at++]!
  if ((flags & ~(FLAG_EXPIRES | FLAG_IDENTITY)) !== 0) return null
  let expiresAt: number | undefined
  if ((flags & FLAG_EXPIRES) !== 0) {
    if (bytes.length < BUNDLE_FIXED_BYTES + 8) return null
    const e = readU64(view, at)
    if (e === null || e < globalTime) return null
    expiresAt = e
    at += 8
  }
  let identityNonce: Uint8Array | undefined
  if ((flags & FLAG_IDENTITY) !== 0) {
    if (at + IDENTITY_NONCE_BYTES + 1 + 2 + SIGNATURE_BYTES > bytes.length) return null
    identityNonce = bytes.subarray(at, at + IDENTITY_NONCE_BYTES)
    at += IDENTITY_NONCE_BYTES
  }
  const parentCount = bytes[at++]!
  if (parentCount > limits.maxParents) return null
  const bodyAt = at + parentCount * ID_BYTES
  if (bodyAt + 2 + SIGNATURE_BYTES > bytes.length) return null
  const parents: Uint8Array[] = []
  for (let i = 0; i < parentCount; i++) parents.push(bytes.subarray(at + i * ID_BYTES, at + (i + 1) * ID_BYTES))
  at = bodyAt
  const bodyLength = view.getUint16(at)
  at += 2
  if (bodyLength > limits.maxBody) return null
  if (at + bodyLength + SIGNATURE_BYTES !== bytes.length) return null
  const body = bytes.subarray(at, at + bodyLength)
  at += bodyLength
  const signature = bytes.subarray(at, at + SIGNATURE_BYTES)
  const id = idOf(bytes.subarray(0, at))
  return identityNonce === undefined
    ? { overlay, globalTime, author, kind, parents, body, expiresAt, signature, id, bytes }
    : { overlay, globalTime, author, kind, parents, body, expiresAt, identityNonce, signature, id, bytes }
}

function writeU64(view: DataView, at: number, value: number): void {
  view.setUint32(at, Math.floor(value / 4294967296))
  view.setUint32(at + 4, value >>> 0)
}

/** Reads a big-endian u64; null when it exceeds {@link MAX_GLOBAL_TIME}. */
function readU64(view: DataView, at: number): number | null {
  const hi = view.getUint32(at)
  const lo = view.getUint32(at + 4)
  if (hi > 0x1fffff) return null
  return hi * 4294967296 + lo
}
