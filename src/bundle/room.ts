/**
 * Overlay ids of public rooms: coordination-free, the hash of the room's name and of the
 * policy its peers keep (DESIGN §14). The default policy gives the plain name hash.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { DEFAULT_ROOM_POLICY, encodePolicy, samePolicy, type RoomPolicy } from './policy.js'

const ROOM_PREFIX = new TextEncoder().encode('bloomwalk/room/')
const POLICY_ROOM_PREFIX = new TextEncoder().encode('bloomwalk/room-policy/v1/')

/**
 * The 32-byte overlay id of a public room: SHA-256("bloomwalk/room/" || UTF-8 name) under the
 * default policy, else SHA-256("bloomwalk/room-policy/v1/" || policy bytes || UTF-8 name)
 * (the policy bytes have a fixed length, so name and policy cannot be traded for each other).
 * Two peers in one room therefore cannot disagree about what is kept.
 * @throws {RangeError} when the policy is invalid
 */
export function roomId(name: string, policy: RoomPolicy = DEFAULT_ROOM_POLICY): Uint8Array {
  const utf8 = new TextEncoder().encode(name)
  if (samePolicy(policy, DEFAULT_ROOM_POLICY)) return sha256.create().update(ROOM_PREFIX).update(utf8).digest()
  return sha256.create().update(POLICY_ROOM_PREFIX).update(encodePolicy(policy)).update(utf8).digest()
}
