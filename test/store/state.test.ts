/** Named state values beside the bundles (StateStore, issue 19), in both backends. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { LevelStore, MemoryStore, isStateStore } from '../../src/store/index.js'

const dirs: string[] = []
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

describe('StateStore', () => {
  for (const [name, make] of [
    ['memory', async () => new MemoryStore()],
    [
      'level',
      async () => {
        const dir = await mkdtemp(join(tmpdir(), 'bloomwalk-state-'))
        dirs.push(dir)
        return new LevelStore(join(dir, 'db'))
      }
    ]
  ] as const) {
    it(`${name}: atomic batches of puts and deletes, prefix listing in name order, kept across close/open`, async () => {
      const store = await make()
      expect(isStateStore(store)).toBe(true)
      await store.open()
      await store.putState([
        ['mvds/msg/02', Uint8Array.of(2)],
        ['mvds/msg/01', Uint8Array.of(1)],
        ['mvds/state', Uint8Array.of(9)],
        ['other', Uint8Array.of(5)]
      ])
      await store.putState([
        ['mvds/msg/02', undefined],
        ['mvds/msg/03', Uint8Array.of(3)]
      ])
      await store.close()
      await store.open()
      expect(await store.getState('mvds/state')).toEqual(Uint8Array.of(9))
      expect(await store.getState('missing')).toBeUndefined()
      expect((await store.stateEntries('mvds/msg/')).map(([n, v]) => [n, [...v]])).toEqual([
        ['mvds/msg/01', [1]],
        ['mvds/msg/03', [3]]
      ])
      // State values never show up as bundles.
      expect(await store.count(new Uint8Array(32))).toBe(0)
      await store.close()
    })
  }
})
