/**
 * MVDS state survives a restart (issue 19): the records (with send counts and send epochs),
 * the message store, the groups shared and their privacy, the epoch. A node is restarted as
 * a NEW BloomwalkNode on the same store, transport and keys (a MemoryStore keeps its data
 * across close/open like a database file); the kill -9 version over LevelDB is in
 * test/hardening/mvds-crash.test.ts.
 */
import { describe, expect, it } from 'vitest'
import { roomId } from '../../src/bundle/index.js'
import { createNode, type BloomwalkNode } from '../../src/node/index.js'
import { MemoryStore } from '../../src/store/memory.js'
import type { Bundle } from '../../src/bundle/types.js'
import { grouped, settle, testnet, type PeerOptions, type Testnet } from './harness.js'

const group = roomId('persisted group')
const text = (b: Uint8Array): string => new TextDecoder().decode(b)

/** A node that can be replaced by a fresh one over the same store, transport and keys. */
async function restartable(t: Testnet, extra: PeerOptions) {
  const store = new MemoryStore()
  const transport = t.net.bind()
  const first = await t.addPeer({ ...extra, store, transport, trusted: [] })
  const restart = async (node: BloomwalkNode): Promise<BloomwalkNode> => {
    await node.stop()
    await store.close()
    const next = createNode(grouped({ transport, clock: t.clock, rng: t.rng.fork(), store, keys: node.keys, overlays: [t.overlay], trusted: [], ...extra }))
    await next.start()
    t.nodes.push(next)
    return next
  }
  return { first, restart, store, address: transport.address() }
}

describe('MVDS persistence', () => {
  for (const mode of ['batch', 'interactive'] as const) {
    it(`${mode}: messages sent to an offline peer are delivered after the sender restarts (records, store, shares and epoch restored)`, async () => {
      const t = await testnet({ peers: 0, seed: 71 })
      const a = await restartable(t, { mvds: { mode, epochMs: 1000 } })
      const b = await t.addPeer({ trusted: [], mvds: { mode, epochMs: 1000 } })
      await a.first.share(group, b.address())
      await b.share(group, a.address)
      const got: string[] = []
      b.events.on('bundle', (d) => got.push(text(d.bundle.body)))
      t.net.setOnline(b.address(), false)
      for (let i = 0; i < 3; i++) await a.first.sendPrivate(group, new TextEncoder().encode(`m${i}`))
      await t.run(20_000)
      expect(got).toEqual([])
      const a2 = await a.restart(a.first)
      // The group is still private after the restart: not walked, nothing served to others.
      expect(a2.stats().overlays.some((o) => o.overlay === Buffer.from(group).toString('hex'))).toBe(true)
      t.net.setOnline(b.address(), true)
      await t.run(120_000, 500)
      expect(got.sort()).toEqual(['m0', 'm1', 'm2'])
      // a2 never called share or sendPrivate: everything came from the persisted state.
      expect(a2.stats().out['mvds']?.datagrams ?? 0).toBeGreaterThan(0)
      expect(a2.stats().out['introduction-request']?.datagrams ?? 0).toBe(0)
      await t.stop()
    }, 60_000)
  }

  it('a receiver restarted after acknowledging does not deliver a message again when it is retransmitted', async () => {
    const t = await testnet({ peers: 0, seed: 72 })
    const b = await restartable(t, { mvds: { mode: 'batch', epochMs: 1000 } })
    const a = await t.addPeer({ trusted: [], mvds: { mode: 'batch', epochMs: 1000 } })
    await a.share(group, b.address)
    await b.first.share(group, a.address())
    const got: string[] = []
    b.first.events.on('bundle', (d) => got.push(text(d.bundle.body)))
    // Every ACK b sends is lost: a keeps retransmitting.
    t.net.interceptor = ({ from, to }) => (from.port === b.address.port && from.host === b.address.host ? null : { from, to })
    await a.sendPrivate(group, new TextEncoder().encode('once'))
    await t.run(10_000)
    expect(got).toEqual(['once'])
    const b2 = await b.restart(b.first)
    b2.events.on('bundle', (d) => got.push(text(d.bundle.body)))
    await t.run(60_000, 500)
    expect(a.stats().out['mvds']!.datagrams).toBeGreaterThan(3) // retransmitted after the restart
    expect(got).toEqual(['once'])
    t.net.interceptor = null
    await t.run(60_000, 500)
    expect(got).toEqual(['once'])
    await t.stop()
  }, 60_000)

  for (const keyed of [true, false]) {
    it(`a member that changes address ${keyed ? 'keeps' : 'loses (shared by address only)'} the messages owed to it`, async () => {
      const t = await testnet({ peers: 0, seed: 74 })
      const a = await t.addPeer({ trusted: [], mvds: { mode: 'batch', epochMs: 1000 } })
      const bStore = new MemoryStore()
      const b = await t.addPeer({ store: bStore, trusted: [], mvds: { mode: 'batch', epochMs: 1000 } })
      const key = (n: BloomwalkNode) => (keyed ? { key: n.keys.publicKey } : {})
      await a.share(group, b.address(), key(b))
      await b.share(group, a.address(), key(a))
      t.net.setOnline(b.address(), false)
      for (let i = 0; i < 2; i++) await a.sendPrivate(group, new TextEncoder().encode(`m${i}`))
      await t.run(10_000)
      // b comes back on another address (a phone on another network), same store and keys…
      await b.stop()
      await bStore.close()
      const moved = t.net.bind()
      const b2 = createNode({ components: { transport: moved, clock: t.clock, rng: t.rng.fork(), store: bStore, keys: b.keys }, settings: { overlays: [t.overlay], trusted: [], mvds: { mode: 'batch', epochMs: 1000 } } })
      const got: string[] = []
      b2.events.on('bundle', (d) => !d.own && got.push(text(d.bundle.body)))
      await b2.start()
      t.nodes.push(b2)
      // …and a learns the new address (the application shares again).
      await a.share(group, moved.address(), key(b2))
      await t.run(120_000, 500)
      expect(got.sort()).toEqual(keyed ? ['m0', 'm1'] : [])
      await t.stop()
    }, 60_000)
  }

  it('a corrupt state entry is skipped with a warning; the node starts and the bundles are intact', async () => {
    const t = await testnet({ peers: 0, seed: 73 })
    const store = new MemoryStore()
    await store.open()
    await store.putState([
      ['mvds/state', new TextEncoder().encode('{"v":1,"epoch":"x"}')],
      ['mvds/msg/00', new Uint8Array([0xff, 0xff])]
    ])
    const warnings: string[] = []
    const logger = { debug: () => {}, info: () => {}, warn: (msg: string) => void warnings.push(msg), error: () => {}, child: () => logger }
    const node = await t.addPeer({ store, trusted: [], logger, mvds: { mode: 'batch' } })
    await settle()
    expect(warnings).toContain('mvds state entries skipped')
    await node.share(group, t.trackerAddress)
    // The next flush replaces the corrupt snapshot with a good one.
    expect(JSON.parse(new TextDecoder().decode((await store.getState('mvds/state'))!)).epoch).toBeTypeOf('number')
    await t.stop()
  })

  for (const mode of ['batch', 'interactive'] as const) {
    it(`${mode}: a receiver killed while a received bundle is being written acknowledged nothing it had not stored, and stores it after the restart`, async () => {
      const t = await testnet({ peers: 0, seed: 75 })
      const a = await t.addPeer({ trusted: [], mvds: { mode, epochMs: 1000 } })
      // b's database: a write of a's bundle "x" never lands (the process is killed before it
      // does); every other write lands until the crash, none after it.
      const disk = new MemoryStore()
      const crash = crashableStore(disk, (b) => text(b.body) === 'x')
      const transport = t.net.bind()
      const options = { transport, clock: t.clock, overlays: [t.overlay], trusted: [], mvds: { mode, epochMs: 1000 } }
      const b = createNode(grouped({ ...options, rng: t.rng.fork(), store: crash.store }))
      await b.start()
      await a.share(group, transport.address())
      await b.share(group, a.address())
      await a.sendPrivate(group, new TextEncoder().encode('x'))
      await t.run(3_000)
      await a.sendPrivate(group, new TextEncoder().encode('y'))
      // b writes its MVDS state while "x" is still being written (its own message flushes it).
      await b.sendPrivate(group, new TextEncoder().encode('from b'))
      await t.run(10_000)
      expect(crash.stalled()).toBe(1)
      expect(await bundleOf(disk, 'x')).toBeUndefined()
      // kill -9: nothing b does from here reaches its disk or the network.
      crash.kill()
      t.net.interceptor = (r) => (r.from.port === transport.address().port ? null : r)
      await b.stop()
      t.net.interceptor = null
      const b2 = createNode(grouped({ ...options, rng: t.rng.fork(), store: crashableStore(disk, () => false).store, keys: b.keys }))
      const got: string[] = []
      b2.events.on('bundle', (d) => !d.own && got.push(text(d.bundle.body)))
      t.nodes.push(b2)
      await b2.start()
      await t.run(120_000, 500)
      // a kept retransmitting "x" (it was never acknowledged) until b2 stored it.
      expect(await bundleOf(disk, 'x')).toBeDefined()
      // Batch: "y" was stored before the kill. Interactive: b's ticks waited for the write of
      // "x" (docs/mvds.md, "Persistence"), so "y" was first requested by b2.
      expect(got.sort()).toEqual(mode === 'batch' ? ['x'] : ['x', 'y'])
      await t.stop()
    }, 60_000)
  }
})

