/**
 * `bloomwalk demo`: a tracker and N peers over real UDP on 127.0.0.1, M messages published
 * from random peers, until every peer holds every message or the time limit. Prints what
 * it cost. Exit status 0 only when every peer got every message.
 */
import { availableParallelism } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import type { Logger, LogLevel } from '../env/logger.js'
import { CryptoRng } from '../env/crypto-rng.js'
import { SeededRng, int } from '../env/rng.js'
import { MAX_DATAGRAM_BUDGET, MIN_DATAGRAM_BUDGET, type Strategy } from '../sync/config.js'
import { choiceOption, numberOption } from './args.js'
import { commandLogger, LOG_LEVELS, resolveIo, type CommandIo } from './command.js'
import { showProgress } from './progress.js'
import { bytesText } from './report.js'
import { DESIGN_STEP_MS, scaledNodeOptions } from './pace.js'
import { startSwarm, type Swarm } from './swarm.js'

export const DEMO_USAGE = `usage: bloomwalk demo [--nodes 20] [--messages 200] [--json] [--timeout 120] [--seed S]
                     [--threads T] [--step MS] [--spread 2] [--settle 0] [--strategy largest|modulo|adaptive] [--budget 1200]

Starts a tracker and N peers over real UDP on 127.0.0.1 (ephemeral ports), each peer with
its own LevelDB in a temporary folder (removed afterwards), publishes M messages from
random peers over the first seconds and runs until every peer holds every message or the
time limit. Progress goes to stderr; the summary (seconds, datagrams, bytes, bytes per
delivered message, largest datagram, drops by reason) to stdout. Exit status 0 only when
every peer got every message.

The peers walk every --step ms instead of every 5 s, and the delay before a peer may be
walked to again (27.5 s) shrinks by the same factor; candidate lifetimes and the response
timeout keep their values. All peers share one /24 (127.0.0.1), so the per-subnet
candidate caps are lifted.

  --nodes      peers, 2–1000 (default 20)
  --messages   messages to publish, 1–1000000 (default 200)
  --timeout    time limit in seconds, counted from the first message (default 120)
  --seed       32-bit seed for the peers' keys and random choices and for who publishes
               what (timing still varies); default: random, printed in the summary
  --threads    threads the peers are spread over, as separate processes would use the
               cores (default: one per core, at most one per peer); 1 runs them all in
               this thread (the only choice when running from TypeScript sources)
  --step       ms between walk steps of each peer (default 250, or slower when the peers or
               the messages need it, at most 5000: 20 × peers per thread, so about 50 steps/s
               per thread, which a busy core sustains; and nodes × messages × 1 ms ÷ (10 ×
               threads), so that the deliveries owed fit ten steps of CPU, as they would in
               the simulator; 50 peers and 1 000 messages on 2 threads: 2 500 ms);
               --step 5000 is the design's own pace, nothing compressed: what a chat user sees
  --spread     seconds over which the messages are published (default 2)
  --settle     seconds the peers walk before the first message, so messages meet a room
               that has formed (default 0: publishing starts as the peers start)
  --strategy   range selection: largest (Dispersy's pivot), modulo or adaptive (default largest)
  --budget     UDP payload budget per datagram, ${MIN_DATAGRAM_BUDGET}–${MAX_DATAGRAM_BUDGET} (default 1200)
  --json       print one JSON object: {"nodes", "messages", "converged", "seconds", "datagrams",
               "bytes", "maxDatagramBytes", "drops", "bytesPerDelivery", …, "pairLatencyMs"}
  --log-level  the peers' log level: debug, info, warn, error or silent (default warn)`

/**
 * Default step of the demo, ms: the design's pace ×20, slowed (never beyond the design's own
 * 5 s) so that
 * - the peers sharing one thread take at most ~50 steps/s between them: each step costs the
 *   walker and the walked peer store scans (measured: 50 peers, 1 000 messages, 2 threads on
 *   a loaded 2-core machine converged in 108 s at 500 ms and did not within 120 s at 250 ms);
 * - the deliveries the demo owes (every peer gets every message: nodes × messages, about
 *   {@link DELIVERY_CPU_MS} of CPU each) fit into {@link DELIVERY_STEPS} steps of its threads.
 *   Faster, the peers only queue for the CPU, and the demo measures the machine, not the
 *   protocol: 50 peers / 1 000 messages at 500 ms took 5.8× the simulator's steps on a quiet
 *   2-core machine, at the design's pace 0.7× (docs/evaluation.md §6).
 */
