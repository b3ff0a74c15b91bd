/** Batch mode and the receive-side rules shared by both modes (numbering of docs/mvds.md). */
import { describe, expect, it } from 'vitest'
import { MvdsNode } from '../../src/mvds/index.js'
import { mvdsMessageId } from '../../src/wire/mvds.js'
import { GROUP, OTHER_GROUP, hex, pair, payload, text } from './helpers.js'

const only = <T>(list: readonly T[]): T => {
  expect(list.length).toBe(1)
  return list[0]!
}
const msg = (s: string, timestamp = 1, groupId = GROUP) => ({ groupId, timestamp, body: text(s) })

describe('mvds batch mode', () => {
  it('B1: send adds the MESSAGE to the next payload and to the state of every peer sharing the group', () => {
    const a = new MvdsNode({ id: 'a', mode: 'batch' })
    a.share(GROUP, 'b')
    a.share(OTHER_GROUP, 'c')
    const id = a.send(GROUP, text('hello'), 5)
    expect(a.records('b')).toEqual([{ type: 'message', id, group: hex(GROUP), sendCount: 0, sendEpoch: 0 }])
    expect(a.records('c')).toEqual([])
    expect(only(a.tick(0))).toEqual({ peer: 'b', payload: payload({ messages: [msg('hello', 5)] }) })
    expect(a.records('b')[0]).toMatchObject({ sendCount: 1, sendEpoch: 2 })
  })

  it('B2: receiving a MESSAGE adds an ACK to the next payload and delivers it', () => {
    const [a, b] = pair('batch')
    const id = a.send(GROUP, text('x'))
    const { deliver, ids } = b.receive('a', only(a.tick(0)).payload, 1)
    expect(ids).toEqual([id])
    expect(deliver).toEqual([msg('x', 0)])
    expect(b.store.has(id)).toBe(true)
    expect(only(b.tick(1)).payload).toEqual(payload({ acks: [id] }))
  })

  it('B3: receiving an ACK removes the MESSAGE from the state', () => {
    const [a, b] = pair('batch')
    a.send(GROUP, text('x'))
    b.receive('a', only(a.tick(0)).payload, 1)
    a.receive('b', only(b.tick(1)).payload, 2)
    expect(a.records('b')).toEqual([])
    for (let e = 2; e < 200; e++) expect(a.tick(e)).toEqual([])
  })

  it('B4: an unacknowledged MESSAGE is retransmitted once its send epoch is reached', () => {
    const [a] = pair('batch')
    a.send(GROUP, text('x'))
    const sentAt: number[] = []
    for (let e = 0; e < 40; e++) if (a.tick(e).length > 0) sentAt.push(e)
    expect(sentAt).toEqual([0, 2, 6, 14, 30]) // delays 2, 4, 8, 16 (then 32)
    expect(a.stats().retransmissions).toBe(4)
  })

  it('D2: a message is stored and delivered once; a duplicate is acknowledged again but not delivered', () => {
    const [, b] = pair('batch')
    const m = msg('x')
    expect(b.receive('a', payload({ messages: [m] }), 0).deliver).toEqual([m])
    expect(b.receive('a', payload({ messages: [m, m] }), 0).deliver).toEqual([])
    expect(b.stats()).toMatchObject({ delivered: 1, duplicates: 2 })
    expect(only(b.tick(0)).payload.acks.length).toBe(1) // one ACK per id per payload
    b.receive('a', payload({ messages: [m] }), 1)
    expect(only(b.tick(1)).payload.acks.length).toBe(1) // resent on the duplicate
  })

  it('D2: a new message is relayed to the group\'s other peers as a MESSAGE, never back to the sender', () => {
    const b = new MvdsNode({ id: 'b', mode: 'batch' })
    for (const p of ['a', 'c', 'd']) b.share(GROUP, p)
    b.share(OTHER_GROUP, 'e')
    b.receive('a', payload({ messages: [msg('x')] }), 0)
    const out = b.tick(0)
    expect(out.map((o) => o.peer)).toEqual(['c', 'd', 'a']) // least recently active first; a only gets its ACK
    expect(out.find((o) => o.peer === 'a')!.payload).toEqual(payload({ acks: [mvdsMessageId(GROUP, 1, text('x'))] }))
    for (const p of ['c', 'd']) expect(out.find((o) => o.peer === p)!.payload.messages).toEqual([msg('x')])
    // relay: false keeps the message to ourselves.
    const quiet = new MvdsNode({ id: 'q', mode: 'batch', relay: false })
    for (const p of ['a', 'c']) quiet.share(GROUP, p)
    quiet.receive('a', payload({ messages: [msg('x')] }), 0)
    expect(quiet.records('c')).toEqual([])
  })

  it('E1: a MESSAGE of a group not shared with the sender, or refused by accept, is not stored, acked, delivered or relayed', () => {
    const b = new MvdsNode({ id: 'b', mode: 'batch', accept: (m) => m.body[0] !== 0x21 /* '!' */ })
    b.share(GROUP, 'a')
    b.share(GROUP, 'c')
    b.share(OTHER_GROUP, 'd')
    const r = b.receive('a', payload({ messages: [msg('x', 1, OTHER_GROUP), msg('!bad')] }), 0)
    expect(r.deliver).toEqual([])
    expect(b.stats().rejected).toBe(2)
    expect(b.pendingAcks('a')).toBe(0)
    expect(b.records('c')).toEqual([])
    expect(b.records('d')).toEqual([])
    expect(b.tick(0)).toEqual([])
  })

  it('accept is asked once per new message; a duplicate is acknowledged without asking again', () => {
    const asked: string[] = []
    const b = new MvdsNode({
      id: 'b',
      mode: 'batch',
      accept: (m) => {
        asked.push(new TextDecoder().decode(m.body))
        return true
      },
    })
    b.share(GROUP, 'a')
    b.share(GROUP, 'c')
    expect(b.receive('a', payload({ messages: [msg('x')] }), 0).deliver).toEqual([msg('x')])
    expect(b.receive('c', payload({ messages: [msg('x')] }), 0).deliver).toEqual([])
    expect(asked).toEqual(['x'])
    expect(b.stats().duplicates).toBe(1)
    expect(b.pendingAcks('c')).toBe(1)
  })

  it('E2: a peer that sent, offered or acknowledged a message is never sent it', () => {
    const b = new MvdsNode({ id: 'b', mode: 'batch' })
    for (const p of ['a', 'c', 'd', 'e']) b.share(GROUP, p)
    const m = msg('x')
    const id = mvdsMessageId(m.groupId, m.timestamp, m.body)
    b.receive('c', payload({ offers: [id] }), 0) // c holds it
    b.receive('d', payload({ acks: [id] }), 0) // d holds it
    b.receive('a', payload({ messages: [m] }), 0) // a sent it
    expect(b.records('a')).toEqual([])
    expect(b.records('c')).toEqual([])
    expect(b.records('d')).toEqual([])
    expect(b.records('e').map((r) => r.type)).toEqual(['message'])
    // Sending it again (same fields) does not re-add it for holders either.
    b.send(GROUP, m.body, m.timestamp)
    expect(b.records('a')).toEqual([])
  })

  it('E4: once we hold a message, REQUEST records for it to other peers are dropped', () => {
    const b = new MvdsNode({ id: 'b', mode: 'batch' })
    for (const p of ['a', 'c']) b.share(GROUP, p)
    const m = msg('x')
    const id = mvdsMessageId(m.groupId, m.timestamp, m.body)
    b.receive('a', payload({ offers: [id] }), 0)
    b.receive('c', payload({ offers: [id] }), 0)
    expect([...b.records('a'), ...b.records('c')].map((r) => r.type)).toEqual(['request', 'request'])
    b.receive('a', payload({ messages: [m] }), 1)
    expect(b.records('a')).toEqual([])
    expect(b.records('c')).toEqual([])
    // c offers again later: it gets an ACK, not a REQUEST, so its OFFER stops too.
    b.receive('c', payload({ offers: [id] }), 2)
    expect(b.pendingAcks('c')).toBe(1)
    expect(b.records('c')).toEqual([])
  })

  it('hold: no ACK for a message the host is still storing (received again or offered meanwhile); settle(stored) sends them', () => {
    const [a, b] = pair('batch', { relay: false })
    const id = a.send(GROUP, text('x'))
    const first = only(a.tick(0)).payload
    expect(b.receive('a', first, 1).ids).toEqual([id])
    b.hold(id)
    expect(b.tick(1)).toEqual([])
    // A retransmission and an OFFER of it (another peer) earn ACKs that wait as well.
    b.share(GROUP, 'c')
    b.receive('a', first, 2)
    b.receive('c', payload({ offers: [id] }), 2)
    expect(b.tick(2)).toEqual([])
    expect(b.pendingAcks('a') + b.pendingAcks('c')).toBe(2)
    // Other ACKs are not held back by it.
    const other = a.send(GROUP, text('y'))
    b.receive('a', payload({ messages: [msg('y', 0)] }), 3)
    expect(only(b.tick(3)).payload).toEqual(payload({ acks: [other] }))
    b.settle(id, true)
    expect(new Map(b.tick(4).map((o) => [o.peer, o.payload]))).toEqual(new Map([['a', payload({ acks: [id] })], ['c', payload({ acks: [id] })]]))
  })

  it('settle(not stored): the message is forgotten with its queued ACKs, and its retransmission is received as new', () => {
    const [a, b] = pair('batch')
    const id = a.send(GROUP, text('x'))
    const first = only(a.tick(0)).payload
    b.receive('a', first, 1)
    b.hold(id)
    b.settle(id, false)
    expect(b.store.has(id)).toBe(false)
    expect(b.pendingAcks('a')).toBe(0)
    expect(b.tick(1)).toEqual([])
    expect(b.receive('a', first, 2).ids).toEqual([id])
    expect(only(b.tick(2)).payload).toEqual(payload({ acks: [id] }))
  })
})
