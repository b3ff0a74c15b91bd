/**
 * The peers' bundles an intake is taking in right now (./intake.ts): from the duplicate check
 * until the ledger's write ends. The same bundle comes from several peers at once in a busy
 * room (a push copy, the answer to an announcement, a walk's answer); a copy arriving while
 * the first is between its duplicate check and the ledger's write used to be verified and
 * written again (issue 22: 2.5 % of a 30-peer demo's Ed25519 checks). A claimed copy makes an
 * identical one a duplicate.
 *
 * Keyed by id and signature, which are the bundle's whole bytes (the id hashes everything
 * but the signature): a forged copy of a bundle in flight (the same id, another signature)
 * is not the claimed one, so it is checked and refused on its own, and it cannot make the
 * genuine copy look like a duplicate of itself. Nothing here says a bundle is valid; a claim
 * only says an identical copy is being checked.
 *
 * Bounded: at most {@link MAX_IN_FLIGHT} claims; beyond that a copy is taken in unclaimed
 * (checked and written as before: the ledger's write still refuses a second copy).
 */
import { hex } from '../bytes.js'
import type { Bundle } from '../bundle/types.js'

/** Claims held at most (copies taken in at once by one node). */
export const MAX_IN_FLIGHT = 4096

/**
 * What {@link InFlightBundles.claim} decided: `mine` (release it when done), `duplicate` (an
 * identical copy is in flight: skip this one), `unclaimed` (the table is full: take it in
 * without a claim).
 */
export type Claim = 'mine' | 'duplicate' | 'unclaimed'

export class InFlightBundles {
  readonly #claims = new Set<string>()
  readonly #capacity: number

  /** @throws {RangeError} when `capacity` is not an integer ≥ 1 */
  constructor(capacity = MAX_IN_FLIGHT) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be an integer ≥ 1, got ${capacity}`)
    this.#capacity = capacity
  }

  get size(): number {
    return this.#claims.size
  }

  claim(b: Bundle): Claim {
    const key = keyOf(b)
    if (this.#claims.has(key)) return 'duplicate'
    if (this.#claims.size >= this.#capacity) return 'unclaimed'
    this.#claims.add(key)
    return 'mine'
  }

  /** Ends a claim that {@link claim} answered `mine`. */
  release(b: Bundle): void {
    this.#claims.delete(keyOf(b))
  }
}

function keyOf(b: Bundle): string {
  return hex(b.id) + hex(b.signature)
}
