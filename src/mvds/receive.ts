/**
 * The receive side: one handler per record type, applied in the reference's order (ACK,
 * REQUEST, OFFER, MESSAGE). Never throws: malformed or unwanted records are counted and
 * skipped. The rule numbers (I2, B2, E1, …) are those of docs/mvds.md.
 */
import { MVDS_GROUP_ID_BYTES, type MvdsMessage, type MvdsPayload } from '../wire/mvds.js'
import type { MvdsCore } from './core.js'
import type { PeerState } from './peer.js'
import { hex } from '../bytes.js'
import type { MvdsReceiveResult } from './types.js'

const ID_BYTES = 32

function isId(id: unknown): id is Uint8Array {
  return id instanceof Uint8Array && id.length === ID_BYTES
}

function isMessage(m: unknown): m is MvdsMessage {
  if (typeof m !== 'object' || m === null) return false
  const { groupId, timestamp, body } = m as Partial<MvdsMessage>
  return groupId instanceof Uint8Array && groupId.length === MVDS_GROUP_ID_BYTES && Number.isSafeInteger(timestamp) && body instanceof Uint8Array
}

/** ACK (I5, B3): the peer holds the message; stop offering / sending it to that peer. */
function onAck(core: MvdsCore, peer: PeerState, id: Uint8Array): void {
  const key = hex(id)
  peer.markKnown(key)
  const record = peer.records.get(key)
  if (record === undefined || record.type === 'request') {
    core.stats.ignored++
    return
  }
  peer.records.delete(key)
}

/** REQUEST (I3, D1): answer with the MESSAGE if we hold it and share its group with the peer. */
function onRequest(core: MvdsCore, peer: PeerState, from: string, id: Uint8Array): void {
  const message = core.store.get(id)
  const group = message === undefined ? undefined : hex(message.groupId)
  if (group === undefined || !core.shares(group, from)) {
    core.stats.ignored++
    return
  }
  // Replaces an OFFER record (the spec: "the OFFER is removed from the state").
  peer.setRecord(hex(id), 'message', id, group, core.epoch)
}

/** OFFER (I2, E2, E7): request what we lack; acknowledge what we already hold. */
function onOffer(core: MvdsCore, peer: PeerState, id: Uint8Array): void {
  const key = hex(id)
  peer.markKnown(key)
  if (core.store.has(id)) {
    peer.queueAck(key, id)
    if (peer.records.get(key)?.type !== 'request') peer.records.delete(key)
    return
  }
  peer.setRecord(key, 'request', id, undefined, core.epoch)
}

/** MESSAGE (I4, B2, E1, E3, D2): validate, acknowledge, store, deliver once, relay. */
function onMessage(core: MvdsCore, peer: PeerState, from: string, m: unknown, out: MvdsReceiveResult): void {
  const s = core.stats
  if (!isMessage(m)) {
    s.rejected++
    return
  }
  const group = hex(m.groupId)
  if (!core.shares(group, from)) {
    s.rejected++
    return
  }
  const { id, key } = core.ids.idOf(m)
  // A message we hold was accepted when it was stored: `accept` is asked about new ones only.
  const duplicate = core.store.has(id)
  if (!duplicate && core.opts.accept !== undefined && !core.opts.accept(m, id, from)) {
    s.rejected++
    return
  }
  // Every received MESSAGE is acknowledged, a duplicate too (R4): ACKs are never retransmitted.
  peer.queueAck(key, id)
  peer.markKnown(key)
  peer.records.delete(key)
  if (duplicate) {
    s.duplicates++
    return
  }
  const message: MvdsMessage = { groupId: m.groupId, timestamp: m.timestamp, body: m.body }
  core.store.put(id, message)
  // We hold it now: a REQUEST for it to any other peer is moot.
  for (const other of core.peers.values()) {
    if (other.records.get(key)?.type === 'request') other.records.delete(key)
  }
  s.delivered++
  out.deliver.push(message)
  out.ids.push(id)
  if (core.opts.relay) core.fanOut(group, key, id, from)
}

/** Applies one inbound payload from `from` at `epoch`. */
export function receivePayload(core: MvdsCore, from: string, payload: MvdsPayload, epoch: number): MvdsReceiveResult {
  const out: MvdsReceiveResult = { deliver: [], ids: [] }
  const s = core.stats
  if (Number.isSafeInteger(epoch)) core.advance(epoch)
  const acks = Array.isArray(payload?.acks) ? payload.acks : []
  const requests = Array.isArray(payload?.requests) ? payload.requests : []
  const offers = Array.isArray(payload?.offers) ? payload.offers : []
  const messages = Array.isArray(payload?.messages) ? payload.messages : []
  s.received.payloads++
  s.received.acks += acks.length
  s.received.requests += requests.length
  s.received.offers += offers.length
  s.received.messages += messages.length
  // Only peers sharing a group with us have state; anything else from the network is ignored (E5).
  const peer = from === core.opts.id ? undefined : core.touch(from)
  if (peer === undefined) {
    s.ignored += acks.length + requests.length + offers.length + messages.length
    return out
  }
  // A sign of life (heardWithin); without it retransmission is blind and nothing is to be rescanned.
  if (core.opts.heardWithin !== Infinity) peer.hear(core.epoch)
  for (const id of acks) {
    if (isId(id)) onAck(core, peer, id)
    else s.ignored++
  }
  for (const id of requests) {
    if (isId(id)) onRequest(core, peer, from, id)
    else s.ignored++
  }
  for (const id of offers) {
    if (isId(id)) onOffer(core, peer, id)
    else s.ignored++
  }
  for (const m of messages) onMessage(core, peer, from, m, out)
  return out
}
