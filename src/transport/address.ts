/** Address text helpers for the transports (internal to `transport`). No DNS, ever. */
import { SocketAddress, isIP } from 'node:net'
import type { Address } from './types.js'

const IPV4_MAPPED = /^::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i

/** True when `port` is an integer in 1..65535. */
export function isValidPort(port: unknown): port is number {
  return typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65535
}

/** 4 or 6 for an IP literal, 0 for anything else (including host names). */
export function ipFamily(host: unknown): 0 | 4 | 6 {
  return typeof host === 'string' ? (isIP(host) as 0 | 4 | 6) : 0
}

/** `a.b.c.d` for an IPv4-mapped IPv6 literal (`::ffff:a.b.c.d`), else `host` unchanged. */
export function unmapIpv4(host: string): string {
  const m = IPV4_MAPPED.exec(host)
  return m === null ? host : m[1]!
}

/**
 * The text Node prints for an IP literal (dotted quad; lowercase, compressed IPv6 as
 * inet_ntop writes it; a zone suffix is dropped), or `undefined` when `host` is not one.
 */
export function canonicalHost(host: unknown): string | undefined {
  const family = ipFamily(host)
  if (family === 0) return undefined
  // node:net accepts only plain dotted quads (no leading zeros, no short forms): already canonical.
  if (family === 4) return host as string
  return new SocketAddress({ address: host as string, family: 'ipv6' }).address
}

/** `1.2.3.4:5` or `[::1]:5`, for map keys and messages. Assumes a canonical host. */
export function addressKey(a: Address): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`
}

/**
 * A canonical copy of `a` (IPv4-mapped IPv6 written as plain IPv4, as the UDP transport
 * reports senders), or `undefined` when its host is not an IP literal or its port is invalid.
 */
export function canonicalAddress(a: Address): Address | undefined {
  if (a === null || typeof a !== 'object' || !isValidPort(a.port)) return undefined
  const host = canonicalHost(a.host)
  return host === undefined ? undefined : { host: unmapIpv4(host), port: a.port }
}
