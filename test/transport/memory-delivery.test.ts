/**
 * The in-memory network on virtual time (ManualClock + SeededRng): delivery timing,
 * ordering, re-entrancy, jitter, reorder, loss, duplication, per-link overrides.
 */
import { describe, expect, it } from 'vitest'
import type { Cancel, Clock } from '../../src/env/clock.js'
import { SeededRng } from '../../src/env/rng.js'
import { MemoryNetwork } from '../../src/transport/memory.js'
import type { Address, Transport } from '../../src/transport/types.js'
import { fmt, idOf, one, setup } from './memory-helpers.js'

describe('MemoryNetwork timing', () => {
  it('delivers exactly at send time + latency, not before', () => {
    const { clock, net, log, listen } = setup({ latencyMs: 25 })
    const a = net.bind()
    const b = listen(net.bind())
    clock.advance(100)
    a.send(b.address(), one(1))
    clock.runUntil(124.999)
    expect(log).toEqual([])
    clock.runUntil(125)
    expect(log).toEqual([{ at: 125, to: fmt(b.address()), from: fmt(a.address()), data: [1, 0] }])
    expect(net.stats()).toMatchObject({ sent: 1, delivered: 1, bytesDelivered: 2, inFlight: 0 })
  })

  it('uses a latency function of (sender, destination) and per-link latency overrides', () => {
    const { clock, net, log, listen } = setup({ latencyMs: (from, to) => (from.host === to.host ? 1 : 40) })
    const a = net.bind({ host: '10.9.9.9' })
    const same = listen(net.bind({ host: '10.9.9.9' }))
    const far = listen(net.bind())
    const slow = listen(net.bind())
    net.setLink(a.address(), slow.address(), { latencyMs: 300 })
    a.send(same.address(), one(1))
    a.send(far.address(), one(2))
    a.send(slow.address(), one(3))
    clock.advance(1000)
    expect(log.map((r) => [r.at, idOf(r.data)])).toEqual([[1, 1], [40, 2], [300, 3]])
  })

  it('never delivers inside send(), even at 0 ms latency, and never re-entrantly', () => {
    const { clock, net } = setup()
    const a = net.bind()
    const b = net.bind()
    let inSend = 0
    const trace: string[] = []
    const sendFrom = (t: Transport, to: Address, n: number) => {
      inSend++
      t.send(to, one(n))
      inSend--
    }
    a.onPacket = (_from, bytes) => {
      expect(inSend).toBe(0)
      trace.push(`a<${bytes[0]}`)
    }
    b.onPacket = (from, bytes) => {
      expect(inSend).toBe(0)
      trace.push(`b<${bytes[0]}`)
      sendFrom(b, from, bytes[0]! + 1) // reply from inside the handler
    }
    sendFrom(a, b.address(), 1)
    expect(trace).toEqual([])
    clock.advance(0)
    expect(trace).toEqual(['b<1', 'a<2'])
  })

  it('keeps send order for datagrams due at the same time', () => {
    const { clock, net, log, listen } = setup({ latencyMs: 5 })
    const a = net.bind()
    const b = listen(net.bind())
    for (let i = 0; i < 100; i++) a.send(b.address(), one(i))
    clock.advance(5)
    expect(log.map((r) => idOf(r.data))).toEqual([...Array(100).keys()])
  })

  it('delivers in (due time, send order) even on a clock that runs equal-time timers in reverse', () => {
    // A clock that breaks ties last-in-first-out: the network must not depend on tie order.
    class LifoClock implements Clock {
      t = 0
      timers: { at: number; seq: number; fn: () => void }[] = []
      seq = 0
      now(): number {
        return this.t
      }
      setTimeout(fn: () => void, ms: number): Cancel {
        this.timers.push({ at: this.t + ms, seq: this.seq++, fn })
        return () => {}
      }
      run(): void {
        for (;;) {
          this.timers.sort((x, y) => x.at - y.at || y.seq - x.seq)
          const next = this.timers.shift()
          if (next === undefined) return
          this.t = next.at
          next.fn()
        }
      }
    }
    const clock = new LifoClock()
    const net = new MemoryNetwork({ clock, rng: new SeededRng(1), latencyMs: 3 })
    const a = net.bind()
    const b = net.bind()
    const got: number[] = []
    b.onPacket = (_f, bytes) => got.push(bytes[0]!)
    for (let i = 0; i < 10; i++) a.send(b.address(), one(i))
    clock.run()
    expect(got).toEqual([...Array(10).keys()])
  })

  it('adds jitter within [latency, latency + jitter)', () => {
    const { clock, net, log, listen } = setup({ latencyMs: 10, jitterMs: 5 })
    const a = net.bind()
    const b = listen(net.bind())
    for (let i = 0; i < 1000; i++) a.send(b.address(), one(i))
    clock.advance(100)
    expect(log).toHaveLength(1000)
    expect(Math.min(...log.map((r) => r.at))).toBeGreaterThanOrEqual(10)
    expect(Math.max(...log.map((r) => r.at))).toBeLessThan(15)
    expect(new Set(log.map((r) => r.at)).size).toBeGreaterThan(900)
  })

  it('reorders a fraction of datagrams by giving them extra delay', () => {
    const { clock, net, log, listen } = setup({ latencyMs: 10, reorder: 0.2, reorderDelayMs: 50 })
    const a = net.bind()
    const b = listen(net.bind())
    for (let i = 0; i < 1000; i++) {
      a.send(b.address(), one(i))
      clock.advance(1)
    }
    clock.advance(100)
    const order = log.map((r) => idOf(r.data))
    expect(order).toHaveLength(1000)
    expect(new Set(order).size).toBe(1000)
    const inversions = order.filter((id, i) => i > 0 && id < order[i - 1]!).length
    expect(inversions).toBeGreaterThan(50)
    expect(net.stats().reordered).toBeGreaterThan(150)
    expect(net.stats().reordered).toBeLessThan(250)
  })
})

