/**
 * Real `bloomwalk` processes in a {@link NatLab}: a tracker, and nodes that write their
 * status file (`--status`) and publish the lines written to their stdin (`--publish-stdin`).
 * Tests wait for conditions by polling the status file against a deadline.
 */
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { LabProcess, NatLab } from './harness.js'

/** The built command (`npm run build`); `BLOOMWALK_CLI` overrides it. */
export const CLI = process.env.BLOOMWALK_CLI ?? resolve(import.meta.dirname, '..', '..', 'dist', 'src', 'cli', 'main.js')
export const ROOM = 'nat-lab'
export const TRACKER_PORT = 6421
export const NODE_PORT = 7000

/** A candidate as the status file lists it. */
export interface StatusCandidate {
  key: string
  category: 'trusted' | 'walk' | 'stumble' | 'intro'
  lan: { host: string; port: number }
  wan: { host: string; port: number }
  connectionType: string
}

/** A bundle as the status file lists it. */
export interface StatusBundle {
  id: string
  body: string
  from?: string
}

/** The parts of `bloomwalk node --status FILE` the tests read. */
export interface NodeStatus {
  stats: {
    wan: { host: string; port: number }
    connectionType: string
    walks: number
    walkTimeouts: number
    in: Record<string, { datagrams: number }>
    out: Record<string, { datagrams: number }>
    drops: Record<string, number>
    punctures: { expected: number; succeeded: number; failed: number; unmatched: number }
    amplification: { blocked: number }
  }
  candidates: StatusCandidate[]
  published: { count: number; recent: StatusBundle[] }
  delivered: { count: number; recent: StatusBundle[] }
}

export interface NodeOptions {
  /** Milliseconds between walk steps (faster steps also shorten the 27.5 s revisit delay in proportion). */
  stepMs?: number
  /** Offer on every walk step (no idle skip curve). */
  noIdleSkip?: boolean
  /** The tracker's (or any introducer's) puncture-requests switched off. */
  noPunctureRequests?: boolean
  trackers?: string[]
}

/** Waits until `check` returns a value other than `undefined`/`false`, polling every `everyMs`; throws `what` with the last state at the deadline. */
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs: number, describe?: () => string, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await check()
    if (v !== undefined && v !== false) return v
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${describe === undefined ? '' : `\n${describe()}`}`)
    await new Promise((r) => setTimeout(r, everyMs))
  }
}

/** A running tracker. */
export class TrackerProcess {
  constructor(
    readonly proc: LabProcess,
    readonly address: string
  ) {}

  /** Resolves once the tracker has bound its socket (its "listening" log line). */
  async ready(): Promise<this> {
    await waitFor(`the tracker at ${this.address} to listen`, () => readLog(this.proc.log).includes(' listening '), 10_000, () => readLog(this.proc.log))
    return this
  }

  stop(): Promise<void> {
    return this.proc.stop()
  }
}

function readLog(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}

/** Starts `bloomwalk tracker` on a public host, port {@link TRACKER_PORT}, and waits until it listens. */
export function startTracker(lab: NatLab, host: string, options: { noPunctureRequests?: boolean } = {}): Promise<TrackerProcess> {
  const args = [CLI, 'tracker', '--port', String(TRACKER_PORT), '--stats', '0', '--log-level', 'debug']
  if (options.noPunctureRequests === true) args.push('--no-puncture-requests')
  return new TrackerProcess(lab.spawn(host, `tracker-${host}`, process.execPath, args), `${lab.ip(host)}:${TRACKER_PORT}`).ready()
}

/** A running node and its status file. */
export class NodeProcess {
  constructor(
    readonly name: string,
    readonly proc: LabProcess,
    readonly statusFile: string
  ) {}

  /** The latest status, or `undefined` before the first write. */
  status(): NodeStatus | undefined {
    try {
      return JSON.parse(readFileSync(this.statusFile, 'utf8')) as NodeStatus
    } catch {
      return undefined
    }
  }

  /** Publishes one bundle whose body is `text` (one line). */
  publish(text: string): void {
    this.proc.child.stdin!.write(text + '\n')
  }

  /** The candidate at `key` in `category`, if it is one now. */
  candidate(key: string, category?: StatusCandidate['category']): StatusCandidate | undefined {
    return this.status()?.candidates.find((c) => c.key === key && (category === undefined || c.category === category))
  }

  /** The delivery of the bundle with body `text`, if it arrived. */
  delivered(text: string): StatusBundle | undefined {
    return this.status()?.delivered.recent.find((b) => b.body === text)
  }

  /** Datagrams received of a packet type. */
  received(type: string): number {
    return this.status()?.stats.in[type]?.datagrams ?? 0
  }

  /** A one-paragraph summary for failure messages. */
  describe(): string {
    const s = this.status()
    if (s === undefined) return `${this.name}: no status yet (log ${this.proc.log})`
    const cands = s.candidates.map((c) => `${c.key}=${c.category}`).join(' ')
    return `${this.name}: wan ${s.stats.wan.host}:${s.stats.wan.port} ${s.stats.connectionType}, walks ${s.stats.walks} (timeouts ${s.stats.walkTimeouts}), punctures ${JSON.stringify(s.stats.punctures)}, amplification-blocked ${s.stats.amplification.blocked}, candidates [${cands}], delivered ${s.delivered.count} [${s.delivered.recent.map((b) => `${b.body}<-${b.from ?? '?'}`).join(' ')}], drops ${JSON.stringify(s.stats.drops)} (log ${this.proc.log})`
  }

  stop(): Promise<void> {
    return this.proc.stop()
  }
}

/** Starts `bloomwalk node` on `host` (port {@link NODE_PORT}), with its data and status file in the lab's directory. */
export function startNode(lab: NatLab, host: string, options: NodeOptions = {}): NodeProcess {
  // A restarted node gets a new status file, so nothing is read from its predecessor's.
  const statusFile = lab.file(`node-${host}`, '.status.json')
  const args = [CLI, 'node', '--room', ROOM, '--port', String(NODE_PORT), '--data', join(lab.dir, `${host}.data`), '--status', statusFile, '--publish-stdin', '--stats', '0', '--log-level', 'debug']
  for (const t of options.trackers ?? []) args.push('--tracker', t)
  if (options.stepMs !== undefined) args.push('--step', String(options.stepMs))
  if (options.noPunctureRequests === true) args.push('--no-puncture-requests')
  if (options.noIdleSkip === true) args.push('--no-idle-skip')
  return new NodeProcess(host, lab.spawn(host, `node-${host}`, process.execPath, args), statusFile)
}
