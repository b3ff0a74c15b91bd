/**
 * The node under a store that stops serving after a failed write (docs/store.md, Durability):
 * our own publish rejects, peers' bundles are dropped and counted (never reported stored),
 * walk steps fail without stopping the node, and once the store serves again the walk brings
 * the missed bundles.
 */
import { describe, expect, it } from 'vitest'
import type { Bundle } from '../../src/bundle/index.js'
import { BloomwalkError, isBloomwalkError } from '../../src/errors.js'
import { MemoryStore } from '../../src/store/memory.js'
import type { RangeQuery } from '../../src/store/index.js'
import { testnet } from './harness.js'

/** A memory store that can be switched into the failed state a LevelStore enters on ENOSPC. */
class FailingStore extends MemoryStore {
  failure: BloomwalkError | undefined
  fail(): void {
    this.failure = new BloomwalkError('STORE_IO_ERROR', 'a write to the store failed: ENOSPC no space left on device')
  }
  override async put(bundle: Bundle): Promise<boolean> {
    if (this.failure !== undefined) throw this.failure
    return super.put(bundle)
  }
  override async has(overlay: Uint8Array, id: Uint8Array): Promise<boolean> {
    if (this.failure !== undefined) throw this.failure
    return super.has(overlay, id)
  }
  override range(query: RangeQuery): AsyncIterable<Bundle> {
    if (this.failure !== undefined) throw this.failure
    return super.range(query)
  }
}

describe('a node whose store stops serving', () => {
  it('rejects its own publish, drops peers’ bundles, keeps walking, and catches up once the store serves again', async () => {
    const t = await testnet({ peers: 1, seed: 9 })
    const store = new FailingStore()
    const b = await t.addPeer({ store })
    const [a] = t.nodes as [typeof b]
    await a.publish(t.overlay, new TextEncoder().encode('first'))
    await t.run(40_000)
    expect(b.stats().overlays[0]!.bundlesStored).toBe(1)

    store.fail()
    const err = await b.publish(t.overlay, new TextEncoder().encode('cannot be made durable')).catch((e: unknown) => e)
    expect(isBloomwalkError(err, 'STORE_IO_ERROR')).toBe(true)
    for (let i = 0; i < 3; i++) await a.publish(t.overlay, new TextEncoder().encode(`while b's disk is full ${i}`))
    await t.run(60_000)
    const failed = b.stats()
    expect(failed.overlays[0]!.bundlesStored).toBe(1)
    expect(failed.walkErrors).toBeGreaterThan(0)
    expect(await store.count(t.overlay)).toBe(1)

    store.failure = undefined
    await t.run(90_000)
    expect(b.stats().overlays[0]!.bundlesStored).toBe(4)
    expect(await store.count(t.overlay)).toBe(4)
    await t.stop()
  })
})
