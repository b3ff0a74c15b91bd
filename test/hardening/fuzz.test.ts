/**
 * Node fuzzing (issue 8): 100 000 hostile datagrams of every packet type, random and
 * structure-aware mutations (bench/fuzz-packets.ts), from 256 source addresses into one
 * node through the in-memory network, while an honest peer keeps publishing. The script
 * `npm run fuzz -- --count N [--udp]` runs the same campaign at any size.
 */
import { describe, expect, it } from 'vitest'
import { runFuzz } from '../../bench/fuzz.js'
import { PEER_PACKET_TYPES } from '../../src/node/dispatcher.js'
import { exposeGc } from './gc.js'

describe('node fuzz', () => {
  it('100 000 hostile datagrams: no exception, every drop counted, flat memory, honest sync continues', async () => {
    exposeGc()
    const r = await runFuzz({ count: 100_000, seed: 20_260_801 })
    if (process.env['FUZZ_REPORT']) console.log(JSON.stringify(r, null, 1))
    expect(r.exceptions).toEqual({ handler: 0, transport: 0, process: 0, total: 0 })
    expect(r.reachedVictim).toBeGreaterThanOrEqual(100_000)
    // The campaign reaches deep: most wire drop reasons occur and every handler runs.
    expect(Object.keys(r.drops).length).toBeGreaterThanOrEqual(15)
    // Push packets are few in the campaign's mix (bench/fuzz-packets.ts): every other type a peer handles runs often.
    for (const type of PEER_PACKET_TYPES.filter((t) => t !== 'push')) expect(r.handled[type] ?? 0, type).toBeGreaterThan(1000)
    for (const reason of ['BUNDLE_BAD_SIGNATURE', 'BUNDLE_WRONG_OVERLAY', 'global-time-too-high', 'expired']) expect(r.bundleDrops[reason] ?? 0).toBeGreaterThan(50)
    // Every datagram is accounted for: dropped with a reason, or handled (a handler may drop it too).
    const dropped = Object.values(r.drops).reduce((a, b) => a + b, 0)
    const handled = Object.values(r.handled).reduce((a, b) => a + b, 0)
    expect(dropped + handled).toBeGreaterThanOrEqual(r.reachedVictim)
    expect(handled).toBeLessThan(r.reachedVictim)
    // Memory stays flat: the heap after GC grows by less than 16 MiB over the campaign.
    expect(r.memory.heapGrowthMB).toBeLessThan(16)
    expect(r.tables.amplificationTracked).toBeLessThanOrEqual(4096)
    expect(r.tables.outstandingRequests).toBeLessThanOrEqual(1024)
    // The honest peer's bundles keep arriving during the flood, each within a minute (virtual).
    expect(r.honest.published).toBe(20)
    expect(r.honest.receivedDuringFlood).toBeGreaterThanOrEqual(19)
    expect(r.honest.received).toBe(20)
    expect(r.honest.maxLatencyMs).toBeLessThanOrEqual(60_000)
  }, 120_000)

  it('over real UDP on loopback: 5 000 hostile datagrams, no exception, honest sync continues', async () => {
    const r = await runFuzz({ count: 5000, seed: 7, udp: true, honestEvery: 1000 })
    expect(r.exceptions.total).toBe(0)
    expect(r.reachedVictim).toBeGreaterThan(4000)
    expect(Object.keys(r.drops).length).toBeGreaterThanOrEqual(10)
    expect(r.honest.received).toBe(r.honest.published)
  }, 60_000)
})
