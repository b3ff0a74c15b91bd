/**
 * A private group is served to its members only (issue 19). Node `a` shares the group with
 * `b` alone and sends a private message; a third node `c` knows the 32-byte group id, joins
 * it as an ordinary overlay (no MVDS) and walks, and a raw socket `probe` sends every request
 * a non-member could try: a Bloom offer over all of history, a by-id bundle-request, a
 * symbols-request (idle check and fetch), an MVDS payload (OFFER, REQUEST) and a bundle
 * pushed into the group. The non-member must get nothing: no bundle, no count, no global
 * time — no datagram of the group's overlay at all — and nothing it pushes is stored.
 * Run over MemoryNetwork and loopback UDP, with the tracker and `trusted` as defaults and
 * without a tracker (c trusts a and b directly, so it walks straight at them).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { BloomFilter } from '../../src/bloom/index.js'
import { roomId, signBundle, generateKeyPair } from '../../src/bundle/index.js'
import { SystemClock } from '../../src/env/clock.js'
import { SeededRng } from '../../src/env/rng.js'
import { createNode, type BloomwalkNode } from '../../src/node/index.js'
import { MemoryStore } from '../../src/store/memory.js'
import { offerSize } from '../../src/sync/capacity.js'
import { createUdpTransport } from '../../src/transport/udp.js'
import type { Transport } from '../../src/transport/types.js'
import { mvdsMessageId } from '../../src/wire/mvds.js'
import { addressKey, decodePacket, encodePacket, type Address, type Packet } from '../../src/wire/index.js'
import { grouped, testnet, type PeerOptions } from './harness.js'

const group = roomId('a private group')
const text = (b: Uint8Array): string => new TextDecoder().decode(b)
const sameBytes = (x: Uint8Array, y: Uint8Array): boolean => x.length === y.length && x.every((v, i) => v === y[i])

/** Every request a non-member can send about the group (ids it might have learned elsewhere). */
function probes(to: Address, from: Address, known: { bundleId: Uint8Array; mvdsId: Uint8Array }, seed: number): Packet[] {
  const size = offerSize(1200, 0.01, 'ipv4')
  const keys = generateKeyPair(new SeededRng(seed))
  return [
    // "Send me everything": an empty filter over all global times.
    { type: 'introduction-request', destination: to, sourceLan: from, sourceWan: from, advice: true, connectionType: 'public', identifier: 7, globalTime: 1, sync: { timeLow: 1, timeHigh: 0, modulo: 1, offset: 0, bloom: new BloomFilter(size.bloomBytes, size.k, seed) } },
    { type: 'bundle-request', ids: [known.bundleId] },
    { type: 'symbols-request', from: 0, count: 16, digest: { hashXor: 0n, count: 0 }, fetch: [known.bundleId] },
    { type: 'symbols-request', from: 0, count: 16 },
    { type: 'mvds', payload: { acks: [], offers: [new Uint8Array(32).fill(9)], requests: [known.mvdsId], messages: [] } },
    { type: 'bundles', bundles: [signBundle({ overlay: group, globalTime: 2, kind: 1, body: new TextEncoder().encode('intruder') }, keys)] }
  ]
}

interface Scene {
  a: BloomwalkNode
  b: BloomwalkNode
  c: BloomwalkNode
  /** Datagrams a or b sent to c or the probe, decoded. */
  leaked: () => { overlay: Uint8Array; packet: Packet }[]
  toOutsiders: { bytes: Uint8Array }[]
}

/** Checks everything the scenario promises once it has run. */
async function expectPrivate(s: Scene, store: MemoryStore): Promise<void> {
  const aStats = s.a.stats()
  const bStats = s.b.stats()
  // The members talk: b delivered the message through MVDS.
  expect(bStats.in['mvds']?.datagrams ?? 0).toBeGreaterThan(0)
  // The non-member walked the group and probed both members…
  expect(s.c.stats().out['introduction-request']?.datagrams ?? 0).toBeGreaterThan(0)
  for (const st of [aStats, bStats]) expect(st.drops['private-group'] ?? 0).toBeGreaterThanOrEqual(5)
  // …and got nothing of the group: not a datagram of its overlay, no MVDS answer.
  const leaked = s.leaked().filter((d) => sameBytes(d.overlay, group) || d.packet.type === 'mvds')
  expect(leaked.map((d) => `${d.packet.type} ${Buffer.from(d.overlay).toString("hex").slice(0, 8)}`)).toEqual([])
  // c holds only what it published itself.
  const held: string[] = []
  for await (const b of store.range({ overlay: group, from: 0, to: Number.MAX_SAFE_INTEGER })) held.push(text(b.body))
  expect(held).toEqual(['from c'])
  // Nothing the non-member pushed was stored by a member: each holds only the one message.
  for (const st of [aStats, bStats]) expect(st.overlays.find((o) => o.overlay === Buffer.from(group).toString('hex'))?.bundlesStored).toBe(1)
}

