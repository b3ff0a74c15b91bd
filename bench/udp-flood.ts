/**
 * A node's socket under a datagram flood over loopback UDP (issue 21, item 5):
 *
 *   npm run measure:flood -- [--kind offer|tiny] [--seconds 5] [--rates 2000,10000] [--buffer 4194304] [--honest-rate 200] [--settle 10,30,60] [--bundles 2000] [--semi-space MB] [--reclaim on|off] [--diagnose] [--json]
 *
 * The node runs in a child process (a peer holding `--bundles` bundles in LevelDB, the store
 * the CLI uses, in a temporary directory; it does not walk). This process floods it from
 * one source with introduction-requests that carry a full Bloom filter (1 200-byte datagrams
 * whose answer reads the store; `--kind tiny`: ~90-byte ones without an offer) at each rate for `--seconds`, while a second source sends
 * small honest introduction-requests at `--honest-rate`. Each rate runs twice, in a fresh
 * child each time: with the operating system's default receive buffer, then with
 * `receiveBufferBytes: --buffer` (capped by net.core.rmem_max; the effective size is
 * printed as the kernel reports it, which on Linux is twice the usable size).
 *
 * Printed per run: datagrams sent; the kernel's drops at the node's socket (the `drops`
 * column of /proc/net/udp) as a share of what reached it; the share of the honest datagrams
 * that never reached the node's `onPacket` (on loopback only the receive buffer loses
 * them); the node's CPU (share of one core from /proc/PID/stat over the flood and the
 * drain); its RSS before the flood, at its peak (VmHWM), when the drain ended and at each
 * of the `--settle` times after that (default 10, 30 and 60 s), with the V8 heap's used and
 * total size (and its spaces) beside each. `--diagnose` (a diagnostic, not how a node runs):
 * the child runs with --expose-gc and also reports what is live after a full collection,
 * before the flood and after the last `--settle` sample. `--semi-space MB` runs the node with
 * V8's young generation capped (`node --max-semi-space-size=MB`). The node runs the memory
 * reclaimer the long-running commands run (src/env/memory-reclaimer.ts: one full collection once
 * the process is quiet after a burst); `--reclaim off` runs it without. Loopback only; every
 * loop is bounded by `--seconds` and `--settle`.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { createSocket, type Socket } from 'node:dgram'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { getHeapSpaceStatistics } from 'node:v8'
import { BloomFilter } from '../src/bloom/index.js'
import { SystemClock } from '../src/env/clock.js'
import { CryptoRng } from '../src/env/crypto-rng.js'
import { MemoryReclaimer } from '../src/env/memory-reclaimer.js'
import { createNode } from '../src/node/index.js'
import { LevelStore } from '../src/store/level.js'
import { offerSize } from '../src/sync/capacity.js'
import { createUdpTransport, type Transport } from '../src/transport/index.js'
import { encodePacket, type Address } from '../src/wire/index.js'
import { syntheticBundles } from './fixtures.js'

const OVERLAY_NAME = 'udp-flood'
/** What the flood sends: introduction-requests with a full Bloom filter (each answer reads the store), or without one. */
export type FloodKind = 'offer' | 'tiny'
const MB = 1024 * 1024
/** Longest wait for the node to read what its socket still holds after the flood. */
const DRAIN_LIMIT_MS = 15_000

/** What the child reports. */
interface ChildReport {
  port: number
  receiveBufferBytes: number
  /** Datagrams handed to onPacket, by source port. */
  bySource: Record<string, number>
  received: number
  answersDeferred: number
  answersShed: number
  /** Full collections the node's memory reclaimer ran (src/env/memory-reclaimer.ts), and the milliseconds they took. */
  collections: number
  collectMs: number
  /** process.memoryUsage() of the node's process, MB. */
  heapUsedMB: number
  heapTotalMB: number
  externalMB: number
  arrayBuffersMB: number
  /** v8.getHeapSpaceStatistics(): each space's committed and used size, MB. */
  spaces: Record<string, { sizeMB: number; usedMB: number }>
}

