/**
 * This node's identity nonces, one per room that asks for one (DESIGN §14): minted at the
 * first publish into the room (≈ 2^bits hashes, about a second at 20 bits, blocking) unless
 * given in `NodeOptions.identityNonces` (an application persists them with the key, so the
 * cost is paid once per key and room, not per start). Bounded by the overlays joined.
 */
import { hasIdentityWork, identityWork, mintIdentity } from '../bundle/identity.js'

export class IdentityNonces {
  readonly #author: Uint8Array
  readonly #nonces = new Map<string, Uint8Array>()

  constructor(author: Uint8Array, given: ReadonlyMap<string, Uint8Array> = new Map()) {
    this.#author = author
    for (const [room, nonce] of given) this.#nonces.set(room, nonce)
  }

  /** The nonce for `room` (hex key `roomKey`) with at least `bits` of work; minted when missing or too weak. */
  for(room: Uint8Array, roomKey: string, bits: number): Uint8Array | undefined {
    if (bits <= 0) return undefined
    const known = this.#nonces.get(roomKey)
    if (known !== undefined && identityWork(room, this.#author, known) >= bits) return known
    const minted = mintIdentity(room, this.#author, bits)
    this.#nonces.set(roomKey, minted)
    return minted
  }

  /** The nonce minted or given for a room, if any. */
  get(roomKey: string): Uint8Array | undefined {
    return this.#nonces.get(roomKey)
  }
}

export { hasIdentityWork }
