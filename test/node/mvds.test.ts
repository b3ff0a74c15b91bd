import { describe, expect, it } from 'vitest'
import { roomId } from '../../src/bundle/index.js'
import type { Delivery } from '../../src/node/index.js'
import { testnet } from './harness.js'

const group = roomId('private group')

async function privatePair(mode: 'batch' | 'interactive', loss: number, seed: number) {
  const t = await testnet({ peers: 0, seed, loss })
  const a = await t.addPeer({ overlays: [], trusted: [], mvds: { mode, epochMs: 1000 } })
  const b = await t.addPeer({ overlays: [], trusted: [], mvds: { mode, epochMs: 1000 } })
  await a.share(group, b.address())
  await b.share(group, a.address())
  return { t, a, b }
}

describe('MVDS in the node', () => {
  for (const mode of ['batch', 'interactive'] as const) {
    it(`${mode}: private messages reach the shared peer, causally, with no Bloom walk`, async () => {
      const { t, a, b } = await privatePair(mode, 0, 41)
      const got: Delivery[] = []
      b.events.on('bundle', (d) => got.push(d))
      const first = await a.sendPrivate(group, new TextEncoder().encode('hello'))
      await a.sendPrivate(group, new TextEncoder().encode('again'), { parents: [first.id] })
      await t.run(10_000)
      expect(got.map((d) => new TextDecoder().decode(d.bundle.body))).toEqual(['hello', 'again'])
      expect(b.stats().out['introduction-request']).toBeUndefined()
      expect(a.stats().out['mvds']!.datagrams).toBeGreaterThan(0)
      await t.stop()
    })

    it(`${mode}: with 90 % loss each way every message still arrives`, async () => {
      const { t, a, b } = await privatePair(mode, 0.9, 42)
      const got = new Set<string>()
      b.events.on('bundle', (d) => got.add(new TextDecoder().decode(d.bundle.body)))
      for (let i = 0; i < 5; i++) await a.sendPrivate(group, new TextEncoder().encode(`m${i}`))
      await t.run(3_600_000, 1000)
      expect(got.size).toBe(5)
      await t.stop()
    }, 120_000)
  }

  it('multicast: a message due for several peers goes out once on the topic and reaches them all', async () => {
    const t = await testnet({ peers: 0, seed: 44 })
    const opts = { overlays: [], trusted: [], mvds: { mode: 'batch' as const, epochMs: 1000, topic: 'whisper' } }
    const a = await t.addPeer(opts)
    const others = [await t.addPeer(opts), await t.addPeer(opts), await t.addPeer(opts)]
    for (const o of others) {
      await a.share(group, o.address())
      await o.share(group, a.address())
    }
    const got = others.map(() => 0)
    others.forEach((o, i) => o.events.on('bundle', () => got[i]!++))
    await a.sendPrivate(group, new TextEncoder().encode('to all'))
    await t.run(1_500)
    expect(got).toEqual([1, 1, 1])
    expect(t.net.stats().published).toBe(1)
    await t.stop()
  })

  it('multicast: each receiver verifies a message once, however many copies reach it', async () => {
    const t = await testnet({ peers: 0, seed: 45 })
    let verified = 0
    const opts = {
      overlays: [],
      trusted: [],
      mvds: { mode: 'batch' as const, epochMs: 1000, topic: 'whisper' },
      verifyBundle: () => {
        verified++
        return true
      },
    }
    const a = await t.addPeer(opts)
    const others = [await t.addPeer(opts), await t.addPeer(opts), await t.addPeer(opts)]
    for (const x of [a, ...others]) for (const y of [a, ...others]) if (x !== y) await x.share(group, y.address())
    const got = others.map(() => 0)
    others.forEach((o, i) => o.events.on('bundle', () => got[i]!++))
    await a.sendPrivate(group, new TextEncoder().encode('to all'))
    await t.run(30_000)
    expect(got).toEqual([1, 1, 1])
    // Receivers relay to the topic, so each hears the message more than once…
    expect(t.net.stats().published).toBeGreaterThan(1)
    // …and verifies it once: duplicates are acknowledged without decoding, delivery reuses the decode.
    expect(verified).toBe(3)
    await t.stop()
  })

  it('multicast: messages due for different peers are packed into topic datagrams within the budget', async () => {
    const t = await testnet({ peers: 0, seed: 45 })
    const opts = { overlays: [], trusted: [], mvds: { mode: 'batch' as const, epochMs: 1000, topic: 'whisper' } }
    const transport = t.net.bind()
    const a = await t.addPeer({ ...opts, transport })
    const others = [await t.addPeer(opts), await t.addPeer(opts), await t.addPeer(opts)]
    const shareBoth = async (o: (typeof others)[number]) => {
      await a.share(group, o.address())
      await o.share(group, a.address())
    }
    t.net.interceptor = ({ from, to, bytes }) => {
      expect(bytes.length).toBeLessThanOrEqual(1200)
      return { from, to }
    }
    const got = others.map(() => 0)
    others.forEach((o, i) => o.events.on('bundle', () => got[i]!++))
    // The first peers are owed messages 0–19, the last one only 20–39: in one epoch their
    // payloads hold different messages, whose union does not fit one datagram.
    await shareBoth(others[0]!)
    await shareBoth(others[1]!)
    for (let i = 0; i < 20; i++) await a.sendPrivate(group, new Uint8Array(300).fill(i))
    await shareBoth(others[2]!)
    for (let i = 20; i < 40; i++) await a.sendPrivate(group, new Uint8Array(300).fill(i))
    await t.run(60_000)
    expect(got).toEqual([40, 40, 40]) // the last one hears 0–19 on the topic too
    // Every datagram the node counted as sent entered the network (none refused as oversize).
    expect(a.stats().out['mvds']!.datagrams).toBe(transport.stats().datagramsSent)
    await t.stop()
  })

  it('refuses MVDS calls on a node without the mvds option', async () => {
    const t = await testnet({ peers: 1, seed: 43 })
    await expect(t.nodes[0]!.share(group, t.trackerAddress)).rejects.toThrow(/mvds option/)
    await t.stop()
  })
})
