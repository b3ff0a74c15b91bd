/**
 * Token buckets keyed by a source (an address, a host, an author), one bucket per named rate,
 * bounded: the least recently used key is forgotten first, and a forgotten key starts again
 * full. Time is the caller's `now` (ms, the injected clock), so the table is deterministic
 * under a ManualClock. The intake budgets (./budgets.ts) and the answer rates
 * (./pending-answers.ts) are tables of this kind.
 */
interface Entry<K extends string> {
  tokens: Record<K, number>
  /** When the buckets were last refilled (ms). */
  at: number
}

export class RateTable<K extends string> {
  readonly #rates: Readonly<Record<K, number>>
  readonly #capacity: Readonly<Record<K, number>>
  readonly #max: number
  readonly #entries = new Map<string, Entry<K>>()

  /** Each bucket `rates[k]` tokens a second, holding `burstSeconds` of them (at least one); at most `max` keys. */
  constructor(rates: Readonly<Record<K, number>>, burstSeconds: number, max: number) {
    this.#rates = { ...rates }
    this.#capacity = Object.fromEntries(Object.entries<number>(rates).map(([k, r]) => [k, Math.max(1, r * burstSeconds)])) as Record<K, number>
    this.#max = Math.max(1, max)
  }

  get size(): number {
    return this.#entries.size
  }

  /**
   * The key's buckets refilled to `now` (a new key's full), marked most recently used. Spend
   * by subtracting; a bucket may go below zero (a debt paid by waiting).
   */
  get(key: string, now: number): Record<K, number> {
    let e = this.#entries.get(key)
    if (e === undefined) {
      e = { tokens: { ...this.#capacity }, at: now }
      if (this.#entries.size >= this.#max) this.#entries.delete(this.#entries.keys().next().value as string)
    } else {
      this.#entries.delete(key)
      const seconds = Math.max(0, now - e.at) / 1000
      if (seconds > 0) {
        for (const k of Object.keys(this.#rates) as K[]) e.tokens[k] = Math.min(this.#capacity[k], e.tokens[k] + seconds * this.#rates[k])
        e.at = now
      }
    }
    this.#entries.set(key, e)
    return e.tokens
  }

  /** The key's buckets as they are, without refilling or reordering (undefined when not remembered). */
  peek(key: string): Readonly<Record<K, number>> | undefined {
    return this.#entries.get(key)?.tokens
  }
}
