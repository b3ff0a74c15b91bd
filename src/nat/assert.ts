/** Titled checks for constructor options (internal to `nat`). */
import { BloomwalkError } from '../errors.js'

/**
 * Returns `value ?? fallback` after checking it is an integer ≥ `min`.
 * @throws {BloomwalkError} INVALID_ARGUMENT otherwise
 */
export function intOption(title: string, name: string, value: number | undefined, fallback: number, min: number): number {
  const v = value ?? fallback
  if (!Number.isSafeInteger(v) || v < min) {
    throw new BloomwalkError('INVALID_ARGUMENT', `${title}: ${name} must be an integer >= ${min}, got ${String(v)}`)
  }
  return v
}

/**
 * Checks that `now` is a finite number of milliseconds.
 * @throws {BloomwalkError} INVALID_ARGUMENT otherwise
 */
export function assertNow(title: string, now: number): void {
  if (typeof now !== 'number' || !Number.isFinite(now)) {
    throw new BloomwalkError('INVALID_ARGUMENT', `${title}: now must be a finite number of milliseconds, got ${String(now)}`)
  }
}
