/** The text output of `npm run reconcile-bench`: a Markdown table and one line of detail per method. */
import type { MethodResult, ReconcileBenchReport, ReconcileMethod } from './reconcile-types.js'
import { oneSided } from './reconcile-fixture.js'

const NAMES: Record<ReconcileMethod, string> = {
  'bloom-largest': 'Bloom walk, largest',
  'bloom-modulo': 'Bloom walk, modulo',
  symbols: 'coded symbols'
}

/** Groups thousands with spaces, as the docs do (1 200, 10 000). */
export function grouped(n: number, digits = 0): string {
  const [whole, frac] = n.toFixed(digits).split('.')
  const sign = whole!.startsWith('-') ? '-' : ''
  const body = whole!.replace('-', '').replace(/\B(?=(\d{3})+(?!\d))/g, ' ')
  return sign + body + (frac === undefined ? '' : '.' + frac)
}

/** The report as lines of text. */
export function formatReport(report: ReconcileBenchReport): string[] {
  const { options: o, setup } = report
  const onlyA = oneSided(o.layout) ? 0 : Math.ceil(o.diff / 2)
  const lines = [
    `reconcile-bench: N = ${grouped(o.shared)} shared, D = ${grouped(o.diff)} (${grouped(onlyA)} only at A, ${grouped(o.diff - onlyA)} only at B, ${o.layout}), budget ${grouped(o.budget)} B, seed ${o.seed}, node ${setup.node}`,
    `bundles: ${grouped(setup.bundles)} of ${setup.bundleBytes} B, generated in ${grouped(setup.generateMs / 1000, 1)} s` +
      (setup.sketchCpuMs === null ? '' : `; ledgers opened (a store scan building the sketch, L = 2^14) in ${grouped(setup.sketchCpuMs.a)} / ${grouped(setup.sketchCpuMs.b)} ms CPU (A / B), not counted below`),
    setup.floor === null
      ? 'information floor: – (no difference)'
      : `information floor for D = ${grouped(o.diff)}: ${grouped(setup.floor.fullIds, 2)} B per difference with 32-byte ids, ${grouped(setup.floor.shortIds, 2)} B with 64-bit short ids (any layout)`,
    '',
    '| method | finished | round trips | requests | found | datagrams A→B / B→A | bytes | metadata | metadata / difference | × floor (32-byte / 64-bit ids) | largest datagram | CPU A / B (ms) | of which storing | of which gc pauses | the rest |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|'
  ]
  for (const r of report.results) lines.push(row(r, o.diff, setup.floor))
  lines.push('')
  for (const r of report.results) lines.push(`${NAMES[r.method]}: ${detail(r)}`)
  return lines
}

function row(r: MethodResult, diff: number, floor: ReconcileBenchReport['setup']['floor']): string {
  const finished = r.finished ? 'yes' : r.method === 'symbols' ? `no (${String(r.detail['end'])})` : `no: ${grouped(r.roundTrips)} steps, ${percent(r.resolved, diff)} found`
  const cells = [
    NAMES[r.method],
    finished,
    grouped(r.roundTrips, Number.isInteger(r.roundTrips) ? 0 : 1),
    grouped(r.requests),
    `${grouped(r.found)} / ${grouped(diff)}`,
    `${grouped(r.datagrams.aToB)} / ${grouped(r.datagrams.bToA)}`,
    grouped(r.bytes.total),
    grouped(r.metadataBytes),
    r.metadataPerDifference === null ? '–' : grouped(r.metadataPerDifference, 1),
    r.metadataPerDifference === null || floor === null ? '–' : `${grouped(r.metadataPerDifference / floor.fullIds, 2)}× / ${grouped(r.metadataPerDifference / floor.shortIds, 1)}×`,
    grouped(r.largestDatagram),
    `${grouped(r.cpuMs.a, 1)} / ${grouped(r.cpuMs.b, 1)}`,
    `${grouped(r.storeCpuMs.a, 1)} / ${grouped(r.storeCpuMs.b, 1)}`,
    `${grouped(r.gcMs.a, 1)} / ${grouped(r.gcMs.b, 1)}`,
    `${grouped(rest(r, 'a'), 1)} / ${grouped(rest(r, 'b'), 1)}`
  ]
  return `| ${cells.join(' | ')} |`
}

function detail(r: MethodResult): string {
  const d = r.detail
  const types = Object.entries(r.byType)
    .map(([t, v]) => `${t} ${grouped(v.datagrams)} × ${grouped(v.bytes / v.datagrams)} B`)
    .join(', ')
  if (r.method === 'symbols') {
    return (
      `${String(d['end'])} (policy ${String(d['policy'])}); ${plural(Number(d['symbols']), 'symbol')} decoded with (${String(d['symbolsPerDifference'])} per difference) of ${grouped(Number(d['requested']))} asked for, ` +
      `first estimate of d ${String(d['firstEstimate'])}; ${grouped(Number(d['newerFetches']))} newest-first fetches (${grouped(Number(d['newerFetched']))} bundles); A lacked ${grouped(Number(d['weLack']))}, B lacked ${grouped(Number(d['theyLack']))}, ${grouped(Number(d['notServed']))} requested ids not served (${grouped(Number(d['reRequests']))} re-requests); datagrams: ${types}`
    )
  }
  return (
    `${plural(Number(d['steps']), 'step')}, offers ${grouped(Number(d['freshOffers']))} fresh / ${grouped(Number(d['reusedOffers']))} reused / ${grouped(Number(d['skippedOffers']))} skipped, ` +
    `${grouped(Number(d['duplicates']))} duplicate bundles, ${grouped(r.resolved)} transferred; datagrams: ${types}`
  )
}

/** CPU of a side without storing received bundles and gc pauses: the reconciliation itself. */
function rest(r: MethodResult, side: 'a' | 'b'): number {
  return Math.max(0, r.cpuMs[side] - r.storeCpuMs[side] - r.gcMs[side])
}

function plural(n: number, word: string): string {
  return `${grouped(n)} ${word}${n === 1 ? '' : 's'}`
}

function percent(part: number, whole: number): string {
  return whole === 0 ? '100 %' : `${((100 * part) / whole).toFixed(1)} %`
}
