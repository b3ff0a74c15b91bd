/**
 * Gaps below a pushed bundle (DESIGN §13): a bundle's global time is its author's Lamport
 * clock plus one, and only bundles move a clock (src/node/ledger.ts), so a fresh bundle at
 * global time g tells us a bundle at g − 1 exists in the room. When we hold none at g − 1 a
 * little later (`delayMs`, the time the push of that one needs to reach us too), we missed
 * it — push reaches most peers, not all — and ask the peer that sent us the bundle at g for
 * what it holds at g − 1 (a bundle-request `{newer_than: g − 2, up_to: g − 1}`), instead of
 * waiting for a walk step to find it (up to one step, 5 s, or two when that step goes to a
 * peer that lacks it too). The answer spreads no further; a gap below it is the walk's.
 *
 * Bounded: at most {@link MAX_GAP_CHECKS} checks wait (newer ones are dropped), one per
 * (overlay, global time); one timer per check, all cancelled by {@link GapFetch.stop}. Owned
 * by the push service, whose pushes and announced bundles it listens to.
 */
import type { Cancel, Clock } from '../env/clock.js'
import type { Address, Packet } from '../wire/index.js'
import type { Charge } from './charge.js'
import type { OverlayWalk } from './overlay.js'

/** Checks waiting for their delay, all overlays together. */
export const MAX_GAP_CHECKS = 64

export interface GapFetchComponents {
  clock: Clock
  /** Whether the overlay's store holds any bundle at `globalTime`. */
  holdsAt(overlay: OverlayWalk, globalTime: number): Promise<boolean>
  send(to: Address, overlay: Uint8Array, packet: Packet, charge: Charge): boolean
}

export interface GapFetchStats {
  /** Checks run after their delay (a fresh bundle at g, a look for anything held at g − 1). */
  checked: number
  /** Of these, still open after the delay: asked of the bundle's sender. */
  fetched: number
  /** Not checked: {@link MAX_GAP_CHECKS} were waiting. */
  overBound: number
}

export class GapFetch {
  readonly #c: GapFetchComponents
  readonly #delayMs: number
  /** Waiting checks by overlay key and global time, with their timers. */
  readonly #waiting = new Map<string, Cancel>()
  readonly #stats: GapFetchStats = { checked: 0, fetched: 0, overBound: 0 }
  #stopped = false

  constructor(components: GapFetchComponents, delayMs: number) {
    this.#c = components
    this.#delayMs = delayMs
  }

  stats(): GapFetchStats {
    return { ...this.#stats }
  }

  /** Checks waiting (for the bound's test). */
  get waiting(): number {
    return this.#waiting.size
  }

  /**
   * `from` sent us fresh bundles new to us: for each global time g among them, a check of
   * g − 1 after the delay (unless g − 1 is among them, or is being checked already).
   */
  heard(overlay: OverlayWalk, from: Address, globalTimes: readonly number[]): void {
    if (this.#stopped) return
    const here = new Set(globalTimes)
    for (const g of here) {
      const below = g - 1
      // Below 2 there is nothing to name: newer_than must be at least 1 when no id is asked for.
      if (below < 2 || here.has(below)) continue
      const key = `${overlay.key}|${below}`
      if (this.#waiting.has(key)) continue
      if (this.#waiting.size >= MAX_GAP_CHECKS) {
        this.#stats.overBound++
        continue
      }
      const cancel = this.#c.clock.setTimeout(() => {
        this.#waiting.delete(key)
        void this.#check(overlay, from, below)
      }, this.#delayMs)
      this.#waiting.set(key, cancel)
    }
  }

  /** Cancels every waiting check; a check reading the store now sends nothing. */
  stop(): void {
    this.#stopped = true
    for (const cancel of this.#waiting.values()) cancel()
    this.#waiting.clear()
  }

  /** Checks again after a {@link stop} (the node restarted). */
  start(): void {
    this.#stopped = false
  }

  async #check(overlay: OverlayWalk, from: Address, below: number): Promise<void> {
    if (this.#stopped) return
    this.#stats.checked++
    let held: boolean
    try {
      held = await this.#c.holdsAt(overlay, below)
    } catch {
      return // a store that stopped serving: the walk repairs later
    }
    if (held || this.#stopped) return
    if (this.#c.send(from, overlay.id, { type: 'bundle-request', ids: [], newerThan: below - 1, upTo: below }, 'destination')) this.#stats.fetched++
  }
}
