/** The preloaded history: deterministic, the missing shares as specified, native signing byte-identical. */
import { describe, expect, it } from 'vitest'
import { roomId, verifyBundleSignature } from '../../src/bundle/index.js'
import { nativeSign } from '../../src/cli/sim.js'
import { SeededRng } from '../../src/env/rng.js'
import { buildHistory } from '../../src/sim/history.js'

describe('buildHistory', () => {
  const overlay = roomId('history')
  it('signs with node:crypto exactly what @noble/curves signs', () => {
    const noble = buildHistory({ bundles: 40, missing: 0.1 }, 5, overlay, 196, new SeededRng(3))
    const native = buildHistory({ bundles: 40, missing: 0.1 }, 5, overlay, 196, new SeededRng(3), nativeSign)
    expect(native.bundles.map((b) => Buffer.from(b.bytes).toString('hex'))).toEqual(noble.bundles.map((b) => Buffer.from(b.bytes).toString('hex')))
    expect(native.bundles.every(verifyBundleSignature)).toBe(true)
    expect(native.bundles.every((b) => b.bytes.length === 196)).toBe(true)
  })

  it('each peer lacks the given share; lackedBy is its inverse', () => {
    const h = buildHistory({ bundles: 200, missing: 0.05 }, 7, overlay, 150, new SeededRng(9))
    expect(h.missing.every((m) => m.size === 10)).toBe(true)
    const pairs = h.lackedBy.flatMap((peers, i) => peers.map((p) => `${p}/${i}`)).sort()
    expect(pairs).toEqual(h.missing.flatMap((m, p) => [...m].map((i) => `${p}/${i}`)).sort())
    expect(h.bundles.map((b) => b.globalTime)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1))
  })
})
