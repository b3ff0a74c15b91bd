/**
 * A node's restart over a large store (issue 20: "a restart with 10^6 stored bundles starts
 * syncing in ≤ 1 s"), measured end to end as `bloomwalk node` starts: from creating the
 * LevelDB store to `start()` resolving (store open, the overlay's ledger — global time,
 * count, sketch, expiry count, the room policy's per-author state, byte count —, delivery
 * of what is undelivered, walker started) and to the first walk step on the wire (UDP on
 * loopback, toward one trusted address).
 *
 *   npm run build && node dist/bench/node-restart.js [--bundles 1000000] [--authors 1000] [--json]
 *
 * One store, filled once with `bundles` synthetic bundles (196 bytes, dummy signatures:
 * nothing at start verifies) by `authors` authors, all marked delivered, as a node leaves
 * its store. In the same run, on the same store:
 *  - baseline: open the store and scan every row into a sketch and the policy's per-author
 *    index (what a join did before anything was persisted);
 *  - the first start (no checkpoint yet: the node scans, then checkpoints);
 *  - a restart with the default policy;
 *  - the first start with a policy that has a quota and a history (60 per 1 000 global-time
 *    units, history 1 000, a 1 GiB cap): the store keeps no by-author index for the overlay
 *    yet, so it scans as every such start did before and saves the index (a key per row),
 *    then restarts under that policy, which read an author's rows only when first needed;
 *  - a crash under that policy: a child process (this script, `--crash-writer`) starts the
 *    node over the store and relays `--crash-writes` new bundles (default 10 000) by the
 *    room's authors, each pushing its author's oldest out of the history (a put and a
 *    delete: both logged for the sketch, both keyed in the by-author index); SIGKILL once
 *    90 % are acknowledged; then a restart under the policy.
 * Prints wall and CPU ms of each, the rows the store read, and the ratio to the baseline.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { bundleIdOf, encodeCanonical, roomId, roomPolicy, SIGNATURE_BYTES, type Bundle, type RoomPolicy } from '../src/bundle/index.js'
import { hex } from '../src/bytes.js'
import { SystemClock } from '../src/env/clock.js'
import { CryptoRng } from '../src/env/crypto-rng.js'
import { SeededRng } from '../src/env/rng.js'
import { createNode } from '../src/node/node.js'
import { Sketch } from '../src/reconcile/index.js'
import { LevelStore } from '../src/store/level.js'
import { DEFAULT_SYNC_CONFIG, isSyncable } from '../src/sync/config.js'
import { RetentionIndex } from '../src/sync/retention.js'
import { createUdpTransport } from '../src/transport/udp.js'

/** The tracking policy of the bench: a quota and a history, a cap the store never reaches. */
export const TRACKING_POLICY: RoomPolicy = roomPolicy({ quota: { count: 60, window: 1000 }, history: 1000, storeCapBytes: 1024 * 1024 * 1024 })

export interface Timing {
  wallMs: number
  cpuMs: number
}

export interface StartFigures {
  /** Until `start()` resolved (the node answers walks and offers from then on). */
  started: Timing
  /** Until the first walk step was sent. */
  firstWalkMs: number
  /** Of it, opening the LevelDB store (its recovery replays the write-ahead log the last run left). */
  openMs: number
  /** Store rows read by the start. */
  rowsRead: number
  /** The clean stop that followed (it writes the policy's per-author index when it changed). */
  stopMs: number
}

export interface NodeRestartFigures {
  bundles: number
  authors: number
  fillMs: number
  scan: Timing
  firstStart: StartFigures
  restartDefault: StartFigures
  /** The first start under the quota-and-history policy: the store holds no index for it yet, so it scans (as every start did before). */
  firstPolicy: StartFigures
  restartPolicy: StartFigures
  /** Once more: nothing written since the last start (the log the index's first save left is gone). */
  restartPolicyAgain: StartFigures
  /** The child killed (SIGKILL) while relaying: bundles it had acknowledged, and LevelDB's write-ahead log it left (bytes). */
  crash: { acknowledged: number; walBytes: number }
  /** The restart after the kill, under the quota-and-history policy. */
  restartCrash: StartFigures
}

