/**
 * Sync parameters (DESIGN §5) with Dispersy's constants as defaults, and the per-kind
 * priority and direction policy.
 */
import { BloomwalkError } from '../errors.js'

/** Order in which a responder walks the bundles of one kind. */
export type Direction = 'ascending' | 'descending' | 'random'

/** How bundles of one kind are synced. */
export interface KindPolicy {
  /** 0–255; higher is answered first. At or below the sync threshold: never offered nor answered. */
  priority: number
  direction: Direction
}

/** Range-selection heuristic for building an offer. */
export type Strategy = 'largest' | 'modulo' | 'adaptive'

export interface SyncConfig {
  /** UDP payload budget per datagram, bytes (576–1 472). Default 1 200. */
  datagramBudget: number
  /** Target false-positive rate of a full filter. Default 0.01. */
  falsePositiveRate: number
  strategy: Strategy
  /** Bytes of bundles answered per offer; may be exceeded by at most one bundle. Dispersy: 5 120. */
  responseBudget: number
  /** Store rows a responder reads per offer, matching or not: bounds the work one datagram can cause. */
  maxRowsPerOffer: number
  /** Kinds with priority ≤ this are neither offered nor answered. Dispersy: 32. */
  syncThreshold: number
  /** Policy of kinds not listed in `kinds`. Dispersy's default priority is 127, ascending. */
  defaultKind: KindPolicy
  /** Per-kind policies. */
  kinds: ReadonlyMap<number, KindPolicy>
  /** A filter that got answers is sent again (with what arrived added) up to this many times. Dispersy: 100. */
  reuseLimit: number
  /** A reused filter is dropped once it holds more than this × its capacity (its false-positive rate has grown). */
  reuseFillLimit: number
  /** Probability of sending no filter after n consecutive fresh filters that returned nothing. Dispersy's curve. */
  skipCurve: readonly number[]
  /** Adaptive: use modulo while the walked peer's global time is this far ahead of ours. */
  adaptiveLag: number
  /** Adaptive: use modulo while the smoothed count of new bundles per answered round is at least this. */
  adaptiveYield: number
  /** Bloom probes per id, 1–32, overriding the optimum for the capacity (a tuning experiment; the capacity follows). Default: the optimum. */
  hashFunctions?: number
}

/** Datagram budgets allowed (DESIGN §2): the Internet minimum to Ethernet's payload. */
export const MIN_DATAGRAM_BUDGET = 576
export const MAX_DATAGRAM_BUDGET = 1472

export const DEFAULT_SYNC_CONFIG: Readonly<SyncConfig> = Object.freeze({
  datagramBudget: 1200,
  falsePositiveRate: 0.01,
  strategy: 'largest',
  responseBudget: 5120,
  maxRowsPerOffer: 2048,
  syncThreshold: 32,
  defaultKind: Object.freeze({ priority: 127, direction: 'ascending' }) as KindPolicy,
  kinds: new Map<number, KindPolicy>(),
  reuseLimit: 100,
  reuseFillLimit: 2,
  skipCurve: Object.freeze([0, 0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]),
  adaptiveLag: 1000,
  adaptiveYield: 8
})

/**
 * Fills defaults and checks every field.
 * @throws {BloomwalkError} INVALID_ARGUMENT naming the first bad field
 */
export function syncConfig(overrides: Partial<SyncConfig> = {}): SyncConfig {
  const c: SyncConfig = { ...DEFAULT_SYNC_CONFIG, ...overrides }
  const bad = (field: string, why: string): never => {
    throw new BloomwalkError('INVALID_ARGUMENT', `sync config ${field}: ${why}`)
  }
  if (!Number.isInteger(c.datagramBudget) || c.datagramBudget < MIN_DATAGRAM_BUDGET || c.datagramBudget > MAX_DATAGRAM_BUDGET) {
    bad('datagramBudget', `must be an integer in [${MIN_DATAGRAM_BUDGET}, ${MAX_DATAGRAM_BUDGET}], got ${c.datagramBudget}`)
  }
  if (!(c.falsePositiveRate > 0 && c.falsePositiveRate < 1)) bad('falsePositiveRate', `must be in (0, 1), got ${c.falsePositiveRate}`)
  if (!['largest', 'modulo', 'adaptive'].includes(c.strategy)) bad('strategy', `must be largest, modulo or adaptive, got ${String(c.strategy)}`)
  if (!Number.isInteger(c.responseBudget) || c.responseBudget < 1) bad('responseBudget', 'must be a positive integer')
  if (!Number.isInteger(c.maxRowsPerOffer) || c.maxRowsPerOffer < 1) bad('maxRowsPerOffer', 'must be a positive integer')
  if (!Number.isInteger(c.syncThreshold) || c.syncThreshold < 0 || c.syncThreshold > 255) bad('syncThreshold', 'must be 0..255')
  checkKind('defaultKind', c.defaultKind, bad)
  for (const [kind, policy] of c.kinds) {
    if (!Number.isInteger(kind) || kind < 0 || kind > 255) bad('kinds', `kind ${kind} is not 0..255`)
    checkKind(`kinds[${kind}]`, policy, bad)
  }
  if (!Number.isInteger(c.reuseLimit) || c.reuseLimit < 0) bad('reuseLimit', 'must be a non-negative integer')
  if (!(c.reuseFillLimit >= 1)) bad('reuseFillLimit', 'must be ≥ 1')
  if (c.skipCurve.some((p) => !(p >= 0 && p <= 1))) bad('skipCurve', 'probabilities must be in [0, 1]')
  if (!(c.adaptiveLag >= 0)) bad('adaptiveLag', 'must be ≥ 0')
  if (!(c.adaptiveYield >= 0)) bad('adaptiveYield', 'must be ≥ 0')
  if (c.hashFunctions !== undefined && !(Number.isInteger(c.hashFunctions) && c.hashFunctions >= 1 && c.hashFunctions <= 32)) bad('hashFunctions', `must be an integer in [1, 32], got ${c.hashFunctions}`)
  return c
}

function checkKind(field: string, p: KindPolicy, bad: (f: string, why: string) => never): void {
  if (!Number.isInteger(p.priority) || p.priority < 0 || p.priority > 255) bad(field, 'priority must be 0..255')
  if (!['ascending', 'descending', 'random'].includes(p.direction)) bad(field, `unknown direction ${String(p.direction)}`)
}

/** The policy of a kind. */
export function kindPolicy(config: SyncConfig, kind: number): KindPolicy {
  return config.kinds.get(kind) ?? config.defaultKind
}

/** True when bundles of this kind are offered and answered. */
export function isSyncable(config: SyncConfig, kind: number): boolean {
  return kindPolicy(config, kind).priority > config.syncThreshold
}