describe('MemoryNetwork loss and duplication', () => {
  it('loses datagrams at the configured rate over 10 000 sends', () => {
    const { clock, net, log, listen } = setup({ loss: 0.2 })
    const a = net.bind()
    const b = listen(net.bind())
    for (let i = 0; i < 10_000; i++) a.send(b.address(), one(i))
    clock.advance(1)
    const s = net.stats()
    // Binomial(10 000, 0.8): sd = 40; allow 4 sd.
    expect(Math.abs(log.length - 8000)).toBeLessThan(160)
    expect(s.lost + s.delivered).toBe(10_000)
    expect(a.stats().datagramsSent).toBe(10_000) // loss is the network's, not the sender's
  })

  it('duplicates datagrams at the configured rate, each copy with its own delay', () => {
    const { clock, net, log, listen } = setup({ duplication: 0.3, latencyMs: 10, jitterMs: 10 })
    const a = net.bind()
    const b = listen(net.bind())
    for (let i = 0; i < 10_000; i++) a.send(b.address(), one(i))
    clock.advance(100)
    const s = net.stats()
    expect(Math.abs(s.duplicated - 3000)).toBeLessThan(4 * 46)
    expect(log).toHaveLength(10_000 + s.duplicated)
    const times = new Map<number, number[]>()
    for (const r of log) {
      const id = idOf(r.data)
      const seen = times.get(id)
      if (seen === undefined) times.set(id, [r.at])
      else seen.push(r.at)
    }
    const twins = [...times.values()].filter((t) => t.length === 2)
    expect(twins).toHaveLength(s.duplicated)
    expect(twins.filter(([x, y]) => x !== y).length).toBeGreaterThan(s.duplicated * 0.9)
  })

  it('gives every delivery its own copy of the bytes', () => {
    const { clock, net } = setup({ duplication: 1 })
    const a = net.bind()
    const b = net.bind()
    const got: Uint8Array[] = []
    b.onPacket = (_f, bytes) => {
      got.push(bytes)
      bytes.fill(0xff)
    }
    const buf = new Uint8Array([1, 2])
    a.send(b.address(), buf)
    buf.fill(0)
    clock.advance(0)
    expect(got).toHaveLength(2)
    expect(got[0]).not.toBe(got[1])
    expect([...got[1]!]).toEqual([0xff, 0xff])
    // The second copy was untouched by the first handler and by the sender.
    const fresh: number[][] = []
    b.onPacket = (_f, bytes) => fresh.push([...bytes])
    a.send(b.address(), new Uint8Array([3]))
    clock.advance(0)
    expect(fresh).toEqual([[3], [3]])
  })

  it('applies per-link loss and blocking, in one direction only', () => {
    const { clock, net, log, listen } = setup()
    const a = listen(net.bind())
    const b = listen(net.bind())
    const c = listen(net.bind())
    net.setLink(a.address(), b.address(), { blocked: true })
    net.setLink(a.address(), c.address(), { loss: 1 })
    a.send(b.address(), one(1))
    a.send(c.address(), one(2))
    b.send(a.address(), one(3))
    clock.advance(0)
    expect(log.map((r) => idOf(r.data))).toEqual([3])
    expect(net.stats()).toMatchObject({ blocked: 1, lost: 1, delivered: 1 })
    net.setLink(a.address(), b.address(), null)
    a.send(b.address(), one(4))
    clock.advance(0)
    expect(log.map((r) => idOf(r.data))).toEqual([3, 4])
  })
})

