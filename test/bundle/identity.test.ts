/**
 * The identity cost (issue 20, DESIGN §14): a nonce bound to (room, key) with B leading zero
 * bits, carried in the bundle header; the same nonce does not serve another room or key; a
 * bundle without enough work is dropped before its signature is checked.
 */
import { describe, expect, it } from 'vitest'
import { sha256 } from '@noble/hashes/sha2.js'
import { decodeBundle, encodedBundleSize, encodePolicy, hasIdentityWork, identityEpochOf, identityWork, IDENTITY_NONCE_BYTES, MAX_BODY_FIELD, MAX_PARENTS_FIELD, mintIdentity, OPEN_ROOM_POLICY, POLICY_BYTES, policyError, roomId, roomPolicy, samePolicy, signBundle, verifyBundleSignature, type Bundle } from '../../src/bundle/index.js'
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

  describe('identity epochs', () => {
    it('a proof bound to an epoch proves only bundles whose global time falls in it', () => {
      const room = roomId('pow-epochs')
      expect(identityEpochOf(349, 100)).toBe(3)
      expect(identityEpochOf(349, 0)).toBeUndefined()
      const nonce = mintIdentity(room, alice!.publicKey, 10, { epoch: 3 })
      expect(identityWork(room, alice!.publicKey, nonce, 3)).toBeGreaterThanOrEqual(10)
      const at = (globalTime: number, identityNonce = nonce) => signBundle({ overlay: room, globalTime, kind: 1, body: new Uint8Array([1]), identityNonce }, alice!)
      expect(hasIdentityWork(at(300), 10, 100)).toBe(true)
      expect(hasIdentityWork(at(399), 10, 100)).toBe(true)
      // The epochs either side, and the same nonce read as a proof for room and key alone (fresh draws: < 10 bits for this seed).
      expect(hasIdentityWork(at(299), 10, 100)).toBe(false)
      expect(hasIdentityWork(at(400), 10, 100)).toBe(false)
      expect(hasIdentityWork(at(350), 10, 0)).toBe(false)
      // A proof for room and key alone does not serve a room with epochs.
      const forever = mintIdentity(room, alice!.publicKey, 10)
      expect(hasIdentityWork(at(350, forever), 10, 0)).toBe(true)
      expect(hasIdentityWork(at(350, forever), 10, 100)).toBe(false)
      expect(() => mintIdentity(room, alice!.publicKey, 4, { epoch: -1 })).toThrow(RangeError)
    })

    it('the policy commits to the epoch: version 2 bytes and another room id, while a policy without one keeps its version-1 bytes and id', () => {
      const v1 = encodePolicy(OPEN_ROOM_POLICY)
      expect(v1).toHaveLength(POLICY_BYTES)
      expect(v1[0]).toBe(1)
      const domain = new TextEncoder().encode('bloomwalk/room-policy/v1/')
      const name = new TextEncoder().encode('lobby')
      expect(hex(roomId('lobby', OPEN_ROOM_POLICY))).toBe(hex(sha256(Uint8Array.from([...domain, ...v1, ...name]))))
      const epochs = { ...OPEN_ROOM_POLICY, identityEpoch: 5_000 }
      const v2 = encodePolicy(epochs)
      expect(v2).toHaveLength(POLICY_BYTES + 8)
      expect(v2[0]).toBe(2)
      expect(hex(v2.subarray(1, POLICY_BYTES))).toBe(hex(v1.subarray(1)))
      expect(new DataView(v2.buffer).getBigUint64(POLICY_BYTES)).toBe(5000n)
      expect(hex(roomId('lobby', epochs))).not.toBe(hex(roomId('lobby', OPEN_ROOM_POLICY)))
      expect(samePolicy(epochs, OPEN_ROOM_POLICY)).toBe(false)
      expect(policyError(roomPolicy({ identityEpoch: 10 }))).toMatch(/needs identity bits/)
      expect(policyError(roomPolicy({ identityBits: 8, identityEpoch: -1 }))).toMatch(/identity epoch/)
      expect(policyError(roomPolicy({ identityBits: 8, identityEpoch: 10 }))).toBeUndefined()
    })

    it('a node mints again at its first publish into a new epoch; a bundle whose proof is of another epoch is dropped before any signature check', async () => {
      let checks = 0
      const verifyBundle = (b: Bundle) => {
        checks++
        return verifyBundleSignature(b)
      }
      const t0 = await testnet({ peers: 0, seed: 72 })
      const policy = roomPolicy({ identityBits: 8, identityEpoch: 4 })
      const policies = new Map([[hex(t0.overlay), policy]])
      const a = await t0.addPeer({ policies, verifyBundle })
      const b = await t0.addPeer({ policies, verifyBundle })
      const nonces = new Set<string>()
      for (let i = 0; i < 6; i++) {
        const bundle = await a.publish(t0.overlay, new Uint8Array([i]))
        expect(hasIdentityWork(bundle, 8, 4)).toBe(true)
        nonces.add(hex(a.identityNonce(t0.overlay)!))
      }
      // Global times 1..6: epochs 0 and 1, one nonce each.
      expect(nonces.size).toBe(2)
      await t0.run(30_000)
      expect(b.stats().overlays[0]!.bundlesStored).toBe(6)
      const before = checks
      const m = adversary(t0, b)
      m.introduce()
      await t0.run(100)
      // Mallory's proof for epoch 0, on bundles stamped in epoch 1 (global times 4..7), and one in epoch 0 that it proves.
      const stale = mintIdentity(t0.overlay, mallory!.publicKey, 8, { epoch: 0 })
      m.bundles([...Array.from({ length: 4 }, (_, i) => signBundle({ overlay: t0.overlay, globalTime: 4 + i, kind: 1, body: new Uint8Array([i]), identityNonce: stale }, mallory!)), signBundle({ overlay: t0.overlay, globalTime: 3, kind: 1, body: new Uint8Array([9]), identityNonce: stale }, mallory!)])
      await t0.run(100)
      expect(b.stats().bundleDrops['identity-work']).toBe(4)
      expect(checks).toBe(before + 1)
      expect(b.stats().overlays[0]!.bundlesStored).toBe(7)
      await t0.stop()
    })
  })
})

