/** E8: payload byte budget, list caps, exact sizes, and splitting across epochs. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DEFAULT_MAX_PAYLOAD_BYTES, MvdsNode, PayloadBuilder, mvdsPayloadSize } from '../../src/mvds/index.js'
import { MAX_REFUSALS_PER_PAYLOAD } from '../../src/mvds/tick.js'
import { encodePacket } from '../../src/wire/codec.js'
import { DEFAULT_DECODE_LIMITS } from '../../src/wire/limits.js'
import { decodeMvdsPayload, encodeMvdsPayload, type MvdsPayload } from '../../src/wire/mvds.js'
import { GROUP, pair, payload, text } from './helpers.js'

const id = fc.uint8Array({ minLength: 32, maxLength: 32 })
const message = fc.record({
  groupId: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  timestamp: fc.maxSafeInteger().chain((t) => fc.constantFrom(t, -t, 0)),
  body: fc.uint8Array({ maxLength: 300 })
})
const arbPayload: fc.Arbitrary<MvdsPayload> = fc.record({
  acks: fc.array(id, { maxLength: 5 }),
  offers: fc.array(id, { maxLength: 5 }),
  requests: fc.array(id, { maxLength: 5 }),
  messages: fc.array(message, { maxLength: 5 })
})

describe('mvds payload budget', () => {
  it('mvdsPayloadSize equals encodeMvdsPayload length; the builder tracks it exactly and never exceeds the budget', () => {
    fc.assert(
      fc.property(arbPayload, fc.integer({ min: 36, max: 1500 }), (p, budget) => {
        expect(mvdsPayloadSize(p)).toBe(encodeMvdsPayload(p).length)
        const b = new PayloadBuilder(budget, 3, 3)
        for (const a of p.acks) b.addId('acks', a)
        for (const m of p.messages) b.addMessage(m)
        for (const o of p.offers) b.addId('offers', o)
        for (const r of p.requests) b.addId('requests', r)
        const built = b.payload()
        expect(encodeMvdsPayload(built).length).toBe(b.size)
        expect(b.size).toBeLessThanOrEqual(budget)
        for (const list of [built.acks, built.offers, built.requests, built.messages]) expect(list.length).toBeLessThanOrEqual(3)
      })
    )
  })

  it('the default budget keeps an enveloped payload within a 1200-byte datagram', () => {
    const [a] = pair('batch')
    for (let i = 0; i < 20; i++) a.send(GROUP, new Uint8Array(100).fill(i))
    const p = a.tick(0)[0]!.payload
    const bytes = encodeMvdsPayload(p).length
    expect(bytes).toBeLessThanOrEqual(DEFAULT_MAX_PAYLOAD_BYTES)
    expect(bytes).toBeGreaterThan(DEFAULT_MAX_PAYLOAD_BYTES - 140) // filled, not stopped early
    expect(encodePacket(new Uint8Array(32), { type: 'mvds', payload: p }).length).toBeLessThanOrEqual(1200)
  })

  it('E8: due records beyond the budget are deferred to later epochs, oldest first, and all get through', () => {
    const [a, b] = pair('batch', { maxPayloadBytes: 300 })
    const ids = Array.from({ length: 10 }, (_, i) => a.send(GROUP, new Uint8Array(100).fill(i), i))
    const perEpoch: number[] = []
    const order: number[] = []
    for (let e = 0; e < 5; e++) {
      const out = a.tick(e)
      expect(out.length).toBe(1)
      const p = out[0]!.payload
      expect(encodeMvdsPayload(p).length).toBeLessThanOrEqual(300)
      perEpoch.push(p.messages.length)
      order.push(...p.messages.map((m) => m.timestamp))
      b.receive('a', p, e)
      for (const back of b.tick(e)) a.receive('b', back.payload, e)
    }
    expect(perEpoch).toEqual([2, 2, 2, 2, 2]) // 104-byte entries, 300-byte budget
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect(a.stats()).toMatchObject({ deferred: 8 + 6 + 4 + 2, retransmissions: 0 })
    expect(b.stats().delivered).toBe(ids.length)
    expect(a.records('b')).toEqual([])
  })

  it('E8: a full payload stops the scan after MAX_REFUSALS_PER_PAYLOAD refusals; the rest stay due and all get through in order', () => {
    const [a, b] = pair('batch', { maxPayloadBytes: 300 })
    const ids = Array.from({ length: 200 }, (_, i) => a.send(GROUP, new Uint8Array(100).fill(i), i))
    const order: number[] = []
    let epochs = 0
    for (let e = 0; e < 200 && b.stats().delivered < ids.length; e++, epochs++) {
      const before = a.stats().deferred
      for (const out of a.tick(e)) {
        order.push(...out.payload.messages.map((m) => m.timestamp))
        b.receive('a', out.payload, e)
      }
      expect(a.stats().deferred - before).toBeLessThanOrEqual(MAX_REFUSALS_PER_PAYLOAD)
      for (const back of b.tick(e)) a.receive('b', back.payload, e)
    }
    expect(epochs).toBe(100) // two 104-byte entries per 300-byte payload
    expect(order).toEqual(Array.from({ length: 200 }, (_, i) => i))
    expect(b.stats().delivered).toBe(ids.length)
    expect(a.records('b')).toEqual([])
  })

  it('E8: at most maxIdsPerList ids per list and maxMessagesPerPayload messages, so the peer can decode it', () => {
    const [a] = pair('interactive')
    const [, b] = pair('batch')
    for (let i = 0; i < 100; i++) a.send(GROUP, text(`m${i}`))
    const p = a.tick(0)[0]!.payload
    expect(p.offers.length).toBe(DEFAULT_DECODE_LIMITS.maxIdsPerRequest)
    expect(decodeMvdsPayload(encodeMvdsPayload(p))).not.toBeNull()
    for (let i = 0; i < 100; i++) b.receive('a', payload({ messages: [{ groupId: GROUP, timestamp: i, body: new Uint8Array(0) }] }), 0)
    const acks = b.tick(0)[0]!.payload.acks
    expect(acks.length).toBe(32)
    const small = new MvdsNode({ id: 's', mode: 'batch', maxMessagesPerPayload: 2 })
    small.share(GROUP, 'x')
    for (let i = 0; i < 5; i++) small.send(GROUP, text(`${i}`))
    expect(small.tick(0)[0]!.payload.messages.length).toBe(2)
  })

  it('E8: a message larger than the budget alone is refused by send, and dropped if it was stored by other means', () => {
    const [a] = pair('batch', { maxPayloadBytes: 200 })
    expect(() => a.send(GROUP, new Uint8Array(200))).toThrow(/maxPayloadBytes/)
    const big = { groupId: GROUP, timestamp: 1, body: new Uint8Array(500) }
    const [, relay] = pair('batch', { maxPayloadBytes: 200 })
    relay.share(GROUP, 'c')
    relay.receive('a', payload({ messages: [big] }), 0) // accepted from the wire, relayed to c…
    expect(relay.records('c').length).toBe(1)
    const out = relay.tick(0)
    expect(out.find((o) => o.peer === 'c')).toBeUndefined() // …but it can never fit
    expect(relay.records('c')).toEqual([])
    expect(relay.stats().dropped).toBe(1)
  })
})
