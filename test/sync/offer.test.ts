import { describe, expect, it } from 'vitest'
import { roomId } from '../../src/bundle/index.js'
import { SeededRng } from '../../src/env/rng.js'
import { MemoryStore } from '../../src/store/memory.js'
import { syncConfig } from '../../src/sync/config.js'
import { MAX_FORWARDERS, OfferBuilder } from '../../src/sync/offer.js'
import { makeBundles } from '../helpers/bundles.js'
import type { Bundle } from '../../src/bundle/types.js'
import { sizeFor } from './exchange.js'

const overlay = roomId('offer-test')
const size = sizeFor(1090)

async function builderWith(bundles: Bundle[], overrides = {}, seed = 1) {
  const store = new MemoryStore()
  await store.open()
  await store.putMany(bundles)
  const rng = new SeededRng(seed)
  return { store, builder: new OfferBuilder(overlay, syncConfig(overrides), { store, rng }) }
}

function claimCtx(globalTime: number, peerKey = 'peer') {
  return { globalTime, acceptable: globalTime + 10_000, size, peerKey }
}

describe('offers', () => {
  it('an empty store sends the tiny "send me everything" filter over [1, acceptable]', async () => {
    const { builder } = await builderWith([])
    const offer = (await builder.claim(claimCtx(0)))!
    expect(offer.bloom.bits.length).toBe(1)
    expect([offer.timeLow, offer.timeHigh, offer.modulo, offer.offset]).toEqual([1, 10_000, 1, 0])
  })

  it('a small store puts everything in one filter over [1, acceptable]', async () => {
    const bundles = makeBundles(200, { overlay, seed: 2, maxGlobalTime: 300 })
    const { builder } = await builderWith(bundles)
    const offer = (await builder.claim(claimCtx(300)))!
    expect([offer.timeLow, offer.timeHigh, offer.modulo]).toEqual([1, 10_300, 1])
    for (const b of bundles) expect(offer.bloom.has(b.id)).toBe(true)
    expect(offer.bloom.bits.length).toBe(size.bloomBytes)
  })

  it('largest: never splits one global time across filters, and every bundle in range is in the filter', async () => {
    // Many duplicate global times: ~6 bundles per global time.
    const bundles = makeBundles(3000, { overlay, seed: 3, maxGlobalTime: 500 })
    const { builder } = await builderWith(bundles, { strategy: 'largest' })
    for (let i = 0; i < 30; i++) {
      builder.reset()
      const offer = (await builder.claim(claimCtx(500)))!
      const inRange = bundles.filter((b) => b.globalTime >= offer.timeLow && b.globalTime <= offer.timeHigh)
      expect(inRange.length).toBeLessThanOrEqual(size.capacity)
      for (const b of inRange) expect(offer.bloom.has(b.id)).toBe(true)
      expect(offer.modulo).toBe(1)
    }
  })

  it('modulo: modulo = ceil(count / capacity), and consecutive fresh filters sweep every offset once', async () => {
    const bundles = makeBundles(3000, { overlay, seed: 4, maxGlobalTime: 30_000 })
    const { builder } = await builderWith(bundles, { strategy: 'modulo' })
    const modulo = Math.ceil(3000 / size.capacity)
    const offsets: number[] = []
    for (let i = 0; i < modulo; i++) {
      const offer = (await builder.claim(claimCtx(30_000)))!
      expect(offer.modulo).toBe(modulo)
      offsets.push(offer.offset)
      const inSlice = bundles.filter((b) => b.globalTime <= offer.timeHigh && (b.globalTime + offer.offset) % modulo === 0)
      for (const b of inSlice) expect(offer.bloom.has(b.id)).toBe(true)
    }
    expect(offsets.sort()).toEqual(Array.from({ length: modulo }, (_, i) => i))
  })

  it('reuses a productive filter (adding what arrived) up to reuseLimit times, then builds a fresh one', async () => {
    const bundles = makeBundles(100, { overlay, seed: 5, maxGlobalTime: 100 })
    const extra = makeBundles(120, { overlay, seed: 6, maxGlobalTime: 100 })
    const { builder } = await builderWith(bundles, { reuseLimit: 3 })
    const first = (await builder.claim(claimCtx(100, 'p')))!
    for (let i = 0; i < 3; i++) {
      builder.onStored([extra[i]!], 'p')
      expect(first.bloom.has(extra[i]!.id)).toBe(true)
      expect(await builder.claim(claimCtx(100, 'p'))).toBe(first)
    }
    builder.onStored([extra[3]!], 'p')
    const next = await builder.claim(claimCtx(100, 'p'))
    expect(next).not.toBe(first)
    expect(builder.stats).toMatchObject({ fresh: 2, reused: 3 })
  })

  it('bundles from another peer are added to the filter but do not count as its answer', async () => {
    const bundles = makeBundles(50, { overlay, seed: 7, maxGlobalTime: 50 })
    const { builder } = await builderWith(bundles)
    const first = (await builder.claim(claimCtx(50, 'p')))!
    const other = makeBundles(1, { overlay, seed: 8, maxGlobalTime: 50 })[0]!
    builder.onStored([other], 'q')
    expect(first.bloom.has(other.id)).toBe(true)
    expect(await builder.claim(claimCtx(50, 'p'))).not.toBe(first)
  })

  it('bundles the walked peer pushed are added to the filter but do not count as its answer', async () => {
    const bundles = makeBundles(50, { overlay, seed: 7, maxGlobalTime: 50 })
    const { builder } = await builderWith(bundles)
    const first = (await builder.claim(claimCtx(50, 'p')))!
    const pushed = makeBundles(1, { overlay, seed: 8, maxGlobalTime: 50 })[0]!
    builder.onStored([pushed], 'p', true)
    expect(first.bloom.has(pushed.id)).toBe(true)
    expect(builder.isForwarder('p')).toBe(true)
    expect(await builder.claim(claimCtx(50, 'p'))).not.toBe(first)
  })

  it('follows the skip curve after consecutive barren fresh filters, and one productive round resets it', async () => {
    const bundles = makeBundles(50, { overlay, seed: 9, maxGlobalTime: 50 })
    const curve = [0, 0, 1, 1]
    const { builder } = await builderWith(bundles, { skipCurve: curve })
    // Fresh filters 1..3 barren: the skip count reaches 3 → p = 1: skipped.
    expect(await builder.claim(claimCtx(50))).not.toBeNull()
    expect(await builder.claim(claimCtx(50))).not.toBeNull()
    expect(await builder.claim(claimCtx(50))).not.toBeNull()
    expect(await builder.claim(claimCtx(50))).toBeNull()
    // After a skip there is no cache: the count stays, so the next claim skips as well... until
    // a filter is sent and answered.
    expect(await builder.claim(claimCtx(50))).toBeNull()
    const { builder: fresh } = await builderWith(bundles, { skipCurve: curve })
    for (let i = 0; i < 3; i++) {
      await fresh.claim(claimCtx(50, 'p'))
      const b = makeBundles(1, { overlay, seed: 100 + i, maxGlobalTime: 50 })[0]!
      fresh.onStored([b], 'p')
    }
    expect(await fresh.claim(claimCtx(50, 'p'))).not.toBeNull()
    expect(fresh.stats.skipped).toBe(0)
  })

  it('a round whose peer announced bundles not stored yet (a late answer) is productive, not barren, and its filter is not reused', async () => {
    const bundles = makeBundles(50, { overlay, seed: 9, maxGlobalTime: 50 })
    const curve = [0, 0, 1, 1]
    const tracked = { ...claimCtx(50, 'p'), trackAnswers: true }
    // The peer answers every round saying 3 bundles follow, which the next claim finds not yet stored.
    const { builder } = await builderWith(bundles, { skipCurve: curve })
    for (let i = 0; i < 6; i++) {
      expect(await builder.claim(tracked)).not.toBeNull()
      builder.onAnswered('p', 3)
    }
    expect(await builder.claim(tracked)).not.toBeNull()
    expect(builder.stats).toMatchObject({ skipped: 0, lateAnswers: 6, reused: 0, fresh: 7 })
    // The same rounds answered with nothing announced (or by a responder that does not say) are barren: the fourth claim skips.
    const { builder: barren } = await builderWith(bundles, { skipCurve: curve })
    for (let i = 0; i < 3; i++) {
      expect(await barren.claim(tracked)).not.toBeNull()
      barren.onAnswered('p')
    }
    expect(await barren.claim(tracked)).toBeNull()
    expect(barren.stats).toMatchObject({ skipped: 1, lateAnswers: 0 })
    // An announcement from a peer other than the round's says nothing about the round.
    const { builder: other } = await builderWith(bundles, { skipCurve: curve })
    for (let i = 0; i < 3; i++) {
      expect(await other.claim(tracked)).not.toBeNull()
      other.onAnswered('q', 3)
      other.onAnswered('p')
    }
    expect(await other.claim(tracked)).toBeNull()
  })

  it('a round whose announced bundles were stored in time is counted as before: productive, its filter reused', async () => {
    const bundles = makeBundles(50, { overlay, seed: 9, maxGlobalTime: 50 })
    const { builder } = await builderWith(bundles, { skipCurve: [0, 0, 1, 1] })
    const tracked = { ...claimCtx(50, 'p'), trackAnswers: true }
    await builder.claim(tracked)
    builder.onAnswered('p', 1)
    builder.onStored(makeBundles(1, { overlay, seed: 200, maxGlobalTime: 50 }), 'p')
    await builder.claim(tracked)
    expect(builder.stats).toMatchObject({ lateAnswers: 0, reused: 1, fresh: 1 })
  })

  it('bundles arriving by push start the skip curve over (the walk stays the repair path while push delivers)', async () => {
    const bundles = makeBundles(50, { overlay, seed: 9, maxGlobalTime: 50 })
    const { builder } = await builderWith(bundles, { skipCurve: [0, 0, 1, 1] })
    for (let i = 0; i < 3; i++) expect(await builder.claim(claimCtx(50))).not.toBeNull()
    expect(await builder.claim(claimCtx(50))).toBeNull()
    expect(await builder.claim({ ...claimCtx(50), retry: true })).not.toBeNull() // a first-contact retry is never skipped
    builder.onPushed()
    expect(await builder.claim(claimCtx(50))).not.toBeNull()
  })

  it('adaptive: modulo while catching up, pivot after a full barren sweep, modulo again when a peer is far ahead', async () => {
    const bundles = makeBundles(3000, { overlay, seed: 10, maxGlobalTime: 30_000 })
    const { builder } = await builderWith(bundles, { strategy: 'adaptive', skipCurve: [0] })
    const modulo = Math.ceil(3000 / size.capacity)
    for (let i = 0; i < modulo; i++) expect((await builder.claim(claimCtx(30_000)))!.modulo).toBe(modulo)
    // Every residue class came back barren: in sync, so the pivot heuristic takes over.
    expect((await builder.claim(claimCtx(30_000)))!.modulo).toBe(1)
    expect(builder.stats.largest).toBe(1)
    const farBehind = { ...claimCtx(30_000), peerGlobalTime: 30_000 + 5_000 }
    expect((await builder.claim(farBehind))!.modulo).toBe(modulo)
  })
})

