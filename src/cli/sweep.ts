/**
 * `bloomwalk sweep`: runs a preset over a grid of parameter values (every combination of
 * the `--param name=v1,v2,…` lists) and reports the metrics of each cell; --plot draws a
 * heatmap per metric (two parameters) or lines (one parameter).
 */
import { writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { heatmapSpec, renderSvg, sweepLineSpec, type HeatCell, type PlotSpec } from '../sim/plot.js'
import type { Overrides } from '../sim/presets.js'
import type { SimResult } from '../sim/result.js'
import type { Scenario } from '../sim/scenario.js'
import { simulate } from '../sim/run.js'
import { UsageError, numberOption } from './args.js'
import { resolveIo, type CommandIo } from './command.js'
import { showProgress } from './progress.js'
import { OVERRIDE_OPTIONS, OVERRIDE_USAGE, overridesFrom, parseOverride, scenarioFrom } from './overrides.js'
import { PROBES, duration } from './sim.js'
import { requirePlotting } from './plotting.js'

/** The metrics `--plot-metrics` may name. */
const PLOT_METRICS = ['ratio', 'fullDeliverySeconds', 'halfSeconds', 'p90Seconds', 'p99Seconds', 'walksToSybils', 'latencyMedian', 'latencyP90', 'datagramMultiplier', 'byteMultiplier', 'bytesPerPair'] as const
type PlotMetric = (typeof PLOT_METRICS)[number]
const METRIC_TITLES: Record<PlotMetric, string> = {
  ratio: 'delivered share',
  fullDeliverySeconds: 'seconds to full delivery',
  halfSeconds: 'seconds to 50 % delivery',
  p90Seconds: 'seconds to 90 % delivery',
  walksToSybils: 'share of honest walks to Sybils',
  p99Seconds: 'seconds to 99 % delivery',
  latencyMedian: 'median latency (s)',
  latencyP90: 'P90 latency (s)',
  datagramMultiplier: 'datagram multiplier',
  byteMultiplier: 'byte multiplier',
  bytesPerPair: 'bytes per pair'
}

/** The metric columns of `--csv`, in order. */
const CSV_METRICS = ['complete', 'ratio', 'fullDeliverySeconds', 'halfSeconds', 'p90Seconds', 'p99Seconds', 'walksToSybils', 'latencyMedian', 'latencyP90', 'datagramMultiplier', 'byteMultiplier', 'bytesPerPair'] as const satisfies readonly (keyof CellMetrics)[]

export const SWEEP_USAGE = `usage: bloomwalk sweep --preset NAME --param NAME=V1,V2,… [--param …] [--seed S] [--json | --csv] [--plot FILE.svg] [overrides]

Runs the preset once per combination of the swept values (same seed) and prints the metrics
of every cell: delivery, time to full delivery, latency median and P90, multipliers. Exit
status 0 when every cell reached full delivery, 1 otherwise. With
--param seed=…, each combination of the other parameters is also summarised by its means
over the seeds (JSON: "groups"), and those are plotted.
--plot draws heatmaps (two parameters) or lines (one parameter) of the byte multiplier and
the time to 99 % delivery (or the metrics of --plot-metrics).

  --param NAME=VALUES  a parameter and its comma-separated values (repeatable); NAME is
                       seed (repeat a cell over seeds) or one of
                       ${Object.keys(OVERRIDE_OPTIONS).join(', ')}
  --seed S             32-bit seed (default 1)
  --json               print one JSON object {preset, seed, params, cells: [{values, metrics, run}]}
                       (run: the cell's wall and CPU seconds and peak RSS, which vary between runs)
  --csv                print CSV instead: a header, then one row per cell as it finishes (the
                       swept values, then ${CSV_METRICS.length} metrics and wallSeconds; empty = none); with
                       --param seed, a row per combination of the others with seed "mean"
  --plot FILE.svg      write the plots
  --plot-metrics M,…   the metrics plotted, one panel each: ${PLOT_METRICS.join(', ')}
  --plot-lines         two parameters: a line per value of the second instead of heatmaps
overrides applied to every cell:
${OVERRIDE_USAGE}`

/** One CSV field (RFC 4180: quoted when it holds a comma, quote or line break). */
export function csvField(v: string | number | boolean | null | undefined): string {
  const s = v === null || v === undefined ? '' : String(v)
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

/** A `--csv` row: the parameter values, the metrics, the wall seconds. */
function csvRow(params: readonly Param[], values: Record<string, string>, metrics: CellMetrics, wallSeconds: number | null | undefined): string {
  return [...params.map((p) => values[p.name]), ...CSV_METRICS.map((m) => metrics[m]), wallSeconds].map(csvField).join(',')
}

/** The figures of one cell. */
export interface CellMetrics {
  complete: boolean
  ratio: number
  fullDeliverySeconds: number | null
  halfSeconds: number | null
  p90Seconds: number | null
  p99Seconds: number | null
  /** Share of the honest peers' walks that reached a Sybil (null without an attack). */
  walksToSybils: number | null
  latencyMedian: number | null
  latencyP90: number | null
  datagramMultiplier: number
  byteMultiplier: number
  bytesPerPair: number
}

/** One cell: its parameter values, its figures (a function of the scenario and seed) and what running it cost (not). */
interface Cell {
  values: Record<string, string>
  metrics: CellMetrics
  run: SimResult['run']
}

export interface Param {
  name: string
  values: string[]
}

export async function runSweep(argv: string[], out: (line: string) => void, partialIo: Partial<CommandIo> = {}): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { preset: { type: 'string' }, param: { type: 'string', multiple: true }, seed: { type: 'string' }, json: { type: 'boolean' }, csv: { type: 'boolean' }, plot: { type: 'string' }, 'plot-metrics': { type: 'string' }, 'plot-lines': { type: 'boolean' }, help: { type: 'boolean' }, ...OVERRIDE_OPTIONS },
    strict: true,
    allowPositionals: false
  })
  if (values.help === true) {
    out(SWEEP_USAGE)
    return 0
  }
  if (values.preset === undefined) throw new UsageError('--preset NAME is required')
  if (values.json === true && values.csv === true) throw new UsageError('--json and --csv: choose one')
  const params = (values.param ?? []).map(parseParam)
  if (params.length === 0) throw new UsageError('at least one --param NAME=V1,V2,… is required')
  if (new Set(params.map((p) => p.name)).size !== params.length) throw new UsageError('each --param name may appear once')
  for (const p of params) if (p.name !== 'seed' && values[p.name as keyof typeof OVERRIDE_OPTIONS] !== undefined) throw new UsageError(`--${p.name} and --param ${p.name} both given: sweep it or fix it, not both`)
  if (values.seed !== undefined && params.some((p) => p.name === 'seed')) throw new UsageError('--seed and --param seed both given: sweep it or fix it, not both')
  const swept = params.filter((p) => p.name !== 'seed')
  if (values.plot !== undefined && swept.length > 2) throw new UsageError(`--plot draws at most two swept parameters (besides seed); got ${swept.map((p) => p.name).join(', ')}`)
  const plotMetrics = values['plot-metrics']?.split(',').map((m) => m.trim())
  for (const m of plotMetrics ?? []) if (!(PLOT_METRICS as readonly string[]).includes(m)) throw new UsageError(`--plot-metrics: unknown metric "${m}"; one of ${PLOT_METRICS.join(', ')}`)
  const base = overridesFrom(values)
  const seed = numberOption('seed', values.seed, 1, { integer: true, min: 0, max: 2 ** 32 - 1 })
  if (values.plot !== undefined) await requirePlotting()
  const grid = combinations(params)
  // Check every cell before running any.
  const scenarios = grid.map((cell) => {
    const o: Overrides = { ...base }
    params.forEach((p, i) => {
      if (p.name !== 'seed') parseOverride(o, p.name, cell[i]!)
    })
    try {
      return scenarioFrom(values.preset!, o)
    } catch (e) {
      if (e instanceof UsageError) throw new UsageError(`cell ${params.map((p, i) => `${p.name}=${cell[i]!}`).join(' ')}: ${e.message}`)
      throw e
    }
  })
  const seedOf = (cell: string[]) => {
    const i = params.findIndex((p) => p.name === 'seed')
    return i < 0 ? seed : Number(cell[i])
  }
  const io = resolveIo(partialIo)
  const cells: Cell[] = []
  let aborted = false
  let current = 0
  let fraction = 0
  const progress = showProgress(io.err, () => ({ fraction: (current + fraction) / grid.length, text: `cell ${current + 1}/${grid.length}` }))
  try {
    for (const [i, scenario] of scenarios.entries()) {
      current = i
      fraction = 0
      const r = await simulate(scenario, { seed: seedOf(grid[i]!), ...PROBES, signal: io.signal, onProgress: (p) => (fraction = Math.min(1, Math.max(p.fraction, p.delivered))) })
      cells.push({ values: Object.fromEntries(params.map((p, j) => [p.name, grid[i]![j]!])), metrics: metricsOf(r), run: r.run })
      if (values.csv === true) {
        const cell = cells.at(-1)!
        progress.above(() => {
          if (i === 0) out([...params.map((p) => p.name), ...CSV_METRICS, 'wallSeconds'].map(csvField).join(','))
          out(csvRow(params, cell.values, cell.metrics, r.run.wallSeconds))
        })
      } else if (values.json !== true) progress.above(() => out(`${cellLine(cells.at(-1)!)}, wall ${r.run.wallSeconds ?? '?'} s`))
      if (r.aborted) {
        aborted = true
        break
      }
    }
  } finally {
    progress.stop()
  }
  // Over seeds: the mean of each metric per combination of the other parameters.
  const others = params.filter((p) => p.name !== 'seed')
  const groups = others.length === params.length ? undefined : aggregate(others, cells)
  if (groups !== undefined && values.csv === true) for (const g of groups) out(csvRow(params, { ...g.values, seed: 'mean' }, g.metrics, null))
  else if (groups !== undefined && values.json !== true) {
    for (const g of groups) out(`mean over ${g.runs} seeds (${g.completeRuns} complete) ${cellLine(g)}\n  worst seed: ${worstLine(g.worst)}`)
  }
  if (values.plot !== undefined) {
    const plotted = groups === undefined || others.length === 0 ? { params, cells } : { params: others, cells: groups }
    const caption = sweepCaption(values.preset, scenarios[0]!, params, seed)
    await writeFile(values.plot, await renderSvg(sweepPlot(plotted.params, plotted.cells, plotMetrics as PlotMetric[] | undefined, values['plot-lines'] === true, caption)))
  }
  if (values.json === true) out(JSON.stringify({ preset: values.preset, seed, params, cells, ...(groups === undefined ? {} : { groups }), ...(aborted ? { aborted } : {}) }))
  return !aborted && cells.length === grid.length && cells.every((c) => c.metrics.complete) ? 0 : 1
}

