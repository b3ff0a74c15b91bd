import type { ConnectionType } from '../../src/nat/index.js'
import type { PeerInfo } from '../../src/candidates/index.js'
import { parseAddressKey } from '../../src/nat/index.js'

/** The PeerInfo a peer at `key` would send about itself (LAN = WAN = key unless given). */
export function info(key: string, connectionType: ConnectionType = 'unknown', wanHost?: string): PeerInfo {
  const a = parseAddressKey(key)!
  return { lan: a, wan: wanHost === undefined ? a : { host: wanHost, port: a.port }, connectionType }
}

/** A distinct IPv4 key per i, each in its own /16. */
export function spreadKey(i: number): string {
  if (i >= 200 * 256) throw new RangeError('spreadKey: i too large')
  return `${11 + (i >> 8)}.${i & 255}.0.1:7000`
}
