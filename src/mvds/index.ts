/**
 * MVDS, the Minimum Viable Data Synchronization of Status (seed mvds.md, DESIGN §7): a
 * sans-I/O node state machine in batch and interactive mode over the payload of
 * src/wire/mvds.ts (vacp2p/mvds HEAD d6b27d3 by default, its 2019 form 1762929 by option;
 * both decoded). See docs/mvds.md.
 */
export { MvdsNode } from './node.js'
export { MemoryMvdsStore, type MemoryMvdsStoreInit } from './store.js'
export { DEFAULT_BACKOFF, exponentialBackoff, type ExponentialBackoffOptions } from './backoff.js'
export { DEFAULT_MAX_PAYLOAD_BYTES, MVDS_ENVELOPE_OVERHEAD, PayloadBuilder, messageEntrySize, mvdsPayloadSize, type MvdsIdList } from './size.js'
export type {
  MvdsAccept,
  MvdsBackoff,
  MvdsHolds,
  MvdsMessageStore,
  MvdsMode,
  MvdsNodeInit,
  MvdsOutgoing,
  MvdsReceiveResult,
  MvdsRecordCounts,
  MvdsRecordState,
  MvdsRecordType,
  MvdsStats
} from './types.js'
export type { MvdsMessage, MvdsPayload } from '../wire/mvds.js'
export { encodeMvdsSnapshot, decodeMvdsSnapshot, type MvdsSnapshot, type MvdsSnapshotPeer, type MvdsSnapshotRecord } from './snapshot.js'
