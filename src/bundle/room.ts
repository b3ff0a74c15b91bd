/** Overlay ids of public rooms: coordination-free, the hash of the room's name. */
import { sha256 } from '@noble/hashes/sha2.js'

const ROOM_PREFIX = new TextEncoder().encode('bloomwalk/room/')

/** SHA-256("bloomwalk/room/" || UTF-8 name): the 32-byte overlay id of a public room. */
export function roomId(name: string): Uint8Array {
  return sha256.create().update(ROOM_PREFIX).update(new TextEncoder().encode(name)).digest()
}
