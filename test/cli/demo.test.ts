/** `bloomwalk demo` through its command function: a small run converges over real UDP and reports every figure. */
import { access } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { DEMO_STEP_MS, defaultStep, summary, type DemoResult } from '../../src/cli/demo.js'
import { DESIGN_STEP_MS } from '../../src/cli/pace.js'
import type { LocalGroup } from '../../src/cli/peer-group.js'
import { startSwarm } from '../../src/cli/swarm.js'
import { createLogger } from '../../src/env/logger.js'
import { SeededRng } from '../../src/env/rng.js'
import { run } from './helpers.js'

const JSON_KEYS = ['nodes', 'messages', 'converged', 'seconds', 'datagrams', 'bytes', 'maxDatagramBytes', 'drops', 'bytesPerDelivery']

describe('the demo\'s default step', () => {
  it('is 250 ms for small rooms, slower with more peers per thread or more deliveries owed, never slower than the design\'s pace', () => {
    expect(defaultStep(20, 2, 200)).toBe(DEMO_STEP_MS)
    expect(defaultStep(5, 1, 20)).toBe(DEMO_STEP_MS)
    // 25 peers a thread: 20 ms each.
    expect(defaultStep(50, 2, 1)).toBe(500)
    // 50 000 deliveries at ~1 ms each over 2 threads, in 10 steps.
    expect(defaultStep(50, 2, 1000)).toBe(2500)
    expect(defaultStep(50, 1, 1000)).toBe(DESIGN_STEP_MS)
    expect(defaultStep(1000, 2, 1_000_000)).toBe(DESIGN_STEP_MS)
    // More threads share the work.
    expect(defaultStep(50, 4, 1000)).toBeLessThan(defaultStep(50, 2, 1000))
  })
})

describe('bloomwalk demo', { timeout: 90_000 }, () => {
  it('5 peers converge on 20 messages; --json prints one object with every key; exit 0', async () => {
    const r = await run(['demo', '--nodes', '5', '--messages', '20', '--json', '--seed', '7', '--timeout', '60', '--spread', '0.5', '--threads', '1'])
    expect(r.err).toMatch(/demo: 5 peers in 1 thread\(s\) \+ 1 tracker on 127\.0\.0\.1, 20 messages/)
    expect(r.code).toBe(0)
    const lines = r.out.split('\n')
    expect(lines).toHaveLength(1)
    const result = JSON.parse(lines[0]!) as DemoResult
    for (const key of JSON_KEYS) expect(result).toHaveProperty(key)
    expect(result).toMatchObject({ nodes: 5, messages: 20, converged: true, deliveries: 20 * 4, seed: 7 })
    expect(result.seconds).toBeGreaterThan(0)
    expect(result.datagrams).toBeGreaterThan(0)
    expect(result.bytes).toBeGreaterThan(result.datagrams)
    expect(result.maxDatagramBytes).toBeGreaterThan(0)
    expect(result.maxDatagramBytes).toBeLessThanOrEqual(1200)
    expect(result.bytesPerDelivery).toBeCloseTo(result.bytes / result.deliveries, 0)
    expect(typeof result.drops).toBe('object')
    expect(result.latencyP50).not.toBeNull()
    const p = result.pairLatencyMs!
    expect(p.p50).toBeLessThanOrEqual(p.p90)
    expect(p.p90).toBeLessThanOrEqual(p.p99)
    expect(p.p99).toBeLessThanOrEqual(p.max)
  })

  it('without --json prints a readable summary; at the time limit it reports failure and exits 1', async () => {
    // Messages published over 20 s cannot all arrive within 0.5 s.
    const r = await run(['demo', '--nodes', '2', '--messages', '5', '--timeout', '0.5', '--spread', '20', '--seed', '1', '--threads', '1'])
    expect(r.code).toBe(1)
    expect(r.out).toMatch(/^NOT converged after 0\.\d+ s: \d+ of 5 deliveries/m)
    expect(r.out).toMatch(/^traffic: \d+ datagrams/m)
    expect(r.out).toMatch(/^largest datagram: \d+ bytes \(budget 1200\)$/m)
    expect(r.out).toMatch(/^bytes sent by packet type: .*introduction-request /m)
    expect(r.out).toMatch(/^drops: /m)
    expect(r.out).toMatch(/^seed: 1 /m)
  })

  it('--threads above 1 needs the compiled build: from TypeScript sources it exits 1 saying so', async () => {
    const r = await run(['demo', '--nodes', '2', '--messages', '1', '--threads', '2'])
    expect(r.code).toBe(1)
    expect(r.err).toMatch(/worker threads need the compiled build/)
  })

  it('the summary of a converged run', () => {
    const lines = summary({
      nodes: 3, messages: 2, converged: true, seconds: 1.5, datagrams: 40, bytes: 12_000, maxDatagramBytes: 900, drops: { 'unknown-source': 2 }, sentBytes: { 'introduction-request': 4000, bundles: 8000 },
      bytesPerDelivery: 3000, deliveries: 4, latencyP50: 0.5, latencyP90: 0.9, pairLatencyMs: { p50: 120, p90: 400, p99: 880, max: 900 }, datagramBudget: 1200, stepIntervalMs: 250, threads: 1, seed: 9
    })
    expect(lines[0]).toBe('converged: all 3 peers hold all 2 messages after 1.50 s')
    expect(lines[1]).toBe('traffic: 40 datagrams, 12.0 kB (12000 bytes), 3000 bytes and 10.00 datagrams per delivered message')
    expect(lines).toContain('drops: unknown-source 2')
    expect(lines).toContain('bytes sent by packet type: bundles 8.0 kB, introduction-request 4.0 kB')
    expect(lines).toContain('latency per (message, receiver): P50 120 ms, P90 400 ms, P99 880 ms, max 900 ms (walk step 250 ms)')
  })

  it('the swarm keeps each peer\'s LevelDB in a temporary folder and removes it on close', async () => {
    const swarm = await startSwarm({ nodes: 2, stepIntervalMs: 250, rng: new SeededRng(3), logger: createLogger('t', { level: 'silent' }) })
    try {
      await access(swarm.folder)
      expect(swarm.groups.map((g) => [g.first, g.size])).toEqual([[0, 2]])
      const group = swarm.groups[0] as LocalGroup
      expect(group.peers.map((p) => p.transport.address().host)).toEqual(['127.0.0.1', '127.0.0.1'])
      expect(group.counters).toHaveLength(2)
    } finally {
      await swarm.close()
    }
    await expect(access(swarm.folder)).rejects.toThrow()
  })
})
