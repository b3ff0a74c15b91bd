/**
 * Push on publish, bounded forwarding and no stall at first contact (DESIGN §13), over the
 * in-memory network on virtual time.
 */
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../src/env/clock.js'
import { SeededRng } from '../../src/env/rng.js'
import type { Delivery } from '../../src/node/index.js'
import { OverlayWalk } from '../../src/node/overlay.js'
import { shortOf } from '../../src/node/push-wants.js'
import { BusyRoomSpread } from '../../src/node/push-busy.js'
import { BUSY_WINDOW_SECONDS, PushService, pushOptions, RECENT_FIRST, type PushOptions } from '../../src/node/push.js'
import { UnreliableTransport } from '../../src/sim/unreliable.js'
import { decodePacket, encodePacket, type Address, type Packet } from '../../src/wire/index.js'
import { hex, makeAuthors, makeBundles } from '../helpers/bundles.js'
import { signBundle, type KeyPair } from '../../src/bundle/index.js'
import { testnet } from './harness.js'

const text = (s: string) => new TextEncoder().encode(s)

/** Lets the promise chains a fired timer started (store look-ups) run to their end. */
async function flushed(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve()
}

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

describe('push on publish to trusted peers (docs/security.md, rule 7)', () => {
  /** b holds data (it published); a trusts the tracker and b, its only candidates, after 12 s. */
  async function trustingPair(push: Partial<PushOptions>) {
    const t = await testnet({ peers: 0, seed: 35 })
    const bTransport = t.net.bind()
    const b = await t.addPeer({ transport: bTransport })
    await b.publish(t.overlay, text('b holds data'))
    const a = await t.addPeer({ trusted: [t.trackerAddress, bTransport.address()], push })
    await t.run(12_000, 10)
    return { t, a, b }
  }

  it('a published bundle also goes to a validated trusted peer that holds data, never to a tracker', async () => {
    const { t, a, b } = await trustingPair({ fanout: 6 })
    // a's only candidates are trusted (the tracker and b): the plain push targets exclude them.
    const before = b.stats().push.received
    const delay = await deliveryDelay(t, b, () => a.publish(t.overlay, text('to my trusted peer')), 5_000)
    expect(delay).toBeLessThanOrEqual(100) // one push, not a walk
    expect(b.stats().push.received).toBe(before + 1)
    expect(a.stats().push.published).toBe(1) // b only: the tracker reported global time 0
    await t.stop()
  })

  it('trustedFanout 0 sends nothing to trusted peers', async () => {
    const { t, a } = await trustingPair({ trustedFanout: 0 })
    await a.publish(t.overlay, text('walked, not pushed'))
    await t.run(100, 10)
    expect(a.stats().push.published).toBe(0)
    await t.stop()
  })
})

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
    // A walk carries an offer only to an address that has validated (else it is a filterless
    // probe, walker.ts), so the bound holds an answer back when the responder has not
    // validated the walker in turn: here a peer restarted at the same address (a fresh
    // token secret, a store full of bundles) that b had validated before the restart.
    const t = await testnet({ peers: 0, seed: 32 })
    const first = t.net.bind()
    const at = first.address()
    const before = await t.addPeer({ transport: first })
    const b = await t.addPeer()
    await t.run(12_000, 10)
    expect(b.candidates(t.overlay).some((c) => c.key === `${at.host}:${at.port}`)).toBe(true)
    await before.stop()
    await first.close()
    // The restarted peer does not walk or push: b's walk makes the first exchange. Its
    // punctures are lost (a NAT in the way), so b holds no token of its (a puncture's token
    // would validate b at once: test/node/puncture-token.test.ts).
    const noPunctures = new UnreliableTransport(t.net.bind(at), 0, new SeededRng(1), (bytes) => decodePacket(bytes)?.packet.type === 'puncture')
    const a = await t.addPeer({ transport: noPunctures, stepIntervalMs: 10_000_000, push: { fanout: 0 } })
    for (let i = 0; i < 60; i++) await a.publish(t.overlay, new Uint8Array(150).fill(i))
    let walked = false
    b.events.on('walk', ({ to }) => {
      if (to.host === at.host && to.port === at.port) walked = true
    })
    for (let waited = 0; !walked && waited < 60_000; waited += 10) await t.run(10, 10)
    expect(walked).toBe(true)
    await t.run(1_000, 10)
    expect(a.stats().answersDeferred).toBeGreaterThan(0)
    expect(b.stats().firstContact.retries).toBeGreaterThan(0)
    // A whole answer (5 120 bytes of ~300-byte bundles) arrived within a second of that walk, not the ~3.4 kB the bound allows.
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
    const t = await testnet({ peers: 8, seed: 35, peer: { push: { fanout: 1, forwardFanout: 1, hops: 3, announceFanout: 0 } } })
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

  it('with the defaults (forward to 1, announce to 4) a published bundle reaches a settled room of 24 within a second, partly by announced ids asked for', async () => {
    const t = await testnet({ peers: 24, seed: 37 })
    await t.run(60_000)
    const got = new Set<number>()
    t.nodes.forEach((n, i) => n.events.on('bundle', (d) => d.own || got.add(i)))
    const start = t.clock.now()
    await t.nodes[0]!.publish(t.overlay, text('everyone'))
    let all: number | undefined
    for (let waited = 0; all === undefined && waited < 5_000; waited += 10) {
      await t.run(10, 10)
      if (got.size === t.nodes.length - 1) all = t.clock.now() - start
    }
    expect(all).toBeDefined()
    expect(all!).toBeLessThanOrEqual(1_000)
    const sum = (k: 'announced' | 'wanted' | 'fetched') => t.nodes.reduce((n, x) => n + x.stats().push[k], 0)
    expect(sum('announced')).toBeGreaterThan(0)
    expect(sum('fetched')).toBeGreaterThan(0)
    expect(sum('fetched')).toBeLessThanOrEqual(sum('wanted'))
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
  /** A push service over 20 validated stumble candidates; announcements off unless asked for. */
  function service(overrides: Parameters<typeof pushOptions>[0] = {}, stepIntervalMs?: number) {
    const clock = new ManualClock(0)
    const rng = new SeededRng(5)
    const overlay = new OverlayWalk(new Uint8Array(32).fill(7), {})
    const sent: { to: Address; packet: Packet }[] = []
    const peers = Array.from({ length: 20 }, (_, i) => ({ host: `10.0.${i}.1`, port: 1000 + i }))
    for (const p of peers) overlay.recordStumble(`${p.host}:${p.port}`, { lan: p, wan: p, connectionType: 'public' }, 0)
    const held = new Set<string>()
    // Never busy unless a test says so: the budgets' tests push far more than a busy room's rate.
    const push = new PushService({ announceFanout: 0, busyFreshPerSecond: 1_000_000, ...overrides }, {
      clock,
      rng,
      guard: { isValidated: () => true },
      send: (to, _o, packet) => {
        sent.push({ to, packet })
        return true
      },
      accept: async (_o, bundles) => {
        const fresh = bundles.filter((b) => !held.has(hex(b.id)))
        for (const b of fresh) held.add(hex(b.id))
        return fresh
      },
      acceptEphemeral: (_o, bundles) => [...bundles],
      has: async (_o, id) => held.has(hex(id)),
      hasShort: async (_o, short) => [...held].some((k) => hex(shortOf(Buffer.from(k, 'hex'))) === hex(short)),
      stepIntervalMs
    })
    return { clock, overlay, sent, peers, push, held }
  }

  it('draws up to RECENT_FIRST targets first among the candidates that walked to us within the last walk step behind the bundle\'s global time, one per /24; the rest uniformly; without a step or a global time all alike', () => {
    expect(RECENT_FIRST).toBe(2)
    const clock = new ManualClock(0)
    const overlay = new OverlayWalk(new Uint8Array(32).fill(7), {})
    const peers = Array.from({ length: 20 }, (_, i) => ({ host: `10.0.${i}.1`, port: 1000 + i }))
    // A Sybil's four ports on one /24.
    const sybil = Array.from({ length: 4 }, (_, i) => ({ host: '10.9.9.9', port: 2000 + i }))
    const key = (p: Address) => `${p.host}:${p.port}`
    const stumble = (p: Address, at: number) => overlay.recordStumble(key(p), { lan: p, wan: p, connectionType: 'public' }, at)
    for (const p of peers) stumble(p, 0)
    clock.advance(10_000)
    // Peers 7 and 11 walked to us 1 and 2.5 s ago; the others 10 s ago.
    for (const [i, ago] of [[7, 1_000], [11, 2_500]] as const) stumble(peers[i]!, 10_000 - ago)
    // They reported global time 5 in their walks; peer 15 walked just now too, reporting 12.
    for (const i of [7, 11]) overlay.notePeerTime(key(peers[i]!), 5)
    stumble(peers[15]!, 9_500)
    overlay.notePeerTime(key(peers[15]!), 12)
    const G = 10
    const components = (stepIntervalMs?: number) => ({
      clock,
      rng: new SeededRng(3),
      guard: { isValidated: () => true },
      send: () => true,
      accept: async () => [],
      acceptEphemeral: () => [],
      has: async () => false,
      hasShort: async () => false,
      stepIntervalMs
    })
    const recent = new Set([7, 11].map((i) => key(peers[i]!)))
    const push = new PushService({}, components(5_000))
    for (let draw = 0; draw < 20; draw++) {
      const five = push.targets(overlay, 5, undefined, G).map(key)
      expect(five).toHaveLength(5)
      expect(new Set(five.slice(0, 2))).toEqual(recent)
      expect(new Set(five).size).toBe(5)
      // One target: a recent walker, and only one (never more than asked for).
      const one = push.targets(overlay, 1, undefined, G).map(key)
      expect(one).toHaveLength(1)
      expect(recent.has(one[0]!)).toBe(true)
      // Excluded ones (the sender, known holders) stay out whatever their walk.
      expect(push.targets(overlay, 5, new Set([key(peers[7]!)]), G).map(key)).not.toContain(key(peers[7]!))
    }
    // A step of 2 s: only peers 7 and 15 walked within it, and 15 is not behind.
    expect(new PushService({}, components(2_000)).targets(overlay, 1, undefined, G).map(key)).toEqual([key(peers[7]!)])
    // Spreading something at global time 13, peer 15 is behind too: two of the three come first.
    const three = new PushService({}, components(5_000)).targets(overlay, 5, undefined, 13).map(key)
    expect(three.slice(0, 2).every((k) => [...recent, key(peers[15]!)].includes(k))).toBe(true)
    // No step, or no global time: uniform over all 20 (some draw of 5 leaves a recent walker out).
    for (const plain of [new PushService({}, components()), push]) {
      const draws = Array.from({ length: 20 }, () => plain.targets(overlay, 5, undefined, plain === push ? undefined : G).map(key))
      expect(draws.some((d) => [...recent].some((k) => !d.includes(k)))).toBe(true)
    }
    // The Sybil's ports all walked to us just now, behind: at most one of them comes first, not four.
    for (const p of sybil) {
      stumble(p, 9_900)
      overlay.notePeerTime(key(p), 1)
    }
    for (let draw = 0; draw < 20; draw++) {
      const first = push.targets(overlay, 8, undefined, G).map(key).slice(0, 2)
      expect(first.filter((k) => k.startsWith('10.9.9.9:')).length).toBeLessThanOrEqual(1)
      expect(first.filter((k) => k.startsWith('10.9.9.9:') || recent.has(k)).length).toBe(2)
    }
  })

  it('a fresh bundle we take in but do not spread (no hops left, or an answer not asked for) is announced, hops 0, to up to RECENT_FIRST recent walkers at or below its global time, one per /24, never its sender; none while busy or for a stale one', async () => {
    const s = service({ freshWindow: 16, announceDelayMs: 0 }, 5_000)
    const key = (p: Address) => `${p.host}:${p.port}`
    s.clock.advance(10_000)
    // Peers 3, 4 and 5 walked to us within the last step at global time 1 (at, not below, what we take in); peer 6 too, but ahead of it.
    const walked = (p: Address, gt: number) => {
      s.overlay.recordStumble(key(p), { lan: p, wan: p, connectionType: 'public' }, 9_000)
      s.overlay.notePeerTime(key(p), gt)
    }
    for (const i of [3, 4, 5]) walked(s.peers[i]!, 1)
    walked(s.peers[6]!, 9)
    const [b1, b2, stale] = makeBundles(3, { overlay: s.overlay.id, sequential: true })
    const told = () => s.sent.filter((x) => x.packet.type === 'push' && x.packet.bundles.length === 0)
    // A push with no hops left from peer 3: two of peers 4 and 5 (not 3, the sender; not 6, ahead), ids only, hops 0.
    await s.push.receive(s.overlay, { type: 'push', bundles: [{ ...b1!, globalTime: 1 }], hops: 0 }, s.peers[3]!)
    expect(told().map((x) => key(x.to)).sort()).toEqual([key(s.peers[4]!), key(s.peers[5]!)].sort())
    expect(told().every((x) => x.packet.type === 'push' && x.packet.hops === 0)).toBe(true)
    expect(s.push.stats().toldWalkers).toBe(2)
    s.sent.length = 0
    // An answer we did not ask for (the walk's): the same, the sender left out.
    s.push.fetched(s.overlay, [{ ...b2!, globalTime: 1 }], s.peers[4]!)
    expect(told().map((x) => key(x.to)).sort()).toEqual([key(s.peers[3]!), key(s.peers[5]!)].sort())
    s.sent.length = 0
    // A stale one (our clock far ahead) tells nobody.
    s.overlay.clock.observe(100, stale!.author, 0)
    s.push.fetched(s.overlay, [stale!], s.peers[4]!)
    expect(told()).toEqual([])
    // Three walkers behind on one /24 (a Sybil's ports): one of them is told, not three.
    const sybil = Array.from({ length: 3 }, (_, i) => ({ host: '10.9.9.9', port: 2000 + i }))
    const q = service({ freshWindow: 16, announceDelayMs: 0 }, 5_000)
    q.clock.advance(10_000)
    for (const p of sybil) {
      q.overlay.recordStumble(key(p), { lan: p, wan: p, connectionType: 'public' }, 9_500)
      q.overlay.notePeerTime(key(p), 0)
    }
    await q.push.receive(q.overlay, { type: 'push', bundles: [{ ...b1!, globalTime: 1 }], hops: 0 }, q.peers[0]!)
    expect(q.sent.map((x) => key(x.to))).toHaveLength(1)
    expect(q.sent[0]!.to.host).toBe('10.9.9.9')
    // A busy room tells nobody (the walk carries it).
    const busy = service({ freshWindow: 16, announceDelayMs: 0, busyFreshPerSecond: 0 }, 5_000)
    busy.clock.advance(10_000)
    busy.overlay.recordStumble(key(busy.peers[4]!), { lan: busy.peers[4]!, wan: busy.peers[4]!, connectionType: 'public' }, 9_000)
    busy.overlay.notePeerTime(key(busy.peers[4]!), 0)
    await busy.push.receive(busy.overlay, { type: 'push', bundles: [{ ...b1!, globalTime: 1 }], hops: 0 }, busy.peers[0]!)
    expect(busy.sent).toEqual([])
  })

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

  it('announces a fresh bundle\'s id (no bundle) to announceFanout candidates beside the forward targets, none of them the sender', async () => {
    const s = service({ forwardFanout: 2, announceFanout: 3 })
    const [b] = makeBundles(1, { overlay: s.overlay.id, sequential: true })
    await s.push.receive(s.overlay, { type: 'push', bundles: [b!], hops: 4 }, s.peers[0]!)
    expect(s.sent).toHaveLength(2) // the copies at once, the announcements after announceDelayMs
    s.clock.advance(pushOptions().announceDelayMs)
    const copies = s.sent.filter((x) => x.packet.type === 'push' && x.packet.bundles.length === 1)
    const announcements = s.sent.filter((x) => x.packet.type === 'push' && x.packet.bundles.length === 0)
    expect(copies).toHaveLength(2)
    expect(announcements).toHaveLength(3)
    // By short id (the id's item hash): 8 bytes a name instead of 32.
    for (const a of announcements) expect(a.packet).toEqual({ type: 'push', bundles: [], hops: 3, haveShort: [shortOf(b!.id)] })
    const to = s.sent.map((x) => `${x.to.host}:${x.to.port}`)
    expect(new Set(to).size).toBe(5)
    expect(to).not.toContain(`${s.peers[0]!.host}:${s.peers[0]!.port}`)
    expect(s.push.stats()).toMatchObject({ forwarded: 2, announced: 3 })
  })

  it('an announced id we lack is asked for once from its announcer; when it comes it spreads with the announcement\'s hops', async () => {
    const s = service({ forwardFanout: 1, announceFanout: 1, wantTimeoutMs: 1_000, announceDelayMs: 0 })
    const [b, known] = makeBundles(2, { overlay: s.overlay.id, sequential: true })
    s.held.add(hex(known!.id))
    await s.push.receive(s.overlay, { type: 'push', bundles: [], hops: 3, have: [b!.id, known!.id] }, s.peers[1]!)
    expect(s.sent).toEqual([{ to: s.peers[1], packet: { type: 'bundle-request', ids: [b!.id] } }])
    // A second announcer while the ask is out is not asked (it is remembered: next test).
    await s.push.receive(s.overlay, { type: 'push', bundles: [], hops: 3, have: [b!.id] }, s.peers[2]!)
    expect(s.sent).toHaveLength(1)
    expect(s.push.stats().wanted).toBe(1)
    // The bundle arrives (in a bundles datagram): it spreads on, one hop fewer than announced:
    // two announcers say it is widespread here, so lazily (its id to the forward target),
    // and the second took the one announcement off (next tests).
    s.held.add(hex(b!.id))
    s.push.fetched(s.overlay, [b!], s.peers[1]!)
    const spread = s.sent.slice(1)
    expect(spread).toHaveLength(1)
    expect(spread.every((x) => x.packet.type === 'push' && x.packet.hops === 2)).toBe(true)
    expect(s.push.stats().fetched).toBe(1)
    // Only once: a bundle we did not ask for, or asked for and got, spreads no further.
    s.push.fetched(s.overlay, [b!, known!], s.peers[3]!)
    expect(s.sent).toHaveLength(2)
    // And the answered ask is not asked again of the other announcer.
    s.clock.advance(5_000)
    await flushed()
    expect(s.sent).toHaveLength(2)
  })

  it('a busy room: above busyFreshPerSecond new bundles a second over the last BUSY_WINDOW_SECONDS none is spread; new bundles by the walk count too; quiet again once they age out', async () => {
    const W = BUSY_WINDOW_SECONDS
    const s = service({ forwardFanout: 1, announceFanout: 2, busyFreshPerSecond: 1, busyAuthorsPerSecond: 0, freshWindow: 10_000, announceDelayMs: 0, maxForwardsPerSourcePerSecond: 1_000 })
    const bundles = makeBundles(W + 6, { overlay: s.overlay.id, sequential: true })
    s.overlay.clock.observe(W + 6, bundles[0]!.author, 0)
    for (const b of bundles.slice(0, W)) await s.push.receive(s.overlay, { type: 'push', bundles: [b], hops: 3 }, s.peers[0]!)
    expect(s.sent).toHaveLength(W * 3) // W in W seconds: one a second, not above it; each forwarded and announced
    s.push.fetched(s.overlay, [bundles[W]!], s.peers[1]!) // one more by the walk: busy now
    await s.push.receive(s.overlay, { type: 'push', bundles: [bundles[W + 1]!], hops: 3 }, s.peers[0]!)
    expect(s.sent).toHaveLength(W * 3)
    expect(s.push.stats().busy).toBe(1)
    s.clock.advance((W - 1) * 1_000) // still within the window: busy
    await s.push.receive(s.overlay, { type: 'push', bundles: [bundles[W + 2]!], hops: 3 }, s.peers[0]!)
    expect(s.push.stats().busy).toBe(2)
    s.clock.advance(1_500) // those of the first second aged out: two in the window, quiet
    await s.push.receive(s.overlay, { type: 'push', bundles: [bundles[W + 3]!], hops: 3 }, s.peers[0]!)
    expect(s.sent).toHaveLength((W + 1) * 3)
    // A burst makes it busy again; our own bundles still go out on publish, busy or not.
    s.push.fetched(s.overlay, bundles.slice(0, W), s.peers[1]!)
    await s.push.receive(s.overlay, { type: 'push', bundles: [bundles[W + 4]!], hops: 3 }, s.peers[0]!)
    expect(s.push.stats().busy).toBe(3)
    expect(s.push.publish(s.overlay, bundles[W + 5]!)).toBe(pushOptions().fanout)
  })

  it('a busy room still spreads one bundle per author per BUSY_WINDOW_SECONDS, at most busyAuthorsPerSecond a second in all; the authors remembered are bounded', async () => {
    const W = BUSY_WINDOW_SECONDS
    const s = service({ forwardFanout: 1, announceFanout: 0, busyFreshPerSecond: 1, busyAuthorsPerSecond: 2, freshWindow: 10_000, announceDelayMs: 0, maxForwardsPerSourcePerSecond: 1_000 })
    const [alice, bob, carol] = makeAuthors(3, 77)
    const by = (author: KeyPair, n: number, from: number) => Array.from({ length: n }, (_, i) => signBundle({ overlay: s.overlay.id, globalTime: from + i, kind: 1, body: new Uint8Array([i]) }, author))
    s.overlay.clock.observe(1_000, alice!.publicKey, 0)
    s.push.fetched(s.overlay, makeBundles(W + 1, { overlay: s.overlay.id, seed: 3 }), s.peers[1]!) // the walk brought a flood: busy
    // A flood of one author: its first bundle spread, the rest left to the walk.
    for (const b of by(alice!, 5, 100)) await s.push.receive(s.overlay, { type: 'push', bundles: [b], hops: 3 }, s.peers[0]!)
    expect(s.sent).toHaveLength(1)
    expect(s.push.stats().busy).toBe(4)
    // Another author within the same second: spread (2 a second); a third: over the rate.
    await s.push.receive(s.overlay, { type: 'push', bundles: by(bob!, 1, 200), hops: 3 }, s.peers[0]!)
    await s.push.receive(s.overlay, { type: 'push', bundles: by(carol!, 1, 300), hops: 3 }, s.peers[0]!)
    expect(s.sent).toHaveLength(2)
    s.clock.advance(1_000)
    await s.push.receive(s.overlay, { type: 'push', bundles: by(carol!, 1, 301), hops: 3 }, s.peers[0]!)
    await s.push.receive(s.overlay, { type: 'push', bundles: by(alice!, 1, 105), hops: 3 }, s.peers[0]!)
    expect(s.sent).toHaveLength(3) // carol's first; alice spread within the window already
    s.clock.advance(W * 1_000)
    s.push.fetched(s.overlay, makeBundles(W + 1, { overlay: s.overlay.id, seed: 4 }), s.peers[1]!)
    await s.push.receive(s.overlay, { type: 'push', bundles: by(alice!, 1, 106), hops: 3 }, s.peers[0]!)
    expect(s.sent).toHaveLength(4) // a window later: alice again
    expect(s.push.busyAuthors).toBe(3)
    // The authors remembered are bounded: fresh identities, one a second, each spread once.
    const spread = new BusyRoomSpread(W, 2, 16)
    for (let i = 0; i < 100; i++) expect(spread.admit(Uint8Array.of(i), i * 1_000)).toBe(true)
    expect(spread.size).toBe(16)
    expect(new BusyRoomSpread(W, 0).admit(Uint8Array.of(1), 0)).toBe(false)
  })

  it('feedback: announcers heard hold the bundle and are never targets; each beyond the first takes one announcement off, and with two or more it goes on lazily (ids only, to forwardFanout + the announcements)', async () => {
    for (const announcers of [1, 2, 4]) {
      const s = service({ forwardFanout: 1, announceFanout: 4, wantTimeoutMs: 1_000, announceDelayMs: 0 })
      const [b] = makeBundles(1, { overlay: s.overlay.id, sequential: true })
      for (let i = 1; i <= announcers; i++) await s.push.receive(s.overlay, { type: 'push', bundles: [], hops: 3, have: [b!.id] }, s.peers[i]!)
      s.sent.length = 0
      s.held.add(hex(b!.id))
      s.push.fetched(s.overlay, [b!], s.peers[1]!)
      const whole = s.sent.filter((x) => x.packet.type === 'push' && x.packet.bundles.length > 0)
      const ids = s.sent.filter((x) => x.packet.type === 'push' && x.packet.bundles.length === 0)
      const lazy = announcers >= 2
      expect(whole).toHaveLength(lazy ? 0 : 1)
      expect(ids).toHaveLength((lazy ? 1 : 0) + 4 - (announcers - 1))
      const holders = new Set(s.peers.slice(1, announcers + 1).map((p) => p.host))
      expect(s.sent.some((x) => holders.has(x.to.host))).toBe(false)
    }
  })

  it('feedback also when a push brings a bundle that was announced and asked for: it goes on lazily, and its announcers are not targets', async () => {
    const s = service({ forwardFanout: 1, announceFanout: 4, wantTimeoutMs: 1_000, announceDelayMs: 0 })
    const [b] = makeBundles(1, { overlay: s.overlay.id, sequential: true })
    s.overlay.clock.observe(b!.globalTime, b!.author, 0)
    for (let i = 1; i <= 3; i++) await s.push.receive(s.overlay, { type: 'push', bundles: [], hops: 3, have: [b!.id] }, s.peers[i]!)
    s.sent.length = 0
    await s.push.receive(s.overlay, { type: 'push', bundles: [b!], hops: 3 }, s.peers[5]!)
    expect(s.sent).toHaveLength(1 + 2)
    expect(s.sent.every((x) => x.packet.type === 'push' && x.packet.bundles.length === 0)).toBe(true)
    const notTargets = new Set([1, 2, 3, 5].map((i) => s.peers[i]!.host))
    expect(s.sent.some((x) => notTargets.has(x.to.host))).toBe(false)
    expect(s.push.wantedIds).toBe(0) // the ask is done: no re-ask of the other announcers
  })

  it('a short id announced that we lack is asked for by short id; one we hold (by its item hash) is not; its bundle settles the ask', async () => {
    const s = service({ forwardFanout: 1, announceFanout: 1, wantTimeoutMs: 1_000, announceDelayMs: 0 })
    const [b, known] = makeBundles(2, { overlay: s.overlay.id, sequential: true })
    s.held.add(hex(known!.id))
    await s.push.receive(s.overlay, { type: 'push', bundles: [], hops: 3, haveShort: [shortOf(b!.id), shortOf(known!.id)] }, s.peers[1]!)
    expect(s.sent).toEqual([{ to: s.peers[1], packet: { type: 'bundle-request', ids: [], shortIds: [shortOf(b!.id)] } }])
    // The same bundle announced by full id (an older peer) while the ask is out: not asked again.
    await s.push.receive(s.overlay, { type: 'push', bundles: [], hops: 3, have: [b!.id] }, s.peers[2]!)
    expect(s.sent).toHaveLength(1)
    s.held.add(hex(b!.id))
    s.push.fetched(s.overlay, [b!], s.peers[1]!)
    expect(s.push.stats()).toMatchObject({ wanted: 1, fetched: 1 })
    expect(s.push.wantedIds).toBe(0)
  })

  it('an ask not answered within wantTimeoutMs goes to the next announcer heard meanwhile, one bundle-request per announcer, the last one once more, then is forgotten', async () => {
    const s = service({ forwardFanout: 1, announceFanout: 1, wantTimeoutMs: 1_000, announceDelayMs: 0 })
    const [x, y] = makeBundles(2, { overlay: s.overlay.id, sequential: true })
    await s.push.receive(s.overlay, { type: 'push', bundles: [], hops: 3, have: [x!.id, y!.id] }, s.peers[1]!)
    expect(s.sent).toHaveLength(1)
    // Four more announce both while the ask is out (and one repeats itself): three are remembered.
    for (const i of [2, 3, 3, 4, 5]) await s.push.receive(s.overlay, { type: 'push', bundles: [], hops: 3, have: [x!.id, y!.id] }, s.peers[i]!)
    expect(s.sent).toHaveLength(1)
    // The answer never comes (lost, or shed): after the timeout the next announcer is asked, for both ids in one datagram.
    s.clock.advance(999)
    await flushed()
    expect(s.sent).toHaveLength(1)
    s.clock.advance(1)
    await flushed()
    expect(s.sent.slice(1)).toEqual([{ to: s.peers[2], packet: { type: 'bundle-request', ids: [x!.id, y!.id] } }])
    // x arrives by some other path (the walk); y does not: only y is asked of the third announcer.
    s.held.add(hex(x!.id))
    s.clock.advance(1_000)
    await flushed()
    expect(s.sent.slice(2)).toEqual([{ to: s.peers[3], packet: { type: 'bundle-request', ids: [y!.id] } }])
    s.clock.advance(1_000)
    await flushed()
    expect(s.sent.slice(3)).toEqual([{ to: s.peers[4], packet: { type: 'bundle-request', ids: [y!.id] } }])
    expect(s.push.stats().wanted).toBe(2 + 2 + 1 + 1)
    // peers[5] was the fourth other announcer: beyond MAX_OTHER_ANNOUNCERS, never asked. With no
    // other announcer left, the last one asked is asked once more (a lost request or answer)…
    s.clock.advance(1_000)
    await flushed()
    expect(s.sent.slice(4)).toEqual([{ to: s.peers[4], packet: { type: 'bundle-request', ids: [y!.id] } }])
    // …then the id is forgotten.
    s.clock.advance(1_000)
    await flushed()
    expect(s.sent).toHaveLength(5)
    expect(s.push.wantedIds).toBe(0)
    expect(s.clock.pending).toBe(0)
    // The next announcement asks again.
    await s.push.receive(s.overlay, { type: 'push', bundles: [], hops: 3, have: [y!.id] }, s.peers[6]!)
    expect(s.sent.slice(5)).toEqual([{ to: s.peers[6], packet: { type: 'bundle-request', ids: [y!.id] } }])
  })

  it('stop() forgets the asks and cancels the re-ask timer', async () => {
    const s = service({ wantTimeoutMs: 1_000, announceDelayMs: 0 })
    const [x] = makeBundles(1, { overlay: s.overlay.id, sequential: true })
    await s.push.receive(s.overlay, { type: 'push', bundles: [], hops: 3, have: [x!.id] }, s.peers[1]!)
    await s.push.receive(s.overlay, { type: 'push', bundles: [], hops: 3, have: [x!.id] }, s.peers[2]!)
    expect(s.clock.pending).toBe(1)
    s.push.stop()
    expect(s.clock.pending).toBe(0)
    s.clock.advance(5_000)
    await flushed()
    expect(s.sent).toHaveLength(1)
  })

  it('announcements made within announceDelayMs share one datagram per candidate (up to 32 ids); stop() drops those not sent and their timer', async () => {
    const s = service({ forwardFanout: 0, announceFanout: 20, announceDelayMs: 25, maxForwardsPerSourcePerSecond: 1_000, freshWindow: 1_000 })
    const bundles = makeBundles(40, { overlay: s.overlay.id, sequential: true })
    for (const b of bundles) await s.push.receive(s.overlay, { type: 'push', bundles: [b], hops: 2 }, s.peers[0]!)
    // 19 candidates besides the sender: each got one full datagram of 32 ids at once.
    expect(s.sent).toHaveLength(19)
    expect(s.sent.every((x) => x.packet.type === 'push' && x.packet.haveShort?.length === 32)).toBe(true)
    s.clock.advance(25)
    expect(s.sent).toHaveLength(38)
    expect(s.sent.slice(19).every((x) => x.packet.type === 'push' && x.packet.haveShort?.length === 8)).toBe(true)
    const perTarget = new Map<string, number>()
    for (const x of s.sent) if (x.packet.type === 'push') perTarget.set(`${x.to.host}:${x.to.port}`, (perTarget.get(`${x.to.host}:${x.to.port}`) ?? 0) + x.packet.haveShort!.length)
    expect([...perTarget.values()].every((n) => n === 40)).toBe(true)
    expect(s.push.stats().announced).toBe(38)
    // Pending announcements die with stop(), and so does their timer.
    const more = makeBundles(1, { overlay: s.overlay.id, seed: 77, sequential: true })
    await s.push.receive(s.overlay, { type: 'push', bundles: more, hops: 2 }, s.peers[0]!)
    expect(s.clock.pending).toBe(1)
    s.push.stop()
    expect(s.clock.pending).toBe(0)
    s.clock.advance(1_000)
    expect(s.sent).toHaveLength(38)
  })

  it('remembers at most maxWanted announced ids', async () => {
    const s = service({ maxWanted: 8 })
    const ids = Array.from({ length: 40 }, (_, i) => new Uint8Array(32).fill(i + 1))
    for (let i = 0; i < ids.length; i += 4) await s.push.receive(s.overlay, { type: 'push', bundles: [], hops: 1, have: ids.slice(i, i + 4) }, s.peers[0]!)
    expect(s.push.wantedIds).toBe(8)
    s.push.stop()
    expect(s.push.wantedIds).toBe(0)
  })

  it('ephemeral messages are never announced (they cannot be asked for): every spread target gets them whole', async () => {
    const s = service({ forwardFanout: 1, announceFanout: 4 })
    const [b] = makeBundles(1, { overlay: s.overlay.id, sequential: true })
    await s.push.receive(s.overlay, { type: 'push', bundles: [b!], hops: 2, ephemeral: true }, s.peers[0]!)
    expect(s.sent).toHaveLength(5)
    for (const x of s.sent) expect(x.packet).toMatchObject({ type: 'push', bundles: [b], ephemeral: true })
    expect(s.push.stats()).toMatchObject({ forwarded: 5, announced: 0 })
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
