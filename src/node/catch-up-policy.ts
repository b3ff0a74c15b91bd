/**
 * The policy of coded-symbol catch-up (docs/reconcile.md §9, §14, §15): its timers, how much a
 * request asks for and fetches, the first window, and the counters it keeps. The service that
 * applies it is ./catch-up.ts.
 */
import { CHECK_FIELD_BYTES, SHORT_RECORD_BYTES, SYMBOL_RECORD_BYTES, firstAnswer, symbolsPerResponse } from '../reconcile/index.js'

/** A responder keeps a session's snapshot this long after its last request (ms). */
export const SESSION_TIMEOUT_MS = 10_500
/** Without progress for this long the requester asks again for what is missing (ms); after DEFAULT_MAX_RETRIES retries it gives up. */
export const RETRY_MS = 2_000
/** The same peer is idle-checked at most once per this interval (ms). */
export const IDLE_CHECK_INTERVAL_MS = 60_000
/** Ids peeled per decode() call (the decoder's per-round cap). */
export const MAX_IDS_PER_ROUND = 128
/** Ids per fetch (riding on a symbols-request, or a bundle-request) sent by catch-up. */
export const FETCH_IDS_PER_REQUEST = 16
/**
 * Short ids per fetch in a short-id session (docs/reconcile.md §15): named by their 4-byte
 * prefixes (within the decode limit `maxPrefixesPerRequest`), 64 a request: fewer requests, and
 * fewer half-filled answer datagrams; 64 bundles of 320 B still fit the answer's four
 * response budgets. A session's last fetches are split evenly between requests.
 */
export const FETCH_SHORT_IDS_PER_REQUEST = 64
/** Most short ids a decoded session's check asks for again by their whole 8 bytes (those not received). */
export const REFETCH_SHORT_IDS = 128

/**
 * Most symbols one symbols-request asks for, and is answered with: the response budget's
 * worth of whole datagrams, within the decode limit. Requesters and responders use the same
 * bound (a node computes it once: its budgets do not change).
 */
export function symbolsPerRequest(datagramBudget: number, responseBudget: number, limit: number, record = SYMBOL_RECORD_BYTES): number {
  return Math.min(limit, symbolsPerResponse(datagramBudget, responseBudget, record))
}

/**
 * Share of the first answer's datagram given to whole symbols; counts alone fill the rest
 * (docs/reconcile.md §9): with 18 symbols and 189 counts alone at 1 200 B, instead of 26
 * symbols, the first estimate of d is about twice as accurate and the second wave finishes
 * the session in 37 of 40 simulated sessions at d = 100 (18 of 40 before).
 */
export const FIRST_WINDOW_SHARE = 0.7

/**
 * The same for short-id sessions (docs/reconcile.md §14): the whole first answer is symbols.
 * A short symbol costs 13–15 bytes instead of 41–43, so the first datagram's 80-odd symbols
 * are both part of what decoding needs and samples enough for the first estimate; counts alone
 * (2 bytes each, useful for nothing else) cost more than the over-ask they save (measured with
 * `npm run reconcile-bench -- --first-window-share`, docs/reconcile.md §14).
 */
export const SHORT_FIRST_WINDOW_SHARE = 1

/** Symbols asked for on top per √d̂ in short-id sessions (docs/reconcile.md §14; full-id sessions: the session's default, 3). */
export const SHORT_SYMBOLS_PER_ROOT_DIFFERENCE = 2

/**
 * The idle check's first answer at a datagram budget: `window` symbols from 0 and
 * `countsAlone` counts alone after them, one datagram for sets below 2^20 (counts alone
 * within the decode limit `maxCountsOnly`).
 */
export function firstWindow(budget: number, maxCountsOnly: number, short = false, share = FIRST_WINDOW_SHARE): { window: number; countsAlone: number } {
  const first = short ? firstAnswer(budget, share, SHORT_RECORD_BYTES, CHECK_FIELD_BYTES) : firstAnswer(budget, share)
  // A whole datagram of symbols: no counts alone squeezed into its last bytes.
  if (share >= 1) return { window: first.window, countsAlone: 0 }
  return { window: first.window, countsAlone: Math.min(first.countsAlone, maxCountsOnly) }
}

/** Counters of the catch-up path, per node. */
export interface CatchUpCounters {
  idleChecks: number
  inSync: number
  sessions: number
  decoded: number
  failed: number
  fetched: number
  pushed: number
  /** Re-requests after no progress (loss). */
  retries: number
  /** Sessions ended because retries ran out. */
  gaveUp: number
  /** Responder snapshots the sketch's journal no longer reached (served from the current sketch instead). */
  snapshotsLost: number
  /** Idle checks not started because the peer's host ignored a whole session recently (silent-hosts.ts). */
  silentSkipped: number
  /** Bundle-requests `{newer_than}` sent to a peer that was ahead (newest first). */
  newerFetches: number
  /**
   * Short-id collisions found (docs/reconcile.md §14): a session that ended `collision` (ids
   * sharing a short id on one side, or a salted check that failed) or a decoded session whose
   * check failed once the full ids were known. Each falls back to the Bloom walk.
   */
  collisions: number
  /** Decoded short-id sessions whose check could not be made (a short id fetched and not received, or held twice); the next idle check checks again. */
  unverified: number
}

export function newCatchUpCounters(): CatchUpCounters {
  return { idleChecks: 0, inSync: 0, sessions: 0, decoded: 0, failed: 0, fetched: 0, pushed: 0, retries: 0, gaveUp: 0, snapshotsLost: 0, silentSkipped: 0, newerFetches: 0, collisions: 0, unverified: 0 }
}

/** Catch-up's settings. */
export interface CatchUpSettings {
  /** Symbols asked for in total per estimated difference (default `DEFAULT_SYMBOLS_PER_DIFFERENCE`). */
  symbolsPerDifference?: number
  /** Sessions over short ids (docs/reconcile.md §14; default true); false: 32-byte ids in every symbol. */
  shortIds?: boolean
  /** Symbols asked for on top, per square root of the estimated difference (default: the session's). */
  symbolsPerRootDifference?: number
  /** Share of the first answer's datagram given to whole symbols (default {@link SHORT_FIRST_WINDOW_SHARE}, with full ids {@link FIRST_WINDOW_SHARE}). */
  firstWindowShare?: number
}
