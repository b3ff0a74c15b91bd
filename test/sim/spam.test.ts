/**
 * Spammers in an open room (issue 20, DESIGN §14; the spam-10 and spam-30 presets) on the
 * simulator's real node code: the spam model keeps to the room's policy and the identity
 * cost, honest peers store at most what the policy allows and forward spam like any bundle,
 * and the run without spammers (`--spammers 0`) has the same honest peers. Small runs; the
 * full-size figures are `bloomwalk sim --preset spam-10` (docs/security.md).
 */
import { describe, expect, it } from 'vitest'
import { roomId, roomPolicy, hasIdentityWork } from '../../src/bundle/index.js'
import { SeededRng } from '../../src/env/rng.js'
import { RetentionIndex } from '../../src/sync/retention.js'
import { hex } from '../../src/bytes.js'
import { presetNamed, withOverrides } from '../../src/sim/presets.js'
import { compareSpam } from '../../src/sim/result.js'
import { simulate } from '../../src/sim/run.js'
import { SIM_IDENTITY_BITS, SpamModel, identityMs, spammerCount } from '../../src/sim/spammers.js'
import { PROBES, nativeSign } from '../../src/cli/sim.js'

describe('spam model', () => {
  it('mints one identity per tick, fills every identity’s quota of the window once, and its bound is the policy applied to everything published', () => {
    const policy = roomPolicy({ quota: { count: 3, window: 10 }, history: 5, pruning: { inactive: 30, pruned: 40 }, identityBits: SIM_IDENTITY_BITS })
    const overlay = roomId('spam-model', policy)
    const spec = { fraction: 0.1, identityBits: 20, hashMicros: 1.5, bodyBytes: 20 }
    expect(identityMs(spec)).toBeCloseTo(1572.864, 3)
    expect(spammerCount(30, 0.1)).toBe(3)
    expect(spammerCount(30, 0.3)).toBe(13)
    const model = new SpamModel(overlay, policy, spec, 2, new SeededRng(7), nativeSign)
    const all = []
    // Ticks at global times 1, 2, … 60 for spammer 0, every third also for spammer 1.
    for (let t = 1; t <= 60; t++) {
      for (const s of t % 3 === 0 ? [0, 1] : [0]) {
        const before = model.identities
        const out = model.tick(s, t)
        expect(model.identities).toBe(before + 1)
        for (const b of out) {
          expect(b.globalTime).toBe(t)
          expect(hasIdentityWork(b, SIM_IDENTITY_BITS)).toBe(true)
        }
        all.push(...out)
      }
    }
    expect(model.published).toBe(all.length)
    // Per author and window: exactly the quota, never more.
    const perWindow = new Map<string, number>()
    for (const b of all) {
      const k = `${hex(b.author)}/${Math.floor(b.globalTime / 10)}`
      perWindow.set(k, (perWindow.get(k) ?? 0) + 1)
    }
    expect(Math.max(...perWindow.values())).toBe(3)
    expect(Math.min(...perWindow.values())).toBe(3)
    // The bound: a RetentionIndex over the union, pruned at time 60.
    const index = new RetentionIndex(policy)
    for (const b of all) index.insert({ globalTime: b.globalTime, id: hex(b.id), author: hex(b.author) })
    let kept = 0
    for (const a of model.authors) kept += index.entriesOf(a).filter((e) => e.globalTime >= 20).length
    expect(model.policyBound(60)).toBe(kept)
    expect(kept).toBeLessThan(all.length)
  })
})

