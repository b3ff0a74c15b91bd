/**
 * bundle-request: a peer asks for bundles by id (missing parents, reconciliation results),
 * and/or for those newer than a global time (catch-up of a peer that is ahead, docs/reconcile.md
 * §9). Answered from the store within four response budgets and the anti-amplification limit;
 * ids we do not hold are ignored. The decoder already bounds the ids per request; a
 * `newer_than` answer reads at most {@link NEWER_THAN_MAX_ROWS} rows.
 */
import { addressKey, type Address, type BundleRequest } from '../../wire/index.js'
import { packDatagrams } from '../../sync/pack.js'
import type { Bundle } from '../../bundle/types.js'
import { equalBytes } from '../../bytes.js'
import { isSyncable, type SyncConfig } from '../../sync/config.js'
import type { BundleStore } from '../../store/types.js'
import type { DecodeLimits, Packet } from '../../wire/index.js'
import type { Charge } from '../charge.js'
import type { Ledger } from '../ledger.js'
import { heldUnder } from '../recently-stored.js'
import type { Overlay, OverlayWalk } from '../overlay.js'
import type { Counters } from '../stats.js'

/**
 * An answer by id may use this many response budgets (4 × 5 120 bytes): a request names at
 * most 32 ids, and catch-up asks for 16 at a time, which then always fit whole.
 */
export const BUNDLE_REQUEST_BUDGET_FACTOR = 4

/** What answering a bundle-request uses (the responder's components extend it). */
export interface BundleRequestComponents {
  readonly store: BundleStore
  readonly sync: SyncConfig
  readonly limits: Readonly<DecodeLimits>
  readonly counters: Pick<Counters, 'drop'>
  send(to: Address, overlay: Uint8Array, packet: Packet, charge: Charge): boolean
  /** The overlay's ledger: what we hold, and the room's active range (undefined: nothing to serve). */
  ledger(overlay: Overlay): Pick<Ledger, 'clock' | 'activeFrom' | 'keptAt' | 'recent'> | undefined
}

/** What answering uses of the walker's state of the overlay: the requester's reported global time. */
export type ServedOverlay = Pick<OverlayWalk, 'id' | 'key' | 'peerTime'>

export async function onBundleRequest(ctx: BundleRequestComponents, from: Address, overlay: OverlayWalk, req: BundleRequest): Promise<void> {
  if (overlay.candidates.get(addressKey(from)) === undefined) {
    ctx.counters.drop('unknown-source')
    return
  }
  await serveBundles(ctx, from, overlay, req)
}

/** What a request for bundles names: ids, short ids (every bundle with that item hash), short-id prefixes (every bundle whose item hash begins with one), and/or the synced bundles above a global time. */
export interface WantedBundles {
  readonly ids: readonly Uint8Array[]
  readonly shortIds?: readonly Uint8Array[] | undefined
  readonly shortPrefixes?: readonly Uint8Array[] | undefined
  readonly newerThan?: number | undefined
  readonly upTo?: number | undefined
}

/**
 * Answers a request for bundles by id (a bundle-request, or the `fetch` of a
 * symbols-request): the ids we hold, within four response budgets and the anti-amplification
 * limit; ids we do not hold are ignored, and so are bundles the room's policy no longer
 * answers (DESIGN §14) at our global time or has pruned at the requester's last reported
 * one (`Ledger.keptAt`): a peer back from a long absence still holds bundles the room has pruned, and
 * catch-up's difference lists them, but the requester would only refuse them. A short id
 * (docs/reconcile.md §14) is answered with every bundle held under it (at most
 * MAX_SHORT_ID_MATCHES): ids that collide on their hash fall back to their full ids here; a
 * short-id prefix (docs/reconcile.md §15) with every bundle held whose short id begins with it.
 */
export async function serveBundles(ctx: BundleRequestComponents, from: Address, overlay: ServedOverlay, want: WantedBundles): Promise<void> {
  const { ids, newerThan, upTo } = want
  const ledger = ctx.ledger(overlay)
  if (ledger === undefined) return
  const budget = BUNDLE_REQUEST_BUDGET_FACTOR * ctx.sync.responseBudget
  const found: Bundle[] = []
  let bytes = 0
  const peerTime = overlay.peerTime(addressKey(from))
  const activeFrom = Math.max(ledger.activeFrom(), ledger.keptAt(peerTime))
  for (const id of ids) {
    if (bytes >= budget) break
    const b = await ctx.store.get(overlay.id, id)
    if (b === undefined || b.globalTime < activeFrom) continue
    found.push(b)
    bytes += b.bytes.length
  }
  for (const short of [...(want.shortIds ?? []), ...(want.shortPrefixes ?? [])]) {
    if (bytes >= budget) break
    // A bundle stored lately (an announced one) by its id, without a scan of the short-id index.
    for (const b of await heldUnder(ctx.store, ledger.recent, overlay.id, short)) {
      if (b.globalTime < activeFrom || found.some((f) => equalBytes(f.id, b.id))) continue
      found.push(b)
      bytes += b.bytes.length
    }
  }
  if (newerThan !== undefined && bytes < budget) {
    const newer = { store: ctx.store, overlay: overlay.id, sync: ctx.sync, globalTime: ledger.clock.time, activeFrom: ledger.activeFrom() }
    found.push(...(await newerBundles(newer, newerThan, budget - bytes, upTo)))
  }
  for (const datagram of packDatagrams(found, ctx.sync.datagramBudget, ctx.limits.maxBundlesPerDatagram)) {
    if (!ctx.send(from, overlay.id, { type: 'bundles', bundles: datagram }, 'destination')) break
  }
}

/** Store rows a `newer_than` answer reads at most (rows of kinds not synced, or expired, are skipped). */
export const NEWER_THAN_MAX_ROWS = 512

/**
 * The synced bundles held with a global time above `newerThan` and at most `upTo` (and at or above the room's
 * active range), oldest first, while they fit `budget` bytes: what a Bloom offer over that
 * range with an empty filter would be answered with. Reads at most {@link NEWER_THAN_MAX_ROWS} rows.
 */
export async function newerBundles(
  ctx: { store: BundleStore; overlay: Uint8Array; sync: SyncConfig; globalTime: number; activeFrom: number },
  newerThan: number,
  budget: number,
  upTo = Number.MAX_SAFE_INTEGER
): Promise<Bundle[]> {
  if (newerThan >= Number.MAX_SAFE_INTEGER) return []
  const out: Bundle[] = []
  let bytes = 0
  const from = Math.max(newerThan + 1, ctx.activeFrom)
  if (from > upTo) return []
  for await (const b of ctx.store.range({ overlay: ctx.overlay, from, to: upTo, maxRows: NEWER_THAN_MAX_ROWS })) {
    if (!isSyncable(ctx.sync, b.kind) || (b.expiresAt !== undefined && b.expiresAt < ctx.globalTime)) continue
    if (bytes + b.bytes.length > budget) break
    out.push(b)
    bytes += b.bytes.length
  }
  return out
}
