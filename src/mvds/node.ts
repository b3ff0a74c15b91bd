/**
 * An MVDS node (seed mvds.md, DESIGN §7) as a sans-I/O state machine. The host calls
 * {@link MvdsNode.tick} once per epoch and sends each returned payload to its peer, and
 * hands every inbound payload to {@link MvdsNode.receive}. Nothing here reads a clock,
 * draws randomness or touches a socket.
 *
 * ```ts
 * const node = new MvdsNode({ id: 'alice', mode: 'batch' })
 * node.share(group, 'bob')
 * node.send(group, body)
 * for (const { peer, payload } of node.tick(epoch)) transport.send(peer, encodeMvdsPayload(payload))
 * const { deliver } = node.receive('bob', decodeMvdsPayload(bytes)!, epoch)
 * ```
 */
import { BloomwalkError } from '../errors.js'
import { MVDS_GROUP_ID_BYTES, mvdsMessageId, type MvdsMessage, type MvdsPayload } from '../wire/mvds.js'
import { MvdsCore, emptyStats } from './core.js'
import { receivePayload } from './receive.js'
import { PayloadBuilder, messageEntrySize } from './size.js'
import { hex } from '../bytes.js'
import { tickPayloads } from './tick.js'
import { acknowledgeHeld } from './probable-ack.js'
import type { MvdsSnapshot, MvdsSnapshotPeer } from './snapshot.js'
import type { MvdsHolds, MvdsMessageStore, MvdsMode, MvdsNodeInit, MvdsOutgoing, MvdsReceiveResult, MvdsRecordState, MvdsStats } from './types.js'

function checkGroup(groupId: Uint8Array): string {
  if (!(groupId instanceof Uint8Array) || groupId.length !== MVDS_GROUP_ID_BYTES) {
    throw new BloomwalkError('INVALID_ARGUMENT', `groupId must be ${MVDS_GROUP_ID_BYTES} bytes`)
  }
  return hex(groupId)
}

function checkPeer(peerId: string): void {
  if (typeof peerId !== 'string' || peerId === '') throw new BloomwalkError('INVALID_ARGUMENT', 'peerId must be a non-empty string')
}

/** The MVDS node state machine (batch or interactive mode). */
export class MvdsNode {
  readonly #core: MvdsCore

  /** @throws {BloomwalkError} INVALID_ARGUMENT for an empty id, an unknown mode or an out-of-range bound */
  constructor(init: MvdsNodeInit) {
    this.#core = new MvdsCore(init)
  }

  /** Our peer id. */
  get id(): string {
    return this.#core.opts.id
  }

  /** The sending mode. */
  get mode(): MvdsMode {
    return this.#core.opts.mode
  }

  /** The message store. */
  get store(): MvdsMessageStore {
    return this.#core.store
  }

