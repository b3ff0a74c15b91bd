/**
 * The send side: once per epoch, at most one payload per peer holding its queued ACKs and
 * every due OFFER, REQUEST and MESSAGE record that fits the budget (F1, F2, R1–R3 of
 * docs/mvds.md). Records that do not fit stay due and go in a later epoch.
 */
import { backoffDelay } from './backoff.js'
import type { MvdsCore } from './core.js'
import type { PeerState, RecordEntry } from './peer.js'
import { PayloadBuilder, messageEntrySize } from './size.js'
import type { MvdsOutgoing } from './types.js'

/** Adds one due record to the payload; false when it does not fit (or was dropped). */
function addRecord(core: MvdsCore, peerId: string, peer: PeerState, key: string, r: RecordEntry, b: PayloadBuilder): boolean {
  if (r.type === 'offer') return b.addId('offers', r.id)
  if (r.type === 'request') return b.addId('requests', r.id)
  const message = r.group !== undefined && core.shares(r.group, peerId) ? core.store.get(r.id, key) : undefined
  // Gone from the store, no longer shared, or larger than any payload: it can never be sent.
  if (message === undefined || messageEntrySize(message, core.opts.schema) > core.opts.maxPayloadBytes) {
    peer.records.delete(key)
    core.stats.dropped++
    return false
  }
  return b.addMessage(message)
}

/**
 * A payload that refused this many due records in a row is full: the scan stops there and
 * the records not looked at stay due for the next epoch. Without it a peer with thousands
 * of due records (a member offline for hours) costs a store lookup per record per epoch.
 */
export const MAX_REFUSALS_PER_PAYLOAD = 16

function build(core: MvdsCore, peerId: string, peer: PeerState, epoch: number): PayloadBuilder {
  const { opts, stats } = core
  const b = new PayloadBuilder(opts.maxPayloadBytes, opts.maxIdsPerList, opts.maxMessagesPerPayload, opts.schema)
  // ACKs first: they are small and, never being retransmitted, only go out from this queue.
  // Those of a message the host is still making durable stay queued (MvdsNode.hold).
  for (const [key, id] of peer.acks) {
    if (core.held.has(key)) continue
    if (!b.addId('acks', id)) break
    peer.acks.delete(key)
  }
  let nextDue = Infinity
  let refusals = 0
  // `heardWithin`: a silent peer gets first transmissions only; `heard` makes the rest due again.
  const silent = epoch - peer.lastHeard > opts.heardWithin
  for (const [key, r] of peer.records) {
    if (silent && r.sendCount > 0) continue
    if (r.sendEpoch > epoch) {
      nextDue = Math.min(nextDue, r.sendEpoch)
      continue
    }
    if (!addRecord(core, peerId, peer, key, r, b)) {
      if (peer.records.has(key)) {
        stats.deferred++
        nextDue = Math.min(nextDue, r.sendEpoch)
        if (++refusals >= MAX_REFUSALS_PER_PAYLOAD) break
      }
      continue
    }
    refusals = 0
    if (r.sendCount > 0) stats.retransmissions++
    r.sendCount++
    stats.sent[r.type === 'offer' ? 'offers' : r.type === 'request' ? 'requests' : 'messages']++
    if (r.sendCount >= opts.maxSendCount) {
      peer.records.delete(key)
      stats.expired++
      continue
    }
    r.sendEpoch = epoch + backoffDelay(opts.backoff, r.sendCount)
    nextDue = Math.min(nextDue, r.sendEpoch)
  }
  peer.nextDue = nextDue
  return b
}

/** The payloads of one epoch, in peer order (least recently active first). */
export function tickPayloads(core: MvdsCore, epoch: number): MvdsOutgoing[] {
  core.advance(epoch)
  const out: MvdsOutgoing[] = []
  for (const [peerId, peer] of core.peers) {
    // One payload per peer per epoch (F1); skip peers with nothing due without scanning.
    if (epoch <= peer.lastSentEpoch) continue
    if (peer.acks.size === 0 && peer.nextDue > epoch) continue
    const b = build(core, peerId, peer, epoch)
    if (b.empty) continue
    peer.lastSentEpoch = epoch
    core.stats.sent.payloads++
    core.stats.sent.acks += b.acks.length
    out.push({ peer: peerId, payload: b.payload() })
  }
  return out
}
