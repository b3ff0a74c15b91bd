/**
 * Plots as SVG, rendered headless: a vega-lite spec compiled to vega and drawn by a vega
 * View with renderer 'none' (no canvas, no browser). Convergence curves, latency
 * distributions (as empirical CDFs from quantiles) and sweep heatmaps.
 *
 * vega and vega-lite are optional dependencies (51 packages, ~24 MB that only plotting
 * uses): they are loaded when a plot is drawn, and a clear error says how to install them
 * when they are absent. The specs are plain objects, typed here, so nothing else needs them.
 */

/** A vega-lite specification (a JSON object; see https://vega.github.io/vega-lite/docs/). */
export type PlotSpec = { [key: string]: unknown }

/** What this module uses of vega and vega-lite. */
interface Plotting {
  vega: {
    View: new (runtime: unknown, options: { renderer: 'none' }) => { toSVG(): Promise<string>; finalize(): void }
    parse(spec: unknown): unknown
  }
  vegaLite: { compile(spec: unknown): { spec: unknown } }
}

/** The message when vega or vega-lite is not installed. */
export const PLOTTING_MISSING =
  'plotting needs the optional packages vega and vega-lite, which are not installed (npm install --omit=optional leaves them out): run "npm install vega vega-lite" where bloomwalk is installed'

/** Thrown by {@link loadPlotting} when vega or vega-lite cannot be loaded. */
export class PlottingUnavailableError extends Error {
  override name = 'PlottingUnavailableError'
}

/** Imports a module by name (injectable so the absent case can be tested). */
export type ModuleImporter = (name: string) => Promise<unknown>

const importModule: ModuleImporter = (name) => import(name)

/**
 * Loads vega and vega-lite once.
 * @throws {PlottingUnavailableError} with {@link PLOTTING_MISSING} when either is not installed
 */
export async function loadPlotting(importer: ModuleImporter = importModule): Promise<Plotting> {
  try {
    const [vega, vegaLite] = await Promise.all([importer('vega'), importer('vega-lite')])
    return { vega: vega as Plotting['vega'], vegaLite: vegaLite as Plotting['vegaLite'] }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') throw new PlottingUnavailableError(PLOTTING_MISSING)
    throw err
  }
}

/** One series of a convergence plot. */
export interface CurveSeries {
  label: string
  curve: readonly { t: number; ratio: number }[]
}

/** One series of a latency plot: per-pair latency quantiles 0..100 %, seconds. */
export interface LatencySeries {
  label: string
  quantiles: readonly number[]
}

const WIDTH = 420
const HEIGHT = 260

/**
 * Renders a vega-lite spec to an SVG document.
 * @throws {PlottingUnavailableError} when vega or vega-lite is not installed
 */
export async function renderSvg(spec: PlotSpec, importer?: ModuleImporter): Promise<string> {
  const { vega, vegaLite } = await loadPlotting(importer)
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' })
  try {
    return await view.toSVG()
  } finally {
    view.finalize()
  }
}

/** Delivered share of (message, receiver) pairs over virtual time, one line per series. */
export function convergenceSpec(series: readonly CurveSeries[], title = 'Convergence'): PlotSpec {
  const minutes = series.some((s) => (s.curve.at(-1)?.t ?? 0) > 2 * 3600) ? 60 : 1
  const values = series.flatMap((s) => s.curve.map((p) => ({ series: s.label, t: p.t / (60 * minutes), ratio: p.ratio })))
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    mark: { type: 'line', interpolate: 'step-after' },
    encoding: {
      x: { field: 't', type: 'quantitative', title: minutes === 60 ? 'virtual time (hours)' : 'virtual time (minutes)' },
      y: { field: 'ratio', type: 'quantitative', title: 'delivered share of (message, receiver) pairs', scale: { domain: [0, 1] } },
      color: { field: 'series', type: 'nominal', title: null }
    }
  }
}

/** Empirical CDF of per-pair latency, one line per series. */
export function latencySpec(series: readonly LatencySeries[], title = 'Latency per (message, receiver)'): PlotSpec {
  const max = Math.max(0, ...series.flatMap((s) => s.quantiles))
  const scale = max > 2 * 3600 ? 3600 : max > 120 ? 60 : 1
  const unit = scale === 3600 ? 'hours' : scale === 60 ? 'minutes' : 'seconds'
  const values = series.flatMap((s) => s.quantiles.map((q, i) => ({ series: s.label, latency: q / scale, share: i / (s.quantiles.length - 1) })))
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    mark: { type: 'line', interpolate: 'step-after' },
    encoding: {
      x: { field: 'latency', type: 'quantitative', title: `publication → delivery (${unit})` },
      y: { field: 'share', type: 'quantitative', title: 'share of delivered pairs', scale: { domain: [0, 1] } },
      color: { field: 'series', type: 'nominal', title: null }
    }
  }
}