const FILL_BATCH = 10_000
const OVERLAY = roomId('node-restart')

/** Bundle `i` of the synthetic room, for i in [from, from + count): author i mod `authors`, global time i + 1. */
function* syntheticRoom(count: number, authors: number, seed: number, from = 0): Generator<Bundle[]> {
  const rng = new SeededRng(seed)
  const keys = Array.from({ length: authors }, () => rng.bytes(32))
  const signature = rng.bytes(SIGNATURE_BYTES)
  let batch: Bundle[] = []
  for (let i = from; i < from + count; i++) {
    const body = rng.bytes(54)
    new DataView(body.buffer).setUint32(0, i)
    const fields = { overlay: OVERLAY, globalTime: i + 1, author: keys[i % authors]!, kind: 1, parents: [], body, expiresAt: undefined }
    const bytes = encodeCanonical(fields)
    const n = bytes.length - SIGNATURE_BYTES
    bytes.set(signature, n)
    batch.push({ ...fields, body: bytes.subarray(n - 54, n), signature: bytes.subarray(n), id: bundleIdOf(bytes.subarray(0, n)), bytes })
    if (batch.length === FILL_BATCH) {
      yield batch
      batch = []
    }
  }
  if (batch.length > 0) yield batch
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T } & Timing> {
  const cpu = process.cpuUsage()
  const t0 = performance.now()
  const value = await fn()
  const used = process.cpuUsage(cpu)
  return { value, wallMs: performance.now() - t0, cpuMs: (used.user + used.system) / 1000 }
}

/** Starts a node over the store at `path` (joining the room with `policy`), measures, then stops it. */
async function startNode(path: string, policy: RoomPolicy | undefined): Promise<StartFigures> {
  const peer = await createUdpTransport({ host: '127.0.0.1', port: 0 })
  const transport = await createUdpTransport({ host: '127.0.0.1', port: 0 })
  let walked: number | undefined
  const t0 = performance.now()
  const cpu = process.cpuUsage()
  const store = new LevelStore(path)
  await store.open()
  const openMs = performance.now() - t0
  const node = createNode({
    components: { transport, store, clock: new SystemClock(), rng: new CryptoRng() },
    settings: { overlays: [OVERLAY], trusted: [peer.address()], ...(policy === undefined ? {} : { policies: new Map([[hex(OVERLAY), policy]]) }) }
  })
  const first = new Promise<void>((resolve) => node.events.on('walk', () => ((walked ??= performance.now() - t0), resolve())))
  await node.start()
  const startedWall = performance.now() - t0
  const used = process.cpuUsage(cpu)
  await first
  const rowsRead = store.rowsRead
  const s0 = performance.now()
  await node.stop()
  const stopMs = performance.now() - s0
  await transport.close()
  await peer.close()
  await store.close()
  return { started: { wallMs: startedWall, cpuMs: (used.user + used.system) / 1000 }, firstWalkMs: walked!, openMs, rowsRead, stopMs }
}

/**
 * The crash writer (a child process): starts the node over the store under the tracking
 * policy and relays `writes` bundles newer than the room's, printing the count every 100.
 * Runs until killed (or done).
 */
