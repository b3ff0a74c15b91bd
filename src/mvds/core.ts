/**
 * The shared state of an MVDS node: options, peers (least recently active first), groups,
 * the message store and the counters. The receive handlers and the payload builder work on
 * it; {@link MvdsNode} is the public face.
 */
import { BloomwalkError } from '../errors.js'
import { DEFAULT_BACKOFF } from './backoff.js'
import { MessageIdMemo } from './id-memo.js'
import { PeerState, type PeerLimits } from './peer.js'
import { DEFAULT_MAX_PAYLOAD_BYTES } from './size.js'
import { MemoryMvdsStore } from './store.js'
import type { MvdsAccept, MvdsBackoff, MvdsMessageStore, MvdsMode, MvdsNodeInit, MvdsRecordType, MvdsStats } from './types.js'
import type { MvdsSchema } from '../wire/mvds.js'

/** The options with every default applied. */
export interface MvdsOptions extends PeerLimits {
  id: string
  mode: MvdsMode
  backoff: MvdsBackoff
  maxSendCount: number
  relay: boolean
  accept: MvdsAccept | undefined
  maxPeers: number
  maxPayloadBytes: number
  maxIdsPerList: number
  maxMessagesPerPayload: number
  schema: MvdsSchema
  heardWithin: number
}

const counts = () => ({ acks: 0, offers: 0, requests: 0, messages: 0, payloads: 0 })

/** Fresh zeroed counters. */
export function emptyStats(): MvdsStats {
  return {
    sent: counts(),
    received: counts(),
    retransmissions: 0,
    delivered: 0,
    duplicates: 0,
    rejected: 0,
    ignored: 0,
    expired: 0,
    probableAcks: 0,
    deferred: 0,
    dropped: 0,
    evictions: { peers: 0, records: 0, acks: 0, known: 0 }
  }
}

function positive(name: string, value: number | undefined, fallback: number, min = 1): number {
  const v = value ?? fallback
  if (!(Number.isSafeInteger(v) || v === Infinity) || v < min) throw new BloomwalkError('INVALID_ARGUMENT', `${name} must be an integer >= ${min}, got ${String(v)}`)
  return v
}

/**
 * Resolves and checks the options.
 * @throws {BloomwalkError} INVALID_ARGUMENT for an empty id, an unknown mode or a bound out of range
 */
export function resolveOptions(init: MvdsNodeInit): MvdsOptions {
  if (typeof init.id !== 'string' || init.id === '') throw new BloomwalkError('INVALID_ARGUMENT', 'MvdsNode needs a non-empty id')
  if (init.mode !== 'batch' && init.mode !== 'interactive') throw new BloomwalkError('INVALID_ARGUMENT', `mode must be 'batch' or 'interactive', got ${String(init.mode)}`)
  return {
    id: init.id,
    mode: init.mode,
    backoff: init.backoff ?? DEFAULT_BACKOFF,
    maxSendCount: positive('maxSendCount', init.maxSendCount, Infinity),
    relay: init.relay ?? true,
    accept: init.accept,
    maxPeers: positive('maxPeers', init.maxPeers, 1024),
    maxRecords: positive('maxRecordsPerPeer', init.maxRecordsPerPeer, 1024),
    maxAcks: positive('maxAcksPerPeer', init.maxAcksPerPeer, 256),
    maxKnown: positive('maxKnownPerPeer', init.maxKnownPerPeer, 4096),
    // The smallest useful payload holds one 32-byte id (36 bytes).
    maxPayloadBytes: positive('maxPayloadBytes', init.maxPayloadBytes, DEFAULT_MAX_PAYLOAD_BYTES, 36),
    maxIdsPerList: positive('maxIdsPerList', init.maxIdsPerList, 32),
    maxMessagesPerPayload: positive('maxMessagesPerPayload', init.maxMessagesPerPayload, 64),
    schema: schemaOf(init.schema),
    heardWithin: positive('heardWithin', init.heardWithin, Infinity)
  }
}

