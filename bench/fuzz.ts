/**
 * Node fuzzer (issue 8): floods one node ("the victim") with hostile datagrams of every
 * packet type (bench/fuzz-packets.ts) from many source addresses while an honest peer keeps
 * publishing, and reports uncaught exceptions (must be 0), drops by reason, memory growth
 * and whether the victim still received every honest bundle during the flood.
 *
 *   npm run fuzz -- --count 1000000 [--seed 1] [--udp] [--json]
 *
 * In-memory (default): a MemoryNetwork on virtual time, 100 hostile datagrams per virtual
 * second. `--udp`: real UDP sockets on loopback (victim, honest peer and 16 attacker
 * sockets), on the system clock, as fast as the victim drains them.
 */
import { createSocket, type Socket } from 'node:dgram'
import { pathToFileURL } from 'node:url'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { generateKeyPair, roomId, type Bundle } from '../src/bundle/index.js'
import { ManualClock, SystemClock, type Clock } from '../src/env/clock.js'
import { CryptoRng } from '../src/env/crypto-rng.js'
import { int, SeededRng, type Rng } from '../src/env/rng.js'
import { createNode, type BloomwalkNode, type NodeOptions } from '../src/node/index.js'
import { MemoryStore } from '../src/store/memory.js'
import { createUdpTransport, MemoryNetwork, type Transport } from '../src/transport/index.js'
import { decodePacket, type Address } from '../src/wire/index.js'
import { bundlePool, DatagramFactory, type FuzzTarget } from './fuzz-packets.js'

export interface FuzzOptions {
  /** Hostile datagrams to send. */
  count: number
  seed?: number
  /** Real UDP on loopback instead of the in-memory network. */
  udp?: boolean
  /** Attacker source addresses (in-memory; UDP uses 16 sockets). Default 256. */
  sources?: number
  /** The honest peer publishes once per this many hostile datagrams. Default count / 20. */
  honestEvery?: number
}

export interface FuzzReport {
  mode: 'memory' | 'udp'
  seed: number
  sent: number
  /** Datagrams that reached the victim's transport (UDP: the kernel may drop some). */
  reachedVictim: number
  seconds: number
  datagramsPerSecond: number
  /** Uncaught exceptions: in a handler (dispatcher), thrown to the transport, or process-level. Must all be 0. */
  exceptions: { handler: number; transport: number; process: number; total: number }
  /** Inbound datagrams dropped, by reason (the victim's stats().drops). */
  drops: Record<string, number>
  /** Decoded bundles rejected, by reason (stats().bundleDrops). */
  bundleDrops: Record<string, number>
  /** Datagrams that passed decoding and reached their handler, by packet type. */
  handled: Record<string, number>
  bundlesStored: number
  memory: { rssBeforeMB: number; rssAfterMB: number; heapBeforeMB: number; heapAfterMB: number; heapGrowthMB: number }
  /** Sync with the honest peer: bundles published during the flood, received by the victim during it and in total. */
  honest: { published: number; receivedDuringFlood: number; received: number; maxLatencyMs: number }
  /** Table sizes at the end (each is bounded). */
  tables: { candidates: number; amplificationTracked: number; outstandingRequests: number }
  /** The victim's own walk: steps taken and requests that timed out (walks to silent attackers). */
  walks: { steps: number; timeouts: number }
}

const MB = 1024 * 1024
const BATCH = 100
const TICK_MS = 1000
/** Virtual time the victim and the honest peer sync before the flood starts. */
const WARM_UP_MS = 60_000
/** The same over UDP, where a walk step takes 200 ms. */
const UDP_WARM_UP_MS = 3000
const udp = (): Promise<Transport> => createUdpTransport({ host: '127.0.0.1' })

async function settle(rounds = 2): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}

/** `gc()`, exposed at run time when node was started without --expose-gc (V8 allows it). */
function collect(): void {
  const g = globalThis as { gc?: () => void }
  if (g.gc === undefined) {
    setFlagsFromString('--expose-gc')
    g.gc = runInNewContext('gc') as () => void
  }
  g.gc()
}

function memory(): { rss: number; heap: number } {
  collect()
  const m = process.memoryUsage()
  return { rss: m.rss / MB, heap: m.heapUsed / MB }
}

const round = (x: number): number => Math.round(x * 10) / 10

interface Rig {
  victim: BloomwalkNode
  victimTransport: Transport
  honest: BloomwalkNode
  clock: Clock
  target: FuzzTarget
  /** Sends one datagram from attacker source `i`. */
  send(i: number, bytes: Uint8Array): void
  /** Lets time pass after a batch; resolves when the victim may take more. */
  pace(sent: number): Promise<void>
  /** Lets `ms` of quiet time pass (waiting for the last honest bundles). */
  idle(ms: number): Promise<void>
  close(): Promise<void>
}

/** Remembers identifiers the victim sent to attacker sources (echoing them reaches deeper paths). */
function sniff(target: FuzzTarget, bytes: Uint8Array): void {
  const p = decodePacket(bytes)?.packet
  if (p === undefined || (p.type !== 'introduction-request' && p.type !== 'puncture-request')) return
  target.identifiers.push(p.identifier)
  if (target.identifiers.length > 64) target.identifiers.shift()
}

