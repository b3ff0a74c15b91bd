/**
 * The UDP transport over real loopback sockets (the "loopback UDP" test tier, STYLE 22):
 * 127.0.0.1:0 always, ::1 when the machine can bind it. Waits on events, never on time.
 */
import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { isBloomwalkError } from '../../src/errors.js'
import { createUdpTransport } from '../../src/transport/udp.js'
import { DEFAULT_MAX_DATAGRAM } from '../../src/transport/types.js'
import { canBind, inbox, payload, udp } from './helpers.js'

const ipv6 = await canBind('::1')
const IPV6_SKIP = '::1 cannot be bound on this machine (no IPv6 loopback); IPv6 transport not tested'
const LOOPBACK = '127.0.0.1'

describe('createUdpTransport over 127.0.0.1', { timeout: 10_000 }, () => {
  it('binds an ephemeral port and two transports exchange datagrams both ways', async () => {
    const a = await udp({ host: LOOPBACK })
    const b = await udp({ host: LOOPBACK })
    expect(a.address().host).toBe(LOOPBACK)
    expect(a.address().port).toBeGreaterThan(0)
    expect(a.address().port).not.toBe(b.address().port)
    const inA = inbox(a)
    const inB = inbox(b)

    a.send(b.address(), new Uint8Array([1, 2, 3]))
    const got = await inB.next()
    expect(got.from).toEqual(a.address())
    expect(got.bytes).toEqual(new Uint8Array([1, 2, 3]))
    expect(got.bytes.constructor).toBe(Uint8Array)

    b.send(got.from, new Uint8Array([4]))
    expect((await inA.next()).bytes).toEqual(new Uint8Array([4]))

    expect(a.stats()).toMatchObject({ datagramsSent: 1, bytesSent: 3, datagramsReceived: 1, bytesReceived: 1, sendErrors: 0, dropped: 0 })
    expect(b.stats()).toMatchObject({ datagramsReceived: 1, bytesReceived: 3 })
  })

  it('passes a 1 472-byte datagram intact and drops a 1 473-byte one, counting it', async () => {
    const a = await udp({ host: LOOPBACK })
    const b = await udp({ host: LOOPBACK })
    const inB = inbox(b)
    const big = payload(DEFAULT_MAX_DATAGRAM + 1, 0xee)
    const max = payload(DEFAULT_MAX_DATAGRAM, 0x01)

    a.send(b.address(), big)
    expect(a.stats().drops.oversize).toBe(1)
    a.send(b.address(), max)
    const got = await inB.next()
    expect(got.bytes.byteLength).toBe(1472)
    expect(got.bytes).toEqual(max)

    // The marker after the oversize one is the first thing that arrived: nothing else got out.
    a.send(b.address(), new Uint8Array([0x02]))
    expect((await inB.next()).bytes).toEqual(new Uint8Array([0x02]))
    expect(a.stats()).toMatchObject({ dropped: 1, drops: { oversize: 1 } })
    expect(b.stats().datagramsReceived).toBe(2)
  })

  it('honours a smaller maxDatagram', async () => {
    const a = await udp({ host: LOOPBACK, maxDatagram: 576 })
    const b = await udp({ host: LOOPBACK })
    const inB = inbox(b)
    a.send(b.address(), payload(577))
    a.send(b.address(), payload(576, 9))
    expect((await inB.next()).bytes.byteLength).toBe(576)
    expect(a.stats().drops.oversize).toBe(1)
  })

  it('copies the datagram at send time, so the caller may reuse its buffer', async () => {
    const a = await udp({ host: LOOPBACK })
    const b = await udp({ host: LOOPBACK })
    const inB = inbox(b)
    const buf = new Uint8Array([7, 7, 7])
    a.send(b.address(), buf)
    buf.fill(0)
    expect((await inB.next()).bytes).toEqual(new Uint8Array([7, 7, 7]))
  })

  it('close() is idempotent (one promise) and send() after close is a counted no-op', async () => {
    const a = await createUdpTransport({ host: LOOPBACK })
    const first = a.close()
    const second = a.close()
    expect(second).toBe(first)
    await first
    expect(a.close()).toBe(first)
    expect(() => a.send({ host: LOOPBACK, port: 9 }, new Uint8Array(1))).not.toThrow()
    expect(a.stats()).toMatchObject({ datagramsSent: 0, dropped: 1, drops: { closed: 1 } })
  })

  it('drops, without DNS, a destination that is not an IP literal and a port', async () => {
    const a = await udp({ host: LOOPBACK })
    a.send({ host: 'localhost', port: 9 }, new Uint8Array(1))
    a.send({ host: LOOPBACK, port: 0 }, new Uint8Array(1))
    a.send({ host: LOOPBACK, port: 70000 }, new Uint8Array(1))
    expect(a.stats().drops.invalidAddress).toBe(3)
  })

  it('counts an operating-system send error instead of throwing (IPv6 destination on udp4)', async () => {
    const a = await udp({ host: LOOPBACK })
    const b = await udp({ host: LOOPBACK })
    const inB = inbox(b)
    a.send({ host: '::1', port: 9 }, new Uint8Array(1)) // EINVAL from the kernel
    a.send(b.address(), new Uint8Array([5]))
    await inB.next()
    // The failed send completed before the later datagram could be read.
    expect(a.stats()).toMatchObject({ sendErrors: 1, datagramsSent: 1 })
  })

  it('catches and counts an exception thrown by onPacket', async () => {
    const a = await udp({ host: LOOPBACK })
    const b = await udp({ host: LOOPBACK })
    let calls = 0
    b.onPacket = () => {
      calls++
      if (calls === 1) throw new Error('handler bug')
    }
    const done = new Promise<void>((resolve) => {
      const inner = b.onPacket!
      b.onPacket = (from, bytes) => {
        try {
          inner(from, bytes)
        } finally {
          if (calls === 2) resolve()
        }
      }
    })
    a.send(b.address(), new Uint8Array([1]))
    a.send(b.address(), new Uint8Array([2]))
    await done
    expect(b.stats()).toMatchObject({ datagramsReceived: 2, handlerErrors: 1 })
  })

  it('rejects a second bind of the same port with the operating system error', async () => {
    const a = await udp({ host: LOOPBACK })
    await expect(createUdpTransport({ host: LOOPBACK, port: a.address().port })).rejects.toMatchObject({ code: 'EADDRINUSE' })
  })

  it('rejects malformed options with INVALID_ARGUMENT', async () => {
    for (const options of [{ host: 'localhost' }, { host: '::1', type: 'udp4' as const }, { port: -1 }, { port: 65536 }, { maxDatagram: 0 }, { maxDatagram: 70000 }, { receiveBufferBytes: 0 }, { receiveBufferBytes: 1.5 }, { receiveBufferBytes: 2 ** 31 }]) {
      await expect(createUdpTransport(options)).rejects.toSatisfy((err: unknown) => isBloomwalkError(err, 'INVALID_ARGUMENT'))
    }
  })

  it('receiveBufferBytes: a larger receive buffer up to the kernel cap (rmem_max), above it the cap, reported as the kernel grants it', async (ctx) => {
    const sysctl = async (name: string): Promise<number | undefined> => {
      const text = await readFile(`/proc/sys/net/core/${name}`, 'utf8').catch(() => undefined)
      return text === undefined ? undefined : Number(text.trim())
    }
    const rmemDefault = await sysctl('rmem_default')
    const rmemMax = await sysctl('rmem_max')
    if (rmemDefault === undefined || rmemMax === undefined) return ctx.skip('no /proc/sys/net/core/rmem_{default,max} (not Linux): the granted sizes are not known here')
    // Untouched, Linux reports rmem_default; asked, it grants min(asked, rmem_max) and reports
    // twice that (its bookkeeping counts too).
    const plain = await udp({ host: LOOPBACK })
    expect(plain.receiveBufferBytes()).toBe(rmemDefault)
    const asked = Math.min(rmemMax, 4 * 1024 * 1024)
    const larger = await udp({ host: LOOPBACK, receiveBufferBytes: asked })
    expect(larger.receiveBufferBytes()).toBe(2 * asked)
    // Above the cap: no error, the cap.
    const capped = await udp({ host: LOOPBACK, receiveBufferBytes: Math.min(2 ** 31 - 1, rmemMax * 4) })
    expect(capped.receiveBufferBytes()).toBe(2 * rmemMax)
    // It still carries datagrams.
    const got = inbox(larger)
    plain.send(larger.address(), payload(100))
    expect((await got.next()).bytes.length).toBe(100)
  })

  it('an aborted signal rejects before binding; aborting later closes the transport', async () => {
    const pre = new AbortController()
    pre.abort()
    await expect(createUdpTransport({ host: LOOPBACK, signal: pre.signal })).rejects.toSatisfy((err: unknown) => isBloomwalkError(err, 'ABORTED'))

    const later = new AbortController()
    const a = await udp({ host: LOOPBACK, signal: later.signal })
    later.abort()
    await a.close()
    a.send({ host: LOOPBACK, port: 9 }, new Uint8Array(1))
    expect(a.stats().drops.closed).toBe(1)
  })
})

