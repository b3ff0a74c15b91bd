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
})