interface Trio {
  tracker: BloomwalkNode
  victim: BloomwalkNode
  honest: BloomwalkNode
}

/** A tracker, the victim and an honest peer; the two peers know only the tracker and meet through it. */
async function trio(transports: [Transport, Transport, Transport], clock: Clock, rng: () => Rng, overlay: Uint8Array, fast: boolean): Promise<Trio> {
  const [t, v, h] = transports
  const timing = fast ? { stepIntervalMs: 200, candidates: { walkEligibleDelayMs: 1000 } } : {}
  const peer = (transport: Transport): NodeOptions => ({ components: { transport, clock, rng: rng(), store: new MemoryStore() }, settings: { overlays: [overlay], trusted: [t.address()], ...timing } })
  const nodes = { tracker: createNode({ components: { transport: t, clock, rng: rng() }, settings: { role: 'tracker' } }), victim: createNode(peer(v)), honest: createNode(peer(h)) }
  for (const n of Object.values(nodes)) await n.start()
  return nodes
}

async function memoryRig(seed: number, sources: number, pool: Bundle[], overlay: Uint8Array): Promise<Rig> {
  const clock = new ManualClock(1_000_000)
  const rng = new SeededRng(seed)
  const net = new MemoryNetwork({ clock, rng: rng.fork(), latencyMs: 5, maxDatagram: 65_507 })
  const victimTransport = net.bind()
  const { tracker, victim, honest } = await trio([net.bind(), victimTransport, net.bind()], clock, () => rng.fork(), overlay, false)
  // Auto-assigned hosts differ in /16 and /24; a block of 32 shares one /24 (subnet caps).
  const attackers = Array.from({ length: sources }, (_, i) => (i < 32 ? net.bind({ host: `10.250.7.${i + 1}` }) : net.bind()))
  const target: FuzzTarget = { overlay, victim: victimTransport.address(), sources: attackers.map((a) => a.address()), identifiers: [], pool }
  for (const a of attackers) a.onPacket = (_from, bytes) => sniff(target, bytes)
  const advance = async (ms: number): Promise<void> => {
    for (let t = 0; t < ms; t += 250) {
      clock.advance(250)
      await settle()
    }
  }
  // Before the flood the victim and the honest peer have met (through the tracker) and sync.
  await advance(WARM_UP_MS)
  return {
    victim,
    victimTransport,
    honest,
    clock,
    target,
    send: (i, bytes) => attackers[i % attackers.length]!.send(target.victim, bytes),
    pace: async (sent) => {
      if (sent % BATCH === 0) await advance(TICK_MS)
    },
    idle: advance,
    close: async () => {
      await Promise.all([victim.stop(), honest.stop(), tracker.stop()])
    }
  }
}

async function udpRig(pool: Bundle[], overlay: Uint8Array): Promise<Rig> {
  const clock = new SystemClock()
  const transports = [await udp(), await udp(), await udp()] as [Transport, Transport, Transport]
  const victimTransport = transports[1]
  const { tracker, victim, honest } = await trio(transports, clock, () => new CryptoRng(), overlay, true)
  const sockets: Socket[] = []
  for (let i = 0; i < 16; i++) {
    const s = createSocket('udp4')
    await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve))
    sockets.push(s)
  }
  const target: FuzzTarget = { overlay, victim: victimTransport.address(), sources: sockets.map((s) => ({ host: '127.0.0.1', port: s.address().port })), identifiers: [], pool }
  for (const s of sockets) s.on('message', (msg) => sniff(target, new Uint8Array(msg)))
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
  await sleep(UDP_WARM_UP_MS)
  const received = () => victimTransport.stats().datagramsReceived
  return {
    victim,
    victimTransport,
    honest,
    clock,
    target,
    send: (i, bytes) => sockets[i % sockets.length]!.send(bytes, target.victim.port, target.victim.host),
    pace: async (sent) => {
      if (sent % 64 !== 0) return
      // Keep at most ~256 datagrams in flight (the socket buffer); give up waiting after 50 ms.
      const deadline = Date.now() + 50
      while (sent - received() > 256 && Date.now() < deadline) await settle(1)
      await settle(1)
    },
    idle: sleep,
    close: async () => {
      await Promise.all([victim.stop(), honest.stop(), tracker.stop()])
      await Promise.all(transports.map((t) => t.close()))
      for (const s of sockets) s.close()
    }
  }
}

