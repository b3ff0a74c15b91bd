/**
 * MVDS across kill -9 (issue 19): a child process runs a REAL node (LevelStore, loopback UDP,
 * system clock, MVDS batch mode, 20 ms epochs) in a private group with a node `y` in this
 * process. The child sends a message every 15 ms, `y` every 60 ms; the child prints `SENT <body>` once
 * `sendPrivate` resolved and `GOT <body>` for every delivery. The parent SIGKILLs it after a
 * few messages, restarting it on the same database and port — 20 times with
 * BLOOMWALK_MVDS_CRASH=1 (the acceptance criterion, ~30 s), 4 times in CI — then a last run
 * sends nothing and is left to catch up. Checked:
 * - no record lost: every body the child reported SENT reaches `y`, and every body `y`
 *   sent reaches the child (it acknowledged only what it had stored);
 * - no message delivered twice to the application: the child's GOT lines, over all 21
 *   runs, hold no body twice.
 * The child is transpiled like test/store/crash.test.ts (ts.transpileModule of the import
 * closure into a temp package whose node_modules links to the repo's).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildChildPackage } from '../helpers/child-package.js'
import { roomId } from '../../src/bundle/index.js'
import { SystemClock } from '../../src/env/clock.js'
import { SeededRng } from '../../src/env/rng.js'
import { createNode } from '../../src/node/index.js'
import { MemoryStore } from '../../src/store/memory.js'
import { createUdpTransport } from '../../src/transport/udp.js'

/** 20 by the acceptance criterion (BLOOMWALK_MVDS_CRASH=1), 4 in CI; BLOOMWALK_MVDS_KILLS overrides both. */
const KILLS = Number(process.env['BLOOMWALK_MVDS_KILLS'] ?? (process.env['BLOOMWALK_MVDS_CRASH'] === '1' ? 20 : 4))
/**
 * Wall limits, far above the normal (a child starts and sends in ~1 s, the catch-up takes
 * under a second): they only end a run that is stuck, even with the whole suite on 2 cores.
 */
const ROUND_MS = 90_000
const CATCH_UP_MS = 120_000
let root = ''

const CHILD = `
import { createNode } from './src/node/index.js'
import { LevelStore } from './src/store/level.js'
import { createUdpTransport } from './src/transport/udp.js'
import { SystemClock } from './src/env/clock.js'
import { SeededRng } from './src/env/rng.js'
import { keyPairFromSecret, roomId } from './src/bundle/index.js'
const [dbPath, port, peerPort, run, send] = process.argv.slice(2)
const out = (line) => process.stdout.write(line + '\\n')
const group = roomId('mvds crash')
const transport = await createUdpTransport({ host: '127.0.0.1', port: Number(port) })
const store = new LevelStore(dbPath)
const node = createNode({ components: { transport, clock: new SystemClock(), rng: new SeededRng(1000 + Number(run)), keys: keyPairFromSecret(new Uint8Array(32).fill(7)), store }, settings: { overlays: [], trusted: [], mvds: { mode: 'batch', epochMs: 20 } } })
// Every delivery of someone else's bundle: received now, or stored by an earlier run and delivered at start.
node.events.on('bundle', (d) => { if (!d.own) out('GOT ' + new TextDecoder().decode(d.bundle.body)) })
await node.start()
await node.share(group, { host: '127.0.0.1', port: Number(peerPort) })
out('OPEN')
for (let i = 0; send === 'send'; i++) {
  const body = 'x-' + run + '-' + i
  await node.sendPrivate(group, new TextEncoder().encode(body))
  out('SENT ' + body)
  await new Promise((r) => setTimeout(r, 15))
}
// Quiet: report how many of y's messages the store holds, until killed.
for (;;) {
  let held = 0
  for await (const b of store.range({ overlay: group, from: 0, to: Number.MAX_SAFE_INTEGER })) if (new TextDecoder().decode(b.body).startsWith('y-')) held++
  out('HELD ' + held + ' ' + JSON.stringify(node.stats().bundleDrops))
  await new Promise((r) => setTimeout(r, 100))
}
`

interface Run {
  child: ChildProcess
  lines: string[]
  exited: Promise<void>
}

function startChild(dbPath: string, port: number, peerPort: number, run: number, send: boolean): Run {
  const child = spawn(process.execPath, [join(root, 'pkg', 'child.mjs'), dbPath, String(port), String(peerPort), String(run), send ? 'send' : 'quiet'], { stdio: ['ignore', 'pipe', 'pipe'] })
  const r: Run = { child, lines: [], exited: Promise.resolve() }
  let text = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8')
  child.stdout!.on('data', (chunk: string) => {
    text += chunk
    const parts = text.split('\n')
    text = parts.pop()! // a torn last line was never fully reported
    r.lines.push(...parts)
  })
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  r.exited = new Promise((resolvePromise, reject) => {
    child.on('error', reject)
    child.on('exit', (code, signal) => (signal === 'SIGKILL' || code === 0 ? resolvePromise() : reject(new Error(`child failed (${code ?? signal}): ${stderr}`))))
  })
  return r
}

/** Resolves when `ok()` holds, polling; rejects after `ms`. */
async function until(ok: () => boolean, ms: number, what: () => string): Promise<void> {
  const end = Date.now() + ms
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what()}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

