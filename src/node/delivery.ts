/**
 * Delivery of one overlay (DESIGN §8, §12): every bundle the store holds is handed to the
 * application exactly once, after all its parents, across restarts and causal-buffer
 * evictions (docs/causal.md, "The delivery contract").
 *
 * The store is the truth: `put` marks each new bundle *undelivered* atomically with its row,
 * and this service clears the mark (`markDelivered`) right before it emits the delivery. The
 * causal buffer is an in-memory window over the undelivered set. Whatever is undelivered and
 * not in the buffer — evicted by its bound, or left by an earlier run of the process — is
 * found again by a sweep of `store.undelivered()`: once when the overlay is joined, then on
 * the service's timer while such bundles may exist. A bundle whose parents do not arrive
 * within `waitMs` of entering the buffer is delivered anyway, with `missingParents` set.
 */
import { BoundedMap } from '../bounded-map.js'
import type { Bundle } from '../bundle/types.js'
import { CausalBuffer, type CausalItem } from '../causal/index.js'
import type { Cancel, Clock } from '../env/clock.js'
import type { Logger } from '../env/logger.js'
import type { BundleStore } from '../store/types.js'
import type { Address } from '../wire/index.js'
import type { Delivery } from './events.js'
import { equalBytes, hex } from '../bytes.js'

/** How often (ms, node clock) undelivered bundles outside the buffer are looked for while some may exist. */
export const SWEEP_INTERVAL_MS = 1000

/** Most delivery marks cleared in one store write. */
export const MAX_MARKS_PER_WRITE = 1024

/**
 * Ids of bundles delivered lately, remembered per overlay: a new bundle's parents are nearly
 * always among them, so whether they were delivered needs no store read (three per parent
 * otherwise, the hot path of a busy room). Older parents are looked up in the store.
 */
export const MAX_RECENTLY_DELIVERED = 4096

/** Ephemeral message ids remembered per overlay, so each is delivered once. */
export const MAX_EPHEMERAL_SEEN = 1024

/** Options of an {@link OverlayDelivery}. */
export interface OverlayDeliveryInit {
  overlay: Uint8Array
  store: BundleStore
  clock: Clock
  log: Logger
  /** This node's public key: a bundle it authored is delivered with `own: true`. */
  self: Uint8Array
  /** Most bundles waiting in memory for their parents (the causal buffer's bound). */
  maxPending: number
  /** A bundle waits at most this long (ms) in the buffer for its parents; then it is delivered without them. */
  waitMs: number
  /** Hands a delivery to the application (events and iterators). */
  emit: (delivery: Delivery) => void
}

/** Counters of the delivery service (monotonic). */
export interface DeliveryCounters {
  /** Bundles handed to the application. */
  delivered: number
  /** Of these, delivered by the wait policy without all their parents. */
  deliveredWithoutParents: number
  /** Waiting bundles evicted from the buffer (still undelivered in the store; a sweep finds them). */
  evicted: number
  /** Sweeps of the store's undelivered bundles. */
  sweeps: number
  /** `markDelivered` writes that failed (the bundles were still emitted; a restart may deliver them again). */
  markFailures: number
}

/** What the causal buffer holds: a stored bundle with where it came from. */
class Entry implements CausalItem {
  constructor(
    readonly bundle: Bundle,
    readonly from: Address | undefined
  ) {}
  get id(): Uint8Array {
    return this.bundle.id
  }
  get parents(): readonly Uint8Array[] {
    return this.bundle.parents
  }
  get globalTime(): number {
    return this.bundle.globalTime
  }
}

interface Release {
  entry: Entry
  /** Parents it is delivered without (wait policy); empty otherwise. */
  missing: Uint8Array[]
}

/** The delivery service of one overlay. */
export class OverlayDelivery {
  readonly #init: OverlayDeliveryInit
  readonly #buffer: CausalBuffer<Entry>
  /** Keys released by the buffer whose mark is not cleared yet. */
  readonly #unmarked = new Set<string>()
  /** Keys (hex) of bundles emitted lately, oldest first (bounded by {@link MAX_RECENTLY_DELIVERED}). */
  readonly #recentlyDelivered = new BoundedMap<string, true>(MAX_RECENTLY_DELIVERED)
  /** Releases waiting for the next mark-then-emit commit, in the order they were made. */
  #queued: Release[] = []
  /** The commit loop while it runs: one store write per batch of releases, never two at once. */
  #committing: Promise<void> | undefined
  /** True while undelivered bundles may exist outside the buffer (after an eviction, at start). */
  #dirty = true
  #sweeping: Promise<void> | undefined
  #timer: Cancel | undefined
  #timerAt = Infinity
  #stopped = false
  readonly #counters: DeliveryCounters = { delivered: 0, deliveredWithoutParents: 0, evicted: 0, sweeps: 0, markFailures: 0 }
  /** Ids (hex) of recent ephemeral messages, sent or delivered here, so each is delivered once (bounded). */
  readonly #ephemeralSeen = new Set<string>()

