/**
 * What an adaptive Sybil (./attacker.ts, `kind: 'adaptive'`) has collected from the honest
 * peers, and the trickle it leaks back to look useful (docs/security.md, "Sybil and eclipse").
 *
 * The attacker keeps every bundle it is sent (answers to its own sync offers, pushes it
 * asked for) with the moment it first got it. To a walker it leaks only bundles it has held
 * for at least `holdMs` ("old") that the walker's own filter says it lacks: enough to be a
 * forwarder in the walker's eyes (a bundle it did not hold), never a fresh one.
 */
import { BloomFilter } from '../bloom/index.js'
import type { Bundle } from '../bundle/index.js'
import type { SyncOffer } from '../wire/index.js'
import { hex } from '../bytes.js'

/** Most bundles one attacker run keeps (the sybil presets publish 200). */
export const MAX_HOARD = 100_000

/** Bytes of the filter over the hoard that the attacker's own sync offers carry: 8 192 bits, k = 5 (under 1 % false positives up to ~800 bundles). */
export const HOARD_FILTER_BYTES = 1024
const HOARD_FILTER_K = 5

interface Held {
  bundle: Bundle
  since: number
}

export class Hoard {
  readonly #held = new Map<string, Held>()
  readonly #holdMs: number
  /** The filter over every held id, rebuilt only when something was added since. */
  #filter: BloomFilter | undefined

  constructor(holdMs: number) {
    this.#holdMs = holdMs
  }

  get size(): number {
    return this.#held.size
  }

  has(id: Uint8Array): boolean {
    return this.#held.has(hex(id))
  }

  /** Keeps `bundle` (first receipt wins; nothing past {@link MAX_HOARD}). */
  add(bundle: Bundle, now: number): void {
    const key = hex(bundle.id)
    if (this.#held.has(key) || this.#held.size >= MAX_HOARD) return
    this.#held.set(key, { bundle, since: now })
    this.#filter = undefined
  }

  /** A Bloom filter over everything held (so that honest answers send only what is missing), salted with `salt` when rebuilt. */
  filter(salt: number): BloomFilter {
    if (this.#filter === undefined) {
      this.#filter = new BloomFilter(HOARD_FILTER_BYTES, HOARD_FILTER_K, salt)
      for (const key of this.#held.values()) this.#filter.add(key.bundle.id)
    }
    return this.#filter
  }

  /**
   * Up to `max` bundles held for at least `holdMs` that fall in `offer`'s slice and are not
   * in its filter (the walker lacks them), oldest global time first.
   */
  leak(offer: SyncOffer, now: number, max: number): Bundle[] {
    if (max <= 0 || !(offer.modulo >= 1)) return []
    let filter: BloomFilter
    try {
      filter = BloomFilter.fromWire(offer.bloom)
    } catch {
      return []
    }
    const out: Bundle[] = []
    for (const { bundle, since } of this.#held.values()) {
      const gt = bundle.globalTime
      if (now - since < this.#holdMs || gt < offer.timeLow || (offer.timeHigh !== 0 && gt > offer.timeHigh)) continue
      if ((gt + offer.offset) % offer.modulo !== 0 || filter.has(bundle.id)) continue
      out.push(bundle)
    }
    out.sort((a, b) => a.globalTime - b.globalTime)
    return out.slice(0, max)
  }
}
