/**
 * Push, then pull (DESIGN §13): a published bundle goes at once to a few validated
 * candidates, and a receiver that did not have a *fresh* pushed bundle forwards it once to
 * a few validated candidates other than its sender, while the push's hop count allows, and
 * announces its id (IHAVE: a push with `have`) to a few more. A receiver of an announcement
 * that lacks the bundle asks the announcer for it with a bundle-request (IWANT) and, once it
 * arrives, spreads it the same way: eager copies stay few (bytes), announcements close the
 * gaps random forwarding leaves (latency), at ~70 bytes each instead of a whole bundle.
 * "Validated" is the anti-amplification guard's notion: the address answered our random
 * identifier or echoed our token, so a spoofer cannot aim a push. Forwarding is bounded per
 * second and per source; whatever push misses, the Bloom walk and catch-up repair.
 *
 * {@link PushService.receive} is the one way a pushed bundle enters the node.
 */
import type { Bundle } from '../bundle/types.js'
import type { Cancel, Clock } from '../env/clock.js'
import { int, type Rng } from '../env/rng.js'
import { BloomwalkError } from '../errors.js'
import { addressKey, DEFAULT_DECODE_LIMITS, parseAddressKey, type Address, type PushPacket } from '../wire/index.js'
import type { AmplificationGuard } from './amplification.js'
import type { Charge } from './charge.js'
import { hex } from '../bytes.js'
import type { OverlayWalk } from './overlay.js'
import { GapFetch } from './gap-fetch.js'
import { PushWants, shortOf } from './push-wants.js'
import { SHORT_ID_BYTES } from '../reconcile/index.js'
import type { Packet } from '../wire/index.js'

/** How far and how wide fresh bundles are pushed. Chosen by measurement: docs/evaluation.md §4.8. */
export interface PushOptions {
  /** Validated candidates a published bundle (or ephemeral message) is pushed to; 0 turns push off. Default 6. */
  fanout: number
  /** Validated candidates, other than its sender, a fresh pushed bundle is forwarded to (whole). Default 1: the announcements do the rest. */
  forwardFanout: number
  /**
   * Hops a push on publish carries: how many times it may be forwarded after the first send.
   * Default 8: with 6 then 3 per hop a push can reach 6 · (3⁸ − 1) / 2 ≈ 20 000 peers before
   * duplicates; 4 hops stop at 726, short of a 1 000-peer room even without duplicates.
   */
  hops: number
  /** A pushed bundle is fresh when its global time is within this many units of ours. Default 16. */
  freshWindow: number
  /** Bundles forwarded per second, all sources together (each to `forwardFanout` peers). Default 100. */
  maxForwardsPerSecond: number
  /** Bundles forwarded per second on behalf of one source address (the peer that pushed them). Default 20. */
  maxForwardsPerSourcePerSecond: number
  /** Source addresses whose forward budget is remembered (oldest forgotten first). Default 1 024. */
  maxSources: number
  /**
   * Validated candidates, other than the sender and the forward targets, a fresh bundle's id
   * is announced to (an ephemeral message, which cannot be asked for, goes to them whole).
   * Default 4. With 1 and 4, 200 peers of the `spread` preset get a fresh message at P99
   * 0.86 s for 4.0× its bytes; forwarding to 3 without announcements, 3.73 s for 3.6×
   * (docs/evaluation.md §4.8).
   */
  announceFanout: number
  /**
   * Trusted peers a published bundle also goes to, besides the `fanout` others: validated
   * trusted candidates that hold data (reported a global time above 0; a tracker reports 0).
   * Default 3. Under an eclipse they are where the others find what the Sybils withhold
   * (docs/security.md, "Sybil and eclipse", rule 7); a room without trusted peers pays nothing.
   */
  trustedFanout: number
  /** Announced ids we asked for and wait for (oldest forgotten first). Default 1 024. */
  maxWanted: number
  /** ms after asking for an announced id before the next announcer heard meanwhile is asked (or, when none, the next one to announce it). Default 1 000. */
  wantTimeoutMs: number
  /**
   * ms announcements wait so that ids for the same candidate share a datagram (up to 32 ids
   * each); 0 sends each at once. Default 25: one more lazy hop costs 25 ms, a burst of fresh
   * bundles costs a few datagrams per candidate instead of one per id.
   */
  announceDelayMs: number
}