/** The node's memory at one moment, MB: VmRSS and process.memoryUsage(). */
export interface MemorySample {
  /** Seconds after the flood ended (its drain included); 0 before it. */
  seconds: number
  rssMB: number
  heapUsedMB: number
  heapTotalMB: number
  externalMB: number
  arrayBuffersMB: number
  /** The V8 heap's spaces (new, old, code, large objects, …): committed and used, MB. */
  spaces: Record<string, { sizeMB: number; usedMB: number }>
}

export interface FloodRun {
  rate: number
  /** Requested receive buffer (undefined: the operating system's default). */
  requestedBuffer: number | undefined
  /** The socket's receive buffer as the kernel reports it. */
  receiveBufferBytes: number
  floodSent: number
  honestSent: number
  /** Kernel drops at the node's socket ÷ (drops + datagrams the node read). */
  kernelDropShare: number
  /** Honest datagrams that never reached the node ÷ honest datagrams sent. */
  honestLostShare: number
  /** CPU seconds of the node ÷ wall seconds, over the flood and the drain. */
  cpuShare: number
  /** CPU seconds of the node over the flood and the drain. */
  cpuSeconds: number
  /** Before the flood. */
  before: MemorySample
  /** VmHWM: the most resident at any time, MB. */
  rssPeakMB: number
  /** At the end of the drain (`seconds` 0 after it). */
  drained: MemorySample
  /** At each `--settle` time after the drain (what RSS holds beyond the heap is memory V8 and the allocator keep). */
  after: MemorySample[]
  /** `--diagnose`: the same after a full collection (gc(), the child runs with --expose-gc), before the flood and after the last `--settle` sample: what is live. */
  live?: { before: MemorySample; after: MemorySample }
  /** Datagrams the node read during the flood and the drain. */
  answered: number
  /** Offers the node answered without bundles (too many answers in progress). */
  answersShed: number
  /** Full collections the node's memory reclaimer ran, from its start to the last sample, and the milliseconds they took (undefined: `--reclaim off`). */
  collections: number | undefined
  collectMs: number | undefined
}

// ---- the node (child process) ----

async function child(options: { buffer: number | undefined; bundles: number; reclaim: boolean }): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bloomwalk-flood-'))
  const store = new LevelStore(dir)
  await store.open()
  const fill = syntheticBundles({ overlay: OVERLAY_NAME, count: options.bundles, maxGlobalTime: Math.max(1, Math.floor(options.bundles / 2)), signed: 0 })
  for (const b of fill) await store.put(b)
  const raw = await createUdpTransport({ host: '127.0.0.1', port: 0, receiveBufferBytes: options.buffer })
  const bySource = new Map<number, number>()
  let handler: Transport['onPacket'] = null
  const counted: Transport = {
    send: (to, bytes) => raw.send(to, bytes),
    get onPacket() {
      return handler
    },
    set onPacket(h) {
      handler = h
      raw.onPacket =
        h === null
          ? null
          : (from, bytes) => {
              bySource.set(from.port, (bySource.get(from.port) ?? 0) + 1)
              h(from, bytes)
            }
    },
    address: () => raw.address(),
    close: () => raw.close(),
    stats: () => raw.stats()
  }
  const node = createNode({ components: { transport: counted, clock: new SystemClock(), rng: new CryptoRng(), store }, settings: { overlays: [fill[0]!.overlay], stepIntervalMs: 1e9 } })
  await node.start()
  // As the long-running commands run a node (src/cli/node.ts): a full collection once it is quiet after a burst.
  const reclaimer = options.reclaim ? new MemoryReclaimer(new SystemClock()) : undefined
  reclaimer?.start()
  const report = (): ChildReport => ({
    port: raw.address().port,
    receiveBufferBytes: raw.receiveBufferBytes(),
    bySource: Object.fromEntries(bySource),
    received: raw.stats().datagramsReceived,
    answersDeferred: node.stats().answersDeferred,
    answersShed: node.stats().answersShed,
    collections: reclaimer?.stats().collections ?? 0,
    collectMs: reclaimer?.stats().collectMs ?? 0,
    ...heap()
  })
  const heap = (): Pick<ChildReport, 'heapUsedMB' | 'heapTotalMB' | 'externalMB' | 'arrayBuffersMB' | 'spaces'> => {
    const m = process.memoryUsage()
    const spaces = Object.fromEntries(getHeapSpaceStatistics().map((x) => [x.space_name.replace(/_space$/, ''), { sizeMB: x.space_size / MB, usedMB: x.space_used_size / MB }]))
    return { heapUsedMB: m.heapUsed / MB, heapTotalMB: m.heapTotal / MB, externalMB: m.external / MB, arrayBuffersMB: m.arrayBuffers / MB, spaces }
  }
  process.on('message', (m: unknown) => {
    if (m === 'report') process.send?.(report())
    else if (m === 'gc') {
      // --diagnose only (the child then runs with --expose-gc): what is live after a full collection.
      const gc = (globalThis as { gc?: () => void }).gc
      gc?.()
      gc?.()
      process.send?.(report())
    } else if (m === 'stop')
      void (async () => {
        reclaimer?.stop()
        await node.stop()
        await store.close()
        await raw.close()
        await rm(dir, { recursive: true, force: true })
        process.exit(0)
      })()
  })
  process.send?.(report())
}

