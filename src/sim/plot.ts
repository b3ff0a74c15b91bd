/**
 * Plots as SVG, rendered headless: a vega-lite spec compiled to vega and drawn by a vega
 * View with renderer 'none' (no canvas, no browser). Convergence curves, latency
 * distributions (as empirical CDFs from quantiles) and sweep heatmaps.
 */
import * as vega from 'vega'
import { compile, type TopLevelSpec } from 'vega-lite'

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

/** Renders a vega-lite spec to an SVG document. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' })
  try {
    return await view.toSVG()
  } finally {
    view.finalize()
  }
}

/** Delivered share of (message, receiver) pairs over virtual time, one line per series. */
export function convergenceSpec(series: readonly CurveSeries[], title = 'Convergence'): TopLevelSpec {
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
export function latencySpec(series: readonly LatencySeries[], title = 'Latency per (message, receiver)'): TopLevelSpec {
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
export function runSpec(curves: readonly CurveSeries[], latencies: readonly LatencySeries[], title: string): TopLevelSpec {
  const c = convergenceSpec(curves, 'Convergence') as unknown as Record<string, unknown>
  const l = latencySpec(latencies, 'Latency CDF') as unknown as Record<string, unknown>
  delete c.$schema
  delete l.$schema
  return { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', title, hconcat: [c, l] } as unknown as TopLevelSpec
}

/** One cell of a sweep heatmap. */
export interface HeatCell {
  x: string | number
  y: string | number
  value: number | null
}

/** A heatmap of `metric` over two swept parameters, each cell labelled with its value. */
export function heatmapSpec(cells: readonly HeatCell[], x: string, y: string, metric: string): TopLevelSpec {
  const values = cells.map((c) => ({ x: String(c.x), y: String(c.y), value: c.value, label: c.value === null ? 'n/a' : formatValue(c.value) }))
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
      { mark: 'rect', encoding: { color: { field: 'value', type: 'quantitative', title: metric, scale: { scheme: 'viridis' } } } },
      { mark: { type: 'text', fontSize: 12 }, encoding: { text: { field: 'label', type: 'nominal' }, color: { condition: { test: 'datum.value === null', value: 'black' }, value: 'white' } } }
    ]
  }
}

/** A line per value of `series` of `metric` over `x` (a one-parameter sweep, or two with few values). */
export function sweepLineSpec(cells: readonly HeatCell[], x: string, series: string | null, metric: string): TopLevelSpec {
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
