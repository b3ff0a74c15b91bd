/**
 * Room policy in the node (issue 20, DESIGN §14): peers of a room keep the same retained set;
 * a bundle outside the policy is neither stored nor answered, and one offered back by a peer
 * that has not pruned costs a counted drop (no signature check); pruning keeps the count and
 * the store in step; publishing over the policy is refused with a clear error.
 */
import { describe, expect, it } from 'vitest'
import { roomPolicy, signBundle, verifyBundleSignature, type Bundle, type RoomPolicy } from '../../src/bundle/index.js'
import { isBloomwalkError } from '../../src/errors.js'
import { MemoryStore } from '../../src/store/memory.js'
import { hex, makeAuthors } from '../helpers/bundles.js'
import { testnet, type PeerOptions, type Testnet } from './harness.js'

const [alice, bob] = makeAuthors(2, 4242)

async function held(store: MemoryStore, overlay: Uint8Array): Promise<string[]> {
  const ids: string[] = []
  for await (const b of store.range({ overlay, from: 0, to: Number.MAX_SAFE_INTEGER })) ids.push(hex(b.id))
  return ids.sort()
}

async function room(policy: RoomPolicy, seed: number, extra: PeerOptions = {}): Promise<{ t: Testnet; stores: MemoryStore[]; checks: () => number }> {
  let checks = 0
  const verifyBundle = (b: Bundle) => {
    checks++
    return verifyBundleSignature(b)
  }
  const t = await testnet({ peers: 0, seed })
  const policies = new Map([[hex(t.overlay), policy]])
  const stores = [new MemoryStore(), new MemoryStore(), new MemoryStore()]
  for (const store of stores) await t.addPeer({ store, policies, verifyBundle, ...extra })
  return { t, stores, checks: () => checks }
}

