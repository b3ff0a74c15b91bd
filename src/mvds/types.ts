/**
 * Types of the MVDS node state machine (seed mvds.md, DESIGN §7): the injected message
 * store, the options, the per-record state and the counters.
 */
import type { MvdsMessage, MvdsPayload, MvdsSchema } from '../wire/mvds.js'

/** How a node sends its own (and relayed) messages. */
export type MvdsMode = 'batch' | 'interactive'

/** The record types that carry state (an ACK never does). */
export type MvdsRecordType = 'offer' | 'request' | 'message'

/**
 * The local message store the node reads and writes. Synchronous on purpose: the node is
 * sans-I/O, so a persistent backend sits behind a write-through cache.
 */
export interface MvdsMessageStore {
  /** True when the message with this id is stored. */
  has(id: Uint8Array): boolean
  /** The stored message, or undefined. `key`, when given, is `hexKey(id)` (callers that hold it save the encoding). */
  get(id: Uint8Array, key?: string): MvdsMessage | undefined
  /** Stores a message under its id (`mvdsMessageId` of its fields). Idempotent. */
  put(id: Uint8Array, message: MvdsMessage): void
  /** Removes a message (the host could not keep it: see `MvdsNode.settle`). */
  delete(id: Uint8Array): void
}

/**
 * Epochs to wait after the `sendCount`-th transmission of a record before the next one
 * (`sendCount` ≥ 1). Results are floored and clamped to at least 1.
 */
export type MvdsBackoff = (sendCount: number) => number

/**
 * An application check run on every received MESSAGE before it is stored or acknowledged
 * (e.g. "the body is a bundle whose signature verifies"). Rejected messages are neither
 * stored, acknowledged, delivered nor relayed; they are counted in `stats().rejected`.
 */
export type MvdsAccept = (message: MvdsMessage, id: Uint8Array, from: string) => boolean

/** Options of an {@link MvdsNode}. Every bound has a default. */
export interface MvdsNodeInit {
  /** Our own peer id (payloads "from ourselves" are ignored; we never share with ourselves). */
  id: string
  /** `batch`: send MESSAGE at once. `interactive`: OFFER → REQUEST → MESSAGE. */
  mode: MvdsMode
  /** Where messages are kept. Default: a new {@link MemoryMvdsStore}. */
  store?: MvdsMessageStore
  /** Retransmission schedule. Default {@link DEFAULT_BACKOFF} (2, 4, 8, 16, 32, then 2 again). */
  backoff?: MvdsBackoff
  /** Drop a record after this many transmissions (counted as `expired`). Default: never (as the spec). */
  maxSendCount?: number
  /** Epoch the node starts in (records created before the first tick are due then). Default 0. */
  epoch?: number
  /** Relay newly received messages to the group's other peers, as the reference does. Default true. */
  relay?: boolean
  /** Application check on received messages. Default: accept every well-formed message. */
  accept?: MvdsAccept
  /** Most peers with state (sharing at least one group); the least recently active is evicted. Default 1024. */
  maxPeers?: number
  /** Most OFFER/REQUEST/MESSAGE records per peer; the oldest is evicted. Default 1024. */
  maxRecordsPerPeer?: number
  /** Most ACKs queued for one peer; the oldest is dropped (the sender retransmits). Default 256. */
  maxAcksPerPeer?: number
  /** Most message ids remembered per peer as "this peer holds it" (FIFO). Default 4096. */
  maxKnownPerPeer?: number
  /**
   * Largest encoded payload, bytes (`encodeMvdsPayload(p).length`). Default
   * {@link DEFAULT_MAX_PAYLOAD_BYTES}: a 1200-byte datagram minus the bloomwalk envelope.
   */
  maxPayloadBytes?: number
  /** Most ids in each of a payload's ack / offer / request lists. Default 32 (the wire decode limit). */
  maxIdsPerList?: number
  /** Most messages in one payload. Default 64 (the wire decode limit). */
  maxMessagesPerPayload?: number
  /**
   * Retransmit only to peers heard from lately (seed p2p-data-sync-mobile, Enhancement 3:
   * the Bloom exchange "can be used as probabilistic information to inform things like
   * future send time"). A record's first transmission goes as always; later ones go only
   * while the peer was heard from within this many epochs — a payload from it, or
   * {@link MvdsNode.heard} (the host's sign of life, e.g. the peer's Bloom offer). The
   * records of a silent peer are kept, not dropped, and go out once it is heard again.
   * Only sound where another mechanism (the members' Bloom walk) brings a silent peer what it
   * lacks. Default Infinity: the spec's blind retransmission.
   */
  heardWithin?: number
  /** The vacp2p/mvds schema payloads are encoded with: `head` (default, d6b27d3) or `2019` (1762929). Both are decoded. */
  schema?: MvdsSchema
}

/** The state of one record for one peer (seed mvds.md "State"). */
export interface MvdsRecordState {
  readonly type: MvdsRecordType
  /** 32-byte message id. */
  readonly id: Uint8Array
  /** Hex group id, when known (always for OFFER and MESSAGE; a REQUEST answering an OFFER has none). */
  readonly group: string | undefined
  /** Times the record has been sent to the peer. */
  readonly sendCount: number
  /** The next epoch at which the record may be sent. */
  readonly sendEpoch: number
}

/** One outgoing payload: at most one per peer per epoch. */
export interface MvdsOutgoing {
  peer: string
  payload: MvdsPayload
}

/**
 * A probabilistic "the peer holds it" test (seed p2p-data-sync-mobile, Enhancement 3): true
 * when the peer's latest Bloom offer covers the message and its filter says "maybe". May be
 * wrong in one direction only (a false positive); `key` is `hexKey(id)`.
 */
export type MvdsHolds = (id: Uint8Array, key: string) => boolean

/** What {@link MvdsNode.receive} hands up. */
export interface MvdsReceiveResult {
  /** Messages received for the first time, in payload order, to hand to the application. */
  deliver: MvdsMessage[]
  /** Their ids, index for index. */
  ids: Uint8Array[]
}

/** Counts per record type. */
export interface MvdsRecordCounts {
  acks: number
  offers: number
  requests: number
  messages: number
  /** Payloads (not records). */
  payloads: number
}

/** Counters of an {@link MvdsNode}; all monotonic. */
export interface MvdsStats {
  sent: MvdsRecordCounts
  received: MvdsRecordCounts
  /** Record transmissions after the first (send count was already ≥ 1). */
  retransmissions: number
  /** Messages handed up by `receive` (first receipt). */
  delivered: number
  /** MESSAGE records received for a message already stored (still acknowledged). */
  duplicates: number
  /** MESSAGE records refused: group not shared with the sender, or `accept` said no. */
  rejected: number
  /** Records ignored: from a peer sharing no group, REQUEST for an unknown or unshared message, ACK without state. */
  ignored: number
  /** Records given up after `maxSendCount` transmissions. */
  expired: number
  /**
   * OFFER / MESSAGE records dropped by {@link MvdsNode.acknowledge}: a probabilistic
   * acknowledgement (the peer's Bloom offer says it holds the message) instead of an ACK.
   */
  probableAcks: number
  /** Due records left for a later epoch because the payload budget was full (at most `MAX_REFUSALS_PER_PAYLOAD` per payload: the scan stops there). */
  deferred: number
  /** MESSAGE records dropped because the message is gone from the store or alone exceeds the budget. */
  dropped: number
  evictions: { peers: number; records: number; acks: number; known: number }
}
