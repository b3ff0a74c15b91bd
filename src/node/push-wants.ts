/**
 * The announced ids a node asked for (IWANT after IHAVE, DESIGN §13), owned apart from the
 * push service that spreads bundles: when each was asked, the hops its spread may still use,
 * and the announcers heard since. An ask not answered within `wantTimeoutMs` (a lost request
 * or answer, an announcer that shed it) goes to the next announcer heard meanwhile, one
 * bundle-request per announcer for every id due (gossipsub's broken-promise rule); with no
 * other announcer left, the last one asked is asked once more (a request or its answer lost);
 * then the id is forgotten, so the next announcement asks again and the walk repairs
 * the rest. Bounded: `maxWanted` ids (oldest ask forgotten first), {@link MAX_OTHER_ANNOUNCERS}
 * announcers each, one timer.
 *
 * The timeout adapts as TCP's retransmission timeout does (RFC 6298): the smoothed round
 * trip plus four times its variation, never below `wantTimeoutMs`, at most
 * {@link MAX_WANT_TIMEOUT_FACTOR} times it. A sample is the time from an id's first ask to
 * its bundle, whichever ask brought it: an upper bound of the round trip (Karn's rule would
 * drop a re-asked id's sample, and a node whose every answer is late would never learn it).
 * A lost ask inflates one sample by the timeout; the estimate decays back within a few. A busy node answers an ask in more than a second;
 * a fixed timeout then asked every other announcer for the same bundle, each answer was a
 * duplicate to take in, and the node fell further behind (issue 22: on the testbed, four in
 * five asks fetched nothing new). Where answers come within the floor (the simulator, a
 * quiet network) nothing changes.
 *
 * An announced *name* is a 32-byte id or an 8-byte short id (the id's item hash,
 * docs/reconcile.md §14: what this node announces, 24 bytes less a name); asks are keyed by
 * the short id either way, so a bundle that arrives settles its ask whichever name was heard.
 */
import type { Cancel, Clock } from '../env/clock.js'
import { hex } from '../bytes.js'
import { shortIdOf, SHORT_ID_BYTES } from '../reconcile/index.js'
import { addressKey, type Address } from '../wire/index.js'
import type { OverlayWalk } from './overlay.js'

/** Announcers remembered per wanted id besides the one asked: gossipsub asks another peer when an IWANT promise is broken. */
export const MAX_OTHER_ANNOUNCERS = 3

/** The adaptive timeout's ceiling, as a multiple of `wantTimeoutMs`. */
export const MAX_WANT_TIMEOUT_FACTOR = 8

/** An announced id we asked for. */
export interface Want {
  overlay: OverlayWalk
  /** The name announced: a 32-byte id or an 8-byte short id. */
  id: Uint8Array
  at: number
  hops: number
  /** Announcers not asked yet, oldest first (at most {@link MAX_OTHER_ANNOUNCERS}). */
  others: Address[]
  /** The announcer asked last. */
  asked: Address
  /** Whether an announcer has been asked a second time (once per id: a lost request or answer, ~2 % at 1 % loss). */
  again: boolean
  /** When the id was first asked for (`at` is the latest ask): its bundle's delay from here is a round-trip sample. */
  firstAt: number
}

export interface PushWantsComponents {
  clock: Clock
  /** Whether the overlay's store holds the bundle named (a 32-byte id, or an 8-byte short id: a bundle with that item hash). */
  has(overlay: OverlayWalk, name: Uint8Array): Promise<boolean>
  /** Sends one bundle-request for `names` (ids and/or short ids, at most the decoder's ids per request of each) to `to`. */
  ask(to: Address, overlay: OverlayWalk, names: Uint8Array[]): void
}

export class PushWants {
  readonly #c: PushWantsComponents
  readonly #maxWanted: number
  /** The configured timeout: the adaptive one's floor. */
  readonly #floorMs: number
  /** The current timeout (ms). */
  #timeoutMs: number
  /** Smoothed round trip of asks and its variation (ms); undefined until the first sample. */
  #srtt: number | undefined
  #rttvar = 0
  readonly #idsPerAsk: number
  /** By overlay and id (hex), oldest ask first. */
  readonly #wanted = new Map<string, Want>()
  /** Fires when the oldest ask's timeout is up. */
  #timer: Cancel | undefined
  /** Bumped by stop(): a re-ask in flight across it sends nothing. */
  #generation = 0

  constructor(options: { maxWanted: number; wantTimeoutMs: number; idsPerAsk: number }, components: PushWantsComponents) {
    this.#maxWanted = options.maxWanted
    this.#floorMs = options.wantTimeoutMs
    this.#timeoutMs = options.wantTimeoutMs
    this.#idsPerAsk = options.idsPerAsk
    this.#c = components
  }

  /** Ids asked for and waiting (for the bound's test). */
  get size(): number {
    return this.#wanted.size
  }

  /** The timeout of an ask now (ms). */
  get timeoutMs(): number {
    return this.#timeoutMs
  }

