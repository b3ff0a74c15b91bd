import { describe, expect, it } from 'vitest'
import { decodeBundle, signBundle, roomId, verifyBundleSignature } from '../../src/bundle/index.js'
import { SeededRng } from '../../src/env/rng.js'
import { defaultVerifyBundle, nativeEd25519Works, nativeVerifyBundle, pickVerifier } from '../../src/node/native-verify.js'
import { makeAuthors } from '../helpers/bundles.js'

describe('native (node:crypto) and portable (noble) Ed25519 verification agree', () => {
  it('on valid, bit-flipped, zeroed and wrong-key bundles', () => {
    const rng = new SeededRng(4)
    const authors = makeAuthors(3, 8)
    const wide = { maxParents: 255, maxBody: 0xffff }
    let checked = 0
    for (let i = 0; i < 60; i++) {
      const good = signBundle({ overlay: roomId('v'), globalTime: 1 + i, kind: 1, body: rng.bytes(20) }, authors[i % 3]!)
      const variants = [good.bytes.slice(), good.bytes.slice(), good.bytes.slice(), good.bytes.slice()]
      variants[1]![variants[1]!.length - 1 - (i % 64)]! ^= 1 << i % 8 // signature bit
      variants[2]!.fill(0, variants[2]!.length - 64) // zero signature
      variants[3]!.set(authors[(i + 1) % 3]!.publicKey, 1 + 32 + 8) // another author
      for (const bytes of variants) {
        const b = decodeBundle(bytes, wide)!
        expect(nativeVerifyBundle(b)).toBe(verifyBundleSignature(b))
        expect(defaultVerifyBundle(b)).toBe(verifyBundleSignature(b))
        checked++
      }
    }
    expect(checked).toBe(240)
  })

  it("the node's default is the native one where node:crypto has Ed25519, else the portable one", () => {
    // Node 20 ships OpenSSL with Ed25519: the library's default is the fast path here.
    expect(nativeEd25519Works()).toBe(true)
    expect(pickVerifier(true)).toBe(nativeVerifyBundle)
    expect(pickVerifier(false)).toBe(verifyBundleSignature)
  })
})
