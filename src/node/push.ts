/**
 * Push, then pull (DESIGN §13): a published bundle goes at once to a few validated
 * candidates, and a receiver that did not have a *fresh* pushed bundle forwards it once to
 * a few validated candidates other than its sender, while the push's hop count allows, and
 * announces its id (IHAVE: a push with `have`) to a few more. A receiver of an announcement
 * that lacks the bundle asks the announcer for it with a bundle-request (IWANT) and, once it
 * arrives, spreads it the same way: eager copies stay few (bytes), announcements close the
 * gaps random forwarding leaves (latency), at 50 bytes each instead of a whole bundle. What
 * a node heard steers it: announcers are holders (never targets), several mean the bundle is
 * widespread (fewer announcements, none whole), and a busy room (more new bundles a second
 * than `busyFreshPerSecond`) is left to the walk, which carries many bundles a datagram,
 * but for one bundle per author per 30 s when `busyAuthorsPerSecond` asks (./push-busy.ts).
 * "Validated" is the anti-amplification guard's notion: the address answered our random
 * identifier or echoed our token, so a spoofer cannot aim a push. Forwarding is bounded per
 * second and per source; whatever push misses, the Bloom walk and catch-up repair.
 *
 * {@link PushService.receive} is the one way a pushed bundle enters the node.
 */
import type { Bundle } from '../bundle/types.js'
import type { Clock } from '../env/clock.js'
import { addressKey, type Address, type PushPacket } from '../wire/index.js'
import type { Charge } from './charge.js'
import type { OverlayWalk } from './overlay.js'
import { GapFetch } from './gap-fetch.js'
import { AnnouncementOutbox } from './push-outbox.js'
import { ArrivalRate, BusyRoomSpread } from './push-busy.js'
import { ForwardBudget } from './push-budget.js'
import { RecentFresh } from './push-recent.js'
import { MAX_IDS_PER_ANNOUNCEMENT, pushOptions, type PushOptions } from './push-options.js'
import { PushWants, shortOf, type Want } from './push-wants.js'
import { pushTargets, recentWalkersBehind, RECENT_FIRST, trustedPushTargets, type PushTargetsContext } from './push-targets.js'
import { SHORT_ID_BYTES } from '../reconcile/index.js'
import { emptyPushStats, type PushStats } from './push-stats.js'
import type { Packet } from '../wire/index.js'

export { PUSH_DEFAULTS, pushOptions, type PushOptions } from './push-options.js'
export { RECENT_FIRST } from './push-targets.js'
export { emptyPushStats, type PushStats } from './push-stats.js'


/** What the push service uses of the node (the clock, the rng, the guard and the step are its targets' too: ./push-targets.ts). */
export interface PushComponents extends PushTargetsContext {
  clock: Clock
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

/** Peers known to hold the bundles being spread (announcers heard), and the fewest announcers any one of them had. */
interface Holders {
  keys: ReadonlySet<string>
  fewest: number
}

const NO_HOLDERS: Holders = Object.freeze({ keys: new Set<string>(), fewest: 0 })

/** The holders the asks of some bundles name (an absent ask: a bundle nobody announced, so none). */
function holdersOf(wants: readonly (Want | undefined)[]): Holders {
  const keys = new Set<string>()
  let fewest = Infinity
  for (const want of wants) {
    const announcers = want === undefined ? [] : [want.asked, ...want.others]
    for (const a of announcers) keys.add(addressKey(a))
    fewest = Math.min(fewest, announcers.length)
  }
  return { keys, fewest: wants.length === 0 ? 0 : fewest }
}

/**
 * Seconds over which a busy room's rate is averaged: long enough that a burst (a hundred
 * messages in two seconds) is not a busy room, and the walk's answers (bursts every step)
 * do not make a bulk load look quiet between them.
 */
export const BUSY_WINDOW_SECONDS = 30

export class PushService {
  readonly options: Readonly<PushOptions>
  readonly #c: PushComponents
  readonly #stats: PushStats = emptyPushStats()
  /** New bundles a second over the last {@link BUSY_WINDOW_SECONDS} seconds (./push-busy.ts). */
  readonly #arrivals = new ArrivalRate(BUSY_WINDOW_SECONDS)
  /** What we forward a second, in all and per source (./push-budget.ts). */
  readonly #budget: ForwardBudget
  /** Announced ids we asked for, and their re-asks. */
  readonly #wants: PushWants
  /** Announcements waiting for {@link PushOptions.announceDelayMs} (./push-outbox.ts). */
  readonly #outbox: AnnouncementOutbox
  /** Gaps below fresh bundles, looked up after `wantTimeoutMs`; absent without `holdsAt`. */
  readonly #gaps: GapFetch | undefined
  /** The authors a busy room still spreads (./push-busy.ts). */
  readonly #busySpread: BusyRoomSpread
  /** The freshest bundles taken in lately, named in our walk datagrams (./push-recent.ts). */
  readonly #recent: RecentFresh

