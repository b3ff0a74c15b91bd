/**
 * The ledger is the only way a bundle enters or leaves an overlay (DESIGN §12), so it alone
 * keeps "the sketch, the stored count, the expiring count and the byte count mirror the
 * store". Random schedules try to break that: stores (some concurrent, some duplicates),
 * global time moving on, expiry and pruning sweeps, room policies with quota, history,
 * pruning and a store cap, and restarts (a memory store reopened, and a LevelDB store whose
 * persisted sketch and by-author index are restored instead of scanned): clean ones, and
 * crashes — the ledger killed at a random write inside a burst of stores and sweeps, as
 * kill -9 would (what it had issued lands, nothing after).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { roomId, roomPolicy, signBundle, type Bundle, type RoomPolicy } from '../../src/bundle/index.js'
import { silentLogger } from '../../src/env/logger.js'
import { SeededRng, int } from '../../src/env/rng.js'
import { Ledger, type LedgerComponents } from '../../src/node/ledger.js'
import { Counters } from '../../src/node/stats.js'
import { Sketch, shortIdOf } from '../../src/reconcile/index.js'
import { LevelStore } from '../../src/store/level.js'
import { MemoryStore } from '../../src/store/memory.js'
import type { BundleStore } from '../../src/store/types.js'
import { isSyncable, syncConfig } from '../../src/sync/config.js'
import { RetentionIndex } from '../../src/sync/retention.js'
import { equalBytes, hex } from '../../src/bytes.js'
import { makeAuthors } from '../helpers/bundles.js'
import { WriteKillable } from './crashable.js'

const OVERLAY = roomId('ledger')
/** Kind 9 is not synced: stored and counted, but never in the sketch. */
const SYNC = syncConfig({ kinds: new Map([[9, { priority: 0, direction: 'ascending' }]]) })
const UNSYNCED_KIND = 9

/** 48 bundles of 4 authors, global times 1..60, some expiring, some of a kind not synced. */
const POOL: Bundle[] = (() => {
  const rng = new SeededRng(41)
  const authors = makeAuthors(4, 43)
  return Array.from({ length: 48 }, (_, i) => {
    const globalTime = 1 + int(rng, 60)
    const body = rng.bytes(8 + int(rng, 64))
    new DataView(body.buffer).setUint32(0, i)
    const expiresAt = i % 5 === 0 ? globalTime + int(rng, 20) : undefined
    return signBundle({ overlay: OVERLAY, globalTime, kind: i % 7 === 0 ? UNSYNCED_KIND : 1, body, expiresAt }, authors[i % 4]!)
  })
})()

const root = await mkdtemp(join(tmpdir(), 'bloomwalk-ledger-'))
let dbs = 0
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

function components(store: BundleStore, counters: Counters, expired: Bundle[]): LedgerComponents {
  return { store, sync: SYNC, rng: new SeededRng(3), log: silentLogger, counters, expired: (_overlay, b) => expired.push(b) }
}

async function rows(store: BundleStore): Promise<Bundle[]> {
  const held: Bundle[] = []
  for await (const b of store.range({ overlay: OVERLAY, from: 0, to: Number.MAX_SAFE_INTEGER })) held.push(b)
  return held
}

/** Every figure the ledger keeps equals the one recomputed from the store, and the policy's per-author bounds hold. */
async function expectMirrors(ledger: Ledger, store: BundleStore, policy: RoomPolicy): Promise<void> {
  let held = await rows(store)
  // After a crash an author's rows can hold what a put pushed out but had not deleted yet: the first look at the author deletes it.
  expect(ledger.stored).toBe(held.length)
  expect(ledger.bytes).toBe(held.reduce((n, b) => n + b.bytes.length, 0))
  for (const b of held) await ledger.ready(b.author)
  held = await rows(store)
  expect(ledger.stored).toBe(held.length)
  expect(await store.count(OVERLAY)).toBe(held.length)
  expect(ledger.expiring).toBe(held.filter((b) => b.expiresAt !== undefined).length)
  expect(ledger.bytes).toBe(held.reduce((n, b) => n + b.bytes.length, 0))
  const synced = held.filter((b) => isSyncable(SYNC, b.kind))
  expect(ledger.sketch.size).toBe(synced.length)
  expect(ledger.sketch.equals(Sketch.from(synced.map((b) => b.id), { length: ledger.sketch.length }))).toBe(true)
  if (policy.history > 0) {
    const perAuthor = new Map<string, number>()
    for (const b of held) perAuthor.set(Buffer.from(b.author).toString('hex'), (perAuthor.get(Buffer.from(b.author).toString('hex')) ?? 0) + 1)
    for (const n of perAuthor.values()) expect(n).toBeLessThanOrEqual(policy.history)
  }
  if (policy.storeCapBytes > 0) expect(ledger.bytes).toBeLessThanOrEqual(policy.storeCapBytes)
  // The policy's index (scanned, or loaded author by author after a clean restart) decides as one built from the rows.
  const index = new RetentionIndex(policy)
  for (const b of held) index.insert({ globalTime: b.globalTime, id: hex(b.id), author: hex(b.author) })
  for (const b of POOL) {
    if (held.some((h) => equalBytes(h.id, b.id))) continue
    await ledger.ready(b.author)
    const theirs = ledger.refuses(b, ledger.clock.time)
    const mine = index.refuses({ globalTime: b.globalTime, id: hex(b.id), author: hex(b.author) }, b.body.length, ledger.clock.time)
    if (theirs === 'store-cap') expect(mine).toBeUndefined()
    else expect(theirs).toBe(mine)
  }
}

