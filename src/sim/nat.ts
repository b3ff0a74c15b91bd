/**
 * NATs emulated inside the simulated network, as a {@link MemoryNetwork} interceptor
 * (RFC 4787 terms). A host behind a NAT is bound at a private address (172.16/12) and has
 * a NAT of its own with one public IP:
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
 * are dropped (`unroutablePrivate`): no two simulated hosts share a LAN. Public hosts pass
 * untouched.
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
  /** Symmetric: the only endpoint it serves. Cone: undefined (see `admitted`). */
  remote: string | undefined
  lastOut: number
}

class Nat {
  readonly kind: 'cone' | 'symmetric'
  readonly publicHost: string
  readonly inside: Address
  /** Cone: the single mapping. Symmetric: by remote endpoint key. */
  readonly #byRemote = new Map<string, Mapping>()
  readonly #byPort = new Map<number, Mapping>()
  /** Cone filter: remote endpoint key → last outbound time to it. */
  readonly #admitted = new Map<string, number>()
  #cone: Mapping | undefined
  #nextPort = FIRST_NAT_PORT

  constructor(kind: 'cone' | 'symmetric', publicHost: string, inside: Address) {
    this.kind = kind
    this.publicHost = publicHost
    this.inside = inside
  }

  /** The public port for a datagram to `remote`; records the filter state. */
  outbound(remote: string, now: number, timeoutMs: number, stats: NatStats): number {
    if (this.kind === 'cone') {
      if (this.#cone === undefined) this.#cone = this.#allocate(undefined, stats)
      this.#cone.lastOut = now
      this.#admitted.set(remote, now)
      if (this.#admitted.size > SWEEP_AT) sweep(this.#admitted, (t) => now - t > timeoutMs)
      return this.#cone.port
    }
    let m = this.#byRemote.get(remote)
    if (m === undefined || now - m.lastOut > timeoutMs) {
      if (m !== undefined) this.#byPort.delete(m.port)
      if (this.#byRemote.size > SWEEP_AT) this.#sweep(now, timeoutMs)
      m = this.#allocate(remote, stats)
      this.#byRemote.set(remote, m)
    }
    m.lastOut = now
    return m.port
  }

  /** True when a datagram from `remote` to public `port` passes the filter. */
  inbound(remote: string, port: number, now: number, timeoutMs: number): boolean {
    const m = this.#byPort.get(port)
    if (m === undefined) return false
    if (this.kind === 'cone') {
      const t = this.#admitted.get(remote)
      return t !== undefined && now - t <= timeoutMs
    }
    return m.remote === remote && now - m.lastOut <= timeoutMs
  }

  #allocate(remote: string | undefined, stats: NatStats): Mapping {
    // Ports cycle through 20000..65535, skipping those in use.
    for (;;) {
      const port = this.#nextPort
      this.#nextPort = port >= 65535 ? FIRST_NAT_PORT : port + 1
      if (this.#byPort.has(port)) continue
      const m: Mapping = { port, remote, lastOut: 0 }
      this.#byPort.set(port, m)
      stats.mappings++
      return m
    }
  }

  #sweep(now: number, timeoutMs: number): void {
    for (const [remote, m] of this.#byRemote) {
      if (now - m.lastOut > timeoutMs) {
        this.#byRemote.delete(remote)
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

  /** Puts the host bound at private address `inside` behind a new NAT with public IP `publicHost`. */
  add(kind: 'cone' | 'symmetric', inside: Address, publicIp: string): void {
    const nat = new Nat(kind, publicIp, inside)
    this.#inside.set(addressKey(inside), nat)
    this.#outside.set(publicIp, nat)
  }

  /** The routing hook for `MemoryNetwork.interceptor`. */
  readonly interceptor: Interceptor = ({ from, to }) => {
    const now = this.#clock.now()
    let source = from
    const toKey = addressKey(to)
    const own = this.#inside.get(addressKey(from))
    if (own !== undefined) {
      if (isPrivateHost(to.host)) {
        this.stats.unroutablePrivate++
        return null
      }
      source = { host: own.publicHost, port: own.outbound(toKey, now, this.#timeoutMs, this.stats) }
      this.stats.translated++
    }
    const nat = this.#outside.get(to.host)
    if (nat !== undefined) {
      if (!nat.inbound(addressKey(source), to.port, now, this.#timeoutMs)) {
        this.stats.filtered++
        return null
      }
      return { from: source, to: nat.inside }
    }
    if (isPrivateHost(to.host)) {
      this.stats.unroutablePrivate++
      return null
    }
    return { from: source, to }
  }
}