/** A convergence plot and a latency CDF side by side. */
export function runSpec(curves: readonly CurveSeries[], latencies: readonly LatencySeries[], title: string): PlotSpec {
  const c = convergenceSpec(curves, 'Convergence') as unknown as Record<string, unknown>
  const l = latencySpec(latencies, 'Latency CDF') as unknown as Record<string, unknown>
  delete c.$schema
  delete l.$schema
  return { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', title, hconcat: [c, l] } as unknown as PlotSpec
}

/** One cell of a sweep heatmap. */
export interface HeatCell {
  x: string | number
  y: string | number
  value: number | null
}

/** Which way a metric improves (delivered share: higher; times, costs: lower). */
export type Better = 'lower' | 'higher'

/** The smallest colour span of a heatmap, percent: differences below it are not worth a colour. */
export const MIN_HEAT_SPAN_PERCENT = 5

/**
 * How much worse than the best cell each value is, percent of the best (of the largest
 * magnitude when the best is 0); null stays null.
 */
export function percentWorse(values: readonly (number | null)[], better: Better): (number | null)[] {
  const xs = values.filter((v): v is number => v !== null)
  if (xs.length === 0) return values.map(() => null)
  const best = better === 'lower' ? Math.min(...xs) : Math.max(...xs)
  const scale = Math.abs(best) > 0 ? Math.abs(best) : Math.max(...xs.map(Math.abs))
  return values.map((v) => (v === null ? null : scale === 0 ? 0 : (Math.abs(v - best) / scale) * 100))
}

/**
 * A heatmap of `metric` over two swept parameters, each cell labelled with its value and
 * coloured by how much worse than the best cell it is (percent), on a scale of at least
 * {@link MIN_HEAT_SPAN_PERCENT}: cells a second apart out of four hours look alike, as they
 * are, instead of spanning the whole palette.
 */
export function heatmapSpec(cells: readonly HeatCell[], x: string, y: string, metric: string, better: Better = 'lower'): PlotSpec {
  const worse = percentWorse(cells.map((c) => c.value), better)
  const span = Math.max(MIN_HEAT_SPAN_PERCENT, ...worse.filter((w): w is number => w !== null))
  const values = cells.map((c, i) => ({ x: String(c.x), y: String(c.y), value: c.value, worse: worse[i], label: c.value === null ? 'n/a' : formatValue(c.value) }))
  const order = (key: 'x' | 'y') => [...new Set(cells.map((c) => c[key]))].sort((a, b) => (typeof a === 'number' && typeof b === 'number' ? a - b : String(a) < String(b) ? -1 : 1)).map(String)
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `${metric} by ${x} and ${y}`,
    data: { values },
    width: 80 * order('x').length,
    height: 50 * order('y').length,
    encoding: {
      x: { field: 'x', type: 'ordinal', title: x, sort: order('x') },
      y: { field: 'y', type: 'ordinal', title: y, sort: order('y') }
    },
    layer: [
      { mark: 'rect', encoding: { color: { field: 'worse', type: 'quantitative', title: `% ${better === 'lower' ? 'above' : 'below'} the best`, scale: { scheme: 'viridis', reverse: true, domain: [0, span] } } } },
      { mark: { type: 'text', fontSize: 12 }, encoding: { text: { field: 'label', type: 'nominal' }, color: { condition: { test: `datum.value === null || datum.worse < ${span / 2}`, value: 'black' }, value: 'white' } } }
    ]
  }
}

/** A line per value of `series` of `metric` over `x` (a one-parameter sweep, or two with few values). */
export function sweepLineSpec(cells: readonly HeatCell[], x: string, series: string | null, metric: string): PlotSpec {
  const values = cells.map((c) => ({ x: c.x, series: String(c.y), value: c.value }))
  const numeric = cells.every((c) => typeof c.x === 'number')
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `${metric} by ${x}`,
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'x', type: numeric ? 'quantitative' : 'ordinal', title: x },
      y: { field: 'value', type: 'quantitative', title: metric },
      ...(series === null ? {} : { color: { field: 'series', type: 'nominal', title: series } })
    }
  }
}

function formatValue(v: number): string {
  if (Number.isInteger(v)) return String(v)
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(3)
}
