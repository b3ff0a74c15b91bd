/** The node's packet rules, each driven through the in-memory network with raw datagrams. */
import { describe, expect, it } from 'vitest'
import { BloomFilter } from '../../src/bloom/index.js'
import { roomId } from '../../src/bundle/index.js'
import { isBloomwalkError } from '../../src/errors.js'
import { ANSWER_BURST_SECONDS, ANSWER_RATE_PER_WALKER } from '../../src/node/pending-answers.js'
import { offerSize } from '../../src/sync/capacity.js'
import { encodePacket, type Address, type IntroductionRequest, type Packet } from '../../src/wire/index.js'
import { settle, testnet } from './harness.js'

function request(to: Address, from: Address, identifier: number, extra: Partial<IntroductionRequest> = {}): IntroductionRequest {
  return { type: 'introduction-request', destination: to, sourceLan: from, sourceWan: from, advice: true, connectionType: 'unknown', identifier, globalTime: 1, ...extra }
}

describe('node packet rules', () => {
  it('drops an introduction-response from another address or with a wrong identifier, and accepts the right one', async () => {
    const t = await testnet({ peers: 0, seed: 5 })
    // A peer whose only candidate is a fake "tracker" we control, so we see its request.
    const fake = t.net.bind()
    const other = t.net.bind()
    const seen: { from: Address; bytes: Uint8Array }[] = []
    fake.onPacket = (from, bytes) => seen.push({ from, bytes })
    const node = await t.addPeer({ trusted: [fake.address()] })
    await t.run(100)
    expect(seen.length).toBe(1)
    const { decodePacket } = await import('../../src/wire/index.js')
    const req = decodePacket(seen[0]!.bytes)!.packet as IntroductionRequest
    const response = (identifier: number): Packet => ({
      type: 'introduction-response',
      destination: node.address(),
      sourceLan: fake.address(),
      sourceWan: fake.address(),
      connectionType: 'public',
      identifier,
      globalTime: 1
    })
    other.send(node.address(), encodePacket(t.overlay, response(req.identifier))) // right id, wrong address
    fake.send(node.address(), encodePacket(t.overlay, response((req.identifier + 1) >>> 0))) // right address, wrong id
    await t.run(100)
    expect(node.stats().drops['unexpected-response']).toBe(2)
    fake.send(node.address(), encodePacket(t.overlay, response(req.identifier)))
    await t.run(100)
    expect(node.stats().drops['unexpected-response']).toBe(2)
    expect(node.stats().in['introduction-response']?.datagrams).toBe(3)
    expect(node.candidates(t.overlay).find((c) => c.key.endsWith(`:${fake.address().port}`))?.lastWalkReply).toBeDefined()
    // A replay of the same response is unexpected: the identifier was consumed.
    fake.send(node.address(), encodePacket(t.overlay, response(req.identifier)))
    await t.run(100)
    expect(node.stats().drops['unexpected-response']).toBe(3)
    await t.stop()
  })

  it('a request that gets no response times out after 10.5 s and the candidate loses walk status', async () => {
    const t = await testnet({ peers: 0, seed: 6 })
    const silent = t.net.bind()
    silent.onPacket = () => {}
    const node = await t.addPeer({ trusted: [silent.address()], stepIntervalMs: 60_000 })
    await t.run(10_000)
    expect(node.stats().outstandingRequests).toBe(1)
    expect(node.stats().walkTimeouts).toBe(0)
    await t.run(600)
    expect(node.stats().outstandingRequests).toBe(0)
    expect(node.stats().walkTimeouts).toBe(1)
    await t.stop()
  })

  it('walks to an unvalidated stumble candidate with a probe (no Bloom filter) and drops it when it does not answer', async () => {
    const t = await testnet({ peers: 0, seed: 11 })
    const node = await t.addPeer({ stepIntervalMs: 1000 })
    for (let i = 0; i < 50; i++) await node.publish(t.overlay, new Uint8Array(100).fill(i))
    const spoofed = t.net.bind()
    const { decodePacket } = await import('../../src/wire/index.js')
    const walks: { bytes: number; offer: boolean }[] = []
    spoofed.onPacket = (_from, bytes) => {
      const p = decodePacket(bytes)?.packet
      if (p?.type === 'introduction-request') walks.push({ bytes: bytes.length, offer: p.sync !== undefined })
    }
    const sent = encodePacket(t.overlay, request(node.address(), spoofed.address(), 77))
    spoofed.send(node.address(), sent)
    await t.run(30_000)
    expect(walks).toHaveLength(1)
    expect(walks[0]!.offer).toBe(false)
    const key = `${spoofed.address().host}:${spoofed.address().port}`
    expect(node.candidates(t.overlay).some((c) => c.key === key)).toBe(false)
    expect(node.stats().walkTimeouts).toBeGreaterThan(0)
    expect(node.stats().walkProbes).toBe(2) // the first walk to the tracker, and the one to the spoofed address
    expect(node.stats().probesDropped).toBe(1)
    expect(node.stats().amplification.blocked).toBe(0)
    await t.stop()
  })

  it('sends an unvalidated (spoofable) address at most 3× the bytes it received, even for full filters against many bundles', async () => {
    const t = await testnet({ peers: 0, seed: 7 })
    const victim = await t.addPeer({ stepIntervalMs: 10_000_000 })
    for (let i = 0; i < 300; i++) await victim.publish(t.overlay, new Uint8Array(150).fill(i & 0xff))
    const spoofed = t.net.bind()
    let received = 0
    spoofed.onPacket = (_from, bytes) => {
      received += bytes.length
    }
    const size = offerSize(1200, 0.01, 'ipv4')
    let sent = 0
    for (let i = 0; i < 20; i++) {
      // An empty filter over everything: "send me all 300 bundles".
      const bloom = new BloomFilter(size.bloomBytes, size.k, i)
      const bytes = encodePacket(t.overlay, request(victim.address(), spoofed.address(), 1000 + i, { sync: { timeLow: 1, timeHigh: 0, modulo: 1, offset: 0, bloom } }))
      sent += bytes.length
      spoofed.send(victim.address(), bytes)
      await t.run(50)
    }
    await t.run(1000) // everything in flight arrives
    expect(received).toBeGreaterThan(0)
    expect(received / sent).toBeLessThanOrEqual(3)
    // Answers that the bound would cut are held back whole (and said so), not sent piecemeal.
    expect(victim.stats().answersDeferred).toBeGreaterThan(0)
    await t.stop()
  })

  it('a walker that floods offers has at most two answered at once; the others get an introduction-response without bundles (answersShed)', async () => {
    const t = await testnet({ peers: 0, seed: 12 })
    const victim = await t.addPeer({ stepIntervalMs: 10_000_000 })
    for (let i = 0; i < 100; i++) await victim.publish(t.overlay, new Uint8Array(150).fill(i))
    const { adversary } = await import('../hardening/helpers.js')
    const m = adversary(t, victim)
    await m.validate() // validated: nothing is held back by the 3× bound
    const size = offerSize(1200, 0.01, 'ipv4')
    const token = [...m.received].reverse().find((p) => p.type === 'introduction-response')
    const before = m.received.length
    // Ten offers in one burst (one datagram time apart at most): faster than answers finish.
    for (let i = 0; i < 10; i++) m.send(request(victim.address(), m.address, 500 + i, { token: token?.type === 'introduction-response' ? token.token : undefined, sync: { timeLow: 1, timeHigh: 0, modulo: 1, offset: 0, bloom: new BloomFilter(size.bloomBytes, size.k, i) } }))
    await t.run(1000)
    const after = m.received.slice(before)
    expect(after.filter((p) => p.type === 'introduction-response')).toHaveLength(10)
    expect(victim.stats().answersShed).toBe(8)
    // Two answers, each up to the 5 120-byte response budget.
    const bundles = after.filter((p) => p.type === 'bundles')
    expect(bundles.length).toBeGreaterThan(0)
    expect(victim.stats().amplification.blocked).toBe(0)
    await t.stop()
  })

  it(`a walker that sends offers one after another gets at most ${ANSWER_RATE_PER_WALKER} answers a second after a burst of ${ANSWER_RATE_PER_WALKER * ANSWER_BURST_SECONDS}; the rest are shed`, async () => {
    const t = await testnet({ peers: 0, seed: 13 })
    const victim = await t.addPeer({ stepIntervalMs: 10_000_000 })
    for (let i = 0; i < 20; i++) await victim.publish(t.overlay, new Uint8Array(150).fill(i))
    const { adversary } = await import('../hardening/helpers.js')
    const m = adversary(t, victim)
    await m.validate()
    const size = offerSize(1200, 0.01, 'ipv4')
    const token = [...m.received].reverse().find((p) => p.type === 'introduction-response')
    const shedBefore = victim.stats().answersShed
    // 100 offers a second for 10 s (virtual), each answered before the next arrives: never two in progress.
    const seconds = 10
    for (let i = 0; i < 100 * seconds; i++) {
      m.send(request(victim.address(), m.address, 2000 + i, { token: token?.type === 'introduction-response' ? token.token : undefined, sync: { timeLow: 1, timeHigh: 0, modulo: 1, offset: 0, bloom: new BloomFilter(size.bloomBytes, size.k, i) } }))
      await t.run(10)
    }
    const shed = victim.stats().answersShed - shedBefore
    const answered = 100 * seconds - shed
    // The validation's own answers spent part of the burst; never more than burst + rate × time.
    expect(answered).toBeLessThanOrEqual(ANSWER_RATE_PER_WALKER * (ANSWER_BURST_SECONDS + seconds) + 1)
    expect(answered).toBeGreaterThanOrEqual(ANSWER_RATE_PER_WALKER * seconds - 1)
    await t.stop()
  })

  it('echoing the address-validation token lifts the limit', async () => {
    const t = await testnet({ peers: 0, seed: 8 })
    const victim = await t.addPeer({ stepIntervalMs: 10_000_000 })
    for (let i = 0; i < 100; i++) await victim.publish(t.overlay, new Uint8Array(150).fill(i))
    const peer = t.net.bind()
    const got: Uint8Array[] = []
    peer.onPacket = (_f, b) => got.push(b)
    const size = offerSize(1200, 0.01, 'ipv4')
    const small = encodePacket(t.overlay, request(victim.address(), peer.address(), 1))
    peer.send(victim.address(), small)
    await t.run(50)
    const { decodePacket } = await import('../../src/wire/index.js')
    const response = got.map((b) => decodePacket(b)!.packet).find((p) => p.type === 'introduction-response')!
    expect(response.type === 'introduction-response' && response.token).toBeTruthy()
    const token = response.type === 'introduction-response' ? response.token : undefined
    got.length = 0
    const bloom = new BloomFilter(size.bloomBytes, size.k, 3)
    peer.send(victim.address(), encodePacket(t.overlay, request(victim.address(), peer.address(), 2, { token, sync: { timeLow: 1, timeHigh: 0, modulo: 1, offset: 0, bloom } })))
    await t.run(500)
    const bytes = got.reduce((n, b) => n + b.length, 0)
    expect(bytes).toBeGreaterThan(5120) // the full response budget, more than 3 × the request
    await t.stop()
  })

  it('counts malformed datagrams and datagrams of unknown overlays as drops, and keeps working', async () => {
    const t = await testnet({ peers: 2, seed: 9 })
    const attacker = t.net.bind()
    const node = t.nodes[0]!
    attacker.send(node.address(), new Uint8Array(10))
    attacker.send(node.address(), new Uint8Array(2000))
    attacker.send(node.address(), new Uint8Array(200).fill(0xff))
    attacker.send(node.address(), encodePacket(roomId('elsewhere'), request(node.address(), attacker.address(), 5)))
    await node.publish(t.overlay, new TextEncoder().encode('still alive'))
    await t.run(60_000)
    const drops = node.stats().drops
    expect(drops['too-short']).toBe(1)
    expect(drops['too-long']).toBe(1)
    expect(drops['unknown-overlay']).toBe(1)
    expect(Object.values(drops).reduce((a, b) => a + b, 0)).toBe(4)
    expect(t.nodes[1]!.stats().overlays[0]!.bundlesStored).toBe(1)
    await t.stop()
  })

  it('ignores bundles from addresses that are not candidates', async () => {
    const t = await testnet({ peers: 1, seed: 10 })
    const stranger = t.net.bind()
    const { makeBundles } = await import('../helpers/bundles.js')
    const [b] = makeBundles(1, { overlay: t.overlay })
    stranger.send(t.nodes[0]!.address(), encodePacket(t.overlay, { type: 'bundles', bundles: [b!] }))
    await t.run(100)
    expect(t.nodes[0]!.stats().drops['unknown-source']).toBe(1)
    expect(t.nodes[0]!.stats().bundlesStored).toBe(0)
    await t.stop()
  })

  it('a tracker answers any overlay, introduces peers, never walks and stores nothing', async () => {
    const t = await testnet({ peers: 3, seed: 11 })
    await t.run(30_000)
    const s = t.tracker.stats()
    expect(s.walks).toBe(0)
    expect(s.out['introduction-request']).toBeUndefined()
    expect(s.out['bundles']).toBeUndefined()
    expect(s.out['introduction-response']!.datagrams).toBeGreaterThan(0)
    expect(s.overlays.length).toBe(1)
    await expect(t.tracker.publish(t.overlay, new Uint8Array(1))).rejects.toSatisfy((e: unknown) => isBloomwalkError(e, 'INVALID_ARGUMENT'))
    await t.stop()
  })

  it('introductions lead to punctures: peers that only know the tracker end up walking to each other', async () => {
    const t = await testnet({ peers: 3, seed: 12 })
    await t.run(60_000)
    for (const node of t.nodes) {
      const walkPeers = node.candidates(t.overlay).filter((c) => !c.trusted && c.lastWalkReply !== undefined)
      expect(walkPeers.length).toBeGreaterThanOrEqual(1)
    }
    const punctures = t.nodes.reduce((n, node) => n + node.stats().punctures.succeeded, 0)
    expect(punctures).toBeGreaterThan(0)
    expect(t.tracker.stats().out['puncture-request']!.datagrams).toBeGreaterThan(0)
    await t.stop()
  })

  it('refuses to publish a bundle that would not fit one datagram', async () => {
    const t = await testnet({ peers: 1, seed: 13 })
    await expect(t.nodes[0]!.publish(t.overlay, new Uint8Array(1100))).rejects.toSatisfy((e: unknown) => isBloomwalkError(e, 'BUNDLE_TOO_LARGE'))
    await t.stop()
  })

  it('keeps overlays apart: a node in two overlays syncs each with its own peers', async () => {
    const t = await testnet({ peers: 0, seed: 14 })
    const second = roomId('second')
    const both = await t.addPeer({ overlays: [t.overlay, second] })
    const onlyFirst = await t.addPeer()
    const onlySecond = await t.addPeer({ overlays: [second] })
    await both.publish(t.overlay, new Uint8Array([1]))
    await both.publish(second, new Uint8Array([2]))
    await t.run(90_000)
    expect(onlyFirst.stats().overlays[0]!.bundlesStored).toBe(1)
    expect(onlySecond.stats().overlays[0]!.bundlesStored).toBe(1)
    await t.stop()
  })

  it('stop() is idempotent and an aborted signal stops the node', async () => {
    const t = await testnet({ peers: 1, seed: 15 })
    const node = t.nodes[0]!
    const a = node.stop()
    expect(node.stop()).toBe(a)
    await a
    const controller = new AbortController()
    const other = await t.addPeer()
    await other.start({ signal: controller.signal }) // already started: the signal still applies
    controller.abort()
    await settle()
    const walks = other.stats().walks
    await t.run(30_000)
    expect(other.stats().walks).toBe(walks)
    await t.stop()
  })
})
