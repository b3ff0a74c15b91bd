/**
 * Store benchmarks. Setup fills a temp LevelDB (and a MemoryStore) with 100 000 bundles of
 * 196 bytes on global times 1..100 000 (synthetic: a few hundred really signed, the rest with
 * a dummy signature — stores do not verify, see fixtures.ts).
 *
 * Cases: batched put of 1 000 bundles per call into a fresh overlay (LevelDB and memory).
 * Figures: one-shot timings (median of several runs) of a modulo scan with a capacity-like
 * modulo (ceil(100 000 / 834) = 120, random offset, 15 runs — one Bloom filter's worth) and of a full
 * ascending scan; single puts; the initial bulk load.
 *
 *   npm run build && node dist/bench/run.js --only store
 *
 * Goals: batched put ≥ 50 000 bundles/s, modulo scan ≤ 100 ms.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Bundle } from '../src/bundle/index.js'
import { int, SeededRng } from '../src/env/rng.js'
import { LevelStore, MemoryStore, type BundleStore } from '../src/store/index.js'
import { chunks, syntheticBundles } from './fixtures.js'
import type { BenchGroup } from './harness.js'

const SCAN_BUNDLES = 100_000
const BATCH = 1_000
/** Batches prepared for the batched-put case (each is put once; reuse would be a no-op). */
const PUT_POOL_BATCHES = 250
/** Bloom capacity of a 1 000-byte filter at 1 % (DESIGN §4). */
const FILTER_CAPACITY = 834
const SCAN_RUNS = 15

export default function storeBench(): BenchGroup {
  let dir = ''
  let scanStore: LevelStore
  let putStore: LevelStore
  const memScan = new MemoryStore()
  let scanOverlay: Uint8Array = new Uint8Array(32)
  let putPool: Bundle[][] = []
  let memBatch: Bundle[] = []
  let nextBatch = 0
  let reused = 0
  let loadPerSec = 0

  return {
    group: 'store',
    async setup() {
      dir = await mkdtemp(join(tmpdir(), 'bloomwalk-bench-store-'))
      const scanBundles = syntheticBundles({ overlay: 'bench/scan', count: SCAN_BUNDLES, maxGlobalTime: SCAN_BUNDLES, seed: 1 })
      scanOverlay = scanBundles[0]!.overlay
      scanStore = new LevelStore(join(dir, 'scan'))
      await scanStore.open()
      const t0 = performance.now()
      for (const batch of chunks(scanBundles, BATCH)) await scanStore.putMany(batch)
      loadPerSec = SCAN_BUNDLES / ((performance.now() - t0) / 1000)
      // Closing waits for a running background compaction, so it does not skew the cases.
      await scanStore.close()
      await scanStore.open()
      await memScan.open()
      await memScan.putMany(scanBundles)
      putPool = chunks(syntheticBundles({ overlay: 'bench/put', count: PUT_POOL_BATCHES * BATCH, maxGlobalTime: PUT_POOL_BATCHES * BATCH, seed: 2 }), BATCH)
      memBatch = putPool[0]!
      putStore = new LevelStore(join(dir, 'put'))
      await putStore.open()
    },
    async teardown() {
      await scanStore.close()
      await putStore.close()
      await memScan.close()
      await rm(dir, { recursive: true, force: true })
    },
    cases: [
      {
        name: `level putMany ${BATCH} bundles (fresh overlay)`,
        items: BATCH,
        fn: async () => {
          if (nextBatch >= putPool.length) reused++
          await putStore.putMany(putPool[nextBatch++ % putPool.length]!)
        }
      },
      {
        name: `memory putMany ${BATCH} bundles (fresh store)`,
        items: BATCH,
        fn: async () => {
          const store = new MemoryStore()
          await store.open()
          await store.putMany(memBatch)
        }
      }
    ],
    async figures() {
      // The put case left compactions behind; closing waits for the running one.
      await putStore.close()
      const rng = new SeededRng(3)
      const modulo = Math.ceil(SCAN_BUNDLES / FILTER_CAPACITY)
      const full = { overlay: scanOverlay, from: 1, to: SCAN_BUNDLES }
      const moduloRuns = async (store: BundleStore & { rowsRead: number }) => {
        const times: number[] = []
        const cpu: number[] = []
        let rows = 0
        let yielded = 0
        for (let i = 0; i < SCAN_RUNS; i++) {
          const before = store.rowsRead
          const t = await timed(store, { ...full, modulo, offset: int(rng, modulo) })
          times.push(t.ms)
          cpu.push(t.cpuMs)
          rows += store.rowsRead - before
          yielded += t.count
        }
        return { ms: median(times), minMs: Math.min(...times), cpuMs: median(cpu), rows: rows / SCAN_RUNS, yielded: yielded / SCAN_RUNS }
      }
      const level = await moduloRuns(scanStore)
      const memory = await moduloRuns(memScan)
      const fullAsc = median(await repeat(3, async () => (await timed(scanStore, full)).ms))
      const fullDesc = median(await repeat(3, async () => (await timed(scanStore, { ...full, order: 'desc' })).ms))
      const memFull = median(await repeat(3, async () => (await timed(memScan, full)).ms))
      const singles = syntheticBundles({ overlay: 'bench/single', count: 5_000, maxGlobalTime: 5_000, seed: 4 })
      await putStore.open()
      const t0 = performance.now()
      for (const b of singles) await putStore.put(b)
      const singlePerSec = singles.length / ((performance.now() - t0) / 1000)
      return {
        [`level modulo scan ${SCAN_BUNDLES} bundles, modulo ${modulo} (median ms)`]: level.ms,
        'level modulo scan: fastest of the runs (ms)': level.minMs,
        'level modulo scan: process CPU ms per scan, all threads (median)': level.cpuMs,
        'level modulo scan: rows read per scan': level.rows,
        'level modulo scan: bundles yielded per scan': level.yielded,
        [`level full asc scan ${SCAN_BUNDLES} bundles (median ms)`]: fullAsc,
        [`level full desc scan ${SCAN_BUNDLES} bundles (median ms)`]: fullDesc,
        [`memory modulo scan, modulo ${modulo} (median ms)`]: memory.ms,
        [`memory full asc scan ${SCAN_BUNDLES} bundles (median ms)`]: memFull,
        'level put one at a time (bundles/s)': singlePerSec,
        [`level initial load, putMany × ${SCAN_BUNDLES / BATCH} (bundles/s)`]: loadPerSec,
        'level putMany: batches reused (should be 0)': reused
      }
    }
  }
}

/** Wall time, process CPU time (every thread, LevelDB's included) and bundles of one scan. */
async function timed(store: BundleStore, query: Parameters<BundleStore['range']>[0]): Promise<{ ms: number; cpuMs: number; count: number }> {
  const cpu = process.cpuUsage()
  const t = performance.now()
  let count = 0
  for await (const _ of store.range(query)) count++
  const used = process.cpuUsage(cpu)
  return { ms: performance.now() - t, cpuMs: (used.user + used.system) / 1000, count }
}

async function repeat<T>(n: number, fn: () => Promise<T>): Promise<T[]> {
  const out: T[] = []
  for (let i = 0; i < n; i++) out.push(await fn())
  return out
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}
