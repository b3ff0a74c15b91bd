/** Counters of one node: datagrams and bytes by packet type and direction, drops by reason. */
import type { PacketType } from '../wire/index.js'

/** Why an inbound datagram or bundle was dropped (wire reasons plus the node's own). */
export type NodeDropReason =
  | string // the wire's DropReason values ('too-short', 'malformed', 'bad-bloom', …)
  | 'unknown-overlay'
  | 'unexpected-response'
  | 'unexpected-puncture'
  | 'unknown-source'
  | 'self'
  | 'handler-error'
  | 'amplification-limit'
  | 'tracker-ignores'
  | 'private-group'

export interface TrafficCounters {
  datagrams: number
  bytes: number
}

/** A plain, JSON-friendly snapshot of the node's counters. */
export interface NodeCounters {
  in: Record<string, TrafficCounters>
  out: Record<string, TrafficCounters>
  /** The part of `out` sent to addresses that had not validated (the anti-amplification guard's charge). */
  outUnvalidated: Record<string, TrafficCounters>
  /** Inbound datagrams dropped, by reason. */
  drops: Record<string, number>
  /** Bundles rejected after decoding, by reason (bad signature, global time, …). */
  bundleDrops: Record<string, number>
  bundlesStored: number
  bundlesDuplicate: number
  /** Stored bundles deleted by the room policy (quota, history, pruning). */
  bundlesPruned: number
  /** Introduction-requests sent: walk steps, first-contact follow-ups and retries. */
  walks: number
  /**
   * Walk steps taken (each step timer that fired with no step of its overlay still in
   * flight): a busy node's late timers take fewer than one per step interval. The testbed
   * turns wall time into steps with it (bench/testbed).
   */
  walkSteps: number
  walkTimeouts: number
  /** Walks sent as validation probes (no sync offer: the address had not validated). */
  walkProbes: number
  /** Candidates dropped because a validation probe to them went unanswered. */
  probesDropped: number
  /** Packets of a private group's overlay not sent because the destination is no member (issue 19). */
  privateRefused: number
  /** Walk steps that failed (the store stopped serving after a failed write). */
  walkErrors: number
  /** Sync answers held back for an unvalidated walker (answered when it echoes the token). */
  answersDeferred: number
  /** Sync offers answered without bundles because enough answers were in progress (a flood; pending-answers.ts). */
  answersShed: number
}

export class Counters {
  readonly #in = new Map<string, TrafficCounters>()
  readonly #out = new Map<string, TrafficCounters>()
  readonly #outUnvalidated = new Map<string, TrafficCounters>()
  readonly #drops = new Map<string, number>()
  readonly #bundleDrops = new Map<string, number>()
  bundlesStored = 0
  bundlesDuplicate = 0
  bundlesPruned = 0
  walks = 0
  walkSteps = 0
  walkTimeouts = 0
  walkProbes = 0
  probesDropped = 0
  privateRefused = 0
  walkErrors = 0
  answersDeferred = 0
  answersShed = 0

  received(type: PacketType, bytes: number): void {
    add(this.#in, type, bytes)
  }

  sent(type: PacketType, bytes: number): void {
    add(this.#out, type, bytes)
  }

  sentUnvalidated(type: PacketType, bytes: number): void {
    add(this.#outUnvalidated, type, bytes)
  }

  drop(reason: NodeDropReason): void {
    this.#drops.set(reason, (this.#drops.get(reason) ?? 0) + 1)
  }

  bundleDrop(reason: string): void {
    this.#bundleDrops.set(reason, (this.#bundleDrops.get(reason) ?? 0) + 1)
  }

  snapshot(): NodeCounters {
    return {
      in: Object.fromEntries([...this.#in].map(([k, v]) => [k, { ...v }])),
      out: Object.fromEntries([...this.#out].map(([k, v]) => [k, { ...v }])),
      outUnvalidated: Object.fromEntries([...this.#outUnvalidated].map(([k, v]) => [k, { ...v }])),
      drops: Object.fromEntries(this.#drops),
      bundleDrops: Object.fromEntries(this.#bundleDrops),
      bundlesStored: this.bundlesStored,
      bundlesDuplicate: this.bundlesDuplicate,
      bundlesPruned: this.bundlesPruned,
      walks: this.walks,
      walkSteps: this.walkSteps,
      walkTimeouts: this.walkTimeouts,
      walkProbes: this.walkProbes,
      probesDropped: this.probesDropped,
      privateRefused: this.privateRefused,
      walkErrors: this.walkErrors,
      answersDeferred: this.answersDeferred,
      answersShed: this.answersShed
    }
  }
}

function add(map: Map<string, TrafficCounters>, type: string, bytes: number): void {
  const c = map.get(type)
  if (c === undefined) map.set(type, { datagrams: 1, bytes })
  else {
    c.datagrams++
    c.bytes += bytes
  }
}