/** Runs one fuzz campaign and reports what happened to the victim. */
export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const seed = options.seed ?? 1
  const rng = new SeededRng(seed)
  const overlay = roomId('fuzz')
  const pool = bundlePool(overlay, [generateKeyPair(rng), generateKeyPair(rng)], rng)
  let processErrors = 0
  const onError = (): void => void processErrors++
  process.on('uncaughtException', onError)
  process.on('unhandledRejection', onError)
  const rig = options.udp === true ? await udpRig(pool, overlay) : await memoryRig(seed, options.sources ?? 256, pool, overlay)
  const { victim, honest, clock } = rig
  const published = new Map<string, number>()
  const latencies: number[] = []
  victim.events.on('bundle', (d) => {
    const key = Buffer.from(d.bundle.id).toString('hex')
    const at = published.get(key)
    if (at !== undefined) latencies.push(clock.now() - at)
  })
  const factory = new DatagramFactory(rng.fork(), rig.target)
  const honestEvery = Math.max(1, options.honestEvery ?? Math.floor(options.count / 20))
  const before = memory()
  const startedAt = performance.now()
  for (let i = 0; i < options.count; i++) {
    if (i % honestEvery === 0) {
      const b = await honest.publish(overlay, new TextEncoder().encode(`honest ${i}`))
      published.set(Buffer.from(b.id).toString('hex'), clock.now())
    }
    rig.send(int(rng, 1 << 30), factory.next())
    await rig.pace(i + 1)
  }
  const seconds = (performance.now() - startedAt) / 1000
  const receivedDuringFlood = latencies.length
  // Quiet time for the honest bundles published last (each reaches the victim on a later walk).
  for (let waited = 0; waited < 300_000 && latencies.length < published.size; waited += 5000) await rig.idle(5000)
  const s = victim.stats()
  const t = rig.victimTransport.stats()
  const tables = { candidates: s.overlays[0]?.candidates.total ?? 0, amplificationTracked: s.amplification.tracked, outstandingRequests: s.outstandingRequests }
  const handled = Object.fromEntries(Object.entries(s.in).map(([k, v]) => [k, v.datagrams]))
  await rig.close()
  process.off('uncaughtException', onError)
  process.off('unhandledRejection', onError)
  const after = memory()
  const handler = s.drops['handler-error'] ?? 0
  return {
    mode: options.udp === true ? 'udp' : 'memory',
    seed,
    sent: options.count,
    reachedVictim: t.datagramsReceived,
    seconds: round(seconds),
    datagramsPerSecond: Math.round(options.count / seconds),
    exceptions: { handler, transport: t.handlerErrors, process: processErrors, total: handler + t.handlerErrors + processErrors },
    drops: s.drops,
    bundleDrops: s.bundleDrops,
    handled,
    bundlesStored: s.bundlesStored,
    memory: { rssBeforeMB: round(before.rss), rssAfterMB: round(after.rss), heapBeforeMB: round(before.heap), heapAfterMB: round(after.heap), heapGrowthMB: round(after.heap - before.heap) },
    honest: { published: published.size, receivedDuringFlood, received: latencies.length, maxLatencyMs: Math.round(Math.max(0, ...latencies)) },
    tables,
    walks: { steps: s.walks, timeouts: s.walkTimeouts }
  }
}

function print(r: FuzzReport): void {
  const sorted = (o: Record<string, number>) => Object.entries(o).sort((a, b) => b[1] - a[1])
  console.log(`bloomwalk fuzz (${r.mode}, seed ${r.seed}): ${r.sent} hostile datagrams in ${r.seconds} s (${r.datagramsPerSecond}/s), ${r.reachedVictim} reached the victim`)
  console.log(`uncaught exceptions: ${r.exceptions.total} (handler ${r.exceptions.handler}, transport ${r.exceptions.transport}, process ${r.exceptions.process})`)
  console.log('drops by reason:')
  for (const [k, v] of sorted(r.drops)) console.log(`  ${k.padEnd(24)} ${v}`)
  console.log('bundle drops by reason:')
  for (const [k, v] of sorted(r.bundleDrops)) console.log(`  ${k.padEnd(24)} ${v}`)
  console.log('handled by packet type:')
  for (const [k, v] of sorted(r.handled)) console.log(`  ${k.padEnd(24)} ${v}`)
  const m = r.memory
  console.log(`memory (after gc): rss ${m.rssBeforeMB} → ${m.rssAfterMB} MB, heap ${m.heapBeforeMB} → ${m.heapAfterMB} MB (${m.heapGrowthMB >= 0 ? '+' : ''}${m.heapGrowthMB} MB)`)
  const h = r.honest
  console.log(`honest peer: ${h.published} published during the flood, ${h.receivedDuringFlood} received during it, ${h.received} in total, max latency ${(h.maxLatencyMs / 1000).toFixed(1)} s${r.mode === 'memory' ? ' (virtual)' : ''}`)
  console.log(`tables: ${r.tables.candidates} candidates, ${r.tables.amplificationTracked} amplification accounts, ${r.tables.outstandingRequests} outstanding requests; ${r.bundlesStored} bundles stored`)
}

async function main(): Promise<void> {
  const args = process.argv.slice(2)
  const option = (name: string, fallback: number): number => {
    const at = args.indexOf(`--${name}`)
    return at >= 0 ? Number(args[at + 1]) : fallback
  }
  const report = await runFuzz({ count: option('count', 100_000), seed: option('seed', 1), udp: args.includes('--udp') })
  if (args.includes('--json')) console.log(JSON.stringify(report))
  else print(report)
  if (report.exceptions.total > 0 || report.honest.received < report.honest.published) process.exitCode = 1
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main()
