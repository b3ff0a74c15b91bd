/**
 * The freshest bundles a node took in lately, per overlay, whose short ids ride on its
 * introduction-responses and puncture-requests (`recent_short`, DESIGN §13): a peer that push
 * missed learns of them at its next contact of any kind and asks for those it lacks, instead
 * of waiting for a walk to a peer whose answer happens to cover them. Plumtree's lazy push
 * piggybacked on the walk's own datagrams: no datagram of its own, 8 bytes an id.
 *
 * Bounded: the last {@link RECENT_IDS} bundles per overlay (the wire's `maxRecentIds`), and
 * only those taken in within `recentMs`; one list per overlay the node joined.
 */
import type { Bundle } from '../bundle/types.js'
import { DEFAULT_DECODE_LIMITS } from '../wire/index.js'
import type { OverlayWalk } from './overlay.js'
import { shortOf } from './push-wants.js'

/** Short ids remembered, and named, per overlay: the decoder's default `maxRecentIds`. */
export const RECENT_IDS = DEFAULT_DECODE_LIMITS.maxRecentIds

interface Recent {
  short: Uint8Array
  globalTime: number
  at: number
}

export class RecentFresh {
  readonly #recentMs: number
  readonly #byOverlay = new Map<OverlayWalk, Recent[]>()

  /** `recentMs`: how long a bundle taken in is named. */
  constructor(recentMs: number) {
    this.#recentMs = recentMs
  }

  /** Fresh bundles taken in at `now` (published, pushed, or in a bundles datagram). */
  took(overlay: OverlayWalk, bundles: readonly Bundle[], now: number): void {
    if (this.#recentMs === 0 || bundles.length === 0) return
    let list = this.#byOverlay.get(overlay)
    if (list === undefined) {
      list = []
      this.#byOverlay.set(overlay, list)
    }
    for (const b of bundles) list.push({ short: shortOf(b.id), globalTime: b.globalTime, at: now })
    if (list.length > RECENT_IDS) list.splice(0, list.length - RECENT_IDS)
  }

  /**
   * Short ids of the bundles taken in within `recentMs` of `now`, oldest first; with
   * `upTo`, only those at a global time up to it (a peer at `upTo` asks for what is above
   * by `newer_than`; the names are for bundles its global time cannot tell it lacks).
   */
  named(overlay: OverlayWalk, now: number, upTo = Infinity): Uint8Array[] {
    const list = this.#byOverlay.get(overlay)
    if (list === undefined) return []
    return list.filter((r) => now - r.at <= this.#recentMs && r.globalTime <= upTo).map((r) => r.short)
  }

  /** Bundles remembered for `overlay` (for the bound's test). */
  size(overlay: OverlayWalk): number {
    return this.#byOverlay.get(overlay)?.length ?? 0
  }

  /** Forgets every overlay's bundles (the node stopped). */
  clear(): void {
    this.#byOverlay.clear()
  }
}
