/**
 * Bloom answers in progress, per walker (issue 22). A walker idle-checks the peer it walked
 * to as soon as the introduction-response arrives, while that peer is still reading the
 * bundles that answer the walker's offer from its store. Answered first, the symbols would
 * show the walker lacking exactly those bundles, and it would fetch them a second time: on
 * real processes that doubled the bundles sent (the simulator, where handlers take no time,
 * never showed it). So a symbols-request from a walker waits until our answer to its offer
 * has left. Bounded: beyond {@link MAX_PENDING_ANSWERS} answers in progress, more are not
 * tracked (a request then waits for none).
 *
 * It also bounds the work itself (issue 21): each answer reads the store, and a flood of
 * offers (2 000 a second from one source) started answers faster than they finished, so
 * hundreds of megabytes of them waited in memory long after the flood. While a walker has
 * {@link MAX_ANSWERS_PER_WALKER} answers in progress (an honest one has one per walk step,
 * two with a first-contact follow-up), or the overlay {@link MAX_ANSWERS_IN_FLIGHT}, a new
 * offer is {@link busy}: it gets its introduction-response without an answer (counted
 * `answersShed`).
 *
 * Answers in progress bound the memory at any moment, not the work over a flood: two at a
 * time still read 500 answers a second from the store for one source, and the native memory
 * those reads allocated stayed resident after the flood (RSS 94 → 312 → 312 MB,
 * `npm run measure:flood`). So answers are also rated: per walker address
 * {@link ANSWER_RATE_PER_WALKER} a second and per source host (IPv4 address, IPv6 /64)
 * {@link ANSWER_RATE_PER_HOST}, each with {@link ANSWER_BURST_SECONDS} of burst. An honest
 * walker walks to one peer at most once per eligibility window (27.5 s at the design's pace,
 * 1.4 s at the demo's fastest) plus a first-contact follow-up, so it never meets the rate; a
 * room paced faster still raises the walker's rate to {@link WALKS_PER_WINDOW} answers per
 * window ({@link answerRatePerWalker}). Peers behind one address share the host's rate.
 */
import { IntakeBudgets } from './budgets.js'
import { RateTable } from './rate-table.js'

/** Answers in progress tracked per overlay. */
export const MAX_PENDING_ANSWERS = 256
/** Answers computed at once for one walker address; beyond, its offers are answered without bundles. */
export const MAX_ANSWERS_PER_WALKER = 2
/** Answers computed at once per overlay, all walkers together (many spoofed sources). */
export const MAX_ANSWERS_IN_FLIGHT = 1024
/** Answers per second to one walker address (address and port). */
export const ANSWER_RATE_PER_WALKER = 2
/** Answers per eligibility window a walker may have when the room's pace makes that more than {@link ANSWER_RATE_PER_WALKER}. */
export const WALKS_PER_WINDOW = 4

/** Answers per second to one walker in a room whose walkers wait `walkEligibleDelayMs` between walks to one peer. */
export function answerRatePerWalker(walkEligibleDelayMs: number): number {
  return Math.max(ANSWER_RATE_PER_WALKER, (WALKS_PER_WINDOW * 1000) / Math.max(1, walkEligibleDelayMs))
}

/** Answers per second to all walkers of one source host together. */
export const ANSWER_RATE_PER_HOST = 20
/** Seconds of each rate a fresh walker or host may spend at once. */
export const ANSWER_BURST_SECONDS = 4
/** Walkers and hosts whose answer rate is remembered (least recently used forgotten). */
export const MAX_RATED = 4096

export interface AnswerLimits {
  inFlight?: number
  perWalker?: number
  ratePerWalker?: number
  ratePerHost?: number
  burstSeconds?: number
  maxRated?: number
}

export class PendingAnswers {
  readonly #pending = new Map<string, Promise<void>>()
  readonly #max: number
  readonly #maxInFlight: number
  readonly #maxPerWalker: number
  /** Answers in progress per walker address (an entry only while one is; at most maxInFlight). */
  readonly #byWalker = new Map<string, number>()
  readonly #walkerRate: RateTable<'answers'>
  readonly #hostRate: RateTable<'answers'>
  #inFlight = 0

  constructor(max = MAX_PENDING_ANSWERS, limits: AnswerLimits = {}) {
    this.#max = max
    this.#maxInFlight = limits.inFlight ?? MAX_ANSWERS_IN_FLIGHT
    this.#maxPerWalker = limits.perWalker ?? MAX_ANSWERS_PER_WALKER
    const burst = limits.burstSeconds ?? ANSWER_BURST_SECONDS
    const maxRated = limits.maxRated ?? MAX_RATED
    this.#walkerRate = new RateTable({ answers: limits.ratePerWalker ?? ANSWER_RATE_PER_WALKER }, burst, maxRated)
    this.#hostRate = new RateTable({ answers: limits.ratePerHost ?? ANSWER_RATE_PER_HOST }, burst, maxRated)
  }

  /** Walkers with an answer in progress (tracked ones). */
  get size(): number {
    return this.#pending.size
  }

  /** Answers in progress, tracked or not. */
  get inFlight(): number {
    return this.#inFlight
  }

  /** True while the walker at `peerKey`, or the overlay, has as many answers in progress as allowed: shed a new one. */
  busy(peerKey: string): boolean {
    return this.#inFlight >= this.#maxInFlight || (this.#byWalker.get(peerKey) ?? 0) >= this.#maxPerWalker
  }

  /**
   * May the walker at `from` (its address key `peerKey`) have an answer now? False while it is
   * {@link busy} or over its walker's or its host's answer rate; true charges both rates one answer.
   */
  admit(peerKey: string, from: { host: string }, now: number): boolean {
    if (this.busy(peerKey)) return false
    const host = IntakeBudgets.hostOf(from.host)
    const walker = this.#walkerRate.get(peerKey, now)
    const source = this.#hostRate.get(host, now)
    if (walker.answers < 1 || source.answers < 1) return false
    walker.answers -= 1
    source.answers -= 1
    return true
  }

  /** Walkers and hosts whose answer rate is remembered. */
  get rated(): { walkers: number; hosts: number } {
    return { walkers: this.#walkerRate.size, hosts: this.#hostRate.size }
  }

  /** Runs `answer` for the walker at `peerKey`, tracked until it settles; resolves or rejects as it does. */
  track(peerKey: string, answer: () => Promise<void>): Promise<void> {
    this.#inFlight++
    this.#byWalker.set(peerKey, (this.#byWalker.get(peerKey) ?? 0) + 1)
    let started: Promise<void>
    try {
      started = answer()
    } catch (err) {
      started = Promise.reject(err as Error)
    }
    const work = started.finally(() => {
      this.#inFlight--
      const left = (this.#byWalker.get(peerKey) ?? 1) - 1
      if (left > 0) this.#byWalker.set(peerKey, left)
      else this.#byWalker.delete(peerKey)
    })
    if (this.#pending.size >= this.#max && !this.#pending.has(peerKey)) return work
    const settled = work.then(
      () => undefined,
      () => undefined
    )
    this.#pending.set(peerKey, settled)
    void settled.then(() => {
      if (this.#pending.get(peerKey) === settled) this.#pending.delete(peerKey)
    })
    return work
  }

  /** Resolves once the answer to `peerKey` in progress (if any) has settled; never rejects. */
  settled(peerKey: string): Promise<void> {
    return this.#pending.get(peerKey) ?? Promise.resolve()
  }

  /** Forgets every answer (they finish on their own). */
  stop(): void {
    this.#pending.clear()
  }
}
