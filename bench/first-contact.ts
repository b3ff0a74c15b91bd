/**
 * Two fresh library peers over loopback UDP with a tracker, at the design's pace (5 s walk
 * step, system clock, LevelDB-free memory stores): how long after `publish` the other peer
 * delivers the bundle (DESIGN §13, issue 17's "first delivery ≤ 1 s after publish").
 *
 *   npm run build && node dist/bench/first-contact.js [--runs 5] [--delay-ms 1000] [--push on|off] [--json]
 *
 * Each run starts a tracker and two peers that know only the tracker, waits `delay-ms`,
 * publishes one bundle on the first peer and times the second peer's delivery (and the
 * reverse direction right after). `--push off` is the Bloom walk alone, for comparison.
 * Runs are sequential; the figures are wall-clock milliseconds.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { pathToFileURL } from 'node:url'
import { roomId } from '../src/bundle/index.js'
import { SystemClock } from '../src/env/clock.js'
import { CryptoRng } from '../src/env/crypto-rng.js'
import { createNode, type BloomwalkNode } from '../src/node/index.js'
import { MemoryStore } from '../src/store/memory.js'
import { createUdpTransport } from '../src/transport/index.js'

export interface FirstContactRun {
  /** Publish on the first peer → delivery at the second, ms (null: not within the limit). */
  forwardMs: number | null
  /** Then publish on the second → delivery at the first, ms. */
  backMs: number | null
}

/** Milliseconds until `node` delivers a bundle after `publish` resolves its call, or null after `limitMs`. */
async function timeDelivery(node: BloomwalkNode, publish: () => Promise<unknown>, limitMs: number): Promise<number | null> {
  const done = new AbortController()
  const start = performance.now()
  const delivered = new Promise<number>((resolve) => node.events.on('bundle', () => resolve(performance.now() - start), { signal: done.signal }))
  await publish()
  const limit = sleep(limitMs, null, { signal: done.signal }).catch(() => null)
  const ms = await Promise.race([delivered, limit])
  done.abort()
  return ms === null ? null : Math.round(ms)
}

export async function firstContactRun(options: { delayMs: number; push: boolean; limitMs?: number }): Promise<FirstContactRun> {
  const room = roomId('first-contact-bench')
  const clock = new SystemClock()
  const trackerTransport = await createUdpTransport({ host: '127.0.0.1', port: 0 })
  const tracker = createNode({ components: { transport: trackerTransport, clock, rng: new CryptoRng() }, settings: { role: 'tracker' } })
  await tracker.start()
  const peers: BloomwalkNode[] = []
  const transports = [trackerTransport]
  try {
    for (let i = 0; i < 2; i++) {
      const transport = await createUdpTransport({ host: '127.0.0.1', port: 0 })
      transports.push(transport)
      const peer = createNode({ components: { transport, clock, rng: new CryptoRng(), store: new MemoryStore() }, settings: { overlays: [room], trusted: [trackerTransport.address()], push: options.push ? undefined : { fanout: 0 } } })
      await peer.start()
      peers.push(peer)
    }
    await sleep(options.delayMs)
    const limit = options.limitMs ?? 60_000
    const forwardMs = await timeDelivery(peers[1]!, () => peers[0]!.publish(room, new TextEncoder().encode('hello')), limit)
    const backMs = await timeDelivery(peers[0]!, () => peers[1]!.publish(room, new TextEncoder().encode('hi')), limit)
    return { forwardMs, backMs }
  } finally {
    await Promise.all([tracker.stop(), ...peers.map((p) => p.stop())])
    await Promise.all(transports.map((t) => t.close()))
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string' }, 'delay-ms': { type: 'string' }, push: { type: 'string' }, json: { type: 'boolean' } } })
  const runs = Number(values.runs ?? 5)
  const delayMs = Number(values['delay-ms'] ?? 1000)
  const push = (values.push ?? 'on') !== 'off'
  const results: FirstContactRun[] = []
  for (let i = 0; i < runs; i++) results.push(await firstContactRun({ delayMs, push }))
  if (values.json === true) console.log(JSON.stringify({ delayMs, push, results }))
  else {
    console.log(`two fresh peers + tracker on loopback UDP, 5 s walk step, publish ${delayMs} ms after start, push ${push ? 'on' : 'off'}`)
    for (const [i, r] of results.entries()) console.log(`run ${i + 1}: first delivery ${r.forwardMs ?? '> 60 000'} ms after publish; back ${r.backMs ?? '> 60 000'} ms`)
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main()