export function defaultStep(nodes: number, threads: number, messages = 0): number {
  const t = Math.max(1, threads)
  const walking = Math.ceil(nodes / t) * STEP_MS_PER_PEER
  const delivering = Math.ceil((nodes * messages * DELIVERY_CPU_MS) / (t * DELIVERY_STEPS))
  return Math.min(DESIGN_STEP_MS, Math.max(DEMO_STEP_MS, walking, delivering))
}

/** Milliseconds of step interval per peer sharing a thread (see {@link defaultStep}). */
const STEP_MS_PER_PEER = 20

/**
 * CPU per (message, receiver) delivery of a demo peer, ms, rounded up: verification, the
 * store's write, the answers and pushes it takes (measured 0.61–0.79 ms at the design's pace
 * with `npm run delivery-cpu -- --nodes 50 --messages 1000 --threads 2`, docs/evaluation.md §6).
 */
export const DELIVERY_CPU_MS = 1

/** Steps the demo's deliveries may take at most of its threads' CPU: about the simulator's steps to converge on the demo's shapes (10–13). */
export const DELIVERY_STEPS = 10

/** The demo's fastest default step, ms. */
export const DEMO_STEP_MS = 250

/** What {@link demo} is given. */
export interface DemoOptions {
  nodes: number
  messages: number
  timeoutSeconds: number
  seed: number
  stepIntervalMs: number
  spreadSeconds: number
  /** Seconds the peers walk before the first message. */
  settleSeconds: number
  strategy: Strategy
  datagramBudget: number
  /** Threads the peers are spread over (1: all in this thread). */
  threads: number
  logLevel: LogLevel
}

/** What the demo measured. The first nine keys are the `--json` contract. */
export interface DemoResult {
  nodes: number
  messages: number
  /** Every peer holds every message. */
  converged: boolean
  /** From the first message until convergence (or the time limit). */
  seconds: number
  /** Datagrams sent by every peer and the tracker until convergence. */
  datagrams: number
  /** UDP payload bytes of those datagrams. */
  bytes: number
  maxDatagramBytes: number
  /** Dropped datagrams and bundles by reason (`bundle:` and `transport:` prefixed). */
  drops: Record<string, number>
  /** Bytes sent by packet type (every peer and the tracker). */
  sentBytes: Record<string, number>
  /** bytes ÷ messages delivered over the network (a peer's own publication is not counted); null before any. */
  bytesPerDelivery: number | null
  /** Messages delivered over the network; converged = messages × (nodes − 1). */
  deliveries: number
  /** Seconds from publication until the last peer had it: median and 90th percentile over messages that reached every peer. */
  latencyP50: number | null
  latencyP90: number | null
  /** Per (message, receiver): publication → that receiver has it, milliseconds (nearest rank); null before any. */
  pairLatencyMs: { p50: number; p90: number; p99: number; max: number } | null
  datagramBudget: number
  stepIntervalMs: number
  /** Threads the peers ran in. */
  threads: number
  seed: number
}

