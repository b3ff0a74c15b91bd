/**
 * `bloomwalk reconcile-bench`, or `npm run reconcile-bench` (node dist/bench/reconcile-bench.js): how two peers that share N bundles and differ in D find and
 * exchange the difference, by the Bloom walk alone (pivot `largest`, and `modulo`) and by
 * coded symbols (DESIGN §11), over the in-memory network with the real datagram budget.
 *
 * Not full nodes: a two-party loop (reconcile-link.ts) carries real encoded datagrams
 * between two sides, each running the node's own services: coded symbols its catch-up
 * services (reconcile-symbols.ts), the Bloom walk a peer's walker, responder and ledger
 * (reconcile-bloom.ts). 10^6 bundles run in reasonable time. Each method starts from freshly
 * filled stores.
 *
 * `bloomwalk reconcile-bench` (src/cli/reconcile-bench.ts) loads this file from the build;
 * the package ships dist/src only, so it runs from a checkout, as the npm script does.
 */
import { parseArgs } from 'node:util'
import { roomId } from '../src/bundle/index.js'
import { informationFloor } from '../src/reconcile/index.js'
import { syncConfig, MAX_DATAGRAM_BUDGET, MIN_DATAGRAM_BUDGET } from '../src/sync/config.js'
import { UsageError, choiceOption, numberOption } from '../src/cli/args.js'
import type { CommandIo } from '../src/cli/command.js'
import { pathToFileURL } from 'node:url'
import { bloomWalk } from './reconcile-bloom.js'
import { benchBundles, LAYOUTS, splitSets, storeOf, type BenchSets, type Layout } from './reconcile-fixture.js'
import { Link, type Traffic } from './reconcile-link.js'
import { formatReport } from './reconcile-report.js'
import { CATCH_UP_POLICIES, codedSymbols, nodeServices } from './reconcile-symbols.js'
import { DEFAULT_SYMBOLS_PER_DIFFERENCE } from '../src/reconcile/index.js'
import { RECONCILE_BENCH_USAGE } from '../src/cli/reconcile-bench.js'
import { RECONCILE_METHODS, type MethodResult, type ReconcileBenchOptions, type ReconcileBenchReport, type ReconcileMethod } from './reconcile-types.js'

export { RECONCILE_METHODS, type MethodResult, type ReconcileBenchOptions, type ReconcileBenchReport, type ReconcileMethod }

export { RECONCILE_BENCH_USAGE }

/** Bundles of the warm-up run: enough to reach every code path the measured run takes. */
const WARM_UP = { shared: 2000, diff: 20, maxSteps: 400 }

/**
 * Runs the benchmark; `progress` gets one line per phase. Each method first runs once on a
 * small pair of sets ({@link WARM_UP}), so that the measured run does not pay for compiling
 * its code.
 */
export async function reconcileBench(options: ReconcileBenchOptions, progress: (line: string) => void = () => {}, signal?: AbortSignal): Promise<ReconcileBenchReport> {
  const overlay = roomId('bloomwalk/reconcile-bench')
  progress('warming up')
  const small = splitSets(overlay, benchBundles(overlay, WARM_UP.shared + WARM_UP.diff, options.seed + 1), WARM_UP.diff, options.layout, options.seed + 1)
  for (const method of options.methods) await runMethod(method, small, { ...options, ...WARM_UP }, () => {}, undefined, signal)
  progress(`generating ${options.shared + options.diff} bundles`)
  // Let a Ctrl-C that came during the warm-up be seen before the long synchronous generation.
  await new Promise<void>((resolve) => setImmediate(resolve))
  signal?.throwIfAborted()
  const t0 = performance.now()
  const sets = splitSets(overlay, benchBundles(overlay, options.shared + options.diff, options.seed), options.diff, options.layout, options.seed)
  const generateMs = performance.now() - t0
  const report: ReconcileBenchReport = {
    options,
    setup: {
      bundles: options.shared + options.diff,
      bundleBytes: sets.bundleBytes,
      generateMs,
      sketchCpuMs: null,
      floor: options.diff === 0 ? null : { fullIds: round(informationFloor(32, options.diff), 2), shortIds: round(informationFloor(8, options.diff), 2) },
      node: process.version
    },
    results: []
  }
  for (const method of options.methods) {
    report.results.push(
      await runMethod(
        method,
        sets,
        options,
        (line) => progress(`${method}: ${line}`),
        (a, b) => {
          report.setup.sketchCpuMs = { a, b }
        },
        signal
      )
    )
  }
  return report
}

