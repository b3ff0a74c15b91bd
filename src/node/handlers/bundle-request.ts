/**
 * bundle-request: a peer asks for bundles by id (missing parents, reconciliation results).
 * Answered from the store within four response budgets and the anti-amplification limit;
 * ids we do not hold are ignored. The decoder already bounds the ids per request.
 */
import { addressKey, type Address, type BundleRequest } from '../../wire/index.js'
import { packDatagrams } from '../../sync/pack.js'
import type { Bundle } from '../../bundle/types.js'
import type { NodeContext } from '../context.js'
import type { OverlayState } from '../overlay.js'

/**
 * An answer by id may use this many response budgets (4 × 5 120 bytes): a request names at
 * most 32 ids, and catch-up asks for 16 at a time, which then always fit whole.
 */
export const BUNDLE_REQUEST_BUDGET_FACTOR = 4

export async function onBundleRequest(ctx: NodeContext, from: Address, overlay: OverlayState, req: BundleRequest): Promise<void> {
  if (ctx.role !== 'peer' || ctx.store === undefined) {
    ctx.counters.drop('tracker-ignores')
    return
  }
  if (overlay.candidates.get(addressKey(from)) === undefined) {
    ctx.counters.drop('unknown-source')
    return
  }
  await serveBundles(ctx, from, overlay, req.ids)
}

/**
 * Answers a request for bundles by id (a bundle-request, or the `fetch` of a
 * symbols-request): the ids we hold, within four response budgets and the anti-amplification
 * limit; ids we do not hold are ignored.
 */
export async function serveBundles(ctx: NodeContext, from: Address, overlay: OverlayState, ids: readonly Uint8Array[]): Promise<void> {
  if (ctx.store === undefined) return
  const found: Bundle[] = []
  let bytes = 0
  for (const id of ids) {
    const b = await ctx.store.get(overlay.id, id)
    if (b === undefined) continue
    found.push(b)
    bytes += b.bytes.length
    if (bytes >= BUNDLE_REQUEST_BUDGET_FACTOR * ctx.sync.responseBudget) break
  }
  for (const datagram of packDatagrams(found, ctx.sync.datagramBudget, ctx.limits.maxBundlesPerDatagram)) {
    if (!ctx.send(from, overlay.id, { type: 'bundles', bundles: datagram }, 'destination')) break
  }
}
