/**
 * Time, injected. Only `src/env` reads the wall clock; everything else is handed a
 * {@link Clock} (or a plain `now` in milliseconds) so tests and the simulator can run
 * on virtual time.
 */

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
  cancelled: boolean
}

/**
 * Virtual time for tests and the simulator. Time moves only when {@link ManualClock.advance}
 * or {@link ManualClock.runUntil} is called; due timers then run in (time, scheduling order).
 */
export class ManualClock implements Clock {
  #now: number
  #seq = 0
  #timers: Timer[] = []

  constructor(start = 0) {
    this.#now = start
  }

  now(): number {
    return this.#now
  }

  setTimeout(fn: () => void, ms: number): Cancel {
    const timer: Timer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn, cancelled: false }
    this.#insert(timer)
    return () => {
      timer.cancelled = true
    }
  }

  /** Number of timers still waiting (cancelled ones excluded). */
  get pending(): number {
    return this.#timers.reduce((n, t) => n + (t.cancelled ? 0 : 1), 0)
  }

  /** Time of the next live timer, or `undefined` when none is scheduled. */
  nextAt(): number | undefined {
    this.#dropCancelledHead()
    return this.#timers[0]?.at
  }

  /** Moves time forward by `ms`, running every timer that falls due, in order. */
  advance(ms: number): void {
    this.runUntil(this.#now + ms)
  }

  /** Runs timers due at or before `time` (including ones they schedule), then sets now = time. */
  runUntil(time: number): void {
    for (;;) {
      this.#dropCancelledHead()
      const next = this.#timers[0]
      if (next === undefined || next.at > time) break
      this.#timers.shift()
      this.#now = Math.max(this.#now, next.at)
      next.fn()
    }
    this.#now = Math.max(this.#now, time)
  }

  #dropCancelledHead(): void {
    while (this.#timers[0]?.cancelled === true) this.#timers.shift()
  }

  #insert(timer: Timer): void {
    // Binary search for the first timer strictly later than this one.
    let lo = 0
    let hi = this.#timers.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      const t = this.#timers[mid]!
      if (t.at < timer.at || (t.at === timer.at && t.seq < timer.seq)) lo = mid + 1
      else hi = mid
    }
    this.#timers.splice(lo, 0, timer)
  }
}
