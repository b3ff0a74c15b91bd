/**
 * A simulated datagram network on an injected {@link Clock} and {@link Rng} (DESIGN §1,
 * STYLE 21): an instance, never module state, so tests run in parallel and replay from a seed.
 *
 * Path of one datagram copy, decided at send time:
 * 1. sender checks (in the sending transport's stats): closed, oversize, invalid address,
 *    sender offline;
 * 2. `interceptor` (a NAT layer's hook) may rewrite `from`/`to` or deny (`denied`);
 * 3. the (rewritten) destination must be bound (`unroutable`; throws in `strict` mode);
 * 4. the link from the sender's bound address to the destination may be `blocked`;
 * 5. loss draw (`lost`), delay = latency + jitter (+ reorder extra), duplication draw.
 * Delivery, always through `clock.setTimeout` (even at 0 ms, so never inside `send()`),
 * in (due time, send order) order; at delivery the destination must still be bound
 * (`unroutable`) and online (`offline`).
 *
 * Determinism: with the same seed, options and calls, the same datagrams arrive at the
 * same times. Random draws are made only for features that are switched on.
 */
import type { Clock } from '../env/clock.js'
import { silentLogger, type Logger } from '../env/logger.js'
import { type Rng, chance, float } from '../env/rng.js'
import { addressKey, canonicalAddress, canonicalHost, isValidPort, unmapIpv4 } from './address.js'
import { type MemoryNetworkPort, MemoryTransport } from './memory-transport.js'
import {
  type Interceptor,
  type LatencyModel,
  type LinkOptions,
  type MemoryNetworkOptions,
  type MemoryNetworkStats,
  DEFAULT_REORDER_DELAY_MS,
  invalid,
  keyOf,
  nonNegative,
  probability
} from './memory-options.js'
import { TimeQueue } from './queue.js'
import { type Address, DEFAULT_MAX_DATAGRAM, MAX_UDP_PAYLOAD } from './types.js'

/** First port tried when `bind()` picks one (the IANA dynamic range starts here). */
const EPHEMERAL_FIRST = 49152

/** Auto-assigned hosts: 10.a.b.c with `a` cycling fastest, so neighbours differ in /16 and /24 (DESIGN §9 caps). */
const AUTO_HOSTS = 254 * 256 * 254

interface InFlight {
  from: Address
  key: string
  bytes: Uint8Array
}

type Counters = { -readonly [K in keyof MemoryNetworkStats]: number }

/**
 * An in-memory datagram network for tests and the simulator. See the module comment for
 * the path a datagram takes.
 */
export class MemoryNetwork {
  /** The routing hook applied at send time (see {@link Interceptor}); `null` routes as addressed. */
  interceptor: Interceptor | null
  /** Whether unroutable sends and handler exceptions throw (see {@link MemoryNetworkOptions.strict}). */
  readonly strict: boolean

  readonly #clock: Clock
  readonly #rng: Rng
  readonly #latency: LatencyModel
  readonly #jitter: number
  readonly #loss: number
  readonly #duplication: number
  readonly #reorder: number
  readonly #reorderDelay: number
  readonly #port: MemoryNetworkPort
  readonly #bound = new Map<string, MemoryTransport>()
  readonly #hosts = new Map<string, number>()
  readonly #offline = new Set<string>()
  readonly #links = new Map<string, LinkOptions>()
  readonly #topics = new Map<string, Map<string, MemoryTransport>>()
  readonly #queue = new TimeQueue<InFlight>()
  readonly #c: Omit<Counters, 'inFlight'> = { sent: 0, published: 0, delivered: 0, bytesDelivered: 0, lost: 0, duplicated: 0, reordered: 0, unroutable: 0, offline: 0, blocked: 0, denied: 0 }
  #nextAuto = 0