/** A group of cells that differ only in seed: each metric's mean over the runs that have it, and the worst seed's figures. */
export interface SeedGroup {
  values: Record<string, string>
  runs: number
  completeRuns: number
  metrics: CellMetrics
  worst: WorstOfSeeds
}

/**
 * The worst over the seeds of a group, so that a mean of 100 % cannot hide a bad seed: the
 * lowest delivery, the latest time to 50 / 99 % and to full delivery (null when some seed
 * never reached it), the highest byte multiplier.
 */
export interface WorstOfSeeds {
  ratio: number
  halfSeconds: number | null
  p99Seconds: number | null
  fullDeliverySeconds: number | null
  byteMultiplier: number
}

function worstOf(members: readonly CellMetrics[]): WorstOfSeeds {
  const latest = (k: 'halfSeconds' | 'p99Seconds' | 'fullDeliverySeconds'): number | null => (members.some((m) => m[k] === null) ? null : Math.max(...members.map((m) => m[k]!)))
  return {
    ratio: Math.min(...members.map((m) => m.ratio)),
    halfSeconds: latest('halfSeconds'),
    p99Seconds: latest('p99Seconds'),
    fullDeliverySeconds: latest('fullDeliverySeconds'),
    byteMultiplier: Math.max(...members.map((m) => m.byteMultiplier))
  }
}

