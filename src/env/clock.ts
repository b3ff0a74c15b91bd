/**
 * Time, injected. Only `src/env` reads the wall clock; everything else is handed a
 * {@link Clock} (or a plain `now` in milliseconds) so tests and the simulator can run
 * on virtual time.
 */
import { MinHeap } from '../min-heap.js'

/** Cancels a scheduled callback; calling it twice, or after the callback ran, is harmless. */
export type Cancel = () => void

/** A source of time in milliseconds plus one-shot timers. */
export interface Clock {
  /** Milliseconds since an arbitrary, fixed origin. Never goes backwards. */
  now(): number
  /** Runs `fn` once, `ms` milliseconds from now (clamped to ≥ 0). */
  setTimeout(fn: () => void, ms: number): Cancel
}

/** The real clock: `performance.timeOrigin + performance.now()`, monotonic. */
export class SystemClock implements Clock {
  now(): number {
    return performance.timeOrigin + performance.now()
  }

  setTimeout(fn: () => void, ms: number): Cancel {
    const handle = setTimeout(fn, Math.max(0, ms))
    // A pending protocol timer must never keep the process alive on its own.
    handle.unref?.()
    return () => clearTimeout(handle)
  }
}

interface Timer {
  at: number
  seq: number
  fn: () => void
  /** Ran or cancelled. */
  done: boolean
  /** The live timers of the view that scheduled it, if any (see {@link ManualClock.view}). */
  owner: Set<Timer> | undefined
}

/** A {@link ManualClock} seen by one component: its own timers are counted apart. */
export interface ManualClockView extends Clock {
  /** Timers scheduled through this view that have neither run nor been cancelled. */
  readonly pending: number
}

/**
 * Virtual time for tests and the simulator. Time moves only when {@link ManualClock.advance}
 * or {@link ManualClock.runUntil} is called; due timers then run in (time, scheduling order).
 * Timers wait on a binary heap (src/min-heap.ts), so scheduling and running one cost O(log n): the simulator
 * keeps thousands pending (a walk step and a request timeout per node, every datagram in
 * flight).
 */
export class ManualClock implements Clock {
  #now: number
  #seq = 0
  readonly #heap = new MinHeap<Timer>(dueFirst)
  /** Timers neither run nor cancelled. */
  #live = 0

  constructor(start = 0) {
    this.#now = start
  }

  now(): number {
    return this.#now
  }

  setTimeout(fn: () => void, ms: number): Cancel {
    return this.#schedule(fn, ms, undefined)
  }

  /**
   * The same clock for one component (a node): timers it schedules run as any other, and
   * `pending` counts those of its timers still waiting, so a test can check that a stopped
   * node left none behind.
   */
  view(): ManualClockView {
    const live = new Set<Timer>()
    return {
      now: () => this.now(),
      setTimeout: (fn, ms) => this.#schedule(fn, ms, live),
      get pending() {
        return live.size
      }
    }
  }

  #schedule(fn: () => void, ms: number, owner: Set<Timer> | undefined): Cancel {
    const timer: Timer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn, done: false, owner }
    owner?.add(timer)
    this.#heap.push(timer)
    this.#live++
    return () => {
      if (timer.done) return
      timer.done = true
      this.#live--
      timer.owner?.delete(timer)
    }
  }

  /** Number of timers still waiting (cancelled ones excluded). */
  get pending(): number {
    return this.#live
  }

  /** Time of the next live timer, or `undefined` when none is scheduled. */
  nextAt(): number | undefined {
    this.#dropDone()
    return this.#heap.peek()?.at
  }

  /** Moves time forward by `ms`, running every timer that falls due, in order. */
  advance(ms: number): void {
    this.runUntil(this.#now + ms)
  }

  /** Runs timers due at or before `time` (including ones they schedule), then sets now = time. */
  runUntil(time: number): void {
    for (;;) {
      this.#dropDone()
      const next = this.#heap.peek()
      if (next === undefined || next.at > time) break
      this.#heap.pop()
      if (next.at > this.#now) this.#now = next.at
      // Run: cancelling it now is a no-op, and it is no longer pending.
      next.done = true
      this.#live--
      next.owner?.delete(next)
      next.fn()
    }
    if (time > this.#now) this.#now = time
  }

  #dropDone(): void {
    while (this.#heap.peek()?.done === true) this.#heap.pop()
  }
}

/** Due first, then scheduled first. */
function dueFirst(a: Timer, b: Timer): number {
  return a.at - b.at || a.seq - b.seq
}
