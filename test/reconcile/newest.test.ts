import { describe, expect, it } from 'vitest'
import { MAX_NEWER_SLICES, NEWER_SLICE_BUNDLES, newerSlices } from '../../src/reconcile/index.js'

describe('newerSlices (newest first)', () => {
  it('asks nothing of a peer that is not ahead, and one open request for a small gap', () => {
    expect(newerSlices(500, 500, 500)).toEqual([])
    expect(newerSlices(500, 400, 500)).toEqual([])
    expect(newerSlices(500, 510, 500)).toEqual([{ newerThan: 500 }])
    // An empty node (newest 0) asks from global time 1.
    expect(newerSlices(0, 40, 0)).toEqual([{ newerThan: 1 }])
  })

  it('cuts a gap expected to hold more than one answer into contiguous slices, the last one open, at most MAX_NEWER_SLICES', () => {
    for (const [newest, peer, count] of [[100_000, 101_000, 100_000], [100_000, 100_300, 50_000], [1000, 1_000_000, 1000], [10, 10_000, 100_000]] as const) {
      const slices = newerSlices(newest, peer, count)
      const expected = ((peer - newest) * count) / newest
      expect(slices.length).toBe(Math.min(MAX_NEWER_SLICES, Math.max(1, Math.ceil(expected / NEWER_SLICE_BUNDLES))))
      expect(slices[0]!.newerThan).toBe(newest)
      for (let k = 0; k + 1 < slices.length; k++) expect(slices[k]!.upTo).toBe(slices[k + 1]!.newerThan)
      expect(slices.at(-1)!.upTo).toBeUndefined()
      expect(slices.at(-1)!.newerThan).toBeLessThan(peer)
      // Each bounded slice is expected to hold about NEWER_SLICE_BUNDLES or fewer (unless capped by MAX_NEWER_SLICES).
      if (slices.length < MAX_NEWER_SLICES) for (const s of slices.slice(0, -1)) expect(((s.upTo! - s.newerThan) * count) / newest).toBeLessThanOrEqual(NEWER_SLICE_BUNDLES + count / newest)
    }
  })

  it('never asks for more slices than global times in the gap', () => {
    expect(newerSlices(10, 13, 1_000_000)).toEqual([{ newerThan: 10, upTo: 11 }, { newerThan: 11, upTo: 12 }, { newerThan: 12 }])
  })
})