/** Ids in one announcement: the decoder's default `maxIdsPerRequest`. */
const MAX_IDS_PER_ANNOUNCEMENT = DEFAULT_DECODE_LIMITS.maxIdsPerRequest

export const PUSH_DEFAULTS: Readonly<PushOptions> = Object.freeze({
  fanout: 6,
  forwardFanout: 1,
  hops: 8,
  freshWindow: 16,
  maxForwardsPerSecond: 100,
  maxForwardsPerSourcePerSecond: 20,
  maxSources: 1024,
  announceFanout: 4,
  trustedFanout: 3,
  maxWanted: 1024,
  wantTimeoutMs: 1000,
  announceDelayMs: 25
})

/**
 * The defaults with some overridden, checked.
 * @throws {BloomwalkError} INVALID_ARGUMENT when a value is not a non-negative safe integer
 */
export function pushOptions(overrides: Partial<PushOptions> = {}): Readonly<PushOptions> {
  const o: PushOptions = { ...PUSH_DEFAULTS }
  for (const [name, value] of Object.entries(overrides)) if (value !== undefined) (o as unknown as Record<string, number>)[name] = value
  for (const [name, value] of Object.entries(o)) {
    if (!Number.isSafeInteger(value) || value < 0) throw new BloomwalkError('INVALID_ARGUMENT', `push option ${name} must be a non-negative integer, got ${String(value)}`)
  }
  return Object.freeze(o)
}

/** Counters of the push path (in `stats().push`). */
export interface PushStats {
  /** Push datagrams sent for our own bundles and ephemeral messages. */
  published: number
  /** Push datagrams received (after the source check). */
  received: number
  /** Bundles in them that were new to us. */
  fresh: number
  /** Push datagrams sent forwarding someone else's bundles. */
  forwarded: number
  /** New pushed bundles not forwarded: hop count spent, or not fresh. */
  notForwarded: number
  /** New pushed bundles not forwarded because a per-second or per-source budget was spent. */
  overBudget: number
  /** Announcement datagrams (ids only) sent. */
  announced: number
  /** Announced ids we lacked and asked an announcer for (asking another one when the first did not answer counts again). */
  wanted: number
  /** Of those, bundles that arrived (then spread like a pushed one). */
  fetched: number
  /** Global times g − 1 looked up after a fresh bundle at g arrived (./gap-fetch.ts). */
  gapChecks: number
  /** Of those, held nothing: asked of the bundle's sender. */
  gapFetches: number
  /** Gap checks not made: their bound was reached. */
  gapOverBound: number
}

/** What the push service uses of the node. */
export interface PushComponents {
  clock: Clock
  rng: Rng
  guard: Pick<AmplificationGuard, 'isValidated'>
  send(to: Address, overlay: Uint8Array, packet: Packet, charge: Charge): boolean
  /** Checks, stores and delivers; returns the bundles that were new. */
  accept(overlay: OverlayWalk, bundles: readonly Bundle[], from: Address): Promise<Bundle[]>
  /** Checks and delivers ephemeral bundles once each; returns those delivered now. */
  acceptEphemeral(overlay: OverlayWalk, bundles: readonly Bundle[], from: Address): Bundle[]
  /** Whether the overlay's store holds the bundle `id`. */
  has(overlay: OverlayWalk, id: Uint8Array): Promise<boolean>
  /** Whether the overlay's store holds a bundle with the 8-byte short id `short` (its item hash). */
  hasShort(overlay: OverlayWalk, short: Uint8Array): Promise<boolean>
  /** Pushed bundles were new (the ledger's offers count the pushes it lives on). */
  pushed?(overlay: OverlayWalk): void
  /** Whether the overlay's store holds any bundle at `globalTime` (gaps below a pushed bundle, ./gap-fetch.ts); without it, gaps are the walk's. */
  holdsAt?(overlay: OverlayWalk, globalTime: number): Promise<boolean>
}

