/**
 * Addresses on the command line: `HOST:PORT` (IPv6 in brackets, `[::1]:6421`), host names
 * resolved once at start (the transport itself never resolves names), and the LAN address
 * a node bound to the unspecified address advertises.
 */
import { lookup } from 'node:dns/promises'
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os'
import { canonicalHost, isValidPort, type Address } from '../wire/index.js'
import { UsageError } from './args.js'
import { CommandError } from './command.js'

/** `HOST:PORT` split into its parts, the host not yet resolved. */
export interface Endpoint {
  host: string
  port: number
}

/**
 * Splits `HOST:PORT` (`[IPv6]:PORT` for IPv6 literals).
 * @throws {UsageError} naming `--<option>` when the text is not of that form or the port is not 1–65535
 */
export function parseEndpoint(option: string, raw: string): Endpoint {
  const bad = (why: string): never => {
    throw new UsageError(`--${option} must be HOST:PORT (IPv6 as [ADDR]:PORT), got "${raw}": ${why}`)
  }
  let host: string
  let portText: string
  if (raw.startsWith('[')) {
    const close = raw.indexOf(']')
    if (close < 0 || raw[close + 1] !== ':') bad('expected "]:" after the IPv6 address')
    host = raw.slice(1, close)
    portText = raw.slice(close + 2)
  } else {
    const colon = raw.lastIndexOf(':')
    if (colon < 0) bad('no port')
    host = raw.slice(0, colon)
    portText = raw.slice(colon + 1)
    if (host.includes(':')) bad('put an IPv6 address in brackets')
  }
  if (host === '') bad('empty host')
  const port = Number(portText)
  if (!/^\d+$/.test(portText) || !isValidPort(port)) bad('port must be 1–65535')
  return { host, port }
}

/**
 * Resolves an endpoint's host to an IP literal of `family` (4 for a `udp4` socket; 6 for a
 * dual-stack `udp6` one, which also reaches IPv4 hosts).
 * @throws {CommandError} when the name does not resolve, or resolves only to the other family
 */
export async function resolveEndpoint(option: string, endpoint: Endpoint, family: 4 | 6): Promise<Address> {
  const literal = canonicalHost(endpoint.host)
  if (literal !== null) {
    if (family === 4 && literal.includes(':')) {
      throw new UsageError(`--${option} ${endpoint.host} is IPv6 but the socket is IPv4; bind with --host :: to reach it`)
    }
    return { host: literal, port: endpoint.port }
  }
  try {
    const found = await lookup(endpoint.host, family === 4 ? { family: 4 } : {})
    return { host: canonicalHost(found.address) ?? found.address, port: endpoint.port }
  } catch (err) {
    throw new CommandError(`--${option}: cannot resolve "${endpoint.host}": ${err instanceof Error ? err.message : String(err)}`)
  }
}

/** True for the addresses that mean "every interface". */
export function isUnspecified(host: string): boolean {
  return host === '0.0.0.0' || host === '::'
}

/**
 * The address a node bound to `bound` should advertise as its LAN address: for the
 * unspecified address, the first non-internal IPv4 address of this machine (127.0.0.1 when
 * there is none) with the bound port; otherwise `undefined` (the bound address is right).
 */
export function lanAddress(bound: Address, interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces()): Address | undefined {
  if (!isUnspecified(bound.host)) return undefined
  for (const list of Object.values(interfaces)) {
    for (const info of list ?? []) {
      // Node 18.0–18.3 reported the family as a number.
      const v4 = info.family === 'IPv4' || (info.family as unknown) === 4
      if (v4 && !info.internal) return { host: info.address, port: bound.port }
    }
  }
  return { host: '127.0.0.1', port: bound.port }
}
