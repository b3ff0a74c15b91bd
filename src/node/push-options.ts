/**
 * The push service's options (DESIGN §13): how far and how wide fresh bundles go, and the
 * budgets and bounds that keep it cheap. Values chosen by measurement (docs/evaluation.md §4.8).
 */
import { BloomwalkError } from '../errors.js'
import { DEFAULT_DECODE_LIMITS } from '../wire/index.js'

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
  /**
   * New bundles a second (on average over the last 30 s: a sustained load, not a burst)
   * above which the room is busy and none is spread further (forwarded or announced): the
   * walk then carries them, many a datagram.
   * Default 4. Chat rooms stay below it; a bulk load like the `dbs-500` preset (50 a
   * second) is carried by the walk at its bytes, not push's (docs/evaluation.md §4.8).
   */
  busyFreshPerSecond: number
  /**
   * In a busy room, bundles a second still spread, each of an author of whom we spread none
   * in the last 30 s (./push-busy.ts), so that a spammer publishing a few bundles a second
   * does not turn push off for every honest author. Default 0: a busy room spreads nothing, as
   * before. Measured (docs/security.md): 4 took spam-10's honest P90 from ×23.9 to ×4.4 the
   * quiet room's, and the `dbs-500` 100-peer run's bytes from ×1.72 to ×2.12 (the busy rule's
   * own goal is 10 % over the walk alone), so it is not on by default.
   */
  busyAuthorsPerSecond: number
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
  /**
   * ms a fresh bundle taken in is named (by short id, up to 4) in our introduction-responses
   * and puncture-requests, so a peer push missed asks for it at its next contact (DESIGN §13);
   * 0 names none. Default 5 000, one walk step at the design's pace: push reaches the room
   * within about a second, and a peer it missed makes some contact within a step.
   */
  recentMs: number
}

/** Ids in one announcement: the decoder's default `maxIdsPerRequest`. */
export const MAX_IDS_PER_ANNOUNCEMENT = DEFAULT_DECODE_LIMITS.maxIdsPerRequest

export const PUSH_DEFAULTS: Readonly<PushOptions> = Object.freeze({
  fanout: 6,
  forwardFanout: 1,
  hops: 8,
  freshWindow: 16,
  busyFreshPerSecond: 4,
  busyAuthorsPerSecond: 0,
  maxForwardsPerSecond: 100,
  maxForwardsPerSourcePerSecond: 20,
  maxSources: 1024,
  announceFanout: 4,
  trustedFanout: 3,
  maxWanted: 1024,
  wantTimeoutMs: 1000,
  announceDelayMs: 25,
  recentMs: 5000
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
