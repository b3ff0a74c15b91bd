/**
 * Endpoint addresses: IP text ↔ bytes, canonical forms and keys. Implemented here (no
 * `node:net`) so the core stays I/O-free and the rules are explicit:
 *
 * - IPv4 text is a strict dotted quad: four decimal parts 0–255, no leading zeros, no
 *   other characters (as Node's `net.isIPv4`).
 * - IPv6 text: eight 1–4 digit hex groups, at most one `::`, an optional dotted quad as
 *   the last 32 bits, any letter case. Zone ids (`%eth0`) and brackets are rejected.
 * - The canonical IPv6 text is the one Node's `net` prints for a socket address
 *   (libuv `inet_ntop`): lowercase, leading zeros dropped, the first longest run of two or
 *   more zero groups written `::`, `::a.b.c.d` for IPv4-compatible addresses.
 * - IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`, ::ffff:0:0/96) are the IPv4 endpoint
 *   they map, deliberately unlike Node: a dual-stack socket reports IPv4 peers in this
 *   form, and one peer must not count as two candidates. They parse to 4 bytes, format as
 *   the dotted quad and are encoded on the wire as 4-byte addresses; a 16-byte mapped ip
 *   received on the wire decodes to the dotted quad. A transport that sends through an
 *   IPv6 socket maps IPv4 hosts back itself.
 */
import { BloomwalkError } from '../errors.js'

/** An IP endpoint. `host` is canonical text (see the module doc); `port` is 1..65535. */
export interface Address {
  readonly host: string
  readonly port: number
}

const IPV4_PART = /^(?:0|[1-9][0-9]{0,2})$/
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/
/** Longest IPv6 text: `ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255`. */
const MAX_IPV6_TEXT = 45

/** The 4 bytes of a strict dotted-quad IPv4 text, or null. */
export function parseIPv4(text: string): Uint8Array | null {
  if (typeof text !== 'string' || text.length > 15) return null
  const parts = text.split('.')
  if (parts.length !== 4) return null
  const out = new Uint8Array(4)
  for (let i = 0; i < 4; i++) {
    const part = parts[i]!
    if (!IPV4_PART.test(part)) return null
    const value = Number(part)
    if (value > 255) return null
    out[i] = value
  }
  return out
}

/** The 16 bytes of an IPv6 text (no mapping applied), or null when it is not strict IPv6. */
export function parseIPv6(text: string): Uint8Array | null {
  if (typeof text !== 'string' || text.length < 2 || text.length > MAX_IPV6_TEXT) return null
  const gap = text.indexOf('::')
  if (gap !== -1 && text.indexOf('::', gap + 1) !== -1) return null
  const head = gap === -1 ? text : text.slice(0, gap)
  const tail = gap === -1 ? '' : text.slice(gap + 2)
  const headGroups = head === '' ? [] : head.split(':')
  const tailGroups = tail === '' ? [] : tail.split(':')
  const words: number[] = []
  const tailWords: number[] = []
  const all = gap === -1 ? headGroups : [...headGroups, ...tailGroups]
  for (let i = 0; i < all.length; i++) {
    const group = all[i]!
    const target = gap !== -1 && i >= headGroups.length ? tailWords : words
    if (group.includes('.')) {
      // Only as the last 32 bits: the final group, and never before a trailing `::`.
      if (i !== all.length - 1 || (gap !== -1 && tailGroups.length === 0)) return null
      const v4 = parseIPv4(group)
      if (v4 === null) return null
      target.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!)
    } else {
      if (!HEX_GROUP.test(group)) return null
      target.push(parseInt(group, 16))
    }
  }
  if (gap === -1) {
    if (words.length !== 8) return null
  } else {
    if (words.length + tailWords.length > 7) return null
    while (words.length + tailWords.length < 8) words.push(0)
    words.push(...tailWords)
  }
  const out = new Uint8Array(16)
  for (let i = 0; i < 8; i++) {
    out[2 * i] = words[i]! >>> 8
    out[2 * i + 1] = words[i]! & 0xff
  }
  return out
}

/** True for the 16 bytes of an IPv4-mapped IPv6 address (::ffff:0:0/96). */
export function isIPv4Mapped(ip: Uint8Array): boolean {
  if (ip.length !== 16 || ip[10] !== 0xff || ip[11] !== 0xff) return false
  for (let i = 0; i < 10; i++) if (ip[i] !== 0) return false
  return true
}

/**
 * The wire bytes of an IP text: 4 bytes for IPv4 and IPv4-mapped IPv6, 16 for other
 * IPv6; null when the text is neither.
 */
export function parseIp(text: string): Uint8Array | null {
  const v4 = parseIPv4(text)
  if (v4 !== null) return v4
  const v6 = parseIPv6(text)
  if (v6 === null) return null
  return isIPv4Mapped(v6) ? v6.slice(12) : v6
}

