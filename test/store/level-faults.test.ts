/**
 * LevelStore against damaged folders (docs/store.md, "Opening" and "Errors that say why"):
 * it never creates a database over LevelDB files, never deletes anything, and every error
 * names its cause; corrupt rows and truncated logs are reported.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, stat, truncate, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Level } from 'level'
import { afterAll, describe, expect, it } from 'vitest'
import { roomId } from '../../src/bundle/index.js'
import { createLogger, type LogSink } from '../../src/env/logger.js'
import { isBloomwalkError } from '../../src/errors.js'
import { LevelStore } from '../../src/store/index.js'
import { rowKey } from '../../src/store/level-keys.js'
import { makeBundles } from '../helpers/bundles.js'
import { collect } from './helpers.js'

const root = await mkdtemp(join(tmpdir(), 'bloomwalk-faults-'))
let n = 0
const freshPath = () => join(root, `db-${n++}`)
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

const overlay = roomId('faults')
const bundles = makeBundles(400, { overlay, seed: 5, maxGlobalTime: 2000, bodyBytes: 100 })
const MAX = Number.MAX_SAFE_INTEGER

/** A store with `count` bundles, closed; its path. `compact` pushes them from the log into tables. */
async function filledStore(count: number, compact = false): Promise<string> {
  const path = freshPath()
  const store = new LevelStore(path, compact ? { writeBufferSize: 64 * 1024 } : {})
  await store.open()
  for (let i = 0; i < count; i += 50) await store.putMany(bundles.slice(i, Math.min(count, i + 50)))
  await store.close()
  if (compact) {
    // A flush scheduled by the last writes may be skipped by the close (LevelDB drops
    // background work it had not started when shutting down); opening again always writes
    // the recovered log into a table, so the .ldb files do not depend on thread timing.
    await store.open()
    await store.close()
  }
  return path
}

async function listing(path: string): Promise<Map<string, number>> {
  const out = new Map<string, number>()
  for (const name of await readdir(path)) if (name !== 'LOCK' && !name.startsWith('LOG')) out.set(name, (await stat(join(path, name))).size)
  return out
}

async function openError(store: LevelStore): Promise<unknown> {
  return store.open().then(
    () => undefined,
    (err: unknown) => err
  )
}

function capture(): { logger: ReturnType<typeof createLogger>; lines: { level: string; message: string; fields?: Record<string, unknown> }[] } {
  const lines: { level: string; message: string; fields?: Record<string, unknown> }[] = []
  const sink: LogSink = (level, _name, message, fields) => lines.push({ level, message, fields })
  return { logger: createLogger('store', { level: 'debug', sink }), lines }
}

describe('LevelStore never creates over existing data', () => {
  it('a missing CURRENT fails with STORE_CORRUPT naming the file and the repair command; every file stays', async () => {
    const path = await filledStore(300, true)
    await unlink(join(path, 'CURRENT'))
    const before = await listing(path)
    expect([...before.keys()].some((f) => f.endsWith('.ldb'))).toBe(true)
    const store = new LevelStore(path)
    const err = await openError(store)
    expect(isBloomwalkError(err, 'STORE_CORRUPT'), String(err)).toBe(true)
    const message = (err as Error).message
    expect(message).toContain(join(path, 'CURRENT'))
    expect(message).toContain('is missing')
    expect(message).toContain(`bloomwalk store repair --data ${path}`)
    expect(message).toContain('Nothing was changed')
    expect(store.status).toBe('closed')
    expect(await listing(path)).toEqual(before)
  })

  it('a CURRENT that names no manifest, or a missing one, fails the same way', async () => {
    const path = await filledStore(50)
    const before = await listing(path)
    await writeFile(join(path, 'CURRENT'), 'garbage')
    const bad = await openError(new LevelStore(path))
    expect(isBloomwalkError(bad, 'STORE_CORRUPT')).toBe(true)
    expect((bad as Error).message).toMatch(/CURRENT does not name a manifest \(it holds "garbage"\)/)
    await writeFile(join(path, 'CURRENT'), 'MANIFEST-999999\n')
    const missing = await openError(new LevelStore(path))
    expect(isBloomwalkError(missing, 'STORE_CORRUPT')).toBe(true)
    expect((missing as Error).message).toMatch(/names MANIFEST-999999, which is missing/)
    expect([...(await listing(path)).keys()].sort()).toEqual([...before.keys()].sort())
  })

  it('an empty folder is a new store; a path that is a file is an I/O error that says so', async () => {
    const path = freshPath()
    const store = new LevelStore(path)
    await store.open()
    await store.close()
    // A creation cut short: a manifest, no CURRENT, no log or table — nothing to lose.
    const cut = freshPath()
    await mkdir(cut)
    await writeFile(join(cut, 'MANIFEST-000001'), Buffer.alloc(50))
    const fresh = new LevelStore(cut)
    await fresh.open()
    expect(await fresh.put(bundles[0]!)).toBe(true)
    await fresh.close()
    const file = join(root, `file-${n++}`)
    await writeFile(file, 'not a folder')
    const err = await openError(new LevelStore(file))
    expect(isBloomwalkError(err, 'STORE_IO_ERROR')).toBe(true)
    expect((err as Error).message).toContain(`${file}: it is not a directory`)
    expect(await readFile(file, 'utf8')).toBe('not a folder')
  })
})

