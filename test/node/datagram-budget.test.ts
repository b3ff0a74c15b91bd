/**
 * The datagram budget before decoding (issue 20, DESIGN §14; docs/security.md): a flood of
 * well-formed datagrams that cost no signature check is decoded at most burst + rate × time
 * per source; the rest is a counted drop before the decoder. A port that brought new bundles
 * keeps a budget of its own, so an honest peer sharing the flooder's address is still served.
 */
import { describe, expect, it } from 'vitest'
import { signBundle } from '../../src/bundle/index.js'
import { DatagramBudget, DEFAULT_DATAGRAM_RATES } from '../../src/node/datagram-budget.js'
import { makeAuthors } from '../helpers/bundles.js'
import { testnet } from './harness.js'
import { adversary } from '../hardening/helpers.js'

const [alice, bob] = makeAuthors(2, 3030)

describe('DatagramBudget', () => {
  it('admits burst + rate × seconds datagrams of one source, and bytes likewise; another source has its own', () => {
    const budget = new DatagramBudget({ datagrams: 10, bytes: 1e9 }, 2)
    let admitted = 0
    for (let ms = 0; ms < 5000; ms += 10) if (budget.admit('4/10.0.0.1', 100, ms) === undefined) admitted++
    expect(admitted).toBeLessThanOrEqual(20 + 10 * 5)
    expect(admitted).toBeGreaterThanOrEqual(20 + 10 * 4)
    budget.admit('4/10.0.0.1', 100, 5000)
    expect(budget.admit('4/10.0.0.1', 100, 5000)).toBe('source-datagram-budget')
    expect(budget.admit('4/10.0.0.2', 100, 5000)).toBeUndefined()
    const bytes = new DatagramBudget({ datagrams: 1e6, bytes: 1000 }, 1)
    expect(bytes.admit('s', 600, 0)).toBeUndefined()
    expect(bytes.admit('s', 600, 0)).toBe('source-bytes-budget')
    expect(bytes.admit('s', 600, 200)).toBeUndefined() // 400 + 200 refilled
  })

  it('remembers at most maxSources sources (a forgotten one starts full)', () => {
    const budget = new DatagramBudget({ datagrams: 1 }, 1, 16)
    for (let i = 0; i < 1000; i++) budget.admit(`s${i}`, 1, 0)
    expect(budget.size).toBe(16)
    expect(DEFAULT_DATAGRAM_RATES.datagrams).toBeGreaterThan(0)
  })
})

describe('a flood of well-formed datagrams', () => {
  it('is decoded at most burst + rate × time per source; an honest port on the same address that brought new bundles, and other hosts, are served', async () => {
    const rate = 20
    const t = await testnet({ peers: 1, seed: 3030, peer: { intakeBudgets: { datagrams: { datagrams: rate }, burstSeconds: 2 } } })
    const victim = t.nodes[0]!
    const honest = adversary(t, victim, { host: '100.64.0.1', port: 4001 })
    const flooder = adversary(t, victim, { host: '100.64.0.1', port: 4002 })
    const elsewhere = adversary(t, victim, { host: '100.64.0.2', port: 4001 })
    honest.introduce()
    flooder.introduce()
    elsewhere.introduce()
    await t.run(100)
    let gt = 1
    const next = () => signBundle({ overlay: t.overlay, globalTime: gt, kind: 1, body: new Uint8Array(new Uint32Array([gt++]).buffer) }, alice!)
    // The honest port brings a new bundle: from then on it spends a budget of its own.
    honest.bundles([next()])
    await t.run(100)
    expect(victim.stats().overlays[0]!.bundlesStored).toBe(1)
    // 200 well-formed datagrams a second for 5 s from the flooder's port: a bundle the victim holds (no signature check).
    const held = signBundle({ overlay: t.overlay, globalTime: 1, kind: 1, body: new Uint8Array([9]) }, bob!)
    elsewhere.bundles([held])
    await t.run(100)
    const decodedBefore = victim.stats().in['bundles']?.datagrams ?? 0
    const seconds = 5
    let sent = 0
    for (let s = 0; s < seconds; s++) {
      for (let i = 0; i < 200; i++, sent++) flooder.bundles([held])
      // The honest port and the other host keep sending new bundles meanwhile.
      honest.bundles([next()])
      elsewhere.bundles([signBundle({ overlay: t.overlay, globalTime: 100 + s, kind: 1, body: new Uint8Array([s]) }, bob!)])
      await t.run(1000, 100)
    }
    const drops = victim.stats().drops
    const decoded = (victim.stats().in['bundles']?.datagrams ?? 0) - decodedBefore
    const fromFlooder = decoded - 2 * seconds
    // The shared address's budget: its burst (40) plus 20 a second, less what the other ports spent of it at first.
    expect(fromFlooder).toBeLessThanOrEqual(2 * rate + rate * (seconds + 1))
    expect(fromFlooder).toBeGreaterThan(0)
    expect(drops['source-datagram-budget']).toBe(sent - fromFlooder)
    // Every honest bundle got in: 1 + 5 from the honest port, 1 + 5 from the other host.
    expect(victim.stats().overlays[0]!.bundlesStored).toBe(2 + 2 * seconds)
    await t.stop()
  }, 60_000)
})
