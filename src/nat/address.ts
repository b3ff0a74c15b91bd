/**
 * IP addresses as the NAT and candidate logic see them: `{ host, port }` pairs with an IP
 * literal host, a canonical string key per address, and the subnet prefixes used for
 * per-subnet caps. Pure string and byte work; no DNS, no sockets.
 */
import { BloomwalkError } from '../errors.js'

/** A UDP endpoint: an IPv4 or IPv6 literal and a port. */
export interface Address {
  /** IPv4 dotted quad (`1.2.3.4`) or IPv6 literal without brackets (`::1`). */
  readonly host: string
  /** UDP port, 1–65535. */
  readonly port: number
}

/** A parsed IP literal: 4 or 16 bytes, network order. */
export interface ParsedIp {
  readonly family: 4 | 6
  readonly bytes: Uint8Array
}

const IPV4_PART = /^(0|[1-9][0-9]{0,2})$/
const IPV6_GROUP = /^[0-9a-fA-F]{1,4}$/

/** Parses a dotted-quad IPv4 literal (no leading zeros, which some stacks read as octal). */
function parseIpv4(host: string): Uint8Array | undefined {
  const parts = host.split('.')
  if (parts.length !== 4) return undefined
  const out = new Uint8Array(4)
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!
    if (!IPV4_PART.test(p)) return undefined
    const n = Number(p)
    if (n > 255) return undefined
    out[i] = n
  }
  return out
}

/** Parses the groups of one side of an IPv6 `::`; an embedded IPv4 tail counts as two groups. */
function parseIpv6Groups(text: string, allowIpv4Tail: boolean): number[] | undefined {
  if (text === '') return []
  const parts = text.split(':')
  const groups: number[] = []
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!
    if (allowIpv4Tail && i === parts.length - 1 && p.includes('.')) {
      const v4 = parseIpv4(p)
      if (v4 === undefined) return undefined
      groups.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!)
    } else {
      if (!IPV6_GROUP.test(p)) return undefined
      groups.push(parseInt(p, 16))
    }
  }
  return groups
}

/** Parses an IPv6 literal (RFC 4291 text forms, optional `%zone` ignored). */
function parseIpv6(host: string): Uint8Array | undefined {
  const zone = host.indexOf('%')
  const text = zone === -1 ? host : host.slice(0, zone)
  if (text.length === 0 || text.length > 45) return undefined
  const halves = text.split('::')
  if (halves.length > 2) return undefined
  let groups: number[]
  if (halves.length === 2) {
    const head = parseIpv6Groups(halves[0]!, false)
    const tail = parseIpv6Groups(halves[1]!, true)
    if (head === undefined || tail === undefined) return undefined
    const missing = 8 - head.length - tail.length
    if (missing < 1) return undefined
    groups = [...head, ...new Array<number>(missing).fill(0), ...tail]
  } else {
    const all = parseIpv6Groups(text, true)
    if (all === undefined || all.length !== 8) return undefined
    groups = all
  }
  const out = new Uint8Array(16)
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8
    out[2 * i + 1] = g & 0xff
  })
  return out
}

/** Parses an IPv4 or IPv6 literal; `undefined` when `host` is neither. */
export function parseIp(host: string): ParsedIp | undefined {
  if (host.includes(':')) {
    const bytes = parseIpv6(host)
    return bytes === undefined ? undefined : { family: 6, bytes }
  }
  const bytes = parseIpv4(host)
  return bytes === undefined ? undefined : { family: 4, bytes }
}

/** True for `::ffff:a.b.c.d`, an IPv4 address seen through a dual-stack socket. */
function isIpv4Mapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false
  return b[10] === 0xff && b[11] === 0xff
}

/** The IPv4 bytes behind an IPv4-mapped IPv6 address, else the address itself. */
function unmap(ip: ParsedIp): ParsedIp {
  return ip.family === 6 && isIpv4Mapped(ip.bytes) ? { family: 4, bytes: ip.bytes.slice(12) } : ip
}

/** Formats IPv6 bytes per RFC 5952: lower case, no leading zeros, longest zero run as `::`. */
function formatIpv6(b: Uint8Array): string {
  if (isIpv4Mapped(b)) return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`
  const groups: number[] = []
  for (let i = 0; i < 8; i++) groups.push((b[2 * i]! << 8) | b[2 * i + 1]!)
  let bestStart = -1
  let bestLen = 0
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLen) {
      bestStart = i
      bestLen = j - i
    }
    i = j
  }
  const hex = groups.map((g) => g.toString(16))
  if (bestLen < 2) return hex.join(':')
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`
}