/** Push counters at zero (a tracker's, which never pushes). */
export function emptyPushStats(): PushStats {
  return { published: 0, received: 0, fresh: 0, forwarded: 0, notForwarded: 0, overBudget: 0, announced: 0, wanted: 0, fetched: 0, gapChecks: 0, gapFetches: 0, gapOverBound: 0 }
}

/** Announcements waiting for their datagram: one per (overlay, candidate, hops). */
interface Outgoing {
  to: Address
  overlay: Uint8Array
  hops: number
  /** Short ids of the bundles announced. */
  ids: Uint8Array[]
}

/** A one-second window's count. */
interface Window {
  second: number
  count: number
}

export class PushService {
  readonly options: Readonly<PushOptions>
  readonly #c: PushComponents
  readonly #stats: PushStats = emptyPushStats()
  #all: Window = { second: -1, count: 0 }
  readonly #bySource = new Map<string, Window>()
  /** Announced ids we asked for, and their re-asks. */
  readonly #wants: PushWants
  /** Announcements waiting for {@link PushOptions.announceDelayMs}; at most one per candidate and hops, each under 32 ids. */
  readonly #outbox = new Map<string, Outgoing>()
  #flushTimer: Cancel | undefined
  /** Gaps below fresh bundles, looked up after `wantTimeoutMs`; absent without `holdsAt`. */
  readonly #gaps: GapFetch | undefined

  constructor(options: Partial<PushOptions> | undefined, components: PushComponents) {
    this.options = pushOptions(options)
    this.#c = components
    const holdsAt = components.holdsAt
    this.#gaps = holdsAt === undefined ? undefined : new GapFetch({ clock: components.clock, holdsAt, send: components.send }, this.options.wantTimeoutMs)
    this.#wants = new PushWants(
      { maxWanted: this.options.maxWanted, wantTimeoutMs: this.options.wantTimeoutMs, idsPerAsk: MAX_IDS_PER_ANNOUNCEMENT },
      {
        clock: components.clock,
        has: (overlay, name) => (name.length === SHORT_ID_BYTES ? components.hasShort(overlay, name) : components.has(overlay, name)),
        ask: (to, overlay, names) => {
          const ids = names.filter((n) => n.length !== SHORT_ID_BYTES)
          const shortIds = names.filter((n) => n.length === SHORT_ID_BYTES)
          const request = shortIds.length > 0 ? { type: 'bundle-request' as const, ids, shortIds } : { type: 'bundle-request' as const, ids }
          if (this.#c.send(to, overlay.id, request, 'destination')) this.#stats.wanted += names.length
        }
      }
    )
  }

