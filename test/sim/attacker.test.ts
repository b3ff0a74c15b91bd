/**
 * The Sybil attackers (src/sim/attacker.ts) on the real wire: they introduce only attackers,
 * forward nothing, and flood at their bounded rate from every port of one /24 each; a small
 * attacked run is deterministic and reports the eclipse.
 */
import { describe, expect, it } from 'vitest'
import { BloomFilter } from '../../src/bloom/index.js'
import { generateKeyPair, signBundle } from '../../src/bundle/index.js'
import { SeededRng } from '../../src/env/rng.js'
import { subnetKeys } from '../../src/nat/index.js'
import { Attackers, FIRST_ATTACKER_PORT, attackerCount, attackerHost } from '../../src/sim/attacker.js'
import { DeliveryLog } from '../../src/sim/deliveries.js'
import { publicHost } from '../../src/sim/nat.js'
import { presetNamed, withOverrides } from '../../src/sim/presets.js'
import { reproducible } from '../../src/sim/result.js'
import { simulate } from '../../src/sim/run.js'
import { checkScenario, type AttackSpec } from '../../src/sim/scenario.js'
import { SimWorld } from '../../src/sim/world.js'
import { decodePacket, encodePacket, type Address, type Packet, type SyncOffer } from '../../src/wire/index.js'

const OVERLAY = new Uint8Array(32).fill(7)
const SPEC: AttackSpec = { fraction: 0.5, ports: 4, requestsPerSecond: 2, trackerShare: 0, claimsInSync: true, kind: 'silent', holdMs: 0, leakPerWalk: 0 }
const ADAPTIVE: AttackSpec = { ...SPEC, ports: 1, kind: 'adaptive', holdMs: 60_000, leakPerWalk: 1 }

/** A world with `SPEC`'s attackers (3 hosts) and an honest-looking probe they flood. */
function setup(spec = SPEC) {
  const scenario = withOverrides(presetNamed('sybil-10'), { nodes: 3 })
  scenario.network = { latencyMs: 5, jitterMs: 0, loss: 0, duplication: 0, reorder: 0 }
  const world = new SimWorld(scenario, 1, new DeliveryLog(3, 0, 0))
  const probe = world.bindPublic()
  const got: { from: Address; packet: Packet }[] = []
  probe.onPacket = (from, bytes) => got.push({ from, packet: decodePacket(bytes)!.packet })
  const attackers = new Attackers(world, OVERLAY, spec, 3, () => [probe.address()], [])
  const run = (ms: number) => world.clock.runUntil(world.clock.now() + ms)
  return { world, probe, got, attackers, run }
}

