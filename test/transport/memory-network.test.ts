/**
 * The in-memory network's bookkeeping: online state, binding and closing, unroutable and
 * strict mode, option checks, the interceptor hook, multicast topics, determinism.
 */
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../src/env/clock.js'
import { SeededRng } from '../../src/env/rng.js'
import { isBloomwalkError } from '../../src/errors.js'
import { MemoryNetwork } from '../../src/transport/memory.js'
import type { MemoryNetworkOptions } from '../../src/transport/memory-options.js'
import { isMulticastTransport } from '../../src/transport/types.js'
import { type Arrival, fmt, idOf, one, setup } from './memory-helpers.js'

describe('MemoryNetwork online state, binding and closing', () => {
  it('drops datagrams to and from an offline address, counted on each side', () => {
    const { clock, net, log, listen } = setup({ latencyMs: 10 })
    const a = listen(net.bind())
    const b = listen(net.bind())
    net.setOnline(b.address(), false)
    expect(net.isOnline(b.address())).toBe(false)
    a.send(b.address(), one(1))
    b.send(a.address(), one(2))
    clock.advance(20)
    expect(log).toEqual([])
    expect(net.stats().offline).toBe(1)
    expect(b.stats()).toMatchObject({ datagramsSent: 0, drops: { offline: 1 } })

    // In flight when the receiver goes offline: dropped at delivery time.
    net.setOnline(b.address(), true)
    a.send(b.address(), one(3))
    clock.advance(5)
    net.setOnline(b.address(), false)
    clock.advance(5)
    expect(log).toEqual([])
    expect(net.stats().offline).toBe(2)

    net.setOnline(b.address(), true)
    a.send(b.address(), one(4))
    clock.advance(10)
    expect(log.map((r) => idOf(r.data))).toEqual([4])
  })

  it('close() unbinds: idempotent, later sends are counted no-ops, in-flight and later datagrams are unroutable, the address can be rebound', async () => {
    const { clock, net, log, listen } = setup({ latencyMs: 10 })
    const a = net.bind()
    const b = listen(net.bind())
    const addr = b.address()
    a.send(addr, one(1))
    const closing = b.close()
    expect(b.close()).toBe(closing)
    await closing
    expect(net.isBound(addr)).toBe(false)
    b.send(a.address(), one(2))
    expect(b.stats().drops.closed).toBe(1)
    a.send(addr, one(3))
    clock.advance(10)
    expect(log).toEqual([])
    expect(net.stats().unroutable).toBe(2)

    const b2 = listen(net.bind(addr))
    a.send(addr, one(4))
    clock.advance(10)
    expect(log.map((r) => [r.to, idOf(r.data)])).toEqual([[fmt(b2.address()), 4]])
  })

  it('counts sends to unbound addresses as unroutable, and throws on them in strict mode', () => {
    const { net } = setup()
    const a = net.bind()
    a.send({ host: '192.0.2.1', port: 1 }, one(1))
    expect(net.stats().unroutable).toBe(1)
    expect(a.stats().datagramsSent).toBe(1)

    const strict = setup({ strict: true })
    const s = strict.net.bind()
    expect(() => s.send({ host: '192.0.2.1', port: 1 }, one(1))).toThrow(/unbound/)
    expect(strict.net.stats().unroutable).toBe(1)
  })

  it('drops oversize datagrams at the sender and passes maxDatagram-sized ones', () => {
    const { clock, net, log, listen } = setup()
    const a = net.bind()
    const b = listen(net.bind())
    a.send(b.address(), new Uint8Array(1473))
    a.send(b.address(), new Uint8Array(1472))
    clock.advance(0)
    expect(log.map((r) => r.data.length)).toEqual([1472])
    expect(a.stats()).toMatchObject({ datagramsSent: 1, bytesSent: 1472, dropped: 1, drops: { oversize: 1 } })
    expect(net.stats().sent).toBe(1)
  })

  it('auto-assigns distinct hosts spread over /16s and /24s, and ephemeral ports', () => {
    const { net } = setup()
    const hosts = Array.from({ length: 600 }, () => net.bind().address())
    expect(new Set(hosts.map(fmt)).size).toBe(600)
    expect(hosts[0]).toEqual({ host: '10.1.0.1', port: 49152 })
    expect(new Set(hosts.slice(0, 254).map((a) => a.host.split('.').slice(0, 2).join('.'))).size).toBe(254)
    expect(new Set(hosts.map((a) => a.host.split('.').slice(0, 3).join('.'))).size).toBe(600)
    const h = net.bind({ host: '192.0.2.7' })
    const h2 = net.bind({ host: '192.0.2.7' })
    expect([h.address().port, h2.address().port]).toEqual([49152, 49153])
    expect(net.bind({ port: 4000 }).address().port).toBe(4000)
  })

  it('canonicalises hosts and rejects taken or malformed addresses with INVALID_ARGUMENT', () => {
    const { net } = setup()
    expect(net.bind({ host: '0:0:0:0:0:0:0:1', port: 7 }).address()).toEqual({ host: '::1', port: 7 })
    expect(net.bind({ host: '::FFFF:192.0.2.1', port: 7 }).address()).toEqual({ host: '192.0.2.1', port: 7 })
    const bad = [{ host: '::1', port: 7 }, { host: 'example.com' }, { host: '0.0.0.0' }, { host: '::' }, { port: 65536 }, { port: 1.5 }]
    for (const address of bad) {
      expect(() => net.bind(address)).toThrow(expect.toSatisfy((err: unknown) => isBloomwalkError(err, 'INVALID_ARGUMENT')))
    }
  })

  it('refuses to send to a malformed address, counting it at the sender', () => {
    const { net } = setup()
    const a = net.bind()
    a.send({ host: 'example.com', port: 1 }, one(1))
    a.send({ host: '10.0.0.1', port: 0 }, one(1))
    expect(a.stats().drops.invalidAddress).toBe(2)
    expect(net.stats().sent).toBe(0)
  })

  it('counts datagrams that arrive while onPacket is null', () => {
    const { clock, net } = setup()
    const a = net.bind()
    const b = net.bind()
    a.send(b.address(), one(1))
    clock.advance(0)
    expect(b.stats()).toMatchObject({ datagramsReceived: 0, drops: { noHandler: 1 } })
  })

  it('counts handler exceptions, or lets them surface in strict mode', () => {
    for (const strict of [false, true]) {
      const { clock, net } = setup({ strict })
      const a = net.bind()
      const b = net.bind()
      b.onPacket = () => {
        throw new Error('handler bug')
      }
      a.send(b.address(), one(1))
      if (strict) expect(() => clock.advance(0)).toThrow('handler bug')
      else clock.advance(0)
      expect(b.stats().handlerErrors).toBe(1)
    }
  })

  it('keeps networks independent: no module state', () => {
    const x = setup()
    const y = setup()
    const ax = x.net.bind({ host: '10.0.0.1', port: 1 })
    const ay = y.net.bind({ host: '10.0.0.1', port: 1 })
    const bx = x.listen(x.net.bind({ host: '10.0.0.2', port: 1 }))
    ax.send(bx.address(), one(1))
    ay.send(bx.address(), one(2))
    x.clock.advance(0)
    y.clock.advance(0)
    expect(x.log.map((r) => idOf(r.data))).toEqual([1])
    expect(y.net.stats().unroutable).toBe(1)
  })

  it('rejects out-of-range options', () => {
    const clock = new ManualClock()
    const rng = new SeededRng(1)
    const bad: Partial<MemoryNetworkOptions>[] = [{ loss: 1.5 }, { duplication: -0.1 }, { reorder: Number.NaN }, { latencyMs: -1 }, { jitterMs: Infinity }, { maxDatagram: 0 }]
    for (const options of bad) {
      expect(() => new MemoryNetwork({ clock, rng, ...options })).toThrow(expect.toSatisfy((err: unknown) => isBloomwalkError(err, 'INVALID_ARGUMENT')))
    }
    const net = new MemoryNetwork({ clock, rng })
    expect(() => net.setLink({ host: '10.0.0.1', port: 1 }, { host: '10.0.0.2', port: 1 }, { loss: 2 })).toThrow(/probability/)
  })
})