function worstLine(w: WorstOfSeeds): string {
  return `delivered ${(w.ratio * 100).toFixed(2)} %, 50 % ${duration(w.halfSeconds)}, 99 % ${duration(w.p99Seconds)}, full ${duration(w.fullDeliverySeconds)}, ×${w.byteMultiplier} bytes`
}

function aggregate(others: Param[], cells: Cell[]): SeedGroup[] {
  const byKey = new Map<string, { values: Record<string, string>; members: CellMetrics[] }>()
  for (const c of cells) {
    const values = Object.fromEntries(others.map((p) => [p.name, c.values[p.name]!]))
    const key = JSON.stringify(values)
    const g = byKey.get(key) ?? { values, members: [] }
    g.members.push(c.metrics)
    byKey.set(key, g)
  }
  return [...byKey.values()].map(({ values, members }) => {
    const mean = (k: Exclude<keyof CellMetrics, 'complete'>): number | null => {
      const xs = members.map((m) => m[k]).filter((x): x is number => x !== null)
      return xs.length === 0 ? null : Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 1000) / 1000
    }
    const metrics: CellMetrics = {
      complete: members.every((m) => m.complete),
      ratio: mean('ratio')!,
      fullDeliverySeconds: mean('fullDeliverySeconds'),
      halfSeconds: mean('halfSeconds'),
      p90Seconds: mean('p90Seconds'),
      p99Seconds: mean('p99Seconds'),
      walksToSybils: mean('walksToSybils'),
      latencyMedian: mean('latencyMedian'),
      latencyP90: mean('latencyP90'),
      datagramMultiplier: mean('datagramMultiplier')!,
      byteMultiplier: mean('byteMultiplier')!,
      bytesPerPair: mean('bytesPerPair')!
    }
    return { values, runs: members.length, completeRuns: members.filter((m) => m.complete).length, metrics, worst: worstOf(members) }
  })
}

