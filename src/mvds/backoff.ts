/**
 * Retransmission schedules. The spec: "Send Epoch … SHOULD be exponentially increased until
 * reaching an upper bound where it then goes back to a lower epoch in order to prevent a
 * record's Send Epoch's from becoming too large."
 */
import { BloomwalkError } from '../errors.js'
import type { MvdsBackoff } from './types.js'

/** Options of {@link exponentialBackoff}. */
export interface ExponentialBackoffOptions {
  /** Delay after the first transmission, epochs (≥ 1). Default 2: one epoch for the peer to react, one for the reply. */
  min?: number
  /** Upper bound of the delay, epochs (≥ min). Default 32. */
  max?: number
}

/**
 * A cyclic exponential schedule: after the n-th transmission wait `min · 2^(n−1)` epochs
 * while that stays ≤ `max`; the transmission after the one that waited the longest delay
 * starts the cycle over at `min`. Defaults: 2, 4, 8, 16, 32, 2, 4, … (62 epochs per cycle
 * of 5 transmissions).
 * @throws {BloomwalkError} INVALID_ARGUMENT unless 1 ≤ min ≤ max are safe integers
 */
export function exponentialBackoff(options: ExponentialBackoffOptions = {}): MvdsBackoff {
  const min = options.min ?? 2
  const max = options.max ?? 32
  if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || min < 1 || max < min) {
    throw new BloomwalkError('INVALID_ARGUMENT', `exponentialBackoff needs integers 1 <= min <= max, got ${min}, ${max}`)
  }
  // Number of doublings that stay within the bound: min·2^(steps−1) ≤ max.
  let steps = 1
  while (min * 2 ** steps <= max) steps++
  return (sendCount) => min * 2 ** ((Math.max(1, Math.floor(sendCount)) - 1) % steps)
}

/** The default schedule: {@link exponentialBackoff} with min 2, max 32. */
export const DEFAULT_BACKOFF: MvdsBackoff = exponentialBackoff()

/** A backoff result as a whole number of epochs ≥ 1 (NaN and values below 1 become 1). */
export function backoffDelay(backoff: MvdsBackoff, sendCount: number): number {
  const d = Math.floor(backoff(sendCount))
  return Number.isFinite(d) && d >= 1 ? d : d === Infinity ? Number.MAX_SAFE_INTEGER : 1
}
