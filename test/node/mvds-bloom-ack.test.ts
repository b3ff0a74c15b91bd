/**
 * The Bloom offer as MVDS acknowledgement in the node (`mvds.bloomAck`; issue 19 item 4,
 * src/node/mvds-bloom-ack.ts). Two or three members of a private group on a MemoryNetwork,
 * MVDS from `a` to `b` cut by the network (so `b` never acknowledges `a`'s copy by ACK):
 *
 * - a real offer: `b` gets the message from `c` (MVDS relay), walks to `a`, and its filter
 *   acknowledges `a`'s record — `a` stops retransmitting to `b`;
 * - a forced false positive: `b`'s filters are saturated (every bit set, "maybe" to every id)
 *   while it lacks the message; `a` drops its record and stops retransmitting, and the
 *   message still reaches `b` — by the next Bloom round once `b`'s filters are honest again,
 *   since MVDS from `a` to `b` stays cut throughout.
 */
import { describe, expect, it } from 'vitest'
import { generateKeyPair, roomId, signBundle } from '../../src/bundle/index.js'
import { SeededRng } from '../../src/env/rng.js'
import { MemoryStore } from '../../src/store/memory.js'
import type { Bundle } from '../../src/bundle/types.js'
import type { BloomwalkNode } from '../../src/node/index.js'
import { BloomAcks, MAX_BLOOM_ACK_ENTRIES } from '../../src/node/mvds-bloom-ack.js'
import type { Transport } from '../../src/transport/types.js'
import { addressKey, decodePacket, encodePacket, type Address } from '../../src/wire/index.js'
import { testnet, type PeerOptions, type Testnet } from './harness.js'

const group = roomId('a private group with Bloom acknowledgements')
const text = (s: string) => new TextEncoder().encode(s)

/** `inner` with every outgoing introduction-request's filter saturated while `on()` holds. */
function saturating(inner: Transport, on: () => boolean): Transport {
  return {
    get onPacket() {
      return inner.onPacket
    },
    set onPacket(h) {
      inner.onPacket = h
    },
    address: () => inner.address(),
    close: () => inner.close(),
    stats: () => inner.stats(),
    send(to, bytes) {
      const d = on() ? decodePacket(bytes) : null
      if (d?.packet.type === 'introduction-request' && d.packet.sync !== undefined) {
        const bloom = { ...d.packet.sync.bloom, bits: new Uint8Array(d.packet.sync.bloom.bits.length).fill(0xff) }
        bytes = encodePacket(d.overlay, { ...d.packet, sync: { ...d.packet.sync, bloom } })
      }
      inner.send(to, bytes)
    }
  }
}

interface Members {
  t: Testnet
  a: BloomwalkNode
  b: BloomwalkNode
  /** MVDS datagrams from a to b the network dropped, and how many of them carried a MESSAGE or OFFER. */
  cut: { datagrams: number; messages: number }
}

async function members(mode: 'batch' | 'interactive', seed: number, options: { third?: boolean; saturate?: () => boolean } = {}): Promise<Members & { c?: BloomwalkNode }> {
  const t = await testnet({ peers: 0, seed })
  const opts: PeerOptions = { overlays: [], trusted: [], catchUp: false, push: { fanout: 0 }, mvds: { mode, epochMs: 1000, bloomAck: true } }
  const a = await t.addPeer(opts)
  const saturate = options.saturate
  const b = await t.addPeer({ ...opts, ...(saturate === undefined ? {} : { transport: saturating(t.net.bind(), saturate) }) })
  const c = options.third === true ? await t.addPeer(opts) : undefined
  const all = c === undefined ? [a, b] : [a, b, c]
  for (const x of all) for (const y of all) if (x !== y) await x.share(group, y.address())
  const cut = { datagrams: 0, messages: 0 }
  const [from, to] = [addressKey(a.address()), addressKey(b.address())]
  t.net.interceptor = (p) => {
    const [src, dst] = [addressKey(p.from), addressKey(p.to)]
    const aToB = src === from && dst === to
    if (!aToB && !(src === to && dst === from)) return p
    const d = decodePacket(p.bytes)
    if (d?.packet.type !== 'mvds') return p
    if (aToB) cut.datagrams++
    if (aToB && (d.packet.payload.messages.length > 0 || d.packet.payload.offers.length > 0)) cut.messages++
    return null
  }
  return { t, a, b, c, cut }
}

const got = (node: BloomwalkNode): string[] => {
  const out: string[] = []
  node.events.on('bundle', (d) => {
    if (!d.own) out.push(new TextDecoder().decode(d.bundle.body))
  })
  return out
}

