/**
 * The candidate table (DESIGN §6, §9): walk / stumble / intro / trusted categories with
 * `now`-based lifetimes, the walker's weighted choice, introductions, and per-subnet and
 * total caps. Sans-I/O: `now` and an `Rng` are passed in.
 */
export { type Candidate, type Category, type Lifetimes, CATEGORIES, categoryOf, isEligibleForWalk, isUseful, lastSeen } from './candidate.js'
export {
  type CandidateTableInit,
  type CandidateTableOptions,
  type CategoryWeights,
  BEHIND_TRUSTED_SHARE,
  DEFAULT_CATEGORY_WEIGHTS,
  DESIGN_STEP_MS,
  INTRO_LIFETIME_MS,
  MAX_CANDIDATES,
  MAX_PER_NARROW_SUBNET,
  MAX_PER_WIDE_SUBNET,
  REVISIT_DELAY_MS,
  STUMBLE_LIFETIME_MS,
  TRUSTED_RECHECK_MS,
  USEFUL_LIFETIME_MS,
  WALK_ELIGIBLE_DELAY_MS,
  WALK_LIFETIME_MS,
  WALK_TIMEOUT_MS,
  pacedWalkEligibleDelayMs,
  resolveOptions
} from './options.js'
export { type Requester, EVICTION_RANK, drawCategory, introducible, withTrustedShare } from './select.js'
export { CandidateTable } from './table.js'
export type { CandidateTableStats, CategoryCounts, IntroInfo, PeerInfo } from './types.js'
