/**
 * The global times reported by verified peers, for the acceptable-range median
 * (internal to `clock`). Bounded: at most `maxPeers` entries, least recently reporting
 * first out; a report counts for `maxAgeMs` after it arrived.
 */

interface Report {
  globalTime: number
  at: number
}

/** Peer reports with a cached median. `now` values must not decrease. */
export class PeerTimes {
  readonly #minPeers: number
  readonly #maxPeers: number
  readonly #maxAgeMs: number
  /** peer key → latest report; Map order is least recent report first. */
  readonly #reports = new Map<string, Report>()
  #dirty = true
  #cached: number | undefined
  #validUntil = -Infinity

  /** Arguments are checked by the caller (`LamportClock`). */
  constructor(minPeers: number, maxPeers: number, maxAgeMs: number) {
    this.#minPeers = minPeers
    this.#maxPeers = maxPeers
    this.#maxAgeMs = maxAgeMs
  }

  /** Reports held (live or not yet pruned). */
  get size(): number {
    return this.#reports.size
  }

  /** Stores a report, replacing the peer's previous one and evicting the stalest peer when full. */
  report(peerKey: string, globalTime: number, now: number): void {
    this.#reports.delete(peerKey)
    this.#reports.set(peerKey, { globalTime, at: now })
    while (this.#reports.size > this.#maxPeers) {
      this.#reports.delete(this.#reports.keys().next().value as string)
    }
    this.#dirty = true
  }

  /**
   * The lower median of reports younger than `maxAgeMs` at `now`, or `undefined` unless
   * strictly more than `minPeers` are live. Expired reports are dropped on the way.
   */
  median(now: number): number | undefined {
    if (!this.#dirty && now < this.#validUntil) return this.#cached
    // Reports are in arrival order, so the expired ones are a prefix.
    for (const [key, r] of this.#reports) {
      if (r.at + this.#maxAgeMs > now) break
      this.#reports.delete(key)
    }
    const times: number[] = []
    let validUntil = Infinity
    for (const r of this.#reports.values()) {
      times.push(r.globalTime)
      validUntil = Math.min(validUntil, r.at + this.#maxAgeMs)
    }
    times.sort((a, b) => a - b)
    this.#cached = times.length > this.#minPeers ? times[(times.length - 1) >> 1] : undefined
    this.#validUntil = validUntil
    this.#dirty = false
    return this.#cached
  }
}
