/**
 * Intake budgets (DESIGN §14, issue 20): how much work one source host (an IPv4 address, an
 * IPv6 /64) and one author key may make this node do per second — signature checks, bundles
 * stored, bytes stored. The intake asks {@link IntakeBudgets.admit} after the cheap checks
 * (global time, duplicate, size, overlay) and BEFORE the signature check, so a flood over
 * budget costs a map look-up per bundle, not an Ed25519 verification, a store write or a log
 * line. Every path that brings a peer's bundle into an overlay (walk answers, pushes,
 * bundle-requests, catch-up) goes through `BundleIntake.accept`, which is the one entry point
 * that charges these budgets.
 *
 * Token buckets refilled on the injected clock (`now` in ms is passed in). An author is
 * charged only for bundles whose signature verified, so a forger claiming someone's key
 * cannot spend that author's budget; a host is charged for every check it causes, and a
 * failed signature check costs it `badSignatureCost` checks. Both tables are bounded (least
 * recently used forgotten first): a forgotten key starts again with a full budget, so
 * cycling through more keys than the bound costs the attacker that many hosts or authors.
 */
import { hostKey } from '../nat/index.js'
import { addressKey, type Address } from '../wire/index.js'
import { RateTable } from './rate-table.js'
import type { DatagramRates } from './datagram-budget.js'

/** Per-second rates of one budget; the bucket holds `burstSeconds` of each. */
export interface IntakeRates {
  /** Signature checks per second. */
  verifications: number
  /** Bundles stored per second. */
  stores: number
  /** Bundle bytes stored per second. */
  bytes: number
}

export interface IntakeBudgetsInit {
  /** Per source host (IPv4 address, IPv6 /64). Default {@link DEFAULT_HOST_RATES}. */
  host?: Partial<IntakeRates>
  /** Per author key (charged only once its signature verified). Default {@link DEFAULT_AUTHOR_RATES}. */
  author?: Partial<IntakeRates>
  /** Seconds of each rate a fresh bucket holds (the burst). Default 2. */
  burstSeconds?: number
  /** Per source, before decoding (./datagram-budget.ts): datagrams and bytes a second. Default `DEFAULT_DATAGRAM_RATES` (./datagram-budget.ts). */
  datagrams?: Partial<DatagramRates>
  /** Signature checks a failed check costs its host. Default 8. */
  badSignatureCost?: number
  /** Hosts remembered (least recently used forgotten). Default 4 096. */
  maxHosts?: number
  /** Authors remembered (least recently used forgotten). Default 4 096. */
  maxAuthors?: number
}

/**
 * Per host: 100 checks, 100 bundles and 64 KiB per second. An honest peer answering our walk
 * sends at most 5 120 bytes (≈ 27 bundles) per 5 s step; the budget leaves room for pushes and
 * catch-up while holding a flood's signature checks to a few milliseconds of CPU per second.
 */
export const DEFAULT_HOST_RATES: Readonly<IntakeRates> = Object.freeze({ verifications: 100, stores: 100, bytes: 64 * 1024 })
/** Per author: 50 bundles and 32 KiB per second, far above a person typing, below a flood. */
export const DEFAULT_AUTHOR_RATES: Readonly<IntakeRates> = Object.freeze({ verifications: 50, stores: 50, bytes: 32 * 1024 })

/** Why {@link IntakeBudgets.admit} refused a bundle (the bundle-drop reason). */
export type BudgetRefusal = 'host-verify-budget' | 'host-store-budget' | 'host-bytes-budget' | 'author-verify-budget' | 'author-store-budget' | 'author-bytes-budget'

/** Figures of {@link IntakeBudgets}. */
export interface IntakeBudgetStats {
  hosts: number
  authors: number
}

/** Per-host and per-author intake budgets of one node (all overlays together). */
export class IntakeBudgets {
  readonly #hosts: RateTable<keyof IntakeRates>
  readonly #authors: RateTable<keyof IntakeRates>
  readonly #badSignatureCost: number

  constructor(init: IntakeBudgetsInit = {}) {
    const burst = init.burstSeconds ?? 2
    this.#hosts = new RateTable<keyof IntakeRates>({ ...DEFAULT_HOST_RATES, ...init.host }, burst, init.maxHosts ?? 4096)
    this.#authors = new RateTable<keyof IntakeRates>({ ...DEFAULT_AUTHOR_RATES, ...init.author }, burst, init.maxAuthors ?? 4096)
    this.#badSignatureCost = init.badSignatureCost ?? 8
  }

  /** The budget key of a source address: its IPv4 address or IPv6 /64 (the host string otherwise). */
  static hostOf(host: string): string {
    return hostKey(host) ?? host
  }

  /**
   * Before a signature check of `bytes` bytes claimed by `author` from `host`: may it go ahead?
   * Charges the host one check when it may; charges nothing when it may not.
   */
  admit(host: string, author: string, bytes: number, now: number): BudgetRefusal | undefined {
    const h = this.#hosts.get(host, now)
    if (h.verifications < 1) return 'host-verify-budget'
    if (h.stores < 1) return 'host-store-budget'
    if (h.bytes < bytes) return 'host-bytes-budget'
    // The author is looked at, not charged: the key is only a claim until the signature verifies.
    const a = this.#authors.peek(author)
    if (a !== undefined) {
      const refilled = this.#authors.get(author, now)
      if (refilled.verifications < 1) return 'author-verify-budget'
      if (refilled.stores < 1) return 'author-store-budget'
      if (refilled.bytes < bytes) return 'author-bytes-budget'
    }
    h.verifications -= 1
    return undefined
  }

  /**
   * The signature check `admit` allowed is done: a verified one is charged to its author, a
   * failed one costs the host the penalty.
   */
  checked(host: string, author: string, ok: boolean, now: number): void {
    if (ok) this.#authors.get(author, now).verifications -= 1
    else this.#hosts.get(host, now).verifications -= this.#badSignatureCost - 1
  }

  /** A bundle from `host` by `author` (signature verified) was stored. */
  stored(host: string, author: string, bytes: number, now: number): void {
    const h = this.#hosts.get(host, now)
    h.stores -= 1
    h.bytes -= bytes
    const a = this.#authors.get(author, now)
    a.stores -= 1
    a.bytes -= bytes
  }

  /**
   * Before decoding a datagram from `from`: is its source in debt, i.e. did its failed
   * signature checks cost more than its budget held? Then the datagram is dropped before the
   * decode (DESIGN §14: over budget is dropped before the expensive work) until the debt is
   * paid by waiting. The source is the port when it has spent a budget of its own (it once
   * brought new bundles, `sourceOf` in ./intake.ts), else its host: a flooder's ports share
   * its host's debt, an honest port that proved useful keeps its own.
   */
  inDebt(from: Address, now: number): boolean {
    const port = addressKey(from)
    const key = this.#hosts.peek(port) !== undefined ? port : IntakeBudgets.hostOf(from.host)
    return this.#hosts.peek(key) !== undefined && this.#hosts.get(key, now).verifications < 0
  }

  stats(): IntakeBudgetStats {
    return { hosts: this.#hosts.size, authors: this.#authors.size }
  }
}