describe('attackers', () => {
  it('count as a share of all nodes, each host on a /24 and /16 of its own, apart from honest hosts', () => {
    expect([0.1, 0.3, 0.5].map((f) => attackerCount(100, f))).toEqual([11, 43, 100])
    const narrow = new Set(Array.from({ length: 100 }, (_, j) => subnetKeys(attackerHost(j))!.narrow))
    const wide = new Set(Array.from({ length: 100 }, (_, j) => subnetKeys(attackerHost(j))!.wide))
    expect(narrow.size).toBe(100)
    expect(wide.size).toBe(100)
    const honest = new Set(Array.from({ length: 1000 }, (_, i) => subnetKeys(publicHost(i))!.wide))
    for (const w of wide) expect(honest.has(w)).toBe(false)
  })

  it('answer an introduction-request from the port asked, echoing its identifier and introducing another attacker', () => {
    const { probe, got, attackers, run } = setup()
    const asked = { host: attackerHost(1), port: FIRST_ATTACKER_PORT + 2 }
    for (let i = 0; i < 20; i++) {
      probe.send(asked, encodePacket(OVERLAY, { type: 'introduction-request', destination: asked, sourceLan: probe.address(), sourceWan: probe.address(), advice: true, connectionType: 'public', identifier: 1000 + i, globalTime: 42 }))
    }
    run(1000)
    const answers = got.filter((g) => g.packet.type === 'introduction-response')
    expect(answers).toHaveLength(20)
    for (const [i, { from, packet }] of answers.entries()) {
      if (packet.type !== 'introduction-response') throw new Error('unreachable')
      expect(from).toEqual(asked)
      expect(packet.identifier).toBe(1000 + i)
      expect(packet.globalTime).toBe(42)
      expect(attackers.isAttacker(packet.introduced!.wan.host)).toBe(true)
      expect(packet.introduced!.wan.host).not.toBe(asked.host)
    }
    expect(attackers.counters.walksReceived).toBe(20)
  })

  it('claim global time 0 instead of the walker\'s when not claiming to be in sync', () => {
    const { probe, got, run } = setup({ ...SPEC, claimsInSync: false })
    const asked = { host: attackerHost(2), port: FIRST_ATTACKER_PORT }
    probe.send(asked, encodePacket(OVERLAY, { type: 'introduction-request', destination: asked, sourceLan: probe.address(), sourceWan: probe.address(), advice: true, connectionType: 'public', identifier: 9, globalTime: 42 }))
    run(1000)
    expect(got.find((g) => g.packet.type === 'introduction-response')?.packet).toMatchObject({ identifier: 9, globalTime: 0 })
  })

  it('forward nothing: bundles, bundle-requests and symbols-requests go unanswered', () => {
    const { probe, got, attackers, run } = setup()
    const to = { host: attackerHost(0), port: FIRST_ATTACKER_PORT }
    const bundle = signBundle({ overlay: OVERLAY, globalTime: 1, kind: 1, body: new Uint8Array(40) }, generateKeyPair(new SeededRng(3)))
    probe.send(to, encodePacket(OVERLAY, { type: 'bundles', bundles: [bundle] }))
    probe.send(to, encodePacket(OVERLAY, { type: 'bundle-request', ids: [bundle.id] }))
    probe.send(to, encodePacket(OVERLAY, { type: 'symbols-request', from: 0, count: 8 }))
    run(900)
    expect(got.filter((g) => g.from.host === to.host && g.packet.type !== 'introduction-request')).toEqual([])
    expect(attackers.counters.ignored).toEqual({ bundles: 1, 'bundle-request': 1, 'symbols-request': 1 })
  })

  it('flood at the bounded rate, each host cycling through its ports', () => {
    const { got, attackers, run } = setup()
    run(10_000)
    const requests = got.filter((g) => g.packet.type === 'introduction-request')
    // 3 hosts × 2 per second × 10 s, give or take the staggered first request.
    expect(requests.length).toBeGreaterThanOrEqual(3 * 2 * 10 - 3)
    expect(requests.length).toBeLessThanOrEqual(3 * 2 * 10)
    expect(attackers.counters.requestsSent).toBe(requests.length)
    for (let j = 0; j < 3; j++) {
      const ports = requests.filter((r) => r.from.host === attackerHost(j)).map((r) => r.from.port - FIRST_ATTACKER_PORT)
      expect(ports.slice(0, 8)).toEqual([0, 1, 2, 3, 0, 1, 2, 3])
    }
  })

  it('overrides and checks: --attackers on any bloom preset, --trusted, and out-of-range fields', () => {
    const s = withOverrides(presetNamed('seed-6'), { attackers: 0.2, trusted: false })
    expect(s.attack).toEqual({ fraction: 0.2, ports: 16, requestsPerSecond: 1, trackerShare: 0.25, claimsInSync: true, kind: 'silent', holdMs: 0, leakPerWalk: 0 })
    expect(s.trusted).toBe(false)
    const t = withOverrides(presetNamed('sybil-10'), { trustedPeers: 10, attackPorts: 1, attackRate: 0.5, attackClaimsInSync: false })
    expect(t.trustedPeers).toBe(10)
    expect(t.attack).toEqual({ fraction: 0.1, ports: 1, requestsPerSecond: 0.5, trackerShare: 0.25, claimsInSync: false, kind: 'silent', holdMs: 0, leakPerWalk: 0 })
    // --attack-kind switches to the other kind's defaults, keeping the share; later overrides still apply.
    const u = withOverrides(presetNamed('sybil-30'), { attackKind: 'adaptive', attackPorts: 2 })
    expect(u.attack).toEqual({ fraction: 0.3, ports: 2, requestsPerSecond: 1, trackerShare: 0.25, claimsInSync: true, kind: 'adaptive', holdMs: 600_000, leakPerWalk: 1 })
    expect(presetNamed('sybil-30-adaptive').attack).toEqual(withOverrides(presetNamed('sybil-30'), { attackKind: 'adaptive' }).attack)
    expect(withOverrides(presetNamed('sybil-50'), { attackers: 0 }).attack!.fraction).toBe(0)
    const bad = (f: (s: ReturnType<typeof presetNamed>) => void) => {
      const s = presetNamed('sybil-10')
      f(s)
      return () => checkScenario(s)
    }
    expect(bad((s) => (s.attack!.fraction = 0.95))).toThrow(/attack.fraction/)
    expect(bad((s) => (s.attack!.ports = 0))).toThrow(/attack.ports/)
    expect(bad((s) => (s.attack!.trackerShare = 2))).toThrow(/attack.trackerShare/)
    expect(bad((s) => (s.protocol = 'mvds-batch'))).toThrow(/attack needs protocol bloom/)
    expect(bad((s) => (s.trustedPeers = 101))).toThrow(/trustedPeers/)
  })

  it('a small attacked run is deterministic and reports the eclipse', async () => {
    const scenario = withOverrides(presetNamed('sybil-30'), { nodes: 12, messages: 12, duration: 300 })
    const a = await simulate(scenario, { seed: 4 })
    const b = await simulate(scenario, { seed: 4 })
    expect(JSON.stringify(reproducible(a))).toBe(JSON.stringify(reproducible(b)))
    const attack = a.driver['attack'] as { hosts: number; requestsSent: number; walksReceived: number; mostEntriesOfOneAttackerHost: { stumbleIntro: number } }
    expect(attack.hosts).toBe(5)
    // 5 hosts × 1 per second × the virtual seconds run (at most 300: the run stops once every message is delivered).
    expect(attack.requestsSent).toBeGreaterThan(5 * a.virtualSeconds - 10)
    expect(attack.requestsSent).toBeLessThanOrEqual(5 * Math.ceil(a.virtualSeconds) + 5)
    expect(attack.walksReceived).toBeGreaterThan(0)
    // The per-/24 cap: 16 ports per host, at most 8 stumble + intro entries in any honest table.
    expect(attack.mostEntriesOfOneAttackerHost.stumbleIntro).toBeLessThanOrEqual(8)
    // Trusted off changes only the walker's weights: same attackers, another run.
    const off = await simulate(withOverrides(scenario, { trusted: false }), { seed: 4 })
    expect((off.driver['attack'] as { hosts: number }).hosts).toBe(5)
    expect(off.scenario.trusted).toBe(false)
  })
})

