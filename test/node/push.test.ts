/**
 * Push on publish, bounded forwarding and no stall at first contact (DESIGN §13), over the
 * in-memory network on virtual time.
 */
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../src/env/clock.js'
import { SeededRng } from '../../src/env/rng.js'
import type { Delivery } from '../../src/node/index.js'
import { OverlayState } from '../../src/node/overlay.js'
import { PushService, pushOptions } from '../../src/node/push.js'
import { syncConfig } from '../../src/sync/config.js'
import { decodePacket, encodePacket, type Address, type Packet } from '../../src/wire/index.js'
import { makeBundles } from '../helpers/bundles.js'
import { testnet } from './harness.js'

const text = (s: string) => new TextEncoder().encode(s)

/** Milliseconds from now until `node` delivers a bundle with `body`, running the testnet in 10 ms steps (Infinity if not within `limit`). */
async function deliveryDelay(t: Awaited<ReturnType<typeof testnet>>, node: (typeof t.nodes)[number], publish: () => Promise<unknown>, limit: number): Promise<number> {
  let at: number | undefined
  const start = t.clock.now()
  const listening = new AbortController()
  node.events.on(
    'bundle',
    () => {
      at ??= t.clock.now()
    },
    { signal: listening.signal }
  )
  await publish()
  for (let waited = 0; at === undefined && waited < limit; waited += 10) await t.run(10, 10)
  listening.abort()
  return at === undefined ? Infinity : at - start
}

describe('no stall at first contact', () => {
  it('two fresh peers with a tracker: a bundle published 1 s after start arrives within a second (5 s walk step)', async () => {
    const t = await testnet({ peers: 2, seed: 31 })
    const [a, b] = t.nodes
    await t.run(1_000, 10)
    const delay = await deliveryDelay(t, b!, () => a!.publish(t.overlay, text('hello')), 5_000)
    expect(delay).toBeLessThanOrEqual(1_000)
    expect(a!.stats().push.published).toBe(1)
    // And back: the first exchange validated both addresses.
    const back = await deliveryDelay(t, a!, () => b!.publish(t.overlay, text('hi')), 5_000)
    expect(back).toBeLessThanOrEqual(1_000)
    await t.stop()
  })

  it('a walk whose answer the 3× bound held back is retried at once with the token and answered whole', async () => {
    const t = await testnet({ peers: 0, seed: 32 })
    const a = await t.addPeer()
    for (let i = 0; i < 60; i++) await a.publish(t.overlay, new Uint8Array(150).fill(i))
    await t.run(1_000, 10)
    const b = await t.addPeer()
    await t.run(1_000, 10)
    expect(a.stats().answersDeferred).toBeGreaterThan(0)
    expect(b.stats().firstContact.retries).toBeGreaterThan(0)
    // A whole answer (5 120 bytes of ~300-byte bundles) arrived in the first second, not the ~3.4 kB the bound allows.
    expect(b.stats().overlays[0]!.bundlesStored).toBeGreaterThanOrEqual(15)
    expect(a.stats().amplification.blocked).toBe(0)
    await t.stop()
  })

  it('a follow-up response never starts another follow-up (a peer that forgot its tokens cannot loop us)', async () => {
    const t = await testnet({ peers: 0, seed: 33 })
    const node = await t.addPeer({ trusted: [] })
    const fake = t.net.bind()
    const requests: Packet[] = []
    fake.onPacket = (from, bytes) => {
      const p = decodePacket(bytes)?.packet
      if (p?.type !== 'introduction-request') return
      requests.push(p)
      // Always "deferred", always a fresh token: as a peer that restarts between datagrams.
      const response: Packet = { type: 'introduction-response', destination: from, sourceLan: fake.address(), sourceWan: fake.address(), connectionType: 'public', identifier: p.identifier, globalTime: 5, token: new Uint8Array(16).fill(requests.length), answerDeferred: true }
      fake.send(from, encodePacket(t.overlay, response))
    }
    // The node learns the fake peer as a stumble candidate, then walks to it.
    const hello: Packet = { type: 'introduction-request', destination: node.address(), sourceLan: fake.address(), sourceWan: fake.address(), advice: false, connectionType: 'public', identifier: 9, globalTime: 5 }
    fake.send(node.address(), encodePacket(t.overlay, hello))
    await t.run(6_000, 10)
    // One walk step (at most), and one retry for it.
    expect(node.stats().firstContact.retries).toBe(1)
    expect(requests.length).toBe(2)
    await t.stop()
  })
})