describe('private-group non-member', () => {
  for (const tracker of [true, false]) {
    it(`MemoryNetwork, ${tracker ? 'with the tracker and trusted as defaults' : 'no tracker, c trusts a and b'}: a non-member that knows the group id gets nothing`, async () => {
      const t = await testnet({ peers: 0, seed: tracker ? 91 : 92 })
      const base: PeerOptions = tracker ? {} : { trusted: [] }
      const a = await t.addPeer({ ...base, mvds: { mode: 'batch' } })
      const b = await t.addPeer({ ...base, mvds: { mode: 'interactive' } })
      const cStore = new MemoryStore()
      const c = await t.addPeer({ store: cStore, overlays: [t.overlay, group], ...(tracker ? {} : { trusted: [a.address(), b.address()] }) })
      const probe = t.net.bind()
      const outsiders = new Set([addressKey(c.address()), addressKey(probe.address())])
      const members = new Set([addressKey(a.address()), addressKey(b.address())])
      const toOutsiders: { bytes: Uint8Array }[] = []
      t.net.interceptor = ({ from, to, bytes }) => {
        if (members.has(addressKey(from)) && outsiders.has(addressKey(to))) toOutsiders.push({ bytes })
        return { from, to }
      }
      probe.onPacket = () => {}
      await a.share(group, b.address())
      await b.share(group, a.address())
      const got: string[] = []
      b.events.on('bundle', (d) => {
        if (sameBytes(d.overlay, group)) got.push(text(d.bundle.body))
      })
      const secret = await a.sendPrivate(group, new TextEncoder().encode('secret'))
      const known = { bundleId: secret.id, mvdsId: mvdsMessageId(group, Math.floor(t.clock.now() / 1000), secret.bytes) }
      // c publishes into the group and walks it for a minute, while the probe tries every request.
      await c.publish(group, new TextEncoder().encode('from c'))
      for (let round = 0; round < 3; round++) {
        for (const member of [a, b]) for (const p of probes(member.address(), probe.address(), known, round)) probe.send(member.address(), encodePacket(group, p))
        await t.run(20_000)
      }
      expect(got).toEqual(['secret'])
      await expectPrivate({ a, b, c, toOutsiders, leaked: () => toOutsiders.map((d) => decodePacket(d.bytes)!) }, cStore)
      await t.stop()
    }, 60_000)
  }

  it('a group walked as an ordinary overlay before `share` is private from then on: no walk, no answer, nothing sent to non-members', async () => {
    const t = await testnet({ peers: 0, seed: 94 })
    const a = await t.addPeer({ overlays: [t.overlay, group], trusted: [], mvds: { mode: 'batch' } })
    const b = await t.addPeer({ trusted: [], mvds: { mode: 'batch' } })
    const c = await t.addPeer({ overlays: [group], trusted: [a.address()] })
    await t.run(12_000)
    // c walked to a in the group overlay: a knows it as a candidate there.
    expect(a.candidates(group).length).toBeGreaterThan(0)
    await a.share(group, b.address())
    await b.share(group, a.address())
    const cWalkedTo = c.stats().in['introduction-request']?.datagrams ?? 0
    const cHeard = c.stats().in['introduction-response']?.datagrams ?? 0
    const got: string[] = []
    c.events.on('bundle', (d) => got.push(text(d.bundle.body)))
    await a.sendPrivate(group, new TextEncoder().encode('secret'))
    // An ephemeral message goes to the overlay's walk candidates: refused for every non-member.
    expect(a.sendEphemeral(group, new TextEncoder().encode('typing'))).toBe(0)
    expect(a.stats().privateRefused).toBeGreaterThan(0)
    await t.run(30_000)
    expect(got).toEqual([])
    expect(c.stats().in['introduction-response']?.datagrams ?? 0).toBe(cHeard)
    expect(a.stats().drops['private-group'] ?? 0).toBeGreaterThan(0)
    // a no longer walks the group: c (its only candidate there) hears no new walk step.
    expect(c.stats().in['introduction-request']?.datagrams ?? 0).toBe(cWalkedTo)
    await t.stop()
  })

  it('with member keys, a member neither relays nor gets accepted a bundle authored by a non-member', async () => {
    const t = await testnet({ peers: 0, seed: 95 })
    const a = await t.addPeer({ mvds: { mode: 'batch' } })
    const b = await t.addPeer({ mvds: { mode: 'batch' } })
    const d = await t.addPeer({ mvds: { mode: 'batch' } })
    // a's group has b and d; b's has only a (d is not a member for b).
    await a.share(group, b.address(), { key: b.keys.publicKey })
    await a.share(group, d.address(), { key: d.keys.publicKey })
    await b.share(group, a.address(), { key: a.keys.publicKey })
    await d.share(group, a.address(), { key: a.keys.publicKey })
    const got = { a: [] as string[], b: [] as string[] }
    a.events.on('bundle', (x) => x.from !== undefined && got.a.push(text(x.bundle.body)))
    b.events.on('bundle', (x) => x.from !== undefined && got.b.push(text(x.bundle.body)))
    await d.sendPrivate(group, new TextEncoder().encode('from d'))
    await a.sendPrivate(group, new TextEncoder().encode('from a'))
    await t.run(30_000, 250)
    expect(got.a).toEqual(['from d'])
    // a relayed d's message to b, which refused it: d is no member of b's group.
    expect(got.b).toEqual(['from a'])
    expect(b.stats().bundleDrops['mvds-not-member'] ?? 0).toBeGreaterThan(0)
    await expect(a.share(group, b.address(), { key: new Uint8Array(31) })).rejects.toThrow(/32-byte/)
    await t.stop()
  })

  describe('loopback UDP', { timeout: 30_000 }, () => {
    const cleanup: (() => Promise<void>)[] = []
    afterEach(async () => {
      for (const fn of cleanup.splice(0).reverse()) await fn()
    })

    for (const withTracker of [true, false]) {
      it(`${withTracker ? 'with the tracker and trusted as defaults' : 'no tracker, c trusts a and b'}: a non-member that knows the group id gets nothing`, async () => {
        const rng = new SeededRng(withTracker ? 93 : 94)
        const clock = new SystemClock()
        const overlay = roomId('loopback private')
        const toOutsiders: { bytes: Uint8Array }[] = []
        const outsiders = new Set<string>()
        const bind = async (): Promise<Transport> => {
          const udp = await createUdpTransport({ host: '127.0.0.1', port: 0 })
          cleanup.push(() => udp.close())
          return udp
        }
        const watched = async (): Promise<Transport> => {
          const udp = await bind()
          const send = udp.send.bind(udp)
          udp.send = (to, bytes) => {
            if (outsiders.has(addressKey(to))) toOutsiders.push({ bytes: bytes.slice() })
            send(to, bytes)
          }
          return udp
        }
        let trusted: Address[] = []
        if (withTracker) {
          const tracker = createNode({ components: { transport: await bind(), clock, rng: rng.fork() }, settings: { role: 'tracker' } })
          await tracker.start()
          cleanup.push(() => tracker.stop())
          trusted = [tracker.address()]
        }
        const start = async (extra: PeerOptions, transport?: Transport): Promise<BloomwalkNode> => {
          const node = createNode(grouped({ transport: transport ?? (await bind()), clock, rng: rng.fork(), store: new MemoryStore(), overlays: [overlay], trusted, stepIntervalMs: 100, ...extra }))
          await node.start()
          cleanup.push(() => node.stop())
          return node
        }
        const a = await start({ mvds: { mode: 'batch', epochMs: 50 } }, await watched())
        const b = await start({ mvds: { mode: 'interactive', epochMs: 50 } }, await watched())
        const cStore = new MemoryStore()
        // Without a tracker the non-member trusts both members, so it walks straight at them.
        const c = await start({ store: cStore, overlays: [overlay, group], ...(withTracker ? {} : { trusted: [a.address(), b.address()] }) })
        const probe = await bind()
        probe.onPacket = () => {}
        outsiders.add(addressKey(c.address())).add(addressKey(probe.address()))
        await a.share(group, b.address())
        await b.share(group, a.address())
        const delivered = new Promise<string>((resolve) => b.events.on('bundle', (d) => sameBytes(d.overlay, group) && resolve(text(d.bundle.body))))
        const secret = await a.sendPrivate(group, new TextEncoder().encode('secret'))
        await c.publish(group, new TextEncoder().encode('from c'))
        const known = { bundleId: secret.id, mvdsId: mvdsMessageId(group, Math.floor(clock.now() / 1000), secret.bytes) }
        for (const member of [a, b]) for (const p of probes(member.address(), probe.address(), known, 1)) probe.send(member.address(), encodePacket(group, p))
        expect(await delivered).toBe('secret')
        // Wait (under the test timeout) until both members have dropped the five non-MVDS probes.
        await new Promise<void>((resolve) => {
          const check = (): void => {
            const dropped = (n: BloomwalkNode): number => n.stats().drops['private-group'] ?? 0
            if (dropped(a) >= 5 && dropped(b) >= 5) resolve()
            else setTimeout(check, 20)
          }
          check()
        })
        await expectPrivate({ a, b, c, toOutsiders, leaked: () => toOutsiders.map((d) => decodePacket(d.bytes)!) }, cStore)
      })
    }
  })
})
