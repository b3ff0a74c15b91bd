import { describe, expect, it } from 'vitest'
import { RecentlyStored } from '../../src/node/recently-stored.js'
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
