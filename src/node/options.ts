/**
 * Options of a node (DESIGN §2, §5, §6, §9, §12), in two groups: `components`, what it is
 * built from (injected; the CLI and simulator pick them), and `settings`, how it behaves
 * (every one has a default). {@link resolveNodeOptions} checks them at the boundary: a bad
 * one — a wrong value, an unknown name, a component among the settings or the reverse — is
 * an INVALID_ARGUMENT naming the option by its path (`settings.stepIntervalMs`).
 */
import type { BundleStore } from '../store/types.js'
import type { CandidateTableInit } from '../candidates/index.js'
import type { Clock } from '../env/clock.js'
import type { Logger } from '../env/logger.js'
import type { Rng } from '../env/rng.js'
import type { KeyPair } from '../bundle/sign.js'
import type { Bundle } from '../bundle/types.js'
import { BloomwalkError } from '../errors.js'
import type { NodeMvdsOptions } from './mvds.js'
import type { IntakeBudgetsInit } from './budgets.js'
import type { RoomPolicy } from '../bundle/policy.js'
import type { PushOptions } from './push.js'
import type { SyncConfig } from '../sync/config.js'
import type { Transport } from '../transport/types.js'
import type { Address, DecodeLimits } from '../wire/index.js'
import { DEFAULT_JOURNAL_LENGTH, DEFAULT_SKETCH_LENGTH, MAX_JOURNAL_LENGTH, MAX_SKETCH_LENGTH } from '../reconcile/index.js'

/** What a node does. */
export type NodeRole = 'peer' | 'tracker'

/** What a node is built from: injected, never created by the node. */
export interface NodeComponents {
  transport: Transport
  clock: Clock
  rng: Rng
  /** Where bundles live (a peer needs one). A tracker stores nothing and ignores it. */
  store?: BundleStore
  logger?: Logger
  /** The author key for `publish`. Default: generated from `rng`. */
  keys?: KeyPair
  /**
   * Signature check of received bundles. Default: Ed25519 by node:crypto (OpenSSL), about 15×
   * the portable @noble/curves path, which is used where node:crypto lacks Ed25519
   * (./native-verify.ts). The simulator injects one memoised across its nodes (each distinct
   * bundle verified once per run).
   */
  verifyBundle?: (bundle: Bundle) => boolean
}

/** Coded-symbol catch-up (DESIGN §11): idle checks and sessions after walk steps. */
export interface CatchUpOptions {
  /** Coded symbols kept per overlay (the largest difference catch-up decodes ≈ length / 1.4). Default 16 384. */
  sketchLength?: number
  /** Recent sketch changes remembered so a catch-up responder serves each session from its start (copy-free snapshots). Default 4 096. */
  journal?: number
  /** Sessions over 64-bit short ids (docs/reconcile.md §14). Default true; false: 32-byte ids in every symbol. */
  shortIds?: boolean
}

/** How a node behaves; every setting has a default. */
export interface NodeSettings {
  role?: NodeRole
  /** Overlays to join at start (32-byte ids). A tracker serves any overlay. */
  overlays?: Uint8Array[]
  /** Trackers and trusted peers: never expire, drawn 1 % of the time (DESIGN §6). */
  trusted?: Address[]
  /** Our LAN address as peers should see it. Default: the transport's bound address. */
  lan?: Address
  /** Milliseconds between walk steps, per overlay. Default 5 000. */
  stepIntervalMs?: number
  /** An introduction-response must arrive within this (ms). Default 10 500. */
  requestTimeoutMs?: number
  /** Send puncture-requests when introducing peers (hole punching). Default true. */
  punctureRequests?: boolean
  sync?: Partial<SyncConfig>
  limits?: Partial<DecodeLimits>
  candidates?: CandidateTableInit
  /** Anti-amplification factor. Default 3. */
  amplificationFactor?: number
  /** Overlays a tracker keeps state for (least recently used dropped). Default 1 024. */
  maxTrackedOverlays?: number
  /** Bundles queued per `bundles()` iterator before the oldest are dropped (and counted). Default 10 000. */
  deliveryQueue?: number
  /** Most parents a bundle may name (published or received). Default 16. */
  maxParents?: number
  /** Bundles that wait in memory per overlay for their parents (more wait in the store). Default 1 024. */
  causalBuffer?: number
  /**
   * How long (ms) a bundle waits in memory for parents that do not come; then it is
   * delivered with `missingParents` set. Default 60 000.
   */
  causalWaitMs?: number
  /**
   * Idle checks and catch-up by coded symbols after walk steps (DESIGN §11), with the sketch's
   * sizes; `false` turns the idle checks off (the sketch is still kept, with the default
   * sizes, and answered from). Default: on, default sizes.
   */
  catchUp?: false | CatchUpOptions
  /**
   * Per source host and per author: signature checks, bundles and bytes stored per second
   * (DESIGN §14); over budget is dropped and counted before the signature check.
   * Defaults in `budgets.ts`.
   */
  intakeBudgets?: IntakeBudgetsInit
  /** Room policies by overlay id (hex), for the overlays joined at start (DESIGN §14). Default: the default policy. */
  policies?: ReadonlyMap<string, RoomPolicy>
  /** Identity nonces of this node's key by overlay id (hex), minted before (`node.identityNonce`); others are minted at the first publish. */
  identityNonces?: ReadonlyMap<string, Uint8Array>
  /** Run MVDS for private groups (DESIGN §7): mode, epoch length, optional multicast topic. */
  mvds?: NodeMvdsOptions
  /** Push on publish and forwarding of fresh pushed bundles (DESIGN §13; defaults in src/node/push.ts). `{ fanout: 0 }` turns push off (pull alone, as Dispersy's walk). */
  push?: Partial<PushOptions>
}

