/**
 * bundles: answers to our offers, pushes, or ephemeral messages. Accepted only from peers in the overlay's
 * candidate table, so strangers cannot make us verify signatures at will; each bundle is
 * then checked, stored and delivered by the node.
 */
import { addressKey, type Address, type BundlesPacket } from '../../wire/index.js'
import type { Bundle } from '../../bundle/types.js'
import type { NodeContext } from '../context.js'
import type { OverlayState } from '../overlay.js'

/**
 * Whether bundles sent unasked or in answer by `from` may be looked at: only a peer takes
 * bundles, and only from a candidate of the overlay (otherwise counted as a drop). Shared by
 * `bundles` and `push`.
 */
export function takesBundlesFrom(ctx: NodeContext, from: Address, overlay: OverlayState): boolean {
  if (ctx.role !== 'peer') {
    ctx.counters.drop('tracker-ignores')
    return false
  }
  if (overlay.candidates.get(addressKey(from)) === undefined) {
    ctx.counters.drop('unknown-source')
    return false
  }
  return true
}

/** Takes the bundles; `onFresh` (the push service's `fetched`) hears which stored ones were new. */
export async function onBundles(ctx: NodeContext, from: Address, overlay: OverlayState, packet: BundlesPacket, onFresh?: (fresh: readonly Bundle[]) => void): Promise<void> {
  if (!takesBundlesFrom(ctx, from, overlay)) return
  if (packet.ephemeral === true) ctx.acceptEphemeral(overlay, packet.bundles, from)
  else onFresh?.(await ctx.accept(overlay, packet.bundles, from))
}
