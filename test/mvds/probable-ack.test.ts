/**
 * The Bloom offer as a probabilistic acknowledgement (src/mvds/probable-ack.ts; seed
 * p2p-data-sync-mobile, Enhancement 3): `acknowledge(peer, holds)` drops the OFFER / MESSAGE
 * records `holds` is true for, never retransmits them, and keeps the peer from being sent
 * them again by a relay; REQUEST records and other peers are left alone.
 */
import { describe, expect, it } from 'vitest'
import { MvdsNode } from '../../src/mvds/index.js'
import { GROUP, hex, pair, text } from './helpers.js'

const has = (ids: readonly Uint8Array[]) => {
  const keys = new Set(ids.map(hex))
  return (_id: Uint8Array, key: string) => keys.has(key)
}

/** Every MESSAGE / OFFER id `node` sends to `peer` over `epochs` epochs from `from`. */
function sentTo(node: MvdsNode, peer: string, from: number, epochs: number): Set<string> {
  const out = new Set<string>()
  for (let e = from; e < from + epochs; e++) {
    for (const o of node.tick(e)) {
      if (o.peer !== peer) continue
      for (const id of o.payload.offers) out.add(hex(id))
      for (const m of o.payload.messages) out.add(hex(new Uint8Array(m.body)))
    }
  }
  return out
}

describe('mvds: the Bloom offer as acknowledgement', () => {
  it('batch: the MESSAGE records the peer holds are dropped and never retransmitted; the others go on', () => {
    const a = new MvdsNode({ id: 'a', mode: 'batch' })
    a.share(GROUP, 'b')
    const held = a.send(GROUP, text('held'))
    const lacking = a.send(GROUP, text('lacking'))
    expect(a.tick(0)).toHaveLength(1)
    expect(a.acknowledge('b', has([held]))).toBe(1)
    expect(a.records('b').map((r) => hex(r.id))).toEqual([hex(lacking)])
    expect(a.stats()).toMatchObject({ probableAcks: 1 })
    // 200 epochs cover more than three backoff cycles: only the record left is retransmitted.
    const bodies = sentTo(a, 'b', 1, 200)
    expect(bodies).toEqual(new Set([hex(text('lacking'))]))
  })

  it('interactive: OFFER records the peer holds are dropped; a REQUEST record is not (it is what we want from the peer)', () => {
    const [a, b] = pair('interactive')
    const offered = a.send(GROUP, text('offered'))
    const wanted = b.send(GROUP, text('wanted'))
    // a learns of `wanted` by b's OFFER and keeps a REQUEST record for it.
    a.receive('b', b.tick(0).find((o) => o.peer === 'a')!.payload, 1)
    expect(a.records('b').map((r) => r.type).sort()).toEqual(['offer', 'request'])
    expect(a.acknowledge('b', () => true)).toBe(1)
    expect(a.records('b')).toEqual([expect.objectContaining({ type: 'request', id: wanted })])
    expect(sentTo(a, 'b', 2, 100).has(hex(offered))).toBe(false)
  })

  it('a message acknowledged so is known to be held: sending it again queues nothing for that peer', () => {
    const a = new MvdsNode({ id: 'a', mode: 'batch' })
    a.share(GROUP, 'b')
    const id = a.send(GROUP, text('m'), 0)
    a.acknowledge('b', has([id]))
    expect(a.records('b')).toEqual([])
    a.send(GROUP, text('m'), 0)
    expect(a.records('b')).toEqual([])
  })

  it('only the named peer is acknowledged; unknown peers and an all-false test change nothing', () => {
    const a = new MvdsNode({ id: 'a', mode: 'batch' })
    a.share(GROUP, 'b')
    a.share(GROUP, 'c')
    a.send(GROUP, text('m'))
    expect(a.acknowledge('nobody', () => true)).toBe(0)
    expect(a.acknowledge('b', () => false)).toBe(0)
    expect(a.acknowledge('b', () => true)).toBe(1)
    expect(a.records('b')).toEqual([])
    expect(a.records('c')).toHaveLength(1)
    expect(a.stats().probableAcks).toBe(1)
  })
})

describe('mvds heardWithin: retransmit only to peers heard from lately', () => {
  /** Epochs at which `node` sent `peer` a MESSAGE, over [from, to). */
  function messageEpochs(node: MvdsNode, peer: string, from: number, to: number, each?: (epoch: number) => void): number[] {
    const out: number[] = []
    for (let e = from; e < to; e++) {
      each?.(e)
      if (node.tick(e).some((o) => o.peer === peer && o.payload.messages.length > 0)) out.push(e)
    }
    return out
  }

  it('the first transmission goes to a silent peer; retransmissions wait until it is heard, then resume on the backoff', () => {
    const a = new MvdsNode({ id: 'a', mode: 'batch', heardWithin: 10 })
    a.share(GROUP, 'b')
    a.send(GROUP, text('m'))
    // Never heard: one transmission in 300 epochs, and the record is kept.
    expect(messageEpochs(a, 'b', 0, 300)).toEqual([0])
    expect(a.records('b')).toEqual([expect.objectContaining({ sendCount: 1 })])
    // Heard at epoch 300: due at once (its 2nd transmission), then after the backoff's 4 epochs;
    // the 3rd retransmission would be due at 312, past the 10-epoch window: held again.
    a.heard('b')
    expect(messageEpochs(a, 'b', 300, 400)).toEqual([300, 304])
  })

  it('a payload from the peer counts as hearing from it', () => {
    const a = new MvdsNode({ id: 'a', mode: 'batch', heardWithin: 5 })
    a.share(GROUP, 'b')
    a.send(GROUP, text('m'))
    expect(messageEpochs(a, 'b', 0, 100)).toEqual([0])
    a.receive('b', { acks: [], offers: [], requests: [], messages: [] }, 100)
    expect(messageEpochs(a, 'b', 100, 101)).toEqual([100])
  })

  it('default (Infinity): retransmission is blind, as the spec', () => {
    const a = new MvdsNode({ id: 'a', mode: 'batch' })
    a.share(GROUP, 'b')
    a.send(GROUP, text('m'))
    // 2, 4, 8, 16, 32, then 2 again: 0, 2, 6, 14, 30, 62, 64, 68, 76, 92.
    expect(messageEpochs(a, 'b', 0, 100)).toEqual([0, 2, 6, 14, 30, 62, 64, 68, 76, 92])
  })

  it('heardWithin must be a positive integer or Infinity', () => {
    expect(() => new MvdsNode({ id: 'a', mode: 'batch', heardWithin: 0 })).toThrow(/heardWithin/)
    expect(() => new MvdsNode({ id: 'a', mode: 'batch', heardWithin: 1.5 })).toThrow(/heardWithin/)
  })
})
