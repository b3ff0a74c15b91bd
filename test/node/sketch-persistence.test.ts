/**
 * The node's sketch persisted with a LevelDB store (docs/store.md, "The persisted sketch"):
 * the first join scans and checkpoints; a restart restores the sketch without reading a row;
 * the persisted sketch follows intake and pruning (deleted bundles are subtracted).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { roomPolicy, type Bundle } from '../../src/bundle/index.js'
import { syncedKinds } from '../../src/node/sketch-persistence.js'
import { Sketch } from '../../src/reconcile/index.js'
import { LevelStore } from '../../src/store/level.js'
import { MemoryStore } from '../../src/store/memory.js'
import { DEFAULT_SYNC_CONFIG, isSyncable } from '../../src/sync/config.js'
import { hex, makeBundles } from '../helpers/bundles.js'
import { testnet } from './harness.js'

const root = await mkdtemp(join(tmpdir(), 'bloomwalk-node-sketch-'))
let n = 0
const freshPath = () => join(root, `db-${n++}`)
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

/** The sketch a join's scan builds from what `store` holds. */
async function scanned(store: LevelStore | MemoryStore, overlay: Uint8Array): Promise<Sketch> {
  const ids: Uint8Array[] = []
  for await (const b of store.range({ overlay, from: 0, to: Number.MAX_SAFE_INTEGER })) if (isSyncable(DEFAULT_SYNC_CONFIG, b.kind)) ids.push(b.id)
  return Sketch.from(ids)
}

async function persisted(store: LevelStore, overlay: Uint8Array): Promise<Sketch | undefined> {
  const sketch = new Sketch()
  return (await store.loadSketch(overlay, syncedKinds(DEFAULT_SYNC_CONFIG), sketch)) === undefined ? undefined : sketch
}

describe('the sketch persisted with the store', () => {
  it('a restart restores it without reading a row, and the restored sketch idle-checks in sync with a peer holding the same set', async () => {
    const t = await testnet({ peers: 0, seed: 71 })
    const bundles: Bundle[] = makeBundles(600, { overlay: t.overlay, seed: 5, maxGlobalTime: 3000 })
    const path = freshPath()
    let store = new LevelStore(path)
    await store.open()
    await store.putMany(bundles)
    const first = await t.addPeer({ store })
    // The first join scanned every row and checkpointed the sketch.
    expect(store.rowsRead).toBe(600)
    expect((await persisted(store, t.overlay))?.equals(await scanned(store, t.overlay))).toBe(true)
    await first.stop()
    await store.close()

    store = new LevelStore(path)
    await store.open()
    const restarted = await t.addPeer({ store })
    expect(store.rowsRead).toBe(0)
    const twin = new MemoryStore()
    await twin.open()
    await twin.putMany(bundles)
    const peer = await t.addPeer({ store: twin })
    await t.run(30_000)
    const checks = [restarted.stats().catchUp, peer.stats().catchUp]
    expect(checks[0]!.inSync + checks[1]!.inSync).toBeGreaterThan(0)
    expect(checks[0]!.failed + checks[1]!.failed + checks[0]!.decoded + checks[1]!.decoded).toBe(0)
    await t.stop()
    await store.close()
  })

  it('a restart with another sketch length scans once and persists anew; one under a history policy restores the sketch and still applies the policy', async () => {
    const t = await testnet({ peers: 0, seed: 73 })
    const bundles: Bundle[] = makeBundles(300, { overlay: t.overlay, seed: 6, authors: 3, maxGlobalTime: 3000 })
    const path = freshPath()
    let store = new LevelStore(path)
    await store.open()
    await store.putMany(bundles)
    await (await t.addPeer({ store })).stop()
    await store.close()

    // Another length: the checkpoint does not fit, the join scans and writes one of its length.
    store = new LevelStore(path)
    await store.open()
    await (await t.addPeer({ store, catchUp: { sketchLength: 1 << 12 } })).stop()
    expect(store.rowsRead).toBe(300)
    const short = new Sketch({ length: 1 << 12 })
    expect(await store.loadSketch(t.overlay, syncedKinds(DEFAULT_SYNC_CONFIG), short)).toBeDefined()
    expect(short.equals(Sketch.from(bundles.map((b) => b.id), { length: 1 << 12 }))).toBe(true)
    await store.close()

    // A history policy (newest 50 per author): the index needs the scan, the sketch does not; the evictions are logged.
    store = new LevelStore(path)
    await store.open()
    const policies = new Map([[hex(t.overlay), roomPolicy({ history: 50 })]])
    const n = await t.addPeer({ store, catchUp: { sketchLength: 1 << 12 }, policies })
    expect(n.stats().overlays[0]!.bundlesStored).toBe(150)
    await n.stop()
    const kept = new Sketch({ length: 1 << 12 })
    expect(await store.loadSketch(t.overlay, syncedKinds(DEFAULT_SYNC_CONFIG), kept)).toBeDefined()
    const left: Uint8Array[] = []
    for await (const b of store.range({ overlay: t.overlay, from: 0, to: Number.MAX_SAFE_INTEGER })) left.push(b.id)
    expect(left).toHaveLength(150)
    expect(kept.equals(Sketch.from(left, { length: 1 << 12 }))).toBe(true)
    await t.stop()
    await store.close()
  })

  it('follows intake and pruning: after a room prunes, the persisted sketch is that of the bundles left', async () => {
    const t = await testnet({ peers: 0, seed: 72 })
    const policies = new Map([[hex(t.overlay), roomPolicy({ pruning: { inactive: 10, pruned: 20 } })]])
    const author = await t.addPeer({ policies })
    const path = freshPath()
    const store = new LevelStore(path)
    await store.open()
    const follower = await t.addPeer({ store, policies })
    for (let i = 0; i < 60; i++) {
      await author.publish(t.overlay, new Uint8Array([i]))
      await t.run(1_000)
    }
    await t.run(60_000)
    expect(follower.stats().bundlesPruned).toBeGreaterThan(0)
    const left = await store.count(t.overlay)
    expect(left).toBeGreaterThan(0)
    expect(left).toBeLessThanOrEqual(21)
    const restored = await persisted(store, t.overlay)
    expect(restored?.size).toBe(left)
    expect(restored?.equals(await scanned(store, t.overlay))).toBe(true)
    await t.stop()
    await store.close()
  }, 60_000)
})
