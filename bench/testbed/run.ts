/**
 * One testbed run (docs/evaluation.md, "Simulator fidelity"): a tracker and N real
 * `bloomwalk node` processes, each in a network namespace of its own ({@link Testbed}),
 * publishing M messages on a seeded schedule through their stdin, and every (message,
 * receiver) delivery time read from the nodes' `--deliveries` files. Everything started is
 * stopped and deleted on return, on error and on abort (Ctrl-C).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, readSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join, resolve } from 'node:path'
import { BUNDLE_FIXED_BYTES } from '../../src/bundle/codec.js'
import { float, int, SeededRng } from '../../src/env/rng.js'
import { Testbed, type TestbedNat } from './lab.js'
import { summarise, type FidelityFigures } from './figures.js'
import type { FidelityScenario } from './scenario.js'

/** The built CLI the nodes run (`npm run build`), from sources or from dist/bench; `BLOOMWALK_CLI` overrides it. */
export const CLI = process.env.BLOOMWALK_CLI ?? builtCli()

function builtCli(): string {
  const root = resolve(import.meta.dirname, '..', '..')
  return basename(root) === 'dist' ? join(root, 'src', 'cli', 'main.js') : join(root, 'dist', 'src', 'cli', 'main.js')
}
const ROOM = 'bloomwalk-testbed'
const TRACKER_PORT = 6421
const NODE_PORT = 7000
/** ms a node has to stop after SIGTERM before it is killed. */
const STOP_GRACE_MS = 15_000
/** Node processes started at once (each start costs a core ~0.3 s). */
const START_BATCH = 5

/** One line of a node's `--deliveries` file. */
interface DeliveryLine {
  t: number
  walks: number
  body?: string
  /** Published by this node's key. */
  own?: boolean
  from?: string
  bytes?: number
}

/** A node's file, read incrementally. */
class Tail {
  #offset = 0
  #rest = ''
  constructor(readonly path: string) {}