/**
 * The canonical text of an IP literal (IPv4 dotted quad, IPv6 per RFC 5952; an IPv6 zone
 * is dropped), or `undefined` when `host` is not an IP literal.
 */
export function canonicalHost(host: string): string | undefined {
  const ip = parseIp(host)
  if (ip === undefined) return undefined
  return ip.family === 4 ? ip.bytes.join('.') : formatIpv6(ip.bytes)
}

/** True when `port` is an integer in 1..65535. */
export function isValidPort(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65535
}

/** True when `a` has an IP literal host and a valid port. */
export function isValidAddress(a: Address): boolean {
  return isValidPort(a.port) && parseIp(a.host) !== undefined
}

/**
 * The canonical key of an address: `1.2.3.4:5` for IPv4, `[::1]:5` for IPv6. Two textual
 * forms of the same address give the same key.
 * @throws {BloomwalkError} INVALID_ARGUMENT when the host is not an IP literal or the port is invalid
 */
export function addressKey(a: Address): string {
  const host = canonicalHost(a.host)
  if (host === undefined || !isValidPort(a.port)) {
    throw new BloomwalkError('INVALID_ARGUMENT', `addressKey: not an IP address and port: ${String(a.host)}:${String(a.port)}`)
  }
  return host.includes(':') ? `[${host}]:${a.port}` : `${host}:${a.port}`
}

/** Parses a key made by {@link addressKey} (or any `host:port` / `[v6]:port`); `undefined` if malformed. */
export function parseAddressKey(key: string): Address | undefined {
  let host: string
  let portText: string
  if (key.startsWith('[')) {
    const close = key.indexOf(']')
    if (close === -1 || key[close + 1] !== ':') return undefined
    host = key.slice(1, close)
    portText = key.slice(close + 2)
  } else {
    const colon = key.lastIndexOf(':')
    if (colon === -1) return undefined
    host = key.slice(0, colon)
    portText = key.slice(colon + 1)
    if (host.includes(':')) return undefined
  }
  if (!/^[0-9]{1,5}$/.test(portText)) return undefined
  const port = Number(portText)
  const canonical = canonicalHost(host)
  if (canonical === undefined || !isValidPort(port)) return undefined
  return { host: canonical, port }
}

/**
 * True when two hosts are the same IP (comparing canonical forms, and treating
 * `::ffff:a.b.c.d` as `a.b.c.d`). Non-IP hosts compare as plain strings.
 */
export function sameHost(a: string, b: string): boolean {
  const pa = parseIp(a)
  const pb = parseIp(b)
  if (pa === undefined || pb === undefined) return a === b
  const ua = unmap(pa)
  const ub = unmap(pb)
  if (ua.family !== ub.family) return false
  return ua.bytes.every((x, i) => x === ub.bytes[i])
}

/** The two subnet keys of a host, used for per-subnet caps. */
export interface SubnetKeys {
  /** IPv4 /24 or IPv6 /48 (one site). */
  readonly narrow: string
  /** IPv4 /16 or IPv6 /32 (one provider allocation). */
  readonly wide: string
}

function hexPrefix(b: Uint8Array, bytes: number): string {
  let s = ''
  for (let i = 0; i < bytes; i++) s += b[i]!.toString(16).padStart(2, '0')
  return s
}

/**
 * The /24 and /16 prefixes of an IPv4 host, or the /48 and /32 prefixes of an IPv6 host
 * (IPv4-mapped IPv6 counts as IPv4, so the two spellings share one cap). `undefined` when
 * `host` is not an IP literal.
 */
export function subnetKeys(host: string): SubnetKeys | undefined {
  const parsed = parseIp(host)
  if (parsed === undefined) return undefined
  const ip = unmap(parsed)
  const b = ip.bytes
  if (ip.family === 4) return { narrow: `4/${b[0]}.${b[1]}.${b[2]}`, wide: `4/${b[0]}.${b[1]}` }
  return { narrow: `6/${hexPrefix(b, 6)}`, wide: `6/${hexPrefix(b, 4)}` }
}