/** The canonical text of 4 or 16 ip bytes (IPv4-mapped → dotted quad); null for other lengths. */
export function formatIp(ip: Uint8Array): string | null {
  if (ip.length === 4) return `${ip[0]}.${ip[1]}.${ip[2]}.${ip[3]}`
  if (ip.length !== 16) return null
  if (isIPv4Mapped(ip)) return formatIp(ip.subarray(12))
  const words: number[] = []
  for (let i = 0; i < 8; i++) words.push((ip[2 * i]! << 8) | ip[2 * i + 1]!)
  // The first longest run of zero words, if at least two long (libuv inet_ntop6).
  let bestBase = -1
  let bestLen = 0
  let curBase = -1
  let curLen = 0
  for (let i = 0; i <= 8; i++) {
    if (i < 8 && words[i] === 0) {
      if (curBase === -1) {
        curBase = i
        curLen = 1
      } else curLen++
    } else if (curBase !== -1) {
      if (curLen > bestLen) {
        bestBase = curBase
        bestLen = curLen
      }
      curBase = -1
    }
  }
  if (bestLen < 2) bestBase = -1
  let out = ''
  for (let i = 0; i < 8; i++) {
    if (bestBase !== -1 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ':'
      continue
    }
    if (i !== 0) out += ':'
    // IPv4-compatible (::a.b.c.d): libuv prints the last 32 bits as a dotted quad.
    if (i === 6 && bestBase === 0 && bestLen === 6) {
      out += formatIp(ip.subarray(12))
      return out
    }
    out += words[i]!.toString(16)
  }
  if (bestBase !== -1 && bestBase + bestLen === 8) out += ':'
  return out
}

/**
 * Most host texts whose canonical form is remembered. Every datagram's source goes through
 * {@link canonicalHost} several times (dispatcher, anti-amplification, candidate lookups);
 * a node talks to far fewer hosts than this at once, and a flood of distinct sources only
 * makes the cache start over. Per process by design: the answer is a pure function of the
 * text, so the nodes of one process (the simulator runs thousands) share it safely.
 */
export const CANONICAL_HOST_CACHE = 4096
/** Per process by design (see {@link CANONICAL_HOST_CACHE}); cleared when full. */
const canonicalCache = new Map<string, string | null>()

/** The canonical text of an IP text, or null when it is not a strict IP address. */
export function canonicalHost(text: string): string | null {
  const cached = canonicalCache.get(text)
  if (cached !== undefined) return cached
  if (typeof text !== 'string' || text.length > MAX_IPV6_TEXT) return null
  const ip = parseIp(text)
  const canonical = ip === null ? null : formatIp(ip)
  if (canonicalCache.size >= CANONICAL_HOST_CACHE) canonicalCache.clear()
  canonicalCache.set(text, canonical)
  return canonical
}

/** Host texts in the {@link canonicalHost} cache (for the bound's test). */
export function canonicalHostCacheSize(): number {
  return canonicalCache.size
}

/** True for an integer port in 1..65535. */
export function isValidPort(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65535
}

/**
 * A checked address with a canonical host.
 * @throws {BloomwalkError} INVALID_ARGUMENT for a host that is not an IP or a port outside 1..65535
 */
export function makeAddress(host: string, port: number): Address {
  const canonical = canonicalHost(host)
  if (canonical === null) throw new BloomwalkError('INVALID_ARGUMENT', `not an IPv4 or IPv6 address: ${JSON.stringify(host)}`)
  if (!isValidPort(port)) throw new BloomwalkError('INVALID_ARGUMENT', `port must be an integer in 1..65535, got ${port}`)
  return { host: canonical, port }
}

/** True when the address (or host text) is IPv6 after canonicalization (IPv4-mapped is not). */
export function isIPv6(address: Address | string): boolean {
  const host = typeof address === 'string' ? address : address.host
  return (canonicalHost(host) ?? host).includes(':')
}

/** A stable map key: `1.2.3.4:5` or `[::1]:5` (canonical host; the raw host if unparseable). */
export function addressKey(address: Address): string {
  const host = canonicalHost(address.host) ?? address.host
  return host.includes(':') ? `[${host}]:${address.port}` : `${host}:${address.port}`
}

/** The address of a key produced by {@link addressKey} (or any `host:port` / `[v6]:port`), or null. */
export function parseAddressKey(key: string): Address | null {
  let host: string
  let portText: string
  if (key.startsWith('[')) {
    const close = key.indexOf(']:')
    if (close === -1) return null
    host = key.slice(1, close)
    portText = key.slice(close + 2)
  } else {
    const colon = key.lastIndexOf(':')
    if (colon === -1) return null
    host = key.slice(0, colon)
    portText = key.slice(colon + 1)
    if (host.includes(':')) return null
  }
  if (!/^[1-9][0-9]{0,4}$/.test(portText)) return null
  const port = Number(portText)
  const canonical = canonicalHost(host)
  if (canonical === null || !isValidPort(port)) return null
  return { host: canonical, port }
}

/** True when both name the same endpoint (hosts compared in canonical form). */
export function sameAddress(a: Address, b: Address): boolean {
  if (a.port !== b.port) return false
  if (a.host === b.host) return true
  const ca = canonicalHost(a.host)
  return ca !== null && ca === canonicalHost(b.host)
}
