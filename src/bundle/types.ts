/**
 * The bundle: the signed, immutable unit of replication (DESIGN §3).
 *
 * ```
 * bundle := overlay(32) global_time(u64) author(32) kind(u8) parents(32·n) body
 *           [expires_at_global_time] signature(64)
 * id     := SHA-256("bloomwalk/bundle/v1" || canonical bytes without the signature)
 * ```
 */

/** A decoded bundle. All byte arrays are exact-length views; never mutate them. */
export interface Bundle {
  /** 32-byte overlay (community / room) id. */
  readonly overlay: Uint8Array
  /** Lamport global time, 1 ≤ globalTime ≤ 2^53 − 1. */
  readonly globalTime: number
  /** 32-byte Ed25519 public key of the author. */
  readonly author: Uint8Array
  /** Application-defined kind, 0–255; selects sync priority and direction. */
  readonly kind: number
  /** Ids (32 bytes each) of the bundles this one causally follows. */
  readonly parents: readonly Uint8Array[]
  /** Application payload. */
  readonly body: Uint8Array
  /** Global time after which the bundle is neither synced nor kept; absent = never. */
  readonly expiresAt: number | undefined
  /** 8-byte nonce proving the author paid the room's identity cost (DESIGN §14); absent when the room asks for none. */
  readonly identityNonce?: Uint8Array
  /** 64-byte Ed25519 signature over `id`. */
  readonly signature: Uint8Array
  /** 32-byte id: SHA-256 over the canonical bytes without the signature. */
  readonly id: Uint8Array
  /** The full encoded bundle (canonical bytes followed by the signature), as sent on the wire and stored. */
  readonly bytes: Uint8Array
}

/** What an author supplies to create a bundle; the library fills in id, signature and bytes. */
export interface BundleDraft {
  overlay: Uint8Array
  globalTime: number
  kind: number
  parents?: readonly Uint8Array[]
  body: Uint8Array
  expiresAt?: number
  /** The author's identity nonce for this room (see `mintIdentity`). */
  identityNonce?: Uint8Array
}
