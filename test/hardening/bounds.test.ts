/**
 * Resource bounds under a flood of distinct sources (issue 8, DESIGN §9). One million
 * datagrams, each from a different address 10.x.y.z:p (16 /16s, 4 096 /24s), go straight
 * into a node's packet handler (the transport callback, no network): introduction-requests
 * (some with offers, some echoing forged tokens), puncture-requests, punctures and
 * unexpected responses, while virtual time passes and the node walks. The heap after GC
 * stays within a stated bound of its value after a warm-up, and every table the node
 * reports stays at or under its bound. Then each bounded structure is fed 200 000
 * distinct keys directly, from sources spread over 251 /16s so the total caps bind.
 *
 * Cost, measured (Node 20, one core): ~30 µs of CPU per datagram from a new source, most of
 * it address parsing, decoding, the reply's encoding and the candidate table; sources spread
 * over many /16s cost more (~40 µs: the table's O(entries) eviction scan over 500 entries).
 * `BOUNDS_REPORT=1` prints the figures.
 */
import { describe, expect, it } from 'vitest'
import { BloomFilter } from '../../src/bloom/index.js'
import { roomId } from '../../src/bundle/index.js'
import { MAX_CANDIDATES } from '../../src/candidates/options.js'
import { CandidateTable } from '../../src/candidates/index.js'
import { CausalBuffer, type CausalItem } from '../../src/causal/index.js'
import { DEFAULT_MAX_PEERS, LamportClock } from '../../src/clock/index.js'
import { ManualClock } from '../../src/env/clock.js'
import { SeededRng } from '../../src/env/rng.js'
import { DEFAULT_MAX_OUTSTANDING_PUNCTURES, DEFAULT_MAX_VOTERS, PunctureTracker, WanVoter } from '../../src/nat/index.js'
import { AmplificationGuard, createNode } from '../../src/node/index.js'
import { RequestCache } from '../../src/node/requests.js'
import { MemoryStore } from '../../src/store/memory.js'
import type { Transport, TransportStats } from '../../src/transport/index.js'
import { encodePacket, type Address, type Packet } from '../../src/wire/index.js'
import { makeBundles } from '../helpers/bundles.js'
import { heapAfterGcMB } from './gc.js'

const SOURCES = 1_000_000
const WARM_UP = 100_000
/** Allowed heap growth after the warm-up (the tables are full by then): MiB. */
const HEAP_BOUND_MB = 8

/** The i-th distinct source, 10.x.y.z:p in order: a million span 16 /16s and 4 096 /24s. */
function source(i: number): Address {
  return { host: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, port: 1024 + (i % 60_000) }
}

/** Sources spread so /16s and /24s vary fastest (251 /16s, 63 001 /24s): the total caps bind, not the subnet ones. */
function spread(i: number): Address {
  return { host: `10.${i % 251}.${Math.floor(i / 251) % 251}.${Math.floor(i / 63_001) % 251}`, port: 1024 + (i % 60_000) }
}

/** A transport that is only a callback: `onPacket` is the node's packet handler; sends are counted and dropped. */
function stubTransport(address: Address): Transport & { sent: number } {
  const stats = { datagramsSent: 0, bytesSent: 0, datagramsReceived: 0, bytesReceived: 0, sendErrors: 0, socketErrors: 0, handlerErrors: 0, dropped: 0 }
  const t = {
    sent: 0,
    onPacket: null as Transport['onPacket'],
    send: () => void t.sent++,
    address: () => address,
    close: async () => {},
    stats: (): TransportStats => ({ ...stats, drops: { oversize: 0, closed: 0, invalidAddress: 0, offline: 0, noHandler: 0 } })
  }
  return t
}

