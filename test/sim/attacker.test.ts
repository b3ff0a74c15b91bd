/**
 * The Sybil attackers (src/sim/attacker.ts) on the real wire: they introduce only attackers,
 * forward nothing, and flood at their bounded rate from every port of one /24 each; a small
 * attacked run is deterministic and reports the eclipse.
 */
import { describe, expect, it } from 'vitest'
import { generateKeyPair, signBundle } from '../../src/bundle/index.js'
import { SeededRng } from '../../src/env/rng.js'
import { subnetKeys } from '../../src/nat/index.js'
import { Attackers, FIRST_ATTACKER_PORT, attackerCount, attackerHost } from '../../src/sim/attacker.js'
import { DeliveryLog } from '../../src/sim/deliveries.js'
import { publicHost } from '../../src/sim/nat.js'
import { presetNamed, withOverrides } from '../../src/sim/presets.js'
import { reproducible } from '../../src/sim/result.js'
import { simulate } from '../../src/sim/run.js'
import { checkScenario } from '../../src/sim/scenario.js'
import { SimWorld } from '../../src/sim/world.js'
import { decodePacket, encodePacket, type Address, type Packet } from '../../src/wire/index.js'

const OVERLAY = new Uint8Array(32).fill(7)
const SPEC = { fraction: 0.5, ports: 4, requestsPerSecond: 2, trackerShare: 0, claimsInSync: true }

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
    expect(s.attack).toEqual({ fraction: 0.2, ports: 16, requestsPerSecond: 1, trackerShare: 0.25, claimsInSync: true })
    expect(s.trusted).toBe(false)
    const t = withOverrides(presetNamed('sybil-10'), { trustedPeers: 10, attackPorts: 1, attackRate: 0.5, attackClaimsInSync: false })
    expect(t.trustedPeers).toBe(10)
    expect(t.attack).toEqual({ fraction: 0.1, ports: 1, requestsPerSecond: 0.5, trackerShare: 0.25, claimsInSync: false })
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
    // 5 hosts × 1 per second × 300 s.
    expect(attack.requestsSent).toBeGreaterThan(1490)
    expect(attack.requestsSent).toBeLessThanOrEqual(1500)
    expect(attack.walksReceived).toBeGreaterThan(0)
    // The per-/24 cap: 16 ports per host, at most 8 stumble + intro entries in any honest table.
    expect(attack.mostEntriesOfOneAttackerHost.stumbleIntro).toBeLessThanOrEqual(8)
    // Trusted off changes only the walker's weights: same attackers, another run.
    const off = await simulate(withOverrides(scenario, { trusted: false }), { seed: 4 })
    expect((off.driver['attack'] as { hosts: number }).hosts).toBe(5)
    expect(off.scenario.trusted).toBe(false)
  })
})
