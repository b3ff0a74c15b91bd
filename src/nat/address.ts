/**
 * What the NAT and candidate logic adds to the wire's address rules: same-IP tests and
 * the subnet prefixes used for per-subnet caps. Parsing, canonical text and keys are the
 * wire's (`src/wire/address.ts`), so a key made anywhere in the engine is the same key
 * here: `1.2.3.4:5`, `[::1]:5`, and IPv4-mapped IPv6 written as the IPv4 address.
 */
import { type Address, addressKey, canonicalHost, isValidPort, parseAddressKey, parseIp } from '../wire/address.js'

export { type Address, addressKey, canonicalHost, parseAddressKey }

/** True when `a` has an IP literal host and a port in 1..65535. */
export function isValidAddress(a: Address): boolean {
  return isValidPort(a.port) && parseIp(a.host) !== null
}

/** True when `host` is the unspecified address (`0.0.0.0` or `::`). */
export function isUnspecifiedHost(host: string): boolean {
  const ip = parseIp(host)
  return ip !== null && ip.every((b) => b === 0)
}

/**
 * True when two hosts are the same IP (canonical forms compared; `::ffff:a.b.c.d` is
 * `a.b.c.d`). Hosts that are not IP literals compare as plain strings.
 */
export function sameHost(a: string, b: string): boolean {
  if (a === b) return true
  const ca = canonicalHost(a)
  return ca !== null && ca === canonicalHost(b)
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
 * The key of the machine (or site) behind `host`, for counting it once whatever its ports:
 * the IPv4 address itself, or the /64 of an IPv6 address (one subscriber's LAN; a host there
 * can pick any of 2^64 addresses). IPv4-mapped IPv6 counts as IPv4. `undefined` when `host`
 * is not an IP literal.
 */
export function hostKey(host: string): string | undefined {
  const b = parseIp(host)
  if (b === null) return undefined
  if (b.length === 4) return `4/${b[0]}.${b[1]}.${b[2]}.${b[3]}`
  return `6/${hexPrefix(b, 8)}`
}

/**
 * The /24 and /16 prefixes of an IPv4 host, or the /48 and /32 prefixes of an IPv6 host
 * (IPv4-mapped IPv6 counts as IPv4, so the two spellings share one cap). `undefined` when
 * `host` is not an IP literal.
 */
export function subnetKeys(host: string): SubnetKeys | undefined {
  const b = parseIp(host)
  if (b === null) return undefined
  if (b.length === 4) return { narrow: `4/${b[0]}.${b[1]}.${b[2]}`, wide: `4/${b[0]}.${b[1]}` }
  return { narrow: `6/${hexPrefix(b, 6)}`, wide: `6/${hexPrefix(b, 4)}` }
}