// ---- the flood (this process) ----

/** The `drops` column of /proc/net/udp for the IPv4 socket bound to 127.0.0.1:`port`. */
async function socketDrops(port: number): Promise<number> {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`
  for (const line of (await readFile('/proc/net/udp', 'utf8')).split('\n').slice(1)) {
    const f = line.trim().split(/\s+/)
    if (f[1] === local) return Number(f[f.length - 1])
  }
  return NaN
}

/** CPU seconds (user + system) of `pid`. */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(f[11]) + Number(f[12])) / 100 // utime, stime in clock ticks (USER_HZ = 100)
}

/** VmRSS and VmHWM (peak) of `pid`, in MB. */
async function memory(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN)
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 }
}

function ask(proc: ChildProcess): Promise<ChildReport> {
  return new Promise((resolve) => proc.once('message', (m) => resolve(m as ChildReport)))
}

async function bound(): Promise<Socket> {
  const s = createSocket('udp4')
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve))
  return s
}

/** Sends `make(i)` to `to` at `rate` per second until `until` (ms, performance.now()); returns how many. */
async function paced(socket: Socket, to: Address, rate: number, until: number, make: (i: number) => Uint8Array): Promise<number> {
  const start = performance.now()
  let sent = 0
  while (performance.now() < until) {
    const due = Math.floor(((performance.now() - start) / 1000) * rate)
    for (; sent < due; sent++) socket.send(make(sent), to.port, to.host)
    await sleep(2)
  }
  return sent
}

/** VmRSS of the child and its process.memoryUsage(), `seconds` after the flood. */
async function sample(proc: ChildProcess, seconds: number, message: 'report' | 'gc' = 'report'): Promise<MemorySample> {
  proc.send(message)
  const r = await ask(proc)
  const { rss } = await memory(proc.pid!)
  return { seconds, rssMB: rss, heapUsedMB: r.heapUsedMB, heapTotalMB: r.heapTotalMB, externalMB: r.externalMB, arrayBuffersMB: r.arrayBuffersMB, spaces: r.spaces }
}

export async function floodRun(options: { rate: number; buffer: number | undefined; seconds: number; honestRate: number; settleSeconds: readonly number[]; bundles: number; kind: FloodKind; diagnose?: boolean; semiSpaceMB?: number; reclaim?: boolean }): Promise<FloodRun> {
  const proc = fork(fileURLToPath(import.meta.url), ['--child', JSON.stringify({ buffer: options.buffer, bundles: options.bundles, reclaim: options.reclaim !== false })], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: [...(options.diagnose === true ? ['--expose-gc'] : []), ...(options.semiSpaceMB === undefined ? [] : [`--max-semi-space-size=${options.semiSpaceMB}`])]
  })
  try {
    const ready = await ask(proc)
    const pid = proc.pid!
    const to: Address = { host: '127.0.0.1', port: ready.port }
    const overlay = syntheticBundles({ overlay: OVERLAY_NAME, count: 1, maxGlobalTime: 1, signed: 0 })[0]!.overlay
    const flooder = await bound()
    const honest = await bound()
    const size = offerSize(1200, 0.01, 'ipv4')
    const request = (from: Address, identifier: number, offer: boolean): Uint8Array =>
      encodePacket(overlay, {
        type: 'introduction-request',
        destination: to,
        sourceLan: from,
        sourceWan: from,
        advice: false,
        connectionType: 'public',
        identifier,
        globalTime: 1,
        sync: offer ? { timeLow: 1, timeHigh: 0, modulo: 1, offset: 0, bloom: new BloomFilter(size.bloomBytes, size.k, identifier) } : undefined
      })
    const floodFrom = { host: '127.0.0.1', port: flooder.address().port }
    const honestFrom = { host: '127.0.0.1', port: honest.address().port }
    // One filter, re-salted by identifier: building 10 000 filters a second would load this process, not the node.
    const floodPackets = Array.from({ length: 64 }, (_, i) => request(floodFrom, i + 1, options.kind === 'offer'))
    await sleep(1000)
    const liveBefore = options.diagnose === true ? await sample(proc, 0, 'gc') : undefined
    const before = await sample(proc, 0)
    const dropsBefore = await socketDrops(ready.port)
    const cpuBefore = await cpuSeconds(pid)
    proc.send('report')
    const receivedBefore = (await ask(proc)).received
    const t0 = performance.now()
    const until = t0 + options.seconds * 1000
    const [floodSent, honestSent] = await Promise.all([paced(flooder, to, options.rate, until, (i) => floodPackets[i % floodPackets.length]!), paced(honest, to, options.honestRate, until, (i) => request(honestFrom, 1_000_000 + i, false))])
    // Drain: until the node has read what its socket holds (its count stops moving).
    let last = -1
    let report: ChildReport = ready
    for (const end = performance.now() + DRAIN_LIMIT_MS; performance.now() < end; ) {
      proc.send('report')
      report = await ask(proc)
      if (report.received === last) break
      last = report.received
      await sleep(250)
    }
    const wall = (performance.now() - t0) / 1000
    const cpu = (await cpuSeconds(pid)) - cpuBefore
    const drops = (await socketDrops(ready.port)) - dropsBefore
    const peak = await memory(pid)
    const drainedAt = performance.now()
    const drained = await sample(proc, 0)
    const after: MemorySample[] = []
    for (const s of [...options.settleSeconds].sort((a, b) => a - b)) {
      await sleep(Math.max(0, drainedAt + s * 1000 - performance.now()))
      after.push(await sample(proc, s))
    }
    const liveAfter = options.diagnose === true ? await sample(proc, after.at(-1)?.seconds ?? 0, 'gc') : undefined
    proc.send('report')
    const settled = await ask(proc)
    flooder.close()
    honest.close()
    const read = report.received - receivedBefore
    return {
      rate: options.rate,
      requestedBuffer: options.buffer,
      receiveBufferBytes: ready.receiveBufferBytes,
      floodSent,
      honestSent,
      kernelDropShare: drops / (drops + read),
      honestLostShare: 1 - (report.bySource[String(honestFrom.port)] ?? 0) / honestSent,
      cpuShare: cpu / wall,
      cpuSeconds: cpu,
      before,
      rssPeakMB: peak.peak,
      drained,
      after,
      ...(liveBefore === undefined || liveAfter === undefined ? {} : { live: { before: liveBefore, after: liveAfter } }),
      answered: report.received - receivedBefore,
      answersShed: settled.answersShed,
      collections: options.reclaim === false ? undefined : settled.collections,
      collectMs: options.reclaim === false ? undefined : settled.collectMs
    }
  } finally {
    proc.send('stop')
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        proc.kill('SIGKILL')
        resolve()
      }, 10_000)
      proc.once('exit', () => {
        clearTimeout(timer)
        resolve()
      })
    })
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { child: { type: 'string' }, kind: { type: 'string' }, seconds: { type: 'string' }, rates: { type: 'string' }, buffer: { type: 'string' }, 'honest-rate': { type: 'string' }, settle: { type: 'string' }, bundles: { type: 'string' }, json: { type: 'boolean' }, diagnose: { type: 'boolean' }, 'semi-space': { type: 'string' }, reclaim: { type: 'string' } }
  })
  if (values.child !== undefined) return child(JSON.parse(values.child) as { buffer: number | undefined; bundles: number; reclaim: boolean })
  const seconds = Number(values.seconds ?? 5)
  const rates = (values.rates ?? '2000,10000').split(',').map(Number)
  const larger = Number(values.buffer ?? 4 * MB)
  const honestRate = Number(values['honest-rate'] ?? 200)
  const settleSeconds = (values.settle ?? '10,30,60').split(',').map(Number)
  const bundles = Number(values.bundles ?? 2000)
  const kind = (values.kind ?? 'offer') as FloodKind
  const semiSpaceMB = values['semi-space'] === undefined ? undefined : Number(values['semi-space'])
  const reclaim = values.reclaim ?? 'on'
  if (![seconds, larger, honestRate, ...settleSeconds, bundles, ...rates].every((n) => Number.isFinite(n) && n > 0) || seconds > 60 || settleSeconds.some((s) => s > 300) || (semiSpaceMB !== undefined && !(Number.isInteger(semiSpaceMB) && semiSpaceMB >= 1 && semiSpaceMB <= 64)) || (kind !== 'offer' && kind !== 'tiny') || (reclaim !== 'on' && reclaim !== 'off')) {
    console.error('usage: udp-flood [--kind offer|tiny] [--seconds 1..60] [--rates R,R] [--buffer BYTES] [--honest-rate R] [--settle S,S (1..300 s after the flood; default 10,30,60)] [--bundles N] [--semi-space 1..64 (MB: node --max-semi-space-size)] [--reclaim on|off] [--diagnose] [--json]')
    process.exitCode = 2
    return
  }
  const rmemMax = Number((await readFile('/proc/sys/net/core/rmem_max', 'utf8').catch(() => 'NaN')).trim())
  const rmemDefault = Number((await readFile('/proc/sys/net/core/rmem_default', 'utf8').catch(() => 'NaN')).trim())
  if (values.json !== true) console.log(`flood of ${seconds} s from one source (introduction-requests ${kind === 'offer' ? 'with a full Bloom filter, 1 200 bytes' : 'without an offer'}) + ${honestRate} honest datagrams/s; node holds ${bundles} bundles in LevelDB${semiSpaceMB === undefined ? '' : `, runs with --max-semi-space-size=${semiSpaceMB}`}; rmem_default ${rmemDefault}, rmem_max ${rmemMax}`)
  const runs: FloodRun[] = []
  for (const rate of rates) {
    for (const buffer of [undefined, larger]) {
      const r = await floodRun({ rate, buffer, seconds, honestRate, settleSeconds, bundles, kind, diagnose: values.diagnose === true, semiSpaceMB, reclaim: reclaim === 'on' })
      runs.push(r)
      if (values.json === true) console.log(JSON.stringify(r))
      else {
        const pct = (x: number): string => `${(100 * x).toFixed(1)} %`
        const space = (m: MemorySample, name: string): string => `${name} ${(m.spaces[name]?.usedMB ?? 0).toFixed(0)}/${(m.spaces[name]?.sizeMB ?? 0).toFixed(0)}`
        const mem = (m: MemorySample): string => `${m.rssMB.toFixed(0)} (heap ${m.heapUsedMB.toFixed(0)}/${m.heapTotalMB.toFixed(0)}: ${['new', 'old', 'code', 'large_object'].map((n) => space(m, n)).join(', ')}; external ${m.externalMB.toFixed(0)})`
        console.log(
          `${String(rate).padStart(6)}/s buffer ${(buffer === undefined ? 'default' : String(buffer)).padEnd(8)} (kernel ${r.receiveBufferBytes}): sent ${r.floodSent} + ${r.honestSent} honest; kernel dropped ${pct(r.kernelDropShare)}, honest lost ${pct(r.honestLostShare)}; node CPU ${pct(r.cpuShare)} of a core; ${r.answersShed} offers shed${r.collections === undefined ? '' : `; reclaimer: ${r.collections} collection(s), ${(r.collectMs ?? 0).toFixed(0)} ms`}\n` +
            `        RSS MB (V8 heap used/total): before ${mem(r.before)} → peak ${r.rssPeakMB.toFixed(0)} → drained ${mem(r.drained)}${r.after.map((m) => ` → ${m.seconds} s after ${mem(m)}`).join('')}` +
            (r.live === undefined ? '' : `\n        live after a full collection (diagnostic): before ${mem(r.live.before)} → after ${mem(r.live.after)}`)
        )
      }
    }
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main()