export async function runDemo(argv: string[], out: (line: string) => void, partialIo: Partial<CommandIo> = {}): Promise<number | undefined> {
  const { values } = parseArgs({
    args: argv,
    options: {
      nodes: { type: 'string' },
      messages: { type: 'string' },
      json: { type: 'boolean' },
      timeout: { type: 'string' },
      seed: { type: 'string' },
      step: { type: 'string' },
      spread: { type: 'string' },
      settle: { type: 'string' },
      strategy: { type: 'string' },
      budget: { type: 'string' },
      threads: { type: 'string' },
      'log-level': { type: 'string' },
      help: { type: 'boolean' }
    },
    strict: true,
    allowPositionals: false
  })
  if (values.help === true) {
    out(DEMO_USAGE)
    return undefined
  }
  const io = resolveIo(partialIo)
  const nodes = numberOption('nodes', values.nodes, 20, { integer: true, min: 2, max: 1000 })
  const threads = numberOption('threads', values.threads, Math.min(availableParallelism(), nodes), { integer: true, min: 1, max: 64 })
  const messages = numberOption('messages', values.messages, 200, { integer: true, min: 1, max: 1_000_000 })
  const options: DemoOptions = {
    nodes,
    threads,
    messages,
    timeoutSeconds: numberOption('timeout', values.timeout, 120, { min: 0.001, max: 86_400 }),
    seed: numberOption('seed', values.seed, new CryptoRng().u32(), { integer: true, min: 0, max: 2 ** 32 - 1 }),
    stepIntervalMs: numberOption('step', values.step, defaultStep(nodes, threads, messages), { integer: true, min: 10, max: 60_000 }),
    spreadSeconds: numberOption('spread', values.spread, 2, { min: 0, max: 3600 }),
    settleSeconds: numberOption('settle', values.settle, 0, { min: 0, max: 3600 }),
    strategy: choiceOption('strategy', values.strategy, ['largest', 'modulo', 'adaptive'] as const, 'largest'),
    datagramBudget: numberOption('budget', values.budget, 1200, { integer: true, min: MIN_DATAGRAM_BUDGET, max: MAX_DATAGRAM_BUDGET }),
    logLevel: choiceOption('log-level', values['log-level'], LOG_LEVELS, 'warn')
  }
  const log = commandLogger('demo', options.logLevel, 'warn', io.err)
  const opts = scaledNodeOptions(options.stepIntervalMs, { sameHost: true })
  io.err.write(
    `demo: ${options.nodes} peers in ${Math.min(threads, nodes)} thread(s) + 1 tracker on 127.0.0.1, ${options.messages} messages over ${options.spreadSeconds} s${options.settleSeconds > 0 ? ` after ${options.settleSeconds} s of walking` : ''}, ` +
      `step ${options.stepIntervalMs} ms (×${(DESIGN_STEP_MS / options.stepIntervalMs).toFixed(1)} the design's pace; walk eligibility delay ${opts.candidates?.walkEligibleDelayMs} ms), strategy ${options.strategy}, budget ${options.datagramBudget} B, seed ${options.seed}\n`
  )
  const result = await demo(options, io, log)
  if (values.json === true) out(JSON.stringify(result))
  else for (const line of summary(result)) out(line)
  return result.converged ? 0 : 1
}

/** Runs the demo; resolves when every peer holds every message, at the time limit, or when `io.signal` aborts. */
export async function demo(options: DemoOptions, io: Pick<CommandIo, 'err' | 'signal'>, log: Logger): Promise<DemoResult> {
  const rng = new SeededRng(options.seed)
  const swarm = await startSwarm({
    nodes: options.nodes,
    stepIntervalMs: options.stepIntervalMs,
    rng: rng.fork(),
    sync: { strategy: options.strategy, datagramBudget: options.datagramBudget },
    logger: log,
    logLevel: options.logLevel,
    err: io.err,
    threads: options.threads,
    signal: io.signal
  })
  try {
    return await measure(swarm, options, rng, io)
  } finally {
    await swarm.close()
  }
}

async function measure(swarm: Swarm, options: DemoOptions, rng: SeededRng, io: Pick<CommandIo, 'err' | 'signal'>): Promise<DemoResult> {
  const { nodes: n, messages: m } = options
  const target = n * m
  let pairs = 0
  let deliveries = 0
  const reached = new Map<string, { at: number; count: number }>()
  const latencies: number[] = []
  const pairLatencies: number[] = []
  const now = (): number => performance.now()
  let start = now()
  const stopped = new AbortController()
  let failure: unknown
  const fail = (err: unknown): void => {
    failure ??= err
    stopped.abort()
  }
  const finished = new Promise<void>((resolve) => {
    swarm.onDelivery = (_peer, id, network) => {
      pairs++
      if (network) deliveries++
      const r = reached.get(id)
      // The first delivery of a message is (almost always) its publisher's own: the publication time.
      if (r === undefined) reached.set(id, { at: now(), count: 1 })
      else {
        pairLatencies.push(now() - r.at)
        if (++r.count === n) latencies.push((now() - r.at) / 1000)
      }
      if (pairs === target) resolve()
    }
  })
  swarm.onError = fail
  const onAbort = (): void => stopped.abort()
  io.signal.addEventListener('abort', onAbort, { once: true })
  if (options.settleSeconds > 0) await sleep(options.settleSeconds * 1000, undefined, { signal: stopped.signal }).catch(() => undefined)
  const progress = showProgress(io.err, () => ({
    fraction: pairs / target,
    text: `${pairs}/${target} (peer, message) pairs, ${((now() - start) / 1000).toFixed(1)} s`
  }))
  start = now()
  const publishing = publish(swarm, options, rng, start, stopped.signal)
  const limit = sleep(options.timeoutSeconds * 1000, undefined, { signal: stopped.signal }).catch(() => undefined)
  await Promise.race([finished, limit, new Promise<void>((resolve) => stopped.signal.addEventListener('abort', () => resolve(), { once: true }))])
  const seconds = (now() - start) / 1000
  const converged = pairs === target
  const counts = await swarm.counts()
  stopped.abort()
  io.signal.removeEventListener('abort', onAbort)
  progress.stop()
  await publishing
  if (failure !== undefined) throw failure
  latencies.sort((a, b) => a - b)
  pairLatencies.sort((a, b) => a - b)
  const rank = (p: number) => Math.round(pairLatencies[Math.min(pairLatencies.length, Math.max(1, Math.ceil((p / 100) * pairLatencies.length))) - 1]!)
  return {
    nodes: n,
    messages: m,
    converged,
    seconds: round(seconds, 2),
    datagrams: counts.datagrams,
    bytes: counts.bytes,
    maxDatagramBytes: counts.maxDatagramBytes,
    drops: counts.drops,
    sentBytes: counts.sentBytes,
    bytesPerDelivery: deliveries === 0 ? null : round(counts.bytes / deliveries, 1),
    deliveries,
    latencyP50: quantile(latencies, 0.5),
    latencyP90: quantile(latencies, 0.9),
    pairLatencyMs: pairLatencies.length === 0 ? null : { p50: rank(50), p90: rank(90), p99: rank(99), max: rank(100) },
    datagramBudget: options.datagramBudget,
    stepIntervalMs: options.stepIntervalMs,
    threads: swarm.groups.length,
    seed: options.seed
  }
}

