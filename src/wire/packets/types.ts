/**
 * The packets of the bloomwalk wire as TypeScript values (DESIGN §2, docs/protocol.md).
 * One datagram = one envelope = overlay + one {@link Packet}. Byte arrays in decoded
 * packets are views into the received datagram: do not mutate them.
 */
import type { Bundle } from '../../bundle/types.js'
import type { Address } from '../address.js'
import type { MvdsPayload } from '../mvds.js'

/** The sender's NAT classification (DESIGN §6, src/nat). Unknown wire values decode as `'unknown'`. */
export type ConnectionType = 'unknown' | 'public' | 'symmetric-NAT'

/** A Bloom filter as carried on the wire: LSB-first bits (m = 8 · bits.length), k, salt. */
export interface WireBloom {
  bits: Uint8Array
  /** Number of index functions. */
  k: number
  /** 32-bit salt, fresh for every filter. */
  salt: number
}

/**
 * The slice of history a filter covers: global times in [timeLow, timeHigh] (timeHigh 0 =
 * up to the responder's own time) with (globalTime + offset) % modulo == 0.
 */
export interface SyncOffer {
  timeLow: number
  timeHigh: number
  /** ≥ 1. */
  modulo: number
  /** < modulo. */
  offset: number
  bloom: WireBloom
}

/** A → B: the walk step. */
export interface IntroductionRequest {
  type: 'introduction-request'
  /** Where the sender sent this datagram: the receiver's WAN address as seen by the sender (a vote). */
  destination: Address
  sourceLan: Address
  sourceWan: Address
  /** True: the sender asks to be introduced to a peer. */
  advice: boolean
  connectionType: ConnectionType
  /** Random 32-bit request id; the response must echo it. */
  identifier: number
  /** The sender's Lamport global time. */
  globalTime: number
  /** Absent: no sync this step (skip curve). */
  sync?: SyncOffer | undefined
  /** Address-validation token echoed back to the responder (DESIGN §9), ≤ 32 bytes. */
  token?: Uint8Array | undefined
}

/** The peer being introduced (both of its addresses). */
export interface IntroducedPeer {
  lan: Address
  wan: Address
}

/** B → A: answer to an introduction-request. */
export interface IntroductionResponse {
  type: 'introduction-response'
  /** The requester's address as the responder saw it (a WAN vote for the requester). */
  destination: Address
  sourceLan: Address
  sourceWan: Address
  /** Absent when the responder introduces nobody. */
  introduced?: IntroducedPeer | undefined
  connectionType: ConnectionType
  /** The request's identifier. */
  identifier: number
  globalTime: number
  /** Address-validation token issued to the requester, ≤ 32 bytes. */
  token?: Uint8Array | undefined
  /**
   * The sync answer was held back because the requester's address is not validated yet (the
   * 3× bound would cut it): echo `token` in a new request now and it is answered in full.
   */
  answerDeferred?: boolean | undefined
  /**
   * Bundles the responder sends in answer to the offer, in `bundles` datagrams after this
   * response (absent: none, or a responder that does not say). The walker's round is not
   * barren when this is above 0, even if its bundles are still on their way or being stored
   * when its next step claims an offer (../../sync/offer.ts).
   */
  answerBundles?: number | undefined
  /**
   * 8-byte short ids of the responder's freshest bundles (≤ `maxRecentIds`, absent when it
   * has none lately): the walker asks for those it lacks, so a fresh bundle push missed
   * arrives with the walk's answer (DESIGN §13).
   */
  recentShort?: readonly Uint8Array[] | undefined
}

/** B → C: "A is walking to you; punch a hole toward it". */
export interface PunctureRequest {
  type: 'puncture-request'
  walkerLan: Address
  walkerWan: Address
  identifier: number
  /**
   * The introducer's global time (absent or 0: not told). The introduced peer, when behind
   * it, asks it for what is newer at once: a fresh bundle that push did not bring arrives
   * without waiting for its own next walk to a peer that holds it.
   */
  globalTime?: number | undefined
  /** 8-byte short ids of the introducer's freshest bundles (≤ `maxRecentIds`): the introduced peer asks for those it lacks. */
  recentShort?: readonly Uint8Array[] | undefined
}

/** C → A: opens C's NAT toward A. */
export interface Puncture {
  type: 'puncture'
  sourceLan: Address
  sourceWan: Address
  /** The puncture-request's identifier. */
  identifier: number
  /**
   * Address-validation token the puncturer issues to the walker (DESIGN §9), ≤ 32 bytes. It
   * reaches only whoever receives at the walker's address, so echoing it in the walk that
   * follows validates the walker at once and that walk is answered in full.
   */
  token?: Uint8Array | undefined
}

/** Whole bundles (decoded, signatures NOT verified: that is the node's job). */
export interface BundlesPacket {
  type: 'bundles'
  bundles: readonly Bundle[]
  /** Typing, presence: delivered once, never stored nor synced. */
  ephemeral?: boolean | undefined
}

/** An MVDS payload (vacp2p/mvds `sync.proto`: HEAD d6b27d3 sent by default, the 2019 form 1762929 by option; both decoded). */
export interface MvdsPacket {
  type: 'mvds'
  payload: MvdsPayload
}

/**
 * Asks for coded symbols [from, from + count) of the peer's sketch (DESIGN §11); the answer
 * may take several datagrams. With `digest` (an idle check) the peer answers `inSync` when
 * its symbol 0 has the same hash XOR and count. `fetch` asks for bundles by id as well.
 */