  /** @throws {BloomwalkError} INVALID_ARGUMENT for a missing clock/rng or an out-of-range option */
  constructor(options: MemoryNetworkOptions) {
    if (typeof options?.clock?.setTimeout !== 'function' || typeof options.rng?.u32 !== 'function') {
      throw invalid('MemoryNetwork', 'options.clock and options.rng are required')
    }
    this.#clock = options.clock
    this.#rng = options.rng
    const latency = options.latencyMs ?? 0
    this.#latency = typeof latency === 'function' ? latency : nonNegative('latencyMs', latency)
    this.#jitter = nonNegative('jitterMs', options.jitterMs ?? 0)
    this.#loss = probability('loss', options.loss ?? 0)
    this.#duplication = probability('duplication', options.duplication ?? 0)
    this.#reorder = probability('reorder', options.reorder ?? 0)
    this.#reorderDelay = nonNegative('reorderDelayMs', options.reorderDelayMs ?? DEFAULT_REORDER_DELAY_MS)
    const maxDatagram = options.maxDatagram ?? DEFAULT_MAX_DATAGRAM
    if (!Number.isInteger(maxDatagram) || maxDatagram < 1 || maxDatagram > MAX_UDP_PAYLOAD) {
      throw invalid('MemoryNetwork', `maxDatagram must be an integer in 1..${MAX_UDP_PAYLOAD}, got ${String(maxDatagram)}`)
    }
    this.interceptor = options.interceptor ?? null
    this.strict = options.strict ?? false
    this.#port = {
      maxDatagram,
      strict: this.strict,
      log: options.logger ?? silentLogger,
      isOnlineKey: (key) => !this.#offline.has(key),
      route: (sender, to, bytes) => this.#route(sender, to, bytes),
      publish: (sender, topic, bytes) => this.#publish(sender, topic, bytes),
      subscribe: (t, topic) => {
        let subs = this.#topics.get(topic)
        if (subs === undefined) this.#topics.set(topic, (subs = new Map()))
        subs.set(t.key, t)
      },
      unsubscribe: (t, topic) => this.#leave(t, topic),
      unbind: (t) => this.#unbind(t)
    }
  }

  /**
   * Binds a new transport. A missing host gets the next auto-assigned `10.a.b.c` (spread
   * over /16s and /24s, never one already in use); a missing or 0 port gets the first free
   * port from 49152 on that host. The transport has the multicast capability.
   * @throws {BloomwalkError} INVALID_ARGUMENT when the host is not a specific IP literal, the
   *   port is out of range, or the address is already bound
   */
  bind(address: Partial<Address> = {}): MemoryTransport {
    let host: string
    if (address.host === undefined) host = this.#autoHost()
    else {
      const canonical = canonicalHost(address.host)
      if (canonical === undefined) throw invalid('MemoryNetwork.bind', `host must be an IP literal, got ${String(address.host)}`)
      host = unmapIpv4(canonical)
      if (host === '0.0.0.0' || host === '::') throw invalid('MemoryNetwork.bind', `cannot bind the unspecified address ${host}`)
    }
    const requested = address.port ?? 0
    if (requested !== 0 && !isValidPort(requested)) throw invalid('MemoryNetwork.bind', `port must be an integer in 0..65535, got ${String(requested)}`)
    const port = requested === 0 ? this.#freePort(host) : requested
    const key = addressKey({ host, port })
    if (this.#bound.has(key)) throw invalid('MemoryNetwork.bind', `address ${key} is already bound`)
    const transport = new MemoryTransport(this.#port, { host, port })
    this.#bound.set(key, transport)
    this.#hosts.set(host, (this.#hosts.get(host) ?? 0) + 1)
    return transport
  }

  /** True when a transport is bound at `address`. @throws {BloomwalkError} INVALID_ARGUMENT for a malformed address */
  isBound(address: Address): boolean {
    return this.#bound.has(keyOf('MemoryNetwork.isBound', address))
  }

  /**
   * Takes an address off the network or puts it back (bound or not; the state survives
   * close and rebind). Offline: its sends are dropped at the sender (`offline` in its
   * stats) and copies reaching it are dropped (`offline` in the network's stats).
   * @throws {BloomwalkError} INVALID_ARGUMENT for a malformed address
   */
  setOnline(address: Address, online: boolean): void {
    const key = keyOf('MemoryNetwork.setOnline', address)
    if (online) this.#offline.delete(key)
    else this.#offline.add(key)
  }

  /** True unless {@link MemoryNetwork.setOnline} took `address` offline. @throws {BloomwalkError} INVALID_ARGUMENT for a malformed address */
  isOnline(address: Address): boolean {
    return !this.#offline.has(keyOf('MemoryNetwork.isOnline', address))
  }

  /**
   * Overrides the directed link from the bound address `from` to the (post-interceptor)
   * destination `to`; `null` removes the override. Replaces any earlier override of that link.
   * @throws {BloomwalkError} INVALID_ARGUMENT for a malformed address or option
   */
  setLink(from: Address, to: Address, link: LinkOptions | null): void {
    const key = `${keyOf('MemoryNetwork.setLink', from)}>${keyOf('MemoryNetwork.setLink', to)}`
    if (link === null) {
      this.#links.delete(key)
      return
    }
    const checked: LinkOptions = {}
    if (link.loss !== undefined) checked.loss = probability('link loss', link.loss)
    if (link.latencyMs !== undefined) checked.latencyMs = nonNegative('link latencyMs', link.latencyMs)
    if (link.blocked !== undefined) checked.blocked = link.blocked === true
    this.#links.set(key, checked)
  }

  /** A snapshot of the network's counters. */
  stats(): MemoryNetworkStats {
    return Object.freeze({ ...this.#c, inFlight: this.#queue.size })
  }

  #route(sender: MemoryTransport, to: Address, bytes: Uint8Array): void {
    const c = this.#c
    c.sent++
    const origin = sender.address()
    let from = origin
    let dest: Address | undefined = to
    if (this.interceptor !== null) {
      const routed = this.interceptor({ from: sender.address(), to: { host: to.host, port: to.port }, bytes })
      if (routed === null) {
        c.denied++
        return
      }
      const rewritten = canonicalAddress(routed.from)
      if (rewritten === undefined) throw invalid('MemoryNetwork interceptor', `returned a malformed from address`)
      from = rewritten
      dest = canonicalAddress(routed.to)
    }
    const key = dest === undefined ? undefined : addressKey(dest)
    if (dest === undefined || key === undefined || !this.#bound.has(key)) {
      c.unroutable++
      if (this.strict) throw invalid('MemoryNetwork', `${sender.key} sent to unbound address ${key ?? '(malformed address from the interceptor)'}`)
      return
    }
    const link = this.#links.get(`${sender.key}>${key}`)
    if (link?.blocked === true) {
      c.blocked++
      return
    }
    const loss = link?.loss ?? this.#loss
    if (loss > 0 && chance(this.#rng, loss)) {
      c.lost++
      return
    }
    this.#schedule(origin, dest, { from, key, bytes: bytes.slice() }, link)
    if (this.#duplication > 0 && chance(this.#rng, this.#duplication)) {
      c.duplicated++
      this.#schedule(origin, dest, { from, key, bytes: bytes.slice() }, link)
    }
  }

  #publish(sender: MemoryTransport, topic: string, bytes: Uint8Array): void {
    this.#c.published++
    const subscribers = this.#topics.get(topic)
    if (subscribers === undefined) return
    // A snapshot: handlers cannot run during this loop, but interceptors could subscribe.
    for (const [key, t] of [...subscribers]) {
      if (key !== sender.key && !this.#offline.has(key)) this.#route(sender, t.address(), bytes)
    }
  }

  #schedule(origin: Address, dest: Address, packet: InFlight, link: LinkOptions | undefined): void {
    let delay = link?.latencyMs ?? (typeof this.#latency === 'number' ? this.#latency : this.#latency(origin, dest))
    if (!Number.isFinite(delay) || delay < 0) throw invalid('MemoryNetwork', `latencyMs returned ${String(delay)} for ${addressKey(origin)} -> ${packet.key}`)
    if (this.#jitter > 0) delay += float(this.#rng) * this.#jitter
    if (this.#reorder > 0 && chance(this.#rng, this.#reorder)) {
      this.#c.reordered++
      delay += float(this.#rng) * this.#reorderDelay
    }
    this.#queue.push(this.#clock.now() + delay, packet)
    // One timer per copy; each delivers the earliest queued copy, so the order is
    // (due time, send order) whatever order the clock runs equal-time timers in.
    this.#clock.setTimeout(this.#deliverNext, delay)
  }

  readonly #deliverNext = (): void => {
    const packet = this.#queue.pop()
    if (packet === undefined) return
    const target = this.#bound.get(packet.key)
    if (target === undefined) {
      this.#c.unroutable++
      return
    }
    if (this.#offline.has(packet.key)) {
      this.#c.offline++
      return
    }
    this.#c.delivered++
    this.#c.bytesDelivered += packet.bytes.byteLength
    target.deliver({ host: packet.from.host, port: packet.from.port }, packet.bytes)
  }

  #leave(t: MemoryTransport, topic: string): void {
    const subs = this.#topics.get(topic)
    if (subs?.get(t.key) !== t) return
    subs.delete(t.key)
    if (subs.size === 0) this.#topics.delete(topic)
  }

  #unbind(t: MemoryTransport): void {
    if (this.#bound.get(t.key) !== t) return
    this.#bound.delete(t.key)
    const host = t.address().host
    const n = (this.#hosts.get(host) ?? 1) - 1
    if (n === 0) this.#hosts.delete(host)
    else this.#hosts.set(host, n)
    for (const topic of [...this.#topics.keys()]) this.#leave(t, topic)
  }

  #autoHost(): string {
    for (;;) {
      const i = this.#nextAuto++
      if (i >= AUTO_HOSTS) throw invalid('MemoryNetwork.bind', 'auto-assigned hosts exhausted; pass explicit hosts')
      const host = `10.${1 + (i % 254)}.${Math.floor(i / 254) % 256}.${1 + Math.floor(i / (254 * 256))}`
      if (!this.#hosts.has(host)) return host
    }
  }

  #freePort(host: string): number {
    for (let i = 0; i < 65535 - 1023; i++) {
      const port = 1024 + ((EPHEMERAL_FIRST - 1024 + i) % (65536 - 1024))
      if (!this.#bound.has(addressKey({ host, port }))) return port
    }
    throw invalid('MemoryNetwork.bind', `no free port on ${host}`)
  }
}