  /** The latest epoch passed to `tick` or `receive` (or the initial one). */
  /** An empty payload builder with this node's budget and caps (to pack payloads of one's own, e.g. for a multicast topic). */
  payloadBuilder(): PayloadBuilder {
    const { maxPayloadBytes, maxIdsPerList, maxMessagesPerPayload } = this.#core.opts
    return new PayloadBuilder(maxPayloadBytes, maxIdsPerList, maxMessagesPerPayload, this.#core.opts.schema)
  }

  get epoch(): number {
    return this.#core.epoch
  }

  /**
   * Shares a group with a peer: messages of the group are sent to it, and its messages of
   * the group are accepted. Not retroactive (as the reference): messages sent before are not
   * offered. At `maxPeers`, the least recently active peer is evicted.
   * @throws {BloomwalkError} INVALID_ARGUMENT for a group id that is not 32 bytes or an empty or own peer id
   */
  share(groupId: Uint8Array, peerId: string): void {
    const group = checkGroup(groupId)
    checkPeer(peerId)
    if (peerId === this.id) throw new BloomwalkError('INVALID_ARGUMENT', 'cannot share a group with ourselves')
    const core = this.#core
    const peer = core.ensurePeer(peerId)
    peer.groups.add(group)
    let members = core.groups.get(group)
    if (members === undefined) core.groups.set(group, (members = new Set()))
    members.add(peerId)
  }

  /**
   * Stops sharing a group with a peer and drops that peer's OFFER/MESSAGE records of the
   * group. A peer sharing no group any more is forgotten with all its state.
   * @throws {BloomwalkError} INVALID_ARGUMENT for a group id that is not 32 bytes
   */
  unshare(groupId: Uint8Array, peerId: string): void {
    const group = checkGroup(groupId)
    const core = this.#core
    const peer = core.peers.get(peerId)
    if (peer === undefined || !peer.groups.has(group)) return
    peer.groups.delete(group)
    peer.dropGroup(group)
    const members = core.groups.get(group)
    members?.delete(peerId)
    if (members?.size === 0) core.groups.delete(group)
    if (peer.groups.size === 0) core.forgetPeer(peerId)
  }

  /** True when the group is shared with the peer. */
  shares(groupId: Uint8Array, peerId: string): boolean {
    return this.#core.shares(checkGroup(groupId), peerId)
  }

  /** The peers sharing a group, in the order they were added. */
  peersOf(groupId: Uint8Array): string[] {
    return [...(this.#core.groups.get(checkGroup(groupId)) ?? [])]
  }

  /**
   * Sends a message to a group: stores it, then adds a MESSAGE (batch) or OFFER (interactive)
   * record for every peer sharing the group that is not known to hold it (rules B1, I1).
   * Sending the same (group, timestamp, body) again is idempotent.
   * @param timestamp int64 on the wire; default the current epoch (pass Unix seconds to match the reference)
   * @returns the message id
   * @throws {BloomwalkError} INVALID_ARGUMENT for a bad group id or timestamp, or a message
   *   larger than `maxPayloadBytes` alone
   */
  send(groupId: Uint8Array, body: Uint8Array, timestamp: number = this.#core.epoch): Uint8Array {
    const group = checkGroup(groupId)
    if (!(body instanceof Uint8Array)) throw new BloomwalkError('INVALID_ARGUMENT', 'body must be a Uint8Array')
    const message: MvdsMessage = { groupId, timestamp, body }
    const id = mvdsMessageId(groupId, timestamp, body)
    const core = this.#core
    if (messageEntrySize(message, core.opts.schema) > core.opts.maxPayloadBytes) {
      throw new BloomwalkError('INVALID_ARGUMENT', `message of ${body.length} body bytes does not fit maxPayloadBytes ${core.opts.maxPayloadBytes}`)
    }
    core.store.put(id, message)
    core.fanOut(group, hex(id), id, undefined)
    return id
  }

  /**
   * Asks a peer for a message by id (e.g. a missing causal parent): a REQUEST record,
   * retransmitted until the message arrives. False when we already hold the message or the
   * peer shares no group with us.
   */
  request(id: Uint8Array, peerId: string): boolean {
    if (!(id instanceof Uint8Array) || id.length !== 32) throw new BloomwalkError('INVALID_ARGUMENT', 'id must be 32 bytes')
    const core = this.#core
    const peer = core.peers.get(peerId)
    if (peer === undefined || core.store.has(id)) return false
    peer.setRecord(hex(id), 'request', id, undefined, core.epoch)
    return true
  }

  /**
   * Applies a payload received from a peer at `epoch`. Never throws; records from peers
   * sharing no group with us, and invalid records, are ignored and counted.
   * @returns the messages received for the first time, to hand to the application
   */
  receive(fromPeer: string, payload: MvdsPayload, epoch: number): MvdsReceiveResult {
    return receivePayload(this.#core, fromPeer, payload, epoch)
  }

  /**
   * Holds the ACKs of a message `receive` delivered until {@link settle}: the host calls it
   * while it makes the message durable (its own database), so that no peer is told we hold
   * what a crash could still lose. The ACKs wait in their peers' queues (bounded as ever;
   * one evicted there is answered by the sender's retransmission), and so does the ACK an
   * OFFER or a copy of the message earns meanwhile.
   */
  hold(id: Uint8Array): void {
    this.#core.held.add(hex(id))
  }

  /**
   * Ends a {@link hold}. `stored`: the host holds the message durably, and its ACKs go out
   * with the next payloads. Otherwise (the host could not store it) the message is removed
   * from the store and its queued ACKs dropped: it was never acknowledged, so its senders
   * retransmit it and it is received again as new.
   */
  settle(id: Uint8Array, stored: boolean): void {
    const core = this.#core
    const key = hex(id)
    if (!core.held.delete(key) || stored) return
    core.store.delete(id)
    for (const peer of core.peers.values()) peer.acks.delete(key)
  }

  /**
   * A probabilistic acknowledgement from a peer (./probable-ack.ts): its OFFER and MESSAGE
   * records for which `holds` is true are dropped (counted in `stats().probableAcks`) and the
   * messages remembered as held by the peer. Call it with a Bloom offer received from the
   * peer; a false positive is repaired by the Bloom sync that sent the offer, not by MVDS.
   * @returns the records dropped
   */
  acknowledge(peerId: string, holds: MvdsHolds): number {
    return acknowledgeHeld(this.#core, peerId, holds)
  }

  /**
   * A sign of life from a peer at the current epoch (e.g. its Bloom offer arrived): with
   * `heardWithin`, its held retransmissions are due again. Payloads from the peer count by
   * themselves. Unknown peers are ignored.
   */
  heard(peerId: string): void {
    if (this.#core.opts.heardWithin !== Infinity) this.#core.peers.get(peerId)?.hear(this.#core.epoch)
  }

  /**
   * The payloads to send at `epoch`: at most one per peer per epoch (a second call with the
   * same epoch returns nothing for a peer already served), each holding the queued ACKs and
   * the due OFFER/REQUEST/MESSAGE records that fit `maxPayloadBytes`.
   */
  tick(epoch: number): MvdsOutgoing[] {
    if (!Number.isSafeInteger(epoch)) throw new BloomwalkError('INVALID_ARGUMENT', `epoch must be a safe integer, got ${epoch}`)
    return tickPayloads(this.#core, epoch)
  }

  /** The records kept for a peer (a snapshot, oldest first). */
  records(peerId: string): MvdsRecordState[] {
    const peer = this.#core.peers.get(peerId)
    return peer === undefined ? [] : [...peer.records.values()].map((r) => ({ ...r }))
  }

  /** ACKs queued for a peer's next payload. */
  pendingAcks(peerId: string): number {
    return this.#core.peers.get(peerId)?.acks.size ?? 0
  }

  /** Peers with state, least recently active first. */
  peers(): string[] {
    return [...this.#core.peers.keys()]
  }

  /**
   * The durable state: epoch, groups per peer, records with send count and send epoch
   * (src/mvds/snapshot.ts says what is left out and why). Peers in eviction order.
   */
  snapshot(): MvdsSnapshot {
    const peers: MvdsSnapshotPeer[] = []
    for (const [id, peer] of this.#core.peers) {
      const records = [...peer.records.values()].map((r) => ({ type: r.type, id: hex(r.id), ...(r.group === undefined ? {} : { group: r.group }), sendCount: r.sendCount, sendEpoch: r.sendEpoch }))
      peers.push({ id, groups: [...peer.groups], records })
    }
    return { epoch: this.#core.epoch, peers }
  }

  /**
   * Loads a snapshot (after a restart): shares its groups with its peers, sets its records
   * with their counts and send epochs, and moves the epoch forward to its epoch. The bounds
   * apply as to any other state (evictions counted).
   */
  restore(snapshot: MvdsSnapshot): void {
    const core = this.#core
    core.advance(snapshot.epoch)
    for (const p of snapshot.peers) {
      if (p.id === this.id || p.groups.length === 0) continue
      for (const g of p.groups) this.share(Buffer.from(g, 'hex'), p.id)
      const peer = core.peers.get(p.id)!
      for (const r of p.records) {
        const entry = peer.setRecord(r.id, r.type, Uint8Array.from(Buffer.from(r.id, 'hex')), r.group, r.sendEpoch)
        entry.sendCount = r.sendCount
        entry.sendEpoch = r.sendEpoch
      }
    }
  }

  /** A snapshot of the counters. */
  stats(): MvdsStats {
    const s = this.#core.stats
    const copy = emptyStats()
    Object.assign(copy.sent, s.sent)
    Object.assign(copy.received, s.received)
    Object.assign(copy.evictions, s.evictions)
    const { sent: _s, received: _r, evictions: _e, ...scalars } = s
    return { ...copy, ...scalars }
  }
}