describe('spam presets', () => {
  it('spammers publish within the policy, honest peers store at most what it allows and forward spam; the run without spammers keeps the honest part', async () => {
    const small = (spammers: number) => withOverrides(presetNamed('spam-30'), { nodes: 6, messages: 12, duration: 40, spammers })
    const spam = await simulate({ ...small(0.3), publishWindowMs: 20_000 }, { seed: 2, verify: PROBES.verify, sign: nativeSign })
    const quiet = await simulate({ ...small(0), publishWindowMs: 20_000 }, { seed: 2, verify: PROBES.verify, sign: nativeSign })
    const m = spam.spam!
    expect(m.spammers).toBe(3)
    // One identity per spammer per 1.57 s of virtual time.
    expect(m.identities).toBe(3 * Math.floor(40_000 / 1572.864))
    expect(m.published).toBeGreaterThanOrEqual(m.identities * 5)
    expect(m.spamStoredMax).toBeGreaterThan(0)
    expect(m.spamStoredMax).toBeLessThanOrEqual(m.policyBound)
    expect(m.spamForwardedPerHonestPeer).toBeGreaterThan(0)
    expect(spam.delivery.ratio).toBe(1)
    // Without spammers: none, nothing stored of them, and the same honest peers (the same published messages and owed pairs).
    const q = quiet.spam!
    expect(q.spammers).toBe(0)
    expect(q.published).toBe(0)
    expect(q.spamStoredMax).toBe(0)
    expect(quiet.delivery.pairs).toBe(spam.delivery.pairs)
    const v = compareSpam(spam, quiet)
    expect(v.sentBytesPerHonestPeer.ratio).toBeGreaterThan(1)
    expect(v.storedBytesPerHonestPeer.spam).toBe(m.storedBytesPerHonestPeer)
    expect(v.p90Ms.noSpam).toBe(quiet.fresh.latencyMs.p90)
  }, 60_000)

  it('spam needs the bloom protocol and a share in [0, 0.9]', () => {
    expect(() => withOverrides(presetNamed('spam-10'), { spammers: 0.95 })).toThrow(/spam.fraction|attack|0.9/)
    expect(() => withOverrides(presetNamed('spam-10'), { protocol: 'mvds-batch' })).toThrow(/needs protocol bloom/)
    // A preset without spammers gets the spam presets' spammers and room.
    const s = withOverrides(presetNamed('seed-6'), { spammers: 0.1 })
    expect(s.spam?.fraction).toBe(0.1)
    expect(s.policy).not.toBeNull()
  })

  it('with identity epochs, a proof buys one epoch: only identities minted in the current epoch publish, each at most Q × E ÷ W bundles', () => {
    const policy = roomPolicy({ quota: { count: 3, window: 10 }, history: 5, identityBits: SIM_IDENTITY_BITS, identityEpoch: 10 })
    const overlay = roomId('spam-model-epochs', policy)
    const spec = { fraction: 0.1, identityBits: 20, hashMicros: 1.5, bodyBytes: 20 }
    const withEpochs = new SpamModel(overlay, policy, spec, 1, new SeededRng(7), nativeSign)
    const without = new SpamModel(roomId('spam-model-no-epochs'), { ...policy, identityEpoch: 0 }, spec, 1, new SeededRng(7), nativeSign)
    const all = []
    let plain = 0
    for (let t = 1; t <= 60; t++) {
      const out = withEpochs.tick(0, t)
      for (const b of out) {
        expect(hasIdentityWork(b, SIM_IDENTITY_BITS, 10)).toBe(true)
        // The same nonce does not prove the next epoch, nor room and key alone.
        expect(hasIdentityWork({ ...b, globalTime: b.globalTime + 10 }, SIM_IDENTITY_BITS, 10)).toBe(false)
      }
      all.push(...out)
      plain += without.tick(0, t).length
    }
    expect(withEpochs.identities).toBe(60)
    const perAuthor = new Map<string, number>()
    for (const b of all) perAuthor.set(hex(b.author), (perAuthor.get(hex(b.author)) ?? 0) + 1)
    expect(Math.max(...perAuthor.values())).toBe(3)
    // Without epochs the identities of earlier windows fill their quota again in every window.
    expect(all.length).toBe(60 * 3)
    expect(plain).toBeGreaterThan(all.length)
  })

  it('--spam-bits and --identity-epoch set the spammers’ cost and the room’s epoch, and give a room without spammers the spam presets’ room', () => {
    const s = withOverrides(presetNamed('spam-10'), { spamBits: 24, identityEpoch: 200 })
    expect(s.spam!.identityBits).toBe(24)
    expect(s.spam!.fraction).toBe(0.1)
    expect(s.policy!.identityEpoch).toBe(200)
    expect(s.policy!.quota).toEqual(presetNamed('spam-10').policy!.quota)
    const plain = withOverrides(presetNamed('seed-6'), { identityEpoch: 50 })
    expect(plain.spam!.fraction).toBe(0)
    expect(plain.policy!.identityEpoch).toBe(50)
    expect(plain.policy!.quota).toEqual(presetNamed('spam-10').policy!.quota)
  })
})

