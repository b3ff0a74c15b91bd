/** Options, counters and option checks of {@link MemoryNetwork} (see `memory.ts`). */
import { BloomwalkError } from '../errors.js'
import type { Clock } from '../env/clock.js'
import type { Logger } from '../env/logger.js'
import type { Rng } from '../env/rng.js'
import { addressKey, canonicalAddress } from './address.js'
import type { Address } from './types.js'

/** One-way delay in ms: a constant, or a function of (sender's bound address, destination). */
export type LatencyModel = number | ((from: Address, to: Address) => number)

/** Per-link overrides for {@link MemoryNetwork.setLink}; unset fields use the network's values. */
export interface LinkOptions {
  /** Loss probability on this link, 0..1 (replaces the network's `loss`). */
  loss?: number
  /** Base one-way delay on this link in ms (replaces `latencyMs`; jitter and reorder still apply). */
  latencyMs?: number
  /** Drop everything on this link (counted as `blocked`). */
  blocked?: boolean
}

/** What an {@link Interceptor} sees. `bytes` is the sender's datagram: read it, do not change it. */
export interface InterceptedPacket {
  from: Address
  to: Address
  bytes: Uint8Array
}

/**
 * A routing hook applied at send time to every datagram copy (a future NAT layer): return
 * the addresses to use (`from` is what the receiver sees, `to` picks the receiving
 * transport), or `null` to drop it (counted as `denied`).
 */
export type Interceptor = (packet: InterceptedPacket) => { from: Address; to: Address } | null

/** Options of {@link MemoryNetwork}. Probabilities are in 0..1, times in ms. */
export interface MemoryNetworkOptions {
  /** Schedules every delivery; a `ManualClock` makes runs reproducible. */
  clock: Clock
  /** Drives loss, jitter, duplication and reorder; a `SeededRng` makes runs reproducible. */
  rng: Rng
  /** Base one-way delay (default 0: delivered on the next clock turn). */
  latencyMs?: LatencyModel
  /** Extra delay drawn uniformly from [0, jitterMs) per copy (default 0). */
  jitterMs?: number
  /** Probability that a copy is lost (default 0). */
  loss?: number
  /** Probability that a datagram is delivered twice, the copy with its own delay (default 0). */
  duplication?: number
  /** Probability that a copy gets extra delay, uniform in [0, reorderDelayMs), overtaking it (default 0). */
  reorder?: number
  /** Upper bound of the reorder extra delay (default {@link DEFAULT_REORDER_DELAY_MS}). */
  reorderDelayMs?: number
  /** Outgoing datagrams longer than this are dropped at the sender (default {@link DEFAULT_MAX_DATAGRAM}). */
  maxDatagram?: number
  /** Initial routing hook; also settable later through {@link MemoryNetwork.interceptor}. */
  interceptor?: Interceptor | null
  /**
   * Test mode: `send()` to an unbound address throws `INVALID_ARGUMENT`, and exceptions of
   * `onPacket` propagate out of the clock instead of being counted and logged.
   */
  strict?: boolean
  /** Receives handler exceptions in non-strict mode; default silent. */
  logger?: Logger
}

/** Counters of one network. Copies of a datagram that entered it satisfy
 * `sent + duplicated = delivered + lost + blocked + denied + unroutable + offline + inFlight`. */
export interface MemoryNetworkStats {
  /** Datagram copies that entered the network (one per unicast send, one per topic subscriber reached). */
  readonly sent: number
  /** `publish()` calls that entered the network. */
  readonly published: number
  /** Copies handed to an online, bound transport. */
  readonly delivered: number
  /** Payload bytes of {@link MemoryNetworkStats.delivered}. */
  readonly bytesDelivered: number
  /** Copies dropped by a loss draw. */
  readonly lost: number
  /** Extra copies created by a duplication draw. */
  readonly duplicated: number
  /** Copies that got the reorder extra delay. */
  readonly reordered: number
  /** Copies to an address nobody had bound at send time, or that was closed by delivery time. */
  readonly unroutable: number
  /** Copies whose destination was offline at delivery time. */
  readonly offline: number
  /** Copies dropped by a blocked link. */
  readonly blocked: number
  /** Copies the interceptor dropped. */
  readonly denied: number
  /** Copies scheduled but not yet delivered or dropped. */
  readonly inFlight: number
}

/** Default upper bound of the extra delay a reordered copy gets, in ms. */
export const DEFAULT_REORDER_DELAY_MS = 50


/** An INVALID_ARGUMENT error titled by the call that rejects the value. */
export function invalid(title: string, message: string): BloomwalkError {
  return new BloomwalkError('INVALID_ARGUMENT', `${title}: ${message}`)
}

/** The canonical key of `address`. @throws {BloomwalkError} INVALID_ARGUMENT when it is not an IP literal and a port */
export function keyOf(title: string, address: Address): string {
  const a = canonicalAddress(address)
  if (a === undefined) throw invalid(title, `not an IP address and port: ${String(address?.host)}:${String(address?.port)}`)
  return addressKey(a)
}

/** `p` after checking it is in 0..1. @throws {BloomwalkError} INVALID_ARGUMENT otherwise */
export function probability(name: string, p: number): number {
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw invalid('MemoryNetwork', `${name} must be a probability in 0..1, got ${String(p)}`)
  return p
}

/** `v` after checking it is a finite number ≥ 0. @throws {BloomwalkError} INVALID_ARGUMENT otherwise */
export function nonNegative(name: string, v: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw invalid('MemoryNetwork', `${name} must be a finite number >= 0, got ${String(v)}`)
  return v
}
