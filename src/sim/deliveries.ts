/**
 * Who received which message when (docs/evaluation.md, "Metrics"). A message is owed to a
 * set of receivers: every other peer for a published message, the peers that lack it for a
 * preloaded history bundle. Each (message, receiver) pair gets the virtual time of its
 * first delivery; the convergence curve samples the delivered share.
 */

/** Latency figures in seconds (null when nothing was measured). */
export interface LatencySummary {
  count: number
  mean: number | null
  median: number | null
  p90: number | null
  max: number | null
}

/** One point of the convergence curve. */
export interface CurvePoint {
  /** Virtual seconds since the start. */
  t: number
  /** Delivered pairs ÷ all pairs owed in the run. */
  ratio: number
}

export interface DeliverySummary {
  messages: number
  published: number
  /** (message, receiver) pairs owed by the messages published so far (the multipliers' denominator). */
  pairs: number
  /** Pairs owed over the whole run, published or not (the ratio's and the curve's denominator). */
  expectedPairs: number
  delivered: number
  /** Delivered pairs ÷ {@link DeliverySummary.expectedPairs}: below 1 while a message is unpublished. */
  ratio: number
  /** Every pair delivered. */
  complete: boolean
  /** Virtual seconds from the start until 50 %, 90 % and 99 % of all owed pairs were delivered (null: not reached). */
  reached: { half: number | null; p90: number | null; p99: number | null }
  /** Virtual seconds from the start until the last pair was delivered; null when incomplete. */
  fullDeliverySeconds: number | null
  /** The same, counted from the last publication. */
  afterLastPublishSeconds: number | null
  /** Per (message, receiver): publication → delivery. */
  latency: LatencySummary
  /** Per message: publication → the last receiver has it (complete messages only). */
  messageLatency: LatencySummary
  /** Per-pair latency at 0, 1, …, 100 % of the delivered pairs, seconds (the CDF plotted). */
  latencyQuantiles: number[]
  curve: CurvePoint[]
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: ArrayLike<number>, p: number): number | null {
  if (sorted.length === 0) return null
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)))
  return sorted[rank - 1]!
}

/** Summary of ascending latencies in ms, reported in seconds (rounded to ms). */
export function summarize(sorted: Float64Array): LatencySummary {
  let sum = 0
  for (const v of sorted) sum += v
  const s = (v: number | null) => (v === null ? null : Math.round(v) / 1000)
  return { count: sorted.length, mean: sorted.length === 0 ? null : s(sum / sorted.length), median: s(percentile(sorted, 50)), p90: s(percentile(sorted, 90)), max: s(percentile(sorted, 100)) }
}

/** The delivery record of one run. */
export class DeliveryLog {
  readonly peers: number
  /** Pairs expected over the whole run (set up front; the curve's denominator). */
  readonly expectedPairs: number
  readonly expectedMessages: number
  delivered = 0
  /** Bytes of every owed pair's bundle, summed (the byte multiplier's denominator). */
  owedBytes = 0
  lastPublishAt = 0
  lastDeliveryAt = 0
  readonly #keys = new Map<string, number>()
  readonly #publishedAt: number[] = []
  readonly #author: number[] = []
  readonly #first: number[] = []
  readonly #count: number[] = []
  /** Sparse messages: m * peers + receiver → pair. */
  readonly #sparse = new Map<number, number>()
  /** Pairs owed to and delivered to each receiver. */
  readonly owedTo: Uint32Array
  readonly deliveredTo: Uint32Array
  #times = new Float64Array(1024).fill(NaN)
  #pairs = 0
  readonly #curve: CurvePoint[] = []
  /** Delivered counts at which a milestone is reached, and when it was. */
  readonly #marks: { at: number; when: number | null }[]

  constructor(peers: number, expectedMessages: number, expectedPairs: number) {
    this.peers = peers
    this.expectedMessages = expectedMessages
    this.expectedPairs = expectedPairs
    this.owedTo = new Uint32Array(peers)
    this.deliveredTo = new Uint32Array(peers)
    this.#marks = [0.5, 0.9, 0.99].map((f) => ({ at: Math.ceil(f * expectedPairs), when: null }))
  }

  get pairs(): number {
    return this.#pairs
  }

  get complete(): boolean {
    return this.#publishedAt.length === this.expectedMessages && this.delivered === this.#pairs
  }