describe('createUdpTransport over IPv6', { timeout: 10_000 }, () => {
  it('two transports on ::1 exchange datagrams', async (ctx) => {
    ctx.skip(!ipv6, IPV6_SKIP)
    const a = await udp({ host: '::1' })
    const b = await udp({ host: '::1' })
    expect(a.address().host).toBe('::1')
    const inB = inbox(b)
    const inA = inbox(a)
    a.send(b.address(), payload(1472, 3))
    const got = await inB.next()
    expect(got.from).toEqual(a.address())
    expect(got.bytes).toEqual(payload(1472, 3))
    b.send(got.from, new Uint8Array([1]))
    expect((await inA.next()).from).toEqual(b.address())
  })

  it('a dual-stack udp6 socket reports IPv4 senders as plain IPv4 and reaches them at that address', async (ctx) => {
    ctx.skip(!ipv6, IPV6_SKIP)
    const v6 = await udp({ type: 'udp6' }) // bound to '::', dual stack
    expect(v6.address().host).toBe('::')
    const v4 = await udp({ host: LOOPBACK })
    const in6 = inbox(v6)
    const in4 = inbox(v4)
    v4.send({ host: LOOPBACK, port: v6.address().port }, new Uint8Array([4]))
    const got = await in6.next()
    expect(got.from).toEqual(v4.address()) // not ::ffff:127.0.0.1
    v6.send(got.from, new Uint8Array([6]))
    const back = await in4.next()
    expect(back.bytes).toEqual(new Uint8Array([6]))
    expect(back.from.port).toBe(v6.address().port)
    expect(v6.stats().sendErrors).toBe(0)
  })

  it('a udp4 socket sends to an IPv4-mapped destination at the IPv4 address behind it', async () => {
    const a = await udp({ host: LOOPBACK })
    const b = await udp({ host: LOOPBACK })
    const inB = inbox(b)
    a.send({ host: `::ffff:${LOOPBACK}`, port: b.address().port }, new Uint8Array([1]))
    expect((await inB.next()).from).toEqual(a.address())
  })
})
