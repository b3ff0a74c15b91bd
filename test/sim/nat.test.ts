/** The NAT layer: cone and symmetric mappings and filters, expiry, private addresses. */
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../src/env/clock.js'
import { NatLayer, isPrivateHost, privateHost, publicHost } from '../../src/sim/nat.js'
import type { Address } from '../../src/transport/index.js'

const A: Address = { host: privateHost(0), port: 7759 }
const B: Address = { host: publicHost(1), port: 7759 }
const C: Address = { host: publicHost(2), port: 7759 }

function layer(kind: 'cone' | 'symmetric') {
  const clock = new ManualClock(0)
  const nat = new NatLayer(clock, 60_000)
  nat.add(kind, A, publicHost(100))
  const out = (to: Address) => nat.interceptor({ from: A, to, bytes: new Uint8Array(1) })
  const into = (from: Address, to: Address) => nat.interceptor({ from, to, bytes: new Uint8Array(1) })
  return { clock, nat, out, into }
}

describe('NatLayer', () => {
  it('addresses: private hosts in 172.16/12, public ones outside every special range', () => {
    for (let i = 0; i < 5000; i += 97) {
      expect(isPrivateHost(privateHost(i))).toBe(true)
      expect(isPrivateHost(publicHost(i))).toBe(false)
      expect(Number(publicHost(i).split('.')[0])).toBeGreaterThanOrEqual(20)
    }
    expect(new Set(Array.from({ length: 2000 }, (_, i) => publicHost(i))).size).toBe(2000)
  })

  it('cone: one public port for every destination; inbound only from endpoints the host sent to', () => {
    const { out, into, nat } = layer('cone')
    const toB = out(B)!
    const toC = out(C)!
    expect(toB.from.host).toBe(publicHost(100))
    expect(toB.from.port).toBe(toC.from.port)
    expect(into(B, toB.from)).toEqual({ from: B, to: A })
    // Same address, other port: not contacted, filtered.
    expect(into({ host: B.host, port: 1234 }, toB.from)).toBeNull()
    expect(into({ host: publicHost(3), port: 7759 }, toB.from)).toBeNull()
    expect(nat.stats.filtered).toBe(2)
  })

  it('symmetric: a new public port per destination, each admitting only its destination', () => {
    const { out, into } = layer('symmetric')
    const toB = out(B)!
    const toC = out(C)!
    expect(toB.from.port).not.toBe(toC.from.port)
    expect(out(B)!.from.port).toBe(toB.from.port)
    expect(into(B, toB.from)).toEqual({ from: B, to: A })
    expect(into(C, toB.from)).toBeNull()
    expect(into(C, toC.from)).toEqual({ from: C, to: A })
  })

  it('filter state expires after the timeout without outbound traffic', () => {
    for (const kind of ['cone', 'symmetric'] as const) {
      const { out, into, clock } = layer(kind)
      const mapped = out(B)!.from
      clock.advance(59_000)
      expect(into(B, mapped)).not.toBeNull()
      clock.advance(2_000)
      expect(into(B, mapped)).toBeNull()
    }
  })

  it('a shared NAT (carrier-grade): hosts behind one public IP get ports of their own, reach each other on their LAN, and only their own replies', () => {
    const clock = new ManualClock(0)
    const nat = new NatLayer(clock, 60_000)
    const D: Address = { host: privateHost(1), port: 7759 }
    const E: Address = { host: privateHost(2), port: 7759 }
    nat.add('cone', A, publicHost(100))
    nat.add('cone', D, publicHost(100))
    nat.add('cone', E, publicHost(101))
    const send = (from: Address, to: Address) => nat.interceptor({ from, to, bytes: new Uint8Array(1) })
    const fromA = send(A, B)!.from
    const fromD = send(D, B)!.from
    expect(fromA.host).toBe(publicHost(100))
    expect(fromD.host).toBe(publicHost(100))
    expect(fromD.port).not.toBe(fromA.port)
    // Endpoint-independent per host: D keeps its port toward another destination.
    expect(send(D, C)!.from).toEqual(fromD)
    expect(send(B, fromA)).toEqual({ from: B, to: A })
    expect(send(B, fromD)).toEqual({ from: B, to: D })
    // C was contacted by D only: C's datagram to A's mapping is filtered.
    expect(send(C, fromA)).toBeNull()
    // One LAN behind one NAT; another NAT's private address is unreachable.
    expect(send(A, D)).toEqual({ from: A, to: D })
    expect(send(A, E)).toBeNull()
    expect(nat.stats.unroutablePrivate).toBe(1)
  })

  it('drops datagrams to private addresses of other sites; public hosts pass untouched', () => {
    const { out, into, nat } = layer('cone')
    expect(out({ host: privateHost(5), port: 7759 })).toBeNull()
    expect(into(B, { host: privateHost(5), port: 7759 })).toBeNull()
    expect(nat.stats.unroutablePrivate).toBe(2)
    expect(into(B, C)).toEqual({ from: B, to: C })
  })
})