/**
 * Publishes the messages from random peers, evenly over the spread. Each publication starts
 * on time without waiting for the previous one to be stored (a busy store must not
 * stretch the spread); failures reach the swarm's `onError`.
 */
async function publish(swarm: Swarm, options: DemoOptions, rng: SeededRng, start: number, signal: AbortSignal): Promise<void> {
  const { messages: m, nodes: n } = options
  const encoder = new TextEncoder()
  for (let i = 0; i < m && !signal.aborted; i++) {
    const wait = start + (i * options.spreadSeconds * 1000) / m - performance.now()
    if (wait > 1) await sleep(wait, undefined, { signal }).catch(() => undefined)
    if (signal.aborted) break
    const who = int(rng, n)
    swarm.publish(who, encoder.encode(JSON.stringify({ nick: `node-${who}`, text: `demo message ${i + 1} of ${m}` })))
  }
}

/** The human-readable summary. */
export function summary(r: DemoResult): string[] {
  const lines: string[] = []
  const received = r.messages * (r.nodes - 1)
  lines.push(
    r.converged
      ? `converged: all ${r.nodes} peers hold all ${r.messages} messages after ${r.seconds.toFixed(2)} s`
      : `NOT converged after ${r.seconds.toFixed(2)} s: ${r.deliveries} of ${received} deliveries (${((100 * r.deliveries) / received).toFixed(1)} %)`
  )
  lines.push(`traffic: ${r.datagrams} datagrams, ${bytesText(r.bytes)} (${r.bytes} bytes), ${r.bytesPerDelivery ?? '–'} bytes and ${r.deliveries === 0 ? '–' : (r.datagrams / r.deliveries).toFixed(2)} datagrams per delivered message`)
  lines.push(`largest datagram: ${r.maxDatagramBytes} bytes (budget ${r.datagramBudget})`)
  const p = r.pairLatencyMs
  if (p !== null) lines.push(`latency per (message, receiver): P50 ${p.p50} ms, P90 ${p.p90} ms, P99 ${p.p99} ms, max ${p.max} ms (walk step ${r.stepIntervalMs} ms)`)
  if (r.latencyP50 !== null) lines.push(`time until every peer had a message: median ${r.latencyP50.toFixed(2)} s, 90th percentile ${(r.latencyP90 ?? 0).toFixed(2)} s`)
  const sent = Object.entries(r.sentBytes).sort((a, b) => b[1] - a[1])
  if (sent.length > 0) lines.push(`bytes sent by packet type: ${sent.map(([k, v]) => `${k} ${bytesText(v)}`).join(', ')}`)
  const drops = Object.entries(r.drops).sort((a, b) => b[1] - a[1])
  lines.push(`drops: ${drops.length === 0 ? 'none' : drops.map(([k, v]) => `${k} ${v}`).join(', ')}`)
  lines.push(`seed: ${r.seed} (--seed ${r.seed} repeats the keys and choices; timing still varies)`)
  return lines
}

function round(x: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null
  return round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!, 2)
}
