/**
 * This node's identity nonces, one per room that asks for one (DESIGN §14): minted at the
 * first publish into the room (≈ 2^bits hashes, about a second at 20 bits, blocking) unless
 * given in `NodeOptions.identityNonces` (an application persists them with the key, so the
 * cost is paid once per key and room, not per start). A room with identity epochs
 * (`RoomPolicy.identityEpoch`) gets a nonce per epoch: minted again at the first publish into
 * a new epoch, the one before forgotten. Bounded by the overlays joined.
 */
import { hasIdentityWork, identityEpochOf, identityWork, mintIdentity } from '../bundle/identity.js'
import type { RoomPolicy } from '../bundle/policy.js'

interface Nonce {
  nonce: Uint8Array
  /** The epoch it proves work for; undefined for a proof bound to room and key only. */
  epoch: number | undefined
}

export class IdentityNonces {
  readonly #author: Uint8Array
  readonly #nonces = new Map<string, Nonce>()

  constructor(author: Uint8Array, given: ReadonlyMap<string, Uint8Array> = new Map()) {
    this.#author = author
    for (const [room, nonce] of given) this.#nonces.set(room, { nonce, epoch: undefined })
  }

  /**
   * The nonce for a bundle at `globalTime` in `room` (hex key `roomKey`) with the policy's
   * identity work (for that global time's epoch, when the room has epochs); minted when
   * missing, too weak or of another epoch. Undefined when the room asks for no work.
   */
  for(room: Uint8Array, roomKey: string, policy: Pick<RoomPolicy, 'identityBits' | 'identityEpoch'>, globalTime: number): Uint8Array | undefined {
    const bits = policy.identityBits
    if (bits <= 0) return undefined
    const epoch = identityEpochOf(globalTime, policy.identityEpoch)
    const known = this.#nonces.get(roomKey)
    if (known !== undefined && known.epoch === epoch && identityWork(room, this.#author, known.nonce, epoch) >= bits) return known.nonce
    const minted = mintIdentity(room, this.#author, bits, epoch === undefined ? {} : { epoch })
    this.#nonces.set(roomKey, { nonce: minted, epoch })
    return minted
  }

  /** The nonce minted or given for a room, if any (in a room with epochs, the latest epoch's). */
  get(roomKey: string): Uint8Array | undefined {
    return this.#nonces.get(roomKey)?.nonce
  }
}

export { hasIdentityWork }
