import { describe, expect, it } from 'vitest'
import { signBundle, type Bundle } from '../../src/bundle/index.js'
import { decodeBundle } from '../../src/bundle/codec.js'
import { verifyBundleSignature } from '../../src/bundle/sign.js'
import { InFlightBundles } from '../../src/node/in-flight.js'
import type { Delivery } from '../../src/node/index.js'
import { MemoryStore } from '../../src/store/index.js'
import { encodePacket, type Address } from '../../src/wire/index.js'
import { makeAuthors, makeBundles } from '../helpers/bundles.js'
import { testnet } from './harness.js'

/** The bundle with one bit of its signature flipped: the same id, a signature that does not verify. */
function forgedCopy(b: Bundle): Bundle {
  const bytes = b.bytes.slice()
  bytes[bytes.length - 1]! ^= 0x01
  const forged = decodeBundle(bytes, { maxParents: 255, maxBody: 0xffff })
  if (forged === null) throw new Error('the forged copy does not decode')
  return forged
}

describe('InFlightBundles (the intake\'s copies in flight)', () => {
  it('makes an identical copy a duplicate until released, not a forged one with the same id', () => {
    const inFlight = new InFlightBundles()
    const [b] = makeBundles(1)
    const forged = forgedCopy(b!)
    expect(forged.id).toEqual(b!.id)
    expect(inFlight.claim(b!)).toBe('mine')
    expect(inFlight.claim(decodeBundle(b!.bytes.slice(), { maxParents: 255, maxBody: 0xffff })!)).toBe('duplicate')
    expect(inFlight.claim(forged)).toBe('mine')
    inFlight.release(forged)
    inFlight.release(b!)
    expect(inFlight.size).toBe(0)
    expect(inFlight.claim(b!)).toBe('mine')
  })

  it('holds at most its capacity: past it a copy is taken in unclaimed, and a release makes room', () => {
    const inFlight = new InFlightBundles(4)
    const bundles = makeBundles(6)
    expect(bundles.map((b) => inFlight.claim(b))).toEqual(['mine', 'mine', 'mine', 'mine', 'unclaimed', 'unclaimed'])
    expect(inFlight.size).toBe(4)
    // A copy of a claimed one is still a duplicate when full.
    expect(inFlight.claim(bundles[0]!)).toBe('duplicate')
    inFlight.release(bundles[0]!)
    expect(inFlight.claim(bundles[4]!)).toBe('mine')
    expect(inFlight.size).toBe(4)
    expect(() => new InFlightBundles(0)).toThrow(RangeError)
  })
})

/** A store whose `has` waits at a gate: copies arriving meanwhile all sit between the duplicate check and the write. */
class GatedStore extends MemoryStore {
  gate: Promise<void> | undefined
  override async has(overlay: Uint8Array, id: Uint8Array): Promise<boolean> {
    await this.gate
    return super.has(overlay, id)
  }
}

async function intakeScene(seed: number) {
  const t = await testnet({ peers: 0, seed })
  const store = new GatedStore()
  const verified: Bundle[] = []
  const verifyBundle = (b: Bundle): boolean => {
    verified.push(b)
    return verifyBundleSignature(b)
  }
  const node = await t.addPeer({ stepIntervalMs: 10_000_000, store, verifyBundle })
  const peers = [t.net.bind(), t.net.bind()]
  // Become stumble candidates first (bundles are accepted only from candidates).
  for (const peer of peers) {
    peer.send(node.address(), encodePacket(t.overlay, { type: 'introduction-request', destination: node.address(), sourceLan: peer.address(), sourceWan: peer.address(), advice: false, connectionType: 'unknown', identifier: 1, globalTime: 0 }))
  }
  await t.run(100)
  const delivered: Delivery[] = []
  node.events.on('bundle', (d) => delivered.push(d))
  const [author] = makeAuthors(1, seed)
  const genuine = signBundle({ overlay: t.overlay, globalTime: 1, kind: 1, body: new TextEncoder().encode('hello') }, author!)
  /** Sends `copies[i]` from peer i % 2, all while the store's `has` is held, then lets them through. */
  const arriveAtOnce = async (copies: Bundle[]) => {
    let open: () => void = () => undefined
    store.gate = new Promise<void>((resolve) => (open = resolve))
    copies.forEach((b, i) => peers[i % 2]!.send(node.address(), encodePacket(t.overlay, { type: 'bundles', bundles: [b] })))
    await t.run(100)
    store.gate = undefined
    open()
    await t.run(100)
  }
  return { t, node, store, verified, delivered, genuine, arriveAtOnce, from: (d: Delivery): Address | undefined => d.from }
}

describe('the intake takes in copies arriving at once', () => {
  it('verifies and writes a bundle once when identical copies from two peers are checked at the same time', async () => {
    const { t, node, verified, delivered, genuine, arriveAtOnce } = await intakeScene(41)
    await arriveAtOnce([genuine, genuine, genuine])
    expect(verified.length).toBe(1)
    expect(delivered.map((d) => d.bundle.id)).toEqual([genuine.id])
    expect(node.stats().overlays[0]!.bundlesStored).toBe(1)
    expect(node.stats().bundlesDuplicate).toBe(2)
    await t.stop()
  })

  it('still refuses a forged copy (same id, another signature) in flight beside the genuine one, and still takes the genuine one in, in either order', async () => {
    for (const forgedFirst of [true, false]) {
      const { t, node, store, verified, delivered, genuine, arriveAtOnce } = await intakeScene(forgedFirst ? 43 : 47)
      const forged = forgedCopy(genuine)
      await arriveAtOnce(forgedFirst ? [forged, genuine, forged] : [genuine, forged, genuine])
      // The forged copy is checked on its own (not taken for the genuine one in flight) and refused.
      expect(node.stats().bundleDrops['BUNDLE_BAD_SIGNATURE']).toBeGreaterThanOrEqual(1)
      expect(verified.some((b) => b.signature.at(-1) === forged.signature.at(-1))).toBe(true)
      // The genuine copy is stored and delivered, once, with its own signature.
      expect(delivered.length).toBe(1)
      expect(delivered[0]!.bundle.signature).toEqual(genuine.signature)
      expect((await store.get(t.overlay, genuine.id))?.signature).toEqual(genuine.signature)
      expect(node.stats().overlays[0]!.bundlesStored).toBe(1)
      await t.stop()
    }
  })
})
