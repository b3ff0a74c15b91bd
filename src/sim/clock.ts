/**
 * Virtual time for large simulations: the {@link ManualClock} contract (timers run in
 * (due time, scheduling order), `runUntil` includes timers scheduled while it runs, time
 * never goes back) on a binary heap, so scheduling and running a timer cost O(log n)
 * instead of ManualClock's sorted-array insertion, which dominates with thousands of
 * pending timers (a walk step and a request timeout per node, every datagram in flight).
 * A run gives the same result on either clock (test/sim/clock.test.ts).
 */
import type { Cancel, Clock } from '../env/clock.js'

interface Timer {
  at: number
  seq: number
  fn: () => void
  cancelled: boolean
}

/** The clock interface the event loop drives (ManualClock implements it too). */
export interface VirtualClock extends Clock {
  /** Time of the next live timer, or `undefined` when none is scheduled. */
  nextAt(): number | undefined
  /** Runs timers due at or before `time` (including ones they schedule), then sets now = time. */
  runUntil(time: number): void
}

export class HeapClock implements VirtualClock {
  #now: number
  #seq = 0
  readonly #heap: Timer[] = []

  constructor(start = 0) {
    this.#now = start
  }

  now(): number {
    return this.#now
  }

  setTimeout(fn: () => void, ms: number): Cancel {
    const timer: Timer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn, cancelled: false }
    this.#push(timer)
    return () => {
      timer.cancelled = true
    }
  }

  /** Timers waiting, cancelled ones included until they reach the front. */
  get size(): number {
    return this.#heap.length
  }

  nextAt(): number | undefined {
    this.#dropCancelled()
    return this.#heap[0]?.at
  }

  runUntil(time: number): void {
    for (;;) {
      this.#dropCancelled()
      const next = this.#heap[0]
      if (next === undefined || next.at > time) break
      this.#pop()
      if (next.at > this.#now) this.#now = next.at
      next.fn()
    }
    if (time > this.#now) this.#now = time
  }

  #dropCancelled(): void {
    while (this.#heap[0]?.cancelled === true) this.#pop()
  }

  #push(t: Timer): void {
    const h = this.#heap
    h.push(t)
    let i = h.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      const p = h[parent]!
      if (!before(t, p)) break
      h[i] = p
      i = parent
    }
    h[i] = t
  }

  #pop(): void {
    const h = this.#heap
    const last = h.pop()!
    if (h.length === 0) return
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      if (l >= h.length) break
      const r = l + 1
      const c = r < h.length && before(h[r]!, h[l]!) ? r : l
      if (!before(h[c]!, last)) break
      h[i] = h[c]!
      i = c
    }
    h[i] = last
  }
}

function before(a: Timer, b: Timer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq)
}