  /**
   * Records a message: `key` names it in {@link DeliveryLog.deliver}; `missing` lists the
   * receivers it is owed to (default: every peer but the author).
   */
  publish(key: string, author: number, bytes: number, at: number, missing?: readonly number[]): void {
    if (this.#keys.has(key)) return
    const m = this.#publishedAt.length
    this.#keys.set(key, m)
    this.#publishedAt.push(at)
    this.#author.push(author)
    this.#first.push(this.#pairs)
    const n = missing === undefined ? this.peers - 1 : missing.length
    this.#count.push(missing === undefined ? -n : n)
    if (missing !== undefined) {
      missing.forEach((r, i) => {
        this.#sparse.set(m * this.peers + r, this.#pairs + i)
        this.owedTo[r]!++
      })
    } else for (let r = 0; r < this.peers; r++) if (r !== author) this.owedTo[r]!++
    this.#grow(this.#pairs + n)
    this.#pairs += n
    this.owedBytes += n * bytes
    if (at > this.lastPublishAt) this.lastPublishAt = at
  }

  /** Records that `receiver` got the message `key` at `at` (repeats and unowed pairs are ignored). */
  deliver(receiver: number, key: string, at: number): void {
    const m = this.#keys.get(key)
    if (m === undefined) return
    const pair = this.#pair(m, receiver)
    if (pair === undefined || !Number.isNaN(this.#times[pair]!)) return
    this.#times[pair] = at
    this.delivered++
    this.deliveredTo[receiver]!++
    this.lastDeliveryAt = at
    for (const mark of this.#marks) if (mark.when === null && this.delivered >= mark.at) mark.when = at
  }

  /** Adds a point to the convergence curve. */
  sample(at: number): void {
    this.#curve.push({ t: Math.round(at) / 1000, ratio: this.expectedPairs === 0 ? 1 : round6(this.delivered / this.expectedPairs) })
  }

  /** The figures of the run so far; `end` is the virtual time the run stopped. */
  summary(): DeliverySummary {
    const perPair: number[] = []
    const perMessage: number[] = []
    for (let m = 0; m < this.#publishedAt.length; m++) {
      const at = this.#publishedAt[m]!
      const first = this.#first[m]!
      const n = Math.abs(this.#count[m]!)
      let last = at
      let done = true
      for (let i = 0; i < n; i++) {
        const t = this.#times[first + i]!
        if (Number.isNaN(t)) done = false
        else {
          perPair.push(t - at)
          if (t > last) last = t
        }
      }
      if (done && n > 0) perMessage.push(last - at)
    }
    const complete = this.complete
    const pairs = Float64Array.from(perPair).sort()
    return {
      messages: this.expectedMessages,
      published: this.#publishedAt.length,
      pairs: this.#pairs,
      expectedPairs: this.expectedPairs,
      delivered: this.delivered,
      ratio: this.expectedPairs === 0 ? 1 : round6(this.delivered / this.expectedPairs),
      complete,
      reached: { half: seconds(this.#marks[0]!.when), p90: seconds(this.#marks[1]!.when), p99: seconds(this.#marks[2]!.when) },
      fullDeliverySeconds: complete ? seconds(this.lastDeliveryAt) : null,
      afterLastPublishSeconds: complete ? seconds(Math.max(0, this.lastDeliveryAt - this.lastPublishAt)) : null,
      latency: summarize(pairs),
      messageLatency: summarize(Float64Array.from(perMessage).sort()),
      latencyQuantiles: pairs.length === 0 ? [] : Array.from({ length: 101 }, (_, i) => Math.round(percentile(pairs, Math.max(i, 0.0001))!) / 1000),
      curve: this.#curve.slice()
    }
  }

  #pair(m: number, receiver: number): number | undefined {
    const count = this.#count[m]!
    if (count >= 0) return this.#sparse.get(m * this.peers + receiver)
    const author = this.#author[m]!
    if (receiver === author || receiver < 0 || receiver >= this.peers) return undefined
    return this.#first[m]! + (receiver < author ? receiver : receiver - 1)
  }

  #grow(size: number): void {
    if (size <= this.#times.length) return
    let n = this.#times.length
    while (n < size) n *= 2
    const next = new Float64Array(n).fill(NaN)
    next.set(this.#times)
    this.#times = next
  }
}

function seconds(ms: number | null): number | null {
  return ms === null ? null : Math.round(ms) / 1000
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6
}
