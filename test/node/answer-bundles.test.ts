/**
 * answer_bundles (docs/protocol.md): the introduction-response says how many bundles follow
 * in answer to the offer, and the walker counts a round with announced bundles as productive
 * even when they are stored after its next step claims an offer (a busy node: issue 22, the
 * skip curve read such late answers as barren rounds).
 */
import { describe, expect, it } from 'vitest'
import { BloomFilter } from '../../src/bloom/index.js'
import { decodePacket, encodePacket, type IntroductionRequest, type Packet } from '../../src/wire/index.js'
import { adversary } from '../hardening/helpers.js'
import { testnet } from './harness.js'

type Response = Extract<Packet, { type: 'introduction-response' }>

describe('answer_bundles', () => {
  it('the responder says how many bundles follow, and none when the filter holds them all', async () => {
    const t = await testnet({ peers: 1, seed: 61 })
    const responder = t.nodes[0]!
    const published = []
    for (let i = 0; i < 3; i++) published.push(await responder.publish(t.overlay, new Uint8Array([i])))
    const m = adversary(t, responder)
    await m.validate()
    const offer = (filter: BloomFilter): IntroductionRequest['sync'] => ({ timeLow: 1, timeHigh: 1000, modulo: 1, offset: 0, bloom: { bits: filter.bits, k: filter.k, salt: filter.salt } })
    const ask = async (sync: IntroductionRequest['sync'], identifier: number): Promise<{ response: Response | undefined; bundles: number }> => {
      m.received.length = 0
      m.send({ type: 'introduction-request', destination: responder.address(), sourceLan: m.address, sourceWan: m.address, advice: false, connectionType: 'unknown', identifier, globalTime: 0, sync })
      await t.run(200)
      const response = m.received.find((p): p is Response => p.type === 'introduction-response' && p.identifier === identifier)
      const bundles = m.received.reduce((n, p) => n + (p.type === 'bundles' ? p.bundles.length : 0), 0)
      return { response, bundles }
    }
    const empty = await ask(offer(new BloomFilter(64, 3, 7)), 1001)
    expect(empty.response?.answerBundles).toBe(3)
    expect(empty.bundles).toBe(3)
    const full = new BloomFilter(64, 3, 8)
    for (const b of published) full.add(b.id)
    const none = await ask(offer(full), 1002)
    expect(none.response).toBeDefined()
    expect(none.response!.answerBundles).toBeUndefined()
    expect(none.bundles).toBe(0)
    await t.stop()
  })

  it('a walker counts rounds whose announced bundles have not arrived as late answers, never as barren ones', async () => {
    for (const announce of [2, undefined]) {
      const t = await testnet({ peers: 0, seed: 62 })
      const observer = t.net.bind()
      const me = observer.address()
      // Answers every offer, announcing bundles it never sends (they are "still on their way").
      observer.onPacket = (from, bytes) => {
        const p = decodePacket(bytes)?.packet
        if (p?.type !== 'introduction-request') return
        observer.send(from, encodePacket(t.overlay, { type: 'introduction-response', destination: from, sourceLan: me, sourceWan: me, connectionType: 'public', identifier: p.identifier, globalTime: 5, answerBundles: p.sync === undefined ? undefined : announce }))
      }
      const walker = await t.addPeer({ trusted: [me], stepIntervalMs: 1000, candidates: { walkEligibleDelayMs: 1000 } })
      await walker.publish(t.overlay, new Uint8Array([1]))
      await t.run(20_000, 100)
      const offers = walker.stats().overlays[0]!.offers!
      expect(offers.fresh).toBeGreaterThan(5)
      if (announce === undefined) expect(offers.lateAnswers).toBe(0)
      else expect(offers.lateAnswers).toBe(offers.fresh - 1)
      await t.stop()
    }
  })
})
