/**
 * Lamport global time for one overlay, with the acceptable-range guard (DESIGN §5, §9).
 *
 * A node keeps one {@link LamportClock} per overlay. Publishing claims the next time;
 * every stored bundle is observed, which moves the clock forward. Because bundle authors
 * are untrusted, two guards limit how far bundles can move it:
 *
 * 1. Acceptable range. A bundle is accepted only when
 *    `globalTime ≤ acceptableUpper = max(time, median of the global times reported by more
 *    than 5 verified peers) + range` (range default 10 000). Peers' reports are the one
 *    input an author does not control, so the median lets a node far behind catch up at
 *    once while a minority of lying peers cannot move it.
 * 2. Per-author cap. An accepted bundle from author A moves the clock to at most
 *    `min(globalTime, base(A) + authorCap)`, where
 *    `base(A) = max(start, our highest claim, peer median, highest clock level reached by a
 *    bundle of any author other than A)`. A's own bundles never raise base(A), so however
 *    many bundles A sends, A alone moves the clock at most `authorCap` past what the rest
 *    of the system (other authors, our own publishing, verified peers) vouches for.
 *    Dispersy let one authorised member ratchet by the full range per message.
 *
 * Limits of guard 2: each clock move by another author, and each of our own claims,
 * reopens `authorCap` for A; k colluding authors can leapfrog by about `authorCap` per
 * bundle, still bounded per bundle by the acceptable range. Keys are free in public
 * rooms, so the Sybil-resistant part is the peer median (peers are addresses, whose
 * candidate table entries are capped per subnet).
 *
 * State is O(1) per author: the rule needs only the last two distinct authors that moved
 * the clock (levels only rise, so whoever moved it last holds the highest level), so there
 * is no per-author map to grow. Peer reports live in a bounded, expiring map.
 */
import { BloomwalkError } from '../errors.js'
import { PeerTimes } from './peers.js'

/** Largest valid global time: 2^53 − 1, the largest integer a JS number holds exactly. */
export const MAX_GLOBAL_TIME = Number.MAX_SAFE_INTEGER
/** Default acceptable range above max(own, peer median): Dispersy's figure. */
export const DEFAULT_ACCEPTABLE_RANGE = 10_000
/** Default per-author cap: a tenth of the range, ample for one author's burst between syncs. */
export const DEFAULT_AUTHOR_CAP = 1_000
/** Default: the peer median needs strictly more than this many verified peers (DESIGN §9: "> 5"). */
export const DEFAULT_MIN_PEERS = 5
/** Default cap on remembered peer reports: bounds memory and the median's sort. */
export const DEFAULT_MAX_PEERS = 256
/** Default age after which a peer's report is ignored: the walk-candidate lifetime. */
export const DEFAULT_PEER_MAX_AGE_MS = 57_500

/** Options of a {@link LamportClock}. */
export interface LamportClockInit {
  /** Starting time, e.g. the highest global time in the store. Integer in [0, 2^53 − 1]. Default 0. */
  start?: number
  /** Acceptable range above max(own, peer median). Default {@link DEFAULT_ACCEPTABLE_RANGE}. */
  range?: number
  /** How far one author may move the clock beyond base(author). Default {@link DEFAULT_AUTHOR_CAP}. */
  authorCap?: number
  /** The peer median is used only with strictly more than this many live reports. Default {@link DEFAULT_MIN_PEERS}. */
  minPeers?: number
  /** Peer reports remembered; the least recently reporting peer is forgotten first. Default {@link DEFAULT_MAX_PEERS}. */
  maxPeers?: number
  /** A report older than this (ms) no longer counts. Default {@link DEFAULT_PEER_MAX_AGE_MS}. */
  peerMaxAgeMs?: number
}

/** An author: its 32-byte public key, or any stable string form of it. */
export type AuthorKey = string | Uint8Array

/** Counters since construction. */
export interface LamportClockStats {
  /** Bundles accepted by {@link LamportClock.observe}. */
  accepted: number
  /** Rejected: not an integer in [1, 2^53 − 1]. */
  rejectedInvalid: number
  /** Rejected: above the acceptable upper bound. */
  rejectedTooHigh: number
  /** Accepted, but the per-author cap stopped the clock short of the bundle's time. */
  capped: number
}

/** Why {@link LamportClock.check} refuses a global time, or 'ok'. */
export type GlobalTimeVerdict = 'ok' | 'invalid' | 'too-high'

interface Mover {
  author: string
  level: number
}

/** True when `gt` is a valid bundle global time: an integer in [1, 2^53 − 1]. */
export function isValidGlobalTime(gt: number): boolean {
  return Number.isSafeInteger(gt) && gt >= 1
}

function intOption(name: string, value: number | undefined, fallback: number, min: number): number {
  const v = value ?? fallback
  if (!Number.isSafeInteger(v) || v < min) {
    throw new BloomwalkError('INVALID_ARGUMENT', `LamportClock: ${name} must be an integer >= ${min}, got ${String(v)}`)
  }
  return v
}

function authorId(author: AuthorKey): string {
  if (typeof author === 'string') return author
  let hex = ''
  for (const b of author) hex += b.toString(16).padStart(2, '0')
  return hex
}

/** The Lamport clock of one overlay, guarded against untrusted authors (see the module doc). */
export class LamportClock {
  readonly #range: number
  readonly #authorCap: number
  readonly #start: number
  readonly #peers: PeerTimes
  #time: number
  #highestClaim = 0
  /** The author that last moved the clock, and the one before it (a different author). */
  #first: Mover | undefined
  #second: Mover | undefined
  #now = -Infinity
  readonly #stats: LamportClockStats = { accepted: 0, rejectedInvalid: 0, rejectedTooHigh: 0, capped: 0 }

