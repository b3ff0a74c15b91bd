/**
 * LevelStore's group commit and its cache of recent ids: puts made while the write queue is
 * busy share one batch, a repeat of a recent bundle costs no read, and a failed group
 * rejects every put in it without counting any.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Level } from 'level'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import { roomId } from '../../src/bundle/index.js'
import { LevelStore, MAX_PUT_GROUP } from '../../src/store/level.js'
import { RecentIds } from '../../src/store/recent-ids.js'
import { fixture } from './helpers.js'

const root = await mkdtemp(join(tmpdir(), 'bloomwalk-level-group-'))
let n = 0
const freshPath = () => join(root, `db-${n++}`)
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})
afterEach(() => {
  vi.restoreAllMocks()
})

/** The prototype that holds `batch`, `has` and `get` of every LevelDB handle. */
const levelPrototype = Object.getPrototypeOf(Level.prototype) as { batch: (...a: unknown[]) => unknown; has: (...a: unknown[]) => unknown; get: (...a: unknown[]) => unknown; getSync: (...a: unknown[]) => unknown }
const overlay = roomId('group')

describe('LevelStore group commit', () => {
  it('puts fired together commit in groups of at most MAX_PUT_GROUP, each resolving after its row; a repeat in the same group is not added', async () => {
    const store = new LevelStore(freshPath())
    await store.open()
    const bundles = fixture(MAX_PUT_GROUP + 44, { name: 'group', seed: 3, maxGlobalTime: 50 })
    const batches = vi.spyOn(levelPrototype, 'batch')
    const results = await Promise.all([...bundles, bundles[0]!, bundles[7]!].map((b) => store.put(b)))
    expect(results.slice(0, bundles.length).every(Boolean)).toBe(true)
    expect(results.slice(bundles.length)).toEqual([false, false])
    // The first put is a group of its own (the queue was idle), the rest wait and share.
    expect(batches.mock.calls.length).toBeGreaterThanOrEqual(2)
    expect(batches.mock.calls.length).toBeLessThanOrEqual(4)
    expect(await store.count(overlay)).toBe(bundles.length)
    await store.close()
    const again = new LevelStore(store.location)
    await again.open()
    expect(await again.count(overlay)).toBe(bundles.length)
    for (const b of bundles) expect(await again.has(overlay, b.id)).toBe(true)
    await again.close()
  })

  it('a bundle committed lately is known without a read (has, put again, markDelivered)', async () => {
    const store = new LevelStore(freshPath())
    await store.open()
    const [a, b] = fixture(2, { name: 'group', seed: 4 })
    await store.putMany([a!])
    await store.put(b!)
    const reads = vi.spyOn(levelPrototype, 'has')
    const gets = vi.spyOn(levelPrototype, 'get')
    const syncGets = vi.spyOn(levelPrototype, 'getSync')
    expect(await store.has(overlay, a!.id)).toBe(true)
    expect(await store.has(overlay, b!.id)).toBe(true)
    expect(await store.put(b!)).toBe(false)
    expect(reads).not.toHaveBeenCalled()
    expect(gets).not.toHaveBeenCalled()
    expect(syncGets).not.toHaveBeenCalled()
    await store.markDelivered(overlay, [a!.id])
    expect(await store.isUndelivered(overlay, a!.id)).toBe(false)
    expect(await store.isUndelivered(overlay, b!.id)).toBe(true)
    // A deleted bundle is forgotten: has reads the disk again and says no.
    expect(await store.delete(overlay, b!.id)).toBe(true)
    expect(await store.has(overlay, b!.id)).toBe(false)
    expect(syncGets).toHaveBeenCalled()
    await store.close()
  })

  it('a group whose write fails rejects every put in it, counts none, and the store serves again after re-opening', async () => {
    const store = new LevelStore(freshPath(), { retryMs: 0 })
    await store.open()
    const [first, ...rest] = fixture(40, { name: 'group', seed: 5 })
    await store.put(first!)
    const real = levelPrototype.batch
    vi.spyOn(levelPrototype, 'batch').mockImplementationOnce(function (this: unknown) {
      const chained = real.call(this) as { put: (k: unknown, v: unknown) => unknown; write: () => Promise<void>; close: () => Promise<void> }
      return {
        put: (k: unknown, v: unknown) => chained.put(k, v),
        write: async () => {
          await chained.close()
          throw Object.assign(new Error('IO error: No space left on device'), { code: 'LEVEL_IO_ERROR' })
        }
      }
    })
    const settled = await Promise.allSettled(rest.map((b) => store.put(b)))
    expect(settled.every((s) => s.status === 'rejected')).toBe(true)
    expect(await store.count(overlay)).toBe(1)
    expect(await store.has(overlay, rest[0]!.id)).toBe(false)
    expect(await store.put(rest[0]!)).toBe(true)
    expect(await store.count(overlay)).toBe(2)
    await store.close()
  })
})

describe('RecentIds', () => {
  const key = (i: number) => Uint8Array.of(1, i)

  it('keeps the newest `capacity` ids; re-adding one makes it newest; delete and clear forget', () => {
    const r = new RecentIds(3)
    for (let i = 0; i < 3; i++) r.add(key(i), 10 + i)
    r.add(key(0), 10) // now newest
    r.add(key(3), 13) // evicts 1, the oldest
    expect(r.size).toBe(3)
    expect(r.globalTime(key(1))).toBeUndefined()
    expect([0, 2, 3].map((i) => r.globalTime(key(i)))).toEqual([10, 12, 13])
    r.delete(key(2))
    expect(r.globalTime(key(2))).toBeUndefined()
    r.clear()
    expect(r.size).toBe(0)
  })

  it('refuses a capacity below 1', () => {
    expect(() => new RecentIds(0)).toThrow(RangeError)
  })
})
