/**
 * Push, then pull (DESIGN §13): a published bundle goes at once to a few validated
 * candidates, and a receiver that did not have a *fresh* pushed bundle forwards it once to
 * a few validated candidates other than its sender, while the push's hop count allows.
 * "Validated" is the anti-amplification guard's notion: the address answered our random
 * identifier or echoed our token, so a spoofer cannot aim a push. Forwarding is bounded per
 * second and per source; whatever push misses, the Bloom walk and catch-up repair.
 *
 * {@link PushService.receive} is the one way a pushed bundle enters the node.
 */
import type { Bundle } from '../bundle/types.js'
import type { Clock } from '../env/clock.js'
import { int, type Rng } from '../env/rng.js'
import { BloomwalkError } from '../errors.js'
import { addressKey, parseAddressKey, type Address, type PushPacket } from '../wire/index.js'
import type { AmplificationGuard } from './amplification.js'
import type { Charge } from './context.js'
import type { OverlayState } from './overlay.js'
import type { Packet } from '../wire/index.js'

/** How far and how wide fresh bundles are pushed. Chosen by measurement: docs/evaluation.md §4.8. */
export interface PushOptions {
  /** Validated candidates a published bundle (or ephemeral message) is pushed to; 0 turns push off. Default 6. */
  fanout: number
  /** Validated candidates, other than its sender, a fresh pushed bundle is forwarded to. Default 3. */
  forwardFanout: number
  /**
   * Hops a push on publish carries: how many times it may be forwarded after the first send.
   * Default 8: with 6 then 3 per hop a push can reach 6 · (3⁸ − 1) / 2 ≈ 20 000 peers before
   * duplicates; 4 hops stop at 726, short of a 1 000-peer room even without duplicates.
   */
  hops: number
  /** A pushed bundle is fresh when its global time is within this many units of ours. Default 16. */
  freshWindow: number
  /** Bundles forwarded per second, all sources together (each to `forwardFanout` peers). Default 100. */
  maxForwardsPerSecond: number
  /** Bundles forwarded per second on behalf of one source address (the peer that pushed them). Default 20. */
  maxForwardsPerSourcePerSecond: number
  /** Source addresses whose forward budget is remembered (oldest forgotten first). Default 1 024. */
  maxSources: number
}

export const PUSH_DEFAULTS: Readonly<PushOptions> = Object.freeze({
  fanout: 6,
  forwardFanout: 3,
  hops: 8,
  freshWindow: 16,
  maxForwardsPerSecond: 100,
  maxForwardsPerSourcePerSecond: 20,
  maxSources: 1024
})

/**
 * The defaults with some overridden, checked.
 * @throws {BloomwalkError} INVALID_ARGUMENT when a value is not a non-negative safe integer
 */
export function pushOptions(overrides: Partial<PushOptions> = {}): Readonly<PushOptions> {
  const o: PushOptions = { ...PUSH_DEFAULTS }
  for (const [name, value] of Object.entries(overrides)) if (value !== undefined) (o as unknown as Record<string, number>)[name] = value
  for (const [name, value] of Object.entries(o)) {
    if (!Number.isSafeInteger(value) || value < 0) throw new BloomwalkError('INVALID_ARGUMENT', `push option ${name} must be a non-negative integer, got ${String(value)}`)
  }
  return Object.freeze(o)
}

/** Counters of the push path (in `stats().push`). */
export interface PushStats {
  /** Push datagrams sent for our own bundles and ephemeral messages. */
  published: number
  /** Push datagrams received (after the source check). */
  received: number
  /** Bundles in them that were new to us. */
  fresh: number
  /** Push datagrams sent forwarding someone else's bundles. */
  forwarded: number
  /** New pushed bundles not forwarded: hop count spent, or not fresh. */
  notForwarded: number
  /** New pushed bundles not forwarded because a per-second or per-source budget was spent. */
  overBudget: number
}

/** What the push service uses of the node. */
export interface PushComponents {
  clock: Clock
  rng: Rng
  guard: Pick<AmplificationGuard, 'isValidated'>
  send(to: Address, overlay: Uint8Array, packet: Packet, charge: Charge): boolean
  /** Checks, stores and delivers; returns the bundles that were new. */
  accept(overlay: OverlayState, bundles: readonly Bundle[], from: Address): Promise<Bundle[]>
  /** Checks and delivers ephemeral bundles once each; returns those delivered now. */
  acceptEphemeral(overlay: OverlayState, bundles: readonly Bundle[], from: Address): Bundle[]
}

/** A one-second window's count. */
interface Window {
  second: number
  count: number
}