describe('room policy in the node', () => {
  it('history: every peer keeps the newest H of each author, and old ones offered back are dropped unchecked', async () => {
    const policy = roomPolicy({ history: 3 })
    const { t, stores, checks } = await room(policy, 61)
    // A peer that joined the same overlay without the policy (misconfigured) and holds everything.
    const laggard = new MemoryStore()
    const bundles = Array.from({ length: 10 }, (_, i) => signBundle({ overlay: t.overlay, globalTime: i + 1, kind: 1, body: new Uint8Array([i]) }, i % 2 === 0 ? alice! : bob!))
    await laggard.open()
    for (const b of bundles) await laggard.put(b)
    await t.addPeer({ store: laggard })
    await t.run(120_000)
    const expected = bundles.filter((b) => b.globalTime > 4).map((b) => hex(b.id)).sort() // alice 5,7,9 and bob 6,8,10
    for (const store of stores) expect(await held(store, t.overlay)).toEqual(expected)
    const drops = t.nodes.slice(0, 3).map((n) => n.stats().bundleDrops['retention-history'] ?? 0)
    expect(drops.reduce((a, b) => a + b, 0)).toBeGreaterThan(0)
    // Each policy peer checked each kept bundle at most a few times (duplicates in flight), never the refused ones' flood.
    expect(checks()).toBeLessThanOrEqual(3 * expected.length * 2)
    for (const n of t.nodes.slice(0, 3)) expect(n.stats().overlays[0]!.bundlesStored).toBe(expected.length)
    await t.stop()
  }, 60_000)

  it('pruning: what falls more than P behind the room time is deleted everywhere, count and store in step', async () => {
    const policy = roomPolicy({ pruning: { inactive: 10, pruned: 20 } })
    const { t, stores } = await room(policy, 62)
    const author = t.nodes[0]!
    for (let i = 0; i < 60; i++) {
      await author.publish(t.overlay, new Uint8Array([i]))
      await t.run(1_000)
    }
    await t.run(60_000)
    const time = author.stats().overlays[0]!.globalTime
    for (const [i, store] of stores.entries()) {
      const ids = await held(store, t.overlay)
      expect(ids.length).toBe(t.nodes[i]!.stats().overlays[0]!.bundlesStored)
      expect(ids.length).toBeLessThanOrEqual(21)
      for await (const b of store.range({ overlay: t.overlay, from: 0, to: Number.MAX_SAFE_INTEGER })) expect(b.globalTime).toBeGreaterThanOrEqual(time - 20)
    }
    expect(await held(stores[1]!, t.overlay)).toEqual(await held(stores[0]!, t.overlay))
    expect(author.stats().bundlesPruned).toBeGreaterThan(0)
    await t.stop()
  }, 60_000)

  it('publishing over the quota or the body size is refused with BUNDLE_REFUSED_BY_POLICY', async () => {
    const policy = roomPolicy({ quota: { count: 2, window: 1000 }, maxBodyBytes: 8 })
    const { t } = await room(policy, 63)
    const n = t.nodes[0]!
    await n.publish(t.overlay, new Uint8Array(8))
    await expect(n.publish(t.overlay, new Uint8Array(9))).rejects.toSatisfy((e) => isBloomwalkError(e, 'BUNDLE_REFUSED_BY_POLICY'))
    await n.publish(t.overlay, new Uint8Array(1))
    // The quota keeps the newest 2 per window: a third replaces the oldest rather than being refused.
    await n.publish(t.overlay, new Uint8Array(2))
    expect(n.stats().overlays[0]!.bundlesStored).toBe(2)
    expect(n.stats().bundlesPruned).toBe(1)
    await t.stop()
  })

  it('applies a stricter policy to what is already stored when joining', async () => {
    const t = await testnet({ peers: 0, seed: 64 })
    const store = new MemoryStore()
    await store.open()
    for (let i = 0; i < 10; i++) await store.put(signBundle({ overlay: t.overlay, globalTime: i + 1, kind: 1, body: new Uint8Array([i]) }, alice!))
    const n = await t.addPeer({ store, policies: new Map([[hex(t.overlay), roomPolicy({ history: 4 })]]) })
    expect(n.stats().overlays[0]!.bundlesStored).toBe(4)
    expect(await store.count(t.overlay)).toBe(4)
    await t.stop()
  })

  it('store cap: past it the oldest go first, every peer ends with the same newest bundles, older ones are refused', async () => {
    const probe = signBundle({ overlay: new Uint8Array(32), globalTime: 1, kind: 1, body: new Uint8Array([0]) }, alice!)
    const cap = probe.bytes.length * 10
    // Push off: pushed at once, every bundle would reach the others and take them over the cap
    // (the probe below needs a peer that never went over it: one that joins at the end).
    const { t, stores } = await room(roomPolicy({ storeCapBytes: cap }), 65, { push: { fanout: 0 } })
    const [a] = t.nodes
    for (let i = 0; i < 30; i++) {
      await a!.publish(t.overlay, new Uint8Array([i]))
      await t.run(500)
    }
    await t.run(60_000)
    const expected = await held(stores[0]!, t.overlay)
    expect(expected).toHaveLength(10)
    for (const store of stores) expect(await held(store, t.overlay)).toEqual(expected)
    for (const store of stores) for await (const x of store.range({ overlay: t.overlay, from: 0, to: Number.MAX_SAFE_INTEGER })) expect(x.globalTime).toBeGreaterThan(20)
    // An old bundle: a peer that never went over the cap stores it and deletes it at once
    // (the cap now remembers its floor); offered again, it is refused before its signature check.
    // That peer joins now: it syncs the newest 10 and nothing older (b and c may have gone over
    // the cap while a published, depending on when their walks reached a).
    const lateStore = new MemoryStore()
    const late = await t.addPeer({ store: lateStore, policies: new Map([[hex(t.overlay), roomPolicy({ storeCapBytes: cap })]]), push: { fanout: 0 } })
    await t.run(30_000)
    expect(await held(lateStore, t.overlay)).toEqual(expected)
    expect(late.stats().bundlesPruned).toBe(0)
    const old = signBundle({ overlay: t.overlay, globalTime: 3, kind: 1, body: new Uint8Array([99]) }, bob!)
    const m = (await import('../hardening/helpers.js')).adversary(t, late)
    m.introduce()
    await t.run(100)
    m.bundles([old])
    await t.run(100)
    m.bundles([old])
    await t.run(100)
    expect(late.stats().bundleDrops['retention-store-cap']).toBe(1)
    expect(await held(lateStore, t.overlay)).toEqual(expected)
    expect(await held(stores[1]!, t.overlay)).toEqual(expected)
    await t.stop()
  }, 60_000)
})
