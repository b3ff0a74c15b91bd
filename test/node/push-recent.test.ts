/** The freshest bundles named in walk datagrams (src/node/push-recent.ts): bounded, and only lately taken in. */
import { describe, expect, it } from 'vitest'
import type { Bundle } from '../../src/bundle/types.js'
import { RECENT_IDS, RecentFresh } from '../../src/node/push-recent.js'
import type { OverlayWalk } from '../../src/node/overlay.js'
import { shortIdOf } from '../../src/reconcile/index.js'

const overlay = {} as OverlayWalk
const other = {} as OverlayWalk
const bundle = (i: number) => ({ id: new Uint8Array(32).fill(i), globalTime: i }) as unknown as Bundle

describe('RecentFresh', () => {
  it(`names at most ${RECENT_IDS} bundles an overlay, the newest taken in, oldest first`, () => {
    const recent = new RecentFresh(5_000)
    recent.took(overlay, Array.from({ length: 10 }, (_, i) => bundle(i + 1)), 0)
    recent.took(overlay, [bundle(11)], 1)
    expect(recent.size(overlay)).toBe(RECENT_IDS)
    expect(recent.named(overlay, 1)).toEqual([8, 9, 10, 11].map((i) => shortIdOf(bundle(i).id)))
    expect(recent.named(other, 1)).toEqual([])
  })

  it('forgets to name a bundle recentMs after it was taken in, and names none with recentMs 0', () => {
    const recent = new RecentFresh(5_000)
    recent.took(overlay, [bundle(1)], 0)
    recent.took(overlay, [bundle(2)], 3_000)
    expect(recent.named(overlay, 5_000)).toHaveLength(2)
    expect(recent.named(overlay, 5_001)).toEqual([shortIdOf(bundle(2).id)])
    expect(recent.named(overlay, 8_001)).toEqual([])
    const off = new RecentFresh(0)
    off.took(overlay, [bundle(1)], 0)
    expect(off.named(overlay, 0)).toEqual([])
  })

  it('with upTo names only the bundles at a global time up to it', () => {
    const recent = new RecentFresh(5_000)
    recent.took(overlay, [bundle(3), bundle(5), bundle(4)], 0)
    expect(recent.named(overlay, 0, 4)).toEqual([3, 4].map((i) => shortIdOf(bundle(i).id)))
  })

  it('clear forgets every overlay', () => {
    const recent = new RecentFresh(5_000)
    recent.took(overlay, [bundle(1)], 0)
    recent.took(other, [bundle(2)], 0)
    recent.clear()
    expect(recent.size(overlay) + recent.size(other)).toBe(0)
  })
})
