/**
 * Pure helpers shared by the backends' range scans: the modulo filter, the next and previous
 * global time that passes it (so a scan can jump over the ones that do not), and byte order.
 */

/** True when (gt + offset) % modulo === 0, computed without overflowing 2^53. */
export function passesModulo(gt: number, modulo: number, offset: number): boolean {
  return ((gt % modulo) + offset) % modulo === 0
}

/** The smallest global time ≥ gt that passes the modulo filter. */
export function nextPassing(gt: number, modulo: number, offset: number): number {
  const r = ((gt % modulo) + offset) % modulo
  return r === 0 ? gt : gt + (modulo - r)
}

/** The largest global time ≤ gt that passes the modulo filter (may be negative: none). */
export function prevPassing(gt: number, modulo: number, offset: number): number {
  return gt - (((gt % modulo) + offset) % modulo)
}

/** The byte helpers live in src/bytes.ts; the store's code names them so. */
export { compareBytes, hex as hexKey } from '../bytes.js'

/** Index of the first element ≥ x in a sorted array, searching from `lo`. */
export function lowerBound(sorted: readonly number[], x: number, lo = 0): number {
  // A stale hint (the array shrank or gained smaller elements) falls back to a full search.
  if (lo > sorted.length || (lo > 0 && sorted[lo - 1]! >= x)) lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (sorted[mid]! < x) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** Index of the last element ≤ x in a sorted array (−1 when none), searching below `hi`. */
export function lastAtMost(sorted: readonly number[], x: number, hi = sorted.length): number {
  if (hi > sorted.length || (hi < sorted.length && sorted[hi]! <= x)) hi = sorted.length
  let lo = 0
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (sorted[mid]! <= x) lo = mid + 1
    else hi = mid
  }
  return lo - 1
}
