/**
 * The one conformance suite every BundleStore backend passes (STYLE 20). `factory` returns a
 * fresh, NOT yet opened store; the suite opens and closes it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { roomId, signBundle, type Bundle } from '../../src/bundle/index.js'
import type { BundleStore, RangeQuery, StoreCounters } from '../../src/store/index.js'
import { SeededRng, int } from '../../src/env/rng.js'
import { hex, makeAuthors } from '../helpers/bundles.js'
import { bruteForce, collect, expectCode, fixture, ids, keyOrder } from './helpers.js'
import { itemHashHalves } from '../../src/reconcile/index.js'
import { shortIdBytes } from '../../src/reconcile/short.js'

export type StoreFactory = () => Promise<BundleStore & StoreCounters>
const MAX = Number.MAX_SAFE_INTEGER

export function runStoreConformance(name: string, factory: StoreFactory): void {
  describe(`BundleStore conformance: ${name}`, () => {
    let store: BundleStore & StoreCounters
    const overlay = roomId('main')
    const other = roomId('other')
    // 300 bundles on 20 global times: many duplicates per global time.
    const dense = () => fixture(300, { name: 'main', seed: 11, maxGlobalTime: 20 })

    beforeEach(async () => {
      store = await factory()
      await store.open()
    })
    afterEach(async () => {
      await store.close()
    })

    describe('lifecycle', () => {
      it('refuses every operation before open and after close with STORE_NOT_OPEN', async () => {
        const fresh = await factory()
        const b = dense()[0]!
        const all = (s: BundleStore) => [
          () => s.put(b),
          () => s.putMany([b]),
          () => s.get(overlay, b.id),
          () => s.has(overlay, b.id),
          () => s.count(overlay),
          () => s.maxGlobalTime(overlay),
          () => s.delete(overlay, b.id),
          () => collect(s.range({ overlay, from: 0, to: MAX })),
          () => s.markDelivered(overlay, [b.id]),
          () => s.isUndelivered(overlay, b.id),
          () => collect(s.undelivered(overlay))
        ]
        for (const op of all(fresh)) await expectCode(op, 'STORE_NOT_OPEN')
        await fresh.open()
        await fresh.open()
        expect(await fresh.put(b)).toBe(true)
        await fresh.close()
        await fresh.close()
        for (const op of all(fresh)) await expectCode(op, 'STORE_NOT_OPEN')
      })

      it('starts empty', async () => {
        expect(await store.count(overlay)).toBe(0)
        expect(await store.maxGlobalTime(overlay)).toBe(0)
        expect(await collect(store.range({ overlay, from: 0, to: MAX }))).toEqual([])
      })
    })

    describe('put, get, has, count', () => {
      it('put is idempotent by id: true, then false', async () => {
        const b = dense()[0]!
        expect(await store.put(b)).toBe(true)
        expect(await store.put(b)).toBe(false)
        expect(await store.count(overlay)).toBe(1)
      })

      it('get returns the stored bundle; has and get of an unknown id', async () => {
        const [a, b] = dense()
        await store.put(a!)
        expect(await store.has(overlay, a!.id)).toBe(true)
        expect(await store.has(overlay, b!.id)).toBe(false)
        const got = await store.get(overlay, a!.id)
        expect(hex(got!.bytes)).toBe(hex(a!.bytes))
        expect(hex(got!.id)).toBe(hex(a!.id))
        expect(got!.globalTime).toBe(a!.globalTime)
        expect(await store.get(overlay, b!.id)).toBeUndefined()
      })

      it('counts and tracks the highest global time', async () => {
        const all = dense()
        for (const b of all.slice(0, 50)) await store.put(b)
        expect(await store.count(overlay)).toBe(50)
        expect(await store.maxGlobalTime(overlay)).toBe(Math.max(...all.slice(0, 50).map((b) => b.globalTime)))
      })

      it('concurrent puts (with duplicates) keep count and max exact', async () => {
        const all = dense().slice(0, 80)
        const results = await Promise.all([...all, ...all.slice(0, 30)].map((b) => store.put(b)))
        expect(results.filter(Boolean).length).toBe(80)
        expect(await store.count(overlay)).toBe(80)
        expect(await store.maxGlobalTime(overlay)).toBe(Math.max(...all.map((b) => b.globalTime)))
      })

      it('keeps overlays isolated', async () => {
        const mine = dense().slice(0, 20)
        const theirs = fixture(10, { name: 'other', seed: 3 })
        await store.putMany([...mine, ...theirs])
        expect(await store.count(overlay)).toBe(20)
        expect(await store.count(other)).toBe(10)
        expect(await store.maxGlobalTime(other)).toBe(Math.max(...theirs.map((b) => b.globalTime)))
        expect(await store.has(other, mine[0]!.id)).toBe(false)
        expect(await store.get(other, mine[0]!.id)).toBeUndefined()
        expect(ids(await collect(store.range({ overlay: other, from: 0, to: MAX })))).toEqual(keyOrder(theirs))
        expect(await store.delete(other, mine[0]!.id)).toBe(false)
        expect(await store.count(overlay)).toBe(20)
      })
    })

    describe('putMany', () => {
      it('returns how many were new (duplicates in the batch and already stored)', async () => {
        const all = dense()
        await store.put(all[0]!)
        expect(await store.putMany([all[0]!, all[1]!, all[1]!, all[2]!])).toBe(2)
        expect(await store.putMany([])).toBe(0)
        expect(await store.putMany(all)).toBe(all.length - 3)
        expect(await store.count(overlay)).toBe(all.length)
        expect(await store.maxGlobalTime(overlay)).toBe(Math.max(...all.map((b) => b.globalTime)))
      })

      it('is atomic: an invalid bundle anywhere stores nothing', async () => {
        const all = dense().slice(0, 10)
        const bad = { ...all[5]!, overlay: new Uint8Array(31) }
        await expectCode(() => store.putMany([...all.slice(0, 5), bad, ...all.slice(6)]), 'INVALID_ARGUMENT')
        expect(await store.count(overlay)).toBe(0)
        for (const b of all) expect(await store.has(overlay, b.id)).toBe(false)
      })
    })

    describe('delete', () => {
      it('removes a bundle; false when absent; max global time stays', async () => {
        const all = dense()
        await store.putMany(all)
        const top = [...all].sort((a, b) => b.globalTime - a.globalTime)
        const maxGt = top[0]!.globalTime
        // Delete every bundle at the highest global time.
        const atMax = all.filter((b) => b.globalTime === maxGt)
        for (const b of atMax) expect(await store.delete(overlay, b.id)).toBe(true)
        expect(await store.delete(overlay, atMax[0]!.id)).toBe(false)
        expect(await store.has(overlay, atMax[0]!.id)).toBe(false)
        expect(await store.get(overlay, atMax[0]!.id)).toBeUndefined()
        expect(await store.count(overlay)).toBe(all.length - atMax.length)
        expect(await store.maxGlobalTime(overlay)).toBe(maxGt)
        const rest = all.filter((b) => b.globalTime !== maxGt)
        expect(ids(await collect(store.range({ overlay, from: 0, to: MAX })))).toEqual(keyOrder(rest))
        expect(await store.put(atMax[0]!)).toBe(true)
        expect(await store.count(overlay)).toBe(rest.length + 1)
      })
    })

    describe('byShortId (docs/reconcile.md §14)', () => {
      it('finds each stored bundle by its item hash, per overlay, and forgets it on delete; refuses a short id of another length', async () => {
        const all = dense()
        await store.putMany(all)
        for (const b of all.slice(0, 40)) {
          const short = shortIdBytes(...itemHashHalves(b.id))
          expect(ids(await store.byShortId(overlay, short))).toEqual([hex(b.id)])
          expect(await store.byShortId(other, short)).toEqual([])
        }
        const gone = all[7]!
        expect(await store.delete(overlay, gone.id)).toBe(true)
        expect(await store.byShortId(overlay, shortIdBytes(...itemHashHalves(gone.id)))).toEqual([])
        expect(await store.byShortId(overlay, new Uint8Array(8))).toEqual([])
        await expectCode(() => store.byShortId(overlay, new Uint8Array(7)), 'INVALID_ARGUMENT')
      })

      it('finds each stored bundle by the 4-byte prefix of its item hash (docs/reconcile.md §15), per overlay, and forgets it on delete; refuses 3 or 5 bytes', async () => {
        const all = dense()
        await store.putMany(all)
        for (const b of all.slice(0, 40)) {
          const prefix = shortIdBytes(...itemHashHalves(b.id)).slice(0, 4)
          expect(ids(await store.byShortId(overlay, prefix))).toEqual([hex(b.id)])
          expect(await store.byShortId(other, prefix)).toEqual([])
        }
        const gone = all[9]!
        expect(await store.delete(overlay, gone.id)).toBe(true)
        expect(await store.byShortId(overlay, shortIdBytes(...itemHashHalves(gone.id)).slice(0, 4))).toEqual([])
        // A prefix nobody's hash begins with (the stored ones all differ from it in their first byte).
        const firsts = new Set(all.map((b) => shortIdBytes(...itemHashHalves(b.id))[0]))
        const free = [...Array(256).keys()].find((x) => !firsts.has(x))!
        expect(await store.byShortId(overlay, Uint8Array.of(free, 0, 0, 0))).toEqual([])
        await expectCode(() => store.byShortId(overlay, new Uint8Array(3)), 'INVALID_ARGUMENT')
        await expectCode(() => store.byShortId(overlay, new Uint8Array(5)), 'INVALID_ARGUMENT')
      })
    })

    describe('undelivered marks', () => {
      it('every new bundle is undelivered until markDelivered; a duplicate put does not mark it again', async () => {
        const all = dense()
        await store.put(all[0]!)
        expect(await store.putMany(all.slice(0, 40))).toBe(39)
        expect(ids(await collect(store.undelivered(overlay)))).toEqual(keyOrder(all.slice(0, 40)))
        expect(await store.isUndelivered(overlay, all[3]!.id)).toBe(true)
        await store.markDelivered(overlay, all.slice(0, 30).map((b) => b.id))
        expect(await store.isUndelivered(overlay, all[3]!.id)).toBe(false)
        expect(await store.isUndelivered(overlay, all[35]!.id)).toBe(true)
        expect(ids(await collect(store.undelivered(overlay)))).toEqual(keyOrder(all.slice(30, 40)))
        // Storing a delivered bundle again changes nothing; ids not stored are skipped.
        expect(await store.put(all[3]!)).toBe(false)
        expect(await store.isUndelivered(overlay, all[3]!.id)).toBe(false)
        await store.markDelivered(overlay, [all[100]!.id, all[35]!.id, all[35]!.id])
        expect(await store.isUndelivered(overlay, all[100]!.id)).toBe(false)
        expect(ids(await collect(store.undelivered(overlay)))).toEqual(keyOrder([...all.slice(30, 35), ...all.slice(36, 40)]))
        expect(await store.count(overlay)).toBe(40)
      })

      it('marks are per overlay, survive close and open, and go with delete', async () => {
        const mine = dense().slice(0, 10)
        const theirs = fixture(5, { name: 'other', seed: 12 })
        await store.putMany([...mine, ...theirs])
        await store.markDelivered(other, mine.map((b) => b.id))
        expect(ids(await collect(store.undelivered(overlay)))).toEqual(keyOrder(mine))
        await store.markDelivered(overlay, [mine[0]!.id])
        expect(await store.isUndelivered(other, mine[1]!.id)).toBe(false)
        expect(await store.delete(overlay, mine[1]!.id)).toBe(true)
        expect(await store.isUndelivered(overlay, mine[1]!.id)).toBe(false)
        await store.close()
        await store.open()
        expect(ids(await collect(store.undelivered(overlay)))).toEqual(keyOrder(mine.slice(2)))
        expect(ids(await collect(store.undelivered(other)))).toEqual(keyOrder(theirs))
        // Stored again after the delete: undelivered again.
        expect(await store.put(mine[1]!)).toBe(true)
        expect(await store.isUndelivered(overlay, mine[1]!.id)).toBe(true)
      })

      it('a mark cleared while a put of the same bundle is pending stays cleared once both resolve', async () => {
        const b = dense()[7]!
        const put = store.put(b)
        const mark = store.markDelivered(overlay, [b.id])
        await Promise.all([put, mark])
        expect(await store.has(overlay, b.id)).toBe(true)
        expect(await store.isUndelivered(overlay, b.id)).toBe(false)
      })
    })

    describe('range', () => {
      it('yields exact key order asc and desc with many bundles per global time', async () => {
        const all = dense()
        await store.putMany(all)
        expect(ids(await collect(store.range({ overlay, from: 0, to: MAX })))).toEqual(keyOrder(all, 'asc'))
        expect(ids(await collect(store.range({ overlay, from: 0, to: MAX, order: 'desc' })))).toEqual(keyOrder(all, 'desc'))
      })

      it('yields what was put, byte for byte', async () => {
        const all = dense().slice(0, 40)
        await store.putMany(all)
        const byId = new Map(all.map((b) => [hex(b.id), hex(b.bytes)]))
        for (const b of await collect(store.range({ overlay, from: 0, to: MAX }))) expect(hex(b.bytes)).toBe(byId.get(hex(b.id)))
      })

      it('handles global times up to 2^53 − 1 in order', async () => {
        const [keys] = makeAuthors(1, 99)
        const gts = [MAX, MAX - 1, 2 ** 32, 2 ** 32 - 1, 1]
        const big = gts.map((globalTime, i) => signBundle({ overlay, globalTime, kind: 1, body: Uint8Array.of(i) }, keys!))
        await store.putMany(big)
        expect(await store.maxGlobalTime(overlay)).toBe(MAX)
        expect(ids(await collect(store.range({ overlay, from: 0, to: MAX })))).toEqual(keyOrder(big))
        const q = { overlay, from: 2 ** 32 - 1, to: MAX, modulo: 7, offset: 3, order: 'desc' as const }
        expect(ids(await collect(store.range(q)))).toEqual(bruteForce(big, q))
      })

      it('treats from and to as inclusive bounds', async () => {
        const all = dense()
        await store.putMany(all)
        for (const [from, to] of [[5, 5], [0, 1], [3, 9], [20, 20], [21, 100], [0, 0], [7, MAX]] as const) {
          for (const order of ['asc', 'desc'] as const) {
            const q = { overlay, from, to, order }
            expect(ids(await collect(store.range(q))), `${from}..${to} ${order}`).toEqual(bruteForce(all, q))
          }
        }
      })

      it('modulo/offset equals a brute-force filter (seeds × modulo 1..50)', async () => {
        for (const seed of [1, 2, 3]) {
          const name = `modulo-${seed}`
          const all = fixture(250, { name, seed, maxGlobalTime: seed === 1 ? 60 : 2000 })
          const ov = roomId(name)
          await store.putMany(all)
          const rng = new SeededRng(seed)
          for (let modulo = 1; modulo <= 50; modulo++) {
            const offsets = new Set([0, modulo - 1, int(rng, modulo)])
            for (const offset of offsets) {
              const from = int(rng, 3) === 0 ? 0 : int(rng, 200)
              const to = int(rng, 3) === 0 ? MAX : from + int(rng, 2000)
              for (const order of ['asc', 'desc'] as const) {
                const q = { overlay: ov, from, to, modulo, offset, order }
                expect(ids(await collect(store.range(q))), JSON.stringify({ seed, modulo, offset, from, to, order })).toEqual(bruteForce(all, q))
              }
            }
          }
        }
      })

      it('stops after limit bundles', async () => {
        const all = dense()
        await store.putMany(all)
        for (const [limit, modulo] of [[0, 1], [1, 1], [17, 1], [5, 3], [9, 7], [1000, 1]] as const) {
          for (const order of ['asc', 'desc'] as const) {
            const q = { overlay, from: 0, to: MAX, modulo, offset: 0, order, limit }
            expect(ids(await collect(store.range(q)))).toEqual(bruteForce(all, q))
          }
        }
      })

      it('reads at most maxRows rows from storage', async () => {
        const all = fixture(250, { name: 'main', seed: 5, maxGlobalTime: 600 })
        await store.putMany(all)
        for (const [maxRows, modulo] of [[0, 1], [1, 1], [10, 1], [10, 2], [7, 5], [25, 13], [3, 40]] as const) {
          for (const order of ['asc', 'desc'] as const) {
            const before = store.rowsRead
            const got = ids(await collect(store.range({ overlay, from: 0, to: MAX, modulo, order, maxRows })))
            const read = store.rowsRead - before
            expect(read, `maxRows ${maxRows} modulo ${modulo}`).toBeLessThanOrEqual(maxRows)
            expect(got.length).toBeLessThanOrEqual(maxRows)
            // What was yielded is a prefix of the full answer.
            expect(got).toEqual(bruteForce(all, { overlay, from: 0, to: MAX, modulo, order }).slice(0, got.length))
            if (modulo === 1) expect(got.length).toBe(maxRows)
          }
        }
      })

      it('with modulo ≥ 4 skips global times that fail it: rows read ≤ 2·(yielded + targets) + 2', async () => {
        const all = fixture(250, { name: 'main', seed: 5, maxGlobalTime: 600 })
        await store.putMany(all)
        for (const modulo of [4, 10, 50, 120]) {
          const before = store.rowsRead
          const got = await collect(store.range({ overlay, from: 1, to: 600, modulo, offset: 1 }))
          const targets = Math.ceil(600 / modulo)
          expect(store.rowsRead - before).toBeLessThanOrEqual(2 * (got.length + targets) + 2)
          expect(store.rowsRead - before).toBeLessThan(all.length)
        }
      })

      it('throws ABORTED when the signal is aborted, before or during the scan', async () => {
        await store.putMany(dense())
        const early = new AbortController()
        early.abort()
        await expectCode(() => collect(store.range({ overlay, from: 0, to: MAX, signal: early.signal })), 'ABORTED')
        const late = new AbortController()
        const seen: Bundle[] = []
        await expectCode(async () => {
          for await (const b of store.range({ overlay, from: 0, to: MAX, signal: late.signal })) {
            seen.push(b)
            if (seen.length === 5) late.abort()
          }
        }, 'ABORTED')
        expect(seen.length).toBe(5)
        // The store is still usable after an aborted scan.
        expect((await collect(store.range({ overlay, from: 0, to: MAX }))).length).toBe(dense().length)
      })

      it('a consumer may stop early; closing the store ends a scan with STORE_NOT_OPEN', async () => {
        await store.putMany(dense())
        for await (const b of store.range({ overlay, from: 0, to: MAX })) {
          expect(b).toBeDefined()
          break
        }
        expect(await store.count(overlay)).toBe(dense().length)
        const pending = store.range({ overlay, from: 0, to: MAX })
        let seen = 0
        await expectCode(async () => {
          for await (const _ of store.range({ overlay, from: 0, to: MAX })) if (++seen === 1) await store.close()
        }, 'STORE_NOT_OPEN')
        expect(seen).toBeLessThan(dense().length)
        await expectCode(() => collect(pending), 'STORE_NOT_OPEN')
      })
    })

    describe('argument validation', () => {
      it('rejects malformed arguments with INVALID_ARGUMENT', async () => {
        const b = dense()[0]!
        const short = new Uint8Array(31)
        const base: RangeQuery = { overlay, from: 0, to: 10 }
        const bad: RangeQuery[] = [
          { ...base, overlay: short },
          { ...base, overlay: new Uint8Array(33) },
          { ...base, from: 5, to: 4 },
          { ...base, from: -1 },
          { ...base, to: 1.5 },
          { ...base, modulo: 0 },
          { ...base, modulo: -3 },
          { ...base, modulo: 2.5 },
          { ...base, modulo: 4, offset: 4 },
          { ...base, offset: 1 },
          { ...base, modulo: 4, offset: -1 },
          { ...base, limit: -1 },
          { ...base, maxRows: 0.5 },
          { ...base, order: 'sideways' as 'asc' }
        ]
        for (const q of bad) await expectCode(() => collect(store.range(q)), 'INVALID_ARGUMENT')
        await expectCode(() => store.get(short, b.id), 'INVALID_ARGUMENT')
        await expectCode(() => store.has(overlay, short), 'INVALID_ARGUMENT')
        await expectCode(() => store.count(short), 'INVALID_ARGUMENT')
        await expectCode(() => store.maxGlobalTime(short), 'INVALID_ARGUMENT')
        await expectCode(() => store.delete(short, b.id), 'INVALID_ARGUMENT')
        await expectCode(() => store.put({ ...b, overlay: short }), 'INVALID_ARGUMENT')
        await expectCode(() => store.put({ ...b, globalTime: 0 }), 'INVALID_ARGUMENT')
        await expectCode(() => store.put({ ...b, id: short }), 'INVALID_ARGUMENT')
        await expectCode(() => store.putMany('x' as unknown as Bundle[]), 'INVALID_ARGUMENT')
        await expectCode(() => store.markDelivered(short, [b.id]), 'INVALID_ARGUMENT')
        await expectCode(() => store.markDelivered(overlay, [short]), 'INVALID_ARGUMENT')
        await expectCode(() => store.markDelivered(overlay, 'x' as unknown as Uint8Array[]), 'INVALID_ARGUMENT')
        await expectCode(() => store.isUndelivered(overlay, short), 'INVALID_ARGUMENT')
        await expectCode(() => collect(store.undelivered(short)), 'INVALID_ARGUMENT')
        expect(await store.count(overlay)).toBe(0)
      })
    })
  })
}