async function crashWriter(path: string, bundles: number, authors: number, writes: number): Promise<void> {
  const store = new LevelStore(path)
  await store.open()
  const transport = await createUdpTransport({ host: '127.0.0.1', port: 0 })
  const node = createNode({
    // Synthetic bundles carry a dummy signature: the relay's check is skipped, the rest of the intake runs.
    components: { transport, store, clock: new SystemClock(), rng: new CryptoRng(), verifyBundle: () => true },
    settings: { overlays: [OVERLAY], policies: new Map([[hex(OVERLAY), TRACKING_POLICY]]) }
  })
  await node.start()
  const say = (line: string) => new Promise<void>((resolve) => process.stdout.write(line + '\n', () => resolve()))
  await say('STARTED')
  let done = 0
  for (const batch of syntheticRoom(writes, authors, 1, bundles)) {
    for (const b of batch) {
      await node.relay(OVERLAY, b)
      if (++done % 100 === 0) await say(`relayed ${done}`)
    }
  }
  await say('DONE')
}

/** Runs the crash writer over the store; SIGKILLs it once `killAt` relays are acknowledged. */
function crashRun(path: string, bundles: number, authors: number, writes: number, killAt: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--crash-writer', path, '--bundles', String(bundles), '--authors', String(authors), '--crash-writes', String(writes)], { stdio: ['ignore', 'pipe', 'inherit'] })
    let acknowledged = 0
    let text = ''
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => {
      text += chunk
      const lines = text.split('\n')
      text = lines.pop()!
      for (const line of lines) if (line.startsWith('relayed ')) acknowledged = Number(line.slice(8))
      if (acknowledged >= killAt && child.exitCode === null && !child.killed) child.kill('SIGKILL')
    })
    child.on('error', reject)
    child.on('close', (code, signal) => (signal === 'SIGKILL' ? resolve(acknowledged) : reject(new Error(`the crash writer ended before its kill (${code ?? signal})`))))
  })
}

/** Bytes of LevelDB's write-ahead logs in the store's folder (what its next open replays). */
async function walBytes(path: string): Promise<number> {
  let total = 0
  for (const name of await readdir(path)) if (name.endsWith('.log')) total += (await stat(join(path, name))).size
  return total
}