describe('adaptive attackers', () => {
  const walk = (probe: ReturnType<typeof setup>['probe'], to: Address, identifier: number, sync?: SyncOffer) =>
    probe.send(to, encodePacket(OVERLAY, { type: 'introduction-request', destination: to, sourceLan: probe.address(), sourceWan: probe.address(), advice: true, connectionType: 'public', identifier, globalTime: 9, sync }))
  const emptyOffer = (bytes = 64) => ({ timeLow: 1, timeHigh: 0, modulo: 1, offset: 0, bloom: { bits: new Uint8Array(bytes), k: 3, salt: 5 } })

  it('echo the validation token an honest response gave that port, and offer a filter of what they hold over all history', () => {
    const { probe, got, run } = setup(ADAPTIVE)
    const attacker = { host: attackerHost(0), port: FIRST_ATTACKER_PORT }
    const token = new Uint8Array([1, 2, 3, 4])
    probe.send(attacker, encodePacket(OVERLAY, { type: 'introduction-response', destination: attacker, sourceLan: probe.address(), sourceWan: probe.address(), connectionType: 'public', identifier: 1, globalTime: 3, token }))
    run(5_000)
    const fromHost0 = got.filter((g) => g.from.host === attacker.host && g.packet.type === 'introduction-request').map((g) => g.packet)
    expect(fromHost0.length).toBeGreaterThan(2)
    for (const p of fromHost0) {
      if (p.type !== 'introduction-request') throw new Error('unreachable')
      expect(p.token).toEqual(token)
      expect(p.sync).toMatchObject({ timeLow: 1, timeHigh: 0, modulo: 1, offset: 0 })
      expect(p.sync!.bloom.bits.every((b) => b === 0)).toBe(true) // nothing held yet
    }
    // Another host was given no token and echoes none.
    const other = got.find((g) => g.from.host === attackerHost(1) && g.packet.type === 'introduction-request')!.packet
    expect(other.type === 'introduction-request' && other.token).toBe(undefined)
  })

  it('leak to a walker only bundles held for holdMs that its filter lacks, at most leakPerWalk, oldest first', () => {
    const { probe, got, attackers, run } = setup(ADAPTIVE)
    const to = { host: attackerHost(0), port: FIRST_ATTACKER_PORT }
    const keys = generateKeyPair(new SeededRng(3))
    const bundles = [5, 2, 8].map((gt) => signBundle({ overlay: OVERLAY, globalTime: gt, kind: 1, body: new Uint8Array(40) }, keys))
    probe.send(to, encodePacket(OVERLAY, { type: 'bundles', bundles }))
    run(1_000)
    expect(attackers.counters.hoarded).toBe(3)
    // Its own offers now carry what it holds, so that honest answers send it only the rest.
    const lastOffer = got.filter((g) => g.from.host === to.host && g.packet.type === 'introduction-request').at(-1)!.packet
    if (lastOffer.type !== 'introduction-request' || lastOffer.sync === undefined) throw new Error('expected an offer')
    for (const b of bundles) expect(BloomFilter.fromWire(lastOffer.sync.bloom).has(b.id)).toBe(true)
    const leaked = () => got.filter((g) => g.from.host === to.host && g.packet.type === 'bundles').map((g) => (g.packet.type === 'bundles' ? g.packet.bundles.map((b) => b.globalTime) : []))
    walk(probe, to, 1, emptyOffer())
    run(1_000)
    expect(leaked()).toEqual([]) // held for 1 s of the 60 s it withholds
    run(60_000)
    walk(probe, to, 2) // no sync offer: nothing to read, nothing leaked
    walk(probe, to, 3, emptyOffer())
    run(1_000)
    expect(leaked()).toEqual([[2]])
    // The walker's filter holds global time 2's bundle: the next oldest it lacks.
    const offer = emptyOffer()
    const filter = new BloomFilter(offer.bloom.bits, offer.bloom.k, offer.bloom.salt)
    filter.add(bundles[1]!.id)
    walk(probe, to, 4, offer)
    run(1_000)
    expect(leaked()).toEqual([[2], [5]])
    expect(attackers.counters.leaked).toBe(2)
    // Responses to walks still introduce only attackers.
    const responses = got.filter((g) => g.packet.type === 'introduction-response')
    expect(responses).toHaveLength(4)
  })

  it('answer an idle check in sync, ask for announced bundles they lack, and ignore other requests', () => {
    const { probe, got, attackers, run } = setup(ADAPTIVE)
    const to = { host: attackerHost(1), port: FIRST_ATTACKER_PORT }
    const keys = generateKeyPair(new SeededRng(4))
    const held = signBundle({ overlay: OVERLAY, globalTime: 1, kind: 1, body: new Uint8Array(8) }, keys)
    const fresh = signBundle({ overlay: OVERLAY, globalTime: 2, kind: 1, body: new Uint8Array(8) }, keys)
    probe.send(to, encodePacket(OVERLAY, { type: 'push', bundles: [held], hops: 0 }))
    run(100)
    probe.send(to, encodePacket(OVERLAY, { type: 'push', bundles: [], have: [held.id, fresh.id], hops: 0 }))
    probe.send(to, encodePacket(OVERLAY, { type: 'symbols-request', from: 0, count: 8, digest: { hashXor: 77n, count: 5 } }))
    probe.send(to, encodePacket(OVERLAY, { type: 'symbols-request', from: 8, count: 8 }))
    probe.send(to, encodePacket(OVERLAY, { type: 'bundle-request', ids: [held.id] }))
    run(900)
    const answers = got.filter((g) => g.from.host === to.host && g.packet.type !== 'introduction-request').map((g) => g.packet)
    expect(answers).toHaveLength(2)
    expect(answers).toContainEqual({ type: 'symbols-response', from: 0, symbols: [], inSync: true })
    const request = answers.find((p) => p.type === 'bundle-request')
    expect(request?.type === 'bundle-request' && request.ids.map((id) => Buffer.from(id).toString('hex'))).toEqual([Buffer.from(fresh.id).toString('hex')])
    expect(attackers.counters.idleChecksAnswered).toBe(1)
    expect(attackers.counters.ignored).toEqual({ 'symbols-request': 1, 'bundle-request': 1 })
  })

  it('a small adaptive run is deterministic, collects the room and leaks from it', async () => {
    const scenario = withOverrides(presetNamed('sybil-30-adaptive'), { nodes: 12, messages: 12, duration: 300 })
    scenario.attack!.holdMs = 0 // leak at once, so that walkers still lack what is leaked
    const a = await simulate(scenario, { seed: 4 })
    const b = await simulate(scenario, { seed: 4 })
    expect(JSON.stringify(reproducible(a))).toBe(JSON.stringify(reproducible(b)))
    const attack = a.driver['attack'] as { hosts: number; ports: number; hoarded: number; leaked: number; idleChecksAnswered: number }
    expect(attack.ports).toBe(attack.hosts)
    expect(attack.hoarded).toBe(12)
    expect(attack.leaked).toBeGreaterThan(0)
  })
})
