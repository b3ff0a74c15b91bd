/**
 * The information floor of reconciliation: the fewest bytes per difference any protocol can
 * send to tell two peers which D ids they do not share, whatever the layout. Naming D ids
 * among 2^(8b) possible b-byte ids takes log2 C(2^(8b), D) bits, and each difference needs
 * one more bit for the side that holds it:
 *
 *   floor(b, D) = (log2 C(2^(8b), D) + D) / (8·D) bytes ≈ b − log2(D!) / (8·D) + 1/8
 *
 * (the approximation's error, D²/2^(8b+1) bits, is below 10^-7 B for b ≥ 8 and D ≤ 10^6).
 * At D = 100: 31.47 B with 32-byte ids, 7.47 B with 64-bit short ids; at D = 1 000: 31.06 B
 * and 7.06 B. Bytes of the bundles themselves are not part of it (they are sent under any
 * protocol), nor are framing and round trips.
 */
import { BloomwalkError } from '../errors.js'

/** Largest D accepted (the sum behind log2 D! is linear in D). */
export const MAX_FLOOR_DIFFERENCES = 1 << 24

/**
 * Bytes per difference at the information floor for ids of `idBytes` bytes and `differences`
 * differences (the formula above); 0 when there is no difference.
 * @throws {BloomwalkError} INVALID_ARGUMENT for an id size outside [8, 64] or a D outside [0, 2^24]
 */
export function informationFloor(idBytes: number, differences: number): number {
  if (!Number.isInteger(idBytes) || idBytes < 8 || idBytes > 64) throw new BloomwalkError('INVALID_ARGUMENT', `idBytes must be an integer in [8, 64], got ${String(idBytes)}`)
  if (!Number.isInteger(differences) || differences < 0 || differences > MAX_FLOOR_DIFFERENCES) {
    throw new BloomwalkError('INVALID_ARGUMENT', `differences must be an integer in [0, ${MAX_FLOOR_DIFFERENCES}], got ${String(differences)}`)
  }
  if (differences === 0) return 0
  let log2Factorial = 0
  for (let i = 2; i <= differences; i++) log2Factorial += Math.log2(i)
  return idBytes - log2Factorial / (8 * differences) + 1 / 8
}
