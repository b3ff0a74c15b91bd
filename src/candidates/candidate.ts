/**
 * One candidate (a peer we may walk to) and the pure, `now`-taking predicates over it
 * (DESIGN §6; after Dispersy's `candidate.py`, `is_eligible_for_walk(now)`).
 */
import type { Address, ConnectionType } from '../nat/index.js'

/**
 * Why we know a candidate, in precedence order when several apply:
 * - `trusted`: configured tracker or trusted peer; never expires;
 * - `walk`: answered our introduction-request;
 * - `stumble`: sent us an introduction-request;
 * - `intro`: introduced to us by a third party, or punctured us.
 */
export type Category = 'trusted' | 'walk' | 'stumble' | 'intro'

/** Every {@link Category}, in the walker's order. */
export const CATEGORIES: readonly Category[] = ['trusted', 'walk', 'stumble', 'intro']

/** A candidate as the table reports it (a snapshot; mutating it changes nothing). */
export interface Candidate {
  /** Canonical address key (`1.2.3.4:5`, `[::1]:5`): the address packets to it go to. */
  readonly key: string
  /** Its LAN address, as it (or, for intro candidates, an introducer) reported it. */
  readonly lan: Address
  /** Its WAN address, as it (or an introducer) reported it. */
  readonly wan: Address
  /** Its connection type, as it reported it; `unknown` until it tells us. */
  readonly connectionType: ConnectionType
  /** When we last sent it an introduction-request (ms), if ever. */
  readonly lastWalk: number | undefined
  /** When it last answered one (ms), if ever: the start of its walk lifetime. */
  readonly lastWalkReply: number | undefined
  /** When it last sent us an introduction-request (ms), if ever. */
  readonly lastStumble: number | undefined
  /** When it was last introduced to us or punctured us (ms), if ever. */
  readonly lastIntro: number | undefined
  /** When it last sent us a bundle we did not hold (ms), if ever: proof of usefulness that a Sybil cannot fake by answering walks. */
  readonly lastUseful: number | undefined
  /** True once it answered us or sent us a request (its address is proven, not hearsay). */
  readonly verified: boolean
  /** True for configured trackers / trusted peers. */
  readonly trusted: boolean
}

/** The lifetimes that decide a candidate's category. */
export interface Lifetimes {
  readonly walkLifetimeMs: number
  readonly stumbleLifetimeMs: number
  readonly introLifetimeMs: number
}

/** True when `at` is defined and `now` lies in the half-open window [at, at + lifetime). */
function within(at: number | undefined, lifetime: number, now: number): boolean {
  return at !== undefined && now < at + lifetime
}

/**
 * The candidate's category at `now`, or `undefined` once every status has expired.
 * A status is live in the half-open window [timestamp, timestamp + lifetime): a walk
 * candidate answered at t is walk until t + 57.5 s and no longer at that instant.
 */
export function categoryOf(c: Candidate, now: number, l: Lifetimes): Category | undefined {
  if (c.trusted) return 'trusted'
  if (within(c.lastWalkReply, l.walkLifetimeMs, now)) return 'walk'
  if (within(c.lastStumble, l.stumbleLifetimeMs, now)) return 'stumble'
  if (within(c.lastIntro, l.introLifetimeMs, now)) return 'intro'
  return undefined
}

/**
 * True when we may walk to the candidate at `now`: it has a live category and was never
 * walked to, or the last walk was at least `delayMs` ago (eligible at exactly last + delay).
 */
export function isEligibleForWalk(c: Candidate, now: number, l: Lifetimes, delayMs: number): boolean {
  if (categoryOf(c, now, l) === undefined) return false
  return c.lastWalk === undefined || now >= c.lastWalk + delayMs
}

/** True when the candidate was never walked to, or answered our last walk (a reply at or after it). */
export function answeredLastWalk(c: Candidate): boolean {
  return c.lastWalk === undefined || (c.lastWalkReply !== undefined && c.lastWalkReply >= c.lastWalk)
}

/** True when the candidate sent us a bundle we did not hold within the last `usefulLifetimeMs` (half-open window, as the lifetimes). */
export function isUseful(c: Candidate, now: number, o: { readonly usefulLifetimeMs: number }): boolean {
  return within(c.lastUseful, o.usefulLifetimeMs, now)
}

/** The latest sign of life from the candidate (reply, request, introduction), or −∞. */
export function lastSeen(c: Candidate): number {
  return Math.max(c.lastWalkReply ?? -Infinity, c.lastStumble ?? -Infinity, c.lastIntro ?? -Infinity)
}