describe('mvds.bloomAck: a member\'s Bloom offer acknowledges', () => {
  for (const mode of ['batch', 'interactive'] as const) {
    it(`${mode}: b gets the message elsewhere (c's relay or the walk); its offer to a drops a's record and a stops retransmitting`, async () => {
      const { t, a, b, cut } = await members(mode, 61, { third: true })
      const atB = got(b)
      await a.sendPrivate(group, text('m'))
      await t.run(120_000, 250)
      expect(atB).toEqual(['m'])
      expect(a.mvdsStats()!.probableAcks).toBeGreaterThanOrEqual(1)
      expect(a.mvdsStats()!.bloomAck!.acknowledged).toBeGreaterThanOrEqual(1)
      // Nothing a sends b by MVDS gets through, yet a falls silent toward b: the offer acknowledged.
      const before = cut.messages
      await t.run(300_000, 1000)
      expect(cut.messages).toBe(before)
      await t.stop()
    }, 60_000)
  }

  it('a forced false positive: a drops the record for a message b lacks, and the message still arrives by a later Bloom round', async () => {
    let saturate = true
    const { t, a, b, cut } = await members('batch', 62, { saturate: () => saturate })
    const atB = got(b)
    await a.sendPrivate(group, text('lost by MVDS'))
    // b's saturated filters say "maybe" to the message: a takes it as acknowledged.
    for (let i = 0; i < 60 && a.mvdsStats()!.probableAcks === 0; i++) await t.run(5_000, 250)
    expect(a.mvdsStats()!.probableAcks).toBe(1)
    expect(atB).toEqual([])
    // a retransmits no more (its record is gone), and b still lacks the message.
    const before = cut.messages
    await t.run(200_000, 1000)
    expect(cut.messages).toBe(before)
    expect(atB).toEqual([])
    // b's filters are honest again: the next offers leave the message out, a answers with it.
    saturate = false
    await t.run(120_000, 250)
    expect(atB).toEqual(['lost by MVDS'])
    // It came by the Bloom walk: MVDS from a to b stayed cut, and no MESSAGE went after the ack.
    expect(cut.messages).toBe(before)
    expect(b.stats().in['bundles']?.datagrams ?? 0).toBeGreaterThan(0)
    await t.stop()
  }, 60_000)

  it('a non-member author\'s bundle brought by the walk of the group is refused (mvds-not-member)', async () => {
    // The walk of a private group runs among members only; the member key list still decides authorship.
    const t = await testnet({ peers: 0, seed: 63 })
    const opts: PeerOptions = { overlays: [], trusted: [], catchUp: false, mvds: { mode: 'batch', epochMs: 1000, bloomAck: true } }
    const foreign = signBundle({ overlay: group, globalTime: 1, kind: 1, body: text('not a member') }, generateKeyPair(new SeededRng(9)))
    const store = new MemoryStore()
    await store.open()
    await store.put(foreign)
    const a = await t.addPeer(opts)
    const b = await t.addPeer({ ...opts, store })
    // a lists b alone as a member (by key); b's copy of the group is restricted by address only.
    await a.share(group, b.address(), { key: b.keys.publicKey })
    await b.share(group, a.address())
    await b.publish(group, text('member'))
    const atA = got(a)
    await t.run(60_000, 250)
    expect(atA).toEqual(['member'])
    expect(a.stats().bundleDrops['mvds-not-member'] ?? 0).toBeGreaterThan(0)
    expect(b.stats().out['bundles']?.datagrams ?? 0).toBeGreaterThan(0)
    await t.stop()
  }, 60_000)
})

describe('mvds.heardWithin', () => {
  it('is refused without bloomAck (holding retransmissions is sound only with the members\' walk)', async () => {
    const t = await testnet({ peers: 0, seed: 64 })
    await expect(t.addPeer({ overlays: [], trusted: [], mvds: { mode: 'batch', heardWithin: 60 } })).rejects.toThrow(/heardWithin needs mvds.bloomAck/)
    await t.stop()
  })
})

describe('BloomAcks bounds', () => {
  it(`remembers at most MAX_BLOOM_ACK_ENTRIES message ids, forgetting the oldest (which is decoded again from the store when needed)`, () => {
    const stored = new Map<string, { groupId: Uint8Array; timestamp: number; body: Uint8Array }>()
    const acks = new BloomAcks({ has: (id) => stored.has(Buffer.from(id).toString('hex')), get: (id) => stored.get(Buffer.from(id).toString('hex')), put: () => {}, delete: () => {} })
    const bundle = (i: number) => ({ overlay: group, id: new Uint8Array(32).fill(i & 0xff), globalTime: i + 1 }) as unknown as Bundle
    for (let i = 0; i <= MAX_BLOOM_ACK_ENTRIES; i++) acks.remember(i.toString(16).padStart(64, '0'), bundle(i))
    expect(acks.size).toBe(MAX_BLOOM_ACK_ENTRIES)
    // The oldest entry is gone and not in the store: an offer cannot acknowledge it.
    const everything = { timeLow: 1, timeHigh: 0, modulo: 1, offset: 0, bloom: { bits: new Uint8Array(64).fill(0xff), k: 3, salt: 1 } }
    const holds = acks.holds(Buffer.from(group).toString('hex'), everything)!
    expect(holds(new Uint8Array(32), '0'.repeat(64))).toBe(false)
    expect(holds(new Uint8Array(32), (1).toString(16).padStart(64, '0'))).toBe(true)
    expect(acks.counts).toMatchObject({ offers: 1, acknowledged: 1 })
  })
})