  lines(): DeliveryLine[] {
    let size: number
    try {
      size = statSync(this.path).size
    } catch {
      return []
    }
    if (size <= this.#offset) return []
    const fd = openSync(this.path, 'r')
    try {
      const buf = Buffer.alloc(size - this.#offset)
      readSync(fd, buf, 0, buf.length, this.#offset)
      this.#offset = size
      const text = this.#rest + buf.toString('utf8')
      const parts = text.split('\n')
      this.#rest = parts.pop() ?? ''
      return parts.filter(Boolean).map((l) => JSON.parse(l) as DeliveryLine)
    } finally {
      closeSync(fd)
    }
  }
}

/** What a run measured, raw: per node its walk/traffic samples, per message its publication and deliveries. */
export interface TestbedRaw {
  /** Wall ms of the publication window's start. */
  origin: number
  /** Per node: [t, walk steps, bytes sent] samples (the node's `walks`: step timers fired, not requests). */
  traffic: Array<Array<[number, number, number]>>
  /** Per message: the author, publication wall ms (null: never published) and delivery wall ms per receiver (null: not delivered). */
  messages: Array<{ author: number; published: number | null; delivered: Array<number | null> }>
  /** The run ended at the time limit (or abort) before every pair was delivered. */
  timedOut: boolean
}

export interface TestbedOptions {
  signal?: AbortSignal
  /** Progress lines (stderr). */
  log?: (line: string) => void
  /** Keep the scratch directory (logs, data) and print where it is. */
  keep?: boolean
}

function bodyOf(m: number, bytes: number): string {
  const head = `tb${m} `
  return head + 'x'.repeat(Math.max(0, bytes - BUNDLE_FIXED_BYTES - head.length))
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) return resolve()
    const t = setTimeout(done, ms)
    function done(): void {
      clearTimeout(t)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    signal?.addEventListener('abort', done, { once: true })
  })
}

/** The NATs of a scenario: `share` nodes behind each (the last may hold fewer). */
export function natLayout(s: FidelityScenario): Array<{ kind: TestbedNat; hosts: number }> {
  if (s.nat === 'none') return []
  const out: Array<{ kind: TestbedNat; hosts: number }> = []
  for (let left = s.nodes; left > 0; left -= s.share) out.push({ kind: s.nat, hosts: Math.min(s.share, left) })
  return out
}

/** The publication schedule of a scenario: message m by `author` at `at` ms after the window opens (seeded, as the simulator's: random author, uniform time). */
export function schedule(s: FidelityScenario): Array<{ m: number; author: number; at: number }> {
  const rng = new SeededRng(s.seed)
  const out = Array.from({ length: s.messages }, (_, m) => ({ m, author: int(rng, s.nodes), at: float(rng) * s.spreadMs }))
  return out.sort((a, b) => a.at - b.at)
}

/** Runs the scenario on real processes. */
export async function runTestbed(s: FidelityScenario, options: TestbedOptions = {}): Promise<{ raw: TestbedRaw; figures: FidelityFigures }> {
  const log = options.log ?? (() => undefined)
  const aborted = (): boolean => options.signal?.aborted === true
  const dir = mkdtempSync(join(tmpdir(), 'bloomwalk-testbed-'))
  const nats = natLayout(s)
  const children: ChildProcess[] = []
  let lab: Testbed | undefined
  try {
    log(`testbed: building ${1 + (nats.length === 0 ? s.nodes : 0)} public hosts and ${nats.length} NAT routers`)
    lab = await Testbed.up({ publicHosts: nats.length === 0 ? 1 + s.nodes : 1, nats, latencyMs: s.latencyMs, jitterMs: s.jitterMs, loss: s.loss }, { signal: options.signal })
    const [trackerHost, ...nodeHosts] = lab.hosts
    const start = (ns: string, args: string[], stdin: boolean): ChildProcess => {
      const child = spawn('ip', ['netns', 'exec', ns, process.execPath, CLI, ...args], { stdio: [stdin ? 'pipe' : 'ignore', 'ignore', 'inherit'] })
      child.stdin?.on('error', () => undefined)
      children.push(child)
      return child
    }
    start(trackerHost!.ns, ['tracker', '--port', String(TRACKER_PORT), '--stats', '0', '--log-level', 'warn'], false)
    const tracker = `${trackerHost!.ip}:${TRACKER_PORT}`
    const tails: Tail[] = []
    const nodes: ChildProcess[] = []
    for (let i = 0; i < s.nodes; i += START_BATCH) {
      if (aborted()) throw new Error('aborted')
      for (let j = i; j < Math.min(s.nodes, i + START_BATCH); j++) {
        const h = nodeHosts[j]!
        const file = join(dir, `${j}.jsonl`)
        tails.push(new Tail(file))
        const args = ['node', '--room', ROOM, '--tracker', tracker, '--port', String(NODE_PORT + h.slot), '--data', join(dir, `${j}.data`), '--deliveries', file, '--publish-stdin', '--step', String(s.stepMs), '--stats', '0', '--log-level', 'warn']
        nodes.push(start(h.ns, args, true))
      }
      // Wait until this batch has written its first line (the node runs) before the next.
      while (tails.slice(i).some((t) => statSafe(t.path) === 0) && !aborted()) await sleep(100, options.signal)
      log(`testbed: ${tails.length}/${s.nodes} nodes running`)
    }
    for (const [k, child] of nodes.entries()) child.once('exit', (code) => code !== 0 && code !== null && log(`testbed: node ${k} exited with ${code}`))
    const traffic: TestbedRaw['traffic'] = Array.from({ length: s.nodes }, () => [])
    const byBody = new Map<string, number>()
    const plan = schedule(s)
    const messages: TestbedRaw['messages'] = Array.from({ length: s.messages }, () => ({ author: -1, published: null, delivered: new Array<number | null>(s.nodes).fill(null) }))
    for (const p of plan) {
      messages[p.m]!.author = p.author
      byBody.set(bodyOf(p.m, s.bundleBytes), p.m)
    }
    let owed = s.messages * (s.nodes - 1)
    const read = (): void => {
      tails.forEach((tail, node) => {
        for (const l of tail.lines()) {
          if (l.bytes !== undefined) traffic[node]!.push([l.t, l.walks, l.bytes])
          if (l.body === undefined) continue
          const m = byBody.get(l.body)
          if (m === undefined) continue
          const msg = messages[m]!
          if (l.own === true) msg.published = l.t
          else if (msg.delivered[node] === null && node !== msg.author) {
            msg.delivered[node] = l.t
            owed--
          }
        }
      })
    }
    await sleep(s.warmupMs, options.signal)
    const origin = Date.now()
    log(`testbed: publishing ${s.messages} messages over ${s.spreadMs} ms`)
    const publishing = (async () => {
      for (const p of plan) {
        const wait = origin + p.at - Date.now()
        if (wait > 0) await sleep(wait, options.signal)
        if (aborted()) return
        nodes[p.author]!.stdin!.write(bodyOf(p.m, s.bundleBytes) + '\n')
      }
    })()
    const deadline = origin + s.timeLimitMs
    let lastLog = 0
    while (owed > 0 && Date.now() < deadline && !aborted()) {
      await sleep(250, options.signal)
      read()
      if (Date.now() - lastLog > 5000) {
        lastLog = Date.now()
        const total = s.messages * (s.nodes - 1)
        log(`testbed: ${total - owed}/${total} pairs delivered, ${((Date.now() - origin) / 1000).toFixed(1)} s`)
      }
    }
    await publishing
    // One more second of traffic lines, so the bytes at full delivery can be read.
    await sleep(1100)
    read()
    const raw: TestbedRaw = { origin, traffic, messages, timedOut: owed > 0 }
    return { raw, figures: summarise(s, raw) }
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM')
    // A node stopped while still starting could hang in its shutdown (seen under load on an
    // abort): after STOP_GRACE_MS it is killed, so the namespaces can go.
    const kill = setTimeout(() => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
    }, STOP_GRACE_MS)
    await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once('exit', r)) : undefined)))
    clearTimeout(kill)
    await lab?.down()
    if (options.keep === true) log(`testbed: files kept in ${dir}`)
    else rmSync(dir, { recursive: true, force: true })
  }
}

function statSafe(path: string): number {
  try {
    return statSync(path).size
  } catch {
    return 0
  }
}