describe('skip curve: barren rounds from forwarders only', () => {
  const bundles = makeBundles(50, { overlay, seed: 11, maxGlobalTime: 50 })
  const curve = [0, 0, 1, 1]
  const proven = (peerKey: string) => ({ ...claimCtx(50, peerKey), barrenFromForwardersOnly: true })

  it('barren rounds from peers that never forwarded a bundle do not raise it', async () => {
    const { builder } = await builderWith(bundles, { skipCurve: curve })
    // Twenty barren rounds from twenty Sybil ports: with the Dispersy rule the third would skip.
    for (let i = 0; i < 20; i++) expect(await builder.claim(proven(`6.6.6.${i}:1`))).not.toBeNull()
    expect(builder.stats.skipped).toBe(0)
    expect(builder.stats.barrenIgnored).toBe(19)
  })

  it('barren rounds from forwarders still raise it (a synced overlay still saves its offers)', async () => {
    const { builder } = await builderWith(bundles, { skipCurve: curve })
    const extra = makeBundles(3, { overlay, seed: 12, maxGlobalTime: 50 })
    // Three peers forward one bundle each (outside any round of ours): they are forwarders.
    for (let i = 0; i < 3; i++) builder.onStored([extra[i]!], `7.7.7.${i}:1`)
    expect(builder.isForwarder('7.7.7.0:1')).toBe(true)
    expect(builder.isForwarder('6.6.6.6:1')).toBe(false)
    // Their barren rounds count: after three the curve reaches p = 1.
    for (let i = 0; i < 3; i++) expect(await builder.claim(proven(`7.7.7.${i}:1`))).not.toBeNull()
    expect(await builder.claim(proven('7.7.7.0:1'))).toBeNull()
    expect(builder.stats.barrenIgnored).toBe(0)
  })

  it('barren rounds from a peer that answered an idle check in sync count, as a forwarder\'s do', async () => {
    const { builder } = await builderWith(bundles, { skipCurve: curve })
    builder.onVerifiedInSync('7.7.7.7:1')
    for (let i = 0; i < 3; i++) expect(await builder.claim(proven('7.7.7.7:1'))).not.toBeNull()
    expect(await builder.claim(proven('7.7.7.7:1'))).toBeNull()
    // Being verified in sync does not make a peer a forwarder (the walker's preference).
    expect(builder.isForwarder('7.7.7.7:1')).toBe(false)
  })

  it('interleaved Sybil rounds neither count nor reset the streak of forwarders', async () => {
    const { builder } = await builderWith(bundles, { skipCurve: curve })
    const extra = makeBundles(1, { overlay, seed: 13, maxGlobalTime: 50 })
    builder.onStored([extra[0]!], '7.7.7.7:1')
    const order = ['7.7.7.7:1', '6.6.6.6:1', '7.7.7.7:1', '6.6.6.6:2', '7.7.7.7:1']
    for (const k of order) expect(await builder.claim(proven(k))).not.toBeNull()
    // Three barren forwarder rounds (the last one is counted at this claim): skipped.
    expect(await builder.claim(proven('6.6.6.6:3'))).toBeNull()
  })

  it('remembers at most MAX_FORWARDERS peers, dropping the least recently productive', async () => {
    const { builder } = await builderWith(bundles)
    const b = makeBundles(1, { overlay, seed: 14, maxGlobalTime: 50 })[0]!
    for (let i = 0; i < MAX_FORWARDERS + 10; i++) builder.onStored([b], `8.8.${i >> 8}.${i & 255}:1`)
    expect(builder.isForwarder('8.8.0.0:1')).toBe(false)
    expect(builder.isForwarder('8.8.0.9:1')).toBe(false)
    expect(builder.isForwarder('8.8.0.10:1')).toBe(true)
    expect(builder.isForwarder(`8.8.${(MAX_FORWARDERS + 9) >> 8}.${(MAX_FORWARDERS + 9) & 255}:1`)).toBe(true)
    // An empty delivery proves nothing.
    builder.onStored([], '9.9.9.9:1')
    expect(builder.isForwarder('9.9.9.9:1')).toBe(false)
  })
})
