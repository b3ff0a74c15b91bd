/**
 * Forged and corrupted bundles relayed by an untrusted peer (issue 8, DESIGN §3): bad
 * signature, altered content (its id changes, so the signature no longer matches), another
 * author's key, truncated, oversized, another overlay, too many parents. None is stored,
 * none is forwarded (a third node syncing with the victim never receives one), each is
 * counted — in memory and over real UDP on loopback.
 *
 * Id mismatch: ids are never carried on the wire; a receiver computes each id from the
 * bundle's bytes. A relay therefore cannot attach a wrong id: changing any byte changes
 * the id and breaks the signature. The one place an id is expected is a bundle-request for
 * a missing parent: answering it with another bundle does not satisfy the parent (tested).
 */
import { describe, expect, it } from 'vitest'
import { decodeBundle, MAX_BODY_FIELD, MAX_PARENTS_FIELD, signBundle, verifyBundleSignature, type Bundle } from '../../src/bundle/index.js'
import { SystemClock } from '../../src/env/clock.js'
import { CryptoRng } from '../../src/env/crypto-rng.js'
import { createNode, type BloomwalkNode } from '../../src/node/index.js'
import { MemoryStore } from '../../src/store/memory.js'
import { createUdpTransport, type Transport } from '../../src/transport/index.js'
import { decodePacket, encodePacket, type Address } from '../../src/wire/index.js'
import { hex, makeAuthors } from '../helpers/bundles.js'
import { settle, testnet } from '../node/harness.js'
import { adversary } from './helpers.js'

const [mallory, alice] = makeAuthors(2, 77)
const DECODE = { maxParents: MAX_PARENTS_FIELD, maxBody: MAX_BODY_FIELD }

/** One hostile bundle per case (each goes in its own datagram), plus one valid bundle. */
function hostile(overlay: Uint8Array): { valid: Bundle; cases: Record<string, Bundle> } {
  const sign = (body: Uint8Array, extra: { overlay?: Uint8Array; parents?: Uint8Array[] } = {}) =>
    signBundle({ overlay: extra.overlay ?? overlay, globalTime: 3, kind: 1, body, parents: extra.parents }, mallory!)
  const flip = (b: Bundle, at: number): Bundle => {
    const bytes = Uint8Array.from(b.bytes)
    bytes[at]! ^= 0x01
    return decodeBundle(bytes, DECODE)!
  }
  const original = sign(new TextEncoder().encode('never sent as is'))
  const swapped = Uint8Array.from(original.bytes)
  swapped.set(alice!.publicKey, 41) // author field: claims alice wrote it
  return {
    valid: sign(new TextEncoder().encode('valid')),
    cases: {
      'bad-signature': flip(original, original.bytes.length - 1), // same id as `original`
      'altered-body': flip(original, original.bytes.length - 70), // new id, old signature
      'other-author': decodeBundle(swapped, DECODE)!,
      truncated: { ...original, bytes: original.bytes.subarray(0, original.bytes.length - 9) },
      oversized: sign(new Uint8Array(1250).fill(7)), // a real signature, but over one datagram's budget
      'other-overlay': sign(new Uint8Array(3), { overlay: new Uint8Array(32).fill(9) }),
      'too-many-parents': sign(new Uint8Array(3), { parents: Array.from({ length: 17 }, (_, i) => new Uint8Array(32).fill(i)) })
    }
  }
}

/** The victim's expected counters for the cases above. */
function expectCounted(victim: BloomwalkNode): void {
  const s = victim.stats()
  expect(s.bundleDrops['BUNDLE_BAD_SIGNATURE']).toBe(3)
  expect(s.bundleDrops['BUNDLE_TOO_LARGE']).toBe(1)
  expect(s.bundleDrops['BUNDLE_WRONG_OVERLAY']).toBe(1)
  expect(s.drops['bad-bundle']).toBe(2) // truncated, 17 parents: the wire drops the datagram
}

/** Every bundle in every datagram `seen` verifies and is not one of `forged`. */
function expectOnlyValid(seen: Uint8Array[], forged: Bundle[]): number {
  const bad = new Set(forged.map((b) => hex(b.bytes)))
  let bundles = 0
  for (const bytes of seen) {
    const p = decodePacket(bytes)?.packet
    if (p?.type !== 'bundles') continue
    for (const b of p.bundles) {
      bundles++
      expect(bad.has(hex(b.bytes))).toBe(false)
      expect(verifyBundleSignature(b)).toBe(true)
    }
  }
  return bundles
}

/** Wraps a transport so every datagram it receives is also kept in `seen`. */
function spy(inner: Transport, seen: Uint8Array[]): Transport {
  const outer: Transport = { send: (to, b) => inner.send(to, b), onPacket: null, address: () => inner.address(), close: () => inner.close(), stats: () => inner.stats() }
  inner.onPacket = (from, bytes) => {
    seen.push(Uint8Array.from(bytes))
    outer.onPacket?.(from, bytes)
  }
  return outer
}

