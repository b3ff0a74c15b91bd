import { describe, expect, it } from 'vitest'
import { signBundle } from '../../src/bundle/index.js'
import { decodePacket, encodePacket, type Address } from '../../src/wire/index.js'
import type { Delivery } from '../../src/node/index.js'
import { makeAuthors, hex } from '../helpers/bundles.js'
import { MemoryStore } from '../../src/store/index.js'
import { testnet } from './harness.js'

describe('causal delivery in the node', () => {
  it('holds a child until its parent is delivered, and fetches the missing parent by id from the sender', async () => {
    const t = await testnet({ peers: 0, seed: 31 })
    const node = await t.addPeer({ stepIntervalMs: 10_000_000 })
    const [author] = makeAuthors(1, 5)
    const parent = signBundle({ overlay: t.overlay, globalTime: 1, kind: 1, body: new TextEncoder().encode('parent') }, author!)
    const child = signBundle({ overlay: t.overlay, globalTime: 2, kind: 1, parents: [parent.id], body: new TextEncoder().encode('child') }, author!)
    const peer = t.net.bind()
    const requests: Uint8Array[][] = []
    peer.onPacket = (_from: Address, bytes: Uint8Array) => {
      const p = decodePacket(bytes)?.packet
      if (p?.type === 'bundle-request') requests.push([...p.ids])
    }
    const delivered: Delivery[] = []
    node.events.on('bundle', (d) => delivered.push(d))
    // Become a stumble candidate first (bundles are accepted only from candidates).
    peer.send(node.address(), encodePacket(t.overlay, { type: 'introduction-request', destination: node.address(), sourceLan: peer.address(), sourceWan: peer.address(), advice: false, connectionType: 'unknown', identifier: 1, globalTime: 0 }))
    await t.run(100)
    peer.send(node.address(), encodePacket(t.overlay, { type: 'bundles', bundles: [child] }))
    await t.run(100)
    expect(delivered).toEqual([])
    expect(node.stats().overlays[0]!.bundlesStored).toBe(1)
    expect(requests.map((ids) => ids.map(hex))).toEqual([[hex(parent.id)]])
    peer.send(node.address(), encodePacket(t.overlay, { type: 'bundles', bundles: [parent] }))
    await t.run(100)
    expect(delivered.map((d) => new TextDecoder().decode(d.bundle.body))).toEqual(['parent', 'child'])
    // The child, released by its parent's arrival, still says where it came from; neither is ours.
    expect(delivered.map((d) => [d.from?.port, d.own])).toEqual([
      [peer.address().port, false],
      [peer.address().port, false]
    ])
    const mine = await node.publish(t.overlay, new Uint8Array([1]), { parents: [child.id] })
    expect(delivered.at(-1)).toMatchObject({ bundle: { id: mine.id }, from: undefined, own: true })
    await t.stop()
  })

  it('a child waiting for its parent when the node stops is delivered after the restart, once the parent comes', async () => {
    const t = await testnet({ peers: 0, seed: 33 })
    const store = new MemoryStore()
    const node = await t.addPeer({ stepIntervalMs: 10_000_000, store })
    const [author] = makeAuthors(1, 6)
    const parent = signBundle({ overlay: t.overlay, globalTime: 1, kind: 1, body: new TextEncoder().encode('parent') }, author!)
    const child = signBundle({ overlay: t.overlay, globalTime: 2, kind: 1, parents: [parent.id], body: new TextEncoder().encode('child') }, author!)
    const peer = t.net.bind()
    const intro = (to: Address) => encodePacket(t.overlay, { type: 'introduction-request', destination: to, sourceLan: peer.address(), sourceWan: peer.address(), advice: false, connectionType: 'unknown', identifier: 1, globalTime: 0 })
    peer.send(node.address(), intro(node.address()))
    await t.run(100)
    peer.send(node.address(), encodePacket(t.overlay, { type: 'bundles', bundles: [child] }))
    await t.run(100)
    await node.stop()
    expect(await store.isUndelivered(t.overlay, child.id)).toBe(true)
    const again = await t.addPeer({ stepIntervalMs: 10_000_000, store })
    const delivered: Delivery[] = []
    again.events.on('bundle', (d) => delivered.push(d))
    peer.send(again.address(), intro(again.address()))
    await t.run(100)
    peer.send(again.address(), encodePacket(t.overlay, { type: 'bundles', bundles: [parent] }))
    await t.run(100)
    expect(delivered.map((d) => new TextDecoder().decode(d.bundle.body))).toEqual(['parent', 'child'])
    // The child was stored by the earlier run: where it came from is not known any more.
    expect(delivered[1]!.from).toBeUndefined()
    expect(await store.isUndelivered(t.overlay, child.id)).toBe(false)
    await t.stop()
  })

  it('answers a bundle-request with the bundles it holds', async () => {
    const t = await testnet({ peers: 0, seed: 32 })
    const node = await t.addPeer({ stepIntervalMs: 10_000_000 })
    const a = await node.publish(t.overlay, new Uint8Array([1]))
    const b = await node.publish(t.overlay, new Uint8Array([2]), { parents: [a.id] })
    const peer = t.net.bind()
    const got: string[] = []
    peer.onPacket = (_from, bytes) => {
      const p = decodePacket(bytes)?.packet
      if (p?.type === 'bundles') got.push(...p.bundles.map((x) => hex(x.id)))
    }
    peer.send(node.address(), encodePacket(t.overlay, { type: 'introduction-request', destination: node.address(), sourceLan: peer.address(), sourceWan: peer.address(), advice: false, connectionType: 'unknown', identifier: 1, globalTime: 0 }))
    await t.run(100)
    peer.send(node.address(), encodePacket(t.overlay, { type: 'bundle-request', ids: [b.id, new Uint8Array(32), a.id] }))
    await t.run(100)
    expect(got).toEqual([hex(b.id), hex(a.id)])
    await t.stop()
  })
})
