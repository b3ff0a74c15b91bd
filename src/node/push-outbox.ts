/**
 * Announcements waiting for their datagram (IHAVE, DESIGN §13), owned apart from the push
 * service that decides what to announce to whom: ids for one candidate (and hop count) share
 * a datagram when they come within `delayMs` of each other, up to `maxIds` a datagram (a full
 * one goes at once). One timer; `stop()` forgets what is waiting and cancels it.
 */
import type { Cancel, Clock } from '../env/clock.js'
import { hex } from '../bytes.js'
import { addressKey, type Address } from '../wire/index.js'

/** Ids waiting for one (overlay, candidate, hops) datagram. */
export interface Announcement {
  to: Address
  overlay: Uint8Array
  hops: number
  /** Short ids of the bundles announced. */
  ids: Uint8Array[]
}

export interface OutboxComponents {
  clock: Clock
  /** Sends one announcement datagram. */
  send(announcement: Announcement): void
}

export class AnnouncementOutbox {
  readonly #c: OutboxComponents
  readonly #delayMs: number
  readonly #maxIds: number
  /** At most one per (overlay, candidate, hops), each under `maxIds` ids. */
  readonly #waiting = new Map<string, Announcement>()
  #timer: Cancel | undefined

  /** `delayMs`: how long ids wait for company (0: each goes at once); `maxIds`: ids a datagram. */
  constructor(options: { delayMs: number; maxIds: number }, components: OutboxComponents) {
    this.#c = components
    this.#delayMs = options.delayMs
    this.#maxIds = Math.max(1, options.maxIds)
  }

  /** Announcements waiting (for the bound's test: at most one per candidate and hops). */
  get waiting(): number {
    return this.#waiting.size
  }

  /** Queues `ids` for `to`; a datagram's worth goes at once, the rest after the delay. */
  add(to: Address, overlay: Uint8Array, ids: readonly Uint8Array[], hops: number): void {
    const key = `${hex(overlay)}|${addressKey(to)}|${hops}`
    let out = this.#waiting.get(key)
    for (const id of ids) {
      if (out === undefined) {
        out = { to, overlay, hops, ids: [] }
        this.#waiting.set(key, out)
      }
      out.ids.push(id)
      if (out.ids.length >= this.#maxIds || this.#delayMs === 0) {
        this.#waiting.delete(key)
        this.#c.send(out)
        out = undefined
      }
    }
    if (this.#waiting.size > 0) this.#timer ??= this.#c.clock.setTimeout(() => this.#flush(), this.#delayMs)
  }

  /** Forgets what is waiting and cancels the timer. */
  stop(): void {
    this.#timer?.()
    this.#timer = undefined
    this.#waiting.clear()
  }

  #flush(): void {
    this.#timer = undefined
    const due = [...this.#waiting.values()]
    this.#waiting.clear()
    for (const out of due) this.#c.send(out)
  }
}
