/**
 * NATs emulated inside the simulated network, as a {@link MemoryNetwork} interceptor
 * (RFC 4787 terms). A host behind a NAT is bound at a private address (172.16/12) behind a
 * NAT with one public IP, of its own or shared with the other hosts of one LAN (a
 * carrier-grade NAT: scenario `nat.share`):
 *
 * - `cone`: endpoint-independent mapping (one public port per private address, kept for
 *   the run) with an address-and-port-dependent filter: an inbound datagram passes only
 *   from an endpoint the host sent to within the last `timeoutMs`;
 * - `symmetric`: address-and-port-dependent mapping (a new public port per destination
 *   endpoint), and a mapping admits inbound datagrams only from that destination, within
 *   `timeoutMs` of the last outbound datagram on it.
 *
 * On the way out the NAT rewrites `from` (private → public); on the way in it rewrites `to`
 * (public → private) or drops the datagram (`filtered`). Datagrams to a private address
 * pass only between hosts behind the same NAT (one LAN); others are dropped
 * (`unroutablePrivate`). Public hosts pass untouched. A shared NAT keeps one mapping per
 * private address (cone) or per private address and destination (symmetric).
 */
import type { Clock } from '../env/clock.js'
import type { Address, Interceptor } from '../transport/index.js'
import { addressKey } from '../wire/index.js'

export type NatKind = 'public' | 'cone' | 'symmetric'

/** First public port a NAT hands out. */
const FIRST_NAT_PORT = 20_000
/** Mappings a symmetric NAT keeps before it sweeps expired ones. */
const SWEEP_AT = 4096

/** Counters of the NAT layer. */
export interface NatStats {
  /** Outbound datagrams whose source a NAT rewrote. */
  translated: number
  /** Inbound datagrams a NAT's filter dropped (no mapping, or the sender not admitted). */
  filtered: number
  /** Datagrams addressed to a private address of another site. */
  unroutablePrivate: number
  /** Public ports handed out (symmetric NATs hand out one per destination). */
  mappings: number
}

interface Mapping {
  port: number
  /** The private address it maps. */
  inside: Address
  /** Symmetric: the only endpoint it serves. Cone: undefined (see `admitted`). */
  remote: string | undefined
  lastOut: number
  /** Cone filter: remote endpoint key → last outbound time to it. */
  admitted: Map<string, number>
}

/** One NAT: one public IP in front of one or more private hosts (several: a carrier-grade NAT, one LAN behind it). */
class Nat {
  readonly kind: 'cone' | 'symmetric'
  readonly publicHost: string
  /** Cone: one mapping per private address. Symmetric: by private address and remote endpoint. */
  readonly #byRemote = new Map<string, Mapping>()
  readonly #byPort = new Map<number, Mapping>()
  #nextPort = FIRST_NAT_PORT

  constructor(kind: 'cone' | 'symmetric', publicHost: string) {
    this.kind = kind
    this.publicHost = publicHost
  }

  /** The public port for a datagram from private `inside` to `remote`; records the filter state. */
  outbound(inside: Address, remote: string, now: number, timeoutMs: number, stats: NatStats): number {
    const insideKey = addressKey(inside)
    if (this.kind === 'cone') {
      let m = this.#byRemote.get(insideKey)
      if (m === undefined) {
        m = this.#allocate(inside, undefined, stats)
        this.#byRemote.set(insideKey, m)
      }
      m.lastOut = now
      m.admitted.set(remote, now)
      if (m.admitted.size > SWEEP_AT) sweep(m.admitted, (t) => now - t > timeoutMs)
      return m.port
    }
    const key = `${insideKey}>${remote}`
    let m = this.#byRemote.get(key)
    if (m === undefined || now - m.lastOut > timeoutMs) {
      if (m !== undefined) this.#byPort.delete(m.port)
      if (this.#byRemote.size > SWEEP_AT) this.#sweep(now, timeoutMs)
      m = this.#allocate(inside, remote, stats)
      this.#byRemote.set(key, m)
    }
    m.lastOut = now
    return m.port
  }

  /** The private address a datagram from `remote` to public `port` goes to, or undefined when the filter drops it. */
  inbound(remote: string, port: number, now: number, timeoutMs: number): Address | undefined {
    const m = this.#byPort.get(port)
    if (m === undefined) return undefined
    if (this.kind === 'cone') {
      const t = m.admitted.get(remote)
      return t !== undefined && now - t <= timeoutMs ? m.inside : undefined
    }
    return m.remote === remote && now - m.lastOut <= timeoutMs ? m.inside : undefined
  }

  #allocate(inside: Address, remote: string | undefined, stats: NatStats): Mapping {
    // Ports cycle through 20000..65535, skipping those in use.
    for (;;) {
      const port = this.#nextPort
      this.#nextPort = port >= 65535 ? FIRST_NAT_PORT : port + 1
      if (this.#byPort.has(port)) continue
      const m: Mapping = { port, inside, remote, lastOut: 0, admitted: new Map() }
      this.#byPort.set(port, m)
      stats.mappings++
      return m
    }
  }

  #sweep(now: number, timeoutMs: number): void {
    for (const [key, m] of this.#byRemote) {
      if (now - m.lastOut > timeoutMs) {
        this.#byRemote.delete(key)
        this.#byPort.delete(m.port)
      }
    }
  }
}

