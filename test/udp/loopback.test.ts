/**
 * The loopback UDP tier (STYLE 22): a tracker and 10 peers on real sockets bound to
 * 127.0.0.1:0, the system clock with a short step interval, converge on 200 messages.
 * Every datagram any of them sends is checked against the sync datagram budget. Waits on
 * delivery events under one overall deadline; never sleeps for a fixed time.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { roomId } from '../../src/bundle/index.js'
import { CountingTransport } from '../../src/cli/counting-transport.js'
import { scaledNodeOptions } from '../../src/cli/pace.js'
import { SystemClock } from '../../src/env/clock.js'
import { SeededRng, int } from '../../src/env/rng.js'
import { createNode, type BloomwalkNode } from '../../src/node/index.js'
import { MemoryStore } from '../../src/store/memory.js'
import { DEFAULT_SYNC_CONFIG } from '../../src/sync/config.js'
import { createUdpTransport } from '../../src/transport/udp.js'
import type { Transport } from '../../src/transport/types.js'

const PEERS = 10
const MESSAGES = 200
const STEP_MS = 100
const DEADLINE_MS = 25_000
const BUDGET = DEFAULT_SYNC_CONFIG.datagramBudget

const cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn()
})

describe('loopback UDP: tracker + 10 peers', { timeout: 40_000 }, () => {
  it(`converge on ${MESSAGES} messages and never send a datagram over the ${BUDGET}-byte budget`, async () => {
    const rng = new SeededRng(2024)
    const clock = new SystemClock()
    const overlay = roomId('loopback')
    const sizes: number[] = []
    const oversize: { from: string; bytes: number }[] = []
    const counting: CountingTransport[] = []
    const bind = async (): Promise<CountingTransport> => {
      const udp: Transport = await createUdpTransport({ host: '127.0.0.1', port: 0 })
      const t = new CountingTransport(udp, (_to, bytes) => {
        sizes.push(bytes.length)
        if (bytes.length > BUDGET) oversize.push({ from: `${udp.address().host}:${udp.address().port}`, bytes: bytes.length })
      })
      counting.push(t)
      cleanup.push(() => t.close())
      return t
    }

    const trackerTransport = await bind()
    const tracker = createNode({ components: { transport: trackerTransport, clock, rng: rng.fork() }, settings: { role: 'tracker' } })
    await tracker.start()
    cleanup.push(() => tracker.stop())
    const peers: BloomwalkNode[] = []
    for (let i = 0; i < PEERS; i++) {
      const node = createNode({
        components: { transport: await bind(), clock, rng: rng.fork(), store: new MemoryStore() },
        settings: { overlays: [overlay], trusted: [trackerTransport.address()], ...scaledNodeOptions(STEP_MS, { sameHost: true }) }
      })
      await node.start()
      cleanup.push(() => node.stop())
      peers.push(node)
    }
    expect(peers[0]!.stats().address.host).toBe('127.0.0.1')

    // Every (peer, message) pair is one delivery event; done when all have happened.
    let delivered = 0
    const converged = new Promise<void>((resolve) => {
      for (const p of peers) {
        p.events.on('bundle', () => {
          if (++delivered === PEERS * MESSAGES) resolve()
        })
      }
    })
    const encoder = new TextEncoder()
    for (let m = 0; m < MESSAGES; m++) await peers[int(rng, PEERS)]!.publish(overlay, encoder.encode(`message ${m}`))

    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`not converged within ${DEADLINE_MS} ms: ${delivered} of ${PEERS * MESSAGES} deliveries`)), DEADLINE_MS)
    })
    try {
      await Promise.race([converged, deadline])
    } finally {
      clearTimeout(timer)
    }

    for (const p of peers) {
      const s = p.stats()
      expect(s.overlays[0]!.bundlesStored).toBe(MESSAGES)
      expect(s.drops['handler-error'] ?? 0).toBe(0)
    }
    expect(oversize).toEqual([])
    expect(sizes.length).toBe(counting.reduce((n, c) => n + c.datagrams, 0))
    expect(Math.max(...sizes)).toBeLessThanOrEqual(BUDGET)
    // Bundles did travel in full datagrams, and no socket refused or dropped a send.
    expect(Math.max(...sizes)).toBeGreaterThan(BUDGET / 2)
    for (const t of counting) expect(t.stats()).toMatchObject({ sendErrors: 0, dropped: 0 })
  })
})
