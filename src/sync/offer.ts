/**
 * Building the sync offer of each walk step (DESIGN §5), after Dispersy's
 * `dispersy_claim_sync_bloom_filter`: reuse a productive filter, skip after barren ones,
 * otherwise select a range with the configured strategy and fill a fresh filter.
 */
import { BloomFilter, randomSalt } from '../bloom/index.js'
import type { Bundle } from '../bundle/types.js'
import { type Rng, chance, exponential, float, shuffle } from '../env/rng.js'
import { type SyncConfig, isSyncable } from './config.js'
import { type PickedRange, type SelectContext, type SyncStoreView, selectAndFix, selectModulo, selectRange } from './select.js'

/** Filter size for one destination (its address family fixes the header size). */
export interface OfferSize {
  /** Bytes of filter the introduction-request has room for. */
  bloomBytes: number
  k: number
  /** Ids the filter holds at the configured false-positive rate. */
  capacity: number
}

/** What an introduction-request carries as its sync part. */
export interface SyncOffer {
  timeLow: number
  /** Upper bound; 0 would mean "up to your time" (bloomwalk always sends an explicit bound). */
  timeHigh: number
  modulo: number
  offset: number
  bloom: BloomFilter
}

/** What the walker knows when it claims an offer. */
export interface ClaimContext {
  /** Our current global time in this overlay. */
  globalTime: number
  /** The acceptable global-time upper bound (clock guard). */
  acceptable: number
  size: OfferSize
  /** Address key of the peer the offer goes to. */
  peerKey: string
  /** The peer's last reported global time, when known (adaptive strategy). */
  peerGlobalTime?: number
  /**
   * True when the caller reports answers with {@link OfferBuilder.onAnswered}: a round whose
   * peer never answered (lost, or a silent address an attacker planted) then says nothing
   * about being in sync and counts toward neither the skip curve nor the adaptive figures.
   * Default false: every round counts as answered (Dispersy's behaviour).
   */
  trackAnswers?: boolean
  /**
   * True when a barren round counts toward the skip curve only if its peer is a forwarder
   * (it has sent us a bundle we stored) or answered our last idle check in sync (its
   * sketch's symbol 0 equals ours; {@link OfferBuilder.onVerifiedInSync}); the last
   * {@link MAX_FORWARDERS} of each are remembered. A peer that claims to be in sync and
   * answers nothing costs nothing to fake; a Sybil that never forwards and ignores idle
   * checks then cannot make us skip our offers to everybody (docs/security.md, "Sybil and
   * eclipse"). Default false: every barren round counts (Dispersy's behaviour).
   */
  barrenFromForwardersOnly?: boolean
  /**
   * True for a request that repeats one whose answer was held back (DESIGN §13, first
   * contact): the skip curve does not apply, as the previous round said nothing.
   */
  retry?: boolean
}

/** Peers remembered as forwarders (see ClaimContext.barrenFromForwardersOnly); least recently productive dropped first. */
export const MAX_FORWARDERS = 256

interface SyncCache extends SyncOffer {
  timesUsed: number
  responses: number
  /** Whether the peer answered the request that carried this filter (see ClaimContext.trackAnswers). */
  answered: boolean
  /** Bundles the peer said its answer holds (the introduction-response's answer_bundles; 0: none, or not said). */
  announced: number
  items: number
  peerKey: string
  /** Whether a barren round counts only when peerKey is a forwarder (ClaimContext.barrenFromForwardersOnly). */
  forwardersOnly: boolean
  tiny: boolean
  strategy: 'largest' | 'modulo'
}

/** Counters of offer decisions. */
export interface OfferStats {
  fresh: number
  reused: number
  skipped: number
  largest: number
  modulo: number
  /** Barren rounds not counted toward the skip curve: their peer had neither forwarded a bundle to us nor shown it is in sync. */
  barrenIgnored: number
  /**
   * Answered rounds none of whose announced bundles was stored yet when the next offer was
   * claimed (still on their way, or waiting for the CPU): productive all the same, not barren.
   */
  lateAnswers: number
}

export interface OfferBuilderComponents {
  store: SyncStoreView
  rng: Rng
}