describe('push on publish', () => {
  it('never pushes to an unvalidated (spoofable) address; pushes once it echoed our token', async () => {
    const t = await testnet({ peers: 0, seed: 34 })
    const node = await t.addPeer({ trusted: [], stepIntervalMs: 10_000_000 })
    const spoofed = t.net.bind()
    const got: Packet[] = []
    spoofed.onPacket = (_from, bytes) => {
      const p = decodePacket(bytes)?.packet
      if (p !== undefined) got.push(p)
    }
    const request = (identifier: number, token?: Uint8Array): Packet => ({
      type: 'introduction-request',
      destination: node.address(),
      sourceLan: spoofed.address(),
      sourceWan: spoofed.address(),
      advice: false,
      connectionType: 'public',
      identifier,
      globalTime: 1,
      token
    })
    spoofed.send(node.address(), encodePacket(t.overlay, request(1)))
    await t.run(100, 10)
    await node.publish(t.overlay, text('not for spoofers'))
    await t.run(100, 10)
    expect(got.filter((p) => p.type === 'push')).toEqual([])
    const response = got.find((p) => p.type === 'introduction-response')
    const token = response?.type === 'introduction-response' ? response.token : undefined
    expect(token).toBeDefined()
    spoofed.send(node.address(), encodePacket(t.overlay, request(2, token)))
    await t.run(100, 10)
    await node.publish(t.overlay, text('now validated'))
    await t.run(100, 10)
    const pushes = got.filter((p) => p.type === 'push')
    expect(pushes.length).toBe(1)
    expect(pushes[0]!.type === 'push' && pushes[0]!.hops).toBe(pushOptions().hops)
    await t.stop()
  })

  it('a fresh pushed bundle is forwarded once per node, within the hop limit', async () => {
    const t = await testnet({ peers: 8, seed: 35, peer: { push: { fanout: 1, forwardFanout: 1, hops: 3 } } })
    await t.run(60_000)
    const before = t.nodes.map((n) => n.stats().push.forwarded)
    await t.nodes[0]!.publish(t.overlay, text('hop'))
    await t.run(500, 10)
    const forwarded = t.nodes.reduce((sum, n, i) => sum + n.stats().push.forwarded - before[i]!, 0)
    expect(t.nodes[0]!.stats().push.published).toBe(1)
    expect(forwarded).toBeGreaterThan(0)
    expect(forwarded).toBeLessThanOrEqual(3)
    await t.stop()
  })

  it('ephemeral messages ride push and forwarding: the room (beyond the direct pushes) gets them once, nobody stores them', async () => {
    const t = await testnet({ peers: 10, seed: 36 })
    await t.run(60_000)
    const got = t.nodes.map(() => [] as Delivery[])
    t.nodes.forEach((n, i) => n.events.on('bundle', (d) => got[i]!.push(d)))
    const sent = t.nodes[0]!.sendEphemeral(t.overlay, text('typing…'))
    expect(sent).toBeGreaterThan(0)
    await t.run(1_000, 10)
    const reached = got.slice(1).filter((g) => g.length > 0).length
    // Best effort (nothing repairs an ephemeral message): forwarding carries it past the
    // direct pushes to (nearly) the whole room.
    expect(reached).toBeGreaterThan(sent)
    expect(reached).toBeGreaterThanOrEqual(8)
    for (const g of got.slice(1)) for (const d of g) expect(d.ephemeral).toBe(true)
    for (const g of got.slice(1)) expect(g.length).toBeLessThanOrEqual(1)
    for (const n of t.nodes) expect(n.stats().overlays[0]!.bundlesStored).toBe(0)
    await t.stop()
  })
})

