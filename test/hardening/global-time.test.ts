/**
 * Global-time guard at node level (issue 8, DESIGN §9), through the bundles handler: absurd
 * global times are rejected and counted, the clock moves at most the acceptable range, one
 * author cannot ratchet it by more than its cap however many bundles it sends, and the sync
 * ranges the node offers afterwards stay within the acceptable bound.
 */
import { describe, expect, it } from 'vitest'
import { signBundle, decodeBundle, MAX_BODY_FIELD, MAX_PARENTS_FIELD, type Bundle } from '../../src/bundle/index.js'
import { DEFAULT_ACCEPTABLE_RANGE, DEFAULT_AUTHOR_CAP, MAX_GLOBAL_TIME } from '../../src/clock/index.js'
import type { IntroductionRequest } from '../../src/wire/index.js'
import { makeAuthors } from '../helpers/bundles.js'
import { testnet } from '../node/harness.js'
import { adversary } from './helpers.js'

const [mallory, trudy] = makeAuthors(2, 99)

function gtOf(n: { stats(): { overlays: { globalTime: number }[] } }): number {
  return n.stats().overlays[0]!.globalTime
}

/** A signed bundle whose global-time field is then overwritten with `raw` (unrepresentable times). */
function withRawGlobalTime(b: Bundle, raw: bigint): Bundle {
  const bytes = Uint8Array.from(b.bytes)
  new DataView(bytes.buffer).setBigUint64(33, raw)
  return { ...b, bytes }
}