/** The first bundle of the group with this body in the store. */
async function bundleOf(store: MemoryStore, body: string): Promise<Bundle | undefined> {
  for await (const b of store.range({ overlay: group, from: 0, to: Number.MAX_SAFE_INTEGER })) if (text(b.body) === body) return b
  return undefined
}

/**
 * A view of `disk` as one process's database: the writes of bundles `stall` picks do not
 * complete, and after `kill()` no write lands (the stalled ones and every later one reject,
 * so that stopping the dead node finishes); reads always work. A new view over the same disk is the restarted process.
 */
function crashableStore(disk: MemoryStore, stall: (b: Bundle) => boolean): { store: MemoryStore; kill(): void; stalled(): number } {
  let killed = false
  let stalled = 0
  const pending: Array<(err: Error) => void> = []
  const dead = () => Promise.reject(new Error('killed'))
  const store = new Proxy(disk, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target)
      if (typeof value !== 'function') return value
      const method = (value as (...args: unknown[]) => unknown).bind(target)
      if (prop === 'put' || prop === 'putMany') {
        return (...args: unknown[]) => {
          if (killed) return dead()
          const bundles = (prop === 'put' ? [args[0]] : args[0]) as Bundle[]
          if (!bundles.some(stall)) return method(...args)
          stalled++
          return new Promise((_, reject) => pending.push(reject))
        }
      }
      if (prop === 'putState' || prop === 'delete' || prop === 'markDelivered') return (...args: unknown[]) => (killed ? dead() : method(...args))
      return method
    }
  })
  const kill = () => {
    killed = true
    for (const reject of pending.splice(0)) reject(new Error('killed'))
  }
  return { store, kill, stalled: () => stalled }
}