/** What {@link createNode} takes: what the node is built from, and how it behaves. */
export interface NodeOptions {
  components: NodeComponents
  settings?: NodeSettings
}

/** Every component's name (the compiler checks the list is complete). */
const COMPONENTS: Readonly<Record<keyof NodeComponents, true>> = { transport: true, clock: true, rng: true, store: true, logger: true, keys: true, verifyBundle: true }
/** Every setting's name (the compiler checks the list is complete). */
const SETTINGS: Readonly<Record<keyof NodeSettings, true>> = {
  role: true,
  overlays: true,
  trusted: true,
  lan: true,
  stepIntervalMs: true,
  requestTimeoutMs: true,
  punctureRequests: true,
  sync: true,
  limits: true,
  candidates: true,
  amplificationFactor: true,
  maxTrackedOverlays: true,
  deliveryQueue: true,
  maxParents: true,
  causalBuffer: true,
  causalWaitMs: true,
  catchUp: true,
  intakeBudgets: true,
  policies: true,
  identityNonces: true,
  mvds: true,
  push: true
}

/** The settings that have plain defaults. */
type Defaulted = 'role' | 'stepIntervalMs' | 'requestTimeoutMs' | 'punctureRequests' | 'amplificationFactor' | 'maxTrackedOverlays' | 'deliveryQueue' | 'maxParents' | 'causalBuffer' | 'causalWaitMs'

/** The options with every default filled in and checked. */
export type ResolvedNodeOptions = NodeComponents &
  Omit<NodeSettings, Defaulted | 'catchUp'> &
  Required<Pick<NodeSettings, Defaulted>> & {
    /** Whether walk steps start idle checks and catch-up sessions. */
    catchUp: boolean
    /** The sketch's sizes (kept and answered from even with catch-up off). */
    sketch: Required<CatchUpOptions>
  }

export const NODE_DEFAULTS: Readonly<Required<Pick<NodeSettings, Defaulted>>> = Object.freeze({
  role: 'peer' as NodeRole,
  stepIntervalMs: 5000,
  requestTimeoutMs: 10_500,
  punctureRequests: true,
  amplificationFactor: 3,
  maxTrackedOverlays: 1024,
  deliveryQueue: 10_000,
  maxParents: 16,
  causalBuffer: 1024,
  causalWaitMs: 60_000
})

function invalid(option: string, message: string, got: unknown): BloomwalkError {
  return new BloomwalkError('INVALID_ARGUMENT', `createNode: ${option} ${message}, got ${typeof got === 'object' ? JSON.stringify(got) : String(got)}`)
}

/** An integer in [min, max], or INVALID_ARGUMENT naming `option`. */
function integer(option: string, v: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isSafeInteger(v) || v < min || v > max) throw invalid(option, max === Number.MAX_SAFE_INTEGER ? `must be an integer ≥ ${min}` : `must be an integer in [${min}, ${max}]`, v)
  return v
}

/**
 * Fills in the defaults and checks every option a node reads directly (the nested ones —
 * `sync`, `limits`, `candidates`, `push`, `intakeBudgets`, `mvds` — are checked where they
 * are resolved, each naming its field).
 * @throws {BloomwalkError} INVALID_ARGUMENT naming the first bad option
 */
