/**
 * The identity cost (issue 20, DESIGN §14): a nonce bound to (room, key) with B leading zero
 * bits, carried in the bundle header; the same nonce does not serve another room or key; a
 * bundle without enough work is dropped before its signature is checked.
 */
import { describe, expect, it } from 'vitest'
import { decodeBundle, encodedBundleSize, hasIdentityWork, identityWork, IDENTITY_NONCE_BYTES, MAX_BODY_FIELD, MAX_PARENTS_FIELD, mintIdentity, roomId, roomPolicy, signBundle, verifyBundleSignature, type Bundle } from '../../src/bundle/index.js'
import { hex, makeAuthors } from '../helpers/bundles.js'
import { testnet } from '../node/harness.js'
import { adversary } from '../hardening/helpers.js'

const DECODE = { maxParents: MAX_PARENTS_FIELD, maxBody: MAX_BODY_FIELD }
const [alice, mallory] = makeAuthors(2, 99)

describe('identity proof of work', () => {
  it('mints a nonce with the asked bits, bound to the room and the key', () => {
    const room = roomId('pow')
    const nonce = mintIdentity(room, alice!.publicKey, 10)
    expect(nonce).toHaveLength(IDENTITY_NONCE_BYTES)
    expect(identityWork(room, alice!.publicKey, nonce)).toBeGreaterThanOrEqual(10)
    // Another room or another key: the work is a fresh draw (≥ 10 bits with chance 2^-10 each; these seeds do not hit it).
    expect(identityWork(roomId('pow2'), alice!.publicKey, nonce)).toBeLessThan(10)
    expect(identityWork(room, mallory!.publicKey, nonce)).toBeLessThan(10)
    expect(() => mintIdentity(room, alice!.publicKey, 30, { maxTries: 100 })).toThrow(RangeError)
  })

  it('rides in the bundle header: encoded, decoded, part of the id, and absent bundles unchanged', () => {
    const room = roomId('pow')
    const identityNonce = mintIdentity(room, alice!.publicKey, 8)
    const plain = signBundle({ overlay: room, globalTime: 5, kind: 1, body: new Uint8Array([1]) }, alice!)
    const proven = signBundle({ overlay: room, globalTime: 5, kind: 1, body: new Uint8Array([1]), identityNonce }, alice!)
    expect(proven.bytes.length).toBe(plain.bytes.length + IDENTITY_NONCE_BYTES)
    expect(proven.bytes.length).toBe(encodedBundleSize(0, 1, false, true))
    expect(hex(proven.id)).not.toBe(hex(plain.id))
    const decoded = decodeBundle(proven.bytes, DECODE)!
    expect(hex(decoded.identityNonce!)).toBe(hex(identityNonce))
    expect(hex(decoded.id)).toBe(hex(proven.id))
    expect(verifyBundleSignature(decoded)).toBe(true)
    expect(decodeBundle(plain.bytes, DECODE)!.identityNonce).toBeUndefined()
    expect(hasIdentityWork(decoded, 8)).toBe(true)
    expect(hasIdentityWork(plain, 8)).toBe(false)
    expect(hasIdentityWork(plain, 0)).toBe(true)
    // A truncated nonce does not decode.
    const cut = Uint8Array.from(proven.bytes)
    expect(decodeBundle(cut.subarray(0, 1 + 32 + 8 + 32 + 2 + 4), DECODE)).toBeNull()
  })

  it('a node in a room that asks for work: publishes with its nonce, drops bundles without work before any signature check', async () => {
    let checks = 0
    const verifyBundle = (b: Bundle) => {
      checks++
      return verifyBundleSignature(b)
    }
    const t0 = await testnet({ peers: 0, seed: 71 })
    const policies = new Map([[hex(t0.overlay), roomPolicy({ identityBits: 8 })]])
    const a = await t0.addPeer({ policies, verifyBundle })
    const b = await t0.addPeer({ policies, verifyBundle })
    await a.publish(t0.overlay, new Uint8Array([1]))
    await t0.run(30_000)
    expect(b.stats().overlays[0]!.bundlesStored).toBe(1)
    expect(identityWork(t0.overlay, a.keys.publicKey, a.identityNonce(t0.overlay)!)).toBeGreaterThanOrEqual(8)
    const before = checks
    const m = adversary(t0, b)
    m.introduce()
    await t0.run(100)
    m.bundles(Array.from({ length: 5 }, (_, i) => signBundle({ overlay: t0.overlay, globalTime: 2 + i, kind: 1, body: new Uint8Array([i]) }, mallory!)))
    await t0.run(100)
    expect(b.stats().bundleDrops['identity-work']).toBe(5)
    expect(checks).toBe(before)
    expect(b.stats().overlays[0]!.bundlesStored).toBe(1)
    await t0.stop()
  })
})
