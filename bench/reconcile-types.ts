/** The shapes of `npm run reconcile-bench`'s run and report, shared by the run (reconcile-bench.ts) and its text output (reconcile-report.ts). */
import type { CatchUpPolicy } from './reconcile-symbols.js'
import type { Layout } from './reconcile-fixture.js'
import type { Traffic } from './reconcile-link.js'

import { RECONCILE_METHODS } from '../src/cli/reconcile-bench.js'

export { RECONCILE_METHODS }
export type ReconcileMethod = (typeof RECONCILE_METHODS)[number]

/** Parameters of one run. */
export interface ReconcileBenchOptions {
  shared: number
  diff: number
  layout: Layout
  budget: number
  maxSteps: number
  methods: readonly ReconcileMethod[]
  /** Coded symbols: the node's policy. */
  policy: CatchUpPolicy
  /** Coded symbols: symbols asked for per estimated difference. */
  symbolsPerDifference: number
  /** Coded symbols: 32-byte ids in every symbol instead of short ids (the layout before docs/reconcile.md §14). */
  fullIds?: boolean
  /** Coded symbols: symbols asked for on top per square root of the estimated difference (default the node's). */
  symbolsPerRootDifference?: number
  /** Coded symbols: share of the first answer's datagram given to whole symbols (default the node's). */
  firstWindowShare?: number
  seed: number
}

/** What one method did. */
export interface MethodResult {
  method: ReconcileMethod
  /** Every difference is held by both sides. */
  finished: boolean
  /** Sequential request-response round trips (for the Bloom walk: walk steps, both sides together). */
  roundTrips: number
  /** Request datagrams: introduction-requests, or symbols- plus bundle-requests. */
  requests: number
  /** Differences identified (Bloom: those transferred; symbols: ids decoded). */
  found: number
  /** Differences now held by both sides. */
  resolved: number
  datagrams: { aToB: number; bToA: number }
  bytes: { aToB: number; bToA: number; total: number }
  /** Bytes of the bundles a side lacked, each counted once. */
  missingBytes: number
  /** Everything else on the wire: filters, symbols, requests, headers, duplicate bundles. */
  metadataBytes: number
  /** metadataBytes / D; null when D = 0. */
  metadataPerDifference: number | null
  largestDatagram: number
  /** CPU per side, ms (process.cpuUsage around each side's work; sketch building excluded). */
  cpuMs: { a: number; b: number }
  /** Of which storing the bundles that arrived (the same work for every method), ms. */
  storeCpuMs: { a: number; b: number }
  /** Garbage-collection pauses during each side's work, ms (noise of a heap holding N bundles twice). */
  gcMs: { a: number; b: number }
  /** Wall time of the whole run, ms. */
  wallMs: number
  byType: Record<string, Traffic>
  /** Method-specific figures (Bloom: offers by kind; symbols: the session). */
  detail: Record<string, number | string>
}

/** The whole run. */
export interface ReconcileBenchReport {
  options: ReconcileBenchOptions
  setup: {
    bundles: number
    bundleBytes: number
    /** Wall time to generate the bundles, ms. */
    generateMs: number
    /** CPU to open each side's ledger (a store scan building the sketch, L = 2^14), ms: before the coded-symbol run, not in its CPU. */
    sketchCpuMs: { a: number; b: number } | null
    /**
     * The information floor for this D, bytes per difference (src/reconcile/floor.ts): with
     * 32-byte ids and with 64-bit short ids; null when D = 0.
     */
    floor: { fullIds: number; shortIds: number } | null
    node: string
  }
  results: MethodResult[]
}
