/**
 * The benchmark harness: tinybench with warm-up, fixed input sizes prepared outside the
 * timed function, and an optional baseline per case. `npm run bench` prints a table;
 * `npm run bench -- --json` prints one JSON object per line.
 */
import { Bench } from 'tinybench'

/** One timed case. */
export interface BenchCase {
  /** Stable name, e.g. `bloom.add 1000 ids (bloomwalk)`. */
  name: string
  /** The timed function; one call is one operation. */
  fn: () => unknown
  /** Items processed per call (reported as items/s when > 1). */
  items?: number
  /** Name of another case in the same group this one is compared against. */
  baseline?: string
}

/** One measured result, as printed by `--json`. */
export interface BenchResult {
  group: string
  name: string
  opsPerSec: number
  /** Median latency of one call, milliseconds. */
  medianMs: number
  itemsPerSec?: number
  baseline?: string
  /** This case's throughput ÷ the baseline's, measured in the same run. */
  ratio?: number
  samples: number
}

/** A group of cases plus free-form figures a group may report (e.g. a one-shot scan time). */
export interface BenchGroup {
  group: string
  cases: BenchCase[]
  /** Runs before timing (e.g. fill a store). */
  setup?: () => Promise<void>
  /** Runs after timing. */
  teardown?: () => Promise<void>
  /** Extra one-off measurements reported alongside (name → value with unit in the name). */
  figures?: () => Promise<Record<string, number>>
}

export interface RunOptions {
  /** Milliseconds of timed runs per case. */
  time: number
  /** Milliseconds of warm-up per case. */
  warmupTime: number
}

/** Runs one group and returns its results (baseline ratios filled in). */
export async function runGroup(group: BenchGroup, options: RunOptions): Promise<{ results: BenchResult[]; figures: Record<string, number> }> {
  await group.setup?.()
  try {
    const bench = new Bench({ name: group.group, time: options.time, warmup: true, warmupTime: options.warmupTime, iterations: 10 })
    for (const c of group.cases) bench.add(c.name, c.fn)
    await bench.run()
    const results: BenchResult[] = []
    for (const task of bench.tasks) {
      const c = group.cases.find((x) => x.name === task.name)!
      const r = task.result
      if (r.state !== 'completed') throw new Error(`bench ${task.name}: ${r.state}${'error' in r ? ` ${String(r.error)}` : ''}`)
      const opsPerSec = r.throughput.mean
      const result: BenchResult = { group: group.group, name: c.name, opsPerSec, medianMs: r.latency.p50, samples: r.latency.samples?.length ?? 0 }
      if (c.items !== undefined && c.items > 1) result.itemsPerSec = opsPerSec * c.items
      results.push(result)
    }
    for (const result of results) {
      const c = group.cases.find((x) => x.name === result.name)!
      if (c.baseline === undefined) continue
      const base = results.find((x) => x.name === c.baseline)
      if (base === undefined) throw new Error(`bench ${c.name}: unknown baseline ${c.baseline}`)
      result.baseline = base.name
      result.ratio = result.opsPerSec / base.opsPerSec
    }
    const figures = (await group.figures?.()) ?? {}
    return { results, figures }
  } finally {
    await group.teardown?.()
  }
}

/** Formats a number with 3 significant digits and a thousands separator. */
export function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n)
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString('en-US')
  return Number(n.toPrecision(3)).toString()
}
