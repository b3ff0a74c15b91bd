/** Options of a node, with defaults (DESIGN §2, §5, §6, §9). */
import type { BundleStore } from '../store/types.js'
import type { CandidateTableInit } from '../candidates/index.js'
import type { Clock } from '../env/clock.js'
import type { Logger } from '../env/logger.js'
import type { Rng } from '../env/rng.js'
import type { KeyPair } from '../bundle/sign.js'
import type { Bundle } from '../bundle/types.js'
import type { NodeMvdsOptions } from './mvds.js'
import type { IntakeBudgetsInit } from './budgets.js'
import type { RoomPolicy } from '../bundle/policy.js'
import type { PushOptions } from './push.js'
import type { SyncConfig } from '../sync/config.js'
import type { Transport } from '../transport/types.js'
import type { Address, DecodeLimits } from '../wire/index.js'

/** What a node does. */
export type NodeRole = 'peer' | 'tracker'

/** Everything a node is built from. Components are injected; the CLI and simulator pick them. */
export interface NodeOptions {
  transport: Transport
  clock: Clock
  rng: Rng
  /** Where bundles live. A tracker stores nothing and ignores it. */
  store?: BundleStore
  logger?: Logger
  /** The author key for `publish`. Default: generated from `rng`. */
  keys?: KeyPair
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
   * Signature check of received bundles. Default: Ed25519 by node:crypto (OpenSSL), about 15×
   * the portable @noble/curves path, which is used where node:crypto lacks Ed25519
   * (./native-verify.ts). The simulator injects one memoised across its nodes (each distinct
   * bundle verified once per run).
   */
  verifyBundle?: (bundle: Bundle) => boolean
  /** Idle checks and catch-up by coded symbols after walk steps (DESIGN §11). Default true. */
  catchUp?: boolean
  /** Coded symbols kept per overlay (the largest difference catch-up decodes ≈ length / 1.4). Default 16 384. */
  sketchLength?: number
  /** Recent sketch changes remembered so a catch-up responder serves each session from its start (copy-free snapshots). Default 4 096. */
  sketchJournal?: number
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

/** The options with every default filled in. */
export type ResolvedNodeOptions = NodeOptions & {
  role: NodeRole
  stepIntervalMs: number
  requestTimeoutMs: number
  punctureRequests: boolean
  amplificationFactor: number
  maxTrackedOverlays: number
  deliveryQueue: number
  maxParents: number
  causalBuffer: number
  causalWaitMs: number
}

export const NODE_DEFAULTS: Readonly<Omit<ResolvedNodeOptions, keyof NodeOptions | never> & Pick<ResolvedNodeOptions, 'role' | 'stepIntervalMs' | 'requestTimeoutMs' | 'punctureRequests' | 'amplificationFactor' | 'maxTrackedOverlays' | 'deliveryQueue' | 'maxParents' | 'causalBuffer' | 'causalWaitMs'>> = Object.freeze({
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
