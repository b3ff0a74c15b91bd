/**
 * The memory reclaimer (src/env/memory-reclaimer.ts): one full collection after a burst, once
 * the process is quiet and its young generation has grown; never while busy, never twice for
 * one burst, no timer left after stop(). The process's own probe: gc() reached without
 * --expose-gc. What it gives back after a real flood is measured by `npm run measure:flood`
 * (docs/security.md).
 */
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../src/env/clock.js'
import { MemoryReclaimer, processHeap, type HeapProbe } from '../../src/env/memory-reclaimer.js'

const MB = 1024 * 1024

/** A probe whose utilization and young generation the test sets; a collection shrinks the young generation to 2 MB. */
function fakeProbe(): HeapProbe & { busy: number; young: number; collected: number } {
  const p = {
    busy: 0,
    young: 2 * MB,
    collected: 0,
    youngBytes: () => p.young,
    rssBytes: () => 60 * MB + p.young,
    busyShare: () => p.busy,
    collect: () => {
      p.collected++
      p.young = 2 * MB
    }
  }
  return p
}

describe('MemoryReclaimer', () => {
  it('collects once when a burst that grew the young generation is followed by a quiet interval', () => {
    const clock = new ManualClock()
    const probe = fakeProbe()
    const r = new MemoryReclaimer(clock, probe, { checkMs: 10_000 })
    r.start()
    probe.busy = 0.9
    probe.young = 32 * MB
    clock.advance(10_000) // the burst
    expect(probe.collected).toBe(0)
    probe.busy = 0.01
    clock.advance(10_000) // quiet
    expect(probe.collected).toBe(1)
    expect(r.stats()).toMatchObject({ checks: 2, collections: 1, reclaimedBytes: 30 * MB, collectMs: 0 })
    // Quiet from now on, the young generation grown again by slow allocation: no second collection without a burst.
    probe.young = 32 * MB
    clock.advance(100_000)
    expect(probe.collected).toBe(1)
    // The next burst re-arms it.
    probe.busy = 0.5
    clock.advance(10_000)
    probe.busy = 0
    clock.advance(10_000)
    expect(probe.collected).toBe(2)
    r.stop()
  })

  it('never collects while the event loop is busy, however large the young generation', () => {
    const clock = new ManualClock()
    const probe = fakeProbe()
    const r = new MemoryReclaimer(clock, probe, { checkMs: 1000, quietShare: 0.05 })
    r.start()
    probe.young = 32 * MB
    probe.busy = 0.05 // at the threshold: busy
    clock.advance(600_000)
    expect(probe.collected).toBe(0)
    expect(r.stats().checks).toBe(600)
    r.stop()
  })

  it('does not collect a young generation that has not grown beyond grownBytes', () => {
    const clock = new ManualClock()
    const probe = fakeProbe()
    const r = new MemoryReclaimer(clock, probe, { checkMs: 1000, grownBytes: 8 * MB })
    r.start()
    probe.young = 8 * MB
    for (let i = 0; i < 10; i++) {
      probe.busy = i % 2 === 0 ? 1 : 0 // burst, quiet, burst, …
      clock.advance(1000)
    }
    expect(probe.collected).toBe(0)
    probe.young = 8 * MB + 1
    probe.busy = 0
    clock.advance(1000) // armed by the last burst
    expect(probe.collected).toBe(1)
    r.stop()
  })

  it('collects at most once per two checks: an attacker alternating bursts and pauses gets one collection per burst', () => {
    const clock = new ManualClock()
    const probe = fakeProbe()
    const r = new MemoryReclaimer(clock, probe, { checkMs: 10_000 })
    r.start()
    for (let i = 0; i < 100; i++) {
      probe.busy = i % 2 === 0 ? 1 : 0
      if (i % 2 === 0) probe.young = 32 * MB
      clock.advance(10_000)
    }
    expect(probe.collected).toBe(50)
    expect(r.stats().checks).toBe(100)
    r.stop()
  })

  it('leaves no timer behind after stop(), and start() twice schedules one', () => {
    const clock = new ManualClock()
    const view = clock.view()
    const r = new MemoryReclaimer(view, fakeProbe())
    r.start()
    r.start()
    expect(view.pending).toBe(1)
    clock.advance(25_000)
    expect(view.pending).toBe(1)
    expect(r.stats().checks).toBe(2)
    r.stop()
    expect(view.pending).toBe(0)
    clock.advance(100_000)
    expect(r.stats().checks).toBe(2)
  })

  it('rejects nonsense options', () => {
    const clock = new ManualClock()
    expect(() => new MemoryReclaimer(clock, fakeProbe(), { checkMs: 0 })).toThrow(RangeError)
    expect(() => new MemoryReclaimer(clock, fakeProbe(), { quietShare: 0 })).toThrow(RangeError)
    expect(() => new MemoryReclaimer(clock, fakeProbe(), { quietShare: 1.5 })).toThrow(RangeError)
    expect(() => new MemoryReclaimer(clock, fakeProbe(), { grownBytes: -1 })).toThrow(RangeError)
  })
})

describe('processHeap (this process)', () => {
  it('reads the young generation, RSS and the event loop, and reaches gc() without --expose-gc', () => {
    expect(process.execArgv.join(' ')).not.toContain('--expose-gc')
    const probe = processHeap()
    expect(probe.youngBytes()).toBeGreaterThan(0)
    expect(probe.rssBytes()).toBeGreaterThan(0)
    const share = probe.busyShare()
    expect(share).toBeGreaterThanOrEqual(0)
    expect(share).toBeLessThanOrEqual(1)
    // Garbage in the young generation: a collection empties it.
    let junk: object[] | undefined = Array.from({ length: 100_000 }, (_, i) => ({ i }))
    expect(junk.length).toBe(100_000)
    junk = undefined
    const used = (): number => process.memoryUsage().heapUsed
    const before = used()
    probe.collect()
    expect(used()).toBeLessThan(before)
  })
})
