import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Level } from 'level'
import { roomId } from '../../src/bundle/index.js'
import { isBloomwalkError } from '../../src/errors.js'
import { LevelStore } from '../../src/store/index.js'
import { FORMAT_KEY, SHORT_INDEXED_KEY, TAG_SHORT, rowKey } from '../../src/store/level-keys.js'
import { itemHashHalves } from '../../src/reconcile/index.js'
import { shortIdBytes } from '../../src/reconcile/short.js'
import { hex } from '../helpers/bundles.js'
import { runStoreConformance } from './conformance.js'
import { collect, fixture, keyOrder } from './helpers.js'

const root = await mkdtemp(join(tmpdir(), 'bloomwalk-level-'))
let n = 0
const freshPath = () => join(root, `db-${n++}`)
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

runStoreConformance('LevelStore', async () => new LevelStore(freshPath()))

describe('LevelStore specifics', () => {
  const overlay = roomId('main')
  const all = () => fixture(300, { name: 'main', seed: 11, maxGlobalTime: 20 })
  const MAX = Number.MAX_SAFE_INTEGER

  it('open() creates nested directories; reopening keeps everything', async () => {
    const path = join(freshPath(), 'a', 'b')
    const first = new LevelStore(path)
    await first.open()
    await first.putMany(all())
    const top = all().reduce((m, b) => Math.max(m, b.globalTime), 0)
    const gone = all().find((b) => b.globalTime === top)!
    expect(await first.delete(overlay, gone.id)).toBe(true)
    await first.close()

    const second = new LevelStore(path)
    await second.open()
    expect(await second.count(overlay)).toBe(all().length - 1)
    expect(await second.maxGlobalTime(overlay)).toBe(top)
    expect(await second.has(overlay, gone.id)).toBe(false)
    const rest = all().filter((b) => b !== gone)
    expect((await collect(second.range({ overlay, from: 0, to: MAX }))).map((b) => hex(b.id))).toEqual(keyOrder(rest))
    expect(await second.put(all()[0]!)).toBe(false)
    await second.close()
  })

  it('a store written before the short-id index gets it built once at open (docs/reconcile.md §14)', async () => {
    const path = freshPath()
    const first = new LevelStore(path)
    await first.open()
    await first.putMany(all())
    await first.close()
    // Take the index and its mark away, as in a store of the previous layout.
    const raw = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view' })
    await raw.open()
    await raw.clear({ gte: Uint8Array.of(TAG_SHORT), lt: Uint8Array.of(TAG_SHORT + 1) })
    await raw.del(SHORT_INDEXED_KEY)
    await raw.close()
    const second = new LevelStore(path)
    await second.open()
    for (const b of all().slice(0, 30)) expect((await second.byShortId(overlay, shortIdBytes(...itemHashHalves(b.id)))).map((x) => hex(x.id))).toEqual([hex(b.id)])
    await second.close()
  })

  it('the same instance can be closed and opened again', async () => {
    const store = new LevelStore(freshPath())
    await store.open()
    await store.putMany(all().slice(0, 10))
    await store.close()
    await store.open()
    expect(await store.count(overlay)).toBe(10)
    await store.close()
  })

  it('skips and counts a corrupt row instead of crashing', async () => {
    const path = freshPath()
    const store = new LevelStore(path)
    await store.open()
    const some = all().slice(0, 20)
    await store.putMany(some)
    await store.close()

    // Damage two rows behind the store's back: garbage, and a valid bundle under another key.
    const raw = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view' })
    await raw.open()
    const [a, b] = [some[3]!, some[4]!]
    await raw.put(rowKey(overlay, a.globalTime, a.id), new Uint8Array([1, 2, 3]))
    await raw.put(rowKey(overlay, b.globalTime, b.id), some[5]!.bytes)
    await raw.close()

    await store.open()
    const got = await collect(store.range({ overlay, from: 0, to: MAX }))
    expect(got.length).toBe(18)
    expect(store.corruptRows).toBe(2)
    expect(await store.get(overlay, a.id)).toBeUndefined()
    expect(store.corruptRows).toBe(3)
    expect(hex((await store.get(overlay, some[0]!.id))!.bytes)).toBe(hex(some[0]!.bytes))
    await store.close()
  })

  it('finds a row damaged after it was read and cached: one flipped byte, same length', async () => {
    const path = freshPath()
    const store = new LevelStore(path)
    await store.open()
    const some = all().slice(0, 20)
    await store.putMany(some)
    // Read twice: the second scan is served from the decoded rows.
    expect((await collect(store.range({ overlay, from: 0, to: MAX }))).length).toBe(20)
    expect((await collect(store.range({ overlay, from: 0, to: MAX }))).length).toBe(20)
    await store.close()

    const raw = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view' })
    await raw.open()
    const a = some[7]!
    const flipped = Uint8Array.from(a.bytes)
    flipped[50]! ^= 1 // inside the author: the id no longer matches
    await raw.put(rowKey(overlay, a.globalTime, a.id), flipped)
    await raw.close()

    await store.open()
    const got = await collect(store.range({ overlay, from: 0, to: MAX }))
    expect(got.map((b) => hex(b.id)).sort()).toEqual(some.filter((b) => b !== a).map((b) => hex(b.id)).sort())
    expect(store.corruptRows).toBe(1)
    await store.close()
  })

  it('refuses a database of an unknown format with STORE_CORRUPT', async () => {
    const path = freshPath()
    const raw = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view' })
    await raw.open()
    await raw.put(FORMAT_KEY, Uint8Array.of(99))
    await raw.close()
    const store = new LevelStore(path)
    const err = await store.open().catch((e: unknown) => e)
    expect(isBloomwalkError(err, 'STORE_CORRUPT')).toBe(true)
    expect(store.status).toBe('closed')
  })

  it('{ sync: true } writes and reads back', async () => {
    const path = freshPath()
    const store = new LevelStore(path, { sync: true })
    await store.open()
    expect(await store.put(all()[0]!)).toBe(true)
    expect(await store.putMany(all().slice(0, 5))).toBe(4)
    await store.close()
    const again = new LevelStore(path)
    await again.open()
    expect(await again.count(overlay)).toBe(5)
    await again.close()
  })

  it('rejects an empty location', () => {
    expect(() => new LevelStore('')).toThrow(/location/)
  })
})
