/** Keys, signing and verification of bundles (Ed25519 over the bundle id). */
import { ed25519 } from '@noble/curves/ed25519.js'
import type { Rng } from '../env/rng.js'
import { BloomwalkError } from '../errors.js'
import { bundleIdOf, encodeCanonical, ID_BYTES, IDENTITY_NONCE_BYTES, MAX_BODY_FIELD, MAX_GLOBAL_TIME, MAX_PARENTS_FIELD, SIGNATURE_BYTES } from './codec.js'
import type { Bundle, BundleDraft } from './types.js'

/** An author's Ed25519 key pair. */
export interface KeyPair {
  /** 32-byte secret seed. Keep it private. */
  readonly secretKey: Uint8Array
  /** 32-byte public key: the bundle `author` field. */
  readonly publicKey: Uint8Array
}

/** A key pair from 32 random bytes of `rng` (use a CryptoRng outside tests). */
export function generateKeyPair(rng: Rng): KeyPair {
  return keyPairFromSecret(rng.bytes(32))
}

/**
 * The key pair of a 32-byte secret seed.
 * @throws {BloomwalkError} INVALID_ARGUMENT when the seed is not 32 bytes
 */
export function keyPairFromSecret(secretKey: Uint8Array): KeyPair {
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== 32) throw new BloomwalkError('INVALID_ARGUMENT', 'secret key must be 32 bytes')
  return { secretKey, publicKey: ed25519.getPublicKey(secretKey) }
}

/** Signs a 32-byte bundle id with a key pair: Ed25519, 64 bytes. */
export type Signer = (id: Uint8Array, keys: KeyPair) => Uint8Array

/** The portable signer (@noble/curves). Ed25519 signatures are deterministic: every signer gives the same bytes. */
export const portableSign: Signer = (id, keys) => ed25519.sign(id, keys.secretKey)

/**
 * Builds, identifies and signs a bundle (with `sign`, the portable signer unless given).
 * @throws {BloomwalkError} INVALID_ARGUMENT for out-of-range fields (see the message)
 */
export function signBundle(draft: BundleDraft, keys: KeyPair, sign: Signer = portableSign): Bundle {
  const parents = draft.parents ?? []
  checkBytes('overlay', draft.overlay, ID_BYTES)
  if (!Number.isSafeInteger(draft.globalTime) || draft.globalTime < 1 || draft.globalTime > MAX_GLOBAL_TIME) {
    throw new BloomwalkError('INVALID_ARGUMENT', `globalTime must be an integer in [1, 2^53-1], got ${draft.globalTime}`)
  }
  if (!Number.isInteger(draft.kind) || draft.kind < 0 || draft.kind > 255) throw new BloomwalkError('INVALID_ARGUMENT', `kind must be 0..255, got ${draft.kind}`)
  if (parents.length > MAX_PARENTS_FIELD) throw new BloomwalkError('INVALID_ARGUMENT', `at most ${MAX_PARENTS_FIELD} parents`)
  parents.forEach((p, i) => checkBytes(`parents[${i}]`, p, ID_BYTES))
  if (!(draft.body instanceof Uint8Array) || draft.body.length > MAX_BODY_FIELD) throw new BloomwalkError('INVALID_ARGUMENT', `body must be a Uint8Array of at most ${MAX_BODY_FIELD} bytes`)
  if (draft.expiresAt !== undefined && (!Number.isSafeInteger(draft.expiresAt) || draft.expiresAt < draft.globalTime)) {
    throw new BloomwalkError('INVALID_ARGUMENT', 'expiresAt must be an integer global time ≥ globalTime')
  }
  if (draft.identityNonce !== undefined) checkBytes('identityNonce', draft.identityNonce, IDENTITY_NONCE_BYTES)
  const fields = {
    overlay: draft.overlay,
    globalTime: draft.globalTime,
    author: keys.publicKey,
    kind: draft.kind,
    parents,
    body: draft.body,
    expiresAt: draft.expiresAt
  }
  const bytes = encodeCanonical({ ...fields, identityNonce: draft.identityNonce })
  const canonicalLength = bytes.length - SIGNATURE_BYTES
  const id = bundleIdOf(bytes.subarray(0, canonicalLength))
  const signature = sign(id, keys)
  bytes.set(signature, canonicalLength)
  const bundle: Bundle = { ...fields, parents: [...parents], id, signature: bytes.subarray(canonicalLength), bytes }
  return draft.identityNonce === undefined ? bundle : { ...bundle, identityNonce: Uint8Array.from(draft.identityNonce) }
}

/** True when the signature is the author's Ed25519 signature over the id. Never throws. */
export function verifyBundleSignature(bundle: Bundle): boolean {
  try {
    // Strict RFC 8032 verification (no ZIP-215 leniency), so every implementation agrees on what verifies.
    return ed25519.verify(bundle.signature, bundle.id, bundle.author, { zip215: false })
  } catch {
    return false
  }
}

function checkBytes(name: string, value: Uint8Array, length: number): void {
  if (!(value instanceof Uint8Array) || value.length !== length) throw new BloomwalkError('INVALID_ARGUMENT', `${name} must be ${length} bytes`)
}

/**
 * A signature check that remembers bundles it verified (by id and signature), for one
 * process running many nodes (the simulator): each distinct bundle is verified once.
 * Bounded: forgets everything when `max` entries are reached.
 */
export function memoizedVerifier(max = 1_000_000): (bundle: Bundle) => boolean {
  const verified = new Map<string, boolean>()
  return (bundle) => {
    // The id commits to every canonical field; with the signature it names the whole bundle.
    const key = Buffer.concat([bundle.id, bundle.signature]).toString('base64')
    const known = verified.get(key)
    if (known !== undefined) return known
    const ok = verifyBundleSignature(bundle)
    if (verified.size >= max) verified.clear()
    verified.set(key, ok)
    return ok
  }
}