function parseParam(raw: string): Param {
  const eq = raw.indexOf('=')
  if (eq <= 0) throw new UsageError(`--param must be NAME=V1,V2,…, got "${raw}"`)
  const name = raw.slice(0, eq)
  const list = raw.slice(eq + 1).split(',').map((v) => v.trim()).filter((v) => v !== '')
  if (list.length === 0) throw new UsageError(`--param ${name} has no values`)
  const repeated = list.find((v, i) => list.indexOf(v) !== i)
  if (repeated !== undefined) throw new UsageError(`--param ${name} lists ${repeated} twice`)
  if (name === 'seed') for (const v of list) numberOption('seed', v, 0, { integer: true, min: 0, max: 2 ** 32 - 1 })
  else for (const v of list) parseOverride({}, name, v)
  return { name, values: list }
}

/** Every combination, the first parameter varying slowest. */
function combinations(params: Param[]): string[][] {
  return params.reduce<string[][]>((acc, p) => acc.flatMap((prefix) => p.values.map((v) => [...prefix, v])), [[]])
}

export function metricsOf(r: SimResult): CellMetrics {
  return {
    complete: r.delivery.complete,
    ratio: r.delivery.ratio,
    fullDeliverySeconds: r.delivery.fullDeliverySeconds,
    halfSeconds: r.delivery.reached.half,
    p90Seconds: r.delivery.reached.p90,
    p99Seconds: r.delivery.reached.p99,
    walksToSybils: (r.driver['attack'] as { shareOfHonestWalks: number } | undefined)?.shareOfHonestWalks ?? null,
    latencyMedian: r.latency.perPair.median,
    latencyP90: r.latency.perPair.p90,
    datagramMultiplier: r.bandwidth.datagramMultiplier,
    byteMultiplier: r.bandwidth.byteMultiplier,
    bytesPerPair: r.bandwidth.bytesPerPair
  }
}

