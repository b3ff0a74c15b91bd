/**
 * The durability contract under a full disk (docs/store.md, Durability): a LevelStore on a
 * 1 MiB tmpfs is filled until `put` rejects, space is freed, more bundles are put, and the
 * store is reopened: every bundle whose `put` resolved must still be there, and none of the
 * stored rows may be corrupt. A `put` that rejects is allowed to be either there or not.
 *
 * Needs root (mount); skips with a message otherwise.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { roomId, type Bundle } from '../../src/bundle/index.js'
import { isBloomwalkError } from '../../src/errors.js'
import { LevelStore } from '../../src/store/index.js'
import { hex, makeBundles } from '../helpers/bundles.js'
import { collect } from './helpers.js'

const overlay = roomId('disk-full')
/** Enough bundles to fill 1 MiB of log several times over. */
const bundles = makeBundles(3600, { overlay, seed: 61, maxGlobalTime: 5000, bodyBytes: 200 })

/** Mount points made by this file (each unmounted and removed afterwards). */
const mounts: string[] = []
const skip = canMountTmpfs()

/** A fresh tmpfs of `size` (e.g. '3m'). */
function mountTmpfs(size: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'bw-disk-full-'))
  mounts.push(dir)
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' })
  return dir
}

/** undefined when a tmpfs can be mounted here, else why not. */
function canMountTmpfs(): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux tmpfs'
  if (process.getuid?.() !== 0) return 'needs root to mount a tmpfs'
  try {
    mountTmpfs('64k')
    return undefined
  } catch (err) {
    return `cannot mount a tmpfs: ${(err as Error).message.split('\n')[0]}`
  }
}

beforeAll(() => {
  if (skip !== undefined) console.warn(`disk-full tests skipped: ${skip}`)
})

afterAll(() => {
  for (const dir of mounts) {
    try {
      execFileSync('umount', [dir], { stdio: 'pipe' })
    } catch {
      // not mounted (the mount itself failed)
    }
    rmSync(dir, { recursive: true, force: true })
  }
})

/** Puts one by one; returns the acknowledged ids and how many puts rejected (with their codes). */
async function putAll(store: LevelStore, list: readonly Bundle[], stopAfterRejects = Infinity) {
  const acked: string[] = []
  const rejects: string[] = []
  for (const b of list) {
    try {
      if (await store.put(b)) acked.push(hex(b.id))
    } catch (err) {
      rejects.push(isBloomwalkError(err) ? err.code : String((err as { code?: string }).code ?? err))
      if (rejects.length >= stopAfterRejects) break
    }
  }
  return { acked, rejects, tried: acked.length + rejects.length }
}

describe.skipIf(skip !== undefined)('LevelStore on a full disk', () => {
  for (const writeBufferSize of [undefined, 64 * 1024]) {
    it(`fill, free, write, reopen: no acknowledged bundle is lost (writeBufferSize ${writeBufferSize ?? 'default'})`, async () => {
      // 3 MiB, 2 MiB of it ballast: the store fills the last MiB; freeing the ballast leaves
      // room for LevelDB to turn its log into a table when it recovers at reopen.
      const mountPoint = mountTmpfs('3m')
      const dir = join(mountPoint, 'db')
      const ballast = join(mountPoint, 'ballast')
      writeFileSync(ballast, Buffer.alloc(2 * 1024 * 1024))
      const store = new LevelStore(dir, { retryMs: 0, ...(writeBufferSize === undefined ? {} : { writeBufferSize }) })
      await store.open()
      // Fill until the disk is full (a few more attempts after the first rejection).
      const fill = await putAll(store, bundles, 20)
      expect(fill.rejects.length, 'the disk never filled up').toBeGreaterThan(0)
      // While the disk is still full the store serves nothing (it cannot re-open).
      expect(store.failure?.code).toBe('STORE_IO_ERROR')
      expect(store.failure?.message).toMatch(/No space left on device/)
      const read = await store.count(overlay).catch((err: unknown) => err)
      expect(isBloomwalkError(read, 'STORE_IO_ERROR'), String(read)).toBe(true)
      // Space comes back; the next 300 bundles.
      rmSync(ballast)
      const after = await putAll(store, bundles.slice(fill.tried, fill.tried + 300))
      const acked = [...fill.acked, ...after.acked]
      expect(after.acked.length, `no put succeeded after space came back (rejects: ${after.rejects.slice(0, 3).join(', ')})`).toBeGreaterThan(0)
      await store.close()

      const reopened = new LevelStore(dir)
      await reopened.open()
      const lost: string[] = []
      for (const id of acked) if (!(await reopened.has(overlay, Buffer.from(id, 'hex')))) lost.push(id)
      const rows = await collect(reopened.range({ overlay, from: 0, to: Number.MAX_SAFE_INTEGER }))
      const count = await reopened.count(overlay)
      const corrupt = reopened.corruptRows
      await reopened.close()
      console.log(
        `disk full (writeBufferSize ${writeBufferSize ?? 'default'}): ${fill.acked.length} acknowledged before the disk filled, ${fill.rejects.length} rejected (${[...new Set(fill.rejects)].join(', ')}), ${after.acked.length} acknowledged after space came back; after reopening ${rows.length} rows, ${lost.length} acknowledged lost, ${corrupt} corrupt`
      )
      expect(lost.length, `${lost.length} of ${acked.length} acknowledged bundles lost`).toBe(0)
      expect(corrupt).toBe(0)
      expect(count).toBe(rows.length)
    }, 120_000)
  }
})
