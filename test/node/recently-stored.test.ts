import { describe, expect, it } from 'vitest'
import type { Bundle } from '../../src/bundle/types.js'
import { heldUnder, RecentlyStored } from '../../src/node/recently-stored.js'
import { MemoryStore } from '../../src/store/memory.js'
import { shortOf } from '../../src/node/push-wants.js'
import { makeBundles } from '../helpers/bundles.js'

describe('RecentlyStored (the push path\'s look-ups without a store scan)', () => {
  it('names the last bundles by short id and global time, forgets the oldest past its bound and what was deleted', () => {
    const recent = new RecentlyStored(8)
    const bundles = makeBundles(12, { sequential: true })
    for (const b of bundles) recent.stored(b)
    recent.stored(bundles[11]!) // a repeat changes nothing
    expect(recent.size).toBe(8)
    for (const b of bundles.slice(0, 4)) {
      expect(recent.idOf(shortOf(b.id))).toBeUndefined()
      expect(recent.holdsAt(b.globalTime)).toBe(false)
    }
    for (const b of bundles.slice(4)) {
      expect(recent.idOf(shortOf(b.id))).toEqual(b.id)
      expect(recent.holdsAt(b.globalTime)).toBe(true)
    }
    recent.removed(bundles[5]!)
    expect(recent.idOf(shortOf(bundles[5]!.id))).toBeUndefined()
    expect(recent.holdsAt(bundles[5]!.globalTime)).toBe(bundles.slice(4).some((b, i) => i !== 1 && b.globalTime === bundles[5]!.globalTime))
    expect(recent.size).toBe(7)
  })
})

describe('RecentlyStored: bundles being written', () => {
  it('holds a short id while its write is in flight (however many), and only what was stored once the writes end', () => {
    const recent = new RecentlyStored(8)
    const [a, b] = makeBundles(2, { sequential: true })
    recent.arriving(a!.id)
    recent.arriving(a!.id) // the same bundle in two datagrams at once
    expect(recent.holds(shortOf(a!.id))).toBe(true)
    expect(recent.holds(shortOf(b!.id))).toBe(false)
    recent.arrived(a!.id)
    expect(recent.holds(shortOf(a!.id))).toBe(true)
    recent.arrived(a!.id) // the write failed: nothing stored
    expect(recent.holds(shortOf(a!.id))).toBe(false)
    expect(recent.writing).toBe(0)
    recent.arriving(b!.id)
    recent.stored(b!)
    recent.arrived(b!.id)
    expect(recent.holds(shortOf(b!.id))).toBe(true)
    expect(recent.writing).toBe(0)
  })
})

describe('heldUnder (catch-up\'s short-id look-ups, issue 22)', () => {
  /** A store that counts its short-id index scans. */
  async function countingStore(bundles: Bundle[]) {
    const store = new MemoryStore()
    await store.open()
    await store.putMany(bundles)
    let scans = 0
    const byShortId = store.byShortId.bind(store)
    store.byShortId = async (overlay, short) => {
      scans++
      return byShortId(overlay, short)
    }
    return { store, scans: () => scans }
  }

  it('reads a bundle stored lately by its id, without a scan; an older one, a prefix or an unknown short id from the store', async () => {
    const bundles = makeBundles(6, { sequential: true })
    const overlay = bundles[0]!.overlay
    const { store, scans } = await countingStore(bundles)
    const recent = new RecentlyStored(8)
    for (const b of bundles.slice(3)) recent.stored(b)
    for (const b of bundles) expect(await heldUnder(store, recent, overlay, shortOf(b.id))).toEqual([b])
    expect(scans()).toBe(3)
    expect(await heldUnder(store, recent, overlay, shortOf(bundles[4]!.id).subarray(0, 4))).toEqual([bundles[4]])
    expect(await heldUnder(store, recent, overlay, new Uint8Array(8).fill(0xee))).toEqual([])
    expect(scans()).toBe(5)
    // Without a ledger's memory, every look-up is a scan.
    expect(await heldUnder(store, undefined, overlay, shortOf(bundles[5]!.id))).toEqual([bundles[5]])
    expect(scans()).toBe(6)
  })

  it('a short id two bundles stored lately share (ids ground to collide) is read from the store, which returns both', async () => {
    const [x, y] = makeBundles(2, { sequential: true })
    const overlay = x!.overlay
    const { store } = await countingStore([x!, y!])
    // Every id "collides" on one short id under this test's short-id function; the store answers both for it.
    const same = new Uint8Array(8).fill(0x42)
    const recent = new RecentlyStored(8, () => same)
    store.byShortId = async (_o, short) => (short.every((v, i) => v === same[i]) ? [x!, y!] : [])
    recent.stored(x!)
    expect(recent.soleIdOf(same)).toEqual(x!.id)
    recent.stored(y!)
    recent.stored(x!) // a repeat is no collision
    expect(recent.idOf(same)).toEqual(x!.id)
    expect(recent.soleIdOf(same)).toBeUndefined()
    expect(await heldUnder(store, recent, overlay, same)).toEqual([x, y])
  })
})
