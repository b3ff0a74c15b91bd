/**
 * The sketch persisted with a LevelDB store (src/store/level-sketch.ts): a checkpoint plus
 * a log written in the same batch as each row, restored at the next open without a scan;
 * checked at load (length, kinds, digest, count), folded once the log is long, refused when
 * the overlay changed while the sketch was built.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Level } from 'level'
import { afterAll, describe, expect, it } from 'vitest'
import { generateKeyPair, roomId, signBundle, type Bundle } from '../../src/bundle/index.js'
import { benchBundles } from '../../bench/reconcile-fixture.js'
import { createLogger } from '../../src/env/logger.js'
import { SeededRng } from '../../src/env/rng.js'
import { Sketch } from '../../src/reconcile/index.js'
import { LevelStore } from '../../src/store/level.js'
import { COMPACT_AT, SKETCH_KEY_RANGE, TAG_SKETCH, TAG_SKETCH_LOG } from '../../src/store/level-sketch.js'
import { collect } from './helpers.js'

const root = await mkdtemp(join(tmpdir(), 'bloomwalk-level-sketch-'))
let n = 0
const freshPath = () => join(root, `db-${n++}`)
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

const overlay = roomId('persisted-sketch')
const LENGTH = 512
/** The sketch holds kinds 1 and 3, not 2. */
const KINDS = new Uint8Array(32)
KINDS[0] = (1 << 1) | (1 << 3)
const synced = (b: Bundle) => b.kind === 1 || b.kind === 3

/** Bundles of kinds 1, 2 and 3, some expiring, all in `overlay`. */
function mixed(count: number, seed: number): Bundle[] {
  const rng = new SeededRng(seed)
  const keys = generateKeyPair(rng)
  return Array.from({ length: count }, (_, i) => {
    const body = rng.bytes(24)
    new DataView(body.buffer).setUint32(0, i)
    return signBundle({ overlay, globalTime: 1 + i, kind: 1 + (i % 3), body, ...(i % 4 === 0 ? { expiresAt: 10_000 + i } : {}) }, keys)
  })
}

/** What a join's scan finds: the sketch of the synced bundles, expiring count, bytes. */
async function scan(store: LevelStore): Promise<{ sketch: Sketch; expiring: number; bytes: number }> {
  const sketch = new Sketch({ length: LENGTH })
  let expiring = 0
  let bytes = 0
  for (const b of await collect(store.range({ overlay, from: 0, to: Number.MAX_SAFE_INTEGER }))) {
    if (synced(b)) sketch.add(b.id)
    if (b.expiresAt !== undefined) expiring++
    bytes += b.bytes.length
  }
  return { sketch, expiring, bytes }
}

async function checkpoint(store: LevelStore): Promise<void> {
  const mark = store.sketchMark(overlay)
  const { sketch, expiring, bytes } = await scan(store)
  expect(await store.saveSketch(overlay, KINDS, sketch, { expiring, bytes }, mark)).toBe(true)
}

/** Keys of the persisted sketches, by tag, read with a raw handle. */
async function sketchKeys(path: string): Promise<{ checkpoint: number; log: number }> {
  const db = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view', createIfMissing: false })
  await db.open()
  const out = { checkpoint: 0, log: 0 }
  for await (const key of db.keys(SKETCH_KEY_RANGE)) {
    if (key[0] === TAG_SKETCH) out.checkpoint++
    if (key[0] === TAG_SKETCH_LOG) out.log++
  }
  await db.close()
  return out
}