/** A clean restart, or a crash: the ledger killed at the `after`-th write of a burst of stores and a sweep. */
type Op = { put: number[] } | { claim: number } | { maintain: true } | { restart: true } | { crash: { put: number[]; after: number } } | { stormMaintain: number }

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ put: fc.array(fc.nat(POOL.length - 1), { minLength: 1, maxLength: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ claim: fc.integer({ min: 1, max: 15 }) }) },
  { weight: 2, arbitrary: fc.record({ maintain: fc.constant(true as const) }) },
  { weight: 1, arbitrary: fc.record({ restart: fc.constant(true as const) }) },
  { weight: 2, arbitrary: fc.record({ crash: fc.record({ put: fc.array(fc.nat(POOL.length - 1), { minLength: 1, maxLength: 6 }), after: fc.nat(14) }) }) },
  { weight: 1, arbitrary: fc.record({ stormMaintain: fc.nat(POOL.length - 1) }) }
)

const policyArb: fc.Arbitrary<RoomPolicy> = fc
  .record({
    history: fc.constantFrom(0, 0, 3, 6),
    quota: fc.constantFrom(0, 2),
    pruned: fc.constantFrom(0, 0, 25),
    cap: fc.constantFrom(0, 0, 1500)
  })
  .map((p) =>
    roomPolicy({
      history: p.history,
      quota: p.quota === 0 ? { count: 0, window: 0 } : { count: p.quota, window: 20 },
      pruning: p.pruned === 0 ? { inactive: 0, pruned: 0 } : { inactive: p.pruned, pruned: p.pruned },
      storeCapBytes: p.cap
    })
  )

/** Runs one schedule; `level`: a LevelDB store (restarts restore the persisted sketch and index) instead of a memory store. */
async function run(policy: RoomPolicy, ops: Op[], level: boolean): Promise<void> {
  const path = join(root, `db-${dbs++}`)
  let store: BundleStore & { rowsRead: number } = level ? new LevelStore(path) : new MemoryStore()
  await store.open()
  const counters = new Counters()
  const expired: Bundle[] = []
  let killable = new WriteKillable(store)
  let ledger = await Ledger.open(components(killable.store, counters, expired), OVERLAY, { policy, sketchLength: 64 })
  const put = (i: number) => ledger.put(POOL[i]!, 0)
  try {
    for (const o of ops) {
      if ('put' in o) {
        // Several at once (and the same one twice): each ends as exactly one of stored, duplicate or pruned.
        const results = await Promise.all(o.put.map(put))
        for (const r of results) expect(['stored', 'duplicate', 'pruned']).toContain(r)
      } else if ('claim' in o) {
        for (let k = 0; k < o.claim; k++) ledger.clock.claim()
      } else if ('maintain' in o) {
        const before = expired.length
        await ledger.maintain()
        // Every expiry announced names a bundle that had expired and is gone.
        for (const b of expired.slice(before)) {
          expect(b.expiresAt!).toBeLessThan(ledger.clock.time)
          expect(await store.has(OVERLAY, b.id)).toBe(false)
        }
      } else if ('stormMaintain' in o) {
        // A sweep racing a store and a duplicate of it.
        await Promise.all([ledger.maintain(), put(o.stormMaintain), put(o.stormMaintain), ledger.maintain()])
      } else {
        if ('crash' in o) {
          // Stores and a sweep, killed at a write (or, if they finish first, right after).
          killable.arm(o.crash.after)
          const burst = Promise.all([...o.crash.put.map(put), ledger.maintain()])
          await Promise.race([burst, new Promise((resolve) => setImmediate(resolve))])
          while (!killable.dead && (await Promise.race([burst.then(() => true), new Promise<boolean>((resolve) => setImmediate(() => resolve(false)))])) === false);
          killable.kill()
          await killable.landed()
        }
        // A put that landed after the kill cut its ledger short was not observed by its clock.
        const left = await rows(store)
        const time = Math.max(ledger.clock.time, ...left.map((b) => b.globalTime))
        // Over the cap after a crash (a put whose deletions were cut short): the open deletes the oldest, reading rows.
        const overCap = policy.storeCapBytes > 0 && left.reduce((n, b) => n + b.bytes.length, 0) > policy.storeCapBytes
        if (level) {
          await store.close()
          store = new LevelStore(path)
          await store.open()
        }
        const before = store.rowsRead
        killable = new WriteKillable(store)
        ledger = await Ledger.open(components(killable.store, counters, expired), OVERLAY, { policy, sketchLength: 64 })
        // The sketch and the per-author index come back from the store, after a crash too: the join reads no row.
        if (level && !overCap) expect(store.rowsRead - before, 'rows read by the join').toBe(0)
        // The clock restarts at the newest stored bundle; claims beyond it are not kept.
        expect(ledger.clock.time).toBeLessThanOrEqual(time)
      }
      await expectMirrors(ledger, store, policy)
    }
  } finally {
    await store.close()
  }
}

