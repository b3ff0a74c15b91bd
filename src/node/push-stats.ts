/**
 * The push service's counters (./push.ts), as `stats().push` reports them; a tracker, which
 * never pushes, reports them at zero.
 */

/** Counters of the push path (in `stats().push`). */
export interface PushStats {
  /** Push datagrams sent for our own bundles and ephemeral messages. */
  published: number
  /** Push datagrams received (after the source check). */
  received: number
  /** Bundles in them that were new to us. */
  fresh: number
  /** Push datagrams sent forwarding someone else's bundles. */
  forwarded: number
  /** New pushed bundles not forwarded: hop count spent, or not fresh. */
  notForwarded: number
  /** New pushed bundles not forwarded because a per-second or per-source budget was spent. */
  overBudget: number
  /** New pushed bundles not spread because the room was busy ({@link PushOptions.busyFreshPerSecond}). */
  busy: number
  /** Announcement datagrams (ids only) sent. */
  announced: number
  /** Announced ids we lacked and asked an announcer for (asking another one when the first did not answer counts again). */
  wanted: number
  /** Of those, bundles that arrived (then spread like a pushed one). */
  fetched: number
  /** Global times g − 1 looked up after a fresh bundle at g arrived (./gap-fetch.ts). */
  gapChecks: number
  /** Of those, held nothing: asked of the bundle's sender. */
  gapFetches: number
  /** Gap checks not made: their bound was reached. */
  gapOverBound: number
  /** Short ids of fresh bundles validated peers named in their walk datagrams (`recent_short`); those we lacked were asked for (in `wanted`). */
  recentHeard: number
  /** Announcements to recent walkers behind of fresh bundles we did not spread (./push.ts `#tellRecentWalkers`). */
  toldWalkers: number
}

/** Push counters at zero (a tracker's, which never pushes). */
export function emptyPushStats(): PushStats {
  return { published: 0, received: 0, fresh: 0, forwarded: 0, notForwarded: 0, overBudget: 0, busy: 0, announced: 0, wanted: 0, fetched: 0, gapChecks: 0, gapFetches: 0, gapOverBound: 0, recentHeard: 0, toldWalkers: 0 }
}