describe('LevelStore persisted sketch', () => {
  it('restores, after a restart, the sketch a scan builds: puts and deletes after the checkpoint are replayed from the log', async () => {
    const path = freshPath()
    const all = mixed(120, 1)
    let store = new LevelStore(path)
    await store.open()
    await store.putMany(all.slice(0, 60))
    await checkpoint(store)
    // After the checkpoint: single puts (group commits), a batch, deletes (expiry, pruning).
    await Promise.all(all.slice(60, 80).map((b) => store.put(b)))
    await store.putMany(all.slice(80, 120))
    for (const b of [all[3]!, all[4]!, all[5]!, all[70]!, all[100]!]) expect(await store.delete(overlay, b.id)).toBe(true)
    await store.close()

    store = new LevelStore(path)
    await store.open()
    const restored = new Sketch({ length: LENGTH })
    const summary = await store.loadSketch(overlay, KINDS, restored)
    const expected = await scan(store)
    expect(summary).toEqual({ expiring: expected.expiring, bytes: expected.bytes })
    expect(restored.equals(expected.sketch)).toBe(true)
    expect(restored.size).toBe(expected.sketch.size)
    await store.close()
    expect(await sketchKeys(path)).toEqual({ checkpoint: 2, log: 65 })
  })

  it('logs nothing for an overlay without a checkpoint, and loads nothing for it', async () => {
    const path = freshPath()
    const store = new LevelStore(path)
    await store.open()
    await store.putMany(mixed(30, 2))
    await store.delete(overlay, mixed(30, 2)[0]!.id)
    const into = new Sketch({ length: LENGTH })
    expect(await store.loadSketch(overlay, KINDS, into)).toBeUndefined()
    expect(into.equals(new Sketch({ length: LENGTH }))).toBe(true)
    await store.close()
    expect(await sketchKeys(path)).toEqual({ checkpoint: 0, log: 0 })
  })

  it('refuses a save when the overlay changed after the mark, and a load for another length or set of kinds (the sketch stays empty)', async () => {
    const store = new LevelStore(freshPath())
    await store.open()
    const all = mixed(40, 3)
    await store.putMany(all.slice(0, 30))
    const mark = store.sketchMark(overlay)
    const built = await scan(store)
    await store.put(all[30]!)
    expect(await store.saveSketch(overlay, KINDS, built.sketch, built, mark)).toBe(false)
    await checkpoint(store)
    const otherKinds = KINDS.slice()
    otherKinds[0] = 1 << 1
    for (const [length, kinds] of [[LENGTH * 2, KINDS], [LENGTH, otherKinds]] as const) {
      const into = new Sketch({ length })
      expect(await store.loadSketch(overlay, kinds, into)).toBeUndefined()
      expect(into.size).toBe(0)
      expect(into.equals(new Sketch({ length }))).toBe(true)
    }
    const into = new Sketch({ length: LENGTH })
    expect(await store.loadSketch(overlay, KINDS, into)).toBeDefined()
    await store.close()
  })

  it('rejects a damaged checkpoint and one that no longer matches the rows (a row gone behind its back), and says why', async () => {
    const path = freshPath()
    const warnings: string[] = []
    const logger = createLogger('test', { level: 'warn', sink: (_level, _name, m, f) => warnings.push(`${m} ${String(f?.['reason'])}`) })
    let store = new LevelStore(path, { logger })
    await store.open()
    const all = mixed(50, 4)
    await store.putMany(all)
    await checkpoint(store)
    await store.close()

    // One symbol byte flipped.
    let db = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view' })
    await db.open()
    const tableKey = Uint8Array.from([TAG_SKETCH, ...overlay, 1])
    const table = (await db.get(tableKey))!.slice()
    table[5]! ^= 1
    await db.put(tableKey, table)
    await db.close()
    store = new LevelStore(path, { logger })
    await store.open()
    expect(await store.loadSketch(overlay, KINDS, new Sketch({ length: LENGTH }))).toBeUndefined()
    expect(warnings.at(-1)).toMatch(/damaged/)
    await checkpoint(store)
    await store.close()

    // A bundle deleted with a raw handle (id index, row and meta count), not through the store: no log entry.
    db = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view' })
    await db.open()
    const metaKey = Uint8Array.from([0x03, ...overlay])
    const meta = (await db.get(metaKey))!.slice()
    meta[7]! -= 1
    await db.put(metaKey, meta)
    await db.close()
    store = new LevelStore(path, { logger })
    await store.open()
    const into = new Sketch({ length: LENGTH })
    expect(await store.loadSketch(overlay, KINDS, into)).toBeUndefined()
    expect(warnings.at(-1)).toMatch(/count 50 bundles, the store 49/)
    expect(into.size).toBe(0)
    await store.close()
  })

  it(`folds the log into a new checkpoint once it holds ${COMPACT_AT} entries: the log stays bounded and the restore exact`, async () => {
    const path = freshPath()
    let store = new LevelStore(path)
    await store.open()
    const all = benchBundles(overlay, COMPACT_AT + 700, 5)
    await store.putMany(all.slice(0, 200))
    // benchBundles are all kind 1.
    await checkpoint(store)
    for (let i = 200; i < all.length; i += 500) await store.putMany(all.slice(i, i + 500))
    await store.close()
    const keys = await sketchKeys(path)
    expect(keys.checkpoint).toBe(2)
    expect(keys.log).toBeLessThan(COMPACT_AT)
    store = new LevelStore(path)
    await store.open()
    const restored = new Sketch({ length: LENGTH })
    expect(await store.loadSketch(overlay, KINDS, restored)).toEqual({ expiring: 0, bytes: all.length * all[0]!.bytes.length })
    expect(restored.equals(Sketch.from(all.map((b) => b.id), { length: LENGTH }))).toBe(true)
    await store.close()
  })
})
