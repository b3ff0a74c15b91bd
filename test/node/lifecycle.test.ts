/**
 * stop() stops everything: once `await node.stop()` has resolved, the node sends no datagram
 * and keeps no timer, however far the clock is advanced — whatever it was doing at the time
 * (a catch-up session waiting for an answer, a walk step waiting for its store).
 */
import { describe, expect, it } from 'vitest'
import { roomId } from '../../src/bundle/index.js'
import { ManualClock } from '../../src/env/clock.js'
import { SeededRng } from '../../src/env/rng.js'
import { createNode } from '../../src/node/index.js'
import { MemoryStore } from '../../src/store/memory.js'
import { MemoryNetwork } from '../../src/transport/index.js'
import { makeBundles } from '../helpers/bundles.js'
import { settle } from './harness.js'

const HOUR = 3_600_000

async function storeWith(bundles: Parameters<MemoryStore['putMany']>[0]): Promise<MemoryStore> {
  const store = new MemoryStore()
  await store.open()
  await store.putMany(bundles)
  return store
}

/** Two peers over a MemoryNetwork; `a` walks to `b` (each node with its own view of the clock). */
async function pair(latencyMs: number) {
  const clock = new ManualClock(1_000_000)
  const rng = new SeededRng(17)
  const net = new MemoryNetwork({ clock, rng: rng.fork(), latencyMs, maxDatagram: 65_507 })
  const overlay = roomId('lifecycle')
  const pool = makeBundles(120, { overlay, seed: 5, maxGlobalTime: 1000 })
  const top = pool.reduce((m, b) => (b.globalTime > m.globalTime ? b : m))
  const rest = pool.filter((b) => b !== top)
  // Equal global times (both hold the newest bundle) and scattered differences: a idle-checks b.
  const [aStore, bStore] = [await storeWith([top, ...rest.slice(0, 100)]), await storeWith([top, ...rest.slice(10)])]
  const [aTransport, bTransport] = [net.bind(), net.bind()]
  const [aClock, bClock] = [clock.view(), clock.view()]
  const b = createNode({ components: { transport: bTransport, clock: bClock, rng: rng.fork(), store: bStore }, settings: { overlays: [overlay], stepIntervalMs: HOUR } })
  const a = createNode({ components: { transport: aTransport, clock: aClock, rng: rng.fork(), store: aStore }, settings: { overlays: [overlay], trusted: [bTransport.address()], stepIntervalMs: 5000 } })
  await b.start()
  await a.start()
  return { clock, a, b, aClock, aTransport }
}

describe('stop() stops everything', () => {
  it('a catch-up session waiting for an answer sends nothing after stop (its retry timer is cancelled)', async () => {
    const { clock, a, b, aClock, aTransport } = await pair(300)
    for (let i = 0; i < 200 && a.stats().catchUp.idleChecks === 0; i++) {
      clock.advance(10)
      await settle()
    }
    expect(a.stats().catchUp.idleChecks).toBe(1)
    // b goes away before it reads the idle check: a's session waits, retrying every 2 s.
    await b.stop()
    await a.stop()
    const sent = aTransport.stats().datagramsSent
    for (let i = 0; i < 60; i++) {
      clock.advance(HOUR / 60)
      await settle()
    }
    expect(aTransport.stats().datagramsSent - sent).toBe(0)
    expect(a.stats().out['symbols-request']?.datagrams ?? 0).toBeGreaterThan(0)
    expect(aClock.pending).toBe(0)
  })

  it('a walk step waiting for its store at stop leaves no request and no timeout behind', async () => {
    const { clock, a, aClock } = await pair(20)
    await settle()
    // The first step ran at start; the next one is due in 5 s. Advance to it and stop while
    // the step awaits its offer (the store's range read).
    clock.advance(5000)
    const stopped = a.stop()
    await stopped
    expect(a.stats().outstandingRequests).toBe(0)
    expect(aClock.pending).toBe(0)
    const walkTimeouts = a.stats().walkTimeouts
    clock.advance(HOUR)
    await settle()
    expect(a.stats().walkTimeouts).toBe(walkTimeouts)
  })
})
