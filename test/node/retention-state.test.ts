/**
 * The room policy's per-author index kept with the store (src/node/retention-state.ts, the
 * store's by-author index): a restart — clean, or after a crash, even one between a put and
 * the deletions it caused — reads no bundle row and still decides as a scan would (quota,
 * history, what a newer bundle pushes out); another policy, or a store from before, scans once.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { roomPolicy, signBundle, type Bundle, type KeyPair, type RoomPolicy } from '../../src/bundle/index.js'
import { isBloomwalkError } from '../../src/errors.js'
import type { BloomwalkNode } from '../../src/node/node.js'
import { silentLogger } from '../../src/env/logger.js'
import { SeededRng } from '../../src/env/rng.js'
import { Ledger } from '../../src/node/ledger.js'
import { MAX_ABSENT, OverlayRetention } from '../../src/node/retention.js'
import { Counters } from '../../src/node/stats.js'
import { LevelStore } from '../../src/store/level.js'
import { syncConfig } from '../../src/sync/config.js'
import { RetentionIndex } from '../../src/sync/retention.js'
import { hex, makeAuthors } from '../helpers/bundles.js'
import { WriteKillable } from './crashable.js'
import { testnet, type Testnet } from './harness.js'

const root = await mkdtemp(join(tmpdir(), 'bloomwalk-retention-state-'))
let n = 0
const freshPath = () => join(root, `db-${n++}`)
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

const authors = makeAuthors(3, 5150)
const POLICY = roomPolicy({ quota: { count: 2, window: 10 }, history: 3 })

/** What the policy keeps of `all` (order-independent: F of the union). */
function retained(policy: RoomPolicy, all: readonly Bundle[]): string[] {
  const index = new RetentionIndex(policy)
  for (const b of all) index.insert({ globalTime: b.globalTime, id: hex(b.id), author: hex(b.author) })
  return [...index.allAuthors()].flatMap(([, list]) => list.map((e) => e.id)).sort()
}

async function held(store: LevelStore, overlay: Uint8Array): Promise<string[]> {
  const ids: string[] = []
  for await (const b of store.range({ overlay, from: 0, to: Number.MAX_SAFE_INTEGER })) ids.push(hex(b.id))
  return ids.sort()
}

function bundle(t: Testnet, author: KeyPair, globalTime: number): Bundle {
  return signBundle({ overlay: t.overlay, globalTime, kind: 1, body: new Uint8Array([globalTime & 0xff, globalTime >> 8]) }, author)
}

/** Relays bundles into the node; returns those it took (the policy refuses some with BUNDLE_REFUSED_BY_POLICY). */
async function feed(node: BloomwalkNode, t: Testnet, bundles: readonly Bundle[]): Promise<{ taken: Bundle[]; refused: Bundle[] }> {
  const taken: Bundle[] = []
  const refused: Bundle[] = []
  for (const b of bundles) {
    try {
      await node.relay(t.overlay, b)
      taken.push(b)
    } catch (err) {
      if (!isBloomwalkError(err) || err.code !== 'BUNDLE_REFUSED_BY_POLICY') throw err
      refused.push(b)
    }
  }
  return { taken, refused }
}

async function start(t: Testnet, path: string, policy: RoomPolicy): Promise<{ node: BloomwalkNode; store: LevelStore }> {
  const store = new LevelStore(path)
  await store.open()
  const node = await t.addPeer({ store, policies: new Map([[hex(t.overlay), policy]]) })
  return { node, store }
}

