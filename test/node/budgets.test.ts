/**
 * Intake budgets (issue 20, DESIGN §14): one source host and one author key can make a node
 * verify, store and log only so much per second; over budget is dropped and counted before
 * the signature check. Unit tests of the table, then a node flooded through its packet
 * handler on virtual time, counting the signature checks it really makes.
 */
import { describe, expect, it } from 'vitest'
import { decodeBundle, MAX_BODY_FIELD, MAX_PARENTS_FIELD, signBundle, verifyBundleSignature, type Bundle } from '../../src/bundle/index.js'
import { DEFAULT_AUTHOR_RATES, DEFAULT_HOST_RATES, IntakeBudgets } from '../../src/node/index.js'
import { makeAuthors } from '../helpers/bundles.js'
import { testnet } from './harness.js'
import { adversary } from '../hardening/helpers.js'

const DECODE = { maxParents: MAX_PARENTS_FIELD, maxBody: MAX_BODY_FIELD }
const [mallory, alice] = makeAuthors(2, 2020)

/** A bundle whose last signature byte is flipped: same id, the signature fails. */
/** `b` with a signature that does not verify; `variant` (1–65 535) picks which, so copies can differ. */
function badSignature(b: Bundle, variant = 1): Bundle {
  const bytes = Uint8Array.from(b.bytes)
  bytes[bytes.length - 1]! ^= variant & 0xff
  bytes[bytes.length - 2]! ^= variant >> 8
  return decodeBundle(bytes, DECODE)!
}

describe('IntakeBudgets', () => {
  it('lets a host make burst + rate × seconds signature checks, then refuses before checking', () => {
    const budgets = new IntakeBudgets({ host: { verifications: 10 }, burstSeconds: 2, badSignatureCost: 1 })
    let admitted = 0
    // 100 checks asked per virtual second for 5 s.
    for (let ms = 0; ms < 5000; ms += 10) {
      if (budgets.admit('4/10.0.0.1', 'a', 100, ms) === undefined) {
        admitted++
        budgets.checked('4/10.0.0.1', 'a', false, ms)
      }
    }
    expect(admitted).toBeLessThanOrEqual(20 + 10 * 5)
    expect(admitted).toBeGreaterThanOrEqual(20 + 10 * 4)
    expect(budgets.admit('4/10.0.0.2', 'a', 100, 5000)).toBeUndefined() // another host has its own budget
  })

  it('a failed signature check costs its host the penalty', () => {
    const budgets = new IntakeBudgets({ host: { verifications: 100 }, burstSeconds: 1, badSignatureCost: 10 })
    let admitted = 0
    while (budgets.admit('h', 'a', 1, 0) === undefined) {
      admitted++
      budgets.checked('h', 'a', false, 0)
    }
    expect(admitted).toBe(10)
    expect(budgets.admit('h', 'a', 1, 0)).toBe('host-verify-budget')
  })

  it('charges an author only for verified bundles, and refuses an author over budget before the check', () => {
    const budgets = new IntakeBudgets({ host: { verifications: 1e6, stores: 1e6, bytes: 1e9 }, author: { stores: 5 }, burstSeconds: 1 })
    // A forger claiming alice's key fails every check: alice's budget is untouched.
    for (let i = 0; i < 100; i++) if (budgets.admit('forger', 'alice', 100, 0) === undefined) budgets.checked('forger', 'alice', false, 0)
    let stored = 0
    while (budgets.admit('honest', 'alice', 100, 0) === undefined) {
      budgets.checked('honest', 'alice', true, 0)
      budgets.stored('honest', 'alice', 100, 0)
      stored++
    }
    expect(stored).toBe(5)
    expect(budgets.admit('other-host', 'alice', 100, 0)).toBe('author-store-budget')
    expect(budgets.admit('other-host', 'alice', 100, 1000)).toBeUndefined() // refilled
  })

  it('refuses bytes over the host and author byte budgets', () => {
    const budgets = new IntakeBudgets({ host: { bytes: 1000 }, author: { bytes: 500 }, burstSeconds: 1 })
    expect(budgets.admit('h', 'a', 1001, 0)).toBe('host-bytes-budget')
    expect(budgets.admit('h', 'a', 400, 0)).toBeUndefined()
    budgets.checked('h', 'a', true, 0)
    budgets.stored('h', 'a', 400, 0)
    expect(budgets.admit('h', 'a', 400, 0)).toBe('author-bytes-budget')
  })

  it('remembers at most maxHosts hosts and maxAuthors authors (least recently used forgotten)', () => {
    const budgets = new IntakeBudgets({ maxHosts: 64, maxAuthors: 32 })
    for (let i = 0; i < 10_000; i++) {
      const host = `h${i}`
      if (budgets.admit(host, `a${i}`, 10, i) === undefined) {
        budgets.checked(host, `a${i}`, true, i)
        budgets.stored(host, `a${i}`, 10, i)
      }
      const s = budgets.stats()
      expect(s.hosts).toBeLessThanOrEqual(64)
      expect(s.authors).toBeLessThanOrEqual(32)
    }
    expect(budgets.stats()).toEqual({ hosts: 64, authors: 32 })
  })

  it('keys a source by its IPv4 address or IPv6 /64, whatever the port', () => {
    expect(IntakeBudgets.hostOf('10.1.2.3')).toBe(IntakeBudgets.hostOf('::ffff:10.1.2.3'))
    expect(IntakeBudgets.hostOf('2001:db8:1:2::1')).toBe(IntakeBudgets.hostOf('2001:db8:1:2:ffff::9'))
    expect(IntakeBudgets.hostOf('2001:db8:1:2::1')).not.toBe(IntakeBudgets.hostOf('2001:db8:1:3::1'))
    expect(DEFAULT_HOST_RATES.verifications).toBeGreaterThan(DEFAULT_AUTHOR_RATES.verifications)
  })
})

