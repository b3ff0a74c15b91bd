/**
 * Restart with a large store (issue 25, docs/store.md "The persisted sketch"): how long
 * until catch-up is ready, i.e. the overlay's coded-symbol sketch is in memory. Baseline,
 * measured in the same run on the same store: what a join did before the sketch was
 * persisted, a scan of every row building the sketch. Then: open the store and restore the
 * persisted sketch (checkpoint + log replay), after a clean close and after `--log` more
 * puts since the checkpoint (the log a crash would leave to replay, at most 8 192 entries).
 *
 *   npm run build && node dist/bench/sketch-restart.js [--bundles 1000000] [--log 8000] [--json]
 *
 * Prints wall and CPU milliseconds of each (opening the store, LevelDB's own recovery
 * included, and restoring apart) and the ratio to the baseline. The store is a
 * temporary LevelDB folder filled with synthetic 196-byte bundles (bench/fixtures.ts), removed
 * at the end. Filling 10^6 bundles takes a minute or two; it is not measured.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { syncedKinds } from '../src/node/sketch-persistence.js'
import { Sketch } from '../src/reconcile/index.js'
import { LevelStore } from '../src/store/level.js'
import { DEFAULT_SYNC_CONFIG, isSyncable } from '../src/sync/config.js'
import { syntheticBundles } from './fixtures.js'

export interface RestartFigures {
  bundles: number
  log: number
  /** Milliseconds (wall, CPU) of each way to get the sketch after opening the store. */
  scan: { wallMs: number; cpuMs: number }
  checkpoint: { wallMs: number; cpuMs: number }
  /** Opening the store (LevelDB recovery included), then restoring the sketch: after a clean close... */
  open: { wallMs: number; cpuMs: number }
  restore: { wallMs: number; cpuMs: number }
  /** ...and after `log` more puts since the checkpoint. */
  openWithLog: { wallMs: number; cpuMs: number }
  restoreWithLog: { wallMs: number; cpuMs: number }
}

const FILL_BATCH = 10_000

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; wallMs: number; cpuMs: number }> {
  const cpu = process.cpuUsage()
  const t0 = performance.now()
  const value = await fn()
  const used = process.cpuUsage(cpu)
  return { value, wallMs: performance.now() - t0, cpuMs: (used.user + used.system) / 1000 }
}

export async function measureRestart(bundles: number, log: number, progress: (line: string) => void = () => {}): Promise<RestartFigures> {
  const dir = await mkdtemp(join(tmpdir(), 'bloomwalk-sketch-restart-'))
  const path = join(dir, 'db')
  const kinds = syncedKinds(DEFAULT_SYNC_CONFIG)
  try {
    progress(`filling a LevelDB store with ${bundles} bundles`)
    const all = syntheticBundles({ overlay: 'sketch-restart', count: bundles + log, maxGlobalTime: bundles + log, signed: 0 })
    const overlay = all[0]!.overlay
    let store = new LevelStore(path)
    await store.open()
    for (let i = 0; i < bundles; i += FILL_BATCH) await store.putMany(all.slice(i, Math.min(bundles, i + FILL_BATCH)))
    await store.close()

    progress('baseline: open and scan every row into a sketch (the join before the sketch was persisted)')
    store = new LevelStore(path)
    const scan = await timed(async () => {
      await store.open()
      const sketch = new Sketch()
      for await (const b of store.range({ overlay, from: 0, to: Number.MAX_SAFE_INTEGER })) if (isSyncable(DEFAULT_SYNC_CONFIG, b.kind)) sketch.add(b.id)
      return sketch
    })
    progress('checkpoint (the first join writes it once)')
    const mark = store.sketchMark(overlay)
    const checkpoint = await timed(() => store.saveSketch(overlay, kinds, scan.value, { expiring: 0, bytes: 0 }, mark))
    if (!checkpoint.value) throw new Error('the checkpoint was refused')
    await store.close()

    progress('restart: open and restore the persisted sketch')
    store = new LevelStore(path)
    const open = await timed(() => store.open())
    const restore = await timed(async () => {
      const sketch = new Sketch()
      if ((await store.loadSketch(overlay, kinds, sketch)) === undefined) throw new Error('no persisted sketch')
      return sketch
    })
    if (!restore.value.equals(scan.value)) throw new Error('the restored sketch differs from the scanned one')
    for (let i = bundles; i < bundles + log; i += FILL_BATCH) await store.putMany(all.slice(i, Math.min(bundles + log, i + FILL_BATCH)))
    await store.close()

    progress(`restart after ${log} more puts: open, restore, replay the log`)
    store = new LevelStore(path)
    const openWithLog = await timed(() => store.open())
    const restoreWithLog = await timed(async () => {
      const sketch = new Sketch()
      if ((await store.loadSketch(overlay, kinds, sketch)) === undefined) throw new Error('no persisted sketch')
      return sketch
    })
    await store.close()
    if (!restoreWithLog.value.equals(Sketch.from(all.map((b) => b.id)))) throw new Error('the restored sketch differs from the sketch of every bundle')
    const figures = (t: { wallMs: number; cpuMs: number }) => ({ wallMs: Math.round(t.wallMs * 10) / 10, cpuMs: Math.round(t.cpuMs * 10) / 10 })
    return {
      bundles,
      log,
      scan: figures(scan),
      checkpoint: figures(checkpoint),
      open: figures(open),
      restore: figures(restore),
      openWithLog: figures(openWithLog),
      restoreWithLog: figures(restoreWithLog)
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { bundles: { type: 'string' }, log: { type: 'string' }, json: { type: 'boolean' } } })
  const bundles = Number(values.bundles ?? 1_000_000)
  const log = Number(values.log ?? 8000)
  if (!Number.isSafeInteger(bundles) || bundles < 1 || !Number.isSafeInteger(log) || log < 0) {
    process.stderr.write('usage: sketch-restart [--bundles N ≥ 1] [--log M ≥ 0] [--json]\n')
    process.exit(2)
  }
  const f = await measureRestart(bundles, log, (line) => process.stderr.write(`sketch-restart: ${line}\n`))
  if (values.json === true) process.stdout.write(JSON.stringify(f) + '\n')
  else {
    const sum = (x: { wallMs: number; cpuMs: number }, y: { wallMs: number; cpuMs: number }) => ({ wallMs: x.wallMs + y.wallMs, cpuMs: x.cpuMs + y.cpuMs })
    const row = (name: string, t: { wallMs: number; cpuMs: number }) =>
      `| ${name} | ${t.wallMs.toFixed(1)} | ${t.cpuMs.toFixed(1)} | ${(t.wallMs / f.scan.wallMs).toFixed(4)} | ${(t.cpuMs / f.scan.cpuMs).toFixed(4)} |`
    process.stdout.write(
      [
        `sketch-restart: ${f.bundles} bundles, node ${process.version}`,
        '| catch-up ready after | wall ms | CPU ms | wall ÷ scan | CPU ÷ scan |',
        '|---|---|---|---|---|',
        row('open + scan every row (baseline)', f.scan),
        row('checkpoint write (first join only)', f.checkpoint),
        row('open + restore (clean restart)', sum(f.open, f.restore)),
        row('  of which restore', f.restore),
        row(`open + restore + replay ${f.log} log entries`, sum(f.openWithLog, f.restoreWithLog)),
        row('  of which restore + replay', f.restoreWithLog),
        ''
      ].join('\n')
    )
  }
}
