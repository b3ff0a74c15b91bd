/**
 * bundles: answers to our offers, pushes, or ephemeral messages. Accepted only from peers in the overlay's
 * candidate table, so strangers cannot make us verify signatures at will; each bundle is
 * then checked, stored and delivered by the intake (../intake.ts).
 */
import { addressKey, type Address, type BundlesPacket } from '../../wire/index.js'
import type { Bundle } from '../../bundle/types.js'
import type { Counters } from '../stats.js'
import type { BundleIntake } from '../intake.js'
import type { OverlayWalk } from '../overlay.js'

/**
 * Whether bundles sent unasked or in answer by `from` may be looked at: only from a candidate
 * of the overlay (otherwise counted as a drop). Shared by `bundles` and `push`.
 */
export function takesBundlesFrom(counters: Pick<Counters, 'drop'>, from: Address, overlay: OverlayWalk): boolean {
  if (overlay.candidates.get(addressKey(from)) === undefined) {
    counters.drop('unknown-source')
    return false
  }
  return true
}

/** What the bundles handler uses. */
export interface BundlesComponents {
  readonly counters: Pick<Counters, 'drop'>
  readonly intake: Pick<BundleIntake, 'accept' | 'acceptEphemeral'>
  /** Hears which stored bundles were new (the push service's `fetched`). */
  fresh(overlay: OverlayWalk, fresh: readonly Bundle[], from: Address): void
}

export async function onBundles(c: BundlesComponents, from: Address, overlay: OverlayWalk, packet: BundlesPacket): Promise<void> {
  if (!takesBundlesFrom(c.counters, from, overlay)) return
  if (packet.ephemeral === true) c.intake.acceptEphemeral(overlay, packet.bundles, from)
  else c.fresh(overlay, await c.intake.accept(overlay, packet.bundles, from), from)
}
