import { describe, expect, it } from 'vitest'
import type { Delivery } from '../../src/node/index.js'
import { testnet } from './harness.js'

describe('ephemeral messages', () => {
  it('reach current peers once, are never stored, and are not synced to peers that join later', async () => {
    const t = await testnet({ peers: 3, seed: 21 })
    await t.run(30_000) // peers find each other
    const got = t.nodes.map(() => [] as Delivery[])
    t.nodes.forEach((n, i) => n.events.on('bundle', (d) => got[i]!.push(d)))
    const sent = t.nodes[0]!.sendEphemeral(t.overlay, new TextEncoder().encode('typing…'))
    expect(sent).toBeGreaterThan(0)
    await t.run(1_000)
    const receivers = got.slice(1).filter((g) => g.length > 0)
    expect(receivers.length).toBe(sent)
    for (const g of receivers) {
      expect(g.length).toBe(1)
      expect(g[0]!.ephemeral).toBe(true)
    }
    for (const n of t.nodes) expect(n.stats().overlays[0]!.bundlesStored).toBe(0)
    const late = await t.addPeer()
    const lateGot: Delivery[] = []
    late.events.on('bundle', (d) => lateGot.push(d))
    await t.run(60_000)
    expect(lateGot).toEqual([])
    await t.stop()
  })
})

describe('expiring bundles', () => {
  it('are synced before expiry, then neither offered nor answered, and deleted from every store', async () => {
    const t = await testnet({ peers: 3, seed: 22 })
    const [a] = t.nodes
    // Expires after 20 more global-time ticks.
    const ttl = await a!.publish(t.overlay, new TextEncoder().encode('short-lived'), { expiresAt: 21 })
    await a!.publish(t.overlay, new TextEncoder().encode('keeper'))
    await t.run(60_000)
    for (const n of t.nodes) expect(n.stats().overlays[0]!.bundlesStored).toBe(2)
    expect(ttl.expiresAt).toBe(21)
    // Move global time past the expiry: 25 more messages.
    for (let i = 0; i < 25; i++) await a!.publish(t.overlay, new Uint8Array([i]))
    await t.run(120_000)
    for (const n of t.nodes) expect(n.stats().overlays[0]!.bundlesStored).toBe(26)
    const late = await t.addPeer()
    await t.run(120_000)
    expect(late.stats().overlays[0]!.bundlesStored).toBe(26)
    await t.stop()
  })
})
