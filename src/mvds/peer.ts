/**
 * What an MVDS node keeps about one peer: the groups shared with it, one record per
 * message id (OFFER, REQUEST or MESSAGE with send count and send epoch), the ACKs queued
 * for its next payload (never kept after that), and the ids it is known to hold. Every
 * collection is bounded; evictions are counted in the node's stats.
 */
import type { MvdsRecordType, MvdsStats } from './types.js'

/** A mutable record (the public view is `MvdsRecordState`). */
export interface RecordEntry {
  type: MvdsRecordType
  id: Uint8Array
  group: string | undefined
  sendCount: number
  sendEpoch: number
}

/** Bounds of one peer's state. */
export interface PeerLimits {
  maxRecords: number
  maxAcks: number
  maxKnown: number
}

/** The per-peer state. */
export class PeerState {
  /** Hex ids of the groups shared with this peer. */
  readonly groups = new Set<string>()
  /** Records by hex message id, oldest first (Map insertion order). */
  readonly records = new Map<string, RecordEntry>()
  /** ACKs for the next payload by hex id, oldest first; removed once sent. */
  readonly acks = new Map<string, Uint8Array>()
  /** Hex ids this peer is known to hold (sent, offered or acknowledged them), oldest first. */
  readonly #known = new Set<string>()
  /** The last epoch the peer was heard from (a payload, or the host's `heard`). */
  lastHeard = -Infinity
  /** The last epoch a payload went to this peer (one payload per epoch). */
  lastSentEpoch = -Infinity
  /** A lower bound of the smallest `sendEpoch` among the records (Infinity: none due ever). */
  nextDue = Infinity

  constructor(
    readonly limits: Readonly<PeerLimits>,
    readonly evictions: MvdsStats['evictions']
  ) {}

  /**
   * Sets the record for a message id, replacing a record of another type (its count starts
   * over) and evicting the oldest record when the bound is reached. A record of the same type
   * keeps its count and becomes due no later than `epoch`.
   */
  setRecord(key: string, type: MvdsRecordType, id: Uint8Array, group: string | undefined, epoch: number): RecordEntry {
    const current = this.records.get(key)
    if (current !== undefined && current.type === type) {
      current.sendEpoch = Math.min(current.sendEpoch, epoch)
      current.group ??= group
    } else {
      if (current !== undefined) this.records.delete(key)
      else if (this.records.size >= this.limits.maxRecords) this.#evictOldestRecord()
      this.records.set(key, { type, id, group, sendCount: 0, sendEpoch: epoch })
    }
    this.nextDue = Math.min(this.nextDue, epoch)
    return this.records.get(key)!
  }

  /** Queues an ACK for the next payload (one per id per payload; the oldest is dropped at the bound). */
  queueAck(key: string, id: Uint8Array): void {
    if (this.acks.has(key)) return
    if (this.acks.size >= this.limits.maxAcks) {
      const oldest = this.acks.keys().next().value
      if (oldest !== undefined) this.acks.delete(oldest)
      this.evictions.acks++
    }
    this.acks.set(key, id)
  }

  /** The peer showed a sign of life at `epoch`: its held retransmissions are due again (`heardWithin`). */
  hear(epoch: number): void {
    if (epoch <= this.lastHeard) return
    this.lastHeard = epoch
    this.nextDue = Math.min(this.nextDue, epoch)
  }

  /** Remembers that the peer holds a message. */
  markKnown(key: string): void {
    if (this.#known.has(key)) return
    if (this.#known.size >= this.limits.maxKnown) {
      const oldest = this.#known.values().next().value
      if (oldest !== undefined) this.#known.delete(oldest)
      this.evictions.known++
    }
    this.#known.add(key)
  }

  /** True when the peer is known to hold the message. */
  knows(key: string): boolean {
    return this.#known.has(key)
  }

  /** Removes the records of one group (when it is no longer shared). */
  dropGroup(group: string): void {
    for (const [key, r] of this.records) if (r.group === group) this.records.delete(key)
  }

  #evictOldestRecord(): void {
    const oldest = this.records.keys().next().value
    if (oldest === undefined) return
    this.records.delete(oldest)
    this.evictions.records++
  }
}