/** One overlay's offer state (the sync cache and skip counter of Dispersy). */
export class OfferBuilder {
  readonly stats: OfferStats = { fresh: 0, reused: 0, skipped: 0, largest: 0, modulo: 0, barrenIgnored: 0, lateAnswers: 0 }
  #cache: SyncCache | null = null
  #skipCount = 0
  /** Peers that sent us a bundle we stored, least recently productive first (bounded by MAX_FORWARDERS). */
  readonly #forwarders = new Map<string, true>()
  /** Peers whose last idle check ended in sync, least recent first (bounded by MAX_FORWARDERS). */
  readonly #inSyncPeers = new Map<string, true>()
  #yieldAverage = 0
  #inSync = false
  #catchingUp = false
  #sweep: { modulo: number; order: number[]; next: number; barren: number } | null = null
  readonly #config: SyncConfig
  readonly #components: OfferBuilderComponents
  readonly #overlay: Uint8Array

  constructor(overlay: Uint8Array, config: SyncConfig, components: OfferBuilderComponents) {
    this.#overlay = overlay
    this.#config = config
    this.#components = components
  }

  /** Smoothed count of new bundles per answered round (what `adaptive` watches). */
  get yieldAverage(): number {
    return this.#yieldAverage
  }

  /** The offer for this walk step, or `null` when the skip curve says to send none. */
  async claim(ctx: ClaimContext): Promise<SyncOffer | null> {
    const cache = this.#cache
    // A round whose peer never answered (and sent nothing) tells nothing: it is not counted.
    if (cache !== null && (cache.answered || cache.responses > 0)) {
      // The peer said bundles follow and none is stored yet: the round was productive, its
      // answer is late (a busy node stores it after its next step). Counting it barren made
      // real nodes skip offers the simulator's, whose handlers take no time, never skipped.
      const late = cache.responses === 0 && cache.announced > 0
      if (late) this.stats.lateAnswers++
      this.#yieldAverage = 0.5 * this.#yieldAverage + 0.5 * cache.responses
      this.#noteModuloResult(cache, late)
      if (cache.responses > 0 || late) {
        this.#skipCount = 0
        // Only a filter with what arrived added is worth sending again.
        if (cache.responses > 0 && this.#reusable(cache, ctx)) {
          cache.timesUsed++
          cache.responses = 0
          cache.answered = ctx.trackAnswers !== true
          cache.announced = 0
          cache.peerKey = ctx.peerKey
          cache.forwardersOnly = ctx.barrenFromForwardersOnly === true
          this.stats.reused++
          return cache
        }
      } else if (cache.timesUsed === 0) {
        if (!cache.forwardersOnly || this.#forwarders.has(cache.peerKey) || this.#inSyncPeers.has(cache.peerKey)) this.#skipCount = Math.min(this.#skipCount + 1, this.#config.skipCurve.length)
        else this.stats.barrenIgnored++
      }
    }
    const skipP = this.#skipCount > 0 ? (this.#config.skipCurve[this.#skipCount - 1] ?? 0) : 0
    if (ctx.retry !== true && skipP > 0 && chance(this.#components.rng, skipP)) {
      this.#cache = null
      this.stats.skipped++
      return null
    }
    const fresh = await this.#fresh(ctx)
    this.#cache = fresh
    this.stats.fresh++
    return fresh
  }

  /**
   * Tells the builder which bundles were just stored: those inside the cached filter's
   * slice are added to it, and those from the peer it was sent to count as responses —
   * unless `pushed`: a bundle that peer pushed after our walk was no answer to the filter,
   * and counting it kept a barren filter in use (full-size requests instead of the skip
   * curve's small ones) wherever push reaches recent walkers first (src/node/push.ts).
   */
  onStored(bundles: readonly Bundle[], fromPeerKey?: string, pushed = false): void {
    if (fromPeerKey !== undefined && bundles.length > 0) remember(this.#forwarders, fromPeerKey)
    const cache = this.#cache
    if (cache === null) return
    for (const b of bundles) {
      if (!isSyncable(this.#config, b.kind)) continue
      if (b.globalTime < cache.timeLow || b.globalTime > cache.timeHigh) continue
      if ((b.globalTime + cache.offset) % cache.modulo !== 0) continue
      if (!cache.tiny) {
        cache.bloom.add(b.id)
        cache.items++
      }
      if (!pushed && fromPeerKey !== undefined && fromPeerKey === cache.peerKey) cache.responses++
    }
  }

  /**
   * New bundles arrived by another path (push, DESIGN §13): what it missed, only the walk
   * finds, so the skip curve starts over — barren rounds while push delivers must not make
   * the repair path go quiet.
   */
  onPushed(): void {
    this.#skipCount = 0
  }

  /** True when the peer at `peerKey` is among the remembered forwarders (it sent us a bundle we stored). */
  isForwarder(peerKey: string): boolean {
    return this.#forwarders.has(peerKey)
  }

  /**
   * The peer at `peerKey` answered an idle check in sync (its sketch's symbol 0 equals ours):
   * its barren rounds count toward the skip curve (ClaimContext.barrenFromForwardersOnly).
   */
  onVerifiedInSync(peerKey: string): void {
    remember(this.#inSyncPeers, peerKey)
  }

  /**
   * The peer at `peerKey` answered the request that carried the cached filter, saying that
   * `announced` bundles follow (its answer_bundles; 0 when none, or when it does not say).
   * A round with announced bundles is productive even if they are stored after the next claim.
   */
  onAnswered(peerKey: string, announced = 0): void {
    if (this.#cache === null || this.#cache.peerKey !== peerKey) return
    this.#cache.answered = true
    this.#cache.announced = announced
  }

  /**
   * Switches to modulo until a whole modulo sweep comes back barren, whatever the strategy:
   * used when coded-symbol catch-up could not decode the difference (DESIGN §11).
   */
  startCatchUp(): void {
    this.#inSync = false
    this.#catchingUp = true
  }

  /** Forgets the cached filter (e.g. when the overlay's store was pruned). */
  reset(): void {
    this.#cache = null
    this.#skipCount = 0
  }

  #reusable(cache: SyncCache, ctx: ClaimContext): boolean {
    return (
      !cache.tiny &&
      cache.timesUsed < this.#config.reuseLimit &&
      cache.items <= this.#config.reuseFillLimit * ctx.size.capacity &&
      cache.bloom.bits.length <= ctx.size.bloomBytes &&
      cache.timeHigh <= ctx.acceptable
    )
  }

  async #fresh(ctx: ClaimContext): Promise<SyncCache> {
    const { store, rng } = this.#components
    const count = await store.count(this.#overlay)
    if (count === 0) return this.#cacheOf({ low: 1, high: ctx.acceptable, bundles: [] }, 1, 0, ctx, true, 'largest')
    const select: SelectContext = {
      store,
      overlay: this.#overlay,
      syncable: (b) => isSyncable(this.#config, b.kind) && (b.expiresAt === undefined || b.expiresAt >= ctx.globalTime),
      // A fresh offer reads at most a few capacities of rows (both sides plus top-ups).
      rows: { left: 4 * ctx.size.capacity + 128 }
    }
    if (this.#strategyFor(ctx) === 'largest') {
      const picked = await this.#largest(select, ctx, count)
      if (picked !== null) return this.#cacheOf(picked, 1, 0, ctx, false, 'largest')
      // More than a filter's worth of bundles share one global time: only modulo can split them.
    }
    const modulo = Math.max(1, Math.ceil(count / ctx.size.capacity))
    const offset = this.#nextOffset(modulo)
    const picked = await selectModulo(select, modulo, offset, ctx.size.capacity, ctx.acceptable, chance(rng, 0.5))
    return this.#cacheOf(picked, modulo, offset, ctx, false, 'modulo')
  }

  /**
   * Offsets walk a shuffled cycle of [0, modulo): `modulo` consecutive fresh filters cover
   * every residue class exactly once (Dispersy draws each offset independently, which needs
   * about modulo·ln(modulo) filters to cover them all).
   */
  #nextOffset(modulo: number): number {
    if (modulo === 1) return 0
    const sweep = this.#sweep
    if (sweep === null || sweep.modulo !== modulo || sweep.next === sweep.order.length) {
      const order = shuffle(this.#components.rng, Array.from({ length: modulo }, (_, i) => i))
      this.#sweep = { modulo, order, next: 0, barren: sweep?.modulo === modulo ? sweep.barren : 0 }
    }
    return this.#sweep!.order[this.#sweep!.next++]!
  }

  /**
   * Adaptive: modulo while catching up — the walked peer is far ahead in global time, recent
   * rounds were productive, or the current modulo sweep has not yet come back barren over
   * a whole cycle; the pivot heuristic once a full sweep found nothing (docs/sync.md).
   */
  #strategyFor(ctx: ClaimContext): 'largest' | 'modulo' {
    const s = this.#config.strategy
    if (this.#catchingUp) return 'modulo'
    if (s !== 'adaptive') return s
    const behind = ctx.peerGlobalTime !== undefined && ctx.peerGlobalTime > ctx.globalTime + this.#config.adaptiveLag
    if (behind || this.#yieldAverage >= this.#config.adaptiveYield) {
      this.#inSync = false
      return 'modulo'
    }
    return this.#inSync ? 'largest' : 'modulo'
  }

  /** Records whether the previous fresh modulo filter was barren; a full barren cycle means in sync. */
  #noteModuloResult(cache: SyncCache, late: boolean): void {
    if (cache.strategy !== 'modulo' || cache.timesUsed > 0 || this.#sweep === null) return
    if (cache.responses > 0 || late) {
      this.#sweep.barren = 0
      return
    }
    this.#sweep.barren++
    if (this.#sweep.barren >= this.#sweep.modulo) {
      this.#inSync = true
      this.#catchingUp = false
    }
  }

  /** Dispersy's pivot heuristic ("largest"); `null` when no range avoids splitting a global time. */
  async #largest(select: SelectContext, ctx: ClaimContext, count: number): Promise<PickedRange | null> {
    const { rng } = this.#components
    const gt = ctx.globalTime
    const capacity = ctx.size.capacity
    let pivot = gt - Math.floor(exponential(rng, gt / 2))
    if (pivot < 1) pivot = Math.floor(float(rng) * gt)
    if (pivot > 1 && count >= capacity) {
      // "right" holds bundles above the pivot, "left" those below it (Dispersy's names).
      const right = await selectRange(select, pivot - 1, capacity, true, ctx.acceptable)
      if (right === null || right.bundles.length < capacity) return right
      const left = await selectRange(select, pivot + 1, capacity, false, ctx.acceptable)
      if (left === null) return right
      return left.high - left.low > right.high - right.low ? left : right
    }
    // Small store: everything from the start, up to the last whole global time that fits.
    const { bundles, fixed } = await selectAndFix(select, 0, capacity, true)
    if (bundles.length === 0 && fixed) return null
    const high = fixed ? bundles[bundles.length - 1]!.globalTime : ctx.acceptable
    return { low: 1, high, bundles }
  }

  #cacheOf(picked: PickedRange, modulo: number, offset: number, ctx: ClaimContext, tiny: boolean, strategy: 'largest' | 'modulo'): SyncCache {
    const bloom = tiny ? new BloomFilter(1, 1, 0) : new BloomFilter(ctx.size.bloomBytes, ctx.size.k, randomSalt(this.#components.rng))
    for (const b of picked.bundles) bloom.add(b.id)
    this.stats[strategy]++
    return {
      timeLow: Math.min(picked.low, ctx.acceptable),
      timeHigh: Math.min(picked.high, ctx.acceptable),
      modulo,
      offset,
      bloom,
      timesUsed: 0,
      responses: 0,
      answered: ctx.trackAnswers !== true,
      announced: 0,
      items: picked.bundles.length,
      peerKey: ctx.peerKey,
      forwardersOnly: ctx.barrenFromForwardersOnly === true,
      tiny,
      strategy
    }
  }
}

/** Moves `key` to the most recent end of `set`, dropping the least recent beyond MAX_FORWARDERS. */
function remember(set: Map<string, true>, key: string): void {
  set.delete(key)
  set.set(key, true)
  if (set.size > MAX_FORWARDERS) set.delete(set.keys().next().value as string)
}