describe('MemoryNetwork interceptor', () => {
  it('rewrites addresses at send time (a NAT mapping) and denies with null', () => {
    const { clock, net, log, listen } = setup()
    const inside = listen(net.bind({ host: '192.168.1.10', port: 5000 }))
    const outside = listen(net.bind({ host: '203.0.113.5', port: 6000 }))
    const publicAddr = { host: '198.51.100.1', port: 40000 }
    const seen: string[] = []
    net.interceptor = ({ from, to }) => {
      seen.push(`${fmt(from)}>${fmt(to)}`)
      if (from.host === '192.168.1.10') return { from: publicAddr, to } // outbound: source NAT
      if (fmt(to) === fmt(publicAddr)) return fmt(from) === fmt(outside.address()) ? { from, to: inside.address() } : null // inbound: only the contacted peer
      return { from, to }
    }
    const stranger = net.bind({ host: '203.0.113.9', port: 1 })
    inside.send(outside.address(), one(1))
    outside.send(publicAddr, one(2))
    stranger.send(publicAddr, one(3))
    clock.advance(0)
    expect(log.map((r) => [r.to, r.from, idOf(r.data)])).toEqual([
      ['203.0.113.5:6000', '198.51.100.1:40000', 1],
      ['192.168.1.10:5000', '203.0.113.5:6000', 2]
    ])
    expect(seen).toHaveLength(3)
    expect(net.stats()).toMatchObject({ sent: 3, delivered: 2, denied: 1, unroutable: 0 })
  })
})