describe('a node under a bundle flood from one source', () => {
  it('bad signatures: signature checks bounded by the host budget, the rest dropped as host-verify-budget', async () => {
    let checks = 0
    const verifyBundle = (b: Bundle) => {
      checks++
      return verifyBundleSignature(b)
    }
    const t = await testnet({ peers: 1, seed: 2020, peer: { verifyBundle, intakeBudgets: { host: { verifications: 50 }, burstSeconds: 2, badSignatureCost: 1 } } })
    const victim = t.nodes[0]!
    const m = adversary(t, victim)
    m.introduce()
    await t.run(100)
    const signed = Array.from({ length: 8 }, (_, i) => signBundle({ overlay: t.overlay, globalTime: 1 + i, kind: 1, body: new Uint8Array([i]) }, mallory!))
    const seconds = 10
    // 100 datagrams of 8 bundles per virtual second: 8 000 bundles asked to be checked, each
    // signature forged differently (an identical copy in flight is a duplicate, not a check).
    for (let s = 0; s < seconds; s++) {
      for (let i = 0; i < 100; i++) m.bundles(signed.map((b) => badSignature(b, 1 + s * 100 + i)))
      await t.run(1000, 100)
    }
    const drops = victim.stats().bundleDrops
    // The burst (100) plus 50 per second.
    expect(checks).toBeLessThanOrEqual(100 + 50 * (seconds + 1))
    expect(drops['BUNDLE_BAD_SIGNATURE']).toBe(checks)
    expect(drops['host-verify-budget']).toBe(8 * 100 * seconds - checks)
    expect(victim.stats().overlays[0]!.bundlesStored).toBe(0)
    await t.stop()
  }, 60_000)

  it('a source in debt for forged signatures is dropped before decoding (source-in-debt), its host\'s other ports too; other hosts are not; waiting pays the debt', async () => {
    let checks = 0
    const verifyBundle = (b: Bundle) => {
      checks++
      return verifyBundleSignature(b)
    }
    const t = await testnet({ peers: 1, seed: 2021, peer: { verifyBundle, intakeBudgets: { host: { verifications: 10 }, burstSeconds: 1, badSignatureCost: 8 } } })
    const victim = t.nodes[0]!
    const forger = adversary(t, victim, { host: '100.64.0.9', port: 5001 })
    const sameHost = adversary(t, victim, { host: '100.64.0.9', port: 5002 })
    const other = adversary(t, victim, { host: '100.64.0.10', port: 5001 })
    forger.introduce()
    await t.run(100)
    const forged = Array.from({ length: 8 }, (_, i) => badSignature(signBundle({ overlay: t.overlay, globalTime: 1 + i, kind: 1, body: new Uint8Array([i]) }, mallory!)))
    // Two forged bundles checked (the budget holds 10, each failure costs 8): the host is in debt.
    forger.bundles(forged)
    await t.run(100)
    expect(checks).toBe(2)
    const drops = () => victim.stats().drops['source-in-debt'] ?? 0
    for (let i = 0; i < 50; i++) forger.bundles(forged)
    sameHost.introduce()
    other.introduce()
    await t.run(100)
    // Nothing more decoded nor checked from that host, whichever port; the other host is served.
    expect(checks).toBe(2)
    expect(drops()).toBe(51)
    expect(other.received.some((p) => p.type === 'introduction-response')).toBe(true)
    expect(sameHost.received.some((p) => p.type === 'introduction-response')).toBe(false)
    // The debt (2 × 8 − 10 = 6 checks) is paid after 0.6 s at 10 checks per second.
    await t.run(1000)
    forger.bundles(forged)
    await t.run(100)
    expect(drops()).toBe(51)
    expect(checks).toBeGreaterThan(2)
    await t.stop()
  }, 60_000)

  it('peers sharing one address: a port that brought new bundles spends a budget of its own; a port that floods spends only the shared one', async () => {
    const t = await testnet({ peers: 1, seed: 2022, peer: { intakeBudgets: { host: { stores: 5 }, burstSeconds: 1 } } })
    const victim = t.nodes[0]!
    const honest = adversary(t, victim, { host: '100.64.0.1', port: 4001 })
    const flooder = adversary(t, victim, { host: '100.64.0.1', port: 4002 })
    honest.introduce()
    flooder.introduce()
    await t.run(100)
    const [bob] = makeAuthors(1, 2023)
    let gt = 1
    const next = (who: typeof mallory) => signBundle({ overlay: t.overlay, globalTime: gt, kind: 1, body: new Uint8Array(new Uint32Array([gt++]).buffer) }, who!)
    // The honest port brings one new bundle: from then on it is useful, a source of its own.
    honest.bundles([next(bob)])
    await t.run(100)
    expect(victim.stats().overlays[0]!.bundlesStored).toBe(1)
    // The flooder's port has brought nothing new yet: it spends the address's shared budget (5 + 5/s) and is cut there.
    for (let i = 0; i < 10; i++) flooder.bundles([next(mallory), next(mallory)])
    await t.run(100)
    const afterFlood = victim.stats().overlays[0]!.bundlesStored
    expect(victim.stats().bundleDrops['host-store-budget']).toBeGreaterThan(0)
    // The honest port still gets through, though its address's shared budget is spent.
    for (let i = 0; i < 3; i++) honest.bundles([next(bob)])
    await t.run(100)
    expect(victim.stats().overlays[0]!.bundlesStored).toBe(afterFlood + 3)
    await t.stop()
  }, 60_000)

  it('valid signatures from one author: stored at most the author budget, an honest author still gets through', async () => {
    const t = await testnet({ peers: 1, seed: 2021, peer: { intakeBudgets: { author: { stores: 5 }, burstSeconds: 2 } } })
    const victim = t.nodes[0]!
    const m = adversary(t, victim)
    m.introduce()
    await t.run(100)
    let gt = 1
    const seconds = 5
    for (let s = 0; s < seconds; s++) {
      for (let i = 0; i < 20; i++) m.bundles(Array.from({ length: 4 }, () => signBundle({ overlay: t.overlay, globalTime: gt, kind: 1, body: new Uint8Array(new Uint32Array([gt++]).buffer) }, mallory!)))
      await t.run(1000, 100)
    }
    const stored = victim.stats().overlays[0]!.bundlesStored
    expect(stored).toBeLessThanOrEqual(10 + 5 * (seconds + 1))
    expect(stored).toBeGreaterThan(0)
    expect(victim.stats().bundleDrops['author-store-budget']).toBe(4 * 20 * seconds - stored)
    // Alice, from another host, is not held back by mallory's budget.
    const honest = adversary(t, victim, { host: '10.9.9.9' })
    honest.introduce()
    await t.run(100)
    honest.bundles([signBundle({ overlay: t.overlay, globalTime: 1, kind: 1, body: new Uint8Array([42]) }, alice!)])
    await t.run(100)
    expect(victim.stats().overlays[0]!.bundlesStored).toBe(stored + 1)
    await t.stop()
  }, 60_000)
})
