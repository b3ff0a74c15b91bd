import { describe, expect, it } from 'vitest'
import { generateKeyPair, portableSign, roomId, signBundle, verifyBundleSignature } from '../../src/bundle/index.js'
import { SeededRng } from '../../src/env/rng.js'
import { defaultSign, nativeSign } from '../../src/node/native-sign.js'

describe('native (node:crypto) and portable (noble) Ed25519 signing', () => {
  it('give the same bytes for the same id and key (Ed25519 is deterministic), and the bundle verifies', () => {
    const rng = new SeededRng(11)
    let compared = 0
    for (let k = 0; k < 8; k++) {
      const keys = generateKeyPair(rng)
      for (let i = 0; i < 16; i++) {
        const id = rng.bytes(32)
        const native = nativeSign(id, keys)
        expect(native).toHaveLength(64)
        expect(Buffer.from(native).equals(Buffer.from(portableSign(id, keys)))).toBe(true)
        expect(Buffer.from(defaultSign(id, keys)).equals(Buffer.from(native))).toBe(true)
        compared++
      }
      const draft = { overlay: roomId('signing'), globalTime: 1 + k, kind: 1, body: rng.bytes(40) }
      const fast = signBundle(draft, keys, nativeSign)
      expect(Buffer.from(fast.bytes).equals(Buffer.from(signBundle(draft, keys).bytes))).toBe(true)
      expect(verifyBundleSignature(fast)).toBe(true)
    }
    expect(compared).toBe(128)
  })
})