  /** Forgets every ask and the round trips measured, and cancels the timer. */
  stop(): void {
    this.#wanted.clear()
    this.#srtt = undefined
    this.#timeoutMs = this.#floorMs
    this.#timer?.()
    this.#timer = undefined
    this.#generation++
  }

  /**
   * `from` announced `ids`: those we lack and have not asked anyone for are asked of it; an id
   * already asked for remembers `from` as another announcer.
   */
  async announced(overlay: OverlayWalk, ids: readonly Uint8Array[], hops: number, from: Address): Promise<void> {
    const missing: Uint8Array[] = []
    const now = this.#c.clock.now()
    for (const id of ids) {
      const asked = this.#wanted.get(wantKey(overlay, id))
      if (asked !== undefined && now < asked.at + this.#timeoutMs) {
        const announcer = addressKey(from)
        if (asked.others.length < MAX_OTHER_ANNOUNCERS && !asked.others.some((a) => addressKey(a) === announcer)) asked.others.push(from)
        continue
      }
      if (await this.#c.has(overlay, id)) continue
      this.#remember({ overlay, id, at: now, hops, others: [], asked: from, again: false, firstAt: now })
      missing.push(id)
    }
    if (missing.length === 0) return
    this.#c.ask(from, overlay, missing)
    this.#arm()
  }

  /** The bundle `id` arrived: its ask, if we made one, is done and returned. */
  take(overlay: OverlayWalk, id: Uint8Array): Want | undefined {
    const key = wantKey(overlay, id)
    const want = this.#wanted.get(key)
    if (want === undefined) return undefined
    this.#wanted.delete(key)
    this.#sample(this.#c.clock.now() - want.firstAt)
    return want
  }

  /** One round-trip sample (RFC 6298 §2): the timeout follows the smoothed RTT + 4 × its variation, within its floor and ceiling. */
  #sample(rtt: number): void {
    if (this.#srtt === undefined) {
      this.#srtt = rtt
      this.#rttvar = rtt / 2
    } else {
      this.#rttvar = 0.75 * this.#rttvar + 0.25 * Math.abs(this.#srtt - rtt)
      this.#srtt = 0.875 * this.#srtt + 0.125 * rtt
    }
    this.#timeoutMs = Math.min(MAX_WANT_TIMEOUT_FACTOR * this.#floorMs, Math.max(this.#floorMs, Math.ceil(this.#srtt + 4 * this.#rttvar)))
  }

  /** (Re)inserts an ask as the newest, forgetting the oldest beyond the bound. */
  #remember(want: Want): void {
    const key = wantKey(want.overlay, want.id)
    this.#wanted.delete(key)
    this.#wanted.set(key, want)
    if (this.#wanted.size > this.#maxWanted) this.#wanted.delete(this.#wanted.keys().next().value as string)
  }

  #arm(): void {
    if (this.#timer !== undefined) return
    const oldest = this.#wanted.values().next().value as Want | undefined
    if (oldest === undefined) return
    const delay = Math.max(0, oldest.at + this.#timeoutMs - this.#c.clock.now())
    this.#timer = this.#c.clock.setTimeout(() => {
      this.#timer = undefined
      void this.#reask()
    }, delay)
  }

  /** The asks whose timeout is up go to their next announcer, grouped per announcer. */
  async #reask(): Promise<void> {
    const generation = this.#generation
    const now = this.#c.clock.now()
    const due: Want[] = []
    for (const want of this.#wanted.values()) {
      if (want.at + this.#timeoutMs > now) break
      due.push(want)
    }
    for (const want of due) this.#wanted.delete(wantKey(want.overlay, want.id))
    const asks = new Map<string, { to: Address; overlay: OverlayWalk; ids: Uint8Array[] }>()
    for (const want of due) {
      // The next announcer heard; with none left, the last one asked once more.
      let next = want.others.shift()
      let again = want.again
      if (next === undefined && !again) {
        next = want.asked
        again = true
      }
      if (next === undefined || (await this.#c.has(want.overlay, want.id))) continue
      if (generation !== this.#generation) return
      this.#remember({ ...want, at: now, asked: next, again })
      const askKey = `${hex(want.overlay.id)}|${addressKey(next)}`
      const ask = asks.get(askKey) ?? { to: next, overlay: want.overlay, ids: [] }
      ask.ids.push(want.id)
      asks.set(askKey, ask)
    }
    if (generation !== this.#generation) return
    for (const ask of asks.values()) {
      for (let i = 0; i < ask.ids.length; i += this.#idsPerAsk) this.#c.ask(ask.to, ask.overlay, ask.ids.slice(i, i + this.#idsPerAsk))
    }
    this.#arm()
  }
}

/** An ask's key: the overlay and the short id of the name (a short id as it is, an id's item hash). */
function wantKey(overlay: OverlayWalk, name: Uint8Array): string {
  return hex(overlay.id) + hex(shortOf(name))
}

/** The 8-byte short id of a 32-byte id (its item hash); a short id as it is. */
export function shortOf(name: Uint8Array): Uint8Array {
  return name.length === SHORT_ID_BYTES ? name : shortIdOf(name)
}
