/**
 * Inputs and outputs of the candidate table.
 */
import type { Address, ConnectionType } from '../nat/index.js'

/** What a peer says about itself in a request or response it sent us. */
export interface PeerInfo {
  readonly lan: Address
  readonly wan: Address
  readonly connectionType: ConnectionType
}

/** What an introducer says about the peer it introduces (hearsay). */
export interface IntroInfo {
  readonly lan: Address
  readonly wan: Address
  readonly connectionType?: ConnectionType
}

/** Candidates per category at some `now`, for stats. */
export interface CategoryCounts {
  trusted: number
  walk: number
  stumble: number
  intro: number
  /** Still in the table but with every status expired (removed by {@link CandidateTable.purge}). */
  expired: number
  /** All entries, trusted included. */
  total: number
}

/** Counters since construction. */
export interface CandidateTableStats {
  /** Records refused: malformed key, a cap of 0, or a full table holding only more proven entries. */
  refused: number
  /** Entries evicted to respect a cap. */
  evicted: number
  /** Walk statuses dropped by {@link CandidateTable.walkTimedOut}. */
  timedOut: number
  /** Entries removed by {@link CandidateTable.purge}. */
  purged: number
}