describe('the per-author index persisted with the store', () => {
  it('a clean restart reads no row, refuses and evicts as the scan would, and stays so over restarts', async () => {
    const t = await testnet({ peers: 0, seed: 91 })
    const path = freshPath()
    const all: Bundle[] = []
    for (const a of authors) for (let gt = 1; gt <= 24; gt++) all.push(bundle(t, a!, gt + authors.indexOf(a!)))
    let { node, store } = await start(t, path, POLICY)
    await feed(node, t, all)
    expect(await held(store, t.overlay)).toEqual(retained(POLICY, all))
    await node.stop()
    await store.close()

    ;({ node, store } = await start(t, path, POLICY))
    expect(store.rowsRead).toBe(0)
    // Older than alice's oldest retained: refused by the index loaded at once (no scan, no row).
    const [alice, bob] = authors
    const stale = await feed(node, t, [bundle(t, alice!, 2), bundle(t, bob!, 30)])
    expect(stale.refused.map((b) => b.globalTime)).toEqual([2])
    expect(store.rowsRead).toBe(0)
    // Bob's newer one pushed out his oldest retained bundle, from the store too.
    all.push(...stale.taken)
    expect(await held(store, t.overlay)).toEqual(retained(POLICY, all))
    expect(node.stats().overlays[0]!.bundlesStored).toBe(retained(POLICY, all).length)
    await node.stop()
    await store.close()

    // Again: the authors this run changed were written; those it never loaded kept theirs.
    ;({ node, store } = await start(t, path, POLICY))
    expect(store.rowsRead).toBe(0)
    const more = [bundle(t, authors[2]!, 40), bundle(t, authors[2]!, 41), bundle(t, authors[2]!, 42), bundle(t, bob!, 1)]
    const r = await feed(node, t, more)
    expect(r.refused.map((b) => b.globalTime)).toEqual([1])
    all.push(...r.taken)
    expect(await held(store, t.overlay)).toEqual(retained(POLICY, all))
    await node.stop()
    expect(await held(store, t.overlay)).toEqual(retained(POLICY, all))
    await store.close()
    await t.stop()
  }, 60_000)

  it('after a crash the next start reads no row and decides from the rows; another policy scans once', async () => {
    const t = await testnet({ peers: 0, seed: 92 })
    const path = freshPath()
    const all: Bundle[] = []
    for (const a of authors) for (let gt = 1; gt <= 12; gt++) all.push(bundle(t, a!, gt))
    let { node, store } = await start(t, path, POLICY)
    await feed(node, t, all)
    await node.stop()
    await store.close()

    // A run that changes the index and dies without a clean stop.
    ;({ node, store } = await start(t, path, POLICY))
    expect(store.rowsRead).toBe(0)
    const late = await feed(node, t, [bundle(t, authors[0]!, 30), bundle(t, authors[0]!, 31), bundle(t, authors[0]!, 32)])
    all.push(...late.taken)
    await store.close() // the crash: the node is never stopped before its store goes
    ;({ node, store } = await start(t, path, POLICY))
    expect(store.rowsRead).toBe(0)
    const rows = (await held(store, t.overlay)).length
    expect(await held(store, t.overlay)).toEqual(retained(POLICY, all))
    const scanned = store.rowsRead
    // The index read from the store decides: alice keeps 12, 31 and 32 (quota 2 per window, history 3), so 5 is refused.
    expect((await feed(node, t, [bundle(t, authors[0]!, 5)])).refused).toHaveLength(1)
    expect(store.rowsRead).toBe(scanned)
    await node.stop()
    await store.close()

    // A stricter policy: the index's note names the other one, so the join scans and applies it.
    const stricter = roomPolicy({ quota: { count: 2, window: 10 }, history: 2 })
    ;({ node, store } = await start(t, path, stricter))
    expect(store.rowsRead).toBe(rows)
    await store.close() // a crash again
    ;({ node, store } = await start(t, path, stricter))
    expect(store.rowsRead).toBe(0)
    expect(await held(store, t.overlay)).toEqual(retained(stricter, all))
    expect((await feed(node, t, [bundle(t, authors[1]!, 10)])).refused).toHaveLength(1)
    await node.stop()
    await store.close()
    await t.stop()
  }, 60_000)

  it('a kill between a put and the deletion it caused: the join reads no row, the first look at the author deletes what the policy drops', async () => {
    const path = freshPath()
    const t = await testnet({ peers: 0, seed: 93 })
    const alice = authors[0]!
    const policy = roomPolicy({ history: 3 })
    const components = (store: LevelStore | WriteKillable<LevelStore>['store'], counters: Counters) => ({ store, sync: syncConfig(), rng: new SeededRng(1), log: silentLogger, counters, expired: () => undefined })
    let store = new LevelStore(path)
    await store.open()
    const killable = new WriteKillable(store)
    let ledger = await Ledger.open(components(killable.store, new Counters()), t.overlay, { policy })
    const four = [1, 2, 3, 4].map((gt) => bundle(t, alice, gt))
    for (const b of four.slice(0, 3)) expect(await ledger.put(b, 0)).toBe('stored')
    // The fourth's row lands; the deletion of the oldest it pushes out is the write the kill stops.
    killable.arm(1)
    void ledger.put(four[3]!, 0)
    while (!killable.dead) await new Promise((resolve) => setImmediate(resolve))
    await killable.landed()
    await store.close()

    store = new LevelStore(path)
    await store.open()
    const counters = new Counters()
    ledger = await Ledger.open(components(store, counters), t.overlay, { policy })
    expect(store.rowsRead).toBe(0)
    expect(ledger.stored).toBe(4)
    await ledger.ready(alice.publicKey)
    expect(counters.bundlesPruned).toBe(1)
    expect(ledger.stored).toBe(3)
    expect(await held(store, t.overlay)).toEqual(retained(policy, four))
    expect(ledger.refuses(bundle(t, alice, 1), ledger.clock.time)).toBe('history')
    await store.close()
    await t.stop()
  }, 60_000)

  it('a store from before (the index as state values of a clean stop): the join scans once, saves the index and deletes the old values', async () => {
    const t = await testnet({ peers: 0, seed: 94 })
    const path = freshPath()
    const all = authors.flatMap((a) => [1, 2, 3].map((gt) => bundle(t, a!, gt)))
    let store = new LevelStore(path)
    await store.open()
    await store.putMany(all)
    const legacy = `retention/${hex(t.overlay)}`
    await store.putState([[legacy, new Uint8Array(1)], [`${legacy}/${hex(authors[0]!.publicKey)}`, new Uint8Array(40)]])
    await store.close()
    let node: BloomwalkNode
    ;({ node, store } = await start(t, path, POLICY))
    expect(store.rowsRead).toBe(all.length)
    expect(await store.stateEntries(legacy)).toEqual([])
    await store.close() // a crash
    ;({ node, store } = await start(t, path, POLICY))
    expect(store.rowsRead).toBe(0)
    // The scan applied the policy (quota 2 per window of 10: gt 1 went); the index read from the store refuses it again.
    expect(await held(store, t.overlay)).toEqual(retained(POLICY, all))
    expect((await feed(node, t, [bundle(t, authors[1]!, 1)])).refused).toHaveLength(1)
    await node.stop()
    await store.close()
    await t.stop()
  }, 60_000)

  it('loading one author at a time: strangers are remembered up to a bound, an author with entries is never read again', async () => {
    const retention = new OverlayRetention(POLICY)
    const reads: string[] = []
    const persisted = new Map([['aa', [{ globalTime: 3, id: '11'.repeat(32), author: 'aa' }]]])
    retention.lazy(
      async (author) => {
        reads.push(author)
        return persisted.get(author) ?? []
      },
      async () => undefined
    )
    // A flood of distinct keys with nothing persisted: each read once, at most MAX_ABSENT remembered.
    for (let i = 0; i < MAX_ABSENT + 500; i++) await retention.ready(i.toString(16).padStart(64, '0'))
    expect(retention.remembered).toBe(MAX_ABSENT)
    expect(reads).toHaveLength(MAX_ABSENT + 500)
    expect(retention.ready((MAX_ABSENT + 499).toString(16).padStart(64, '0'))).toBeUndefined()
    // The oldest stranger was forgotten: read again (nothing persisted, nothing held: the same answer).
    await retention.ready('0'.repeat(64))
    expect(reads).toHaveLength(MAX_ABSENT + 501)
    // An author with stored entries: loaded once, then decided from memory.
    await retention.ready('aa')
    expect(retention.index.entriesOf('aa')).toHaveLength(1)
    expect(retention.ready('aa')).toBeUndefined()
    expect(reads.filter((a) => a === 'aa')).toHaveLength(1)
  })
})
