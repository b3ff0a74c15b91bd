/** The durable MVDS state (issue 19): snapshot → bytes → restore gives the same records; malformed bytes decode to null. */
import { describe, expect, it } from 'vitest'
import { MvdsNode, decodeMvdsSnapshot, encodeMvdsSnapshot } from '../../src/mvds/index.js'
import { GROUP as G1, OTHER_GROUP as G2, text as body } from './helpers.js'

describe('MVDS snapshot', () => {
  it('restores records with send count and send epoch, shares and epoch', () => {
    const a = new MvdsNode({ id: 'a', mode: 'batch' })
    a.share(G1, 'b')
    a.share(G2, 'b')
    a.share(G1, 'c')
    a.send(G1, body('one'))
    a.tick(0)
    a.tick(2) // retransmitted: count 2
    a.send(G2, body('two'), 3)
    a.request(new Uint8Array(32).fill(7), 'c')
    const bytes = encodeMvdsSnapshot(a.snapshot())
    const snapshot = decodeMvdsSnapshot(bytes)
    expect(snapshot).not.toBeNull()
    const b = new MvdsNode({ id: 'a', mode: 'batch' })
    b.restore(snapshot!)
    expect(b.epoch).toBe(a.epoch)
    expect(b.peers()).toEqual(a.peers())
    for (const p of a.peers()) expect(b.records(p)).toEqual(a.records(p))
    expect(b.shares(G2, 'b')).toBe(true)
    expect(b.shares(G2, 'c')).toBe(false)
    expect(b.records('b').find((r) => r.sendCount === 2)).toBeDefined()
  })

  it('decodes malformed or foreign bytes to null, never throws', () => {
    const good = JSON.parse(new TextDecoder().decode(encodeMvdsSnapshot({ epoch: 4, peers: [{ id: 'p', groups: ['ab'.repeat(32)], records: [{ type: 'message', id: 'cd'.repeat(32), group: 'ab'.repeat(32), sendCount: 1, sendEpoch: 6 }] }] })))
    expect(decodeMvdsSnapshot(new TextEncoder().encode(JSON.stringify(good)))).not.toBeNull()
    const variants: unknown[] = [
      { ...good, v: 2 },
      { ...good, epoch: 1.5 },
      { ...good, peers: {} },
      { ...good, peers: [{ ...good.peers[0], id: '' }] },
      { ...good, peers: [{ ...good.peers[0], groups: ['zz'] }] },
      { ...good, peers: [{ ...good.peers[0], records: [{ ...good.peers[0].records[0], type: 'ack' }] }] },
      { ...good, peers: [{ ...good.peers[0], records: [{ ...good.peers[0].records[0], id: 'cd' }] }] },
      { ...good, peers: [{ ...good.peers[0], records: [{ ...good.peers[0].records[0], sendCount: -1 }] }] },
      [],
      null
    ]
    for (const v of variants) expect(decodeMvdsSnapshot(new TextEncoder().encode(JSON.stringify(v))), JSON.stringify(v)).toBeNull()
    expect(decodeMvdsSnapshot(Uint8Array.of(0xff, 0xfe))).toBeNull()
    expect(decodeMvdsSnapshot(new TextEncoder().encode('{"v":1'))).toBeNull()
  })
})