describe('LevelStore errors say why', () => {
  it('a deleted table: STORE_CORRUPT with LevelDB’s code and reason in the message', async () => {
    const path = await filledStore(300, true)
    // Re-opened once: recovery turns the logs into tables recorded in the manifest.
    const again = new LevelStore(path)
    await again.open()
    await again.close()
    const tables = (await readdir(path)).filter((f) => f.endsWith('.ldb'))
    for (const t of tables) await unlink(join(path, t))
    const table = tables.join('|')
    const err = await openError(new LevelStore(path))
    expect(isBloomwalkError(err, 'STORE_CORRUPT'), String(err)).toBe(true)
    expect((err as Error).message).toMatch(new RegExp(`cannot open the store at .*: LEVEL_CORRUPTION .*missing files.*(${table})`))
  })

  it('a truncated manifest names the cause', async () => {
    const path = await filledStore(300, true)
    const manifest = (await readdir(path)).find((f) => f.startsWith('MANIFEST-'))!
    await truncate(join(path, manifest), 10)
    const err = await openError(new LevelStore(path))
    expect(isBloomwalkError(err) && (err.code === 'STORE_CORRUPT' || err.code === 'STORE_IO_ERROR'), String(err)).toBe(true)
    expect((err as Error).message).toMatch(/cannot open the store at .*: LEVEL_\w+ \w+/)
  })

  it('a write-ahead log cut in half is reported at open (and how much of it was dropped)', async () => {
    const path = await filledStore(300)
    const log = (await readdir(path)).find((f) => f.endsWith('.log'))!
    const { size } = await stat(join(path, log))
    await truncate(join(path, log), Math.floor(size / 2))
    const { logger, lines } = capture()
    const store = new LevelStore(path, { logger })
    await store.open()
    const kept = await store.count(overlay)
    expect(kept).toBeGreaterThan(0)
    expect(kept).toBeLessThan(300)
    expect(store.openReport.truncatedLogs).toHaveLength(1)
    expect(store.openReport.truncatedLogs[0]).toMatchObject({ file: join(path, log), size: Math.floor(size / 2) })
    const warning = lines.find((l) => l.level === 'warn' && l.message.startsWith('write-ahead log ends inside a record'))
    expect(warning?.fields).toMatchObject({ file: join(path, log) })
    await store.close()
  })

  it('corrupt rows are logged with their key, the first ten one by one', async () => {
    const path = await filledStore(30)
    const raw = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view' })
    await raw.open()
    const damaged = bundles.slice(0, 12)
    for (const b of damaged) await raw.put(rowKey(overlay, b.globalTime, b.id), new Uint8Array([1, 2, 3]))
    await raw.close()
    const { logger, lines } = capture()
    const store = new LevelStore(path, { logger })
    await store.open()
    expect(await collect(store.range({ overlay, from: 0, to: MAX }))).toHaveLength(18)
    await store.close()
    const logged = lines.filter((l) => l.message.startsWith('corrupt row skipped'))
    expect(store.corruptRows).toBe(12)
    expect(logged).toHaveLength(10)
    const keys = new Set(damaged.map((b) => Buffer.from(rowKey(overlay, b.globalTime, b.id)).toString('hex')))
    for (const l of logged) expect(keys.has(String(l.fields?.['key']))).toBe(true)
  })
})
