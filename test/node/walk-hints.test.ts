/**
 * The walk's own datagrams tell a peer what push did not bring it (DESIGN §13):
 * - a puncture-request carries the introducer's global time; the introduced peer, when
 *   behind it, asks it at once for what is newer (a bundle-request `newer_than` our newest);
 * - an introduction-response and a puncture-request name the sender's freshest bundles by
 *   short id (`recent_short`, taken in within `recentMs`); the receiver asks for those it lacks.
 * Only a validated sender is asked: a spoofed puncture-request must not aim our requests.
 */
import { describe, expect, it } from 'vitest'
import { shortIdOf } from '../../src/reconcile/index.js'
import { decodePacket, encodePacket, type Address, type BundleRequest, type IntroductionRequest, type IntroductionResponse, type Packet, type PunctureRequest } from '../../src/wire/index.js'
import { testnet } from './harness.js'

const SHORT = new Uint8Array(8).fill(7)

/** A peer whose only trusted entry is a scripted introducer, which answers its walk (when `validate`, naming `recent`) and then sends `request`. */
async function introduced(options: { validate: boolean; request?: Partial<PunctureRequest>; recent?: Uint8Array[] }) {
  const t = await testnet({ peers: 0, seed: 41 })
  const introducer = t.net.bind()
  const walker = t.net.bind()
  walker.onPacket = () => {}
  const got: Packet[] = []
  introducer.onPacket = (from, bytes) => {
    const d = decodePacket(bytes)
    if (d === null) return
    got.push(d.packet)
    if (d.packet.type !== 'introduction-request' || !options.validate) return
    const req: IntroductionRequest = d.packet
    // Answering the walk's identifier validates the introducer's address at the node.
    const res: IntroductionResponse = { type: 'introduction-response', destination: from, sourceLan: introducer.address(), sourceWan: introducer.address(), connectionType: 'public', identifier: req.identifier, globalTime: 0 }
    if (options.recent !== undefined) res.recentShort = options.recent
    introducer.send(from, encodePacket(t.overlay, res))
  }
  await t.addPeer({ trusted: [introducer.address()], stepIntervalMs: 60_000 })
  const node = t.nodes[0]!
  await t.run(1_000)
  const afterWalk = got.filter((p): p is BundleRequest => p.type === 'bundle-request')
  got.length = 0
  if (options.request !== undefined) {
    introducer.send(node.address(), encodePacket(t.overlay, { type: 'puncture-request', walkerLan: walker.address(), walkerWan: walker.address(), identifier: 9, ...options.request }))
    await t.run(500)
  }
  const afterPuncture = got.filter((p): p is BundleRequest => p.type === 'bundle-request')
  const stats = node.stats().push
  await t.stop()
  return { afterWalk, afterPuncture, stats }
}

describe("the introducer's global time in a puncture-request", () => {
  it('round-trips through the wire, and is absent when 0 or not told', () => {
    const a = { host: '10.0.0.1', port: 1 }
    const overlay = new Uint8Array(32)
    const told = decodePacket(encodePacket(overlay, { type: 'puncture-request', walkerLan: a, walkerWan: a, identifier: 1, globalTime: 42 }))
    expect(told?.packet).toMatchObject({ type: 'puncture-request', globalTime: 42 })
    const zero = decodePacket(encodePacket(overlay, { type: 'puncture-request', walkerLan: a, walkerWan: a, identifier: 1, globalTime: 0 }))
    expect(zero?.packet).not.toHaveProperty('globalTime')
  })

  it('a validated introducer ahead of us is asked at once for what is newer than our newest', async () => {
    const { afterPuncture } = await introduced({ validate: true, request: { globalTime: 7 } })
    expect(afterPuncture.length).toBeGreaterThan(0)
    // What is newer than our newest (we hold nothing), up to the introducer's global time.
    for (const ask of afterPuncture) expect(ask.newerThan).toBeLessThan(7)
    expect(Math.max(...afterPuncture.map((a) => a.upTo ?? 7))).toBe(7)
  })

  it('an introducer that does not tell its global time is not asked', async () => {
    expect((await introduced({ validate: true, request: {} })).afterPuncture).toEqual([])
  })

  it('an introducer that never validated (a spoofed puncture-request) is not asked', async () => {
    expect((await introduced({ validate: false, request: { globalTime: 7, recentShort: [SHORT] } })).afterPuncture).toEqual([])
  })
})

describe('fresh bundles named by short id (recent_short)', () => {
  it('a validated introducer naming a fresh bundle we lack is asked for it by short id', async () => {
    const { afterPuncture, stats } = await introduced({ validate: true, request: { recentShort: [SHORT] } })
    expect(afterPuncture.map((a) => a.shortIds)).toEqual([[SHORT]])
    expect(stats.recentHeard).toBe(1)
  })

  it('an introducer ahead of us is asked for what is newer, not for the bundles it names (they are newer)', async () => {
    const { afterPuncture } = await introduced({ validate: true, request: { globalTime: 7, recentShort: [SHORT] } })
    expect(afterPuncture.length).toBeGreaterThan(0)
    expect(afterPuncture.every((a) => a.newerThan !== undefined && a.shortIds === undefined)).toBe(true)
  })

  it('the peer we walked to naming a fresh bundle in its introduction-response is asked for it', async () => {
    const { afterWalk } = await introduced({ validate: true, recent: [SHORT] })
    expect(afterWalk.map((a) => a.shortIds)).toEqual([[SHORT]])
  })

  it('a responder names what it published within recentMs to a walker at its global time, not to one behind it (which fetches newer_than), and nothing after', async () => {
    const t = await testnet({ peers: 0, seed: 43 })
    const node = await t.addPeer({ stepIntervalMs: 600_000, trusted: [] })
    const bundle = await node.publish(t.overlay, new TextEncoder().encode('fresh'))
    const walker = t.net.bind()
    const responses: IntroductionResponse[] = []
    walker.onPacket = (_from, bytes) => {
      const d = decodePacket(bytes)
      if (d?.packet.type === 'introduction-response') responses.push(d.packet)
    }
    const walk = (to: Address, identifier: number, globalTime: number) =>
      walker.send(to, encodePacket(t.overlay, { type: 'introduction-request', destination: to, sourceLan: walker.address(), sourceWan: walker.address(), advice: false, connectionType: 'public', identifier, globalTime }))
    // A walker at the bundle's global time cannot tell it lacks it: it is named.
    walk(node.address(), 1, bundle.globalTime)
    await t.run(100)
    // A walker below it sees our global time and fetches what is newer: nothing is named.
    walk(node.address(), 2, bundle.globalTime - 1)
    await t.run(100)
    await t.run(5_000)
    walk(node.address(), 3, bundle.globalTime)
    await t.run(100)
    await t.stop()
    expect(responses.map((r) => r.identifier)).toEqual([1, 2, 3])
    expect(responses[0]!.recentShort).toEqual([shortIdOf(bundle.id)])
    expect(responses[1]!.recentShort).toBeUndefined()
    expect(responses[2]!.recentShort).toBeUndefined()
  })
})
