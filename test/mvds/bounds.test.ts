/** E9: every MVDS collection is bounded and its evictions are counted. */
import { describe, expect, it } from 'vitest'
import { MemoryMvdsStore, MvdsNode } from '../../src/mvds/index.js'
import { mvdsMessageId } from '../../src/wire/mvds.js'
import { GROUP, payload, text } from './helpers.js'

const idOf = (i: number) => mvdsMessageId(GROUP, i, new Uint8Array(0))

describe('mvds bounds', () => {
  it('E9: maxPeers evicts the least recently active peer with all its state', () => {
    const a = new MvdsNode({ id: 'a', mode: 'batch', maxPeers: 3 })
    for (const p of ['p1', 'p2', 'p3']) a.share(GROUP, p)
    a.send(GROUP, text('x'))
    a.receive('p1', payload({}), 0) // p1 active again: p2 is now the least recent
    a.share(GROUP, 'p4')
    expect(a.peers()).toEqual(['p3', 'p1', 'p4'])
    expect(a.peersOf(GROUP)).toEqual(['p1', 'p3', 'p4'])
    expect(a.records('p2')).toEqual([])
    expect(a.stats().evictions.peers).toBe(1)
  })

  it('E9: maxRecordsPerPeer evicts the oldest record', () => {
    const a = new MvdsNode({ id: 'a', mode: 'batch', maxRecordsPerPeer: 4 })
    a.share(GROUP, 'b')
    const ids = Array.from({ length: 6 }, (_, i) => a.send(GROUP, text(`${i}`)))
    expect(a.records('b').map((r) => r.id)).toEqual(ids.slice(2))
    expect(a.stats().evictions.records).toBe(2)
    // The network cannot grow it either: 32 offers a payload, many payloads.
    for (let k = 0; k < 10; k++) a.receive('b', payload({ offers: Array.from({ length: 32 }, (_, i) => idOf(k * 32 + i)) }), 0)
    expect(a.records('b').length).toBe(4)
  })

  it('E9: maxAcksPerPeer drops the oldest queued ACK (the sender retransmits the MESSAGE)', () => {
    const b = new MvdsNode({ id: 'b', mode: 'batch', maxAcksPerPeer: 5 })
    b.share(GROUP, 'a')
    const messages = Array.from({ length: 8 }, (_, i) => ({ groupId: GROUP, timestamp: i, body: new Uint8Array(0) }))
    b.receive('a', payload({ messages }), 0)
    expect(b.pendingAcks('a')).toBe(5)
    expect(b.stats().evictions.acks).toBe(3)
    expect(b.tick(0)[0]!.payload.acks).toEqual([3, 4, 5, 6, 7].map(idOf))
  })

  it('E9: maxKnownPerPeer forgets the oldest "peer holds it" entries', () => {
    const a = new MvdsNode({ id: 'a', mode: 'batch', maxKnownPerPeer: 2 })
    a.share(GROUP, 'b')
    a.receive('b', payload({ acks: [idOf(0), idOf(1), idOf(2)] }), 0)
    expect(a.stats().evictions.known).toBe(1)
    // 0 was forgotten, so sending it adds a record again; 2 is still known.
    a.send(GROUP, new Uint8Array(0), 0)
    a.send(GROUP, new Uint8Array(0), 2)
    expect(a.records('b').map((r) => r.id)).toEqual([idOf(0)])
  })

  it('E9: the memory store keeps at most maxMessages; an evicted message cannot be served and its record is dropped', () => {
    const store = new MemoryMvdsStore({ maxMessages: 2 })
    const a = new MvdsNode({ id: 'a', mode: 'batch', store })
    a.share(GROUP, 'b')
    for (let i = 0; i < 3; i++) a.send(GROUP, new Uint8Array(0), i)
    expect(store.size).toBe(2)
    expect(store.evictions).toBe(1)
    expect(store.has(idOf(0))).toBe(false)
    expect(a.tick(0)[0]!.payload.messages.length).toBe(2)
    expect(a.stats().dropped).toBe(1)
    expect(() => new MemoryMvdsStore({ maxMessages: 0 })).toThrow(/maxMessages/)
  })

  it('rejects invalid options', () => {
    expect(() => new MvdsNode({ id: '', mode: 'batch' })).toThrow(/id/)
    expect(() => new MvdsNode({ id: 'a', mode: 'push' as never })).toThrow(/mode/)
    expect(() => new MvdsNode({ id: 'a', mode: 'batch', maxPeers: 0 })).toThrow(/maxPeers/)
    expect(() => new MvdsNode({ id: 'a', mode: 'batch', maxPayloadBytes: 35 })).toThrow(/maxPayloadBytes/)
    expect(() => new MvdsNode({ id: 'a', mode: 'batch', maxRecordsPerPeer: 1.5 })).toThrow(/maxRecordsPerPeer/)
    expect(() => new MvdsNode({ id: 'a', mode: 'batch' }).tick(0.5)).toThrow(/epoch/)
  })
})
