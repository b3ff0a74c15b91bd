/**
 * `bloomwalk sweep`: runs a preset over a grid of parameter values (every combination of
 * the `--param name=v1,v2,…` lists) and reports the metrics of each cell; --plot draws a
 * heatmap per metric (two parameters) or lines (one parameter).
 */
import { writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import type { TopLevelSpec } from 'vega-lite'
import { heatmapSpec, renderSvg, sweepLineSpec, type HeatCell } from '../sim/plot.js'
import { presetNamed, withOverrides, type Overrides } from '../sim/presets.js'
import type { SimResult } from '../sim/result.js'
import { simulate } from '../sim/run.js'
import { UsageError, numberOption } from './args.js'
import { resolveIo, type CommandIo } from './command.js'
import { showProgress } from './progress.js'
import { OVERRIDE_OPTIONS, OVERRIDE_USAGE, PROBES, duration, overridesFrom, parseOverride } from './sim.js'

export const SWEEP_USAGE = `usage: bloomwalk sweep --preset NAME --param NAME=V1,V2,… [--param …] [--seed S] [--json] [--plot FILE.svg] [overrides]

Runs the preset once per combination of the swept values (same seed) and prints the metrics
of every cell: delivery, time to full delivery, latency median and P90, multipliers.
--plot draws heatmaps (two parameters) or lines (one parameter) of the byte multiplier and
the time to 99 % delivery.

  --param NAME=VALUES  a parameter and its comma-separated values (repeatable); NAME is one
                       of ${Object.keys(OVERRIDE_OPTIONS).join(', ')}
  --seed S             32-bit seed (default 1)
  --json               print one JSON object {preset, seed, params, cells: [{values, metrics}]}
  --plot FILE.svg      write the plots
overrides applied to every cell:
${OVERRIDE_USAGE}`

/** The figures of one cell. */
export interface CellMetrics {
  complete: boolean
  ratio: number
  fullDeliverySeconds: number | null
  p99Seconds: number | null
  latencyMedian: number | null
  latencyP90: number | null
  datagramMultiplier: number
  byteMultiplier: number
  bytesPerPair: number
  wallSeconds: number | null
}

interface Param {
  name: string
  values: string[]
}

export async function runSweep(argv: string[], out: (line: string) => void, partialIo: Partial<CommandIo> = {}): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { preset: { type: 'string' }, param: { type: 'string', multiple: true }, seed: { type: 'string' }, json: { type: 'boolean' }, plot: { type: 'string' }, help: { type: 'boolean' }, ...OVERRIDE_OPTIONS },
    strict: true,
    allowPositionals: false
  })
  if (values.help === true) {
    out(SWEEP_USAGE)
    return 0
  }
  if (values.preset === undefined) throw new UsageError('--preset NAME is required')
  const params = (values.param ?? []).map(parseParam)
  if (params.length === 0) throw new UsageError('at least one --param NAME=V1,V2,… is required')
  if (new Set(params.map((p) => p.name)).size !== params.length) throw new UsageError('each --param name may appear once')
  const base = overridesFrom(values)
  const seed = numberOption('seed', values.seed, 1, { integer: true, min: 0, max: 2 ** 32 - 1 })
  const grid = combinations(params)
  // Check every cell before running any.
  const scenarios = grid.map((cell) => {
    const o: Overrides = { ...base }
    params.forEach((p, i) => parseOverride(o, p.name, cell[i]!))
    return withOverrides(presetNamed(values.preset!), o)
  })
  const io = resolveIo(partialIo)
  const cells: { values: Record<string, string>; metrics: CellMetrics }[] = []
  let current = 0
  let fraction = 0
  const progress = showProgress(io.err, () => ({ fraction: (current + fraction) / grid.length, text: `cell ${current + 1}/${grid.length}` }))
  try {
    for (const [i, scenario] of scenarios.entries()) {
      current = i
      fraction = 0
      const r = await simulate(scenario, { seed, ...PROBES, onProgress: (p) => (fraction = Math.min(1, p.fraction)) })
      cells.push({ values: Object.fromEntries(params.map((p, j) => [p.name, grid[i]![j]!])), metrics: metricsOf(r) })
      if (values.json !== true) out(cellLine(cells.at(-1)!))
    }
  } finally {
    progress.stop()
  }
  if (values.plot !== undefined) await writeFile(values.plot, await renderSvg(sweepPlot(params, cells)))
  if (values.json === true) out(JSON.stringify({ preset: values.preset, seed, params, cells }))
  return 0
}

function parseParam(raw: string): Param {
  const eq = raw.indexOf('=')
  if (eq <= 0) throw new UsageError(`--param must be NAME=V1,V2,…, got "${raw}"`)
  const name = raw.slice(0, eq)
  const list = raw.slice(eq + 1).split(',').map((v) => v.trim()).filter((v) => v !== '')
  if (list.length === 0) throw new UsageError(`--param ${name} has no values`)
  parseOverride({}, name, list[0]!)
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
    p99Seconds: r.delivery.reached.p99,
    latencyMedian: r.latency.perPair.median,
    latencyP90: r.latency.perPair.p90,
    datagramMultiplier: r.bandwidth.datagramMultiplier,
    byteMultiplier: r.bandwidth.byteMultiplier,
    bytesPerPair: r.bandwidth.bytesPerPair,
    wallSeconds: r.run.wallSeconds
  }
}

function cellLine(c: { values: Record<string, string>; metrics: CellMetrics }): string {
  const m = c.metrics
  const v = Object.entries(c.values).map(([k, x]) => `${k}=${x}`).join(' ')
  return `${v}: delivered ${(m.ratio * 100).toFixed(2)} %, full ${duration(m.fullDeliverySeconds)}, 99 % ${duration(m.p99Seconds)}, latency median ${duration(m.latencyMedian)} P90 ${duration(m.latencyP90)}, ×${m.datagramMultiplier} datagrams, ×${m.byteMultiplier} bytes (${m.bytesPerPair} B/pair), wall ${m.wallSeconds ?? '?'} s`
}

function sweepPlot(params: Param[], cells: { values: Record<string, string>; metrics: CellMetrics }[]): TopLevelSpec {
  const [x, y] = params
  const value = (raw: string) => (Number.isFinite(Number(raw)) ? Number(raw) : raw)
  const heat = (metric: keyof CellMetrics): HeatCell[] =>
    cells.map((c) => ({ x: value(c.values[x!.name]!), y: y === undefined ? '' : value(c.values[y.name]!), value: c.metrics[metric] as number | null }))
  const panel = (metric: keyof CellMetrics, title: string): Record<string, unknown> => {
    const spec = (y === undefined ? sweepLineSpec(heat(metric), x!.name, null, title) : heatmapSpec(heat(metric), x!.name, y.name, title)) as unknown as Record<string, unknown>
    delete spec['$schema']
    return spec
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    hconcat: [
      panel('byteMultiplier', 'byte multiplier'),
      cells.some((c) => c.metrics.p99Seconds !== null) ? panel('p99Seconds', 'seconds to 99 % delivery') : panel('ratio', 'delivered share')
    ],
    resolve: { scale: { color: 'independent' } }
  } as unknown as TopLevelSpec
}
