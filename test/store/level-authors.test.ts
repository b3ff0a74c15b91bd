/**
 * The by-author index of a LevelDB store (src/store/level-authors.ts): once saved, every put
 * and delete keeps it equal to the rows, across restarts; a save is refused when the overlay
 * changed since its mark; a save cut short, a damaged key or a deleted row that does not
 * decode leaves no index (the next join scans), with a warning, and never loses a row.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Level } from 'level'
import { afterAll, describe, expect, it } from 'vitest'
import { roomId, signBundle, type Bundle } from '../../src/bundle/index.js'
import { createLogger } from '../../src/env/logger.js'
import { SeededRng } from '../../src/env/rng.js'
import { isBloomwalkError } from '../../src/errors.js'
import { AUTHOR_KEY_RANGE, BY_AUTHOR_KEY_BYTES, byAuthorKey, SAVE_BATCH, TAG_AUTHORS, TAG_BY_AUTHOR } from '../../src/store/level-authors.js'
import { repairLevelStore } from '../../src/store/level-check.js'
import { rowKey } from '../../src/store/level-keys.js'
import { LevelStore } from '../../src/store/level.js'
import { hex, makeAuthors } from '../helpers/bundles.js'
import { collect } from './helpers.js'

const root = await mkdtemp(join(tmpdir(), 'bloomwalk-level-authors-'))
let n = 0
const freshPath = () => join(root, `db-${n++}`)
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

const overlay = roomId('by-author')
const authors = makeAuthors(3, 77)
const NOTE = Uint8Array.of(7, 7)

/** 30 bundles, authors taking turns, global times 1..30. */
const BUNDLES: Bundle[] = (() => {
  const rng = new SeededRng(5)
  return Array.from({ length: 30 }, (_, i) => signBundle({ overlay, globalTime: 1 + i, kind: 1, body: rng.bytes(8) }, authors[i % 3]!))
})()

/** Each author's rows as `gt:id`, from the rows and from the index. */
async function expectIndexOfRows(store: LevelStore): Promise<void> {
  const rows = await collect(store.range({ overlay, from: 0, to: Number.MAX_SAFE_INTEGER }))
  for (const a of authors) {
    const theirs = rows.filter((b) => hex(b.author) === hex(a.publicKey)).map((b) => `${b.globalTime}:${hex(b.id)}`)
    expect((await store.authorRows(overlay, a.publicKey)).map((r) => `${r.globalTime}:${hex(r.id)}`)).toEqual(theirs)
  }
}

async function save(store: LevelStore): Promise<void> {
  const mark = store.sketchMark(overlay)
  const rows = await collect(store.range({ overlay, from: 0, to: Number.MAX_SAFE_INTEGER }))
  expect(await store.saveAuthorIndex(overlay, rows, NOTE, mark)).toBe(true)
}

async function keysOf(db: Level<Uint8Array, Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = []
  for await (const k of db.keys(AUTHOR_KEY_RANGE)) out.push(k)
  return out
}

async function raw<T>(path: string, fn: (db: Level<Uint8Array, Uint8Array>) => Promise<T>): Promise<T> {
  const db = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view', createIfMissing: false })
  await db.open()
  try {
    return await fn(db)
  } finally {
    await db.close()
  }
}

/** A fresh store holding BUNDLES with its by-author index saved, closed; its logger keeps the warnings. */
async function savedStore(): Promise<{ path: string; warnings: string[]; logger: ReturnType<typeof createLogger> }> {
  const path = freshPath()
  const warnings: string[] = []
  const logger = createLogger('test', { level: 'warn', sink: (_level, _name, m) => warnings.push(m) })
  const store = new LevelStore(path, { logger })
  await store.open()
  await store.putMany(BUNDLES)
  await save(store)
  await store.close()
  return { path, warnings, logger }
}

