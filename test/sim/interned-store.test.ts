/** The simulator's interned store passes the one BundleStore conformance suite. */
import { describe, expect, it } from 'vitest'
import type { Bundle } from '../../src/bundle/index.js'
import { BundleTable, InternedStore } from '../../src/sim/interned-store.js'
import { runStoreConformance } from '../store/conformance.js'

runStoreConformance('InternedStore (fresh table)', async () => new InternedStore(new BundleTable()))

// Two stores over one table: what one holds must never leak into the other.
const shared = new BundleTable()
const neighbour = new InternedStore(shared)
runStoreConformance('InternedStore (shared table)', async () => {
  await neighbour.open()
  return new InternedStore(shared)
})

describe('BundleTable', () => {
  it('tells apart ids that share their first 48 bits (the map key)', () => {
    const table = new BundleTable()
    const overlay = new Uint8Array(32).fill(7)
    const fake = (last: number, globalTime: number) => {
      const id = new Uint8Array(32).fill(1)
      id[31] = last
      return { overlay, id, globalTime, bytes: new Uint8Array(1) } as unknown as Bundle
    }
    const a = table.intern(fake(1, 5))
    const b = table.intern(fake(2, 5))
    const c = table.intern(fake(3, 4))
    expect(new Set([a, b, c]).size).toBe(3)
    expect(table.intern(fake(2, 5))).toBe(b)
    expect(table.ordinal(fake(3, 4).id)).toBe(c)
    expect(table.ordinal(fake(9, 4).id)).toBeUndefined()
    const index = table.index(table.overlay(overlay)!)
    expect(index.gts).toEqual([4, 5])
    expect(index.byGt.get(5)).toEqual([a, b])
  })
})