function sweep<K>(map: Map<K, number>, expired: (t: number) => boolean): void {
  for (const [k, t] of map) if (expired(t)) map.delete(k)
}

/** True for the simulator's private range 172.16.0.0/12. */
export function isPrivateHost(host: string): boolean {
  if (!host.startsWith('172.')) return false
  const second = Number(host.split('.')[1])
  return second >= 16 && second <= 31
}

/**
 * Public IPv4 host number `i`: 20–99 in the first octet (no private, loopback, CGNAT or
 * link-local range), neighbours in different /16s and /24s so the candidate table's
 * per-subnet caps never bind among honest simulated peers.
 */
export function publicHost(i: number): string {
  const a = 20 + (i % 80)
  const b = Math.floor(i / 80) % 256
  const c = Math.floor(i / (80 * 256)) % 256
  return `${a}.${b}.${c}.${1 + (Math.floor(i / (80 * 256 * 256)) % 254)}`
}

/** Private IPv4 host number `i` in 172.16.0.0/12. */
export function privateHost(i: number): string {
  const n = i + 1
  return `172.${16 + ((n >> 16) & 15)}.${(n >> 8) & 255}.${n & 255}`
}

/** The NATs of one simulated network; install {@link NatLayer.interceptor} on it. */
export class NatLayer {
  readonly stats: NatStats = { translated: 0, filtered: 0, unroutablePrivate: 0, mappings: 0 }
  readonly #clock: Clock
  readonly #timeoutMs: number
  /** Private bound address key → its NAT. */
  readonly #inside = new Map<string, Nat>()
  /** Public IP → NAT. */
  readonly #outside = new Map<string, Nat>()

  constructor(clock: Clock, timeoutMs: number) {
    this.#clock = clock
    this.#timeoutMs = timeoutMs
  }

  /**
   * Puts the host bound at private address `inside` behind the NAT with public IP
   * `publicIp`, created with `kind` if it does not exist yet. Hosts behind one NAT share
   * its public IP (a carrier-grade NAT) and reach each other's private addresses directly
   * (one LAN).
   */
  add(kind: 'cone' | 'symmetric', inside: Address, publicIp: string): void {
    let nat = this.#outside.get(publicIp)
    if (nat === undefined) {
      nat = new Nat(kind, publicIp)
      this.#outside.set(publicIp, nat)
    }
    this.#inside.set(addressKey(inside), nat)
  }

  /** The routing hook for `MemoryNetwork.interceptor`. */
  readonly interceptor: Interceptor = ({ from, to }) => {
    const now = this.#clock.now()
    let source = from
    const toKey = addressKey(to)
    const own = this.#inside.get(addressKey(from))
    if (own !== undefined) {
      if (isPrivateHost(to.host)) {
        // Within one NAT's LAN the datagram passes untouched; another site's private address is unreachable.
        if (this.#inside.get(toKey) === own) return { from, to }
        this.stats.unroutablePrivate++
        return null
      }
      source = { host: own.publicHost, port: own.outbound(from, toKey, now, this.#timeoutMs, this.stats) }
      this.stats.translated++
    }
    const nat = this.#outside.get(to.host)
    if (nat !== undefined) {
      const inside = nat.inbound(addressKey(source), to.port, now, this.#timeoutMs)
      if (inside === undefined) {
        this.stats.filtered++
        return null
      }
      return { from: source, to: inside }
    }
    if (isPrivateHost(to.host)) {
      this.stats.unroutablePrivate++
      return null
    }
    return { from: source, to }
  }
}