describe('MemoryNetwork multicast', () => {
  it('one publish reaches every online subscriber except the sender, each with its own delay', () => {
    const { clock, net, log, listen } = setup({ latencyMs: 10, jitterMs: 10 })
    const [p, s1, s2, s3, other] = Array.from({ length: 5 }, () => net.bind())
    for (const t of [p!, s1!, s2!, s3!, other!]) listen(t)
    expect(isMulticastTransport(p!)).toBe(true)
    for (const t of [p!, s1!, s2!, s3!]) t.subscribe('room')
    s1!.subscribe('room') // twice is harmless
    net.setOnline(s3!.address(), false)
    p!.publish('room', one(7))
    clock.advance(100)
    expect(log.map((r) => r.to).sort()).toEqual([fmt(s1!.address()), fmt(s2!.address())].sort())
    expect(log.every((r) => r.from === fmt(p!.address()))).toBe(true)
    expect(log[0]!.at).not.toBe(log[1]!.at)
    expect(p!.stats()).toMatchObject({ datagramsSent: 1, bytesSent: 2 })
    expect(net.stats()).toMatchObject({ published: 1, sent: 2, delivered: 2 })

    s2!.unsubscribe('room')
    void s1!.close()
    p!.publish('room', one(8))
    clock.advance(100)
    expect(log).toHaveLength(2)
  })

  it('draws loss per subscriber', () => {
    const { clock, net, log, listen } = setup({ loss: 0.5 })
    const p = net.bind()
    for (let i = 0; i < 2000; i++) listen(net.bind()).subscribe('t')
    p.publish('t', one(1))
    clock.advance(0)
    expect(Math.abs(log.length - 1000)).toBeLessThan(4 * 23)
  })
})

describe('MemoryNetwork determinism', () => {
  function scenario(seed: number): { log: Arrival[]; stats: unknown } {
    const { clock, net, log, listen } = setup({ latencyMs: (f, t) => (f.port + t.port) % 17, jitterMs: 7, loss: 0.1, duplication: 0.05, reorder: 0.1 }, seed)
    const nodes = Array.from({ length: 8 }, () => listen(net.bind()))
    for (const n of nodes.slice(0, 4)) n.subscribe('t')
    const pick = new SeededRng(99) // the traffic itself is fixed; only the network's seed varies
    for (let step = 0; step < 500; step++) {
      const from = nodes[pick.u32() % 8]!
      if (step % 50 === 0) from.publish('t', one(step))
      else from.send(nodes[pick.u32() % 8]!.address(), one(step))
      clock.advance(pick.u32() % 5)
    }
    clock.advance(1000)
    const s = net.stats()
    expect(s.sent + s.duplicated).toBe(s.delivered + s.lost + s.blocked + s.denied + s.unroutable + s.offline + s.inFlight)
    return { log, stats: s }
  }

  it('the same seed gives the same deliveries at the same times; another seed does not', () => {
    const first = scenario(42)
    expect(first.log.length).toBeGreaterThan(400)
    expect(scenario(42)).toEqual(first)
    expect(scenario(43).log).not.toEqual(first.log)
  })
})
