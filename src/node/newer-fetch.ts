/**
 * Newest first (docs/reconcile.md §9): the common catch-up is a peer that was offline and
 * lacks the newest bundles. When a peer reports a global time above our newest stored bundle,
 * bundle-requests `{newer_than, up_to}` bring what it holds above it: one, or several slices
 * of global time sent at once when the gap is expected to hold more than one answer's four
 * response budgets (`newerSlices`), at about 11 B of framing per bundle and no per-bundle id.
 * Asked again on a later walk step while the peer is still ahead (at most once per
 * {@link RETRY_MS} for the same newest: the first answer to a peer that has not validated our
 * address yet is cut by its 3× bound). What is older is left to the idle check of a walk step
 * once the peer is no longer ahead (./catch-up.ts, which owns one of these).
 */
import { BoundedMap } from '../bounded-map.js'
import { newerSlices } from '../reconcile/index.js'
import { addressKey, type Address, type Packet } from '../wire/index.js'
import { RETRY_MS, type CatchUpCounters } from './catch-up-policy.js'
import type { OverlayWalk } from './overlay.js'
import type { SymbolResponderComponents } from './symbol-responder.js'

/** Peers whose last request for what is newer is remembered per overlay (least recent dropped). */
export const MAX_NEWER_FETCHED = 256

/** The newest-first requests of one node: per overlay, when each peer was last asked and for what. */
export class NewerFetch {
  readonly #c: Pick<SymbolResponderComponents, 'store' | 'clock' | 'ledger'>
  readonly #counters: Pick<CatchUpCounters, 'newerFetches'>
  readonly #send: (to: Address, overlay: OverlayWalk, packet: Packet) => boolean
  /** Per overlay: when each peer was last asked, and our newest then (bounded). */
  readonly #asked = new WeakMap<OverlayWalk, BoundedMap<string, { newest: number; at: number }>>()

  /** `send` sends unless the node stopped (it answers false then, and the slices left are not sent). */
  constructor(components: Pick<SymbolResponderComponents, 'store' | 'clock' | 'ledger'>, counters: Pick<CatchUpCounters, 'newerFetches'>, send: (to: Address, overlay: OverlayWalk, packet: Packet) => boolean) {
    this.#c = components
    this.#counters = counters
    this.#send = send
  }

  /** Asks `peer`, which reports `peerGlobalTime`, for what it holds above our newest bundle (nothing when it is not ahead, or was asked lately for the same). */
  async fetch(overlay: OverlayWalk, peer: Address, peerGlobalTime: number): Promise<void> {
    const store = this.#c.store
    if (store === undefined) return
    const newest = await store.maxGlobalTime(overlay.id)
    if (peerGlobalTime <= newest) return
    let asked = this.#asked.get(overlay)
    if (asked === undefined) {
      asked = new BoundedMap(MAX_NEWER_FETCHED)
      this.#asked.set(overlay, asked)
    }
    const key = addressKey(peer)
    const now = this.#c.clock.now()
    const last = asked.get(key)
    if (last !== undefined && last.newest === newest && now - last.at < RETRY_MS) return
    asked.set(key, { newest, at: now })
    for (const slice of newerSlices(newest, peerGlobalTime, this.#c.ledger(overlay)?.stored ?? 0)) {
      this.#counters.newerFetches++
      if (!this.#send(peer, overlay, { type: 'bundle-request', ids: [], ...slice })) break
    }
  }
}
