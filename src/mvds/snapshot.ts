/**
 * The durable part of an MVDS node's state (issue 19): its epoch, the groups shared with each
 * peer, and every OFFER / REQUEST / MESSAGE record with its send count and send epoch. What
 * is deliberately left out: queued ACKs (the spec keeps no state for them — a lost ACK is
 * answered by the sender's retransmission), the ids each peer is known to hold (at worst a
 * message is offered again) and the counters. Messages live in the message store.
 *
 * The encoding is versioned JSON (hex ids): small, and readable in a dump of the database.
 * `decodeMvdsSnapshot` checks every field and returns null for anything malformed.
 */
import type { MvdsRecordType } from './types.js'

/** One record as persisted. */
export interface MvdsSnapshotRecord {
  type: MvdsRecordType
  /** Hex message id (32 bytes). */
  id: string
  /** Hex group id, absent for a REQUEST answering an OFFER. */
  group?: string
  sendCount: number
  sendEpoch: number
}

/** One peer as persisted. */
export interface MvdsSnapshotPeer {
  id: string
  /** Hex group ids shared with the peer. */
  groups: string[]
  records: MvdsSnapshotRecord[]
}

/** The durable state of an {@link MvdsNode}. */
export interface MvdsSnapshot {
  epoch: number
  peers: MvdsSnapshotPeer[]
}

const VERSION = 1
const HEX32 = /^[0-9a-f]{64}$/
const TYPES: readonly string[] = ['offer', 'request', 'message']

/** The bytes of a snapshot. */
export function encodeMvdsSnapshot(s: MvdsSnapshot): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ v: VERSION, ...s }))
}

/** A snapshot from its bytes; null when malformed or of another version. Never throws. */
export function decodeMvdsSnapshot(bytes: Uint8Array): MvdsSnapshot | null {
  let raw: unknown
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch {
    return null
  }
  if (!isObject(raw) || raw['v'] !== VERSION || !isEpoch(raw['epoch']) || !Array.isArray(raw['peers'])) return null
  const peers: MvdsSnapshotPeer[] = []
  for (const p of raw['peers'] as unknown[]) {
    if (!isObject(p) || typeof p['id'] !== 'string' || p['id'] === '' || !Array.isArray(p['groups']) || !Array.isArray(p['records'])) return null
    const groups = p['groups'] as unknown[]
    if (!groups.every((g) => typeof g === 'string' && HEX32.test(g))) return null
    const records: MvdsSnapshotRecord[] = []
    for (const r of p['records'] as unknown[]) {
      if (!isObject(r) || typeof r['type'] !== 'string' || !TYPES.includes(r['type']) || typeof r['id'] !== 'string' || !HEX32.test(r['id'])) return null
      if (r['group'] !== undefined && (typeof r['group'] !== 'string' || !HEX32.test(r['group']))) return null
      if (!Number.isSafeInteger(r['sendCount']) || (r['sendCount'] as number) < 0 || !isEpoch(r['sendEpoch'])) return null
      records.push({ type: r['type'] as MvdsRecordType, id: r['id'], ...(r['group'] === undefined ? {} : { group: r['group'] as string }), sendCount: r['sendCount'] as number, sendEpoch: r['sendEpoch'] as number })
    }
    peers.push({ id: p['id'], groups: groups as string[], records })
  }
  return { epoch: raw['epoch'] as number, peers }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function isEpoch(v: unknown): boolean {
  return typeof v === 'number' && Number.isSafeInteger(v)
}