  stats(): PushStats {
    const gaps = this.#gaps?.stats()
    return { ...this.#stats, gapChecks: gaps?.checked ?? 0, gapFetches: gaps?.fetched ?? 0, gapOverBound: gaps?.overBound ?? 0 }
  }

  /** Forgets the per-second budgets, the ids asked for and the announcements not sent yet, and cancels their timer. */
  stop(): void {
    this.#all = { second: -1, count: 0 }
    this.#bySource.clear()
    this.#wants.stop()
    this.#flushTimer?.()
    this.#flushTimer = undefined
    this.#outbox.clear()
    this.#gaps?.stop()
  }

  /** Listens for gaps again after {@link stop} (the node restarted). */
  start(): void {
    this.#gaps?.start()
  }

  /** Pushes our own new bundle (or ephemeral message) to up to `fanout` validated candidates and `trustedFanout` trusted peers; returns how many. */
  publish(overlay: OverlayWalk, bundle: Bundle, ephemeral = false): number {
    const { fanout, hops } = this.options
    let sent = 0
    for (const to of [...this.trustedTargets(overlay), ...this.targets(overlay, fanout, undefined)]) {
      if (this.#c.send(to, overlay.id, push([bundle], hops, ephemeral), 'destination')) sent++
    }
    this.#stats.published += sent
    return sent
  }

  /**
   * The one way a pushed bundle enters the node (the push handler calls it after its source
   * check): store or deliver what is new and spread what is fresh while hops remain; ask the
   * sender for the announced ids we lack.
   */
  async receive(overlay: OverlayWalk, packet: PushPacket, from: Address): Promise<void> {
    this.#stats.received++
    const ephemeral = packet.ephemeral === true
    if (!ephemeral) {
      if (packet.have !== undefined && packet.have.length > 0) await this.#wants.announced(overlay, packet.have, packet.hops, from)
      if (packet.haveShort !== undefined && packet.haveShort.length > 0) await this.#wants.announced(overlay, packet.haveShort, packet.hops, from)
    }
    if (packet.bundles.length === 0) return
    const fresh = ephemeral ? this.#c.acceptEphemeral(overlay, packet.bundles, from) : await this.#c.accept(overlay, packet.bundles, from)
    this.#stats.fresh += fresh.length
    if (fresh.length === 0) return
    if (!ephemeral) {
      this.#c.pushed?.(overlay)
      this.#heard(overlay, fresh, from)
    }
    this.#spread(overlay, fresh, packet.hops, from, ephemeral)
  }

  /**
   * Bundles that arrived in a `bundles` datagram and were new (the bundles handler calls it):
   * those we asked for after an announcement spread as if pushed, with the announcement's hops.
   */
  fetched(overlay: OverlayWalk, fresh: readonly Bundle[], from: Address): void {
    if (this.#wants.size === 0) return
    for (const b of fresh) {
      const want = this.#wants.take(overlay, b.id)
      if (want === undefined) continue
      this.#stats.fetched++
      this.#heard(overlay, [b], from)
      this.#spread(overlay, [b], want.hops, from, false)
    }
  }

  /** Fresh bundles new to us from `from`: gaps below them are looked up after a while. */
  #heard(overlay: OverlayWalk, bundles: readonly Bundle[], from: Address): void {
    if (this.#gaps === undefined) return
    const fresh = bundles.filter((b) => b.globalTime + this.options.freshWindow > overlay.clock.time)
    if (fresh.length > 0) this.#gaps.heard(overlay, from, fresh.map((b) => b.globalTime))
  }

  /** Forwards fresh bundles to `forwardFanout` targets and announces their ids to `announceFanout` others. */
  #spread(overlay: OverlayWalk, fresh: readonly Bundle[], hopsIn: number, from: Address, ephemeral: boolean): void {
    const now = this.#c.clock.now()
    const source = addressKey(from)
    const forward: Bundle[] = []
    for (const b of fresh) {
      if (hopsIn === 0 || b.globalTime + this.options.freshWindow <= overlay.clock.time) this.#stats.notForwarded++
      else if (!this.#spend(source, now)) this.#stats.overBudget++
      else forward.push(b)
    }
    if (forward.length === 0) return
    // Our own hop limit bounds what we relay, whatever the sender asked for.
    const hops = Math.max(0, Math.min(hopsIn, this.options.hops) - 1)
    // Ephemeral messages cannot be asked for (they are never stored): every target gets the
    // message itself (they are small: typing, presence).
    const eager = ephemeral ? this.options.forwardFanout + this.options.announceFanout : this.options.forwardFanout
    const targets = this.targets(overlay, this.options.forwardFanout + this.options.announceFanout, source)
    targets.forEach((to, i) => {
      if (i >= eager) return this.#announce(to, overlay.id, forward, hops)
      if (this.#c.send(to, overlay.id, push(forward, hops, ephemeral), 'destination')) this.#stats.forwarded++
    })
  }

  /** Queues the ids of `bundles` for `to`; a full datagram's worth goes at once, the rest after `announceDelayMs`. */
  #announce(to: Address, overlay: Uint8Array, bundles: readonly Bundle[], hops: number): void {
    const key = `${hex(overlay)}|${addressKey(to)}|${hops}`
    let out = this.#outbox.get(key)
    for (const b of bundles) {
      if (out === undefined) {
        out = { to, overlay, hops, ids: [] }
        this.#outbox.set(key, out)
      }
      out.ids.push(shortOf(b.id))
      if (out.ids.length >= MAX_IDS_PER_ANNOUNCEMENT || this.options.announceDelayMs === 0) {
        this.#sendAnnouncement(out)
        this.#outbox.delete(key)
        out = undefined
      }
    }
    if (this.#outbox.size > 0) this.#flushTimer ??= this.#c.clock.setTimeout(() => this.#flush(), this.options.announceDelayMs)
  }

  #flush(): void {
    this.#flushTimer = undefined
    for (const out of this.#outbox.values()) this.#sendAnnouncement(out)
    this.#outbox.clear()
  }

  /** Announces by short id: 8 bytes a name instead of 32 (a 74-byte announcement of one id becomes 50). */
  #sendAnnouncement(out: Outgoing): void {
    if (this.#c.send(out.to, out.overlay, { type: 'push', bundles: [], hops: out.hops, haveShort: out.ids }, 'destination')) this.#stats.announced++
  }

  /** Announced ids waiting for their bundle (for the bound's test). */
  get wantedIds(): number {
    return this.#wants.size
  }

  /**
   * Up to `n` validated candidates of the overlay (walk or stumble: their NAT holes are open),
   * other than `except`, drawn uniformly (partial Fisher–Yates over the injected rng).
   */
  targets(overlay: OverlayWalk, n: number, except: string | undefined): Address[] {
    if (n === 0) return []
    const now = this.#c.clock.now()
    const pool: Address[] = []
    for (const c of overlay.candidates.list(now)) {
      if (c.key === except || c.trusted || !this.#c.guard.isValidated(c.key)) continue
      const category = overlay.candidates.category(c.key, now)
      if (category !== 'walk' && category !== 'stumble') continue
      const to = parseAddressKey(c.key)
      if (to !== null) pool.push(to)
    }
    const k = Math.min(n, pool.length)
    for (let i = 0; i < k; i++) {
      const j = i + int(this.#c.rng, pool.length - i)
      const t = pool[i]!
      pool[i] = pool[j]!
      pool[j] = t
    }
    return pool.slice(0, k)
  }

  /**
   * Up to `trustedFanout` validated trusted candidates that hold data (their last reported
   * global time is above 0: a tracker reports 0), in table order.
   */
  trustedTargets(overlay: OverlayWalk): Address[] {
    const n = this.options.trustedFanout
    if (n === 0 || this.options.fanout === 0) return []
    const out: Address[] = []
    for (const c of overlay.candidates.list(this.#c.clock.now())) {
      if (out.length >= n) break
      if (!c.trusted || !this.#c.guard.isValidated(c.key) || !((overlay.peerTime(c.key) ?? 0) > 0)) continue
      const to = parseAddressKey(c.key)
      if (to !== null) out.push(to)
    }
    return out
  }

  /** Counts one forwarded bundle against the global and the source's budget; false when either is spent. */
  #spend(source: string, now: number): boolean {
    const second = Math.floor(now / 1000)
    if (this.#all.second !== second) this.#all = { second, count: 0 }
    let w = this.#bySource.get(source)
    if (w === undefined || w.second !== second) {
      this.#bySource.delete(source)
      w = { second, count: 0 }
      this.#bySource.set(source, w)
      if (this.#bySource.size > this.options.maxSources) this.#bySource.delete(this.#bySource.keys().next().value as string)
    }
    if (this.#all.count >= this.options.maxForwardsPerSecond || w.count >= this.options.maxForwardsPerSourcePerSecond) return false
    this.#all.count++
    w.count++
    return true
  }

  /** Sources whose budget is remembered (for the bound's test). */
  get trackedSources(): number {
    return this.#bySource.size
  }
}

function push(bundles: readonly Bundle[], hops: number, ephemeral: boolean): PushPacket {
  return ephemeral ? { type: 'push', bundles, hops, ephemeral: true } : { type: 'push', bundles, hops }
}
