/**
 * `bloomwalk bloom --plot`: what a walk step's filter holds against the datagram budget, for
 * several target rates: its capacity (theory: the sizing formula), and its false-positive
 * rate when full, as the formula predicts (a line) and as measured on real filters of that
 * size filled to capacity with random ids and probed with others (points). Seeded: the same
 * seed draws the same figure.
 */
import { BloomFilter, bloomFalsePositiveRate } from '../bloom/index.js'
import { SeededRng } from '../env/rng.js'
import type { PlotSpec } from '../sim/plot.js'
import { offerSize } from '../sync/capacity.js'
import { MAX_DATAGRAM_BUDGET, MIN_DATAGRAM_BUDGET } from '../sync/config.js'

/** Budgets plotted: the minimum to the maximum in 128-byte steps (and the maximum). */
export const PLOT_BUDGETS = [...new Set([...Array.from({ length: Math.floor((MAX_DATAGRAM_BUDGET - MIN_DATAGRAM_BUDGET) / 128) + 1 }, (_, i) => MIN_DATAGRAM_BUDGET + 128 * i), MAX_DATAGRAM_BUDGET])]
/** Target rates plotted. */
export const PLOT_RATES = [0.001, 0.01, 0.05, 0.1]
/** Non-member ids probed per measured filter. */
export const PLOT_PROBES = 50_000

/** One (budget, rate) point: the filter's size, its theoretical and measured rate at capacity. */
export interface BloomPoint {
  budget: number
  rate: number
  filterBytes: number
  k: number
  capacity: number
  theory: number
  measured: number
}

/** Sizes a filter for each budget and rate, fills one to capacity and measures its false-positive rate. */
export function measureBloom(options: { budgets?: readonly number[]; rates?: readonly number[]; probes?: number; seed?: number; family?: 'ipv4' | 'ipv6' } = {}): BloomPoint[] {
  const rng = new SeededRng(options.seed ?? 1)
  const probes = options.probes ?? PLOT_PROBES
  const points: BloomPoint[] = []
  for (const rate of options.rates ?? PLOT_RATES) {
    for (const budget of options.budgets ?? PLOT_BUDGETS) {
      const size = offerSize(budget, rate, options.family ?? 'ipv4')
      const filter = new BloomFilter(size.bloomBytes, size.k, rng.u32())
      for (let i = 0; i < size.capacity; i++) filter.add(rng.bytes(32))
      let hits = 0
      // Random 32-byte ids: a collision with a member has probability 2^-256, so every hit is a false positive.
      for (let i = 0; i < probes; i++) if (filter.has(rng.bytes(32))) hits++
      points.push({ budget, rate, filterBytes: size.bloomBytes, k: size.k, capacity: size.capacity, theory: bloomFalsePositiveRate(size.bloomBytes, size.k, size.capacity), measured: hits / probes })
    }
  }
  return points
}

/** Two panels: capacity against budget (a line per rate), and the rate at capacity (theory lines, measured points, log scale). */
export function bloomPlotSpec(points: readonly BloomPoint[], caption: string): PlotSpec {
  const values = points.map((p) => ({ ...p, target: String(p.rate) }))
  const x = { field: 'budget', type: 'quantitative', title: 'datagram budget (bytes)', scale: { domain: [MIN_DATAGRAM_BUDGET, MAX_DATAGRAM_BUDGET] } }
  const color = { field: 'target', type: 'nominal', title: 'target rate', sort: PLOT_RATES.map(String) }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: caption,
    data: { values },
    hconcat: [
      {
        title: 'Filter capacity (ids)',
        width: 360,
        height: 260,
        mark: { type: 'line', point: true },
        encoding: { x, y: { field: 'capacity', type: 'quantitative', title: 'ids a full filter holds' }, color }
      },
      {
        title: 'False-positive rate at capacity: theory (lines), measured (points)',
        width: 360,
        height: 260,
        layer: [
          { mark: 'line', encoding: { x, y: { field: 'theory', type: 'quantitative', title: 'false-positive rate', scale: { type: 'log' } }, color } },
          { mark: { type: 'point', filled: true, size: 40 }, encoding: { x, y: { field: 'measured', type: 'quantitative', scale: { type: 'log' } }, color } }
        ]
      }
    ]
  }
}
