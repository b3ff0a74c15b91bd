/**
 * Address helpers for the transports, on the wire module's canonical rules (one address
 * form engine-wide: strict IP literals, IPv4-mapped IPv6 written as plain IPv4). No DNS.
 */
import { addressKey, canonicalHost as wireCanonicalHost, isValidPort as wireIsValidPort, parseIp } from '../wire/address.js'
import type { Address } from './types.js'

export { addressKey }

/** True when `port` is an integer in 1..65535. */
export function isValidPort(port: unknown): port is number {
  return typeof port === 'number' && wireIsValidPort(port)
}

/** 4 or 6 for an IP literal (IPv4-mapped IPv6 counts as 4), 0 for anything else. */
export function ipFamily(host: unknown): 0 | 4 | 6 {
  if (typeof host !== 'string') return 0
  const ip = parseIp(host)
  return ip === null ? 0 : ip.length === 4 ? 4 : 6
}

/** `a.b.c.d` for an IPv4-mapped IPv6 literal (`::ffff:a.b.c.d`), else `host` unchanged. */
export function unmapIpv4(host: string): string {
  const ip = parseIp(host)
  return ip !== null && ip.length === 4 && host.includes(':') ? (wireCanonicalHost(host) ?? host) : host
}

/** The canonical text of an IP literal, or `undefined` when `host` is not one. */
export function canonicalHost(host: unknown): string | undefined {
  return typeof host === 'string' ? (wireCanonicalHost(host) ?? undefined) : undefined
}

/** A canonical copy of `a`, or `undefined` when its host is not an IP literal or its port is invalid. */
export function canonicalAddress(a: Address): Address | undefined {
  if (a === null || typeof a !== 'object' || !isValidPort(a.port)) return undefined
  const host = canonicalHost(a.host)
  return host === undefined ? undefined : { host, port: a.port }
}
