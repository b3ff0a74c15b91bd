/**
 * Token buckets of one rate, keyed (an address, a host), bounded: the least recently used key
 * is forgotten first, and a forgotten key starts again full. Time is the caller's `now` (ms,
 * the injected clock), so the table is deterministic under a ManualClock.
 */
interface Bucket {
  tokens: number
  /** When the bucket was last refilled (ms). */
  at: number
}

export class RateTable {
  readonly #perSecond: number
  readonly #capacity: number
  readonly #max: number
  readonly #entries = new Map<string, Bucket>()

  /** `perSecond` tokens a second, holding `burstSeconds` of them (at least one); at most `max` keys. */
  constructor(perSecond: number, burstSeconds: number, max: number) {
    this.#perSecond = perSecond
    this.#capacity = Math.max(1, perSecond * burstSeconds)
    this.#max = Math.max(1, max)
  }

  get size(): number {
    return this.#entries.size
  }

  /** Tokens the key holds at `now` (marks it most recently used; a new key starts full). */
  level(key: string, now: number): number {
    return this.#refill(key, now).tokens
  }

  /** Spends `cost` tokens of the key at `now` (it may go below zero: a debt paid by waiting). */
  take(key: string, now: number, cost = 1): void {
    this.#refill(key, now).tokens -= cost
  }

  #refill(key: string, now: number): Bucket {
    let b = this.#entries.get(key)
    if (b === undefined) {
      b = { tokens: this.#capacity, at: now }
      if (this.#entries.size >= this.#max) this.#entries.delete(this.#entries.keys().next().value as string)
    } else {
      this.#entries.delete(key)
      const seconds = Math.max(0, now - b.at) / 1000
      b.tokens = Math.min(this.#capacity, b.tokens + seconds * this.#perSecond)
      b.at = Math.max(b.at, now)
    }
    this.#entries.set(key, b)
    return b
  }
}
