/**
 * Named, defaulted parameters of the candidate table (DESIGN §6, §9). Every constant
 * carries its unit and the reason for its value.
 */
import { BloomwalkError } from '../errors.js'

/** A walk candidate stays one for 57.5 s after its last response: 2.5 s under the common 60 s UDP NAT mapping timeout. */
export const WALK_LIFETIME_MS = 57_500
/** A stumble candidate stays one for 57.5 s after its last request: same NAT-timeout reasoning as walk. */
export const STUMBLE_LIFETIME_MS = 57_500
/** An intro candidate stays one for 27.5 s: 2.5 s under the 30 s timeout of the strictest common NATs, since its hole is fresh. */
export const INTRO_LIFETIME_MS = 27_500
/** A candidate is eligible for another walk 27.5 s after the last one: spreads steps over peers and revisits before the intro lifetime ends. */
export const WALK_ELIGIBLE_DELAY_MS = 27_500
/**
 * When no candidate is eligible (a table of fewer peers than the eligibility delay spans
 * steps, as in a room's first minute, when first contact walked to every peer at once), a
 * candidate walked to at least this long ago is walked to again rather than the step going
 * idle. An idle step is a peer that stops pulling: a bundle its few neighbours did not push
 * to it waited up to 27.5 s (docs/evaluation.md §4.8). Four fifths of the design's 5 s step,
 * not a whole one: a walk recorded a little after its step began (a first-contact follow-up,
 * a store read before the request) must not leave its peer out of the next step.
 */
export const REVISIT_DELAY_MS = 4000
/**
 * A candidate that sent us a bundle we did not hold counts as a walk target of its own,
 * apart from the other ports of its host, for 57.5 s (the walk lifetime: the evidence lives
 * as long as the NAT hole it came through).
 */
export const USEFUL_LIFETIME_MS = 57_500
/** An introduction-response not back within 10.5 s is lost: two steps (5 s each) plus slack. */
export const WALK_TIMEOUT_MS = 10_500
/** The walk step interval the delays above are made for (DESIGN §6), ms. */
export const DESIGN_STEP_MS = 5000

/**
 * The walk eligibility delay for a node that walks every `stepIntervalMs`: faster than the
 * design's 5 s, the 27.5 s delay shrinks in proportion (a node spreads its steps over about
 * six peers at any pace); slower, it keeps the design's value. The lifetimes and the walk
 * timeout describe NATs and round trips, which do not speed up, and keep theirs. The UDP
 * node (`--step`) and the simulator (a scenario's `stepIntervalMs`) both use this.
 */
export function pacedWalkEligibleDelayMs(stepIntervalMs: number): number {
  return Math.max(1, Math.round(WALK_ELIGIBLE_DELAY_MS * Math.min(1, stepIntervalMs / DESIGN_STEP_MS)))
}
/**
 * The trusted category's share of walk steps while we are behind a trusted peer (it sent us
 * a bundle we lacked within `usefulLifetimeMs`, or reported a global time above ours):
 * docs/security.md, "Sybil and eclipse", rule 6. A quarter: an eclipsed node reaches a
 * trusted peer about every 20 s at the 5 s step, and a node in sync pays nothing for it.
 */
export const BEHIND_TRUSTED_SHARE = 0.25

/**
 * ms after our last walk to any trusted entry before we count as possibly behind one (rule
 * 6): an eclipsed node cannot tell it is behind (its Sybils claim to be in sync), so it
 * checks a trusted peer at least this often. One step in 24 at the 5 s pace.
 */
export const TRUSTED_RECHECK_MS = 120_000

/** Non-trusted candidates kept: enough for hundreds of live peers, small enough to scan per step. */
export const MAX_CANDIDATES = 500
/** Stumble and intro candidates per IPv4 /24 (IPv6 /48), one site: limits one attacker's share of the table. */
export const MAX_PER_NARROW_SUBNET = 8
/** Stumble and intro candidates per IPv4 /16 (IPv6 /32), one provider: a few sites' worth, so a flood from one network stays a minority. */
export const MAX_PER_WIDE_SUBNET = 32

/** The walker's category probabilities (relative weights; they need not sum to 1). */
export interface CategoryWeights {
  readonly trusted: number
  readonly walk: number
  readonly stumble: number
  readonly intro: number
}

/**
 * Dispersy's figures: 1 % trusted (bounds an eclipse without leaning on trackers),
 * 49.5 % walk (peers known to answer), 24.75 % stumble, 24.75 % intro (where flooding
 * attackers land, so their share is capped).
 */
export const DEFAULT_CATEGORY_WEIGHTS: CategoryWeights = Object.freeze({ trusted: 0.01, walk: 0.495, stumble: 0.2475, intro: 0.2475 })