describe('bounded state under a flood of distinct sources', () => {
  it(`${SOURCES} distinct sources through the packet handler: flat heap, every table within its bound`, async () => {
    const clock = new ManualClock(1_000_000)
    const overlay = roomId('bounds')
    const store = new MemoryStore()
    await store.open()
    for (const b of makeBundles(200, { overlay, seed: 71 })) await store.put(b)
    const me: Address = { host: '192.0.2.1', port: 7759 }
    const transport = stubTransport(me)
    const node = createNode({ components: { transport, clock, rng: new SeededRng(71), store }, settings: { overlays: [overlay] } })
    await node.start()
    const handler = transport.onPacket!
    const bloom = new BloomFilter(1000, 7, 1)
    const claimed: Address = { host: '10.255.0.1', port: 9 }
    // Pre-encoded datagrams (encoding is the attacker's cost, not the node's): what varies is the source.
    const datagrams = ([
      { type: 'introduction-request', destination: me, sourceLan: claimed, sourceWan: claimed, advice: true, connectionType: 'unknown', identifier: 1, globalTime: 7, sync: { timeLow: 1, timeHigh: 0, modulo: 1, offset: 0, bloom } },
      { type: 'introduction-request', destination: claimed, sourceLan: claimed, sourceWan: claimed, advice: false, connectionType: 'public', identifier: 2, globalTime: 0, token: new Uint8Array(16).fill(3) },
      { type: 'puncture-request', walkerLan: claimed, walkerWan: { host: '203.0.113.9', port: 443 }, identifier: 3 },
      { type: 'introduction-request', destination: me, sourceLan: claimed, sourceWan: claimed, advice: true, connectionType: 'symmetric-NAT', identifier: 4, globalTime: 1 },
      { type: 'puncture', sourceLan: claimed, sourceWan: claimed, identifier: 5 },
      { type: 'introduction-request', destination: me, sourceLan: claimed, sourceWan: claimed, advice: false, connectionType: 'unknown', identifier: 6, globalTime: 1 },
      { type: 'introduction-response', destination: me, sourceLan: claimed, sourceWan: claimed, connectionType: 'unknown', identifier: 7, globalTime: 5 },
      { type: 'introduction-request', destination: me, sourceLan: claimed, sourceWan: claimed, advice: false, connectionType: 'unknown', identifier: 8, globalTime: 2 }
    ] satisfies Packet[]).map((p) => encodePacket(overlay, p))
    const settle = () => new Promise<void>((resolve) => setImmediate(resolve))
    let baseline = 0
    const startedAt = performance.now()
    const cpuAtStart = process.cpuUsage()
    for (let i = 0; i < SOURCES; i++) {
      handler(source(i), datagrams[i % datagrams.length]!)
      if ((i & 1023) === 1023) {
        clock.advance(100) // 100 s of virtual time per 1M: walks, timeouts and expiry run
        await settle()
      }
      if (i === WARM_UP) baseline = heapAfterGcMB()
    }
    await settle()
    const end = heapAfterGcMB()
    const s = node.stats()
    const seconds = (performance.now() - startedAt) / 1000
    const cpu = process.cpuUsage(cpuAtStart)
    const cpuSeconds = (cpu.user + cpu.system) / 1e6
    if (process.env['BOUNDS_REPORT']) console.log({ seconds, cpuSeconds, baseline, end, growth: end - baseline, tables: { candidates: s.overlays[0]!.candidates, amplification: s.amplification, outstanding: s.outstandingRequests, punctures: s.punctures }, drops: s.drops })
    expect(s.drops['handler-error'] ?? 0).toBe(0)
    expect(end - baseline).toBeLessThan(HEAP_BOUND_MB)
    expect(s.overlays[0]!.candidates.total).toBeLessThanOrEqual(MAX_CANDIDATES)
    expect(s.amplification.tracked).toBeLessThanOrEqual(4096)
    expect(s.amplification.evicted).toBeGreaterThan(SOURCES - 4096 - 1)
    expect(s.outstandingRequests).toBeLessThanOrEqual(1024)
    expect(s.walks).toBeGreaterThan(0)
    await node.stop()
  }, 480_000) // ~200 s idle; 240.4 s under load once

  it('each bounded structure fed 200 000 distinct keys stays at its bound', () => {
    const n = 200_000
    const keys = (i: number) => `${spread(i).host}:${spread(i).port}`
    const table = new CandidateTable()
    const guard = new AmplificationGuard({ secret: new Uint8Array(32) })
    const requests = new RequestCache()
    const voter = new WanVoter({ lan: { host: '192.0.2.1', port: 7759 } })
    const lamport = new LamportClock()
    const punctures = new PunctureTracker()
    const causal = new CausalBuffer<CausalItem>({ isDelivered: () => false })
    const rng = new SeededRng(72)
    const before = heapAfterGcMB()
    for (let i = 0; i < n; i++) {
      const from = spread(i)
      const key = keys(i)
      table.recordStumble(key, { lan: from, wan: from, connectionType: 'unknown' }, i)
      guard.received(key, 100)
      requests.add({ identifier: i, overlayKey: 'o', peerKey: key, sentAt: i, cancelTimeout: () => {} })
      voter.vote(from, spread(i + 7), from)
      lamport.reportPeer(key, i, i)
      punctures.expect(i, [from], i)
      if (i % 5 === 0) {
        const id = rng.bytes(32)
        causal.offer({ id, globalTime: i, parents: [rng.bytes(32), rng.bytes(32)] }, key)
      }
    }
    const after = heapAfterGcMB()
    expect(table.size).toBeLessThanOrEqual(MAX_CANDIDATES)
    expect(guard.stats().tracked).toBeLessThanOrEqual(4096)
    expect(requests.size).toBeLessThanOrEqual(1024)
    expect(voter.voterCount).toBeLessThanOrEqual(DEFAULT_MAX_VOTERS)
    expect(lamport.peerCount).toBeLessThanOrEqual(DEFAULT_MAX_PEERS)
    expect(punctures.size).toBeLessThanOrEqual(DEFAULT_MAX_OUTSTANDING_PUNCTURES)
    expect(causal.pending).toBeLessThanOrEqual(1024)
    expect(after - before).toBeLessThan(HEAP_BOUND_MB * 2)
  }, 120_000)
})