  constructor(options: Partial<PushOptions> | undefined, components: PushComponents) {
    this.options = pushOptions(options)
    this.#c = components
    this.#busySpread = new BusyRoomSpread(BUSY_WINDOW_SECONDS, this.options.busyAuthorsPerSecond)
    this.#recent = new RecentFresh(this.options.recentMs)
    this.#budget = new ForwardBudget(this.options)
    this.#outbox = new AnnouncementOutbox({ delayMs: this.options.announceDelayMs, maxIds: MAX_IDS_PER_ANNOUNCEMENT }, {
      clock: components.clock,
      send: (a) => {
        if (this.#c.send(a.to, a.overlay, { type: 'push', bundles: [], hops: a.hops, haveShort: a.ids }, 'destination')) this.#stats.announced++
      }
    })
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
    this.#arrivals.clear()
    this.#budget.clear()
    this.#busySpread.clear()
    this.#wants.stop()
    this.#outbox.stop()
    this.#gaps?.stop()
    this.#recent.clear()
  }

  /** Listens for gaps again after {@link stop} (the node restarted). */
  start(): void {
    this.#gaps?.start()
  }

  /** Pushes our own new bundle (or ephemeral message) to up to `fanout` validated candidates and `trustedFanout` trusted peers; returns how many. */
  publish(overlay: OverlayWalk, bundle: Bundle, ephemeral = false): number {
    const { fanout, hops } = this.options
    if (!ephemeral && fanout > 0) this.#recent.took(overlay, [bundle], this.#c.clock.now())
    let sent = 0
    for (const to of [...this.trustedTargets(overlay), ...this.targets(overlay, fanout, undefined, bundle.globalTime)]) {
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
      this.#arrivals.count(fresh.length, this.#c.clock.now())
      this.#tookFresh(overlay, fresh)
    }
    let holders = NO_HOLDERS
    if (!ephemeral) {
      this.#c.pushed?.(overlay)
      this.#heard(overlay, fresh, from)
      holders = this.#announcersOf(overlay, fresh)
    }
    this.#spread(overlay, fresh, packet.hops, from, ephemeral, holders)
  }

  /**
   * Bundles that arrived in a `bundles` datagram and were new (the bundles handler calls it):
   * they count towards a busy room, and those we asked for after an announcement spread as if
   * pushed, with the announcement's hops.
   */
  fetched(overlay: OverlayWalk, fresh: readonly Bundle[], from: Address): void {
    this.#arrivals.count(fresh.length, this.#c.clock.now())
    this.#tookFresh(overlay, fresh)
    const unasked: Bundle[] = []
    for (const b of fresh) {
      const want = this.#wants.size === 0 ? undefined : this.#wants.take(overlay, b.id)
      if (want === undefined) {
        unasked.push(b)
        continue
      }
      this.#stats.fetched++
      this.#heard(overlay, [b], from)
      // Every announcer heard holds it: none of them is a target, and each one beyond the
      // first says the bundle is already widespread here, so it is announced to one fewer.
      this.#spread(overlay, [b], want.hops, from, false, holdersOf([want]))
    }
    // The walk's answers, what is newer, a gap: not spread, but the walkers behind them hear.
    this.#tellRecentWalkers(overlay, unasked, new Set([addressKey(from)]))
  }

