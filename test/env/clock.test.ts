/** ManualClock's order against an obvious model: fire the earliest (time, scheduling order) live timer. */
import { describe, expect, it } from 'vitest'
import { ManualClock, type Cancel } from '../../src/env/clock.js'
import { SeededRng, int } from '../../src/env/rng.js'

interface Timer {
  at: number
  seq: number
  fn: () => void
  cancelled: boolean
}

/** The model: a list scanned in full for the earliest live timer. */
class ScanClock {
  #now = 0
  #seq = 0
  readonly #timers: Timer[] = []
  now(): number {
    return this.#now
  }
  setTimeout(fn: () => void, ms: number): Cancel {
    const t: Timer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn, cancelled: false }
    this.#timers.push(t)
    return () => {
      t.cancelled = true
    }
  }
  #earliest(): Timer | undefined {
    let best: Timer | undefined
    for (const t of this.#timers) if (!t.cancelled && (best === undefined || t.at < best.at || (t.at === best.at && t.seq < best.seq))) best = t
    return best
  }
  nextAt(): number | undefined {
    return this.#earliest()?.at
  }
  runUntil(time: number): void {
    for (let t = this.#earliest(); t !== undefined && t.at <= time; t = this.#earliest()) {
      t.cancelled = true
      this.#now = Math.max(this.#now, t.at)
      t.fn()
    }
    this.#now = Math.max(this.#now, time)
  }
}

/** Random timers that schedule and cancel more timers; returns the (label, time) firing log. */
function script(clock: ManualClock | ScanClock, seed: number): string[] {
  const rng = new SeededRng(seed)
  const log: string[] = []
  const cancels: Cancel[] = []
  let label = 0
  const schedule = (depth: number): void => {
    const me = label++
    cancels.push(
      clock.setTimeout(() => {
        log.push(`${me}@${clock.now()}`)
        if (depth < 4) for (let k = int(rng, 3); k > 0; k--) schedule(depth + 1)
        if (int(rng, 4) === 0) cancels[int(rng, cancels.length)]!()
      }, int(rng, 5) * 10)
    )
  }
  for (let i = 0; i < 200; i++) schedule(0)
  for (let t = 0; t < 400; t += 7) {
    clock.runUntil(t)
    log.push(`next ${String(clock.nextAt())}`)
  }
  return log
}

describe('ManualClock against a full-scan model', () => {
  it('fires timers in (time, scheduling order), with cancels and timers scheduled while running', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const log = script(new ManualClock(0), seed)
      expect(log.filter((l) => !l.startsWith('next')).length).toBeGreaterThan(200)
      expect(log).toEqual(script(new ScanClock(), seed))
    }
  })
})

describe('ManualClock.view', () => {
  it("counts one component's live timers: scheduled, run, cancelled, and rescheduled from a callback", () => {
    const clock = new ManualClock(0)
    const a = clock.view()
    const b = clock.view()
    const order: string[] = []
    const cancel = a.setTimeout(() => order.push('a1'), 10)
    a.setTimeout(() => {
      order.push('a2')
      a.setTimeout(() => order.push('a3'), 5)
    }, 20)
    b.setTimeout(() => order.push('b1'), 15)
    clock.setTimeout(() => order.push('clock'), 12)
    expect([a.pending, b.pending, clock.pending]).toEqual([2, 1, 4])
    cancel()
    cancel()
    expect(a.pending).toBe(1)
    clock.advance(20)
    // a2 ran and scheduled a3: still one of a's timers waiting; b's ran.
    expect([a.pending, b.pending, a.now()]).toEqual([1, 0, 20])
    clock.advance(10)
    expect([a.pending, clock.pending]).toEqual([0, 0])
    expect(order).toEqual(['clock', 'b1', 'a2', 'a3'])
  })
})