/** One method on freshly filled stores. */
async function runMethod(method: ReconcileMethod, sets: BenchSets, options: ReconcileBenchOptions, progress: (line: string) => void, onSketches?: (a: number, b: number) => void, signal?: AbortSignal): Promise<MethodResult> {
  signal?.throwIfAborted()
  progress('filling the stores')
  const strategy = method === 'bloom-modulo' ? 'modulo' : 'largest'
  const link = new Link(sets.overlay, { a: await storeOf(sets.a), b: await storeOf(sets.b) }, syncConfig({ datagramBudget: options.budget, strategy }), options.seed)
  link.signal = signal
  signal?.throwIfAborted()
  const services =
    method === 'symbols'
      ? await (async () => {
          progress('building the sketches')
          const a = await nodeServices(link, link.a, options)
          const b = await nodeServices(link, link.b, options)
          onSketches?.(a.sketchCpuMs, b.sketchCpuMs)
          return { a: a.services, b: b.services }
        })()
      : undefined
  progress('reconciling')
  // With --expose-gc, start from a collected heap so that a major collection of the setup's
  // garbage does not land in one side's CPU time.
  ;(globalThis as { gc?: () => void }).gc?.()
  const start = performance.now()
  let found: number
  let detail: MethodResult['detail']
  if (services !== undefined) {
    const s = await codedSymbols(link, services.a, services.b)
    // Answers that arrive after the session decoded (it asked for more than it needed) are dropped as unexpected: that is expected.
    const late = s.drops['unexpected-symbols'] ?? 0
    const drops = Object.values(s.drops).reduce((n, x) => n + x, 0) - late
    if (drops > 0) throw new Error(`symbols: the services dropped datagrams (${JSON.stringify(s.drops)}); the bench expects none`)
    found = s.newerFetched + s.weLack + s.theyLack
    detail = { end: s.end, policy: options.policy, symbols: s.symbols, requested: s.requested, symbolsPerDifference: options.diff === 0 ? 0 : round(s.symbols / options.diff, 3), firstEstimate: s.firstEstimate ?? '–', symbolsRequests: s.symbolsRequests, bundleRequests: s.bundleRequests, newerFetches: s.newerFetches, newerFetched: s.newerFetched, weLack: s.weLack, theyLack: s.theyLack, notServed: s.notServed, lateAnswers: late }
  } else {
    const w = await bloomWalk(link, options.diff, options.maxSteps)
    found = link.a.fresh + link.b.fresh
    detail = { steps: w.steps, freshOffers: w.offers.a.fresh + w.offers.b.fresh, reusedOffers: w.offers.a.reused + w.offers.b.reused, skippedOffers: w.offers.a.skipped + w.offers.b.skipped, duplicates: link.a.duplicates + link.b.duplicates }
  }
  const wallMs = performance.now() - start
  await link.close()
  return summarize(method, link, options.diff, found, detail, wallMs, sets)
}

function summarize(method: ReconcileMethod, link: Link, diff: number, found: number, detail: MethodResult['detail'], wallMs: number, sets: BenchSets): MethodResult {
  const { a, b } = link
  const undelivered = [a, b].reduce((n, s) => n + s.transport.stats().dropped, 0) + link.lost + a.rejected + b.rejected
  if (undelivered > 0) throw new Error(`${method}: ${undelivered} datagrams or bundles were dropped; the bench expects none`)
  const resolved = a.fresh + b.fresh
  if (a.fresh > sets.onlyB || b.fresh > sets.onlyA) throw new Error(`${method}: more new bundles than differences`)
  const total = link.aToB.bytes + link.bToA.bytes
  const missingBytes = a.freshBytes + b.freshBytes
  const metadataBytes = total - missingBytes
  const requestTypes = ['introduction-request', 'symbols-request', 'bundle-request'] as const
  return {
    method,
    finished: resolved === diff,
    roundTrips: link.roundTrips(),
    requests: requestTypes.reduce((n, t) => n + (link.byType.get(t)?.datagrams ?? 0), 0),
    found,
    resolved,
    datagrams: { aToB: link.aToB.datagrams, bToA: link.bToA.datagrams },
    bytes: { aToB: link.aToB.bytes, bToA: link.bToA.bytes, total },
    missingBytes,
    metadataBytes,
    metadataPerDifference: diff === 0 ? null : round(metadataBytes / diff, 1),
    largestDatagram: link.largestDatagram,
    cpuMs: { a: round(a.cpuMicros / 1000, 2), b: round(b.cpuMicros / 1000, 2) },
    storeCpuMs: { a: round(a.storeMicros / 1000, 2), b: round(b.storeMicros / 1000, 2) },
    gcMs: { a: round(a.gcMs, 2), b: round(b.gcMs, 2) },
    wallMs: round(wallMs, 0),
    byType: Object.fromEntries([...link.byType].map(([k, v]) => [k, { ...v }])),
    detail
  }
}

