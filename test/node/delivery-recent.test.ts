/**
 * The delivery service's memory of recent deliveries (src/node/delivery.ts,
 * MAX_RECENTLY_DELIVERED): a child of a bundle delivered lately is delivered without a store
 * read; the memory is bounded; a child of a parent it forgot is still delivered, from the store.
 */
import { describe, expect, it } from 'vitest'
import { roomId, signBundle, type Bundle } from '../../src/bundle/index.js'
import { ManualClock } from '../../src/env/clock.js'
import { silentLogger } from '../../src/env/logger.js'
import { MAX_RECENTLY_DELIVERED, OverlayDelivery } from '../../src/node/delivery.js'
import type { Delivery } from '../../src/node/index.js'
import { MemoryStore } from '../../src/store/index.js'
import { nativeSign } from '../../src/node/native-sign.js'
import { makeAuthors } from '../helpers/bundles.js'

const overlay = roomId('delivery-recent')
const [self, author] = makeAuthors(2, 5)

/** A store that counts the look-ups the delivery service makes for parents. */
class CountingStore extends MemoryStore {
  lookups = 0
  protected override _has(o: Uint8Array, id: Uint8Array): Promise<boolean> {
    this.lookups++
    return super._has(o, id)
  }
  protected override _isUndelivered(o: Uint8Array, id: Uint8Array): Promise<boolean> {
    this.lookups++
    return super._isUndelivered(o, id)
  }
}

async function setup(): Promise<{ store: CountingStore; delivery: OverlayDelivery; delivered: Delivery[] }> {
  const store = new CountingStore()
  await store.open()
  const delivered: Delivery[] = []
  const delivery = new OverlayDelivery({ overlay, store, clock: new ManualClock(0), log: silentLogger, self: self!.publicKey, maxPending: 64, waitMs: 10_000, emit: (d) => delivered.push(d) })
  await delivery.resume()
  return { store, delivery, delivered }
}

async function arrive(store: MemoryStore, delivery: OverlayDelivery, bundle: Bundle): Promise<void> {
  await store.put(bundle)
  await delivery.stored(bundle, undefined)
}

function child(globalTime: number, parents: Uint8Array[]): Bundle {
  return signBundle({ overlay, globalTime, kind: 1, parents, body: new Uint8Array([globalTime & 0xff]) }, author!, nativeSign)
}

describe('OverlayDelivery: recent deliveries', () => {
  it('a chain delivered in order reads no parent from the store, and the memory stays within its bound', async () => {
    const { store, delivery, delivered } = await setup()
    let prev: Bundle | undefined
    const n = MAX_RECENTLY_DELIVERED + 100
    for (let gt = 1; gt <= n; gt++) {
      const b = child(gt, prev === undefined ? [] : [prev.id])
      await arrive(store, delivery, b)
      prev = b
    }
    await delivery.stop()
    expect(delivered).toHaveLength(n)
    expect(delivered.every((d, i) => d.bundle.globalTime === i + 1 && d.missingParents === undefined)).toBe(true)
    expect(store.lookups).toBe(0)
    expect(delivery.recentlyDelivered).toBe(MAX_RECENTLY_DELIVERED)
  })

  it('a child of a parent delivered long ago (forgotten) is delivered at once, found in the store', async () => {
    const { store, delivery, delivered } = await setup()
    const old = child(1, [])
    await arrive(store, delivery, old)
    for (let gt = 2; gt <= MAX_RECENTLY_DELIVERED + 2; gt++) await arrive(store, delivery, child(gt, []))
    const before = store.lookups
    const late = child(MAX_RECENTLY_DELIVERED + 3, [old.id])
    await arrive(store, delivery, late)
    await delivery.stop()
    expect(store.lookups).toBeGreaterThan(before)
    const last = delivered.at(-1)!
    expect(last.bundle.globalTime).toBe(late.globalTime)
    expect(last.missingParents).toBeUndefined()
  })
})
