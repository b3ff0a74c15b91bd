/**
 * `BloomwalkNode.relay` (a bridge; the simulator's spammers): a bundle another key signed is
 * checked as a peer's would be — room policy, identity work, signature — then stored and
 * spread like a publication; what fails a check is refused with a clear error, nothing stored.
 */
import { describe, expect, it } from 'vitest'
import { mintIdentity, roomPolicy, signBundle } from '../../src/bundle/index.js'
import { isBloomwalkError } from '../../src/errors.js'
import { MemoryStore } from '../../src/store/memory.js'
import { hex, makeAuthors } from '../helpers/bundles.js'
import { testnet } from './harness.js'

const [carol] = makeAuthors(1, 99)

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (e) {
    return isBloomwalkError(e) ? e.code : 'other'
  }
  return 'none'
}

describe('relay', () => {
  it('stores and spreads a bundle within the policy; refuses one over quota, without identity work or with a bad signature', async () => {
    const policy = roomPolicy({ quota: { count: 1, window: 100 }, identityBits: 4 })
    const t = await testnet({ peers: 0, seed: 71 })
    const policies = new Map([[hex(t.overlay), policy]])
    const stores = [new MemoryStore(), new MemoryStore()]
    for (const store of stores) await t.addPeer({ store, policies })
    await t.run(30_000)
    const relay = t.nodes[0]!
    const identityNonce = mintIdentity(t.overlay, carol!.publicKey, 4)
    const ok = signBundle({ overlay: t.overlay, globalTime: 5, kind: 1, body: new Uint8Array([1]), identityNonce }, carol!)
    expect(await relay.relay(t.overlay, ok)).toBe(true)
    expect(await relay.relay(t.overlay, ok)).toBe(false)
    const overQuota = signBundle({ overlay: t.overlay, globalTime: 4, kind: 1, body: new Uint8Array([2]), identityNonce }, carol!)
    expect(await refusal(relay.relay(t.overlay, overQuota))).toBe('BUNDLE_REFUSED_BY_POLICY')
    const noWork = signBundle({ overlay: t.overlay, globalTime: 150, kind: 1, body: new Uint8Array([3]) }, carol!)
    expect(await refusal(relay.relay(t.overlay, noWork))).toBe('BUNDLE_REFUSED_BY_POLICY')
    const good = signBundle({ overlay: t.overlay, globalTime: 160, kind: 1, body: new Uint8Array([4]), identityNonce }, carol!)
    const forged = { ...good, signature: new Uint8Array(64) }
    expect(await refusal(relay.relay(t.overlay, forged))).toBe('INVALID_ARGUMENT')
    expect(await refusal(relay.relay(new Uint8Array(32), ok))).toBe('INVALID_ARGUMENT')
    await t.run(30_000)
    for (const store of stores) {
      const ids: string[] = []
      for await (const b of store.range({ overlay: t.overlay, from: 0, to: Number.MAX_SAFE_INTEGER })) ids.push(hex(b.id))
      expect(ids).toEqual([hex(ok.id)])
    }
    await t.stop()
  }, 30_000)
})