function round(x: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

/** The command line (`io.signal`: Ctrl-C). */
export async function runReconcileBench(argv: string[], out: (line: string) => void, io: Partial<CommandIo> = {}): Promise<number | void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      shared: { type: 'string' },
      diff: { type: 'string' },
      layout: { type: 'string' },
      budget: { type: 'string' },
      'max-steps': { type: 'string' },
      methods: { type: 'string' },
      policy: { type: 'string' },
      'symbols-per-difference': { type: 'string' },
      'full-ids': { type: 'boolean' },
      'symbols-per-root-difference': { type: 'string' },
      'first-window-share': { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean' }
    },
    strict: true,
    allowPositionals: false
  })
  if (values.help === true) return out(RECONCILE_BENCH_USAGE)
  const options: ReconcileBenchOptions = {
    shared: numberOption('shared', values.shared, 100_000, { integer: true, min: 1, max: 10_000_000 }),
    diff: numberOption('diff', values.diff, 100, { integer: true, min: 0, max: 1_000_000 }),
    layout: choiceOption('layout', values.layout, LAYOUTS, 'random'),
    budget: numberOption('budget', values.budget, 1200, { integer: true, min: MIN_DATAGRAM_BUDGET, max: MAX_DATAGRAM_BUDGET }),
    maxSteps: numberOption('max-steps', values['max-steps'], 5000, { integer: true, min: 1 }),
    methods: methodsOption(values.methods),
    policy: choiceOption('policy', values.policy, CATCH_UP_POLICIES, 'node'),
    symbolsPerDifference: numberOption('symbols-per-difference', values['symbols-per-difference'], DEFAULT_SYMBOLS_PER_DIFFERENCE, { min: 0.5, max: 10 }),
    seed: numberOption('seed', values.seed, 1, { integer: true, min: 0, max: 2 ** 32 - 1 }),
    fullIds: values['full-ids'] === true,
    ...(values['symbols-per-root-difference'] === undefined ? {} : { symbolsPerRootDifference: numberOption('symbols-per-root-difference', values['symbols-per-root-difference'], 0, { min: 0, max: 100 }) }),
    ...(values['first-window-share'] === undefined ? {} : { firstWindowShare: numberOption('first-window-share', values['first-window-share'], 0.7, { min: 0.05, max: 1 }) })
  }
  const err = io.err ?? process.stderr
  const signal = io.signal
  let report: ReconcileBenchReport
  try {
    report = await reconcileBench(options, (line) => err.write(`reconcile-bench: ${line}\n`), signal)
  } catch (e) {
    // Ctrl-C: a partial benchmark measures nothing, so it stops at once (exit 130).
    if (signal?.aborted === true) {
      err.write('reconcile-bench: interrupted\n')
      return 130
    }
    throw e
  }
  if (values.json === true) return out(JSON.stringify(report))
  for (const line of formatReport(report)) out(line)
}

function methodsOption(raw: string | undefined): ReconcileMethod[] {
  if (raw === undefined) return [...RECONCILE_METHODS]
  const list = raw.split(',').map((m) => m.trim())
  for (const m of list) if (!(RECONCILE_METHODS as readonly string[]).includes(m)) throw new UsageError(`--methods takes ${RECONCILE_METHODS.join(', ')}, got "${m}"`)
  if (list.length === 0 || new Set(list).size !== list.length) throw new UsageError('--methods must list each method at most once')
  return list as ReconcileMethod[]
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const controller = new AbortController()
  process.once('SIGINT', () => controller.abort())
  runReconcileBench(process.argv.slice(2), (line) => process.stdout.write(line + '\n'), { signal: controller.signal }).then(
    (code) => {
      if (typeof code === 'number') process.exitCode = code
    },
    (err: unknown) => {
      if (err instanceof UsageError || (err instanceof Error && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))) {
        process.stderr.write(`reconcile-bench: ${err.message}\n${RECONCILE_BENCH_USAGE}\n`)
        process.exitCode = 2
      } else {
        process.stderr.write(`reconcile-bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
        process.exitCode = 1
      }
    }
  )
}
