/**
 * The two-party loop under `npm run reconcile-bench`: two sides, A and B, each with a
 * memory store, bound to a MemoryNetwork on a ManualClock. Every packet is encoded with
 * `encodePacket`, sent through the network with the real datagram budget as its size
 * limit, decoded with `decodePacketWithReason` under the default decode limits, and handed
 * to the method's handler as the receiving side's work. Coded symbols (reconcile-symbols.ts)
 * run the node's own catch-up services on each side, the Bloom walk (reconcile-bloom.ts) its
 * walker, responder and ledger; what the bench plays instead of the rest of a node is said
 * there.
 *
 * Measures: datagrams and bytes each way and per packet type (exact encoded sizes), virtual
 * time (every datagram takes {@link ONE_WAY_MS}, so elapsed time / RTT counts sequential
 * round trips), and CPU per side (`process.cpuUsage` around each side's work: building and
 * sending requests, decoding and handling what arrives, encoding answers). With 10^6 bundles
 * in memory a garbage collection can take hundreds of ms, so the pauses that fall in each
 * side's work are reported too (from `perf_hooks` gc entries).
 */
import { PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks'
import { DEFAULT_BUNDLE_POLICY, maxBundleBytes, validateDecoded, type BundlePolicy } from '../src/bundle/validate.js'
import type { Bundle } from '../src/bundle/types.js'
import { TOKEN_BYTES } from '../src/node/amplification.js'
import { ManualClock } from '../src/env/clock.js'
import { SeededRng } from '../src/env/rng.js'
import type { Sketch } from '../src/reconcile/index.js'
import type { MemoryStore } from '../src/store/memory.js'
import type { OverlayWalk } from '../src/node/overlay.js'
import type { Ledger } from '../src/node/ledger.js'
import type { SyncConfig } from '../src/sync/config.js'
import { MemoryNetwork, type MemoryTransport } from '../src/transport/index.js'
import { addressKey, decodePacketWithReason, DEFAULT_DECODE_LIMITS, encodePacket, type Address, type DecodeLimits, type Packet, type PacketType } from '../src/wire/index.js'

/** One-way delay of every datagram (virtual ms); a round trip is twice this. */
export const ONE_WAY_MS = 1

/** Datagrams and bytes. */
export interface Traffic {
  datagrams: number
  bytes: number
}

/** One party. */
export interface Side {
  readonly name: 'A' | 'B'
  readonly transport: MemoryTransport
  readonly address: Address
  /** `addressKey(address)`: how the peer's builder and session name this side. */
  readonly key: string
  readonly store: MemoryStore
  readonly rng: SeededRng
  /** The side's sketch, maintained on every stored bundle when set (as the node does). */
  sketch: Sketch | undefined
  /** The walker's state of the overlay when the method runs node services. */
  state: OverlayWalk | undefined
  /** The overlay's ledger when the method runs node services: what arrives is stored through it (src/node/ledger.ts). */
  ledger: Ledger | undefined
  /** The token this side issues to its peer (stateless in the node: the same every time). */
  readonly issued: Uint8Array
  /** Bundles stored during the run that the side lacked, and their bytes. */
  fresh: number
  freshBytes: number
  /** Bundles that arrived again (already held). */
  duplicates: number
  /** Bundles rejected by validation (none expected). */
  rejected: number
  /** CPU time of the side's work, µs. */
  cpuMicros: number
  /** Of which storing received bundles (`accept`: lookup, validation, put, sketch update), µs. */
  storeMicros: number
  /** Garbage-collection pauses during the side's work, ms (filled in by {@link Link.close}). */
  gcMs: number
}

/** What a method's handler gets for each datagram: the receiving side, the sender and the packet. */
export type Handler = (to: Side, from: Side, packet: Packet) => Promise<void> | void

/** Signatures are not checked: most bench bundles carry a dummy one (reconcile-fixture.ts). */
const skipSignature = (): boolean => true

export class Link {
  readonly clock = new ManualClock(0)
  readonly net: MemoryNetwork
  readonly a: Side
  readonly b: Side
  readonly overlay: Uint8Array
  readonly sync: SyncConfig
  readonly limits: Readonly<DecodeLimits> = DEFAULT_DECODE_LIMITS
  /** Datagrams each way and per packet type. */
  readonly aToB: Traffic = { datagrams: 0, bytes: 0 }
  readonly bToA: Traffic = { datagrams: 0, bytes: 0 }
  readonly byType = new Map<PacketType, Traffic>()
  largestDatagram = 0
  /** Datagrams the receiver could not decode, or that the network did not deliver (none expected). */
  lost = 0
  /** Aborting it makes `drain` throw (Ctrl-C stops the benchmark between two datagrams). */
  signal: AbortSignal | undefined
  readonly #policy: BundlePolicy
  /** Virtual time passed by {@link idle} (not round trips). */
  #idleMs = 0
  readonly #inbox: { to: Side; from: Address; bytes: Uint8Array }[] = []
  #metering = false
  /** When each side worked (performance.now() ms), to attribute gc pauses. */
  readonly #windows: { side: Side; start: number; end: number }[] = []
  readonly #gc: PerformanceEntry[] = []
  readonly #observer = new PerformanceObserver((list) => {
    this.#gc.push(...list.getEntries())
  })

  constructor(overlay: Uint8Array, stores: { a: MemoryStore; b: MemoryStore }, sync: SyncConfig, seed: number) {
    this.overlay = overlay
    this.sync = sync
    this.#policy = { ...DEFAULT_BUNDLE_POLICY, maxBytes: maxBundleBytes(sync.datagramBudget) }
    const rng = new SeededRng(seed)
    // The network enforces the datagram budget: a larger datagram would be dropped (and counted).
    this.net = new MemoryNetwork({ clock: this.clock, rng: rng.fork(), latencyMs: ONE_WAY_MS, maxDatagram: sync.datagramBudget, strict: true })
    this.a = this.#side('A', stores.a, rng.fork())
    this.b = this.#side('B', stores.b, rng.fork())
    this.#observer.observe({ entryTypes: ['gc'] })
  }

  /** Stops observing gc and adds the pauses that fell in each side's work to its `gcMs`. */
  async close(): Promise<void> {
    // gc entries reach the observer asynchronously.
    await new Promise<void>((resolve) => setImmediate(resolve))
    this.#gc.push(...this.#observer.takeRecords())
    this.#observer.disconnect()
    const windows = this.#windows
    for (const gc of this.#gc) {
      // Windows are in time order and never overlap: binary-search the last one starting at or before the pause.
      let lo = 0
      let hi = windows.length - 1
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1
        if (windows[mid]!.start <= gc.startTime) lo = mid
        else hi = mid - 1
      }
      const w = windows[lo]
      if (w !== undefined && w.start <= gc.startTime && gc.startTime <= w.end) w.side.gcMs += gc.duration
    }
  }

  /** The other side. */
  peer(side: Side): Side {
    return side === this.a ? this.b : this.a
  }

  /** Encodes `packet` and sends it from `from` to the other side. */
  send(from: Side, packet: Packet): void {
    const bytes = encodePacket(this.overlay, packet)
    const way = from === this.a ? this.aToB : this.bToA
    way.datagrams++
    way.bytes += bytes.length
    const t = this.byType.get(packet.type)
    if (t === undefined) this.byType.set(packet.type, { datagrams: 1, bytes: bytes.length })
    else {
      t.datagrams++
      t.bytes += bytes.length
    }
    this.largestDatagram = Math.max(this.largestDatagram, bytes.length)
    from.transport.send(this.peer(from).address, bytes)
  }

  /** Runs `fn` as `side`'s work, adding its CPU time to the side. */
  async work<T>(side: Side, fn: () => Promise<T> | T): Promise<T> {
    if (this.#metering) return fn()
    this.#metering = true
    const at = performance.now()
    const start = process.cpuUsage()
    try {
      return await fn()
    } finally {
      const used = process.cpuUsage(start)
      side.cpuMicros += used.user + used.system
      this.#windows.push({ side, start: at, end: performance.now() })
      this.#metering = false
    }
  }

  /**
   * Delivers datagrams, in arrival order, until none is in flight: each is decoded and
   * handled as the receiving side's work (handlers may send more). `settle` resolves once
   * the work the sides started on their own (timers) is done; it is awaited before the
   * virtual clock moves on.
   */
  async drain(handle: Handler, settle?: () => Promise<void>): Promise<void> {
    for (;;) {
      this.signal?.throwIfAborted()
      const item = this.#inbox.shift()
      if (item === undefined) {
        // Work started by timers (a service's steps in flight) may still send.
        if (settle !== undefined) await settle()
        if (this.#inbox.length > 0) continue
        const at = this.clock.nextAt()
        if (at === undefined) return
        this.clock.runUntil(at)
        continue
      }
      await this.work(item.to, async () => {
        const decoded = decodePacketWithReason(item.bytes, this.limits)
        if ('drop' in decoded) {
          this.lost++
          return
        }
        await handle(item.to, this.peer(item.to), decoded.packet)
      })
    }
  }

  /**
   * Stores bundles that arrived at `side` from its peer, as the node's intake does: skip
   * what is held, validate (signature excepted), then store through the side's ledger when
   * it has one (store, Lamport clock, sketch, count), else into the store and the sketch
   * (the node's intake also delivers, which the bench has no use for). Returns the
   * bundles that were new.
   */
  async accept(side: Side, bundles: readonly Bundle[]): Promise<Bundle[]> {
    const start = process.cpuUsage()
    const fresh: Bundle[] = []
    for (const b of bundles) {
      if (await side.store.has(this.overlay, b.id)) {
        side.duplicates++
        continue
      }
      if (!validateDecoded(b, { policy: this.#policy, overlay: this.overlay, verify: skipSignature }).ok) {
        side.rejected++
        continue
      }
      const ledger = side.ledger
      if (ledger !== undefined ? (await ledger.put(b, this.clock.now())) !== 'stored' : !(await side.store.put(b))) {
        side.duplicates++
        continue
      }
      if (ledger === undefined) side.sketch?.add(b.id)
      side.fresh++
      side.freshBytes += b.bytes.length
      fresh.push(b)
    }
    const used = process.cpuUsage(start)
    side.storeMicros += used.user + used.system
    return fresh
  }

  /** Virtual time since the start spent on the way (not {@link idle}), in round trips. */
  roundTrips(): number {
    return (this.clock.now() - this.#idleMs) / (2 * ONE_WAY_MS)
  }

  /** Lets `ms` of virtual time pass between two exchanges (their timers run; not counted as round trips). */
  idle(ms: number): void {
    this.clock.runUntil(this.clock.now() + ms)
    this.#idleMs += ms
  }

  #side(name: 'A' | 'B', store: MemoryStore, rng: SeededRng): Side {
    const transport = this.net.bind()
    const address = transport.address()
    const side: Side = { name, transport, address, key: addressKey(address), store, rng, sketch: undefined, state: undefined, ledger: undefined, issued: rng.bytes(TOKEN_BYTES), fresh: 0, freshBytes: 0, duplicates: 0, rejected: 0, cpuMicros: 0, storeMicros: 0, gcMs: 0 }
    transport.onPacket = (from, bytes) => {
      this.#inbox.push({ to: side, from, bytes })
    }
    return side
  }
}