export async function measureNodeRestart(bundles: number, authors: number, progress: (line: string) => void = () => {}, crashWrites = 10_000): Promise<NodeRestartFigures> {
  const dir = await mkdtemp(join(tmpdir(), 'bloomwalk-node-restart-'))
  const path = join(dir, 'db')
  try {
    progress(`filling a LevelDB store with ${bundles} bundles by ${authors} authors, marked delivered`)
    const fill = await timed(async () => {
      const store = new LevelStore(path)
      await store.open()
      for (const batch of syntheticRoom(bundles, authors, 1)) {
        await store.putMany(batch)
        await store.markDelivered(OVERLAY, batch.map((b) => b.id))
      }
      await store.close()
    })

    progress('baseline: open and scan every row into a sketch and the per-author index')
    const scan = await timed(async () => {
      const store = new LevelStore(path)
      await store.open()
      const sketch = new Sketch()
      const index = new RetentionIndex(TRACKING_POLICY)
      for await (const b of store.range({ overlay: OVERLAY, from: 0, to: Number.MAX_SAFE_INTEGER })) {
        if (isSyncable(DEFAULT_SYNC_CONFIG, b.kind)) sketch.add(b.id)
        index.insert({ globalTime: b.globalTime, id: hex(b.id), author: hex(b.author) })
      }
      await store.close()
      return sketch
    })

    progress('first start (no checkpoint: scan, then checkpoint)')
    const firstStart = await startNode(path, undefined)
    progress('restart, default policy')
    const restartDefault = await startNode(path, undefined)
    progress('first start under quota and history (scan; the by-author index is saved)')
    const firstPolicy = await startNode(path, TRACKING_POLICY)
    progress('restart, quota and history')
    const restartPolicy = await startNode(path, TRACKING_POLICY)
    progress('restart, quota and history, again')
    const restartPolicyAgain = await startNode(path, TRACKING_POLICY)
    progress(`crash: a child relays ${crashWrites} bundles under quota and history, SIGKILLed at ${Math.floor(crashWrites * 0.9)}`)
    const acknowledged = await crashRun(path, bundles, authors, crashWrites, Math.floor(crashWrites * 0.9))
    const crash = { acknowledged, walBytes: await walBytes(path) }
    progress('restart after the crash, quota and history')
    const restartCrash = await startNode(path, TRACKING_POLICY)
    const t = (x: Timing): Timing => ({ wallMs: Math.round(x.wallMs * 10) / 10, cpuMs: Math.round(x.cpuMs * 10) / 10 })
    const s = (x: StartFigures): StartFigures => ({ started: t(x.started), firstWalkMs: Math.round(x.firstWalkMs * 10) / 10, openMs: Math.round(x.openMs * 10) / 10, rowsRead: x.rowsRead, stopMs: Math.round(x.stopMs) })
    return {
      bundles,
      authors,
      fillMs: Math.round(fill.wallMs),
      scan: t(scan),
      firstStart: s(firstStart),
      restartDefault: s(restartDefault),
      firstPolicy: s(firstPolicy),
      restartPolicy: s(restartPolicy),
      restartPolicyAgain: s(restartPolicyAgain),
      crash,
      restartCrash: s(restartCrash)
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { bundles: { type: 'string' }, authors: { type: 'string' }, 'crash-writes': { type: 'string' }, 'crash-writer': { type: 'string' }, json: { type: 'boolean' } } })
  const bundles = Number(values.bundles ?? 1_000_000)
  const authors = Number(values.authors ?? 1000)
  const crashWrites = Number(values['crash-writes'] ?? 10_000)
  if (!Number.isSafeInteger(bundles) || bundles < 1 || !Number.isSafeInteger(authors) || authors < 1 || !Number.isSafeInteger(crashWrites) || crashWrites < 100) {
    process.stderr.write('usage: node-restart [--bundles N ≥ 1] [--authors A ≥ 1] [--crash-writes W ≥ 100] [--json]\n')
    process.exit(2)
  }
  if (values['crash-writer'] !== undefined) {
    await crashWriter(values['crash-writer'], bundles, authors, crashWrites)
    process.exit(0)
  }
  const f = await measureNodeRestart(bundles, authors, (line) => process.stderr.write(`node-restart: ${line}\n`), crashWrites)
  if (values.json === true) process.stdout.write(JSON.stringify(f) + '\n')
  else {
    const row = (name: string, x: StartFigures) =>
      `| ${name} | ${x.started.wallMs.toFixed(1)} | ${x.started.cpuMs.toFixed(1)} | ${x.openMs.toFixed(1)} | ${x.firstWalkMs.toFixed(1)} | ${x.rowsRead} | ${(x.firstWalkMs / f.scan.wallMs).toFixed(4)} | ${x.stopMs} |`
    process.stdout.write(
      [
        `node-restart: ${f.bundles} bundles by ${f.authors} authors, node ${process.version} (fill ${(f.fillMs / 1000).toFixed(1)} s)`,
        `baseline, open + scan every row into the sketch and the per-author index: ${f.scan.wallMs.toFixed(1)} ms wall, ${f.scan.cpuMs.toFixed(1)} ms CPU`,
        '| start | start() resolved, wall ms | CPU ms | of it LevelDB open, ms | first walk sent, ms | rows read | first walk ÷ baseline | stop, ms |',
        '|---|---|---|---|---|---|---|---|',
        row('first start (scan, checkpoint)', f.firstStart),
        row('restart, default policy', f.restartDefault),
        row('first start, quota + history (scan)', f.firstPolicy),
        row('restart, quota + history (right after the index was saved)', f.restartPolicy),
        row('restart, quota + history, again', f.restartPolicyAgain),
        row(`restart after a crash (SIGKILL after ${f.crash.acknowledged} relays; ${(f.crash.walBytes / 2 ** 20).toFixed(1)} MiB of LevelDB log left)`, f.restartCrash),
        ''
      ].join('\n')
    )
  }
}
