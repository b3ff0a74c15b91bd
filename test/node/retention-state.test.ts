/**
 * The room policy's per-author index persisted with the store (src/node/retention-state.ts):
 * a clean restart reads no bundle row and still decides as a scan would (quota, history,
 * what a newer bundle pushes out); a crash, a policy change or a store from before leaves no
 * mark and the next start scans; what a save does not name is deleted.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { roomPolicy, signBundle, type Bundle, type KeyPair, type RoomPolicy } from '../../src/bundle/index.js'
import { isBloomwalkError } from '../../src/errors.js'
import type { BloomwalkNode } from '../../src/node/node.js'
import { decodeEntries, encodeEntries, RetentionState } from '../../src/node/retention-state.js'
import { MAX_ABSENT, OverlayRetention } from '../../src/node/retention.js'
import { LevelStore } from '../../src/store/level.js'
import { MemoryStore } from '../../src/store/memory.js'
import { RetentionIndex } from '../../src/sync/retention.js'
import { hex, makeAuthors } from '../helpers/bundles.js'
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

  it('after a crash, and under another policy, the next start scans and decides from the rows', async () => {
    const t = await testnet({ peers: 0, seed: 92 })
    const path = freshPath()
    const all: Bundle[] = []
    for (const a of authors) for (let gt = 1; gt <= 12; gt++) all.push(bundle(t, a!, gt))
    let { node, store } = await start(t, path, POLICY)
    await feed(node, t, all)
    await node.stop()
    await store.close()

    // A run that changes the index and dies without a clean stop (its mark was taken at the join).
    ;({ node, store } = await start(t, path, POLICY))
    expect(store.rowsRead).toBe(0)
    const late = await feed(node, t, [bundle(t, authors[0]!, 30), bundle(t, authors[0]!, 31), bundle(t, authors[0]!, 32)])
    all.push(...late.taken)
    await store.close() // the crash: the node is never stopped before its store goes
    ;({ node, store } = await start(t, path, POLICY))
    const scanned = store.rowsRead
    const rows = (await held(store, t.overlay)).length
    expect(scanned).toBe(rows)
    expect(await held(store, t.overlay)).toEqual(retained(POLICY, all))
    // The scanned index decides: alice keeps 12, 31 and 32 (quota 2 per window, history 3), so 5 is refused.
    expect((await feed(node, t, [bundle(t, authors[0]!, 5)])).refused).toHaveLength(1)
    await node.stop()
    await store.close()

    // A stricter policy: the mark names the other one, so the join scans and applies it.
    const stricter = roomPolicy({ quota: { count: 2, window: 10 }, history: 2 })
    ;({ node, store } = await start(t, path, stricter))
    expect(store.rowsRead).toBe(rows)
    await node.stop()
    await store.close()
    ;({ node, store } = await start(t, path, stricter))
    expect(store.rowsRead).toBe(0)
    expect(await held(store, t.overlay)).toEqual(retained(stricter, all))
    expect((await feed(node, t, [bundle(t, authors[1]!, 10)])).refused).toHaveLength(1)
    await node.stop()
    await store.close()
    await t.stop()
  }, 60_000)

  it('entries round-trip; a save after a scan deletes the authors it does not name; a claim takes the mark away', async () => {
    const entries = [
      { globalTime: 5, id: 'aa'.repeat(32), author: 'cd' },
      { globalTime: 2 ** 40, id: '01'.repeat(32), author: 'cd' }
    ]
    expect(decodeEntries('cd', encodeEntries(entries))).toEqual(entries)
    expect(decodeEntries('cd', new Uint8Array(39))).toBeUndefined()
    const store = new MemoryStore()
    await store.open()
    const overlay = 'ee'.repeat(32)
    await store.putState([[`retention/${overlay}/old`, encodeEntries(entries)]])
    const state = new RetentionState(store, overlay, POLICY)
    expect(await state.claim()).toBe(false)
    await state.save([['cd', entries]])
    expect((await store.stateEntries(`retention/${overlay}/`)).map(([name]) => name)).toEqual([`retention/${overlay}/cd`])
    expect(await state.claim()).toBe(true)
    expect(await store.getState(`retention/${overlay}`)).toBeUndefined()
    expect(await new RetentionState(store, overlay, POLICY).claim()).toBe(false)
  })

  it('loading one author at a time: strangers are remembered up to a bound, an author with entries is never read again', async () => {
    const retention = new OverlayRetention(POLICY)
    const reads: string[] = []
    const persisted = new Map([['aa', [{ globalTime: 3, id: '11'.repeat(32), author: 'aa' }]]])
    retention.lazy(async (author) => {
      reads.push(author)
      return persisted.get(author) ?? []
    })
    // A flood of distinct keys with nothing persisted: each read once, at most MAX_ABSENT remembered.
    for (let i = 0; i < MAX_ABSENT + 500; i++) await retention.ready(i.toString(16).padStart(64, '0'))
    expect(retention.remembered).toBe(MAX_ABSENT)
    expect(reads).toHaveLength(MAX_ABSENT + 500)
    expect(retention.ready((MAX_ABSENT + 499).toString(16).padStart(64, '0'))).toBeUndefined()
    // The oldest stranger was forgotten: read again (nothing persisted, nothing held: the same answer).
    await retention.ready('0'.repeat(64))
    expect(reads).toHaveLength(MAX_ABSENT + 501)
    // An author with persisted entries: loaded once, then decided from memory.
    await retention.ready('aa')
    expect(retention.index.entriesOf('aa')).toHaveLength(1)
    expect(retention.ready('aa')).toBeUndefined()
    expect(reads.filter((a) => a === 'aa')).toHaveLength(1)
  })
})