describe('PushService bounds', () => {
  function service(overrides: Parameters<typeof pushOptions>[0] = {}) {
    const clock = new ManualClock(0)
    const rng = new SeededRng(5)
    const overlay = new OverlayState(new Uint8Array(32).fill(7), { start: 0, stored: 0, sync: syncConfig(), store: undefined, rng })
    const sent: { to: Address; packet: Packet }[] = []
    const peers = Array.from({ length: 20 }, (_, i) => ({ host: `10.0.${i}.1`, port: 1000 + i }))
    for (const p of peers) overlay.candidates.recordStumble(`${p.host}:${p.port}`, { lan: p, wan: p, connectionType: 'public' }, 0)
    const push = new PushService(overrides, {
      clock,
      rng,
      guard: { isValidated: () => true },
      send: (to, _o, packet) => {
        sent.push({ to, packet })
        return true
      },
      accept: async (_o, bundles) => [...bundles],
      acceptEphemeral: (_o, bundles) => [...bundles]
    })
    return { clock, overlay, sent, peers, push }
  }

  it('forwards at most maxForwardsPerSourcePerSecond bundles for one source, and again the next second', async () => {
    const s = service({ maxForwardsPerSourcePerSecond: 10, forwardFanout: 2, freshWindow: 100 })
    const bundles = makeBundles(30, { overlay: s.overlay.id, sequential: true })
    s.overlay.clock.observe(30, bundles[0]!.author, 0)
    for (const b of bundles) await s.push.receive(s.overlay, { type: 'push', bundles: [b], hops: 2 }, s.peers[0]!)
    expect(s.push.stats().overBudget).toBe(20)
    expect(s.sent.length).toBe(10 * 2)
    expect(s.sent.every((x) => x.to.host !== s.peers[0]!.host)).toBe(true) // never back to the sender
    expect(s.sent.every((x) => x.packet.type === 'push' && x.packet.hops === 1)).toBe(true)
    s.clock.advance(1_000)
    const more = makeBundles(1, { overlay: s.overlay.id, seed: 99, sequential: true })
    await s.push.receive(s.overlay, { type: 'push', bundles: more, hops: 2 }, s.peers[0]!)
    expect(s.sent.length).toBe(10 * 2 + 2)
  })

  it('forwards at most maxForwardsPerSecond bundles in all, whatever the number of sources', async () => {
    const s = service({ maxForwardsPerSecond: 5, forwardFanout: 1 })
    const bundles = makeBundles(20, { overlay: s.overlay.id, sequential: true })
    for (let i = 0; i < bundles.length; i++) await s.push.receive(s.overlay, { type: 'push', bundles: [bundles[i]!], hops: 1 }, s.peers[i % 20]!)
    expect(s.sent.length).toBe(5)
    expect(s.push.stats().overBudget).toBe(15)
  })

  it('remembers at most maxSources sources', async () => {
    const s = service({ maxSources: 16 })
    const bundles = makeBundles(200, { overlay: s.overlay.id, sequential: true })
    for (let i = 0; i < bundles.length; i++) await s.push.receive(s.overlay, { type: 'push', bundles: [bundles[i]!], hops: 1 }, { host: `192.0.2.${i % 250}`, port: 7000 + i })
    expect(s.push.trackedSources).toBe(16)
  })

  it('does not forward a stale bundle, one with no hops left, or beyond its own hop limit', async () => {
    const s = service({ freshWindow: 16, hops: 2 })
    const [old, last] = makeBundles(2, { overlay: s.overlay.id, sequential: true })
    s.overlay.clock.observe(100, old!.author, 0)
    await s.push.receive(s.overlay, { type: 'push', bundles: [old!], hops: 3 }, s.peers[0]!) // global time 1, ours 100
    await s.push.receive(s.overlay, { type: 'push', bundles: [last!], hops: 0 }, s.peers[0]!)
    expect(s.sent).toEqual([])
    expect(s.push.stats().notForwarded).toBe(2)
    // (The fake intake accepts without checking signatures: only the global time matters here.)
    const recent = { ...makeBundles(1, { overlay: s.overlay.id, seed: 3 })[0]!, globalTime: 95 }
    await s.push.receive(s.overlay, { type: 'push', bundles: [recent], hops: 8 }, s.peers[0]!)
    expect(s.sent.length).toBeGreaterThan(0)
    expect(s.sent.every((x) => x.packet.type === 'push' && x.packet.hops === 1)).toBe(true) // min(8, our 2) − 1
  })
})
