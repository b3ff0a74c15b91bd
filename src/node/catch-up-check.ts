/**
 * The check of a decoded short-id session (docs/reconcile.md §14–§15), made by catch-up
 * (./catch-up.ts) at the overlay's next walk step, once the session's fetches have had a walk
 * interval to arrive: the difference's full ids are the bundles pushed and the ones stored
 * under the short ids decoded as the peer's; the responder's salted check must equal ours with
 * them applied.
 */
import { xorId, type SymbolSession } from '../reconcile/index.js'
import type { BundleStore } from '../store/types.js'
import { heldUnder, type RecentlyStored } from './recently-stored.js'
import type { Address, DecodeLimits, Packet } from '../wire/index.js'
import { REFETCH_SHORT_IDS, type CatchUpCounters } from './catch-up-policy.js'

/** A decoded short-id session waiting for its check: the XOR of our pushed ids, the peer's short ids decoded. */
export interface PendingCheck {
  session: SymbolSession
  peer: Address
  difference: Uint8Array
  theirs: Uint8Array[]
  ambiguous: boolean
}

/** What the check uses: the store, the decode limits, and a send to the session's peer. */
export interface CheckComponents {
  readonly store: BundleStore
  /** The overlay's bundles stored lately: the short ids decoded are read by id from there when they can be. */
  readonly recent?: RecentlyStored
  readonly limits: Readonly<DecodeLimits>
  send(packet: Packet): boolean
}

/**
 * Checks `pending`. A mismatch (ids sharing a short id cancelled out) counts a collision
 * (`collision`: the caller falls back to the Bloom walk); a short id not received, or held
 * twice, leaves the session `unverified` (the next idle check with that peer checks again).
 * The short ids not received are asked of the peer once more by their whole 8 bytes, at most
 * {@link REFETCH_SHORT_IDS} (a prefix other bundles crowded out, docs/reconcile.md §15, or an
 * answer lost); counted in `fetched`.
 */
export async function checkDecoded(c: CheckComponents, overlay: Uint8Array, pending: PendingCheck, counters: Pick<CatchUpCounters, 'fetched' | 'unverified' | 'collisions'>): Promise<'verified' | 'unverified' | 'collision'> {
  const difference = pending.difference
  let unverified = pending.ambiguous
  const missing: Uint8Array[] = []
  for (const short of pending.theirs) {
    const held = await heldUnder(c.store, c.recent, overlay, short)
    if (held.length === 1) xorId(difference, held[0]!.id)
    else unverified = true
    if (held.length === 0) missing.push(short)
  }
  const perRequest = c.limits.maxIdsPerRequest
  const asked = Math.min(missing.length, REFETCH_SHORT_IDS)
  for (let at = 0; at < asked; at += perRequest) {
    const shortIds = missing.slice(at, Math.min(asked, at + perRequest))
    counters.fetched += shortIds.length
    if (!c.send({ type: 'bundle-request', ids: [], shortIds })) break
  }
  if (unverified) {
    counters.unverified++
    return 'unverified'
  }
  if (pending.session.verify(difference)) return 'verified'
  counters.collisions++
  return 'collision'
}