export interface SymbolsRequest {
  type: 'symbols-request'
  from: number
  /** ≥ 1, at most the receiver's `maxSymbolsPerRequest`. */
  count: number
  /** The requester's symbol 0 without its id XOR. */
  digest?: SymbolDigest
  /** Bundles wanted too (32-byte ids, at most the receiver's `maxIdsPerRequest`). */
  fetch?: readonly Uint8Array[]
  /**
   * Also the counts alone of this many symbols after [from, from + count), at most the
   * receiver's `maxCountsOnly` (as many as fit the datagram that carries the last symbol):
   * cheap samples for the requester's estimate of the difference size.
   */
  countsOnly?: number
  /** A short-id session's salt, in [1, 2^64): the answer is in short symbols and carries `check` (docs/reconcile.md §14). */
  salt?: bigint
  /** Answer with short symbols (no id XOR). */
  shortIds?: true
  /** Bundles wanted too, by 8-byte short id (at most the receiver's `maxIdsPerRequest`). */
  fetchShort?: readonly Uint8Array[]
  /** Bundles wanted too, by 4-byte short-id prefix (at most the receiver's `maxPrefixesPerRequest`): every bundle held whose short id begins with one. */
  fetchPrefixes?: readonly Uint8Array[]
}

/** Symbol 0 of a sketch without its id XOR: the hash XOR and the number of items. */
export interface SymbolDigest {
  /** In [0, 2^64). */
  hashXor: bigint
  /** A non-negative safe integer. */
  count: number
}

/** One rateless-IBLT coded symbol. */
export interface CodedSymbol {
  /** 32 bytes: XOR of the ids mapped to this symbol. */
  idXor: Uint8Array
  /** XOR of their 64-bit hashes, in [0, 2^64). */
  hashXor: bigint
  /** Number of ids mapped here (negative after subtracting a sketch). */
  count: number
}

/**
 * A coded symbol without its id XOR (docs/reconcile.md §14): what a short-id session carries.
 * The items are named by their 64-bit item hash (their short id).
 */
export interface ShortSymbol {
  /** XOR of the items' 64-bit hashes (short ids), in [0, 2^64). */
  hashXor: bigint
  /** XOR of the items' 32-bit short-id checksums, in [0, 2^32). */
  check: number
  /** Number of items mapped here. */
  count: number
}

/** Coded symbols starting at index `from`, or (`inSync`, no symbols) the answer to an idle check whose digest matched. */
export interface SymbolsResponse {
  type: 'symbols-response'
  from: number
  symbols: readonly CodedSymbol[]
  inSync?: true
  /** The counts mod 2^16 of symbols [from + symbols.length, from + symbols.length + countsOnly.length) (never with `inSync`). */
  countsOnly?: readonly number[]
  /** Short symbols from `from` instead (the answer to a request with `shortIds`; never with `symbols`). */
  shortSymbols?: readonly ShortSymbol[]
  /** The salted check of the responder's symbol 0 (the answer to a request with `salt`), in [0, 2^64); absent reads as 0. */
  check?: bigint
}

/**
 * Asks for bundles by id (missing parents, reconciliation results) and/or, with `newerThan`,
 * for the synced bundles the peer holds with a global time above it, oldest first (catch-up
 * of a peer that is ahead). At least one of the two.
 */
export interface BundleRequest {
  type: 'bundle-request'
  /** 32-byte bundle ids (may be empty when `newerThan` is set). */
  ids: readonly Uint8Array[]
  /** A global time ≥ 1: also send what you hold above it. */
  newerThan?: number
  /** With `newerThan`: only up to this global time (inclusive, > newerThan). */
  upTo?: number
  /** Bundles wanted by 8-byte short id (every bundle held with that item hash is sent). */
  shortIds?: readonly Uint8Array[]
  /** Bundles wanted by 4-byte short-id prefix (every bundle held whose short id begins with one is sent). */
  shortPrefixes?: readonly Uint8Array[]
}

/**
 * Fresh bundles sent unasked (DESIGN §13): on publish, then forwarded by receivers that did
 * not have them while `hops` > 0.
 */
export interface PushPacket {
  type: 'push'
  /** At most the receiver's `maxBundlesPerPush`; empty only when `have` or `haveShort` is not. */
  bundles: readonly Bundle[]
  /** Ids of fresh bundles announced instead of sent (at most `maxIdsPerRequest`); the receiver asks for those it lacks with a bundle-request. Never with `ephemeral`. */
  have?: readonly Uint8Array[] | undefined
  /** The same by 8-byte short id (item hash, docs/reconcile.md §14): what a node announces; asked for with a bundle-request's `shortIds`. Never with `ephemeral`. */
  haveShort?: readonly Uint8Array[] | undefined
  /** Forwards still allowed after this one; at most the receiver's `maxPushHops`. */
  hops: number
  /** Typing, presence: delivered once and forwarded, never stored nor synced. */
  ephemeral?: boolean | undefined
}

/** Every packet, discriminated by `type`. */
export type Packet =
  | IntroductionRequest
  | IntroductionResponse
  | PunctureRequest
  | Puncture
  | BundlesPacket
  | MvdsPacket
  | SymbolsRequest
  | SymbolsResponse
  | BundleRequest
  | PushPacket

/** The `type` tags of {@link Packet}. */
export type PacketType = Packet['type']

/** A decoded datagram: its overlay and packet. */
export interface DecodedPacket {
  /** 32-byte overlay id. */
  overlay: Uint8Array
  packet: Packet
}
