/**
 * Puncture bookkeeping (DESIGN §6 step 4, §9).
 *
 * When B introduces C to us, B asks C to send us a puncture that echoes the identifier of
 * our introduction-request. We record that expectation; an incoming puncture counts only
 * if it echoes an outstanding identifier and comes from one of the addresses we were told
 * to expect (C's LAN or WAN address). Expectations that see no puncture before their
 * deadline count as failures, which measures how often hole punching works.
 */
import { type Address, addressKey, isValidAddress } from './address.js'
import { assertNow, intOption } from './assert.js'

/** Default wait for a puncture: the introduction-request timeout, one round trip plus slack. */
export const DEFAULT_PUNCTURE_TIMEOUT_MS = 10_500
/** Default cap on outstanding expectations: one per walk step (every 5 s) leaves ample room. */
export const DEFAULT_MAX_OUTSTANDING_PUNCTURES = 256

/** Options of a {@link PunctureTracker}. */
export interface PunctureTrackerInit {
  /** How long an expectation waits for its puncture, in ms. Default {@link DEFAULT_PUNCTURE_TIMEOUT_MS}. */
  timeoutMs?: number
  /** Outstanding expectations kept; beyond it the oldest is dropped (counted as `evicted`). Default {@link DEFAULT_MAX_OUTSTANDING_PUNCTURES}. */
  maxOutstanding?: number
}

/** The verdict on one incoming puncture. */
export type PunctureMatch =
  /** Echoes an outstanding identifier from an expected address: counted as a success, expectation closed. */
  | 'matched'
  /** No outstanding expectation has this identifier (never issued, already matched, or dropped). */
  | 'unknown-identifier'
  /** The identifier is outstanding but the sender is not an expected address; the expectation stays open. */
  | 'wrong-address'
  /** The expectation's deadline has passed: counted as a failure, expectation closed. */
  | 'expired'

/** Counters since construction. */
export interface PunctureStats {
  /** Expectations recorded. */
  expected: number
  /** Punctures that matched. */
  succeeded: number
  /** Expectations that reached their deadline without a puncture. */
  failed: number
  /** Expectations dropped to respect `maxOutstanding`, or replaced by a reused identifier. */
  evicted: number
  /** Incoming punctures that did not match (unknown identifier or wrong address). */
  unmatched: number
}

interface Expectation {
  from: Set<string>
  deadline: number
}

/**
 * Tracks the punctures we expect and matches incoming ones. Work per call is O(1) except
 * {@link PunctureTracker.expire}, which is O(expired); memory is bounded by `maxOutstanding`.
 */
export class PunctureTracker {
  readonly #timeoutMs: number
  readonly #max: number
  /** identifier → expectation; Map order is oldest first, and deadlines are in that order. */
  readonly #outstanding = new Map<number, Expectation>()
  readonly #stats: PunctureStats = { expected: 0, succeeded: 0, failed: 0, evicted: 0, unmatched: 0 }

  /** @throws {BloomwalkError} INVALID_ARGUMENT for a negative timeout or `maxOutstanding` < 1 */
  constructor(init: PunctureTrackerInit = {}) {
    this.#timeoutMs = intOption('PunctureTracker', 'timeoutMs', init.timeoutMs, DEFAULT_PUNCTURE_TIMEOUT_MS, 0)
    this.#max = intOption('PunctureTracker', 'maxOutstanding', init.maxOutstanding, DEFAULT_MAX_OUTSTANDING_PUNCTURES, 1)
  }

  /** Outstanding expectations. */
  get size(): number {
    return this.#outstanding.size
  }

  /** A copy of the counters. */
  stats(): PunctureStats {
    return { ...this.#stats }
  }

  /**
   * Expects a puncture echoing `identifier` (a 32-bit unsigned integer) from any of
   * `from`, until `now + timeoutMs` (exclusive). Malformed addresses in `from` are
   * skipped; with none left, nothing is recorded and false is returned. Reusing an
   * outstanding identifier replaces its expectation (the old one counts as evicted).
   * Expired expectations are settled first, so a caller that only ever calls `expect`
   * and `match` still gets correct failure counts.
   * @throws {BloomwalkError} INVALID_ARGUMENT when `now` is not finite
   */
  expect(identifier: number, from: readonly Address[], now: number): boolean {
    assertNow('PunctureTracker.expect', now)
    this.expire(now)
    if (!isU32(identifier)) return false
    const keys = new Set<string>()
    for (const a of from) if (isValidAddress(a)) keys.add(addressKey(a))
    if (keys.size === 0) return false
    if (this.#outstanding.delete(identifier)) this.#stats.evicted++
    this.#outstanding.set(identifier, { from: keys, deadline: now + this.#timeoutMs })
    this.#stats.expected++
    while (this.#outstanding.size > this.#max) {
      const oldest = this.#outstanding.keys().next().value as number
      this.#outstanding.delete(oldest)
      this.#stats.evicted++
    }
    return true
  }

  /**
   * Judges an incoming puncture that echoes `identifier` and came from `sender`.
   * @throws {BloomwalkError} INVALID_ARGUMENT when `now` is not finite
   */
  match(identifier: number, sender: Address, now: number): PunctureMatch {
    assertNow('PunctureTracker.match', now)
    const e = isU32(identifier) ? this.#outstanding.get(identifier) : undefined
    if (e === undefined) {
      this.#stats.unmatched++
      return 'unknown-identifier'
    }
    if (now >= e.deadline) {
      this.#outstanding.delete(identifier)
      this.#stats.failed++
      return 'expired'
    }
    if (!isValidAddress(sender) || !e.from.has(addressKey(sender))) {
      this.#stats.unmatched++
      return 'wrong-address'
    }
    this.#outstanding.delete(identifier)
    this.#stats.succeeded++
    return 'matched'
  }

  /**
   * Closes every expectation whose deadline is at or before `now`, counting each as a
   * failure. Returns how many were closed.
   * @throws {BloomwalkError} INVALID_ARGUMENT when `now` is not finite
   */
  expire(now: number): number {
    assertNow('PunctureTracker.expire', now)
    let closed = 0
    for (const [id, e] of this.#outstanding) {
      // Deadlines follow insertion order (same timeout for all, `now` never decreases).
      if (e.deadline > now) break
      this.#outstanding.delete(id)
      closed++
    }
    this.#stats.failed += closed
    return closed
  }
}

function isU32(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 0xffffffff
}