function schemaOf(schema: MvdsSchema | undefined): MvdsSchema {
  if (schema === undefined || schema === 'head' || schema === '2019') return schema ?? 'head'
  throw new BloomwalkError('INVALID_ARGUMENT', `schema must be 'head' or '2019', got ${String(schema)}`)
}

/** The node's state. */
export class MvdsCore {
  readonly opts: MvdsOptions
  readonly store: MvdsMessageStore
  readonly stats: MvdsStats = emptyStats()
  /** Peers sharing at least one group, least recently active first. */
  readonly peers = new Map<string, PeerState>()
  /** Hex group id → peers sharing it. */
  readonly groups = new Map<string, Set<string>>()
  /** Ids of messages received lately, so a repeated copy is not hashed again. */
  readonly ids = new MessageIdMemo()
  /**
   * Hex ids of received messages the host is still making durable (`hold` … `settle`): their
   * ACKs wait in the peers' queues. As many as the host's writes in flight (the host bounds them).
   */
  readonly held = new Set<string>()
  /** The latest epoch seen by `tick` or `receive`; new records are due from it. */
  epoch: number

  constructor(init: MvdsNodeInit) {
    this.opts = resolveOptions(init)
    this.store = init.store ?? new MemoryMvdsStore()
    this.epoch = init.epoch ?? 0
    if (!Number.isSafeInteger(this.epoch)) throw new BloomwalkError('INVALID_ARGUMENT', `epoch must be a safe integer, got ${this.epoch}`)
  }

  /** Moves time forward (never back). */
  advance(epoch: number): void {
    if (epoch > this.epoch) this.epoch = epoch
  }

  /** Marks a peer as recently active (last in eviction order). */
  touch(peerId: string): PeerState | undefined {
    const peer = this.peers.get(peerId)
    if (peer !== undefined) {
      this.peers.delete(peerId)
      this.peers.set(peerId, peer)
    }
    return peer
  }

  /** The peer's state, created (evicting the least recently active peer at the bound). */
  ensurePeer(peerId: string): PeerState {
    const existing = this.touch(peerId)
    if (existing !== undefined) return existing
    if (this.peers.size >= this.opts.maxPeers) {
      const oldest = this.peers.keys().next().value
      if (oldest !== undefined) {
        this.forgetPeer(oldest)
        this.stats.evictions.peers++
      }
    }
    const peer = new PeerState(this.opts, this.stats.evictions)
    this.peers.set(peerId, peer)
    return peer
  }

  /** Removes a peer and its sharing in every group. */
  forgetPeer(peerId: string): void {
    const peer = this.peers.get(peerId)
    if (peer === undefined) return
    for (const group of peer.groups) {
      const members = this.groups.get(group)
      members?.delete(peerId)
      if (members?.size === 0) this.groups.delete(group)
    }
    this.peers.delete(peerId)
  }

  /** True when the group is shared with the peer. */
  shares(group: string, peerId: string): boolean {
    return this.groups.get(group)?.has(peerId) ?? false
  }

  /**
   * Starts sending a message to every peer sharing its group, except `except` and peers known
   * to hold it: a MESSAGE record in batch mode, an OFFER record in interactive mode.
   */
  fanOut(group: string, key: string, id: Uint8Array, except: string | undefined): void {
    const type: MvdsRecordType = this.opts.mode === 'batch' ? 'message' : 'offer'
    for (const peerId of this.groups.get(group) ?? []) {
      if (peerId === except) continue
      const peer = this.peers.get(peerId)
      if (peer === undefined || peer.knows(key)) continue
      // An existing record (e.g. a REQUEST) is left alone: the peer is already in the exchange.
      if (peer.records.has(key)) continue
      peer.setRecord(key, type, id, group, this.epoch)
    }
  }
}
