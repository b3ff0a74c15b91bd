/** Interactive mode, one test per rule (numbering of docs/mvds.md). */
import { describe, expect, it } from 'vitest'
import { MvdsNode } from '../../src/mvds/index.js'
import { mvdsMessageId } from '../../src/wire/mvds.js'
import { GROUP, OTHER_GROUP, hex, pair, payload, text } from './helpers.js'

const only = <T>(list: readonly T[]): T => {
  expect(list.length).toBe(1)
  return list[0]!
}

describe('mvds interactive mode', () => {
  it('I1: send adds an OFFER to the next payload and to the state of every peer sharing the group', () => {
    const a = new MvdsNode({ id: 'a', mode: 'interactive' })
    a.share(GROUP, 'b')
    a.share(GROUP, 'c')
    a.share(OTHER_GROUP, 'd')
    const id = a.send(GROUP, text('hello'))
    for (const peer of ['b', 'c']) expect(a.records(peer)).toEqual([{ type: 'offer', id, group: hex(GROUP), sendCount: 0, sendEpoch: 0 }])
    expect(a.records('d')).toEqual([])
    const out = a.tick(0)
    expect(out.map((o) => o.peer).sort()).toEqual(['b', 'c'])
    for (const o of out) expect(o.payload).toEqual(payload({ offers: [id] }))
  })

  it('I2: receiving an OFFER adds a REQUEST to the next payload and to the state', () => {
    const [a, b] = pair('interactive')
    const id = a.send(GROUP, text('x'))
    b.receive('a', only(a.tick(0)).payload, 1)
    expect(b.records('a')).toEqual([{ type: 'request', id, group: undefined, sendCount: 0, sendEpoch: 1 }])
    expect(only(b.tick(1)).payload).toEqual(payload({ requests: [id] }))
    expect(b.records('a')[0]!.sendCount).toBe(1)
  })

  it('I3: a REQUEST for a previously sent OFFER removes the OFFER and adds the MESSAGE to payload and state', () => {
    const [a, b] = pair('interactive')
    const body = text('x')
    const id = a.send(GROUP, body, 7)
    b.receive('a', only(a.tick(0)).payload, 1)
    a.receive('b', only(b.tick(1)).payload, 2)
    expect(a.records('b')).toEqual([{ type: 'message', id, group: hex(GROUP), sendCount: 0, sendEpoch: 2 }])
    expect(only(a.tick(2)).payload).toEqual(payload({ messages: [{ groupId: GROUP, timestamp: 7, body }] }))
  })

  it('I4: receiving the MESSAGE removes the REQUEST and adds an ACK to the next payload', () => {
    const [a, b] = pair('interactive')
    const id = a.send(GROUP, text('x'))
    b.receive('a', only(a.tick(0)).payload, 1)
    a.receive('b', only(b.tick(1)).payload, 2)
    const { deliver, ids } = b.receive('a', only(a.tick(2)).payload, 3)
    expect(ids).toEqual([id])
    expect(deliver[0]!.body).toEqual(text('x'))
    expect(b.records('a')).toEqual([])
    expect(only(b.tick(3)).payload).toEqual(payload({ acks: [id] }))
  })

  it('I5: receiving the ACK removes the MESSAGE from the state; nothing more is sent', () => {
    const [a, b] = pair('interactive')
    a.send(GROUP, text('x'))
    b.receive('a', only(a.tick(0)).payload, 1)
    a.receive('b', only(b.tick(1)).payload, 2)
    b.receive('a', only(a.tick(2)).payload, 3)
    a.receive('b', only(b.tick(3)).payload, 4)
    expect(a.records('b')).toEqual([])
    for (let e = 4; e < 200; e++) expect([...a.tick(e), ...b.tick(e)]).toEqual([])
  })

  it('I6: OFFER, REQUEST and MESSAGE records are retransmitted once their send epoch is reached', () => {
    const [a, b] = pair('interactive')
    const id = a.send(GROUP, text('x'))
    a.tick(0) // OFFER lost
    expect(a.tick(1)).toEqual([])
    expect(only(a.tick(2)).payload.offers).toEqual([id]) // retransmitted at 0 + 2
    b.receive('a', payload({ offers: [id] }), 2)
    b.tick(2) // REQUEST lost
    expect(b.tick(3)).toEqual([])
    expect(only(b.tick(4)).payload.requests).toEqual([id])
    a.receive('b', payload({ requests: [id] }), 4)
    a.tick(4) // MESSAGE lost
    expect(a.tick(5)).toEqual([])
    expect(only(a.tick(6)).payload.messages.length).toBe(1)
    expect(a.stats().retransmissions).toBe(2)
    expect(b.stats().retransmissions).toBe(1)
  })

  it('D1: a REQUEST is answered only for a message we hold whose group the requester shares', () => {
    const a = new MvdsNode({ id: 'a', mode: 'interactive' })
    a.share(GROUP, 'b')
    a.share(OTHER_GROUP, 'c')
    const id = a.send(GROUP, text('x'))
    const unknown = mvdsMessageId(GROUP, 1, text('never sent'))
    a.receive('c', payload({ requests: [id] }), 0) // c does not share GROUP
    a.receive('b', payload({ requests: [unknown] }), 0) // we do not hold it
    expect(a.records('c')).toEqual([])
    expect(a.records('b').map((r) => r.type)).toEqual(['offer'])
    expect(a.stats().ignored).toBe(2)
    // A REQUEST without a prior OFFER (e.g. via request()) is answered, as the reference does.
    a.share(GROUP, 'c')
    a.receive('c', payload({ requests: [id] }), 0)
    expect(only(a.tick(0).filter((o) => o.peer === 'c')).payload.messages.length).toBe(1)
  })

  it('D3/E3: an OFFER for a message we hold is not requested but acknowledged, and that ACK stops the offerer', () => {
    const [a, b] = pair('interactive')
    const id = a.send(GROUP, text('x'))
    b.store.put(id, { groupId: GROUP, timestamp: 0, body: text('x') }) // b got it elsewhere
    b.receive('a', only(a.tick(0)).payload, 1)
    expect(b.records('a')).toEqual([])
    expect(only(b.tick(1)).payload).toEqual(payload({ acks: [id] }))
    a.receive('b', payload({ acks: [id] }), 2)
    expect(a.records('b')).toEqual([]) // the ACK removed the OFFER
    expect(a.tick(2)).toEqual([])
  })

  it('E7: a repeated REQUEST makes the MESSAGE due at once; a repeated OFFER makes the REQUEST due at once', () => {
    const [a, b] = pair('interactive')
    const id = a.send(GROUP, text('x'))
    a.receive('b', payload({ requests: [id] }), 0)
    a.tick(0) // MESSAGE sent (count 1, next at 2); presumed lost
    a.receive('b', payload({ requests: [id] }), 1)
    expect(a.records('b')[0]).toMatchObject({ type: 'message', sendCount: 1, sendEpoch: 1 })
    expect(only(a.tick(1)).payload.messages.length).toBe(1)
    b.receive('a', payload({ offers: [id] }), 0)
    b.tick(0) // REQUEST sent (next at 2)
    b.receive('a', payload({ offers: [id] }), 1)
    expect(b.records('a')[0]).toMatchObject({ type: 'request', sendCount: 1, sendEpoch: 1 })
  })

  it('relays a new message to the group\'s other peers as an OFFER, never back to the sender', () => {
    const b = new MvdsNode({ id: 'b', mode: 'interactive' })
    for (const p of ['a', 'c']) b.share(GROUP, p)
    const m = { groupId: GROUP, timestamp: 1, body: text('x') }
    b.receive('a', payload({ messages: [m] }), 0)
    expect(b.records('a')).toEqual([])
    expect(b.records('c').map((r) => r.type)).toEqual(['offer'])
  })
})