describe('global time under attack (node level)', () => {
  it('rejects bundles with absurd global times and counts them; the clock does not move', async () => {
    const t = await testnet({ peers: 1, seed: 41 })
    const victim = t.nodes[0]!
    const m = adversary(t, victim)
    m.introduce()
    await t.run(100)
    const at = (globalTime: number, i: number) => signBundle({ overlay: t.overlay, globalTime, kind: 1, body: new Uint8Array([i]) }, mallory!)
    const absurd = [MAX_GLOBAL_TIME, MAX_GLOBAL_TIME - 1, 2 ** 40, 1_000_000, DEFAULT_ACCEPTABLE_RANGE + 1].map(at)
    for (const b of absurd) m.bundles([b])
    // 2^53 and 2^64 − 1 do not even decode: the whole datagram is dropped by the wire.
    m.bundles([withRawGlobalTime(at(5, 9), 2n ** 53n)])
    m.bundles([withRawGlobalTime(at(5, 10), 2n ** 64n - 1n)])
    await t.run(200)
    const s = victim.stats()
    expect(s.bundleDrops['global-time-too-high']).toBe(absurd.length)
    expect(s.drops['bad-bundle']).toBe(2)
    expect(s.bundlesStored).toBe(0)
    expect(gtOf(victim)).toBe(0)
    // Exactly at the acceptable bound is accepted, and moves the clock by the author cap only.
    m.bundles([at(DEFAULT_ACCEPTABLE_RANGE, 11)])
    await t.run(200)
    expect(victim.stats().bundlesStored).toBe(1)
    expect(gtOf(victim)).toBe(DEFAULT_AUTHOR_CAP)
    expect(decodeBundle(absurd[0]!.bytes, { maxParents: MAX_PARENTS_FIELD, maxBody: MAX_BODY_FIELD })).not.toBeNull()
    await t.stop()
  })

  it('one author sending 300 bundles at the acceptable bound moves the clock by at most its cap; offers stay sane', async () => {
    const t = await testnet({ peers: 0, seed: 42 })
    const observer = t.net.bind()
    const offers: NonNullable<IntroductionRequest['sync']>[] = []
    const { decodePacket } = await import('../../src/wire/index.js')
    const { encodePacket } = await import('../../src/wire/index.js')
    observer.onPacket = (from, bytes) => {
      const p = decodePacket(bytes)?.packet
      if (p?.type !== 'introduction-request') return
      if (p.sync !== undefined) offers.push(p.sync)
      // It answers, so it validates: walks to an address that has not validated carry no offer.
      const me = observer.address()
      observer.send(from, encodePacket(t.overlay, { type: 'introduction-response', destination: from, sourceLan: me, sourceWan: me, connectionType: 'public', identifier: p.identifier, globalTime: 0 }))
    }
    const victim = await t.addPeer({ trusted: [observer.address()] })
    for (let i = 0; i < 5; i++) await victim.publish(t.overlay, new Uint8Array([i]))
    const start = gtOf(victim)
    const m = adversary(t, victim)
    let accepted = 0
    for (let i = 0; i < 300; i++) {
      // Stay a live stumble candidate. A real author, so it proves its address (echoes our token):
      // a stumble candidate that never validates is dropped when it does not answer our walk.
      if (i === 0) await m.validate()
      else if (i % 50 === 0) m.introduce()
      // The attacker sees our time in every introduction-response; it aims at the very top.
      const b = signBundle({ overlay: t.overlay, globalTime: gtOf(victim) + DEFAULT_ACCEPTABLE_RANGE, kind: 1, body: new TextEncoder().encode(`ratchet ${i}`) }, mallory!)
      m.bundles([b])
      await t.run(60, 20)
      accepted = victim.stats().bundlesStored - 5
    }
    expect(accepted).toBe(300) // each is within the acceptable range, so it is stored…
    expect(gtOf(victim)).toBeLessThanOrEqual(start + DEFAULT_AUTHOR_CAP) // …but the clock moved by the cap at most
    expect(victim.stats().bundleDrops['global-time-too-high'] ?? 0).toBe(0)
    // Our own publishing continues from the clock, not from the attacker's times.
    const mine = await victim.publish(t.overlay, new Uint8Array([42]))
    expect(mine.globalTime).toBe(gtOf(victim))
    // Offers made after the attack never reach beyond the acceptable bound.
    offers.length = 0
    await t.run(60_000)
    expect(offers.length).toBeGreaterThan(0)
    const bound = gtOf(victim) + DEFAULT_ACCEPTABLE_RANGE
    for (const o of offers) {
      expect(o.timeLow).toBeGreaterThanOrEqual(1)
      expect(o.timeHigh).toBeLessThanOrEqual(bound)
      expect(o.timeHigh === 0 || o.timeHigh >= o.timeLow).toBe(true)
    }
    await t.stop()
  }, 60_000)

  it('documented limit: two colluding authors leapfrog, but by at most the cap per bundle', async () => {
    const t = await testnet({ peers: 1, seed: 43 })
    const victim = t.nodes[0]!
    const m = adversary(t, victim)
    m.introduce()
    await t.run(100)
    const n = 40
    for (let i = 0; i < n; i++) {
      const author = i % 2 === 0 ? mallory! : trudy!
      m.bundles([signBundle({ overlay: t.overlay, globalTime: gtOf(victim) + DEFAULT_ACCEPTABLE_RANGE, kind: 1, body: new Uint8Array([i]) }, author)])
      await t.run(60, 20)
    }
    expect(victim.stats().bundlesStored).toBe(n)
    expect(gtOf(victim)).toBeLessThanOrEqual(n * DEFAULT_AUTHOR_CAP)
    expect(gtOf(victim)).toBeGreaterThan((n / 2) * DEFAULT_AUTHOR_CAP) // the leapfrog is real: see docs/security.md
    await t.stop()
  }, 60_000)

  it('peers of one subnet are one median vote: 8 validated ports and hosts of one /24 cannot make 2^53 − 1 acceptable', async () => {
    const t = await testnet({ peers: 1, seed: 44 })
    const victim = t.nodes[0]!
    // Before the fix each address was a vote: 8 ports of one host set the median to 2^53 − 1,
    // one bundle then moved the clock there and publish() failed for good.
    const sybils = Array.from({ length: 8 }, (_, i) => adversary(t, victim, { host: `10.66.0.${1 + (i % 2)}`, port: 2000 + i }))
    for (const s of sybils) await s.validate({ globalTime: MAX_GLOBAL_TIME })
    const bomb = signBundle({ overlay: t.overlay, globalTime: MAX_GLOBAL_TIME, kind: 1, body: new Uint8Array(1) }, mallory!)
    sybils[0]!.bundles([bomb])
    await t.run(100)
    expect(victim.stats().amplification.validated).toBeGreaterThanOrEqual(8)
    expect(victim.stats().bundleDrops['global-time-too-high']).toBe(1)
    expect(gtOf(victim)).toBe(0)
    expect((await victim.publish(t.overlay, new Uint8Array(1))).globalTime).toBe(1)
    // Six peers in six /24s still form a median: a node far behind catches up at once.
    const peers = Array.from({ length: 6 }, (_, i) => adversary(t, victim, { host: `10.${70 + i}.1.1`, port: 3000 }))
    for (const p of peers) await p.validate({ globalTime: 50_000 })
    peers[0]!.bundles([signBundle({ overlay: t.overlay, globalTime: 55_000, kind: 1, body: new Uint8Array(2) }, mallory!)])
    await t.run(100)
    expect(victim.stats().bundlesStored).toBe(2)
    expect(gtOf(victim)).toBe(50_000 + DEFAULT_AUTHOR_CAP)
    await t.stop()
  })
})
