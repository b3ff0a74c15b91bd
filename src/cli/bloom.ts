/**
 * `bloomwalk bloom`: the filter an introduction-request carries at a given datagram budget
 * and false-positive rate, or the rate a given number of ids would give. For tuning.
 */
import { parseArgs } from 'node:util'
import { bloomFalsePositiveRate } from '../bloom/index.js'
import { offerSize } from '../sync/capacity.js'
import { MAX_DATAGRAM_BUDGET, MIN_DATAGRAM_BUDGET } from '../sync/config.js'
import { UsageError, choiceOption, numberOption } from './args.js'
import { writeFile } from 'node:fs/promises'
import { renderSvg } from '../sim/plot.js'
import { bloomPlotSpec, measureBloom, PLOT_PROBES, PLOT_RATES } from './bloom-plot.js'
import { requirePlotting } from './plotting.js'

export const BLOOM_USAGE = `usage: bloomwalk bloom [--budget BYTES] [--fpr RATE] [--items N] [--family ipv4|ipv6] [--json]
       bloomwalk bloom --plot FILE.svg [--family ipv4|ipv6] [--seed S]

  --budget   UDP payload budget per datagram, ${MIN_DATAGRAM_BUDGET}–${MAX_DATAGRAM_BUDGET} (default 1200)
  --fpr      target false-positive rate of a full filter (default 0.01)
  --items    instead: the false-positive rate with N ids in the filter
  --family   address family of the peer, which sets the header size (default ipv4)
  --json     print one JSON object
  --plot     draw capacity and false-positive rate against the datagram budget
             (${MIN_DATAGRAM_BUDGET}–${MAX_DATAGRAM_BUDGET}) for rates ${PLOT_RATES.join(', ')}: the sizing formula as lines, and
             filters filled to capacity, each probed with ${PLOT_PROBES} other ids, as points (needs
             the optional vega packages); prints the measured points as a table (JSON with --json)
  --seed     seed of the measured filters' ids (default 1)`

/** Synchronous except `--plot`, which resolves once the SVG is written. */
export function runBloom(argv: string[], out: (line: string) => void): void | Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { budget: { type: 'string' }, fpr: { type: 'string' }, items: { type: 'string' }, family: { type: 'string' }, json: { type: 'boolean' }, plot: { type: 'string' }, seed: { type: 'string' }, help: { type: 'boolean' } },
    strict: true,
    allowPositionals: false
  })
  if (values.help === true) return out(BLOOM_USAGE)
  const budget = numberOption('budget', values.budget, 1200, { integer: true, min: MIN_DATAGRAM_BUDGET, max: MAX_DATAGRAM_BUDGET })
  const fpr = numberOption('fpr', values.fpr, 0.01, { min: Number.MIN_VALUE, max: 0.999 })
  const family = choiceOption('family', values.family, ['ipv4', 'ipv6'] as const, 'ipv4')
  if (values.plot !== undefined) return plot(values.plot, family, numberOption('seed', values.seed, 1, { integer: true, min: 0, max: 2 ** 32 - 1 }), values.json === true, out)
  const size = offerSize(budget, fpr, family)
  const result: Record<string, number | string> = { budget, family, fpr, filterBytes: size.bloomBytes, k: size.k, capacity: size.capacity }
  if (values.items !== undefined) {
    const items = numberOption('items', values.items, 0, { integer: true, min: 0 })
    result['items'] = items
    result['fprAtItems'] = bloomFalsePositiveRate(size.bloomBytes, size.k, items)
  }
  if (values.json === true) return out(JSON.stringify(result))
  out(`budget ${budget} B (${family}): filter ${size.bloomBytes} bytes (${size.bloomBytes * 8} bits), k ${size.k}, capacity ${size.capacity} ids at false-positive rate ${fpr}`)
  if (result['fprAtItems'] !== undefined) out(`with ${String(result['items'])} ids: false-positive rate ${(result['fprAtItems'] as number).toPrecision(4)}`)
}

/** `--plot`: measures, writes the SVG, prints the points. */
async function plot(path: string, family: 'ipv4' | 'ipv6', seed: number, json: boolean, out: (line: string) => void): Promise<void> {
  await requirePlotting()
  const points = measureBloom({ family, seed })
  await writeFile(path, await renderSvg(bloomPlotSpec(points, `Bloom filter of a walk step (${family}): ${PLOT_PROBES} probes per filter, seed ${seed}`)))
  if (json) return out(JSON.stringify({ family, seed, probes: PLOT_PROBES, points }))
  out('rate     budget  bytes  k  capacity  theory     measured')
  for (const p of points) out(`${String(p.rate).padEnd(8)} ${String(p.budget).padStart(6)} ${String(p.filterBytes).padStart(6)} ${String(p.k).padStart(2)} ${String(p.capacity).padStart(9)}  ${p.theory.toExponential(3)}  ${p.measured.toExponential(3)}`)
}

export { UsageError }