describe('Ledger: the sketch, counts and bytes mirror the store', () => {
  it('over random schedules of stores, claims, sweeps and restarts (memory store)', async () => {
    await fc.assert(fc.asyncProperty(policyArb, fc.array(op, { minLength: 1, maxLength: 40 }), (policy, ops) => run(policy, ops, false)), { numRuns: 150, seed: 1601 })
  })

  it('over random schedules with a LevelDB store whose restarts restore the persisted sketch', async () => {
    await fc.assert(fc.asyncProperty(policyArb, fc.array(op, { minLength: 1, maxLength: 25 }), (policy, ops) => run(policy, ops, true)), { numRuns: 60, seed: 1602 })
  })

  it('a bundle being written is held for the push path (its announcements are not asked for again); a failed write holds nothing', async () => {
    class GatedStore extends MemoryStore {
      gate: Promise<void> = Promise.resolve()
      fail = false
      override async put(b: Bundle): Promise<boolean> {
        await this.gate
        if (this.fail) throw new Error('disk full')
        return super.put(b)
      }
    }
    const store = new GatedStore()
    await store.open()
    const ledger = await Ledger.open(components(store, new Counters(), []), OVERLAY)
    const [a, b] = [POOL[1]!, POOL[2]!]
    let open!: () => void
    store.gate = new Promise<void>((r) => (open = r))
    const writing = ledger.put(a, 0)
    expect(ledger.arriving.has(Buffer.from(a.id).toString('hex'))).toBe(true)
    expect(ledger.recent.holds(shortIdOf(a.id))).toBe(true)
    open()
    expect(await writing).toBe('stored')
    expect(ledger.recent.holds(shortIdOf(a.id))).toBe(true)
    store.fail = true
    await expect(ledger.put(b, 0)).rejects.toThrow('disk full')
    expect(ledger.recent.holds(shortIdOf(b.id))).toBe(false)
    expect(ledger.recent.writing).toBe(0)
  })

  it('an expired bundle is deleted by the sweep, counted out and announced once', async () => {
    const store = new MemoryStore()
    await store.open()
    const expired: Bundle[] = []
    const counters = new Counters()
    const ledger = await Ledger.open(components(store, counters, expired), OVERLAY, {})
    const authors = makeAuthors(1, 5)
    const soon = signBundle({ overlay: OVERLAY, globalTime: 1, kind: 1, body: new Uint8Array([1]), expiresAt: 2 }, authors[0]!)
    const later = signBundle({ overlay: OVERLAY, globalTime: 5, kind: 1, body: new Uint8Array([2]) }, authors[0]!)
    expect(await ledger.put(soon, 0)).toBe('stored')
    expect(await ledger.put(later, 0)).toBe('stored')
    expect([ledger.stored, ledger.expiring, ledger.sketch.size]).toEqual([2, 1, 2])
    await ledger.maintain()
    await ledger.maintain()
    expect(expired.map((b) => b.globalTime)).toEqual([1])
    expect([ledger.stored, ledger.expiring, ledger.sketch.size]).toEqual([1, 0, 1])
    expect(ledger.sketch.equals(Sketch.from([later.id], { length: ledger.sketch.length }))).toBe(true)
    expect(counters.bundlesStored).toBe(2)
    await store.close()
  })
})