describe('LevelStore by-author index', () => {
  it('keeps nothing until saved; then follows every put and delete, across restarts', async () => {
    const path = freshPath()
    let store = new LevelStore(path)
    await store.open()
    await store.putMany(BUNDLES.slice(0, 10))
    expect(await store.authorIndexNote(overlay)).toBeUndefined()
    await save(store)
    expect(await store.authorIndexNote(overlay)).toEqual(NOTE)
    for (const b of BUNDLES.slice(10, 20)) await store.put(b)
    await store.putMany(BUNDLES.slice(20))
    for (const b of BUNDLES.filter((_, i) => i % 4 === 1)) expect(await store.delete(overlay, b.id)).toBe(true)
    await expectIndexOfRows(store)
    await store.close()
    store = new LevelStore(path)
    await store.open()
    expect(await store.authorIndexNote(overlay)).toEqual(NOTE)
    await expectIndexOfRows(store)
    // Only the note: the keys stay.
    expect(await store.saveAuthorIndex(overlay, undefined, Uint8Array.of(9), store.sketchMark(overlay))).toBe(true)
    expect(await store.authorIndexNote(overlay)).toEqual(Uint8Array.of(9))
    await expectIndexOfRows(store)
    await store.close()
    // One key per row, and nothing else under the tags.
    const keys = await raw(path, async (db) => keysOf(db))
    expect(keys.filter((k) => k[0] === TAG_BY_AUTHOR && k.length === BY_AUTHOR_KEY_BYTES)).toHaveLength(30 - 8)
    expect(keys.filter((k) => k[0] === TAG_AUTHORS)).toHaveLength(1)
  })

  it(`a save of more keys than a batch holds (${SAVE_BATCH}) writes them in several batches; a read returns one author's keys only`, async () => {
    const store = new LevelStore(freshPath())
    await store.open()
    const count = Math.floor(2.5 * SAVE_BATCH)
    const many = Array.from({ length: count }, (_, i) => ({ author: authors[i % 3]!.publicKey, globalTime: 1 + i, id: Uint8Array.from({ length: 32 }, (_, j) => (i >> (8 * (j % 4))) & 0xff) }))
    expect(await store.saveAuthorIndex(overlay, many, NOTE, store.sketchMark(overlay))).toBe(true)
    const bob = await store.authorRows(overlay, authors[1]!.publicKey)
    expect(bob).toHaveLength(many.filter((_, i) => i % 3 === 1).length)
    expect(bob.map((r) => r.globalTime)).toEqual(many.filter((_, i) => i % 3 === 1).map((r) => r.globalTime))
    await store.close()
  })

  it('refuses a save when the overlay changed since its mark, and a note-only save without an index', async () => {
    const store = new LevelStore(freshPath())
    await store.open()
    await store.putMany(BUNDLES.slice(0, 10))
    expect(await store.saveAuthorIndex(overlay, undefined, NOTE, store.sketchMark(overlay))).toBe(false)
    const mark = store.sketchMark(overlay)
    const rows = await collect(store.range({ overlay, from: 0, to: Number.MAX_SAFE_INTEGER }))
    await store.put(BUNDLES[10]!)
    expect(await store.saveAuthorIndex(overlay, rows, NOTE, mark)).toBe(false)
    expect(await store.authorIndexNote(overlay)).toBeUndefined()
    await store.close()
  })

  it('a save cut short leaves no index; the next save clears what it left', async () => {
    const path = freshPath()
    let store = new LevelStore(path)
    await store.open()
    await store.putMany(BUNDLES.slice(0, 12))
    await save(store)
    await store.close()
    // As a kill inside a save: keys written (one of a row that is gone), the note not yet.
    const stale = byAuthorKey(overlay, authors[0]!.publicKey, 999, new Uint8Array(32).fill(3))
    await raw(path, async (db) => {
      await db.del(Uint8Array.from([TAG_AUTHORS, ...overlay]))
      await db.put(stale, new Uint8Array(0))
    })
    store = new LevelStore(path)
    await store.open()
    expect(await store.authorIndexNote(overlay)).toBeUndefined()
    // Without an index a delete writes no key: the next save must not trust the old ones.
    await store.delete(overlay, BUNDLES[0]!.id)
    await save(store)
    await expectIndexOfRows(store)
    await store.close()
  })

  it('a damaged key: a warning, STORE_CORRUPT for the read, no index any more (the next join scans); no row lost', async () => {
    const { path, warnings, logger } = await savedStore()
    let store: LevelStore
    const alice = authors[0]!.publicKey
    await raw(path, (db) => db.put(Uint8Array.from([TAG_BY_AUTHOR, ...overlay, ...alice, 1, 2, 3]), new Uint8Array(0)))
    store = new LevelStore(path, { logger })
    await store.open()
    const err = await store.authorRows(overlay, alice).catch((e: unknown) => e)
    expect(isBloomwalkError(err) && err.code === 'STORE_CORRUPT').toBe(true)
    expect(warnings.at(-1)).toMatch(/by-author index damaged/)
    expect(await store.authorIndexNote(overlay)).toBeUndefined()
    expect(await store.count(overlay)).toBe(30)
    // Saved again by the next scan.
    await save(store)
    await expectIndexOfRows(store)
    await store.close()
  })

  it('a deleted row that does not decode (its author unknown) drops the index, with a warning; repair clears every by-author key', async () => {
    const { path, warnings, logger } = await savedStore()
    let store: LevelStore
    const victim = BUNDLES[4]!
    await raw(path, (db) => db.put(rowKey(overlay, victim.globalTime, victim.id), Uint8Array.of(1, 2, 3)))
    store = new LevelStore(path, { logger })
    await store.open()
    expect(await store.delete(overlay, victim.id)).toBe(true)
    expect(warnings.some((w) => /by-author index is dropped/.test(w))).toBe(true)
    expect(await store.authorIndexNote(overlay)).toBeUndefined()
    await save(store)
    await store.close()
    await repairLevelStore(path, `${path}.backup`)
    expect(await raw(path, async (db) => (await keysOf(db)).length)).toBe(0)
    store = new LevelStore(path)
    await store.open()
    expect(await store.authorIndexNote(overlay)).toBeUndefined()
    expect(await store.count(overlay)).toBe(29)
    await store.close()
  })
})