  /** The announcers heard of `bundles` that we had asked for before a push brought them (their asks are done). */
  #announcersOf(overlay: OverlayWalk, bundles: readonly Bundle[]): Holders {
    if (this.#wants.size === 0) return NO_HOLDERS
    return holdersOf(bundles.map((b) => this.#wants.take(overlay, b.id)))
  }

  /** Fresh bundles new to us from `from`: gaps below them are looked up after a while. */
  #heard(overlay: OverlayWalk, bundles: readonly Bundle[], from: Address): void {
    if (this.#gaps === undefined) return
    const fresh = bundles.filter((b) => this.#isFresh(overlay, b))
    if (fresh.length > 0) this.#gaps.heard(overlay, from, fresh.map((b) => b.globalTime))
  }

  /**
   * Forwards fresh bundles to `forwardFanout` targets and announces their ids to
   * `announceFanout` others, none of them `from` or another known holder; each announcer
   * heard beyond the first before a bundle came takes one announcement off, and two or more
   * make the forward an announcement too: rumor mongering with feedback (Demers et al.
   * 1987), the copies a saturated neighbourhood does not need.
   */
  #spread(overlay: OverlayWalk, fresh: readonly Bundle[], hopsIn: number, from: Address, ephemeral: boolean, holders: Holders = NO_HOLDERS): void {
    const now = this.#c.clock.now()
    const source = addressKey(from)
    const busy = !ephemeral && this.#isBusy(now)
    const forward: Bundle[] = []
    const spent: Bundle[] = []
    for (const b of fresh) {
      if (hopsIn === 0 || !this.#isFresh(overlay, b)) {
        this.#stats.notForwarded++
        if (hopsIn === 0 && !ephemeral) spent.push(b)
      } else if (busy && !this.#busySpread.admit(b.author, now)) this.#stats.busy++
      else if (!this.#budget.spend(source, now)) this.#stats.overBudget++
      else forward.push(b)
    }
    this.#tellRecentWalkers(overlay, spent, new Set([source, ...holders.keys]))
    if (forward.length === 0) return
    // Our own hop limit bounds what we relay, whatever the sender asked for.
    const hops = Math.max(0, Math.min(hopsIn, this.options.hops) - 1)
    // A bundle two or more peers announced before it came is widespread here: it goes on
    // lazily, its forward targets get its id too, so the whole copies that late in a spread
    // land on holders are ids (Plumtree's eager and lazy push, driven by what we heard).
    // Ephemeral messages cannot be asked for (they are never stored): every target gets the
    // message itself (they are small: typing, presence).
    const lazy = holders.fewest > 1 && !ephemeral
    const announce = Math.max(0, this.options.announceFanout - Math.max(0, holders.fewest - 1))
    const eager = lazy ? 0 : ephemeral ? this.options.forwardFanout + announce : this.options.forwardFanout
    const except = new Set([source, ...holders.keys])
    const targets = this.targets(overlay, this.options.forwardFanout + announce, except, Math.max(...forward.map((b) => b.globalTime)))
    // Announced by short id: 8 bytes a name instead of 32 (a 74-byte announcement of one id becomes 50).
    const ids = forward.map((b) => shortOf(b.id))
    targets.forEach((to, i) => {
      if (i >= eager) return this.#outbox.add(to, overlay.id, ids, hops)
      if (this.#c.send(to, overlay.id, push(forward, hops, ephemeral), 'destination')) this.#stats.forwarded++
    })
  }

  /**
   * Fresh bundles we take in but do not spread (their hops are spent, or they came in an
   * answer, not a push) are announced, with no hops left, to up to {@link RECENT_FIRST}
   * peers that walked to us within the last step at or below their global time
   * (./push-targets.ts `recentWalkersBehind`): our answer to them lacked the bundle, and
   * their next walk is a step away. The tail of `spread` was such peers: a walker we
   * answered just before a push with no hops left reached us (issue 17, docs/evaluation.md
   * §4.8). Not while the room is busy (the walk carries it).
   */
  #tellRecentWalkers(overlay: OverlayWalk, bundles: readonly Bundle[], except: ReadonlySet<string>): void {
    const fresh = bundles.filter((b) => this.#isFresh(overlay, b))
    if (fresh.length === 0 || this.options.fanout === 0 || this.#isBusy(this.#c.clock.now())) return
    const upTo = Math.max(...fresh.map((b) => b.globalTime))
    const ids = fresh.map((b) => shortOf(b.id))
    for (const to of recentWalkersBehind(this.#c, overlay, RECENT_FIRST, except, upTo)) {
      this.#stats.toldWalkers++
      this.#outbox.add(to, overlay.id, ids, 0)
    }
  }

  /** Authors a busy room remembers having spread (for the bound's test). */
  get busyAuthors(): number {
    return this.#busySpread.size
  }

  /**
   * Short ids of the freshest bundles we took in within `recentMs` (with `upTo`: at a global
   * time up to it), to name in an introduction-response or puncture-request (none while the
   * room is busy: the walk carries it, many bundles a datagram).
   */
  recentIds(overlay: OverlayWalk, upTo?: number): Uint8Array[] {
    const now = this.#c.clock.now()
    if (this.options.fanout === 0 || this.#isBusy(now)) return []
    return this.#recent.named(overlay, now, upTo)
  }

  /**
   * A validated peer named its freshest bundles in a walk datagram: those we lack are asked
   * of it as after an announcement, with no hops left (a peer push missed is a gap to fill,
   * not a new spread).
   */
  async heardRecent(overlay: OverlayWalk, ids: readonly Uint8Array[], from: Address): Promise<void> {
    if (ids.length === 0 || this.options.fanout === 0) return
    this.#stats.recentHeard += ids.length
    await this.#wants.announced(overlay, ids, 0, from)
  }

  /** Fresh bundles taken in (pushed, asked for, or the walk's) are the ones we name for a while. */
  #tookFresh(overlay: OverlayWalk, bundles: readonly Bundle[]): void {
    const fresh = bundles.filter((b) => this.#isFresh(overlay, b))
    this.#recent.took(overlay, fresh, this.#c.clock.now())
  }

  /** Announced ids waiting for their bundle (for the bound's test). */
  get wantedIds(): number {
    return this.#wants.size
  }

  /** Up to `n` validated candidates to push to, other than `except`; recent walkers behind `behind` first (./push-targets.ts). */
  targets(overlay: OverlayWalk, n: number, except?: ReadonlySet<string>, behind?: number): Address[] {
    return pushTargets(this.#c, overlay, n, except, behind)
  }

  /** Up to `trustedFanout` validated trusted candidates that hold data, in table order (./push-targets.ts). */
  trustedTargets(overlay: OverlayWalk): Address[] {
    if (this.options.fanout === 0) return []
    return trustedPushTargets(this.#c, overlay, this.options.trustedFanout)
  }

  /** Whether `b` is among the newest of the overlay: its global time within `freshWindow` of our clock. */
  #isFresh(overlay: OverlayWalk, b: Bundle): boolean {
    return b.globalTime + this.options.freshWindow > overlay.clock.time
  }

  /**
   * True while the room is busy: more than `busyFreshPerSecond` new bundles a second on
   * average over the last {@link BUSY_WINDOW_SECONDS} seconds: a sustained load, not a burst.
   * Then the walk's answers, many bundles a datagram, carry them more cheaply than a push
   * and an announcement per bundle (docs/evaluation.md §4.8), and we spread none of them;
   * our own still go out on publish.
   */
  #isBusy(now: number): boolean {
    return this.#arrivals.total(now) > this.options.busyFreshPerSecond * BUSY_WINDOW_SECONDS
  }

  /** Sources whose budget is remembered (for the bound's test). */
  get trackedSources(): number {
    return this.#budget.sources
  }
}

function push(bundles: readonly Bundle[], hops: number, ephemeral: boolean): PushPacket {
  return ephemeral ? { type: 'push', bundles, hops, ephemeral: true } : { type: 'push', bundles, hops }
}