describe('MVDS across kill -9', () => {
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'bloomwalk-mvds-crash-'))
    await buildChildPackage(root, ['src/node/index.ts', 'src/store/level.ts', 'src/transport/udp.ts', 'src/env/clock.ts', 'src/env/rng.ts', 'src/bundle/index.ts'], CHILD)
  }, 60_000)

  afterAll(async () => {
    if (root !== '') await rm(root, { recursive: true, force: true })
  })

  // Until 2026-12-07 this lost messages in 2 of 11 runs under load (the child's store held
  // 299 of y's 302, 736 of 737): the MVDS journal was flushed (by the child's own sendPrivate)
  // while a received bundle was still being written, the kill came before the write, and the
  // restarted child found the message in its MVDS store and acknowledged y's retransmission as
  // a duplicate. Now a received message is journaled and acknowledged only once its bundle is
  // stored (src/node/mvds.ts #store; test/node/mvds-persistence.test.ts has the deterministic case).
  it(`no record lost and nothing delivered twice over ${KILLS} kills during traffic`, async () => {
    const group = roomId('mvds crash')
    const dbPath = join(root, 'db')
    const childPort = await freePortBelowEphemeral()
    const yTransport = await createUdpTransport({ host: '127.0.0.1', port: 0 })
    const y = createNode({ components: { transport: yTransport, clock: new SystemClock(), rng: new SeededRng(77), store: new MemoryStore() }, settings: { overlays: [], trusted: [], mvds: { mode: 'batch', epochMs: 20 } } })
    const yGot: string[] = []
    y.events.on('bundle', (d) => d.from !== undefined && yGot.push(new TextDecoder().decode(d.bundle.body)))
    await y.start()
    await y.share(group, { host: '127.0.0.1', port: childPort })
    const ySent: string[] = []
    let sending = true
    const ySending = (async () => {
      for (let j = 0; sending; j++) {
        await y.sendPrivate(group, new TextEncoder().encode(`y-${j}`))
        ySent.push(`y-${j}`)
        await new Promise((r) => setTimeout(r, 60))
      }
    })()
    const childSent: string[] = []
    const childGot: string[] = []
    const take = (r: Run) => {
      for (const l of r.lines) {
        if (l.startsWith('SENT ')) childSent.push(l.slice(5))
        if (l.startsWith('GOT ')) childGot.push(l.slice(4))
      }
    }
    const started = Date.now()
    try {
      for (let round = 0; round < KILLS; round++) {
        const run = startChild(dbPath, childPort, yTransport.address().port, round, true)
        const killAfter = 2 + ((round * 7) % 5)
        await until(() => r(run).sent >= killAfter, ROUND_MS, () => `round ${round}: ${killAfter} SENT lines (${run.lines.length} lines)`)
        run.child.kill('SIGKILL')
        await run.exited
        take(run)
        if (process.env['BLOOMWALK_MVDS_KILLS'] !== undefined) console.log(`round ${round}: ${Date.now() - started} ms, y got ${yGot.length}, child got ${childGot.length}`)
      }
      sending = false
      await ySending
      const last = startChild(dbPath, childPort, yTransport.address().port, KILLS, false)
      const lastHeld = () => last.lines.filter((l) => l.startsWith('HELD ')).at(-1)?.split(' ') ?? []
      const held = () => Number(lastHeld()[1] ?? 0)
      await until(
        () => childSent.every((b) => yGot.includes(b)) && held() === ySent.length,
        CATCH_UP_MS,
        () => `catch-up: y misses ${childSent.filter((b) => !yGot.includes(b)).length}, the child's store holds ${held()} of ${ySent.length} (its drops ${lastHeld()[2] ?? '?'})`
      )
      last.child.kill('SIGKILL')
      await last.exited
      take(last)
    } finally {
      sending = false
      await y.stop()
      await yTransport.close()
    }
    expect(childSent.length).toBeGreaterThanOrEqual(KILLS * 2)
    // No record lost, either way: y received all the child reported sent, and the child's
    // store holds every message y sent (it acknowledged only what it had stored).
    expect(childSent.filter((b) => !yGot.includes(b))).toEqual([])
    // A bundle stored but not delivered at a kill is delivered at the next start (the store's
    // undelivered marks); only a kill between clearing the mark and the callback loses the
    // callback (never the message: the store has it).
    const unannounced = ySent.filter((b) => !childGot.includes(b)).length
    // Nothing delivered twice to the application, across all the restarts.
    expect(childGot.filter((b, i) => childGot.indexOf(b) !== i)).toEqual([])
    expect(yGot.filter((b, i) => yGot.indexOf(b) !== i)).toEqual([])
    // Not bounded here: how many callbacks a kill can cut off, and how many deliveries were
    // still queued at the last kill, belong to the delivery service (docs/causal.md).
    console.log(`mvds kill -9 ×${KILLS}: child sent ${childSent.length} (all received by y); y sent ${ySent.length}, all stored by the child, ${childGot.length} delivered to its application (${unannounced} stored but never announced: killed between the mark and the callback, or still queued at the last kill), none twice`)
  }, KILLS * ROUND_MS + CATCH_UP_MS + 60_000)
})

/**
 * A UDP port on 127.0.0.1 that is free now and that the kernel does not hand out to port-0
 * binds (below ip_local_port_range, 32768 on Linux): the child binds it again after every
 * kill, and another test of the suite must not take it in between.
 */
async function freePortBelowEphemeral(): Promise<number> {
  for (let i = 0; i < 12_000; i++) {
    const port = 20_000 + ((process.pid + i) % 12_000)
    try {
      const probe = await createUdpTransport({ host: '127.0.0.1', port })
      await probe.close()
      return port
    } catch {
      // taken: the next one
    }
  }
  throw new Error('no free UDP port in 20000-31999 on 127.0.0.1')
}

function r(run: Run): { sent: number } {
  return { sent: run.lines.filter((l) => l.startsWith('SENT ')).length }
}
