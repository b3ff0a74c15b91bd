/**
 * The Bloom offer as a probabilistic acknowledgement (seed p2p-data-sync-mobile,
 * Enhancement 3; issue 19 item 4). When a peer sharing a group with us shows us a Bloom
 * filter of what it holds, every OFFER or MESSAGE record we keep for that peer whose
 * message the filter says "maybe" to is dropped as if the peer had acknowledged it, and
 * the message is remembered as held by the peer (so a relay does not queue it again).
 *
 * A filter is wrong in one direction only: a false positive drops a record for a message
 * the peer lacks. The record is not retransmitted then; the message is not lost, because
 * the peer's next Bloom offers (a new salt each, so the same id is a false positive again
 * with probability about the filter's rate) leave it out and any member holding it answers
 * with it — the anti-entropy that makes the filter an acknowledgement at all.
 * test/node/mvds-bloom-ack.test.ts forces a false positive and shows the message arriving.
 *
 * REQUEST records are left alone: they are what we want from the peer, not what it owes.
 */
import type { MvdsCore } from './core.js'
import type { MvdsHolds } from './types.js'

/** Drops `peerId`'s OFFER / MESSAGE records that `holds` says the peer has; returns how many. */
export function acknowledgeHeld(core: MvdsCore, peerId: string, holds: MvdsHolds): number {
  const peer = core.peers.get(peerId)
  if (peer === undefined) return 0
  let dropped = 0
  for (const [key, r] of peer.records) {
    if (r.type === 'request' || !holds(r.id, key)) continue
    peer.records.delete(key)
    peer.markKnown(key)
    dropped++
  }
  core.stats.probableAcks += dropped
  return dropped
}