  constructor(init: OverlayDeliveryInit) {
    this.#init = init
    // Whether a parent was delivered is a store look-up (async): each offer passes what it found just before.
    this.#buffer = new CausalBuffer<Entry>({ maxPending: init.maxPending, isDelivered: () => false })
  }

  /** Delivered ids remembered so their children need no store read (at most {@link MAX_RECENTLY_DELIVERED}). */
  get recentlyDelivered(): number {
    return this.#recentlyDelivered.size
  }

  /** Bundles waiting in memory for a parent. */
  get pending(): number {
    return this.#buffer.pending
  }

  counters(): DeliveryCounters {
    return { ...this.#counters }
  }

  /** Whether the ephemeral message (hex id) was sent or delivered here recently. */
  seenEphemeral(key: string): boolean {
    return this.#ephemeralSeen.has(key)
  }

  /** Remembers an ephemeral message (hex id) sent or delivered here (the oldest forgotten past {@link MAX_EPHEMERAL_SEEN}). */
  noteEphemeral(key: string): void {
    this.#ephemeralSeen.add(key)
    if (this.#ephemeralSeen.size > MAX_EPHEMERAL_SEEN) this.#ephemeralSeen.delete(this.#ephemeralSeen.values().next().value as string)
  }

  /** Delivers what an earlier run left undelivered (a sweep of the store); call once the store is open. */
  async resume(): Promise<void> {
    this.#stopped = false
    this.#dirty = true
    await this.#sweep()
    this.#arm()
  }

  /**
   * A bundle was just stored (from `from`, or published here when undefined). Delivers it and
   * what it releases, or lets it wait; returns the missing parents to request from `from`.
   */
  async stored(bundle: Bundle, from: Address | undefined): Promise<Uint8Array[]> {
    return this.#offer(bundle, from)
  }

  /**
   * A bundle already stored arrived again. When it is still undelivered (waiting, or evicted
   * and not found again yet) it is offered again: that delivers it if its parents have come
   * meanwhile, else returns its missing parents to request from this sender.
   */
  async again(bundle: Bundle, from: Address): Promise<Uint8Array[]> {
    const key = hex(bundle.id)
    if (this.#unmarked.has(key)) return []
    if (!this.#buffer.has(bundle.id)) {
      // Not dirty: every undelivered bundle is in the buffer or being marked.
      if (!this.#dirty || !(await this.#init.store.isUndelivered(this.#init.overlay, bundle.id))) return []
    }
    return this.#offer(bundle, from)
  }

  /** Stops the timer and waits for sweeps and deliveries in progress. */
  async stop(): Promise<void> {
    this.#stopped = true
    this.#timer?.()
    this.#timer = undefined
    this.#timerAt = Infinity
    await this.#sweeping
    await this.#committing
  }

  async #offer(bundle: Bundle, from: Address | undefined): Promise<Uint8Array[]> {
    const delivered = await this.#deliveredParents(bundle)
    if (this.#stopped) return []
    const evicted = this.#buffer.stats().evicted
    const { deliver, missing } = this.#buffer.offer(new Entry(bundle, from), undefined, this.#init.clock.now(), (id) => delivered.has(hex(id)))
    const more = this.#buffer.stats().evicted - evicted
    if (more > 0) {
      this.#counters.evicted += more
      this.#dirty = true
    }
    this.#enqueue(deliver.map((entry) => ({ entry, missing: [] })))
    this.#arm()
    return missing
  }

  /** The parents of `bundle` that were delivered (or are being marked delivered), as hex keys. */
  async #deliveredParents(bundle: Bundle): Promise<Set<string>> {
    const { store, overlay } = this.#init
    const out = new Set<string>()
    for (const parent of bundle.parents) {
      const key = hex(parent)
      if (this.#unmarked.has(key) || this.#recentlyDelivered.has(key)) out.add(key)
      else if (!this.#buffer.has(parent) && (await store.has(overlay, parent)) && !(await store.isUndelivered(overlay, parent))) out.add(key)
    }
    return out
  }

  /**
   * Clears the marks of released bundles, then emits them, in release order. Releases made
   * while a commit is in the store's write queue join the next one: one write per batch, not
   * per bundle, so deliveries keep pace with intake however busy the store is.
   */
  #enqueue(releases: Release[]): void {
    if (releases.length === 0) return
    for (const r of releases) this.#unmarked.add(hex(r.entry.id))
    this.#queued.push(...releases)
    this.#committing ??= this.#drain()
  }

  async #drain(): Promise<void> {
    while (this.#queued.length > 0) await this.#commit(this.#queued.splice(0, MAX_MARKS_PER_WRITE))
    this.#committing = undefined
  }

  async #commit(releases: Release[]): Promise<void> {
    const { store, overlay, self, emit, log } = this.#init
    try {
      await store.markDelivered(
        overlay,
        releases.map((r) => r.entry.id)
      )
    } catch (err) {
      this.#counters.markFailures++
      log.warn('could not record deliveries', { count: releases.length, error: err instanceof Error ? err.message : String(err) })
    }
    for (const { entry, missing } of releases) {
      const key = hex(entry.id)
      this.#unmarked.delete(key)
      this.#recentlyDelivered.set(key, true)
      const { bundle, from } = entry
      const delivery: Delivery = { overlay, bundle, from, own: equalBytes(bundle.author, self) }
      if (missing.length > 0) {
        delivery.missingParents = missing
        this.#counters.deliveredWithoutParents++
      }
      this.#counters.delivered++
      emit(delivery)
    }
  }

  /** Schedules the next tick: the next wait to end, or a sweep while dirty. */
  #arm(): void {
    if (this.#stopped) return
    const now = this.#init.clock.now()
    const oldest = this.#buffer.oldestWait()
    let at = oldest === undefined ? Infinity : oldest + this.#init.waitMs
    if (this.#dirty) at = Math.min(at, now + SWEEP_INTERVAL_MS)
    if (at >= this.#timerAt) return
    this.#timer?.()
    this.#timerAt = at
    this.#timer = this.#init.clock.setTimeout(() => {
      this.#timer = undefined
      this.#timerAt = Infinity
      void this.#tick()
    }, at - now)
  }

  async #tick(): Promise<void> {
    if (this.#stopped) return
    const expired = this.#buffer.expire(this.#init.clock.now() - this.#init.waitMs)
    this.#enqueue(expired.map(({ item, missing }) => ({ entry: item, missing })))
    if (this.#dirty) await this.#sweep()
    this.#arm()
  }

  /** Offers every undelivered bundle that is not in the buffer, while there is room for those that must wait. */
  #sweep(): Promise<void> {
    if (this.#sweeping !== undefined) return this.#sweeping
    this.#sweeping = this.#runSweep().finally(() => {
      this.#sweeping = undefined
    })
    return this.#sweeping
  }

  async #runSweep(): Promise<void> {
    const { store, overlay, log } = this.#init
    this.#counters.sweeps++
    this.#dirty = false
    const evicted = this.#counters.evicted
    let skipped = false
    try {
      for await (const bundle of store.undelivered(overlay)) {
        if (this.#stopped) {
          skipped = true
          break
        }
        if (this.#buffer.has(bundle.id) || this.#unmarked.has(hex(bundle.id))) continue
        const parents = await this.#deliveredParents(bundle)
        const ready = bundle.parents.every((p) => parents.has(hex(p)))
        if (!ready && this.#buffer.pending >= this.#buffer.capacity) {
          skipped = true
          continue
        }
        // Delivered while the parents were looked up (the scan may be a snapshot).
        if (this.#buffer.has(bundle.id) || this.#unmarked.has(hex(bundle.id)) || !(await store.isUndelivered(overlay, bundle.id))) continue
        await this.#offer(bundle, undefined)
      }
    } catch (err) {
      skipped = true
      log.warn('sweep of undelivered bundles failed', { error: err instanceof Error ? err.message : String(err) })
    }
    if (skipped || this.#counters.evicted !== evicted) this.#dirty = true
  }
}