/** Options of a {@link CandidateTable}; every field defaults to the constant of the same meaning. */
export interface CandidateTableInit {
  /** ms a walk candidate lives after its last response. Default {@link WALK_LIFETIME_MS}. */
  walkLifetimeMs?: number
  /** ms a stumble candidate lives after its last request. Default {@link STUMBLE_LIFETIME_MS}. */
  stumbleLifetimeMs?: number
  /** ms an intro candidate lives after its last introduction or puncture. Default {@link INTRO_LIFETIME_MS}. */
  introLifetimeMs?: number
  /** ms after a walk before the same candidate may be walked to again. Default {@link WALK_ELIGIBLE_DELAY_MS}. */
  walkEligibleDelayMs?: number
  /**
   * ms after a walk before the same candidate may be walked to again when no candidate is
   * eligible, at most `walkEligibleDelayMs`. Default {@link REVISIT_DELAY_MS} at the pace of
   * `walkEligibleDelayMs` (scaled by walkEligibleDelayMs ÷ {@link WALK_ELIGIBLE_DELAY_MS}).
   */
  revisitDelayMs?: number
  /** ms a candidate counts as useful (a walk target apart from its host) after it last sent us a new bundle. Default {@link USEFUL_LIFETIME_MS}. */
  usefulLifetimeMs?: number
  /** ms after a walk before {@link CandidateTable.walkTimedOut} may drop walk status. Default {@link WALK_TIMEOUT_MS}. */
  walkTimeoutMs?: number
  /** Walker category weights. Default {@link DEFAULT_CATEGORY_WEIGHTS}. */
  categoryWeights?: Partial<CategoryWeights>
  /** Trusted category's share of walk steps, in [0, 1), while behind a trusted peer (0 = never raised). Default {@link BEHIND_TRUSTED_SHARE}. */
  behindTrustedShare?: number
  /** ms without a walk to any trusted entry after which we may be behind one (0 = never). Default {@link TRUSTED_RECHECK_MS}. */
  trustedRecheckMs?: number
  /** Cap on non-trusted candidates. Default {@link MAX_CANDIDATES}. */
  maxCandidates?: number
  /** Cap on stumble + intro candidates per IPv4 /24 or IPv6 /48. Default {@link MAX_PER_NARROW_SUBNET}. */
  maxPerNarrowSubnet?: number
  /** Cap on stumble + intro candidates per IPv4 /16 or IPv6 /32. Default {@link MAX_PER_WIDE_SUBNET}. */
  maxPerWideSubnet?: number
}

/** {@link CandidateTableInit} with every default applied and checked. */
export interface CandidateTableOptions {
  readonly walkLifetimeMs: number
  readonly stumbleLifetimeMs: number
  readonly introLifetimeMs: number
  readonly walkEligibleDelayMs: number
  readonly revisitDelayMs: number
  readonly usefulLifetimeMs: number
  readonly walkTimeoutMs: number
  readonly categoryWeights: CategoryWeights
  readonly behindTrustedShare: number
  readonly trustedRecheckMs: number
  readonly maxCandidates: number
  readonly maxPerNarrowSubnet: number
  readonly maxPerWideSubnet: number
}

function int(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback
  if (!Number.isSafeInteger(v) || v < 0) {
    throw new BloomwalkError('INVALID_ARGUMENT', `CandidateTable: ${name} must be an integer >= 0, got ${String(v)}`)
  }
  return v
}

function weight(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new BloomwalkError('INVALID_ARGUMENT', `CandidateTable: categoryWeights.${name} must be a finite number >= 0, got ${String(v)}`)
  }
  return v
}

function share(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) throw new BloomwalkError('INVALID_ARGUMENT', `CandidateTable: ${name} must be a number in [0, 1), got ${String(v)}`)
  return v
}

/**
 * Applies defaults and validates.
 * @throws {BloomwalkError} INVALID_ARGUMENT for a negative or non-integer duration or cap, a revisit delay above the eligibility delay, a negative or non-finite weight, or a share outside [0, 1)
 */
export function resolveOptions(init: CandidateTableInit = {}): CandidateTableOptions {
  const w = init.categoryWeights ?? {}
  const d = DEFAULT_CATEGORY_WEIGHTS
  const walkEligibleDelayMs = int('walkEligibleDelayMs', init.walkEligibleDelayMs, WALK_ELIGIBLE_DELAY_MS)
  const revisitDelayMs = int('revisitDelayMs', init.revisitDelayMs, Math.round((REVISIT_DELAY_MS * walkEligibleDelayMs) / WALK_ELIGIBLE_DELAY_MS))
  if (revisitDelayMs > walkEligibleDelayMs) throw new BloomwalkError('INVALID_ARGUMENT', `CandidateTable: revisitDelayMs must be at most walkEligibleDelayMs (${walkEligibleDelayMs}), got ${revisitDelayMs}`)
  return {
    walkLifetimeMs: int('walkLifetimeMs', init.walkLifetimeMs, WALK_LIFETIME_MS),
    stumbleLifetimeMs: int('stumbleLifetimeMs', init.stumbleLifetimeMs, STUMBLE_LIFETIME_MS),
    introLifetimeMs: int('introLifetimeMs', init.introLifetimeMs, INTRO_LIFETIME_MS),
    walkEligibleDelayMs,
    revisitDelayMs,
    usefulLifetimeMs: int('usefulLifetimeMs', init.usefulLifetimeMs, USEFUL_LIFETIME_MS),
    walkTimeoutMs: int('walkTimeoutMs', init.walkTimeoutMs, WALK_TIMEOUT_MS),
    categoryWeights: Object.freeze({
      trusted: weight('trusted', w.trusted, d.trusted),
      walk: weight('walk', w.walk, d.walk),
      stumble: weight('stumble', w.stumble, d.stumble),
      intro: weight('intro', w.intro, d.intro)
    }),
    behindTrustedShare: share('behindTrustedShare', init.behindTrustedShare, BEHIND_TRUSTED_SHARE),
    trustedRecheckMs: int('trustedRecheckMs', init.trustedRecheckMs, TRUSTED_RECHECK_MS),
    maxCandidates: int('maxCandidates', init.maxCandidates, MAX_CANDIDATES),
    maxPerNarrowSubnet: int('maxPerNarrowSubnet', init.maxPerNarrowSubnet, MAX_PER_NARROW_SUBNET),
    maxPerWideSubnet: int('maxPerWideSubnet', init.maxPerWideSubnet, MAX_PER_WIDE_SUBNET)
  }
}
