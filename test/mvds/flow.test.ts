/** State, flow and retransmission rules common to both modes (numbering of docs/mvds.md). */
import { describe, expect, it } from 'vitest'
import { MvdsNode } from '../../src/mvds/index.js'
import { mvdsMessageId } from '../../src/wire/mvds.js'
import { Channel, GROUP, OTHER_GROUP, hex, pair, payload, text } from './helpers.js'

const only = <T>(list: readonly T[]): T => {
  expect(list.length).toBe(1)
  return list[0]!
}
const msg = (s: string, timestamp = 1) => ({ groupId: GROUP, timestamp, body: text(s) })
const idOf = (m: ReturnType<typeof msg>) => mvdsMessageId(m.groupId, m.timestamp, m.body)

describe('mvds state, flow and retransmission', () => {
  it('S1: each OFFER / REQUEST / MESSAGE record keeps its type, send count and next send epoch per peer', () => {
    const a = new MvdsNode({ id: 'a', mode: 'interactive', epoch: 10 })
    a.share(GROUP, 'b')
    a.share(GROUP, 'c')
    const offered = a.send(GROUP, text('o'))
    const requested = idOf(msg('r'))
    a.receive('b', payload({ offers: [requested] }), 10)
    a.tick(10)
    expect(a.records('b')).toEqual([
      { type: 'offer', id: offered, group: hex(GROUP), sendCount: 1, sendEpoch: 12 },
      { type: 'request', id: requested, group: undefined, sendCount: 1, sendEpoch: 12 }
    ])
    // Per peer: c's record of the same message has its own count.
    a.receive('c', payload({ requests: [offered] }), 11)
    expect(a.records('c')).toEqual([{ type: 'message', id: offered, group: hex(GROUP), sendCount: 0, sendEpoch: 11 }])
  })

  it('S2/R4: ACKs are never stored nor retransmitted; one is queued for every received MESSAGE, a duplicate too', () => {
    const [, b] = pair('batch')
    const m = msg('x')
    b.receive('a', payload({ messages: [m] }), 0)
    expect(b.records('a')).toEqual([])
    expect(b.pendingAcks('a')).toBe(1)
    expect(only(b.tick(0)).payload).toEqual(payload({ acks: [idOf(m)] }))
    expect(b.pendingAcks('a')).toBe(0)
    for (let e = 1; e < 100; e++) expect(b.tick(e)).toEqual([]) // never again on its own
    b.receive('a', payload({ messages: [m] }), 100) // a duplicate: ACK again
    expect(only(b.tick(100)).payload).toEqual(payload({ acks: [idOf(m)] }))
    expect(b.stats().sent.acks).toBe(2)
  })

  it('F1: at most one payload per peer per epoch', () => {
    const [a, b] = pair('batch')
    a.send(GROUP, text('1'))
    expect(a.tick(0).length).toBe(1)
    // New records and ACKs arriving after the epoch's payload wait for the next epoch.
    a.send(GROUP, text('2'))
    a.receive('b', payload({ messages: [msg('m')] }), 0)
    expect(a.tick(0)).toEqual([])
    const next = only(a.tick(1)).payload
    expect(next.messages.length).toBe(1)
    expect(next.acks.length).toBe(1)
    // Time going backwards sends nothing either.
    expect(a.tick(0)).toEqual([])
    expect(b.tick(0).length).toBe(0)
  })

  it('F2: one payload carries every due ACK, OFFER, REQUEST and MESSAGE record for the peer', () => {
    const a = new MvdsNode({ id: 'a', mode: 'interactive' })
    a.share(GROUP, 'b')
    const offered = a.send(GROUP, text('offered'))
    const asked = a.send(GROUP, text('asked'), 3)
    a.receive('b', payload({ requests: [asked], offers: [idOf(msg('theirs'))], messages: [msg('pushed')] }), 0)
    const p = only(a.tick(0)).payload
    expect(p.acks).toEqual([idOf(msg('pushed'))])
    expect(p.offers).toEqual([offered])
    expect(p.requests).toEqual([idOf(msg('theirs'))])
    expect(p.messages).toEqual([{ groupId: GROUP, timestamp: 3, body: text('asked') }])
  })

  it('F3: reactions to records received in an epoch go out in that epoch\'s payload (or the next if it was sent)', () => {
    const [, b] = pair('interactive')
    const id = idOf(msg('x'))
    b.receive('a', payload({ offers: [id] }), 5)
    expect(only(b.tick(5)).payload.requests).toEqual([id])
  })

  it('F4: a batch node and an interactive node interoperate (every node handles every record type)', () => {
    const a = new MvdsNode({ id: 'a', mode: 'batch' })
    const b = new MvdsNode({ id: 'b', mode: 'interactive' })
    a.share(GROUP, 'b')
    b.share(GROUP, 'a')
    const ch = new Channel(1).add(a, b)
    const x = hex(a.send(GROUP, text('from batch')))
    const y = hex(b.send(GROUP, text('from interactive')))
    ch.runUntil(() => ch.deliveredIds('b').has(x) && ch.deliveredIds('a').has(y), 20)
    expect(ch.deliveredIds('b').has(x) && ch.deliveredIds('a').has(y)).toBe(true)
    ch.runUntil(() => false, 10)
    expect([...a.records('b'), ...b.records('a')]).toEqual([])
  })

  it('R1/R2: a record is sent exactly when its send epoch is reached, and each send increases count and epoch', () => {
    const [a] = pair('batch', { backoff: (n) => 3 * n })
    a.send(GROUP, text('x'))
    const seen: { e: number; count: number; next: number }[] = []
    for (let e = 0; e < 30; e++) {
      if (a.tick(e).length === 0) continue
      const r = a.records('b')[0]!
      seen.push({ e, count: r.sendCount, next: r.sendEpoch })
    }
    expect(seen).toEqual([
      { e: 0, count: 1, next: 3 },
      { e: 3, count: 2, next: 9 },
      { e: 9, count: 3, next: 18 },
      { e: 18, count: 4, next: 30 }
    ])
  })

  it('M1: the message id is SHA-256("MESSAGE_ID" || group || LE64 timestamp || body), as the wire', () => {
    const a = new MvdsNode({ id: 'a', mode: 'batch' })
    expect(a.send(GROUP, text('x'), -5)).toEqual(mvdsMessageId(GROUP, -5, text('x')))
    expect(a.send(GROUP, text('x'), -5)).toEqual(mvdsMessageId(GROUP, -5, text('x'))) // idempotent
    expect(() => a.send(new Uint8Array(31), text('x'))).toThrow(/groupId/)
    expect(() => a.send(GROUP, text('x'), 2 ** 53)).toThrow(/timestamp/)
  })

  it('E5: payloads from a peer sharing no group, or from ourselves, are ignored and create no state', () => {
    const [a] = pair('batch')
    const id = a.send(GROUP, text('x'))
    for (const from of ['stranger', 'a']) {
      a.receive(from, payload({ acks: [id], offers: [idOf(msg('o'))], requests: [id], messages: [msg('m')] }), 0)
    }
    expect(a.peers()).toEqual(['b'])
    expect(a.stats().ignored).toBe(8)
    expect(a.stats().delivered).toBe(0)
    // Malformed records from a known peer are skipped and counted, never thrown.
    const bad = { acks: [new Uint8Array(3)], offers: [null], requests: [], messages: [{ groupId: GROUP, timestamp: 0.5, body: text('') }] }
    expect(() => a.receive('b', bad as never, 0)).not.toThrow()
    expect(a.stats()).toMatchObject({ ignored: 10, rejected: 1 })
  })

  it('E6: unshare drops the group\'s records for that peer; a peer left without groups is forgotten', () => {
    const a = new MvdsNode({ id: 'a', mode: 'batch' })
    a.share(GROUP, 'b')
    a.share(OTHER_GROUP, 'b')
    a.send(GROUP, text('1'))
    a.send(OTHER_GROUP, text('2'))
    a.unshare(GROUP, 'b')
    expect(a.records('b').map((r) => r.group)).toEqual([hex(OTHER_GROUP)])
    expect(a.shares(GROUP, 'b')).toBe(false)
    a.unshare(OTHER_GROUP, 'b')
    expect(a.peers()).toEqual([])
    expect(a.peersOf(OTHER_GROUP)).toEqual([])
    expect(() => a.share(GROUP, 'a')).toThrow(/ourselves/)
  })

  it('E10: request(id, peer) adds a REQUEST record retransmitted until the message arrives', () => {
    const [a, b] = pair('batch')
    const id = b.send(GROUP, text('parent'))
    b.tick(0) // b's own MESSAGE to a is lost
    expect(a.request(id, 'b')).toBe(true)
    expect(a.request(id, 'nobody')).toBe(false)
    const ch = new Channel(3).add(a, b)
    ch.epoch = 1
    ch.runUntil(() => ch.deliveredIds('a').has(hex(id)), 5)
    expect(ch.deliveredIds('a').has(hex(id))).toBe(true)
    expect(a.records('b')).toEqual([])
    expect(a.request(id, 'b')).toBe(false) // held now
  })
})
