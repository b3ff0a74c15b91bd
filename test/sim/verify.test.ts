/** The shared verifier: each distinct bundle checked once; a changed signature is checked anew. */
import { describe, expect, it } from 'vitest'
import { generateKeyPair, roomId, signBundle, verifyBundleSignature, type Bundle } from '../../src/bundle/index.js'
import { SeededRng } from '../../src/env/rng.js'
import { sharedVerifier } from '../../src/sim/verify.js'

describe('sharedVerifier', () => {
  it('verifies each distinct (id, signature) once and remembers the verdict', () => {
    const keys = generateKeyPair(new SeededRng(1))
    const bundles = Array.from({ length: 20 }, (_, i) => signBundle({ overlay: roomId('v'), globalTime: i + 1, kind: 1, body: new Uint8Array([i]) }, keys))
    let calls = 0
    const verify = sharedVerifier((b) => {
      calls++
      return verifyBundleSignature(b)
    })
    for (let round = 0; round < 3; round++) for (const b of bundles) expect(verify({ ...b })).toBe(true)
    expect(calls).toBe(20)
    const forged: Bundle = { ...bundles[0]!, signature: bundles[1]!.signature }
    expect(verify(forged)).toBe(false)
    expect(verify(forged)).toBe(false)
    expect(calls).toBe(21)
    expect(verify(bundles[0]!)).toBe(true)
  })
})