export class PushService {
  readonly options: Readonly<PushOptions>
  readonly #c: PushComponents
  readonly #stats: PushStats = { published: 0, received: 0, fresh: 0, forwarded: 0, notForwarded: 0, overBudget: 0 }
  #all: Window = { second: -1, count: 0 }
  readonly #bySource = new Map<string, Window>()

  constructor(options: Partial<PushOptions> | undefined, components: PushComponents) {
    this.options = pushOptions(options)
    this.#c = components
  }

  stats(): PushStats {
    return { ...this.#stats }
  }

  /** Forgets the per-second budgets (nothing is scheduled). */
  stop(): void {
    this.#all = { second: -1, count: 0 }
    this.#bySource.clear()
  }

  /** Pushes our own new bundle (or ephemeral message) to up to `fanout` validated candidates; returns how many. */
  publish(overlay: OverlayState, bundle: Bundle, ephemeral = false): number {
    const { fanout, hops } = this.options
    let sent = 0
    for (const to of this.targets(overlay, fanout, undefined)) {
      if (this.#c.send(to, overlay.id, push([bundle], hops, ephemeral), 'destination')) sent++
    }
    this.#stats.published += sent
    return sent
  }

  /**
   * The one way a pushed bundle enters the node (the push handler calls it after its source
   * check): store or deliver what is new, then forward what is fresh while hops remain.
   */
  async receive(overlay: OverlayState, packet: PushPacket, from: Address): Promise<void> {
    this.#stats.received++
    const ephemeral = packet.ephemeral === true
    const fresh = ephemeral ? this.#c.acceptEphemeral(overlay, packet.bundles, from) : await this.#c.accept(overlay, packet.bundles, from)
    this.#stats.fresh += fresh.length
    if (fresh.length === 0) return
    if (!ephemeral) overlay.builder?.onPushed()
    const now = this.#c.clock.now()
    const forward: Bundle[] = []
    for (const b of fresh) {
      if (packet.hops === 0 || b.globalTime + this.options.freshWindow <= overlay.clock.time) this.#stats.notForwarded++
      else if (!this.#spend(addressKey(from), now)) this.#stats.overBudget++
      else forward.push(b)
    }
    if (forward.length === 0) return
    // Our own hop limit bounds what we relay, whatever the sender asked for.
    const hops = Math.min(packet.hops, this.options.hops) - 1
    for (const to of this.targets(overlay, this.options.forwardFanout, addressKey(from))) {
      if (this.#c.send(to, overlay.id, push(forward, Math.max(0, hops), ephemeral), 'destination')) this.#stats.forwarded++
    }
  }

  /**
   * Up to `n` validated candidates of the overlay (walk or stumble: their NAT holes are open),
   * other than `except`, drawn uniformly (partial Fisher–Yates over the injected rng).
   */
  targets(overlay: OverlayState, n: number, except: string | undefined): Address[] {
    if (n === 0) return []
    const now = this.#c.clock.now()
    const pool: Address[] = []
    for (const c of overlay.candidates.list(now)) {
      if (c.key === except || c.trusted || !this.#c.guard.isValidated(c.key)) continue
      const category = overlay.candidates.category(c.key, now)
      if (category !== 'walk' && category !== 'stumble') continue
      const to = parseAddressKey(c.key)
      if (to !== null) pool.push(to)
    }
    const k = Math.min(n, pool.length)
    for (let i = 0; i < k; i++) {
      const j = i + int(this.#c.rng, pool.length - i)
      const t = pool[i]!
      pool[i] = pool[j]!
      pool[j] = t
    }
    return pool.slice(0, k)
  }

  /** Counts one forwarded bundle against the global and the source's budget; false when either is spent. */
  #spend(source: string, now: number): boolean {
    const second = Math.floor(now / 1000)
    if (this.#all.second !== second) this.#all = { second, count: 0 }
    let w = this.#bySource.get(source)
    if (w === undefined || w.second !== second) {
      this.#bySource.delete(source)
      w = { second, count: 0 }
      this.#bySource.set(source, w)
      if (this.#bySource.size > this.options.maxSources) this.#bySource.delete(this.#bySource.keys().next().value as string)
    }
    if (this.#all.count >= this.options.maxForwardsPerSecond || w.count >= this.options.maxForwardsPerSourcePerSecond) return false
    this.#all.count++
    w.count++
    return true
  }

  /** Sources whose budget is remembered (for the bound's test). */
  get trackedSources(): number {
    return this.#bySource.size
  }
}

function push(bundles: readonly Bundle[], hops: number, ephemeral: boolean): PushPacket {
  return ephemeral ? { type: 'push', bundles, hops, ephemeral: true } : { type: 'push', bundles, hops }
}
