/**
 * `bloomwalk store check|repair --data DIR` on a data directory whose room lost its CURRENT:
 * check reports it and changes nothing; repair copies the folder, runs LevelDB's repair and
 * rebuilds the index; afterwards every bundle is back and the store opens.
 */
import { readdir, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { roomDir } from '../../src/cli/data-dir.js'
import { roomId } from '../../src/bundle/index.js'
import { LevelStore } from '../../src/store/index.js'
import { makeBundles } from '../helpers/bundles.js'
import { run, tempDir } from './helpers.js'

describe('bloomwalk store', () => {
  it('check reports a missing CURRENT without touching anything; repair brings every bundle back', async () => {
    const data = await tempDir()
    const dir = roomDir(data, 'lobby')
    const overlay = roomId('lobby')
    const bundles = makeBundles(300, { overlay, seed: 4, maxGlobalTime: 900, bodyBytes: 80 })
    const store = new LevelStore(dir, { writeBufferSize: 64 * 1024 })
    await store.open()
    for (let i = 0; i < bundles.length; i += 30) await store.putMany(bundles.slice(i, i + 30))
    await store.close()

    const fine = await run(['store', 'check', '--data', data])
    expect(fine.code, fine.err).toBe(0)
    expect(fine.out).toMatch(new RegExp(`^ok +${dir}: 1 overlay, 300 bundles$`, 'm'))

    await unlink(join(dir, 'CURRENT'))
    const files = (await readdir(dir)).sort()
    const check = await run(['store', 'check', '--data', data])
    expect(check.code).toBe(1)
    expect(check.out).toMatch(/^unopenable/m)
    expect(check.out).toContain(`${join(dir, 'CURRENT')} is missing`)
    expect((await readdir(dir)).sort()).toEqual(files)

    const repair = await run(['store', 'repair', '--data', data])
    expect(repair.code, repair.out + repair.err).toBe(0)
    const backup = /the folder as it was is in (\S+)/.exec(repair.out)?.[1]
    expect(backup).toBeDefined()
    expect((await readdir(backup!)).sort()).toEqual(files)
    expect(repair.out).toMatch(new RegExp(`^ok +${dir}: 1 overlay, 300 bundles$`, 'm'))

    const reopened = new LevelStore(dir)
    await reopened.open()
    expect(await reopened.count(overlay)).toBe(300)
    for (const b of bundles) expect(await reopened.has(overlay, b.id)).toBe(true)
    await reopened.close()
    // The backup is not taken for a room of its own.
    expect((await run(['store', 'check', '--data', data])).out.trim().split('\n')).toHaveLength(1)
  })

  it('a usage error without check or repair (exit 2)', async () => {
    const r = await run(['store', '--data', '/nonexistent'])
    expect(r.code).toBe(2)
    expect(r.err).toMatch(/missing check or repair/)
  })
})