function cellLine(c: { values: Record<string, string>; metrics: CellMetrics }): string {
  const m = c.metrics
  const v = Object.entries(c.values).map(([k, x]) => `${k}=${x}`).join(' ')
  const sybils = m.walksToSybils === null ? '' : `, ${(m.walksToSybils * 100).toFixed(1)} % of honest walks to Sybils`
  return `${v}: delivered ${(m.ratio * 100).toFixed(2)} %, full ${duration(m.fullDeliverySeconds)}, 50 % ${duration(m.halfSeconds)}, 90 % ${duration(m.p90Seconds)}, 99 % ${duration(m.p99Seconds)}${sybils}, latency median ${duration(m.latencyMedian)} P90 ${duration(m.latencyP90)}, ×${m.datagramMultiplier} datagrams, ×${m.byteMultiplier} bytes (${m.bytesPerPair} B/pair)`
}

/** What a sweep's plot says it shows: the preset, its peers and messages (or that they are swept) and the seed(s). */
export function sweepCaption(preset: string, scenario: Scenario, params: readonly Param[], seed: number): string {
  const swept = (name: string) => params.some((p) => p.name === name)
  const seeds = params.find((p) => p.name === 'seed')
  const peers = swept('nodes') ? 'peers swept' : `${scenario.peers} peers`
  const messages = swept('messages') ? 'messages swept' : `${scenario.messages} messages`
  return `${preset}: ${peers}, ${messages}, ${seeds === undefined ? `seed ${seed}` : `mean over seeds ${seeds.values.join(', ')}`}`
}

/** Metrics that improve upwards (the rest: lower is better). */
const HIGHER_IS_BETTER: ReadonlySet<keyof CellMetrics> = new Set(['ratio'])

function sweepPlot(params: Param[], cells: { values: Record<string, string>; metrics: CellMetrics }[], metrics: PlotMetric[] | undefined, lines: boolean, caption: string): PlotSpec {
  const [x, y] = params
  const value = (raw: string) => (Number.isFinite(Number(raw)) ? Number(raw) : raw)
  const heat = (metric: keyof CellMetrics): HeatCell[] =>
    cells.map((c) => ({ x: value(c.values[x!.name]!), y: y === undefined ? '' : value(c.values[y.name]!), value: c.metrics[metric] as number | null }))
  const panel = (metric: keyof CellMetrics, title: string): Record<string, unknown> => {
    const spec = (y === undefined || lines ? sweepLineSpec(heat(metric), x!.name, y?.name ?? null, title) : heatmapSpec(heat(metric), x!.name, y.name, title, HIGHER_IS_BETTER.has(metric) ? 'higher' : 'lower')) as unknown as Record<string, unknown>
    delete spec['$schema']
    return spec
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: caption,
    hconcat: metrics !== undefined ? metrics.map((m) => panel(m, METRIC_TITLES[m])) : [
      panel('byteMultiplier', 'byte multiplier'),
      cells.some((c) => c.metrics.p99Seconds !== null) ? panel('p99Seconds', 'seconds to 99 % delivery') : panel('ratio', 'delivered share')
    ],
    resolve: { scale: { color: 'independent' } }
  } as unknown as PlotSpec
}
