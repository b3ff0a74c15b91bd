/**
 * A room's policy (DESIGN §14): what every honest peer of the room keeps, so none disagrees
 * about it. The room id commits to the policy (`roomId(name, policy)`), and every decision is
 * a function of the bundles themselves (global time, then id), so peers converge on the same
 * retained set whatever order they see bundles in.
 *
 * Canonical bytes (fixed layout, big-endian), hashed into the room id:
 * ```
 * policy := version(u8 = 1) quota_count(u32) quota_window(u64) history(u32)
 *           inactive(u64) pruned(u64) max_body(u16) store_cap(u64) identity_bits(u8)
 *           | version(u8 = 2) <the same fields> identity_epoch(u64)
 * ```
 * Version 2 only when `identityEpoch` is set, so every policy without it keeps its room id.
 */
import { MAX_BODY_FIELD } from './codec.js'

/** A room's rules. Zero turns a rule off. */
export interface RoomPolicy {
  /** At most `count` bundles per author in each window of `window` global-time units ([kW, (k+1)W)); the newest are kept. */
  quota: { count: number; window: number }
  /** Keep the newest `history` bundles per author (Dispersy's `LastSyncDistribution(history_size)`). */
  history: number
  /**
   * Dispersy's `GlobalTimePruning(inactive, pruned)`: a bundle more than `inactive` global-time
   * units behind the room's time is no longer offered nor answered; more than `pruned` behind,
   * it is deleted and not accepted again.
   */
  pruning: { inactive: number; pruned: number }
  /** Largest body in bytes. */
  maxBodyBytes: number
  /** Bytes of bundles a peer keeps for the room; past it the oldest (global time, then id) go first. */
  storeCapBytes: number
  /** Leading zero bits of the proof of work a new author identity costs in this room (DESIGN §14). */
  identityBits: number
  /**
   * Global-time units one identity proof lasts (./identity.ts): the proof binds the epoch
   * ⌊global time ÷ identityEpoch⌋ of the bundle that carries it, so a key pays again in each
   * epoch it publishes in, and one proof buys at most quota × identityEpoch ÷ window bundles
   * whatever global times they claim. 0: the proof binds room and key only (paid once per key,
   * and a key keeps its quota in every window after).
   */
  identityEpoch: number
}

/** Version byte of the policy's canonical bytes. */
export const POLICY_VERSION = 1
/** Version byte of a policy with an identity epoch. */
export const POLICY_VERSION_EPOCH = 2
/** Bytes of {@link encodePolicy}'s output without an identity epoch (version 1); with one, 8 more. */
export const POLICY_BYTES = 1 + 4 + 8 + 4 + 8 + 8 + 2 + 8 + 1

/**
 * The default policy, whose room id is the plain `SHA-256("bloomwalk/room/" || name)`: no
 * quota, history or pruning, bodies up to the structural maximum, a 256 MiB store cap (a
 * phone's share for one room), and no identity cost. Public rooms open to abuse should name
 * a stricter policy (see {@link OPEN_ROOM_POLICY}).
 */
export const DEFAULT_ROOM_POLICY: Readonly<RoomPolicy> = Object.freeze({
  quota: Object.freeze({ count: 0, window: 0 }),
  history: 0,
  pruning: Object.freeze({ inactive: 0, pruned: 0 }),
  maxBodyBytes: MAX_BODY_FIELD,
  storeCapBytes: 256 * 1024 * 1024,
  identityBits: 0,
  identityEpoch: 0
})

/**
 * A policy for a large open chat room: 60 bundles per author per 1 000 global-time units,
 * the newest 1 000 per author, not offered after 100 000 units, deleted after 200 000, bodies
 * up to 1 000 bytes, 64 MiB kept, and a new identity costs 2^20 hashes (about a second).
 */
export const OPEN_ROOM_POLICY: Readonly<RoomPolicy> = Object.freeze({
  quota: Object.freeze({ count: 60, window: 1000 }),
  history: 1000,
  pruning: Object.freeze({ inactive: 100_000, pruned: 200_000 }),
  maxBodyBytes: 1000,
  storeCapBytes: 64 * 1024 * 1024,
  identityBits: 20,
  identityEpoch: 0
})

/** Why a policy is invalid, or undefined when it is valid. */
export function policyError(p: RoomPolicy): string | undefined {
  const u32 = (x: number) => Number.isInteger(x) && x >= 0 && x <= 0xffffffff
  const safe = (x: number) => Number.isSafeInteger(x) && x >= 0
  if (!u32(p.quota.count) || !safe(p.quota.window)) return 'quota count (u32) and window (safe integer) must be non-negative integers'
  if ((p.quota.count === 0) !== (p.quota.window === 0)) return 'quota count and window are both set or both 0'
  if (!u32(p.history)) return 'history must be a u32'
  if (!safe(p.pruning.inactive) || !safe(p.pruning.pruned)) return 'pruning thresholds must be non-negative safe integers'
  if (p.pruning.pruned !== 0 && p.pruning.inactive > p.pruning.pruned) return 'inactive must not exceed pruned'
  if (!Number.isInteger(p.maxBodyBytes) || p.maxBodyBytes < 0 || p.maxBodyBytes > MAX_BODY_FIELD) return `max body must be 0..${MAX_BODY_FIELD}`
  if (!safe(p.storeCapBytes)) return 'store cap must be a non-negative safe integer'
  if (!Number.isInteger(p.identityBits) || p.identityBits < 0 || p.identityBits > 64) return 'identity bits must be 0..64'
  if (!safe(p.identityEpoch)) return 'identity epoch must be a non-negative safe integer'
  if (p.identityEpoch !== 0 && p.identityBits === 0) return 'an identity epoch needs identity bits'
  return undefined
}

/** The policy's canonical bytes. @throws {RangeError} when the policy is invalid */
export function encodePolicy(p: RoomPolicy): Uint8Array {
  const error = policyError(p)
  if (error !== undefined) throw new RangeError(error)
  const epoch = p.identityEpoch !== 0
  const out = new Uint8Array(POLICY_BYTES + (epoch ? 8 : 0))
  const view = new DataView(out.buffer)
  let at = 0
  const u64 = (x: number) => {
    view.setBigUint64(at, BigInt(x))
    at += 8
  }
  out[at++] = epoch ? POLICY_VERSION_EPOCH : POLICY_VERSION
  view.setUint32(at, p.quota.count)
  at += 4
  u64(p.quota.window)
  view.setUint32(at, p.history)
  at += 4
  u64(p.pruning.inactive)
  u64(p.pruning.pruned)
  view.setUint16(at, p.maxBodyBytes)
  at += 2
  u64(p.storeCapBytes)
  out[at++] = p.identityBits
  if (epoch) u64(p.identityEpoch)
  return out
}

/** True when two policies are the same rules. */
export function samePolicy(a: RoomPolicy, b: RoomPolicy): boolean {
  const x = encodePolicy(a)
  const y = encodePolicy(b)
  return x.length === y.length && x.every((v, i) => v === y[i])
}

/** A full policy from a partial one (the rest from {@link DEFAULT_ROOM_POLICY}). */
export function roomPolicy(partial: Partial<RoomPolicy> = {}): RoomPolicy {
  return {
    ...DEFAULT_ROOM_POLICY,
    ...partial,
    quota: { ...DEFAULT_ROOM_POLICY.quota, ...partial.quota },
    pruning: { ...DEFAULT_ROOM_POLICY.pruning, ...partial.pruning }
  }
}