export function resolveNodeOptions(options: NodeOptions): ResolvedNodeOptions {
  if (typeof options !== 'object' || options === null) throw invalid('options', 'must be an object { components, settings }', options)
  for (const name of Object.keys(options)) {
    if (name === 'components' || name === 'settings') continue
    const home = name in COMPONENTS ? 'components' : name in SETTINGS ? 'settings' : undefined
    throw new BloomwalkError('INVALID_ARGUMENT', home === undefined ? `createNode: ${name} is not an option (createNode takes { components, settings })` : `createNode: ${name} goes in ${home} (createNode takes { components, settings }: options.${home}.${name})`)
  }
  const components = group('components', options.components, COMPONENTS, SETTINGS)
  const settings = group('settings', options.settings ?? {}, SETTINGS, COMPONENTS)
  const o: Omit<ResolvedNodeOptions, 'catchUp' | 'sketch'> = { ...NODE_DEFAULTS, ...settings, ...components }
  for (const name of ['transport', 'clock', 'rng'] as const) if (typeof o[name] !== 'object' || o[name] === null) throw invalid(`components.${name}`, 'is a required component', o[name])
  if (o.role !== 'peer' && o.role !== 'tracker') throw invalid('settings.role', "must be 'peer' or 'tracker'", o.role)
  if (o.role === 'peer' && o.store === undefined) throw new BloomwalkError('INVALID_ARGUMENT', 'createNode: components.store is required: a peer node needs a store')
  integer('settings.stepIntervalMs', o.stepIntervalMs, 1)
  integer('settings.requestTimeoutMs', o.requestTimeoutMs, 1)
  if (typeof o.punctureRequests !== 'boolean') throw invalid('settings.punctureRequests', 'must be a boolean', o.punctureRequests)
  if (typeof o.amplificationFactor !== 'number' || !(o.amplificationFactor >= 1) || !Number.isFinite(o.amplificationFactor)) throw invalid('settings.amplificationFactor', 'must be a finite number ≥ 1', o.amplificationFactor)
  integer('settings.maxTrackedOverlays', o.maxTrackedOverlays, 1)
  integer('settings.deliveryQueue', o.deliveryQueue, 1)
  integer('settings.maxParents', o.maxParents, 0)
  integer('settings.causalBuffer', o.causalBuffer, 1)
  integer('settings.causalWaitMs', o.causalWaitMs, 0)
  const catchUp: unknown = settings.catchUp
  if (catchUp !== undefined && catchUp !== false && (typeof catchUp !== 'object' || catchUp === null)) throw invalid('settings.catchUp', 'must be false (off) or { sketchLength?, journal?, shortIds? } (on; absent: on with the default sizes)', catchUp)
  const sizes: CatchUpOptions = typeof catchUp === 'object' && catchUp !== null ? catchUp : {}
  for (const name of Object.keys(sizes)) if (name !== 'sketchLength' && name !== 'journal' && name !== 'shortIds') throw invalid(`settings.catchUp.${name}`, 'is not a catch-up setting (sketchLength, journal, shortIds)', (sizes as Record<string, unknown>)[name])
  const sketch: Required<CatchUpOptions> = {
    sketchLength: integer('settings.catchUp.sketchLength', sizes.sketchLength ?? DEFAULT_SKETCH_LENGTH, 1, MAX_SKETCH_LENGTH),
    journal: integer('settings.catchUp.journal', sizes.journal ?? DEFAULT_JOURNAL_LENGTH, 0, MAX_JOURNAL_LENGTH),
    shortIds: sizes.shortIds ?? true
  }
  if (typeof sketch.shortIds !== 'boolean') throw invalid('settings.catchUp.shortIds', 'must be a boolean', sizes.shortIds)
  return { ...o, catchUp: catchUp !== false, sketch }
}

/**
 * One group of options without its undefined fields (an option given as undefined takes its
 * default), or INVALID_ARGUMENT naming a field that does not belong in it.
 */
function group<T extends object>(name: 'components' | 'settings', value: T | undefined, own: Readonly<Record<string, true>>, other: Readonly<Record<string, true>>): T {
  if (typeof value !== 'object' || value === null) throw invalid(name, name === 'components' ? 'must be an object { transport, clock, rng, … }' : 'must be an object', value)
  const out: Record<string, unknown> = {}
  for (const [field, v] of Object.entries(value)) {
    if (!(field in own)) {
      const home = field in other ? `: it goes in ${name === 'components' ? 'settings' : 'components'}` : ''
      throw new BloomwalkError('INVALID_ARGUMENT', `createNode: ${name}.${field} is not ${name === 'components' ? 'a component' : 'a setting'}${home}`)
    }
    if (v !== undefined) out[field] = v
  }
  return out as T
}