  /** @throws {BloomwalkError} INVALID_ARGUMENT for an option out of range */
  constructor(init: LamportClockInit = {}) {
    this.#start = intOption('start', init.start, 0, 0)
    this.#range = intOption('range', init.range, DEFAULT_ACCEPTABLE_RANGE, 1)
    this.#authorCap = intOption('authorCap', init.authorCap, DEFAULT_AUTHOR_CAP, 0)
    this.#peers = new PeerTimes(
      intOption('minPeers', init.minPeers, DEFAULT_MIN_PEERS, 0),
      intOption('maxPeers', init.maxPeers, DEFAULT_MAX_PEERS, 1),
      intOption('peerMaxAgeMs', init.peerMaxAgeMs, DEFAULT_PEER_MAX_AGE_MS, 0)
    )
    this.#time = this.#start
  }

  /** The current global time (0 for a fresh overlay). */
  get time(): number {
    return this.#time
  }

  /** Number of peer reports remembered (live or not yet pruned). */
  get peerCount(): number {
    return this.#peers.size
  }

  /** A copy of the counters. */
  stats(): LamportClockStats {
    return { ...this.#stats }
  }

  /**
   * Claims the next global time for a bundle we publish: returns `time + 1` and advances
   * the clock to it.
   * @throws {BloomwalkError} BUNDLE_BAD_GLOBAL_TIME when the clock is at 2^53 − 1
   */
  claim(): number {
    if (this.#time >= MAX_GLOBAL_TIME) throw new BloomwalkError('BUNDLE_BAD_GLOBAL_TIME', 'LamportClock: global time exhausted')
    this.#time += 1
    this.#highestClaim = this.#time
    return this.#time
  }

  /**
   * Records the global time a verified peer reported (in an introduction-request or
   * -response) at `now` ms. A report replaces the peer's previous one. Reports of 0 (a
   * peer with an empty store) are valid; anything but an integer in [0, 2^53 − 1] is
   * ignored and false returned. `now` values are expected not to decrease; an earlier
   * one is treated as the latest `now` seen.
   * @throws {BloomwalkError} INVALID_ARGUMENT when `now` is not finite
   */
  reportPeer(peerKey: string, globalTime: number, now: number): boolean {
    this.#tick(now, 'reportPeer')
    if (!Number.isSafeInteger(globalTime) || globalTime < 0) return false
    this.#peers.report(peerKey, globalTime, this.#now)
    return true
  }

  /**
   * The median of live peer reports (lower median for an even count), or `undefined`
   * with too few reports. `now` defaults to the latest `now` this clock was given.
   */
  peerMedian(now?: number): number | undefined {
    if (now !== undefined) this.#tick(now, 'peerMedian')
    return this.#peers.median(this.#now)
  }

  /**
   * The highest global time accepted right now:
   * `min(2^53 − 1, max(time, peer median) + range)`.
   * `now` defaults to the latest `now` this clock was given.
   */
  acceptableUpper(now?: number): number {
    if (now !== undefined) this.#tick(now, 'acceptableUpper')
    const median = this.#peers.median(this.#now) ?? 0
    return Math.min(MAX_GLOBAL_TIME, Math.max(this.#time, median) + this.#range)
  }

  /** Whether `globalTime` would be accepted, without observing it. */
  check(globalTime: number, now?: number): GlobalTimeVerdict {
    if (!isValidGlobalTime(globalTime)) return 'invalid'
    return globalTime > this.acceptableUpper(now) ? 'too-high' : 'ok'
  }

  /**
   * Observes a bundle's global time. Returns false (and changes nothing) when the time is
   * not an integer in [1, 2^53 − 1] or exceeds {@link acceptableUpper}. Otherwise returns
   * true and advances the clock to `min(globalTime, base(author) + authorCap)` if that is
   * higher than the current time (see the module doc for base).
   * `now` defaults to the latest `now` this clock was given.
   */
  observe(globalTime: number, author: AuthorKey, now?: number): boolean {
    const verdict = this.check(globalTime, now)
    if (verdict === 'invalid') {
      this.#stats.rejectedInvalid++
      return false
    }
    if (verdict === 'too-high') {
      this.#stats.rejectedTooHigh++
      return false
    }
    this.#stats.accepted++
    if (globalTime <= this.#time) return true
    const id = authorId(author)
    const ceiling = Math.min(MAX_GLOBAL_TIME, this.#base(id) + this.#authorCap)
    const level = Math.min(globalTime, ceiling)
    if (level < globalTime) this.#stats.capped++
    if (level > this.#time) {
      this.#time = level
      this.#moved(id, level)
    }
    return true
  }

  /** The highest level `author`'s bundles can move the clock to right now. */
  authorCeiling(author: AuthorKey): number {
    return Math.min(MAX_GLOBAL_TIME, this.#base(authorId(author)) + this.#authorCap)
  }

  #base(id: string): number {
    const other = this.#first === undefined ? 0 : this.#first.author !== id ? this.#first.level : (this.#second?.level ?? 0)
    const median = this.#peers.median(this.#now) ?? 0
    return Math.max(this.#start, this.#highestClaim, median, other)
  }

  /** Levels only rise, so the latest mover holds the highest level. */
  #moved(id: string, level: number): void {
    if (this.#first === undefined || this.#first.author === id) {
      this.#first = { author: id, level }
    } else {
      this.#second = this.#first
      this.#first = { author: id, level }
    }
  }

  #tick(now: number, title: string): void {
    if (typeof now !== 'number' || !Number.isFinite(now)) {
      throw new BloomwalkError('INVALID_ARGUMENT', `LamportClock.${title}: now must be a finite number of milliseconds, got ${String(now)}`)
    }
    if (now > this.#now) this.#now = now
  }
}