describe('forged and corrupted bundles relayed by an untrusted peer', () => {
  it('in memory: never stored, never forwarded to a third node, counted', async () => {
    const t = await testnet({ peers: 1, seed: 51 })
    const victim = t.nodes[0]!
    const seen: Uint8Array[] = []
    const third = await t.addPeer({ transport: spy(t.net.bind(), seen) })
    await t.run(60_000) // victim and third node meet and sync
    const { valid, cases } = hostile(t.overlay)
    const m = adversary(t, victim)
    m.introduce()
    await t.run(100)
    for (const b of Object.values(cases)) m.bundles([b])
    m.bundles([valid])
    await t.run(120_000) // plenty of walks between victim and third node
    expectCounted(victim)
    for (const node of [victim, third]) expect(node.stats().overlays[0]!.bundlesStored).toBe(1) // only the valid one
    expect(expectOnlyValid(seen, Object.values(cases))).toBeGreaterThanOrEqual(1)
    expect(third.stats().bundleDrops).toEqual({})
    await t.stop()
  }, 60_000)

  it('in memory: answering a bundle-request with another bundle does not satisfy the missing parent', async () => {
    const t = await testnet({ peers: 1, seed: 52 })
    const victim = t.nodes[0]!
    const m = adversary(t, victim)
    m.introduce()
    await t.run(100)
    const delivered: string[] = []
    victim.events.on('bundle', (d) => delivered.push(hex(d.bundle.id)))
    const parent = signBundle({ overlay: t.overlay, globalTime: 1, kind: 1, body: new Uint8Array([1]) }, mallory!)
    const child = signBundle({ overlay: t.overlay, globalTime: 2, kind: 1, body: new Uint8Array([2]), parents: [parent.id] }, mallory!)
    m.bundles([child])
    await t.run(100)
    const request = m.received.find((p) => p.type === 'bundle-request')
    expect(request?.type === 'bundle-request' && hex(request.ids[0]!)).toBe(hex(parent.id))
    // A forged "parent" (altered body: a different id, a signature that fails) and an unrelated valid bundle.
    const forgedBytes = Uint8Array.from(parent.bytes)
    forgedBytes[parent.bytes.length - 65]! ^= 0xff // the body byte
    const other = signBundle({ overlay: t.overlay, globalTime: 1, kind: 1, body: new Uint8Array([3]) }, mallory!)
    m.bundles([decodeBundle(forgedBytes, DECODE)!])
    m.bundles([other])
    await t.run(100)
    expect(victim.stats().bundleDrops['BUNDLE_BAD_SIGNATURE']).toBe(1)
    expect(delivered).toEqual([hex(other.id)]) // the child still waits for its real parent
    m.bundles([parent])
    await t.run(100)
    expect(delivered).toEqual([hex(other.id), hex(parent.id), hex(child.id)])
    await t.stop()
  })

  it('over real UDP on loopback: never stored, never forwarded to a third node, counted', async () => {
    const clock = new SystemClock()
    const fast = { stepIntervalMs: 100, candidates: { walkEligibleDelayMs: 300 } }
    const seen: Uint8Array[] = []
    const [vt, wt, mt] = [await createUdpTransport({ host: '127.0.0.1' }), await createUdpTransport({ host: '127.0.0.1' }), await createUdpTransport({ host: '127.0.0.1' })]
    const overlay = new Uint8Array(32).fill(0x51)
    const peer = (transport: Transport, trusted: Address) => createNode({ components: { transport, clock, rng: new CryptoRng(), store: new MemoryStore() }, settings: { overlays: [overlay], trusted: [trusted], ...fast } })
    const victim = peer(vt, wt.address())
    const third = peer(spy(wt, seen), vt.address())
    await victim.start()
    await third.start()
    const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
    try {
      const send = (bytes: Uint8Array) => mt.send(vt.address(), bytes)
      send(encodePacket(overlay, { type: 'introduction-request', destination: vt.address(), sourceLan: mt.address(), sourceWan: mt.address(), advice: false, connectionType: 'unknown', identifier: 7, globalTime: 0 }))
      await sleep(200)
      const { valid, cases } = hostile(overlay)
      for (const b of Object.values(cases)) send(encodePacket(overlay, { type: 'bundles', bundles: [b] }))
      send(encodePacket(overlay, { type: 'bundles', bundles: [valid] }))
      for (let i = 0; i < 50 && third.stats().overlays[0]!.bundlesStored < 1; i++) await sleep(100)
      await sleep(1500) // more walks: nothing else may arrive
      await settle()
      expectCounted(victim)
      expect(victim.stats().overlays[0]!.bundlesStored).toBe(1)
      expect(third.stats().overlays[0]!.bundlesStored).toBe(1)
      expect(expectOnlyValid(seen, Object.values(cases))).toBeGreaterThanOrEqual(1)
      expect(third.stats().bundleDrops).toEqual({})
    } finally {
      await Promise.all([victim.stop(), third.stop()])
      await Promise.all([vt.close(), wt.close(), mt.close()])
    }
  }, 30_000)
})
